-- VOD2LIVE channels and their broadcast schedule.
--
-- Channel: CREATING -> READY (provisioned) -> RESERVED (a schedule is
-- registered) -> PUBLISHING at the schedule's startTime -> READY when
-- its files have played; stop (from RESERVED or PUBLISHING) -> BLOCK,
-- resume -> READY. Settings change in READY or RESERVED; service URLs in
-- RESERVED or PUBLISHING; CDN changes and termination in READY.
-- Schedule: CREATING -> PROCESSING -> READY (PROCESSING_FAIL when a file
-- path contains "fail"), UPDATING -> READY on edit, FINISH after airing,
-- DELETED. startTime is KST yyyyMMddHHmmss, 10 minutes to 14 days ahead.

local json = require "livestation.json"
local reply = require "livestation.emulator.reply"
local find = require "livestation.emulator.find"
local events = require "livestation.emulator.events"
local kst = require "livestation.kst"
local channel = require "livestation.emulator.handlers.channel"

local M = {}

local fail, array = reply.fail, json.array

M.PROVISION_MS = 5000
M.PREPARE_MS = 1000        -- CREATING -> PROCESSING
M.PROCESS_MS = 3000        -- PROCESSING -> READY
M.UPDATE_MS = 2000         -- UPDATING -> READY
M.FILE_SECONDS = 600       -- assumed play time of each mp4 (not knowable here)
M.MIN_AHEAD_MS = 10 * 60 * 1000          -- documented
M.MAX_AHEAD_MS = 14 * 24 * 3600 * 1000   -- documented

---------------------------------------------------------------- views

local function view_schedule(s)
  local list = array()
  for i, f in ipairs(s.vodList) do list[i] = { bucketName = f.bucketName, filePath = f.filePath } end
  return {
    scheduleId = s.id, channelId = s.channelId, createdTime = s.createdTime, startTime = s.startTime,
    endTime = s.endTime, updatedTime = s.updatedTime, deletedTime = s.deletedTime, status = s.status,
    vodList = list,
  }
end

local function schedules_of(emu, channel_id)
  return emu.model:sorted("schedules", function(s) return s.channelId == channel_id end)
end

-- Schedule `s` is `status` as of `now`.
local function set_status(emu, s, status, now)
  s.status, s.updatedTime = status, now
  emu.model:touch(s)
end

-- Drops the pending transitions of schedule `id`.
local function cancel_timers(emu, id)
  emu.timeline:cancel(function(t) return t.ref == id and t.kind:find("^vod%.schedule") ~= nil end)
end

local function channel_of(emu, s)
  return emu.model:get("vods", s.channelId)
end

function M.view(emu, ch)
  local set = emu.model:get("quality_sets", ch.qualitySetId)
  local v = {
    channelId = ch.channelId, channelName = ch.channelName, instanceNo = ch.instanceNo,
    qualitySetId = ch.qualitySetId, qualitySetName = set and set.name or "",
    outputProtocol = ch.outputProtocol, channelStatus = ch.status, cdn = channel.view_cdn(ch.cdn),
    alertOn = ch.alertOn, alertOptions = { alertChangeStatus = ch.alertOptions.alertChangeStatus },
    totalPublishSeconds = channel.publish_seconds(emu, ch), createdTime = ch.createdTime,
    updatedTime = ch.updatedTime, envType = ch.envType, type = "VOD",
    callbackEndpoint = ch.callbackEndpoint, drmEnabledYn = ch.drmEnabledYn,
  }
  local list = schedules_of(emu, ch.channelId)
  if #list > 0 then
    v.scheduleList = array()
    for i, s in ipairs(list) do v.scheduleList[i] = { scheduleId = s.id, status = s.status } end
  end
  return v
end

local status_fail = channel.status_fail

local function changed(emu, ch, what)
  ch.updatedTime = emu.clock:now()
  channel.changed(emu, ch, what)
end

---------------------------------------------------------------- channels

local ops = {}
M.ops = ops

ops["vod.channel.create"] = function(emu, p)
  local ch = channel.new_channel(emu, p, {
    channelName = p.channelName, envType = p.envType or "REAL", alertOptions = { alertChangeStatus = false },
  })
  ch.updatedTime = ch.createdTime
  emu.model:put("vods", ch.channelId, ch)
  emu.timeline:after(M.PROVISION_MS, "vod.ready", { ref = ch.channelId })
  return M.view(emu, ch)
end

M.on_ready = channel.becomes_ready("vods")

ops["vod.channel.list"] = function(emu, p)
  local all = emu.model:sorted("vods", function(ch) return find.visible(emu, ch) end)
  return reply.page(all, p, function(ch) return M.view(emu, ch) end)
end

