-- auto_clips.lua: short clips of a live channel while it is on air.
--
--   ./lsrun scripts/auto_clips.lua clips.lua                 (Live Station)
--   ./lsrun --emulator --speed 10 scripts/auto_clips.lua scripts/examples/demo_clips.lua
--
-- When the channel starts publishing (a PUBLISH_START callback to the
-- webhook, or polling when no webhook is configured) it takes, every N
-- minutes, a snapshot of the last M minutes and cuts a short clip of them
-- into a bucket, waits until the clip is COMPLETED and logs where it is.
-- When publishing ends it prints what it made and stops (or waits for the
-- next broadcast with keep_watching = true).
--
-- Every clip is one run of a named job; what each run did is kept in the
-- step journal, so a failed run is tried again and a restart never makes
-- a second clip of the same moment.

local livestation = require "livestation"
local config = livestation.config
local time = livestation.time
local encoder = require "livestation.kit.encoder"
local live = require "livestation.kit.live"
local progress = require "livestation.kit.progress"

local T = config.types
local must = live.must

---------------------------------------------------------------- config

local CLIPS = T.record({
  channel = T.string { what = 'the name or id ("ls-...") of a live channel' },
  every = T.duration { min = 1, what = 'how often to clip, such as "5m"' },
  length = T.duration { min = 1, max = 4 * 3600, what = 'how much of the end to clip, such as "2m"' },
  bucket = T.bucket {},
  path = T.string { default = "/clips", pattern = "^/", what = 'a folder in the bucket, such as "/clips"' },
  access = T.enum({ "PRIVATE", "PUBLIC_READ" }, { default = "PRIVATE" }),
  webhook = T.record({
    port = T.integer { default = 0, min = 0, max = 65535 },
    host = T.string { default = "127.0.0.1" },
    path = T.string { default = "/livestation", pattern = "^/" },
    token = T.string { optional = true },
    url = T.string { optional = true, pattern = "^https?://",
      what = "the URL at which Live Station reaches this webhook" },
  }, { optional = true }),
  poll = T.duration { default = 15, min = 0.1 },
  retries = T.integer { default = 3, min = 0 },
  retry_backoff = T.duration { default = 10 },
  keep_watching = T.boolean { default = false },
  zone = T.zone { optional = true },
  simulate_broadcast = T.duration { optional = true, min = 1,
    what = "how long the emulator's simulated encoder streams" },
}, { check = function(c, add)
  if c.length > c.every * 4 and c.length > 3600 then
    add("length", "clips of " .. time.span(c.length) .. " every " .. time.span(c.every) .. " overlap a lot")
  end
end })

local cfg, path = config.from_args(arg, CLIPS, "lsrun scripts/auto_clips.lua [--check] CONFIG")

local ls = livestation.new {}
local zone = time.zone(cfg.zone)
local p = progress.new { zone = zone }

local sim
if cfg.simulate_broadcast then
  sim = encoder.for_client(ls, nil)
  if not sim then
    config.fail(path, { "simulate_broadcast: needs the emulator; " .. ls.endpoint .. " is not one" })
  end
end

local host = ls.site
local name = "auto_clips:" .. cfg.channel .. "@" .. host
local j = livestation.workflow(name)

---------------------------------------------------------------- the channel

local function find_channel()
  if cfg.channel:match("^ls%-") then
    local ch, err = ls:call("channel.get", { channelId = cfg.channel })
    if ch then return ch end
    if err.code ~= 250100 and err.code ~= 250004 then error(tostring(err), 0) end
    return nil
  end
  return live.find(ls, cfg.channel)
end

-- The emulator try-out: a channel of that name streaming for a while.
local function simulate(ch)
  if not ch then
    local qs = live.quality_set(ls, nil)
    ch = must(ls:call("channel.create", live.create_params({ name = cfg.channel, protocol = "HLS", dvr = true,
      cdn = { profile_id = 1, region = "KOREA" } }, qs, { format = "MP4" })))
    ch = must(ls:wait("channel_ready", { channelId = ch.channelId }, { interval = 0.5, timeout = 300 }))
    p:say("simulation: created channel %s (%s)", ch.channelId, ch.channelName)
  end
  local until_t = j:get("simulation_ends")
  if not until_t or until_t < os.time() then -- none yet, or the last one is over: a new one
    until_t = os.time() + 2 + cfg.simulate_broadcast
    j:put("simulation_ends", until_t)
    livestation.sleep(2)
    must(sim:start(ch.channelId))
    p:say("simulation: the encoder streams until %s", time.clock(until_t, zone))
  end
  livestation.spawn(function()
    livestation.sleep(math.max(0, until_t - os.time()))
    sim:stop(ch.channelId)
  end)
  return ch
