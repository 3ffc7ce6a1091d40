-- scheduled_broadcast.lua: a live show from a small config file.
--
--   ./lsrun scripts/scheduled_broadcast.lua show.lua            (Live Station)
--   ./lsrun --emulator --speed 10 scripts/scheduled_broadcast.lua scripts/examples/demo_broadcast.lua
--
-- Ahead of the start it makes sure the channel exists (reusing one of the
-- same name) and is READY, with the curtain content and the re-stream
-- channel if the show has them. At the start it checks that the encoder
-- is publishing (loudly when it is not, after the grace period) and that
-- recording runs; it puts the curtain on and off for the break; at the
-- end it stops recording, uploads the recordings to the bucket and waits
-- for the transfers, terminates the re-stream channel, stops or deletes
-- the channel, and prints a summary.
--
-- Each phase is a named job and each step is kept in the step journal
-- (the state file, lsrun --state FILE), so the script can be stopped and
-- started again at any moment: nothing is done twice, nothing is skipped.
-- Against the emulator it plays the encoder itself (simulate_encoder).

local livestation = require "livestation"
local config = livestation.config
local time = livestation.time
local encoder = require "livestation.kit.encoder"
local live = require "livestation.kit.live"
local progress = require "livestation.kit.progress"
local recordings = require "livestation.kit.recordings"
local restream = require "livestation.kit.restream"
local timeline = require "livestation.kit.timeline"

local T = config.types

---------------------------------------------------------------- config

local CURTAIN_FILES = { ".mp4", ".png", ".jpg", ".jpeg", ".aac", ".mp3", ".m4a" }

local function check_show(c, add)
  local z = time.zone(c.zone)
  local s, e = time.resolve(c.starts, z), time.resolve(c.ends, z)
  if e <= s then add("ends", "must be after starts (" .. time.format(s, z) .. ")") end
  if c.upload and c.record == false then add("upload", "needs a recording, but record is false") end
  if c.curtain then
    if c.channel.protocol == "LL_HLS" then
      add("curtain", "needs protocol HLS or HLS,DASH; the channel uses LL_HLS")
    end
    if c.curtain.at + c.curtain.length > e - s then
      add("curtain.at", "the break (" .. time.span(c.curtain.at) .. " after the start, for "
        .. time.span(c.curtain.length) .. ") does not end before the show does")
    end
  end
  if c.restream then restream.check_plan(c.restream.plan, c.restream.targets, add, "restream.targets") end
end

local SHOW = T.record({
  name = T.name { optional = true },
  channel = T.record {
    name = T.name {},
    quality_set = T.either(T.integer { min = 1 }, T.string {}, { optional = true }),
    protocol = T.enum({ "HLS", "LL_HLS", "HLS,DASH" }, { default = "HLS" }),
    dvr = T.boolean { default = true },
    failover = T.boolean { default = false },
    cdn = T.record {
      profile_id = T.integer { min = 0, what = "the Global Edge profile id" },
      region = T.enum({ "KOREA", "JAPAN", "GLOBAL" }, { default = "KOREA" }),
      instance_no = T.integer { optional = true, what = "the instance number of an existing Global Edge" },
      domain = T.string { optional = true },
    },
  },
  starts = T.time {},
  ends = T.time {},
  zone = T.zone { optional = true },
  prepare = T.duration { default = 600 },
  grace = T.duration { default = 120 },
  record = T.either(T.off(), T.record { format = T.enum({ "MP4", "HLS", "ALL" }, { default = "MP4" }) },
    { default = {} }),
  upload = T.record({
    bucket = T.bucket {},
    access = T.enum({ "PRIVATE", "PUBLIC_READ" }, { default = "PRIVATE" }),
  }, { optional = true }),
  curtain = T.record({
    at = T.duration { what = 'a duration after the start, such as "30m"' },
    length = T.duration { default = 60, min = 1, max = 600 },
    files = T.list(T.file { ext = CURTAIN_FILES }, { min = 1 }),
  }, { optional = true }),
  restream = T.record({
    name = T.name { optional = true },
    plan = T.enum({ "STANDARD", "PROFESSIONAL" }, { default = "STANDARD" }),
    targets = T.list(restream.target_type(T), { min = 1 }),
  }, { optional = true }),
  at_end = T.enum({ "keep", "stop", "delete" }, { default = "stop" }),
  simulate_encoder = T.boolean { optional = true },
}, { check = check_show })

