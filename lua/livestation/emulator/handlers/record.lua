-- Recordings of live channels. Starting a recording (by record.start, or
-- by the encoder when immediateOnAir is set) makes one file per format in
-- RECORDING; stopping moves them to PROCESSING, then to TRANSFER_READY
-- (MANUAL_UPLOAD: kept 3 days for record.upload) or through TRANSFER to
-- TRANSFER_FINISH (AUTO_UPLOAD). record.upload takes TRANSFER_READY or
-- TRANSFER_FAIL files through TRANSFER to TRANSFER_FINISH.
--
-- Failures on purpose: a recording whose record.filePath contains "fail"
-- ends in PROCESSING_FAIL; a transfer to a bucket whose name starts with
-- "fail" ends in TRANSFER_FAIL. No request body can reach them otherwise.

local reply = require "livestation.emulator.reply"
local find = require "livestation.emulator.find"
local media = require "livestation.emulator.media"
local events = require "livestation.emulator.events"
local curtain = require "livestation.emulator.handlers.curtain"

local M = {}

local fail = reply.fail

M.PROCESS_MS = 3000
M.TRANSFER_MS = 2000
M.KEEP_MS = 3 * 24 * 3600 * 1000 -- temporary files live 3 days (documented)

local FORMATS = { MP4 = { "MP4" }, HLS = { "HLS" }, ALL = { "MP4", "HLS" } }

---------------------------------------------------------------- views

local function duration(emu, r)
  if r.status == "RECORDING" then return (emu.clock:now() - r.recordBeginTime) // 1000 end
  return r.duration or 0
end

function M.view(emu, r)
  return {
    recordType = r.recordType, channelId = r.channelId, status = r.status, recordSeq = r.recordSeq,
    streamSeq = r.streamSeq, recordBeginTime = r.recordBeginTime, createdTime = r.createdTime,
    shouldDeleteTime = r.shouldDeleteTime, resolution = r.resolution, fileName = r.fileName,
    duration = duration(emu, r), videoBitrate = r.videoBitrate, videoFrameRate = r.videoFrameRate + 0.0,
    audioBitrate = r.audioBitrate, audioCodec = r.audioCodec, uploadPath = r.uploadPath or "",
    objectStorageUrl = r.objectStorageUrl or "-",
  }
end

-- {"<id>": record, ...}: record lists are objects keyed by id.
function M.keyed(emu, records)
  local map = {}
  for _, r in ipairs(records) do map[tostring(r.id)] = M.view(emu, r) end
  return map
end

local function of_channel(emu, channel_id)
  return emu.model:sorted("records", function(r) return r.channelId == channel_id end)
end

---------------------------------------------------------------- sessions