ops["vod.channel.get"] = function(emu, p)
  return M.view(emu, find.vod(emu, p.channelId))
end

ops["vod.channel.serviceUrls"] = function(emu, p)
  local ch = find.vod(emu, p.channelId)
  if ch.status ~= "RESERVED" and ch.status ~= "PUBLISHING" then status_fail(ch, "Service URLs of") end
  if ch.cdn.statusName ~= "RUNNING" then fail(250124) end
  return channel.playback_urls(emu, ch, p.serviceUrlType)
end

ops["vod.channel.update"] = function(emu, p)
  local ch = find.vod(emu, p.channelId)
  if ch.status ~= "READY" and ch.status ~= "RESERVED" then status_fail(ch, "Changing") end
  local protocol = p.outputProtocol or ch.outputProtocol
  channel.check_protocol_change(ch, protocol)
  ch.channelName = p.channelName
  if p.envType then ch.envType = p.envType end
  ch.outputProtocol = protocol
  changed(emu, ch, "settings were changed")
  return M.view(emu, ch)
end

-- The schedule that is waiting or airing on a channel, if any.
local function active_schedule(emu, ch)
  for _, s in ipairs(schedules_of(emu, ch.channelId)) do
    if s.status ~= "FINISH" and s.status ~= "DELETED" and s.status ~= "PROCESSING_FAIL" then return s end
    if s.status == "PROCESSING_FAIL" and ch.status == "RESERVED" then return s end
  end
end

local function finish_airing(emu, ch)
  local now = emu.clock:now()
  ch.totalPublishSeconds = (ch.totalPublishSeconds or 0) + (now - (ch.recentPublishStartTime or now)) // 1000
  events.emit(emu, ch.channelId, "PUBLISH_END", ch.channelName .. " channel stopped publishing.")
end

-- Stopping drops the waiting schedule (DELETED) or ends the airing one
-- (FINISH); the channel is then BLOCK with no schedule.
ops["vod.channel.stop"] = function(emu, p)
  local ch = find.vod(emu, p.channelId)
  if ch.status ~= "RESERVED" and ch.status ~= "PUBLISHING" then status_fail(ch, "Stopping") end
  local s = active_schedule(emu, ch)
  local now = emu.clock:now()
  if ch.status == "PUBLISHING" then finish_airing(emu, ch) end
  if s then
    set_status(emu, s, ch.status == "PUBLISHING" and "FINISH" or "DELETED", now)
    if s.status == "DELETED" then s.deletedTime = now end
  end
  cancel_timers(emu, s and s.id)
  ch.status = "BLOCK"
  changed(emu, ch, "was stopped")
  return M.view(emu, ch)
end

ops["vod.channel.resume"] = function(emu, p)
  local ch = find.vod(emu, p.channelId)
  if ch.status ~= "BLOCK" then status_fail(ch, "Resuming") end
  ch.status = "READY"
  changed(emu, ch, "was resumed")
  return M.view(emu, ch)
end

ops["vod.channel.changeCdn"] = function(emu, p)
  local ch = find.vod(emu, p.channelId)
  if ch.status ~= "READY" then status_fail(ch, "Changing the CDN of") end
  return { cdn = channel.change_cdn(emu, "vods", ch, p.cdn) }
end

ops["vod.channel.bulkChangeCdn"] = function(emu, p)
  return channel.bulk_change(emu, "vods", p)
end

ops["vod.channel.delete"] = function(emu, p)
  local ch = find.vod(emu, p.channelId)
  channel.check_deletable(ch)
  ch.status = "DELETED"
  changed(emu, ch, "was terminated")
  return M.view(emu, ch)
end

---------------------------------------------------------------- schedules

-- startTime (KST yyyyMMddHHmmss) as epoch ms within the allowed window.
local function start_ms(emu, v)
  local ms = kst.parse(v)
  if not ms then fail(250002, "startTime") end
  local now = emu.clock:now()
  if ms < now + M.MIN_AHEAD_MS or ms > now + M.MAX_AHEAD_MS then fail(250002, "startTime") end
  return ms
end

local function vod_list(list)
  if #list == 0 then fail(250011, "vodList") end
  local out = {}
  for i, f in ipairs(list) do
    if not f.bucketName or not f.filePath then fail(250011, string.format("vodList[%d]", i)) end
    out[i] = { bucketName = f.bucketName, filePath = f.filePath }
  end
  return out
end

local function plan(emu, s)
  s.endTime = s.startTime + #s.vodList * M.FILE_SECONDS * 1000
  local fails = false
  for _, f in ipairs(s.vodList) do
    if f.filePath:find("fail", 1, true) then fails = true end
  end
  s.fails = fails
  cancel_timers(emu, s.id)
  emu.timeline:at(s.startTime, "vod.schedule.start", { ref = s.id })
