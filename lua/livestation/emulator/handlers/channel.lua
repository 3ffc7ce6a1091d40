-- Live channels: create (CREATING, READY a few seconds later with its
-- Global Edge), list, get, update, stop (BLOCK), resume, CDN changes,
-- terminate (DELETED), service URLs and stream metadata.
--
-- Status gates (ops notes): stop from READY or PUBLISHING; resume from
-- BLOCK; delete, CDN change and bulk CDN change only in READY; update
-- not while PUBLISHING; TIMEMACHINE URLs only while a DVR channel is on
-- air and recording.

local json = require "livestation.json"
local reply = require "livestation.emulator.reply"
local find = require "livestation.emulator.find"
local media = require "livestation.emulator.media"
local events = require "livestation.emulator.events"
local quality = require "livestation.emulator.handlers.quality"
local encoder = require "livestation.emulator.encoder"

local M = {}

local fail, array = reply.fail, json.array

-- Processing delays at speed 1 (ms).
M.PROVISION_MS = 5000
M.CDN_CHANGE_MS = 3000

---------------------------------------------------------------- views

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

function M.view_cdn(cdn)
  return {
    cdnType = cdn.cdnType, instanceNo = cdn.instanceNo, profileId = cdn.profileId,
    statusName = cdn.statusName, serviceName = cdn.serviceName, cdnDomain = cdn.cdnDomain,
    regionType = cdn.regionType,
  }
end

-- Seconds streamed in total, the running broadcast included.
function M.publish_seconds(emu, ch)
  local total = ch.totalPublishSeconds or 0
  if ch.status == "PUBLISHING" and ch.recentPublishStartTime then
    total = total + (emu.clock:now() - ch.recentPublishStartTime) // 1000
  end
  return total
end

function M.upload_path(ch)
  local r = ch.record
  if r.type ~= "AUTO_UPLOAD" then return "" end
  return "/" .. (r.bucketName or "") .. (r.filePath or "")
end

-- Settings that do not apply (a bucket without AUTO_UPLOAD) read "".
function M.view_record_settings(r)
  return { type = r.type, format = r.format or "", bucketName = r.bucketName or "",
    filePath = r.filePath or "", accessControl = r.accessControl or "" }
end

function M.view(emu, ch)
  local set = emu.model:get("quality_sets", ch.qualitySetId)
  local v = {
    channelId = ch.channelId, channelName = ch.channelName, instanceNo = ch.instanceNo,
    qualitySetId = ch.qualitySetId, qualitySetName = set and set.name or "",
    outputProtocol = ch.outputProtocol, ingestProtocol = ch.ingestProtocol,
    channelStatus = ch.status, isRecording = ch.isRecording, useDVR = ch.useDvr,
    immediateOnAir = ch.immediateOnAir, timemachineMin = ch.timemachineMin or 0,
    uploadPath = M.upload_path(ch), record = M.view_record_settings(ch.record), cdn = M.view_cdn(ch.cdn),
    publishUrl = ch.publishUrl, globalPublishUrl = ch.globalPublishUrl, streamKey = ch.streamKey,
    recentPublishStartTime = ch.recentPublishStartTime or 0, createdTime = ch.createdTime,
    alertOn = ch.alertOn, alertOptions = copy(ch.alertOptions), envType = ch.envType,
    isStreamFailOver = ch.isStreamFailOver, totalPublishSeconds = M.publish_seconds(emu, ch),
    callbackEndpoint = ch.callbackEndpoint, drmEnabledYn = ch.drmEnabledYn,
  }
  if ch.isStreamFailOver then v.backupStreamKey = ch.backupStreamKey end
  if ch.lastSnapshotId then v.snapshot = { snapshotId = ch.lastSnapshotId } end
  return v
end

---------------------------------------------------------------- helpers

local LL = { LL_HLS = true }

-- The output protocol must suit the quality set: LL_HLS needs a
-- low-latency set and HLS / HLS,DASH an ordinary one.
function M.check_protocol(set, protocol)
  if (LL[protocol] or false) ~= (set.isEnabledUll == true) then fail(250002, "qualitySetId") end
end

-- An update keeps a channel in the HLS family or in LL_HLS.
function M.check_protocol_change(ch, protocol)
  if (LL[protocol] or false) ~= (LL[ch.outputProtocol] or false) then fail(250002, "outputProtocol") end
