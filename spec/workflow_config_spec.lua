-- The workflows' config checks: every problem of a config is reported at
-- once, one exact line each ("FILE: path: message"), with exit status 2
-- and nothing done; Lua and JSON configs; a missing argument is a usage
-- error.

local w = require "helpers.workflow"

-- Runs `lsrun SCRIPT CONFIG` with no Live Station behind it (nothing may
-- be called); returns status, stdout, stderr.
local function check(dir, script, name, text, flag)
  local path = dir .. "/" .. name
  if text then w.write(path, text) end
  local p = w.spawn(dir, "check", "./lsrun " .. w.quote(script) .. (flag and " " .. flag or "") .. " " .. w.quote(path), {
    LIVESTATION_ENDPOINT = "http://127.0.0.1:9", NCLOUD_ACCESS_KEY_ID = w.ACCESS_KEY,
    NCLOUD_SECRET_ACCESS_KEY = w.SECRET_KEY, LIVESTATION_STATE = dir .. "/state.db",
  })
  local status = p:wait(15)
  return status, p:stdout(), p:stderr():gsub(w.esc(dir .. "/"), "")
end

local function lines(...)
  return table.concat({ ... }, "\n") .. "\n"
end

describe("workflow configs", function()
  local dir

  before_each(function() dir = w.tmpdir() end)
  after_each(function() w.cleanup() end)

  it("passes every example config (--check)", function()
    local examples = {
      { "scripts/scheduled_broadcast.lua", "demo_broadcast.lua" },
      { "scripts/scheduled_broadcast.lua", "evening_news.lua" },
      { "scripts/auto_clips.lua", "demo_clips.lua" },
      { "scripts/auto_clips.lua", "news_clips.json" },
      { "scripts/restream_fanout.lua", "demo_fanout.lua" },
      { "scripts/restream_fanout.lua", "launch_fanout.json" },
      { "scripts/vod2live_programme.lua", "demo_programme.lua" },
      { "scripts/vod2live_programme.lua", "movie_night.lua" },
    }
    for i, e in ipairs(examples) do
      local config = "scripts/examples/" .. e[2]
      local p = w.spawn(dir, "example" .. i, "./lsrun " .. e[1] .. " --check " .. config,
        { YOUTUBE_KEY = "yt", CHZZK_KEY = "chzzk" })
      assert.equal(0, p:wait(10), config .. ": " .. p:stderr())
      assert.equal(config .. ": ok\n", p:stdout())
    end
  end)

  it("scheduled_broadcast: every setting's problem, exactly", function()
    local status, out, err = check(dir, "scripts/scheduled_broadcast.lua", "show.lua", [[
return {
  chanel = { name = "x" },
  channel = { name = "a b", cdn = { profile_id = -1, region = "MARS" }, protocol = "RTMP" },
  starts = "tomorrow",
  ends = "+1h",
  grace = "soon",
  record = "yes",
  upload = { bucket = "Bad_Bucket" },
  curtain = { at = "10m", files = { "assets/curtain.gif", "nobucket" } },
  restream = { targets = { { platform = "TWITCH", url = "http://x", key = 3 } } },
  at_end = "remove",
}
]])
    assert.equal(2, status)
    assert.equal("", out)
    assert.equal(lines(
      'show.lua: chanel: unknown setting; did you mean "channel"?',
      'show.lua: at_end: expected one of "keep", "stop", "delete", got "remove"',
      'show.lua: channel.cdn.profile_id: expected the Global Edge profile id (a whole number >= 0), got -1',
      'show.lua: channel.cdn.region: expected one of "KOREA", "JAPAN", "GLOBAL", got "MARS"',
      'show.lua: channel.name: expected a name of 3 to 20 letters (English or Hangul), digits or _, got "a b"',
      'show.lua: channel.protocol: expected one of "HLS", "LL_HLS", "HLS,DASH", got "RTMP"',
      'show.lua: curtain.files[1]: the file must end in .mp4, .png, .jpg, .jpeg, .aac, .mp3, .m4a, '
        .. 'got "assets/curtain.gif"',
      'show.lua: curtain.files[2]: expected "bucket/path/to/file.mp4" or {bucket = ..., path = ...}, got "nobucket"',
      'show.lua: grace: expected a duration such as "90s", "5m" or "1h30m", got "soon"',
      'show.lua: record: expected false, or a table of settings, got "yes"',
      'show.lua: restream.targets[1].key: expected the stream key the platform gave, got 3',
      'show.lua: restream.targets[1].platform: expected one of "YOUTUBE", "CHZZK", "STEAM", "YOUNOW", '
        .. '"USTREAM", "AFREECATV", "PRISM", "CUSTOM", got "TWITCH"',
      'show.lua: restream.targets[1].url: expected an RTMP URL ("rtmp://..." or "rtmps://..."), got "http://x"',
      'show.lua: starts: expected a time such as "2026-11-22T19:00:00", "2026-11-22T19:00:00+09:00", '
        .. '"+10m" (from the first start) or epoch seconds, got "tomorrow"',
      'show.lua: upload.bucket: expected a bucket name (3 to 63 of a-z, 0-9, \'.\' and \'-\'), got "Bad_Bucket"'
    ), err)
  end)

  it("scheduled_broadcast: settings that contradict each other", function()
    local status, _, err = check(dir, "scripts/scheduled_broadcast.lua", "news.lua", [[
return {
  channel = { name = "evening_news", cdn = { profile_id = 1 }, protocol = "LL_HLS" },
  starts = "2026-11-22T21:00:00", ends = "2026-11-22T19:00:00", zone = "Asia/Seoul",
  record = false,
  upload = { bucket = "shows" },
  curtain = { at = "3h", files = { "assets/break.mp4" } },
  restream = { targets = {
    { platform = "YOUTUBE", url = "rtmp://a/b", key = "1" }, { platform = "CHZZK", url = "rtmp://a/b", key = "2" },
    { platform = "STEAM", url = "rtmp://a/b", key = "3" }, { platform = "PRISM", url = "rtmp://a/b", key = "4" } } },
}
]])
    assert.equal(2, status)
    assert.equal(lines(
      "news.lua: ends: must be after starts (2026-11-22T21:00:00+09:00)",
      "news.lua: upload: needs a recording, but record is false",
      "news.lua: curtain: needs protocol HLS or HLS,DASH; the channel uses LL_HLS",
      "news.lua: curtain.at: the break (3h00m after the start, for 1m00s) does not end before the show does",
      "news.lua: restream.targets: a STANDARD re-stream channel takes at most 3 targets, got 4"
    ), err)
  end)

  it("scheduled_broadcast: --check and a first start refuse a show whose start is past", function()
    local text = [[
return { channel = { name = "evening_news", cdn = { profile_id = 1 } },
  starts = "2020-11-22T19:00:00", ends = "2099-11-22T20:00:00", zone = "Asia/Seoul", grcae = "1m" }
]]
    local status, out, err = check(dir, "scripts/scheduled_broadcast.lua", "late.lua", text)
    assert.equal(2, status)
    assert.equal("", out)
    assert.equal('late.lua: grcae: unknown setting; did you mean "grace"?\n', err)
    w.write(dir .. "/late.lua", (text:gsub(', grcae = "1m"', "")))
    for _, flag in ipairs { "--check", false } do
      status, out, err = check(dir, "scripts/scheduled_broadcast.lua", "late.lua", nil, flag or nil)
      assert.equal(2, status)
      assert.equal("", out)
      assert.equal("late.lua: starts: 2020-11-22T19:00:00+09:00 is already past\n", err)
    end
  end)

  it("scheduled_broadcast: JSON configs, unreadable files and no argument", function()
    local status, _, err = check(dir, "scripts/scheduled_broadcast.lua", "show.json",
      '{"channel": {"name": "news", "cdn": {"profile_id": 1}}, "starts": "+1m", "ends": "+2m", "zone": "Mars/Olympus"}')
    assert.equal(2, status)
    assert.equal('show.json: zone: expected a time zone such as "Asia/Seoul", got "Mars/Olympus"\n', err)
    status, _, err = check(dir, "scripts/scheduled_broadcast.lua", "broken.json", '{"channel": ')
    assert.equal(2, status)
    assert.matches("^broken%.json: not valid JSON: ", err)
    status, _, err = check(dir, "scripts/scheduled_broadcast.lua", "broken.lua", "return { channel = ")
    assert.equal(2, status)
    assert.equal("broken.lua: not valid Lua: broken.lua:1: unexpected symbol near <eof>\n", err)
    status, _, err = check(dir, "scripts/scheduled_broadcast.lua", "secret.lua",
      'return { channel = { name = "news", cdn = { profile_id = 1 } }, starts = "+1m", ends = "+2m",'
        .. ' restream = { targets = { { platform = "YOUTUBE", url = "rtmp://a/b", key = env "NO_SUCH_KEY_VAR" } } } }')
    assert.equal(2, status)
    assert.equal("secret.lua: environment variable NO_SUCH_KEY_VAR not set\n", err)
    status, _, err = check(dir, "scripts/scheduled_broadcast.lua", "absent.lua")
    assert.equal(2, status)
    assert.equal("absent.lua: cannot read it: No such file or directory\n", err)
    local p = w.spawn(dir, "usage", "./lsrun scripts/scheduled_broadcast.lua")
    assert.equal(2, p:wait(10))
    assert.equal("usage: lsrun scripts/scheduled_broadcast.lua [--check] CONFIG\n", p:stderr())
    p = w.spawn(dir, "usage2", "./lsrun scripts/scheduled_broadcast.lua --chek show.lua")
    assert.equal(2, p:wait(10))
    assert.equal("unknown option --chek; did you mean --check?\n" ..
      "usage: lsrun scripts/scheduled_broadcast.lua [--check] CONFIG\n", p:stderr())
    p = w.spawn(dir, "usage3", "./lsrun scripts/scheduled_broadcast.lua --check a.lua b.lua")
    assert.equal(2, p:wait(10))
    assert.equal("unexpected argument 'b.lua' after a.lua\n" ..
      "usage: lsrun scripts/scheduled_broadcast.lua [--check] CONFIG\n", p:stderr())
  end)

  it("auto_clips", function()
    local status, _, err = check(dir, "scripts/auto_clips.lua", "clips.lua", [[
return { channel = 42, every = "0s", length = "5h", bucket = "b", path = "clips",
         webhook = { port = 70000, url = "ftp://x" }, retries = -1, poll = 5 }
]])
    assert.equal(2, status)
    assert.equal(lines(
      "clips.lua: bucket: expected a bucket name (3 to 63 of a-z, 0-9, '.' and '-'), got \"b\"",
      'clips.lua: channel: expected the name or id ("ls-...") of a live channel, got 42',
      'clips.lua: every: must be at least 1s, got "0s"',
      'clips.lua: length: must be at most 4h00m, got "5h"',
      'clips.lua: path: expected a folder in the bucket, such as "/clips", got "clips"',
      "clips.lua: retries: expected a whole number >= 0, got -1",
      "clips.lua: webhook.port: expected a whole number from 0 to 65535, got 70000",
      'clips.lua: webhook.url: expected the URL at which Live Station reaches this webhook, got "ftp://x"'
    ), err)
    status, _, err = check(dir, "scripts/auto_clips.lua", "sim.lua",
      'return { channel = "news", every = "1m", length = "30s", bucket = "clips", simulate_broadcast = "1m" }')
    assert.equal(2, status)
    assert.equal("sim.lua: simulate_broadcast: needs the emulator; http://127.0.0.1:9 is not one\n", err)
  end)

  it("restream_fanout", function()
    local status, _, err = check(dir, "scripts/restream_fanout.lua", "fan.lua",
      'return { name = "fan", targets = {}, ends = "+1m", watch = "0s", at_end = "stop" }')
    assert.equal(2, status)
    assert.equal(lines(
      'fan.lua: at_end: expected one of "delete", "keep", got "stop"',
      "fan.lua: targets: needs at least one entry",
      'fan.lua: watch: must be at least 0.2s, got "0s"'
    ), err)
    status, _, err = check(dir, "scripts/restream_fanout.lua", "fan2.lua", [[
return { name = "fan_out", plan = "PROFESSIONAL", starts = "+2m", ends = "+1m",
  targets = { { platform = "YOUTUBE", url = "rtmp://a/b", key = "k" }, { platform = "CHZZK", url = "rtmp://a/b", key = "k" } } }
]])
    assert.equal(2, status)
    assert.equal(lines(
      "fan2.lua: ends: must be after starts",
      "fan2.lua: targets[2]: the same URL and key as targets[1]"
    ), err)
    status, _, err = check(dir, "scripts/restream_fanout.lua", "fan3.lua", [[
return { name = "fan_out", simulate_encoder = true,
  targets = { { platform = "YOUTUBE", url = "rtmp://a/b", key = "k" } } }
]])
    assert.equal(2, status)
    assert.equal("fan3.lua: simulate_encoder: needs the emulator; http://127.0.0.1:9 is not one\n", err)
  end)

  it("vod2live_programme", function()
    local status, _, err = check(dir, "scripts/vod2live_programme.lua", "vod.lua", [[
return {
  channel = { name = "movies", cdn = { profile_id = 1 } },
  programme = { { at = "+2h", files = { "vods/a.mov" } }, { at = "+1h", files = {} } },
  at_end = "stop",
}
]])
    assert.equal(2, status)
    assert.equal(lines(
      'vod.lua: at_end: expected one of "keep", "delete", got "stop"',
      "vod.lua: programme[1].files[1]: the file must end in .mp4, got \"vods/a.mov\"",
      "vod.lua: programme[2].files: needs at least one entry",
      "vod.lua: programme[2].at: must be after programme[1].at" -- not hidden by the others
    ), err)
    status, _, err = check(dir, "scripts/vod2live_programme.lua", "order.lua", [[
return {
  channel = { name = "movies", cdn = { profile_id = 1 } },
  programme = { { at = "2026-11-22T20:00:00+09:00", files = { "vods/a.mp4" } },
                { at = "2026-11-22T19:00:00+09:00", files = { "vods/b.mp4" } } },
}
]])
    assert.equal(2, status)
    assert.equal("order.lua: programme[2].at: must be after programme[1].at\n", err)
  end)
end)