-- What must hold before any work begins (--check, or a first start; a
-- restart goes on with a show under way): its start and end are ahead.
local function ahead(c, add)
  local z, now = time.zone(c.zone), time.now()
  local s, e = time.resolve(c.starts, z, now), time.resolve(c.ends, z, now)
  if s < now - 1 then add("starts", time.format(s, z) .. " is already past") end
  if e <= now then add("ends", time.format(e, z) .. " is already past") end
end

local cfg, path = config.from_args(arg, SHOW, "lsrun scripts/scheduled_broadcast.lua [--check] CONFIG",
  { ahead = ahead })
cfg.name = cfg.name or cfg.channel.name
if cfg.restream and not cfg.restream.name then
  local n = cfg.channel.name
  if utf8.len(n) > 17 then n = n:sub(1, utf8.offset(n, 18) - 1) end
  cfg.restream.name = n .. "_rs"
end

---------------------------------------------------------------- set-up

local ls = livestation.new {}
local zone = time.zone(cfg.zone)
local p = progress.new { zone = zone }

local ok_enc, enc = pcall(encoder.for_client, ls, cfg.simulate_encoder)
if not ok_enc then config.fail(path, { "simulate_encoder: " .. tostring(enc) }) end

-- One show: its name on this Live Station and its start as written, so
-- a show with new dates is a new show and a restart is the same one.
local host = ls.site
local id = cfg.name .. "@" .. host
local j = livestation.workflow("broadcast:" .. id .. ":" .. tostring(cfg.starts))

local plan = j:get("plan")
local anchor = plan and plan.anchor or os.time()
local starts, ends = time.resolve(cfg.starts, zone, anchor), time.resolve(cfg.ends, zone, anchor)
if not plan then
  config.ahead(cfg, path, ahead)
  j:put("plan", { anchor = anchor })
end

local must, tolerate, wait_opts = live.must, live.tolerate, live.wait_opts

local function problem(...) p:problem(j, ...) end

local function channel_id() return j:result("channel").id end

local function get_channel()
  return must(ls:call("channel.get", { channelId = channel_id() }))
end

---------------------------------------------------------------- prepare

