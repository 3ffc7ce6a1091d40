-- The emulator as a tool for any test suite: `--env` (shell lines that
-- point our tools and NCP SDKs at it), the health route, `--seed` (a known
-- world from JSON) and `--record` (every request and answer as a JSON
-- line, secrets masked).

local H = require "helpers.emulator"
local core = require "livestation.core"
local json = require "livestation.json"

local shell = require "helpers.shell"
local read, write = shell.read, shell.write

local function get(url)
  local resp = assert(core.http_request { method = "GET", url = url, timeout = 5 })
  return resp.status, json.decode(resp.body or "")
end

-- lsrun emulator in its own process; `first` lines of stdout read.
local function spawn(args, first)
  local log = os.tmpname()
  local p = assert(io.popen("sh -c 'echo $$; exec ./lsrun emulator --port 0 --quiet " .. args .. " 2>" .. log .. "'"))
  local pid = assert(p:read("l"))
  local lines = {}
  for i = 1, first do lines[i] = p:read("l") end
  local done = false
  return {
    lines = lines, log = log,
    stop = function() -- idempotent: also called from finally()
      if done then return true, 0, "" end
      done = true
      os.execute("kill -TERM " .. pid)
      local rest = p:read("a")
      local ok, _, code = p:close()
      os.remove(log)
      return ok, code, rest
    end,
  }
end

local SEED = {
  callbackUrl = "http://127.0.0.1:9/hook",
  qualitySets = { { name = "seed-set", qualityIds = { 2, 3 }, isEnabledUll = false, segmentDuration = 2000,
    segmentCount = 3, enableHlsTimedMetadata = false } },
  channels = {
    { channelId = "ls-20260101000000-seed1", status = "PUBLISHING", backup = true, recording = true,
      stream = { video_bitrate = 3000000 },
      params = H.merge(H.CHANNEL, { channelName = "seeded_live", qualitySetId = "seed-set", isStreamFailOver = true }) },
    { status = "READY", recordings = 2, params = H.merge(H.CHANNEL, { channelName = "seeded_vod" }) },
    { status = "BLOCK", params = H.merge(H.CHANNEL, { channelName = "seeded_off" }) },
    { status = "CREATING", params = H.merge(H.CHANNEL, { channelName = "seeded_new" }) },
    { zone = "fin", params = H.merge(H.CHANNEL, { channelName = "seeded_fin",
      cdn = { cdnType = "CDN_PLUS", cdnInstanceNo = 9 } }) },
  },
}

describe("lsrun emulator --env", function()
  it("prints shell lines that our tools and the NCP SDKs read, then serves", function()
    local emu = spawn("--env --access-key MYACCESSKEY00000001 --secret-key MYSECRETKEY0000000000000000000000000001", 7)
    local stopped = false
    finally(function() if not stopped then emu.stop() end end)
    local env = table.concat(emu.lines, "\n") .. "\n"
    local url = env:match("export LIVESTATION_ENDPOINT='(http://127%.0%.0%.1:%d+)'")
    assert.is_string(url, env)
    for _, name in ipairs { "NCLOUD_API_GW", "NCLOUD_ACCESS_KEY_ID", "NCLOUD_SECRET_ACCESS_KEY", "NCLOUD_ACCESS_KEY",
      "NCLOUD_SECRET_KEY", "NCLOUD_REGION" } do
      assert.matches("export " .. name .. "='", env, 1, true)
    end
    local file = os.tmpname()
    write(file, env)
    -- a script with no settings at all reaches the emulator through them
    local p = assert(io.popen("sh -c '. " .. file .. "; ./lsrun -e \"local ls = require(\\\"livestation\\\").new{} "
      .. "print(ls.region, #assert(ls:call(\\\"qualitySet.list\\\", {})) > 0)\"' 2>&1"))
    local out = p:read("a")
    p:close()
    os.remove(file)
    local ok, code = emu.stop()
    stopped = true
    assert.equal("KR\ttrue\n", out)
    assert.is_true(ok)
    assert.equal(0, code)
  end)

  it("quotes values for the shell", function()
    local lines = require("lsrun.emulator").env_lines("http://127.0.0.1:1", "AK", "it's $HOME `x`")
    local file = os.tmpname()
    write(file, lines)
    local p = assert(io.popen("sh -c '. " .. file .. "; printf %s \"$NCLOUD_SECRET_KEY\"'"))
    local out = p:read("a")
    p:close()
    os.remove(file)
    assert.equal("it's $HOME `x`", out)
  end)
end)