end

local ch = find_channel()
if sim then ch = simulate(ch) end
if not ch then
  io.stderr:write(path, ": channel: no live channel called ", cfg.channel, "\n")
  os.exit(2)
end
local channel_id = ch.channelId
if not ch.useDVR and ch.useDvr ~= true then
  io.stderr:write(path, ": channel: ", channel_id, " has no time machine (useDvr); snapshots need it\n")
  os.exit(2)
end

---------------------------------------------------------------- one clip

local FAILED = { UPLOAD_FAIL = true, PROCESSING_FAIL = true }

local function slot_key(session, slot_ms)
  return string.format("clip.%d.%d", session, slot_ms)
end

-- How far back the snapshot reaches: its minutes, or less when the
-- recording is younger than that.
local function snapshot_length(snap, session)
  local begin = session
  for _, r in ipairs(live.records(ls, channel_id)) do
    if r.status == "RECORDING" and r.recordBeginTime then begin = r.recordBeginTime end
  end
  local wanted = (snap.duration or 1) * 60000
  return math.max(0, math.min(wanted, (snap.createdTime or begin) - begin))
end

-- A clip on this snapshot from an earlier run of the same slot.
local function existing_clip(snapshot_id, failed)
  local c = ls:call("shortclip.list", { channelId = channel_id, snapshotId = tostring(snapshot_id) })
  for _, clip in ipairs(c and c.shortClipList or {}) do
    if not FAILED[clip.status] and not failed[tostring(clip.id)] then return clip.id end
  end
end

-- Makes (or finishes) the clip of one slot; returns the finished record.
local function make_clip(session, slot_ms)
  local key = slot_key(session, slot_ms)
  local rec = j:get(key) or { slot = slot_ms, failed = {} }
  if rec.done then return rec end
  if not rec.snapshot then
    local now = must(ls:call("channel.get", { channelId = channel_id }))
    if now.channelStatus ~= "PUBLISHING" or now.recentPublishStartTime ~= session then return nil end
    local snap = must(ls:call("snapshot.create", { channelId = channel_id,
      limitedDuration = math.min(240, math.max(1, math.ceil(cfg.length / 60))) })).snapshot
    rec.snapshot, rec.length_ms = snap.snapshotId, snapshot_length(snap, session)
    j:put(key, rec)
  end
  if not rec.clip then
    rec.clip = existing_clip(rec.snapshot, rec.failed)
    if not rec.clip then
      local stop = rec.length_ms
      local start = math.max(0, stop - math.floor(cfg.length * 1000))
      if stop - start < 100 then error("less than 100 ms recorded so far; nothing to clip", 0) end
      local made = must(ls:call("shortclip.create", { channelId = channel_id, snapshotId = tostring(rec.snapshot),
        startTime = start, endTime = stop,
        shortclip = { output = { accessControl = cfg.access, bucketName = cfg.bucket, filePath = cfg.path } } }))
      rec.clip = (made.shortclip or made).id
    end
    j:put(key, rec)
  end
  local done, err = ls:wait("shortclip_completed", { channelId = channel_id, id = tostring(rec.clip) },
    { interval = 0.5, max_interval = 5, timeout = 1800 })
  if not done then
    if err.kind ~= "timeout" and not err.retryable then
      rec.failed[tostring(rec.clip)] = true -- it failed: the next attempt makes another
      rec.clip = nil
      j:put(key, rec)
    end -- else the next attempt waits for the same clip again
    error(tostring(err), 0)
  end
  local c = done.shortclip or done
  local out = c.output or {}
  rec.done = { id = c.id, status = c.status, duration = c.duration, size = c.fileSize,
    where = string.format("%s%s/%s", out.bucketName or cfg.bucket, out.filePath or cfg.path, out.fileName or "?") }
  j:put(key, rec)
  p:say("clip %s COMPLETED: %s (%s, %.1f MB)", tostring(c.id), rec.done.where,
    time.span((c.duration or 0) / 1000), (c.fileSize or 0) / 1e6)
  return rec
end

---------------------------------------------------------------- sessions

local session, job -- the broadcast being clipped, and its job
local busy = 0     -- clip runs going on
local closed = 0   -- sessions ended since the script started