-- Starts recording a publishing channel: one RECORDING file per format
-- (none for NO_RECORD, whose recording only marks the channel on air).
function M.start(emu, ch)
  local w, now = emu.model, emu.clock:now()
  local stream = ch.ingest and ch.ingest.stream or media.DEFAULT_STREAM
  ch.isRecording = true
  ch.recordSession = (ch.recordSession or 0) + 1
  ch.recordStartTime = now
  local started = {}
  if ch.record.type ~= "NO_RECORD" then
    for _, kind in ipairs(FORMATS[ch.record.format or "MP4"] or FORMATS.MP4) do
      ch.recordSeq = (ch.recordSeq or 0) + 1
      local r = {
        id = w:next_id("record"), recordType = kind, channelId = ch.channelId, status = "RECORDING",
        recordSeq = ch.recordSeq, streamSeq = ch.streamSeq or 0, recordBeginTime = now, createdTime = now,
        shouldDeleteTime = now + M.KEEP_MS, resolution = stream.width .. "x" .. stream.height,
        fileName = media.record_file_name(ch.channelId, now, ch.recordSeq, kind),
        videoBitrate = stream.video_bitrate, videoFrameRate = stream.fps, audioBitrate = stream.audio_bitrate,
        audioCodec = "AAC", session = ch.recordSession, mode = ch.record.type,
        bucketName = ch.record.bucketName, filePath = ch.record.filePath,
        accessControl = ch.record.accessControl,
      }
      w:put("records", r.id, r)
      started[#started + 1] = r
    end
  end
  w:touch(ch)
  events.emit(emu, ch.channelId, "ONAIR_START", ch.channelName .. " channel started recording.")
  return started
end

-- Ends the running recording: its files go to PROCESSING. A curtain on
-- air ends with it (documented).
function M.stop(emu, ch)
  local w, now = emu.model, emu.clock:now()
  local stopped = {}
  for _, r in ipairs(of_channel(emu, ch.channelId)) do
    if r.status == "RECORDING" then
      r.status = "PROCESSING"
      r.duration = (now - r.recordBeginTime) // 1000
      w:touch(r)
      emu.timeline:after(M.PROCESS_MS, "record.processed", { ref = r.id })
      emu.timeline:at(r.shouldDeleteTime, "record.expired", { ref = r.id })
      stopped[#stopped + 1] = r
    end
  end
  ch.isRecording = false
  w:touch(ch)
  curtain.end_curtain(emu, ch)
  events.emit(emu, ch.channelId, "ONAIR_END", ch.channelName .. " channel stopped recording.")
  return stopped
end

local function upload_location(r, bucket, path_prefix)
  local path = (path_prefix or "/livestation/" .. r.channelId) .. "/" .. r.fileName
  return path, media.object_storage_url(bucket, path)
end

local function begin_transfer(emu, r, bucket, access, path_prefix)
  r.status = "TRANSFER"
  r.uploadBucket, r.uploadAccessControl = bucket, access
  r.uploadPath, r.pendingUrl = upload_location(r, bucket, path_prefix)
  emu.model:touch(r)
  emu.timeline:after(M.TRANSFER_MS, "record.transferred", { ref = r.id })
end

function M.on_processed(emu, t)
  local r = emu.model:get("records", t.ref)
  if not r or r.status ~= "PROCESSING" then return end
  if r.filePath and r.filePath:find("fail", 1, true) then
    r.status = "PROCESSING_FAIL"
  elseif r.mode == "AUTO_UPLOAD" then
    begin_transfer(emu, r, r.bucketName, r.accessControl, r.filePath)
    return
  else
    r.status = "TRANSFER_READY"
  end
  emu.model:touch(r)
end

function M.on_transferred(emu, t)
  local r = emu.model:get("records", t.ref)
  if not r or r.status ~= "TRANSFER" then return end
  if (r.uploadBucket or ""):sub(1, 4) == "fail" then
    r.status = "TRANSFER_FAIL"
  else
    r.status = "TRANSFER_FINISH"
    r.objectStorageUrl = r.pendingUrl
  end
  emu.model:touch(r)
end

-- After 3 days the temporary copy is gone; uploaded files stay uploaded.
function M.on_expired(emu, t)
  local r = emu.model:get("records", t.ref)
  if not r then return end
  if r.status == "TRANSFER_READY" or r.status == "TRANSFER_FAIL" or r.status == "PROCESSING_FAIL" then
    r.status = "DELETED"
    emu.model:touch(r)
  end
end

---------------------------------------------------------------- operations

local ops = {}
M.ops = ops

ops["record.start"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status ~= "PUBLISHING" then fail(250134) end
  if ch.isRecording then fail(250135) end
  return { recordList = M.keyed(emu, M.start(emu, ch)) }
end

ops["record.stop"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if not ch.isRecording then fail(250137) end
  return { recordList = M.keyed(emu, M.stop(emu, ch)) }
end

ops["record.list"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  return { recordList = M.keyed(emu, of_channel(emu, ch.channelId)) }
end

ops["record.get"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  local r = emu.model:get("records", p.recordId)
  if not r or r.channelId ~= ch.channelId then fail(250702) end
  return M.keyed(emu, { r })
end

-- S3-style bucket names: 3-63 of a-z 0-9 . -, starting and ending alnum.
local function valid_bucket(name)
  return #name >= 3 and #name <= 63 and name:match("^[a-z0-9][a-z0-9.%-]*[a-z0-9]$") ~= nil
end

ops["record.upload"] = function(emu, p)
  if not valid_bucket(p.bucketName) then fail(250704) end
  local w, seen, list = emu.model, {}, {}
  for _, id in ipairs(p.recordIds) do
    local r = w:get("records", id)
    if not r then fail(250701) end
    if seen[id] or r.status == "TRANSFER" then fail(250700) end
    if r.status ~= "TRANSFER_READY" and r.status ~= "TRANSFER_FAIL" then fail(250507) end
    seen[id] = true
    list[#list + 1] = r
  end
  local access = p.accessControl or "PRIVATE"
  local uploaded = {}
  for _, r in ipairs(list) do
    begin_transfer(emu, r, p.bucketName, access)
    uploaded[tostring(r.id)] = {
      recordFileName = r.fileName, recordType = r.recordType, status = r.status,
      uploadPath = r.uploadPath, objectStorageUrl = r.pendingUrl,
    }
  end
  return { bucketName = p.bucketName, accessControl = access, uploadedRecords = uploaded }
end

ops["record.delete"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  local w, list = emu.model, {}
  for _, id in ipairs(p.recordIds) do
    local r = w:get("records", id)
    if not r or r.channelId ~= ch.channelId or r.status == "DELETED" then fail(250702) end
    if r.status == "RECORDING" or r.status == "PROCESSING" or r.status == "TRANSFER" then
      fail(250504, id)
    end
    list[#list + 1] = r
  end
  for _, r in ipairs(list) do
    r.status = "DELETED"
    w:touch(r)
  end
  return reply.EMPTY
end

M.transitions = {
  ["record.processed"] = M.on_processed,
  ["record.transferred"] = M.on_transferred,
  ["record.expired"] = M.on_expired,
}

return M
