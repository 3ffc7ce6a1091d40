-- Snapshots and short clips. A snapshot cuts the last limitedDuration
-- minutes (at most 4 hours) of a recording DVR channel and is usable for
-- one hour; short clips are MP4 cuts of it (times relative to the
-- snapshot), CREATING for a few seconds, then COMPLETED (UPLOAD_FAIL when
-- the bucket name starts with "fail").

local json = require "livestation.json"
local reply = require "livestation.emulator.reply"
local find = require "livestation.emulator.find"
local media = require "livestation.emulator.media"

local M = {}

local fail, array = reply.fail, json.array

M.LIFETIME_MS = 3600 * 1000          -- documented: 1 hour
M.MAX_MS = 4 * 3600 * 1000           -- documented: 4 hours
M.MIN_RECORDING_MS = 100             -- documented: more than 100 ms recorded
M.CLIP_MS = 5000                     -- processing delay at speed 1

---------------------------------------------------------------- views

local function view_snapshot(s)
  return {
    snapshotId = s.id, snapshotUrl = s.snapshotUrl, createdTime = s.createdTime,
    expireTime = s.expireTime, duration = s.duration,
  }
end

local function view_clip(c)
  return {
    id = c.id, status = c.status, createdTime = c.createdTime, updatedTime = c.updatedTime,
    fileSize = c.fileSize, duration = c.duration,
    output = { accessControl = c.output.accessControl, bucketName = c.output.bucketName,
      filePath = c.output.filePath, fileName = c.output.fileName },
  }
end

---------------------------------------------------------------- lookups

-- The snapshot of this channel, still usable: unknown -> 250004, older
-- than an hour or from an earlier recording -> 250005.
local function usable_snapshot(emu, ch, raw_id)
  local id = find.numeric(raw_id, "snapshotId")
  local s = emu.model:get("snapshots", id)
  if not s or s.channelId ~= ch.channelId then fail(250004, "Snapshot") end
  if emu.clock:now() >= s.expireTime then fail(250005, "Snapshot " .. id .. " (expired)") end
  if s.session ~= ch.recordSession then fail(250005, "Snapshot " .. id .. " (recording restarted)") end
  return s
end

local function dvr_channel(emu, id)
  local ch = find.channel(emu, id)
  if ch.outputProtocol == "LL_HLS" then fail(250005, "Short clips on an LL_HLS channel") end
  if not ch.useDvr then fail(250115) end
  return ch
end

---------------------------------------------------------------- operations

local ops = {}
M.ops = ops

ops["snapshot.create"] = function(emu, p)
  local ch = dvr_channel(emu, p.channelId)
  if ch.status ~= "PUBLISHING" or not ch.isRecording then fail(250137) end
  local now = emu.clock:now()
  local recorded = now - (ch.recordStartTime or now)
  if recorded <= M.MIN_RECORDING_MS then fail(250005, "A snapshot of under 100 ms of recording") end
  local wanted = p.limitedDuration and p.limitedDuration * 60000 or M.MAX_MS
  local length = math.min(wanted, recorded, M.MAX_MS)
  local w = emu.model
  local s = {
    id = w:next_id("snapshot"), channelId = ch.channelId, createdTime = now,
    expireTime = now + M.LIFETIME_MS, lengthMs = length, session = ch.recordSession,
    duration = p.limitedDuration or math.max(1, -(-length // 60000)),
  }
  s.snapshotUrl = media.snapshot_url(ch.cdn.cdnDomain, ch.channelId, s.id)
  w:put("snapshots", s.id, s)
  ch.lastSnapshotId = s.id
  w:touch(ch)
  return { channelId = ch.channelId, channelStatus = ch.status, snapshot = view_snapshot(s) }
end

ops["snapshot.get"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  local s = usable_snapshot(emu, ch, p.snapshotId)
  return { channelId = ch.channelId, channelStatus = ch.status, snapshot = view_snapshot(s) }
end

ops["shortclip.create"] = function(emu, p)
  local ch = dvr_channel(emu, p.channelId)
  if ch.status ~= "READY" and ch.status ~= "PUBLISHING" then
    fail(250005, "Short clips of a channel in status " .. ch.status)
  end
  local s = usable_snapshot(emu, ch, p.snapshotId)
  if p.endTime > s.lengthMs then fail(250002, "endTime") end
  local w, now = emu.model, emu.clock:now()
  local out = p.shortclip.output
  local c = {
    id = w:next_id("clip"), channelId = ch.channelId, snapshotId = s.id, status = "CREATING",
    createdTime = now, updatedTime = now, fileSize = 0, duration = p.endTime - p.startTime,
    output = { accessControl = out.accessControl or "PRIVATE", bucketName = out.bucketName,
      filePath = out.filePath },
  }
  c.output.fileName = string.format("%s_%d_%d.mp4", ch.channelId, s.id, c.id)
  local stream = ch.ingest and ch.ingest.stream or media.DEFAULT_STREAM
  c.bitrate = stream.video_bitrate + stream.audio_bitrate
  w:put("clips", c.id, c)
  emu.timeline:after(M.CLIP_MS, "shortclip.done", { ref = c.id })
  return { channelId = ch.channelId, snapshotId = tostring(s.id), shortclip = view_clip(c) }
end

function M.on_clip_done(emu, t)
  local c = emu.model:get("clips", t.ref)
  if not c or c.status ~= "CREATING" then return end
  c.updatedTime = emu.clock:now()
  if c.output.bucketName:sub(1, 4) == "fail" then
    c.status = "UPLOAD_FAIL"
  else
    c.status = "COMPLETED"
    c.fileSize = c.duration * (c.bitrate or 6128000) // 8000
  end
  emu.model:touch(c)
end

ops["shortclip.list"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  local s = usable_snapshot(emu, ch, p.snapshotId)
  local list = array()
  for _, c in ipairs(emu.model:sorted("clips", function(c) return c.snapshotId == s.id end)) do
    if not p.shortclipStatus or c.status == p.shortclipStatus then list[#list + 1] = view_clip(c) end
  end
  return { channelId = ch.channelId, snapshotId = s.id, shortClipList = list }, #list
end

ops["shortclip.get"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  local id = find.numeric(p.id, "id")
  local c = emu.model:get("clips", id)
  if not c or c.channelId ~= ch.channelId then fail(250004, "Short clip") end
  return { channelId = ch.channelId, snapshotId = tostring(c.snapshotId), shortclip = view_clip(c) }
end

M.transitions = { ["shortclip.done"] = M.on_clip_done }

return M
