-- Re-stream (simulcast) channels: one ingest relayed to up to 3
-- (STANDARD) or 5 (PROFESSIONAL) RTMP targets. CREATING, READY a moment
-- later; PUBLISHING while the simulated encoder sends (see encoder.lua);
-- targets cannot be edited and the channel cannot be terminated while it
-- is publishing. Passwords are shown masked except their first character.

local json = require "livestation.json"
local reply = require "livestation.emulator.reply"
local find = require "livestation.emulator.find"
local media = require "livestation.emulator.media"
local events = require "livestation.emulator.events"
local channel = require "livestation.emulator.handlers.channel"

local M = {}

local fail, array = reply.fail, json.array

M.PROVISION_MS = 3000

local function mask(s)
  if s == nil or s == "" then return s end
  return s:sub(1, 1) .. string.rep("*", #s - 1)
end

local function view_target(pl)
  return { targetName = pl.targetName, rtmpUrl = pl.rtmpUrl, streamKey = pl.streamKey,
    id = pl.id, password = mask(pl.password) }
end

-- The channel as the list shows it (no target array).
function M.view_summary(emu, ch)
  local seconds = ch.totalPublishSeconds or 0
  if ch.status == "PUBLISHING" then seconds = seconds + (emu.clock:now() - ch.recentPublishStartTime) // 1000 end
  return {
    channelId = ch.channelId, channelName = ch.channelName, instanceNo = ch.instanceNo,
    channelStatus = ch.status, streamKey = ch.streamKey, publishUrl = ch.publishUrl,
    globalPublishUrl = ch.globalPublishUrl, planType = ch.planType, createdTime = ch.createdTime,
    platformCount = #ch.platforms, totalPublishSeconds = seconds,
    recentPublishStartTime = ch.recentPublishStartTime or 0, alertOn = ch.alertOn,
    isPublishing = ch.status == "PUBLISHING",
    alertOptions = { alertChangeStatus = ch.alertOptions.alertChangeStatus,
      alertVodUploadFail = ch.alertOptions.alertVodUploadFail,
      alertReStreamFail = ch.alertOptions.alertReStreamFail },
    envType = ch.envType, callbackEndpoint = ch.callbackEndpoint,
  }
end

function M.view(emu, ch)
  local v = M.view_summary(emu, ch)
  local targets = array()
  for i, pl in ipairs(ch.platforms) do targets[i] = view_target(pl) end
  v.restream = targets
  return v
end

local function view_platform(emu, ch, pl)
  local v = view_target(pl)
  v.platId = pl.platId
  v.connectStatus = pl.connectStatus
  local live = pl.connectStatus == "PUBLISHING" and pl.connectedAt and ch.ingest
  local secs = live and (emu.clock:now() - pl.connectedAt) // 1000 or 0
  local rate = live and ch.ingest.stream.video_bitrate // 8 or 0
  v.bytesPerSecond = rate
  v.totalRetryCount = pl.connectStatus == "FAIL" and 3 or 0
  v.bytesTotalTrans = (pl.bytesTotalTrans or 0) + secs * rate
  v.totalPlaySecond = (pl.totalPlaySecond or 0) + secs
  return v
end

local ops = {}
M.ops = ops

ops["restream.create"] = function(emu, p)
  local w, now = emu.model, emu.clock:now()
  local id = channel.new_id(emu, now)
  local platforms = {}
  for i, t in ipairs(p.restream) do
    platforms[i] = { platId = w:next_id("platform"), targetName = t.targetName, rtmpUrl = t.rtmpUrl,
      streamKey = t.streamKey, id = t.id, password = t.password, connectStatus = "READY",
      bytesTotalTrans = 0, totalPlaySecond = 0 }
  end
  local ch = {
    channelId = id, channelName = p.channelName, instanceNo = w:next_id("instance"), status = "CREATING",
    streamKey = media.stream_key(), publishUrl = media.PUBLISH_URL, globalPublishUrl = media.GLOBAL_PUBLISH_URL,
    planType = p.planType, envType = p.envType or "REAL", createdTime = now, platforms = platforms,
    zone = emu.zone,
    totalPublishSeconds = 0, recentPublishStartTime = 0, alertOn = false, isPublishing = false,
    alertOptions = { alertChangeStatus = false, alertVodUploadFail = false, alertReStreamFail = false },
    streamSeq = 0,
  }
  w:put("restreams", id, ch)
  emu.timeline:after(M.PROVISION_MS, "restream.ready", { ref = id })
  return M.view(emu, ch)
end

M.on_ready = channel.becomes_ready("restreams")

ops["restream.list"] = function(emu, p)
  local all = emu.model:sorted("restreams", function(ch) return find.visible(emu, ch) end)
  return reply.page(all, p, function(ch) return M.view_summary(emu, ch) end)
end

ops["restream.get"] = function(emu, p)
  return M.view(emu, find.restream(emu, p.channelId))
end

ops["restream.platforms"] = function(emu, p)
  local ch = find.restream(emu, p.channelId)
  local list = array()
  for i, pl in ipairs(ch.platforms) do list[i] = view_platform(emu, ch, pl) end
  return list
end

ops["restream.updatePlatform"] = function(emu, p)
  local ch = find.restream(emu, p.channelId)
  local target
  for _, pl in ipairs(ch.platforms) do
    if pl.platId == p.platformId then target = pl end
  end
  if not target then fail(250004, "Platform") end
  if ch.status == "PUBLISHING" then fail(250102) end
  if ch.status == "DELETED" then fail(250005, "Editing a terminated channel") end
  target.rtmpUrl, target.streamKey = p.rtmpUrl, p.streamKey
  if p.streamId ~= nil then target.id = p.streamId end
  if p.streamPassword ~= nil then target.password = p.streamPassword end
  emu.model:touch(ch)
  events.emit(emu, ch.channelId, "STREAM_UPDATE",
    string.format("%s channel's %s target was changed.", ch.channelName, target.targetName))
  local v = view_target(target)
  v.platId = target.platId
  return v
end

ops["restream.delete"] = function(emu, p)
  local ch = find.restream(emu, p.channelId)
  if ch.status == "PUBLISHING" then fail(250102) end
  if ch.status == "DELETED" then fail(250005, "Terminating a terminated channel") end
  ch.status = "DELETED"
  emu.model:touch(ch)
  events.emit(emu, ch.channelId, "STREAM_UPDATE", ch.channelName .. " channel was terminated.")
  return M.view_summary(emu, ch)
end

M.transitions = { ["restream.ready"] = M.on_ready }

return M