end

function M.status_fail(ch, action)
  fail(250005, string.format("%s a channel in status %s", action, ch.status))
end
local status_fail = M.status_fail

-- A new Global Edge, or the existing one named in the request; in the
-- financial zone always an existing CDN+.
local function cdn_from_request(emu, c)
  if c.cdnType == "CDN_PLUS" then
    local no = tostring(c.cdnInstanceNo)
    return { createCdn = false, cdnType = "CDN_PLUS", instanceNo = no, profileId = 0,
      statusName = "RUNNING", serviceName = media.cdnplus_service_name(no), cdnDomain = media.cdnplus_domain(no) }
  end
  if c.createCdn then
    local no = tostring(emu.model:next_id("cdn"))
    return { createCdn = true, cdnType = c.cdnType, instanceNo = no, profileId = c.profileId,
      statusName = "CREATING", serviceName = media.edge_service_name(no),
      cdnDomain = media.edge_domain(no), regionType = c.regionType }
  end
  local no = tostring(c.cdnInstanceNo)
  return { createCdn = false, cdnType = c.cdnType, instanceNo = no, profileId = c.profileId,
    statusName = "RUNNING", serviceName = media.edge_service_name(no),
    cdnDomain = c.cdnDomain or media.edge_domain(no), regionType = c.regionType or "KOREA" }
end

local function record_from_request(r)
  local out = { type = r.type }
  if r.type ~= "NO_RECORD" then
    out.format = r.format or "MP4"
    out.accessControl = r.accessControl or "PRIVATE"
  end
  if r.type == "AUTO_UPLOAD" then
    out.bucketName = r.bucketName
    out.filePath = r.filePath or "/livestation"
  end
  return out
end

-- Settings shared by create and update.
local function apply_settings(ch, p)
  ch.channelName = p.channelName
  if p.envType then ch.envType = p.envType end
  if p.outputProtocol then ch.outputProtocol = p.outputProtocol end
  ch.useDvr = p.useDvr
  if p.immediateOnAir ~= nil then ch.immediateOnAir = p.immediateOnAir end
  ch.timemachineMin = p.useDvr and p.timemachineMin or 0
  ch.record = record_from_request(p.record)
end

function M.changed(emu, ch, what)
  emu.model:touch(ch)
  events.emit(emu, ch.channelId, "STREAM_UPDATE", string.format("%s channel %s.", ch.channelName, what))
end

---------------------------------------------------------------- operations

local ops = {}
M.ops = ops

-- A channel id stamped `now`, unused by channels of every kind.
function M.new_id(emu, now)
  local w = emu.model
  -- a seeded channel's own id (seed.lua checked it is free)
  local fixed = emu.next_channel_id
  if fixed then
    emu.next_channel_id = nil
    return fixed
  end
  return media.channel_id(now, function(x)
    return w:get("channels", x) or w:get("restreams", x) or w:get("vods", x)
  end)
end

-- What creating a live or a VOD2LIVE channel shares: the quality set with
-- the protocol and DRM it allows, a new id, the Global Edge; these fields
-- are added to `ch`, the kind's own, which it returns CREATING.
function M.new_channel(emu, p, ch)
  local set = find.quality_set(emu, p.qualitySetId)
  local protocol = p.outputProtocol or "HLS"
  M.check_protocol(set, protocol)
  if p.drmEnabledYn and quality.set_has(emu, set, "BYPASS") then fail(250002, "drmEnabledYn") end
  local now = emu.clock:now()
  ch.channelId, ch.instanceNo, ch.qualitySetId = M.new_id(emu, now), emu.model:next_id("instance"), set.id
  ch.zone = emu.zone
  ch.outputProtocol, ch.status, ch.cdn = protocol, "CREATING", cdn_from_request(emu, p.cdn)
  ch.drmEnabledYn, ch.drm = p.drmEnabledYn == true, p.drm
  ch.createdTime, ch.recentPublishStartTime, ch.totalPublishSeconds = now, 0, 0
  ch.alertOn = false
  return ch
end