describe("the health route", function()
  it("answers any client with the emulator's set-up, and nothing secret", function()
    local emu, url = H.start { throttle = { rps = 100 } }
    local status, body = get(url .. "/_emulator/health")
    assert.equal(200, status)
    assert.equal("ok", body.status)
    assert.equal(url, body.url)
    assert.equal(#require("livestation.ops").all(), body.operations)
    assert.same({ "public", "fin" }, body.zones)
    assert.is_true(body.throttle)
    assert.is_false(body.strict)
    assert.is_true(body.uptime_ms >= 0)
    -- health does not go through the gateway or its throttle
    for _ = 1, 3 do assert.equal(200, (get(url .. "/_emulator/health"))) end
    local resp = assert(core.http_request { method = "GET", url = url .. "/_emulator/health", timeout = 5 })
    assert.is_nil(resp.body:find(H.SK, 1, true))
    status = assert(core.http_request { method = "POST", url = url .. "/_emulator/health", body = "", timeout = 5 }).status
    assert.equal(405, status)
    emu:stop()
  end)
end)

describe("--seed", function()
  local emu, url, ls

  after_each(function() if emu then emu:stop() end end)

  it("starts from a known world: sets, channels in given states, recordings, a zone", function()
    emu, url = H.start { seed = SEED }
    ls = H.client(url)
    local live = assert(ls:call("channel.get", { channelId = "ls-20260101000000-seed1" }))
    assert.equal("PUBLISHING", live.channelStatus)
    assert.is_true(live.isRecording)
    assert.equal("seed-set", live.qualitySetName)
    local ch = emu:world().channels["ls-20260101000000-seed1"]
    assert.is_true(ch.ingest.backup)
    assert.equal(3000000, ch.ingest.stream.video_bitrate)
    local by_name = {}
    for _, c in ipairs(assert(ls:call("channel.list", {}))) do by_name[c.channelName] = c end
    assert.equal("READY", by_name.seeded_vod.channelStatus)
    assert.equal("BLOCK", by_name.seeded_off.channelStatus)
    assert.equal("CREATING", by_name.seeded_new.channelStatus)
    assert.is_nil(by_name.seeded_fin)
    local records = assert(ls:call("record.list", { channelId = by_name.seeded_vod.channelId }))
    local n = 0
    for _, r in pairs(records.recordList) do
      n = n + 1
      assert.equal("TRANSFER_READY", r.status)
    end
    assert.equal(2, n)
    local fin = require("livestation").new { endpoint = url, access_key = H.AK, secret_key = H.SK, zone = "fin" }
    assert.equal("seeded_fin", assert(fin:call("channel.list", {}))[1].channelName)
    assert.equal("http://127.0.0.1:9/hook", assert(ls:call("callback.get", {})).callbackUrl)
    -- the clock did not move: processing was settled, not waited for
    assert.equal(0, emu.clock.offset)
    -- and a CREATING channel still becomes READY on its own
    emu:advance(60000)
    assert.equal("READY", assert(ls:call("channel.get", { channelId = by_name.seeded_new.channelId })).channelStatus)
  end)

  it("names the entry and the problem of a bad seed", function()
    local emulator = require "livestation.emulator"
    local function refused(world)
      local e = emulator.new { seed = world }
      local u, err = e:start { port = 0 }
      assert.is_nil(u)
      e:stop()
      return err
    end
    assert.matches("seed.channels%[1%]: channelName", refused { channels = { { params = H.merge(H.CHANNEL,
      { channelName = "x" }) } } })
    assert.matches("seed.channels%[1%]: unknown member 'state'", refused { channels = { { state = "READY" } } })
    assert.matches("seed: unknown member 'chanels'", refused { chanels = {} })
    assert.matches("seed.channels%[1%].params.qualitySetId: no quality set named 'nope'",
      refused { channels = { { params = H.merge(H.CHANNEL, { qualitySetId = "nope" }) } } })
    assert.matches("seed.channels%[1%].status: READY, PUBLISHING", refused { channels = { { status = "LIVE" } } })
    emu = nil
  end)

  it("is loaded by lsrun emulator --seed FILE, once per state file", function()
    local file, state = os.tmpname(), os.tmpname() .. ".db"
    write(file, json.encode(SEED))
    local run = spawn("--seed " .. file .. " --state " .. state, 1)
    local first = run
    finally(function() first.stop() end)
    local status, body = H.request(run.lines[1], "GET", "/api/v2/channels/ls-20260101000000-seed1")
    assert.equal(200, status)
    assert.equal("PUBLISHING", body.content.channelStatus)
    assert.equal(200, (H.request(run.lines[1], "PUT", "/api/v2/channels/ls-20260101000000-seed1/off")))
    first.stop()
    -- a second start on the same state keeps the world it has
    local again = spawn("--seed " .. file .. " --state " .. state, 1)
    finally(function() again.stop() end)
    run = again
    status, body = H.request(run.lines[1], "GET", "/api/v2/channels/ls-20260101000000-seed1")
    assert.equal("BLOCK", body.content.channelStatus)
    run.stop()
    write(file, "{not json")
    local p = io.popen("./lsrun emulator --port 0 --quiet --seed " .. file .. " 2>&1")
    local out = p:read("a")
    local _, _, code = p:close()
    assert.equal(1, code)
    assert.matches("--seed " .. file .. ": not JSON", out, 1, true)
    os.remove(file)
    for _, s in ipairs { "", "-wal", "-shm" } do os.remove(state .. s) end
    emu = nil
  end)

  it("is reloaded between tests through POST /_emulator/seed", function()
    emu, url = H.start()
    ls = H.client(url)
    assert(ls:call("channel.create", H.CHANNEL))
    local status, body = H.control(url, "POST", "seed", { channels = { { channelId = "ls-x-1",
      params = H.merge(H.CHANNEL, { channelName = "only_one" }) } } })
    assert.equal(200, status)
    assert.equal("ls-x-1", body.channels[1].channelId)
    assert.equal("READY", body.channels[1].status)
    local list = assert(ls:call("channel.list", {}))
    assert.equal(1, #list)
    assert.equal("only_one", list[1].channelName)
    status, body = H.control(url, "POST", "seed", { channels = { { status = "GONE" } } })
    assert.equal(400, status)
    assert.matches("status", body.error.message)
  end)
end)

describe("--record", function()
  it("writes every request and answer as a JSON line, secrets masked, the file 0600", function()
    local file = os.tmpname()
    os.remove(file)
    local emu, url = H.start { record = file }
    local ls = H.client(url)
    local ch = assert(ls:call("channel.create", H.CHANNEL))
    assert.equal(401, (H.request(url, "GET", "/api/v2/channels", nil, { secret_key = "wrong" })))
    assert(ls:call("restream.create", { channelName = "relay", planType = "STANDARD",
      restream = { { targetName = "CUSTOM", rtmpUrl = "rtmp://example.com/live", streamKey = "platformkey123",
        id = "me", password = "hunter2secret" } } }))
    H.control(url, "GET", "clock")
    emu:stop()
    assert.equal(tonumber("600", 8), core.file_mode(file))
    local text = read(file)
    assert.is_nil(text:find(ch.streamKey, 1, true), "a stream key reached the record")
    assert.is_nil(text:find("platformkey123", 1, true))
    assert.is_nil(text:find("hunter2secret", 1, true))
    assert.is_nil(text:find(H.SK, 1, true))
    assert.is_nil(text:find(H.AK, 1, true))
    local entries = {}
    for line in text:gmatch("[^\n]+") do entries[#entries + 1] = assert(json.decode(line)) end
    assert.equal(4, #entries)
    local first = entries[1]
    assert.equal("channel.create", first.op)
    assert.equal("POST", first.request.method)
    assert.equal("/api/v2/channels", first.request.target)
    assert.equal("morning_show", first.request.body.channelName)
    assert.equal("[REDACTED]", first.request.headers["x-ncp-apigw-signature-v2"])
    assert.equal(200, first.response.status)
    assert.equal("[REDACTED]", first.response.body.content.streamKey)
    assert.equal(ch.channelId, first.response.body.content.channelId)
    assert.equal(401, entries[2].response.status)
    assert.equal("[REDACTED]", entries[3].request.body.restream[1].password)
    assert.equal("control", entries[4].op)
    os.remove(file)
  end)

  it("refuses a file it cannot create", function()
    local emu = require("livestation.emulator").new { record = "/nonexistent/dir/rec.jsonl" }
    local url, err = emu:start { port = 0 }
    assert.is_nil(url)
    assert.matches("--record: /nonexistent/dir/rec.jsonl", err, 1, true)
    emu:stop()
  end)
end)