end

ops["vod.schedule.create"] = function(emu, p)
  local ch = find.channel_in_body(emu, "vods", p.channelId)
  if ch.status ~= "READY" then status_fail(ch, "Scheduling") end
  if active_schedule(emu, ch) then fail(250005, "A second schedule on the channel") end
  local now = emu.clock:now()
  local w = emu.model
  local s = {
    id = w:next_id("schedule"), channelId = ch.channelId, createdTime = now, updatedTime = now,
    startTime = start_ms(emu, p.startTime), status = "CREATING", vodList = vod_list(p.vodList),
  }
  plan(emu, s)
  w:put("schedules", s.id, s)
  emu.timeline:after(M.PREPARE_MS, "vod.schedule.prepared", { ref = s.id })
  ch.status = "RESERVED"
  changed(emu, ch, "was reserved")
  return view_schedule(s)
end

local function schedule(emu, id)
  local s = emu.model:get("schedules", id)
  if not s then fail(250004, "Schedule") end
  return s
end

-- The schedule a transition is about and its channel.
local function scheduled(emu, t)
  local s = emu.model:get("schedules", t.ref)
  if s then return s, channel_of(emu, s) end
end

function M.on_prepared(emu, t)
  local s = emu.model:get("schedules", t.ref)
  if not s or s.status ~= "CREATING" then return end
  set_status(emu, s, "PROCESSING", emu.clock:now())
  emu.timeline:after(M.PROCESS_MS, "vod.schedule.processed", { ref = s.id })
end

function M.on_processed(emu, t)
  local s = emu.model:get("schedules", t.ref)
  if not s or (s.status ~= "PROCESSING" and s.status ~= "UPDATING") then return end
  set_status(emu, s, s.fails and "PROCESSING_FAIL" or "READY", emu.clock:now())
end

-- At startTime a READY schedule airs; one that failed processing does
-- not, and the channel goes back to READY.
function M.on_start(emu, t)
  local s, ch = scheduled(emu, t)
  if not ch or ch.status ~= "RESERVED" then return end
  local now = emu.clock:now()
  if s.status ~= "READY" then
    set_status(emu, s, "PROCESSING_FAIL", now)
    ch.status = "READY"
    changed(emu, ch, "schedule could not air")
    return
  end
  ch.status = "PUBLISHING"
  ch.recentPublishStartTime = now
  emu.model:touch(ch)
  events.emit(emu, ch.channelId, "PUBLISH_START", ch.channelName .. " channel started publishing.")
  emu.timeline:at(s.endTime, "vod.schedule.end", { ref = s.id })
end

function M.on_end(emu, t)
  local s, ch = scheduled(emu, t)
  if not s then return end
  set_status(emu, s, "FINISH", emu.clock:now())
  if ch and ch.status == "PUBLISHING" then
    finish_airing(emu, ch)
    ch.status = "READY"
    ch.updatedTime = s.updatedTime
    emu.model:touch(ch)
  end
end

ops["vod.schedule.get"] = function(emu, p)
  return view_schedule(schedule(emu, p.scheduleId))
end

ops["vod.schedule.update"] = function(emu, p)
  local s = schedule(emu, p.scheduleId)
  local ch = channel_of(emu, s)
  if not ch or ch.status ~= "RESERVED" or s.status == "FINISH" or s.status == "DELETED" then
    fail(250005, "Editing a schedule that is not waiting to air")
  end
  if p.startTime ~= nil then s.startTime = start_ms(emu, p.startTime) end
  if p.vodList ~= nil then s.vodList = vod_list(p.vodList) end
  set_status(emu, s, "UPDATING", emu.clock:now())
  plan(emu, s)
  emu.timeline:after(M.UPDATE_MS, "vod.schedule.processed", { ref = s.id })
  return view_schedule(s)
end

ops["vod.schedule.delete"] = function(emu, p)
  local s = schedule(emu, p.scheduleId)
  if s.status == "DELETED" then fail(250004, "Schedule") end
  local ch = channel_of(emu, s)
  if ch and ch.status == "PUBLISHING" and s.status ~= "FINISH" then fail(250102) end
  local now = emu.clock:now()
  s.deletedTime = now
  set_status(emu, s, "DELETED", now)
  cancel_timers(emu, s.id)
  if ch and ch.status == "RESERVED" then
    ch.status = "READY"
    changed(emu, ch, "schedule was deleted")
  end
  return view_schedule(s)
end

M.transitions = {
  ["vod.ready"] = M.on_ready,
  ["vod.schedule.prepared"] = M.on_prepared,
  ["vod.schedule.processed"] = M.on_processed,
  ["vod.schedule.start"] = M.on_start,
  ["vod.schedule.end"] = M.on_end,
}

return M