ops["channel.create"] = function(emu, p)
  local publish, global = media.publish_urls(p.ingestProtocol)
  local ch = M.new_channel(emu, p, {
    envType = "REAL", ingestProtocol = p.ingestProtocol or "RTMP", immediateOnAir = false, isRecording = false,
    publishUrl = publish, globalPublishUrl = global, isStreamFailOver = p.isStreamFailOver == true,
    alertOptions = { alertChangeStatus = false, alertVodUploadFail = false, alertReStreamFail = false },
    streamSeq = 0, recordSeq = 0,
  })
  -- keys are drawn after the id, from the same random sequence
  ch.streamKey = media.stream_key()
  apply_settings(ch, p)
  if ch.isStreamFailOver then ch.backupStreamKey = media.stream_key() end
  emu.model:put("channels", ch.channelId, ch)
  emu.timeline:after(M.PROVISION_MS, "channel.ready", { ref = ch.channelId })
  return M.view(emu, ch)
end

-- CREATING -> READY once provisioning (and a new Global Edge) is done, for
-- the channels of `bucket`.
function M.becomes_ready(bucket)
  return function(emu, t)
    local ch = emu.model:get(bucket, t.ref)
    if not ch or ch.status ~= "CREATING" then return end
    ch.status = "READY"
    if ch.cdn and ch.cdn.statusName == "CREATING" then ch.cdn.statusName = "RUNNING" end
    emu.model:touch(ch)
    events.emit(emu, ch.channelId, "STREAM_RESERVE", ch.channelName .. " channel was created.")
  end
end

M.on_ready = M.becomes_ready("channels")

function M.on_cdn_changed(emu, t)
  local ch = emu.model:get(t.bucket or "channels", t.ref)
  if not ch or ch.cdn.statusName ~= "CHANGING" then return end
  ch.cdn.statusName = "RUNNING"
  emu.model:touch(ch)
end

local page = reply.page

ops["channel.list"] = function(emu, p)
  local matching = emu.model:sorted("channels", function(ch)
    return find.visible(emu, ch) and (not p.channelStatus or ch.status == p.channelStatus)
      and (not p.id or ch.channelId:find(p.id, 1, true) ~= nil)
      and (not p.channelName or ch.channelName:find(p.channelName, 1, true) ~= nil)
  end)
  return page(matching, p, function(ch) return M.view(emu, ch) end)
end

ops["channel.get"] = function(emu, p)
  return M.view(emu, find.channel(emu, p.channelId))
end