local function session_summary(s)
  local made, missed, lines = 0, 0, {}
  for _, k in ipairs(j:names(string.format("clip.%d.", s))) do
    local rec = j:get(k)
    if rec and rec.done then
      made = made + 1
      lines[#lines + 1] = string.format("%s  %s", time.clock(rec.slot / 1000, zone), rec.done.where)
    elseif rec then
      missed = missed + 1
      lines[#lines + 1] = string.format("%s  not made", time.clock(rec.slot / 1000, zone))
    end
  end
  p:summary("clips of " .. cfg.channel, {
    { "channel", channel_id .. " (" .. cfg.channel .. ")" },
    { "broadcast", "from " .. time.format(s / 1000, zone) },
    { "clips", string.format("%d made%s, the last %s every %s", made,
      missed > 0 and (", " .. missed .. " not made") or "", time.span(cfg.length), time.span(cfg.every)) },
    { "", lines },
  })
end

-- Clips of session s started before it ended (or before a restart):
-- their snapshot stays usable, so they are finished.
local function finish_started(s)
  for _, k in ipairs(j:names(string.format("clip.%d.", s))) do
    local rec = j:get(k)
    if rec and not rec.done and rec.snapshot then
      local ok, err = pcall(make_clip, s, rec.slot)
      if not ok then p:say("clip of %s not made: %s", time.clock(rec.slot / 1000, zone), tostring(err)) end
    end
  end
end

local function close_session(s, why)
  p:say("%s: no more clips", why)
  finish_started(s)
  session_summary(s)
  j:put("session", nil)
  closed = closed + 1
end

local function end_session(why)
  if not session then return end
  local s = session
  session = nil
  if job then job.cancel() job = nil end
  while busy > 0 do livestation.sleep(0.1) end -- the clip being made is finished first
  close_session(s, why)
end

local look -- below

local function tick(ctx)
  local s = session
  if not s then return end
  busy = busy + 1
  local _ <close> = setmetatable({}, { __close = function() busy = busy - 1 end })
  if ctx.attempt > 1 then p:say("clip of %s: attempt %d", time.clock(ctx.scheduled, zone), ctx.attempt) end
  local ok, err = pcall(make_clip, s, math.floor(ctx.scheduled * 1000 + 0.5))
  if ok and not err then livestation.spawn(look) end -- not publishing any more
  if not ok then
    p:say("clip of %s failed: %s", time.clock(ctx.scheduled, zone), tostring(err))
    error(err, 0)
  end
end

local function begin_session(start_ms, resumed)
  if session == start_ms then return end
  if session then end_session("a new broadcast began") end
  session = start_ms
  j:put("session", { start = start_ms })
  p:say("%s %s publishing since %s: a clip of the last %s every %s into %s%s",
    resumed and "still" or "channel", channel_id, time.clock(start_ms / 1000, zone),
    time.span(cfg.length), time.span(cfg.every), cfg.bucket, cfg.path)
  job = livestation.every(cfg.every, tick, {
    name = string.format("%s:%d", name, start_ms), overlap = "skip", catch_up = "once",
    retry = { attempts = cfg.retries + 1, backoff = cfg.retry_backoff },
  })
end

-- Looks at the channel and starts or ends the session to match.
function look(resumed)
  local now = must(ls:call("channel.get", { channelId = channel_id }))
  if now.channelStatus == "PUBLISHING" and now.recentPublishStartTime then
    begin_session(now.recentPublishStartTime, resumed)
  elseif session then
    end_session("the broadcast ended")
  end
  return now
end

---------------------------------------------------------------- run

local stale = j:get("session")
local first = look(stale ~= nil)
if stale and stale.start ~= session then
  close_session(stale.start, "the broadcast of " .. time.clock(stale.start / 1000, zone)
    .. " ended while the script was not running")
  if not cfg.keep_watching and not session then return end
  closed = 0
end
if not session then
  p:say("waiting for channel %s (%s) to publish; it is %s", channel_id, cfg.channel, first.channelStatus)
end

local receiver
if cfg.webhook then
  local w = cfg.webhook
  local err
  receiver, err = livestation.webhook { host = w.host, port = w.port, path = w.path, token = w.token }
  if not receiver then error(err, 0) end
  local url = w.url or receiver.url()
  if w.token then url = url .. (url:find("?", 1, true) and "&" or "?") .. "token=" .. w.token end
  must(ls:call("callback.registerLive", { channelId = channel_id, callbackEndpoint = url }))
  p:say("webhook listening at %s; channel %s calls it", receiver.url(), channel_id)
  local function on_event(ev) if ev.channelId == channel_id then look() end end
  livestation.on("PUBLISH_START", on_event)
  livestation.on("PUBLISH_END", on_event)
end

-- With a webhook, events drive the sessions and a slow poll is the safety net.
local interval = receiver and math.max(cfg.poll, 30) or cfg.poll
local next_look = livestation.now() + interval
while cfg.keep_watching or closed == 0 do
  livestation.sleep(math.min(interval, 0.5))
  if livestation.now() >= next_look then
    look()
    next_look = livestation.now() + interval
  end
end
if receiver then receiver.close() end
