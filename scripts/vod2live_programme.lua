-- vod2live_programme.lua: a VOD2LIVE channel and its programme.
--
--   ./lsrun scripts/vod2live_programme.lua programme.lua       (Live Station)
--   ./lsrun --emulator --speed 10 scripts/vod2live_programme.lua scripts/examples/demo_programme.lua
--
-- The LIST is a config whose programme is a list of blocks, each a start
-- time and the mp4 files to air from it, in order. The script makes sure
-- the VOD2LIVE channel exists (reusing one of the same name) and is
-- READY, registers each block's schedule (a channel holds one at a time,
-- so the next block is registered when the previous one has aired) and
-- waits until it is processed, and once a block is on air verifies it:
-- the channel PUBLISHING, its playback URL, the PUBLISH_START event.
-- Steps are kept in the step journal: a restart goes on where it stopped.
--
-- Live Station wants 10 minutes' notice for a schedule. Against the
-- emulator the script does not wait for the start: it moves the
-- emulator's clock forward (fast_forward).

local livestation = require "livestation"
local config = livestation.config
local time = livestation.time
local encoder = require "livestation.kit.encoder"
local live = require "livestation.kit.live"
local progress = require "livestation.kit.progress"

local T = config.types
local must = live.must

local NOTICE = 600 -- seconds: a schedule starts 10 minutes after it is registered at the earliest
local ACTIVE = { CREATING = true, PROCESSING = true, READY = true, UPDATING = true }

---------------------------------------------------------------- config

local PROGRAMME = T.record({
  channel = T.record {
    name = T.name {},
    quality_set = T.either(T.integer { min = 1 }, T.string {}, { optional = true }),
    protocol = T.enum({ "HLS", "LL_HLS", "HLS,DASH" }, { default = "HLS" }),
    cdn = T.record {
      profile_id = T.integer { min = 0, what = "the Global Edge profile id" },
      region = T.enum({ "KOREA", "JAPAN", "GLOBAL" }, { default = "KOREA" }),
      instance_no = T.integer { optional = true },
      domain = T.string { optional = true },
    },
  },
  zone = T.zone { optional = true },
  programme = T.list(T.record {
    at = T.time {},
    files = T.list(T.file { ext = { ".mp4" } }, { min = 1, max = 50 }),
  }, { min = 1 }),
  at_end = T.enum({ "keep", "delete" }, { default = "keep" }),
  fast_forward = T.boolean { optional = true },
}, { check = function(c, add)
  local z = time.zone(c.zone)
  for i = 2, #c.programme do
    if time.resolve(c.programme[i].at, z) <= time.resolve(c.programme[i - 1].at, z) then
      add("programme[" .. i .. "].at", "must be after programme[" .. (i - 1) .. "].at")
    end
  end
end })

local cfg, path = config.from_args(arg, PROGRAMME, "lsrun scripts/vod2live_programme.lua [--check] LIST")

local ls = livestation.new {}
local zone = time.zone(cfg.zone)

local ff = cfg.fast_forward ~= false and encoder.for_client(ls, nil) or nil
if cfg.fast_forward and not ff then
  config.fail(path, { "fast_forward: needs the emulator; " .. ls.endpoint .. " is not one" })
end

-- Live Station's clock: the emulator's when fast-forwarding (it may
-- have been moved), else ours. Progress lines show it too.
local function service_now()
  if ff then return must(ff:now_ms()) / 1000 end
  return os.time()
end
local p = progress.new { zone = zone, now = service_now }

local host = ls.site
local j = livestation.workflow("vod2live:" .. cfg.channel.name .. "@" .. host .. ":" .. tostring(cfg.programme[1].at))
local anchor = j:get("anchor") or j:put("anchor", math.floor(service_now()))
for i, b in ipairs(cfg.programme) do
  b.index, b.t = i, time.resolve(b.at, zone, anchor)
end
local first = cfg.programme[1]
if not j:done("schedule.1") and first.t - service_now() < NOTICE then
  config.fail(path, { string.format("programme[1].at: %s is %s; Live Station needs 10 minutes' notice",
    time.format(first.t, zone), first.t > service_now() and ("only " .. time.span(first.t - service_now()) .. " away")
      or "past") })
end