-- A curtain content made from exactly these files (READY or on its
-- way), so a restart or the next show does not make another: an account
-- holds at most 10.
local function find_curtain(files)
  for c in ls:each("curtain.content.list", {}) do
    local input = c.input or {}
    if (c.status == "READY" or c.status == "CREATING") and #input == #files then
      local same = true
      for i, f in ipairs(files) do
        local text = tostring(input[i])
        if not (text:find(f.bucket, 1, true) and text:sub(-#f.path) == f.path) then same = false end
      end
      if same then return c.id end
    end
  end
end

local function prepare()
  j:step("channel", function()
    local qs_id, qs_name = live.quality_set(ls, cfg.channel.quality_set)
    local made_before = j:get("creating")
    j:put("creating", true) -- a channel found after this was made by this show
    local ch, reused = live.ensure(ls, live.create_params(cfg.channel, qs_id, cfg.record))
    reused = reused and not made_before
    p:say("%s channel %s (%s), quality set %s", reused and "reusing" or "created", ch.channelId,
      ch.channelName, qs_name)
    return { id = ch.channelId, reused = reused, since = anchor * 1000 }
  end)
  j:step("ready", function()
    local ch = get_channel()
    if ch.channelStatus == "BLOCK" then
      must(ls:call("channel.resume", { channelId = ch.channelId }))
      p:say("channel %s resumed", ch.channelId)
    end
    if ch.channelStatus ~= "PUBLISHING" then
      ch = must(ls:wait("channel_ready", { channelId = ch.channelId }, wait_opts(900)))
    end
    p:say("channel %s %s: publish to %s, stream key %s", ch.channelId, ch.channelStatus,
      ch.publishUrl, progress.mask(ch.streamKey))
    return { publish_url = ch.publishUrl }
  end)
  if cfg.curtain then
    j:step("curtain_content", function()
      local cid = find_curtain(cfg.curtain.files)
      if cid then
        p:say("reusing curtain content %s", tostring(cid))
      else
        local list = {}
        for i, f in ipairs(cfg.curtain.files) do list[i] = { bucketName = f.bucket, filePath = f.path } end
        local c = must(ls:call("curtain.content.create", { content = list }))
        cid = c.id or (c[1] and c[1].id)
      end
      must(ls:wait("curtain.content.get", { contentId = cid }, wait_opts(900, { ["until"] = function(x)
        if x.status == "READY" then return true end
        if x.status == "PROCESSING_FAIL" or x.status == "DELETED" then
          return nil, "the curtain content is " .. x.status
        end
        return false, x.status
      end })))
      p:say("curtain content %s READY", tostring(cid))
      return { id = cid }
    end)
  end
  if cfg.restream then
    j:step("restream", function()
      local rs, reused, changed = restream.ensure(ls, cfg.restream)
      rs = restream.wait_ready(ls, rs.channelId, 900)
      p:say("%s re-stream channel %s (%s) to %d platform(s)%s: publish to %s, stream key %s",
        reused and "reusing" or "created", rs.channelId, rs.channelName, #cfg.restream.targets,
        changed > 0 and (", " .. changed .. " updated") or "", rs.publishUrl, progress.mask(rs.streamKey))
      return { id = rs.channelId }
    end)
  end
end

---------------------------------------------------------------- start

local function restream_id() return cfg.restream and j:result("restream").id end

local function publishing(op, cid, timeout)
  return ls:wait(op, { channelId = cid }, wait_opts(timeout, { ["until"] = function(c)
    if c.channelStatus == "PUBLISHING" or c.channelStatus == "PUBLISH" then return true end
    if c.channelStatus == "DELETED" or c.channelStatus == "BLOCK" then
      return nil, "the channel is " .. c.channelStatus
    end
    return false, c.channelStatus
  end }))
end

local function start()
  j:step("encoder", function()
    local cid = channel_id()
    if enc then
      must(enc:start(cid))
      if restream_id() then must(enc:start(restream_id())) end
      p:say("simulated encoder started")
    end
    local grace_left = starts + cfg.grace - os.time()
    local ch = publishing("channel.get", cid, grace_left)
    local late
    if not ch then
      problem("NO STREAM: the encoder is not publishing to %s, %s after the start; publish to %s",
        cid, time.span(os.time() - starts), j:result("ready").publish_url)
      ch = publishing("channel.get", cid, ends - os.time())
      if not ch then
        problem("the encoder never published to %s during the show", cid)
        return { missing = true }
      end
      late = os.time() - starts
    end
    p:say("encoder publishing to %s%s", cid, late and (", " .. time.span(late) .. " late") or "")
    if restream_id() and not publishing("restream.get", restream_id(), math.max(1, starts + cfg.grace - os.time())) then
      problem("NO STREAM into re-stream channel %s; the platforms get nothing", restream_id())
    end
    return { at = os.time(), late = late }
  end)
  j:step("recording", function()
    if cfg.record == false then return { off = true } end
    if j:result("encoder").missing then return { skipped = "no stream" } end
    local cid = channel_id()
    if not get_channel().isRecording then
      tolerate({ 250135 }, ls:call("record.start", { channelId = cid })) -- 250135: already recording
    end
    local ch = ls:wait("channel.get", { channelId = cid }, wait_opts(60, { ["until"] = function(c)
      return c.isRecording == true, "not recording"
    end }))
    if not ch then
      problem("channel %s is publishing but NOT RECORDING", cid)
      return { failed = true }
    end
    local file
    for _, r in ipairs(live.records(ls, cid)) do
      if r.status == "RECORDING" then file = r.fileName end
    end
    p:say("recording %s", file or "")
    return { file = file }
  end)
  j:step("on_air", function()
    local url = live.playback_url(ls, "channel.serviceUrls", channel_id())
    if url then p:say("on air: %s", url) end
    if restream_id() then
      livestation.sleep(1) -- the platforms take a moment to connect
      for _, pl in ipairs(restream.platforms(ls, restream_id())) do
        if pl.connectStatus == "FAIL" then
          problem("re-stream to %s FAILED (%s)", pl.targetName, pl.rtmpUrl)
        else
          p:say("re-stream to %s: %s", pl.targetName, pl.connectStatus)
        end
      end
    end
    return { url = url }
  end)
end

---------------------------------------------------------------- the break

local function curtain_on()
  j:step("curtain_on", function()
    local ch = get_channel()
    if ch.channelStatus ~= "PUBLISHING" then
      problem("curtain break skipped: channel %s is %s, not PUBLISHING", ch.channelId, ch.channelStatus)
      return { skipped = true }
    end
    local minutes = math.max(1, math.ceil(cfg.curtain.length / 60))
    must(ls:call("curtain.start", { channelId = ch.channelId,
      contentId = { j:result("curtain_content").id }, insertTime = minutes }))
    p:say("curtain on for %s", time.span(cfg.curtain.length))
    return { at = os.time() }
  end)
end

local function curtain_off()
  j:step("curtain_off", function()
    if j:result("curtain_on").skipped then return { skipped = true } end
    must(ls:call("curtain.end", { channelId = channel_id() }))
    p:say("curtain off")
    return { at = os.time() }
  end)
end

---------------------------------------------------------------- finish

local function end_channel(cid)
  local ch = get_channel()
  if cfg.at_end == "keep" then return ch.channelStatus end
  if ch.channelStatus == "READY" or ch.channelStatus == "PUBLISHING" then
    ch = must(ls:call("channel.stop", { channelId = cid }))
  end
  if cfg.at_end == "stop" then return "BLOCK" end
  if ch.channelStatus ~= "DELETED" then
    if ch.channelStatus == "BLOCK" then must(ls:call("channel.resume", { channelId = cid })) end
    must(ls:wait("channel_ready", { channelId = cid }, wait_opts(300)))
    must(ls:call("channel.delete", { channelId = cid }))
  end
  return "DELETED"
end

local function finish()
  local cid = channel_id()
  j:step("stop_recording", function()
    local ch = get_channel()
    if ch.isRecording then
      tolerate({ 250137 }, ls:call("record.stop", { channelId = cid })) -- 250137: not recording
      p:say("recording stopped")
    end
    return { at = os.time() }
  end)
  j:step("stop_encoder", function()
    if enc then
      must(enc:stop(cid))
      if restream_id() then must(enc:stop(restream_id())) end
      p:say("simulated encoder stopped")
    end
    return true
  end)
  j:step("upload", function()
    if not cfg.upload then return { files = {} } end
    local ids = {}
    for _, r in ipairs(live.records(ls, cid)) do
      if (r.recordBeginTime or r.createdTime or math.huge) >= j:result("channel").since then
        ids[#ids + 1] = r.id
      end
    end
    local files = recordings.upload(ls, cid, ids, { bucket = cfg.upload.bucket, access = cfg.upload.access,
      say = function(...) p:say(...) end, interval = 1, max_interval = 5, timeout = 3600 })
    return { files = files }
  end)
  if cfg.restream then
    j:step("restream_end", function()
      local rid = restream_id()
      local pls = restream.platforms(ls, rid)
      local lines = {}
      for i, pl in ipairs(pls) do lines[i] = restream.describe(pl) end
      local ok, status = pcall(restream.terminate, ls, rid, math.max(30, cfg.grace))
      if ok then
        p:say("re-stream channel %s %s", rid, status)
      else
        problem("re-stream channel %s left as it is: %s", rid, tostring(status))
      end
      return { platforms = lines, status = ok and status or "left running" }
    end)
  end
  j:step("channel_end", function()
    local status = end_channel(cid)
    p:say("channel %s %s", cid, cfg.at_end == "keep" and ("kept (" .. status .. ")") or status)
    return { status = status }
  end)
end

---------------------------------------------------------------- summary

local function result(step) return j:result(step) end

local function summary()
  local ch, enc_r = result("channel") or {}, result("encoder") or {}
  local rows = {
    { "show", string.format("%s, %s to %s", cfg.name, time.format(starts, zone), time.clock(ends, zone)) },
    { "channel", string.format("%s (%s), %s, %s", ch.id or "-", cfg.channel.name,
      ch.reused and "reused" or "created", (result("channel_end") or {}).status or "?") },
  }
  local stream = enc_r.missing and "never published"
    or enc_r.at and ("publishing from " .. time.clock(enc_r.at, zone)
      .. (enc_r.late and (", " .. time.span(enc_r.late) .. " late") or ", on time"))
    or "-"
  rows[#rows + 1] = { "encoder", stream .. (enc and " (simulated)" or "") }
  local rec = result("recording") or {}
  rows[#rows + 1] = { "recording", rec.off and "off" or rec.file or rec.skipped or "-" }
  if cfg.upload then
    local lines = {}
    for _, f in ipairs((result("upload") or {}).files or {}) do
      lines[#lines + 1] = string.format("%s %s", f.status, f.url or f.file or tostring(f.id))
    end
    rows[#rows + 1] = { "uploads", lines }
  end
  if cfg.curtain then
    local on, off = result("curtain_on") or {}, result("curtain_off") or {}
    rows[#rows + 1] = { "curtain", on.skipped and "skipped" or
      string.format("%s to %s", on.at and time.clock(on.at, zone) or "?", off.at and time.clock(off.at, zone) or "?") }
  end
  if cfg.restream then
    local r = result("restream_end") or {}
    rows[#rows + 1] = { "re-stream", r.platforms or {} }
  end
  rows[#rows + 1] = { "problems", j:get("problems") or { "none" } }
  p:summary("summary of " .. cfg.name, rows)
end

---------------------------------------------------------------- run

local PHASES = {
  { name = "prepare", at = math.max(anchor, starts - cfg.prepare), run = prepare },
  { name = "start", at = starts, run = start },
}
if cfg.curtain then
  PHASES[#PHASES + 1] = { name = "curtain_on", at = starts + cfg.curtain.at, run = curtain_on }
  PHASES[#PHASES + 1] = { name = "curtain_off", at = starts + cfg.curtain.at + cfg.curtain.length,
    run = curtain_off }
end
PHASES[#PHASES + 1] = { name = "finish", at = ends, run = function() finish() summary() end }

local tl = { name = "broadcast:" .. id, workflow = j, progress = p, zone = zone, phases = PHASES }

if timeline.finished(tl) then
  p:say("show %s has already finished", cfg.name)
  summary()
  p:finish(j)
  return
end
local pending = timeline.pending(tl)
p:say("show %s: %s to %s (%s)%s", cfg.name, time.format(starts, zone), time.clock(ends, zone), zone.name,
  plan and ("; resuming at " .. pending[1]) or "")
if enc then p:say("simulated encoder: on (emulator at %s)", ls.endpoint) end
for _, ph in ipairs(PHASES) do
  if not j:done("phase." .. ph.name) then p:say("  %-12s %s", ph.name, time.clock(ph.at, zone)) end
end

local ok, err = timeline.run(tl)
if not ok then p:stopped(err) end
p:finish(j)