ops["channel.update"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status == "PUBLISHING" then fail(250102) end
  if ch.status ~= "READY" and ch.status ~= "BLOCK" then status_fail(ch, "Changing") end
  M.check_protocol_change(ch, p.outputProtocol or ch.outputProtocol)
  apply_settings(ch, p)
  M.changed(emu, ch, "settings were changed")
  return M.view(emu, ch)
end

ops["channel.stop"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status ~= "READY" and ch.status ~= "PUBLISHING" then status_fail(ch, "Stopping") end
  if ch.status == "PUBLISHING" then encoder.cut(emu, ch) end
  ch.status = "BLOCK"
  M.changed(emu, ch, "was stopped")
  return M.view(emu, ch)
end

ops["channel.resume"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status ~= "BLOCK" then status_fail(ch, "Resuming") end
  ch.status = "READY"
  M.changed(emu, ch, "was resumed")
  return M.view(emu, ch)
end

-- Only while PUBLISHING (250134); the other stream must be there (250005).
ops["channel.switchStream"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status ~= "PUBLISHING" or not ch.ingest then fail(250134) end
  local missing = encoder.switch(emu, ch)
  if missing then fail(250005, missing) end
  return M.view(emu, ch)
end

-- The Global Edge (CDN+ in the financial zone) a CDN change links to; it
-- is CHANGING for a moment.
function M.new_cdn(old, c)
  local no = tostring(c.cdnInstanceNo)
  if old.cdnType == "CDN_PLUS" then
    return { createCdn = false, cdnType = "CDN_PLUS", instanceNo = no, profileId = 0, statusName = "CHANGING",
      serviceName = media.cdnplus_service_name(no), cdnDomain = media.cdnplus_domain(no) }
  end
  return { createCdn = false, cdnType = "GLOBAL_EDGE", instanceNo = no, profileId = c.profileId,
    statusName = "CHANGING", serviceName = media.edge_service_name(no),
    cdnDomain = media.edge_domain(no), regionType = old.regionType or "KOREA" }
end

function M.change_cdn(emu, bucket, ch, c)
  ch.cdn = M.new_cdn(ch.cdn, c)
  emu.timeline:after(M.CDN_CHANGE_MS, "channel.cdnChanged", { ref = ch.channelId, bucket = bucket })
  M.changed(emu, ch, "CDN was changed")
  return M.view_cdn(ch.cdn)
end

ops["channel.changeCdn"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status ~= "READY" then status_fail(ch, "Changing the CDN of") end
  return { cdn = M.change_cdn(emu, "channels", ch, p.cdn) }
end

-- Every channel must exist and be READY, else nothing changes.
function M.bulk_change(emu, bucket, p)
  local list = {}
  for _, id in ipairs(p.channelList) do
    local ch = find.channel_in_body(emu, bucket, id)
    if ch.status ~= "READY" then status_fail(ch, "Changing the CDN of") end
    list[#list + 1] = ch
  end
  local cdn
  for _, ch in ipairs(list) do cdn = M.change_cdn(emu, bucket, ch, p.cdn) end
  local ids = array()
  for i, ch in ipairs(list) do ids[i] = ch.channelId end
  return { channelList = ids, cdn = cdn or M.view_cdn(M.new_cdn({}, p.cdn)) }
end

ops["channel.bulkChangeCdn"] = function(emu, p)
  return M.bulk_change(emu, "channels", p)
end

-- Terminating: READY only, never while publishing or while the CDN is
-- being set up or changed.
function M.check_deletable(ch)
  if ch.status == "PUBLISHING" then fail(250102) end
  local cdn = ch.cdn.statusName
  if cdn == "CREATING" or cdn == "CHANGING" then fail(250109) end
  if ch.status ~= "READY" then fail(250114) end
end

ops["channel.delete"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  M.check_deletable(ch)
  ch.status = "DELETED"
  -- the channel's snapshots go with it
  local w = emu.model
  for id, s in pairs(w:all("snapshots")) do
    if s.channelId == ch.channelId then w:remove("snapshots", id) end
  end
  ch.lastSnapshotId = nil
  M.changed(emu, ch, "was terminated")
  return M.view(emu, ch)
end

-- THUMBNAIL or GENERAL (one per quality of the set, then ABR) URLs on
-- the channel's Global Edge.
function M.playback_urls(emu, ch, url_type)
  local domain = ch.cdn.cdnDomain
  if url_type == "THUMBNAIL" then return array(media.thumbnail_urls(domain, ch.channelId)) end
  local set = find.quality_set(emu, ch.qualitySetId)
  return array(media.general_urls(domain, ch.channelId, quality.profiles_of(emu, set), ch.outputProtocol))
end

ops["channel.serviceUrls"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status ~= "READY" and ch.status ~= "PUBLISHING" then fail(250125) end
  if ch.cdn.statusName ~= "RUNNING" then fail(250124) end
  local domain = ch.cdn.cdnDomain
  if p.serviceUrlType == "TIMEMACHINE" then
    if not ch.useDvr then fail(250121) end
    if ch.status ~= "PUBLISHING" then fail(250134) end
    if not ch.isRecording then fail(250141) end
    return array(media.timemachine_urls(domain, ch.channelId))
  end
  return M.playback_urls(emu, ch, p.serviceUrlType)
end

ops["channel.streamMetadata"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status ~= "PUBLISHING" or not ch.ingest then fail(250101) end
  local stream
  if p.backup then
    if not ch.isStreamFailOver then fail(250005, "Backup stream metadata") end
    if not ch.ingest.backup then fail(250101) end
    stream = ch.ingest.backup_stream
  else
    if not ch.ingest.main then fail(250101) end
    stream = ch.ingest.stream
  end
  return {
    video = { width = stream.width, height = stream.height, fps = stream.fps + 0.0, bitrate = stream.video_bitrate },
    audio = { bitrate = stream.audio_bitrate },
  }
end

M.transitions = {
  ["channel.ready"] = M.on_ready,
  ["channel.cdnChanged"] = M.on_cdn_changed,
}

return M