-- Waits until service time t: moves the emulator's clock, or sleeps.
local function wait_until(t)
  local now = service_now()
  if now >= t then return end
  if ff then
    must(ff:advance(math.ceil((t - now) * 1000)))
    p:say("emulator clock moved forward %s to %s", time.span(t - now), time.clock(t, zone))
  else
    p:say("waiting until %s", time.clock(t, zone))
    livestation.sleep(t - now)
  end
end

-- The 14-digit KST wall clock the API takes as an integer.
local function kst_stamp(t)
  return math.tointeger(tonumber(time.kst(math.floor(t))))
end

-- A schedule's startTime as epoch seconds (epoch ms, or a KST stamp).
local function start_of(s)
  return time.from_api(s.startTime) or 0
end

---------------------------------------------------------------- channel

local function find_channel(name)
  for ch in ls:each("vod.channel.list", {}) do
    if ch.channelName == name and ch.channelStatus ~= "DELETED" then return ch end
  end
end

local function channel_id() return j:result("channel").id end

local function get_channel()
  return must(ls:call("vod.channel.get", { channelId = channel_id() }))
end

local function prepare()
  j:step("channel", function()
    local made_before = j:get("creating")
    j:put("creating", true)
    local ch = find_channel(cfg.channel.name)
    local reused = ch ~= nil and not made_before
    if not ch then
      local qs = live.quality_set(ls, cfg.channel.quality_set)
      local c = cfg.channel.cdn
      ch = must(ls:call("vod.channel.create", { channelName = cfg.channel.name, qualitySetId = qs,
        outputProtocol = cfg.channel.protocol, drmEnabledYn = false,
        cdn = { createCdn = c.instance_no == nil, cdnType = "GLOBAL_EDGE", profileId = c.profile_id,
                regionType = c.region, cdnInstanceNo = c.instance_no, cdnDomain = c.domain } }))
    end
    p:say("%s VOD2LIVE channel %s (%s)", reused and "reusing" or "created", ch.channelId, ch.channelName)
    return { id = ch.channelId, reused = reused }
  end)
  j:step("ready", function()
    local ch = get_channel()
    if ch.channelStatus == "BLOCK" then must(ls:call("vod.channel.resume", { channelId = ch.channelId })) end
    ch = must(ls:wait("vod.channel.get", { channelId = ch.channelId }, { interval = 1, max_interval = 5,
      timeout = 900, ["until"] = function(c)
        if c.channelStatus == "CREATING" then return false, c.channelStatus end
        if c.channelStatus == "DELETED" then return nil, "the channel is DELETED" end
        return true
      end }))
    p:say("channel %s %s", ch.channelId, ch.channelStatus)
    return true
  end)
end

---------------------------------------------------------------- one block

-- The channel's schedule that is waiting or airing, if any.
local function active_schedule()
  for _, s in ipairs(get_channel().scheduleList or {}) do
    if ACTIVE[s.status] then return must(ls:call("vod.schedule.get", { scheduleId = s.scheduleId })) end
  end
end

local function register(b)
  return j:step("schedule." .. b.index, function()
    local s = active_schedule()
    if s and math.abs(start_of(s) - b.t) < 1 then
      p:say("block %d: schedule %s already registered", b.index, tostring(s.scheduleId))
    elseif s then
      error(string.format("channel %s already has schedule %s starting %s; delete it or wait for it to air",
        channel_id(), tostring(s.scheduleId), time.format(start_of(s), zone)), 0)
    else
      local ahead = b.t - service_now()
      if ahead < NOTICE then
        error(string.format("programme[%d] starts %s; Live Station needs 10 minutes' notice "
          .. "(only %s left)", b.index, time.format(b.t, zone), time.span(math.max(0, ahead))), 0)
      end
      local list = {}
      for i, f in ipairs(b.files) do list[i] = { bucketName = f.bucket, filePath = f.path } end
      s = must(ls:call("vod.schedule.create", { channelId = channel_id(), startTime = kst_stamp(b.t), vodList = list }))
      p:say("block %d: schedule %s registered for %s, %d file(s)", b.index, tostring(s.scheduleId),
        time.format(b.t, zone), #list)
    end
    return { id = s.scheduleId, ends = s.endTime and s.endTime / 1000 or nil }
  end)
end

local function processed(b, sched)
  return j:step("processed." .. b.index, function()
    local s = must(ls:wait("vod.schedule.get", { scheduleId = sched.id }, { interval = 1, max_interval = 10,
      timeout = math.max(60, b.t - service_now()), ["until"] = function(c)
        if c.status == "READY" then return true end
        if c.status == "PROCESSING_FAIL" or c.status == "DELETED" then return nil, "the schedule is " .. c.status end
        return false, c.status
      end }))
    p:say("block %d: schedule %s %s", b.index, tostring(s.scheduleId), s.status)
    return true
  end)
end

local function has_publish_start(since)
  for _, e in ipairs(ls:call("event.list", { channelId = channel_id() }) or {}) do
    if e.eventCode == "PUBLISH_START" and (e.timestamp or 0) >= since * 1000 then return true end
  end
  return false
end

local function on_air(b, sched)
  return j:step("on_air." .. b.index, function()
    wait_until(b.t + 1)
    local ch = must(ls:wait("vod_schedule_publishing", { channelId = channel_id() },
      { interval = 1, max_interval = 5, timeout = 300 }))
    local url = live.playback_url(ls, "vod.channel.serviceUrls", channel_id())
    local event = has_publish_start(b.t - 60)
    local checks = { "channel " .. ch.channelStatus, url and "playback URL" or "NO playback URL",
      event and "PUBLISH_START event" or "no PUBLISH_START event yet" }
    if not url then p:loud("block %d is on air but has no playback URL", b.index) end
    p:say("block %d ON AIR, verified: %s", b.index, table.concat(checks, ", "))
    if url then p:say("  watch at %s", url) end
    return { at = service_now(), url = url, event = event, schedule = sched.id }
  end)
end

local function aired(b, sched)
  return j:step("aired." .. b.index, function()
    if sched.ends then wait_until(sched.ends + 1) end
    local s = must(ls:wait("vod.schedule.get", { scheduleId = sched.id }, { interval = 5, max_interval = 60,
      timeout = 14 * 86400, ["until"] = function(c)
        if c.status == "FINISH" then return true end
        if c.status == "DELETED" then return nil, "the schedule was DELETED" end
        return false, c.status
      end }))
    p:say("block %d: schedule %s %s", b.index, tostring(s.scheduleId), s.status)
    return { at = service_now() }
  end)
end

---------------------------------------------------------------- summary

local function result(step) return j:result(step) end

local function summary()
  local ch = result("channel") or {}
  local rows = { { "channel", string.format("%s (%s), %s, %s", ch.id or "-", cfg.channel.name,
    ch.reused and "reused" or "created", (result("end") or {}).status or "?") } }
  for _, b in ipairs(cfg.programme) do
    local s, air = result("schedule." .. b.index) or {}, result("on_air." .. b.index) or {}
    local done = result("aired." .. b.index)
    rows[#rows + 1] = { "block " .. b.index, {
      string.format("%s, %d file(s), schedule %s", time.format(b.t, zone), #b.files, tostring(s.id or "-")),
      air.at and string.format("on air, verified (%s%s)", air.url and "playback URL" or "no playback URL",
        air.event and ", PUBLISH_START" or "") or "not on air",
      done and "aired to the end" or nil,
    } }
  end
  p:summary("programme of " .. cfg.channel.name, rows)
end

---------------------------------------------------------------- run

if j:done("end") then
  p:say("the programme of %s has already been run", cfg.channel.name)
  summary()
  return
end
p:say("programme of %s: %d block(s) from %s%s", cfg.channel.name, #cfg.programme,
  time.format(cfg.programme[1].t, zone), ff and " (emulator: its clock is moved forward)" or "")
local ok, err = pcall(function()
  prepare()
  for i, b in ipairs(cfg.programme) do
    local sched = register(b)
    processed(b, sched)
    on_air(b, sched)
    if i < #cfg.programme or cfg.at_end == "delete" then aired(b, sched) end
  end
  j:step("end", function()
    if cfg.at_end ~= "delete" then
      local st = get_channel().channelStatus
      p:say("channel %s kept (%s)", channel_id(), st)
      return { status = "kept" }
    end
    must(ls:wait("vod.channel.get", { channelId = channel_id() }, { interval = 2, timeout = 300,
      ["until"] = function(c) return c.channelStatus == "READY", c.channelStatus end }))
    must(ls:call("vod.channel.delete", { channelId = channel_id() }))
    p:say("channel %s DELETED", channel_id())
    return { status = "DELETED" }
  end)
end)
if not ok then p:stopped(err) end
summary()
