-- The simulated encoder behind POST/DELETE /_emulator/channels/{id}/publish:
-- what happens when a stream arrives at a channel and when it stops.
--
-- Live channel: READY -> PUBLISHING with PUBLISH_START (and
-- RTMP_MAIN_STREAM_ENABLED on a failover channel), a thumbnail a moment
-- later, recording started when immediateOnAir is set. With
-- isStreamFailOver a backup stream may join (after the main one); when
-- the main stream stops the output switches to it; when the last stream
-- stops: recording and curtain end, PUBLISH_END, back to READY.
-- Re-stream channel: PUBLISHING, each target CONNECTING then PUBLISHING
-- (FAIL when its RTMP URL contains "fail"), SIMULCAST_STATUS_CHANGE.

local media = require "livestation.emulator.media"
local events = require "livestation.emulator.events"
local record = require "livestation.emulator.handlers.record"
local curtain = require "livestation.emulator.handlers.curtain"

local M = {}

M.THUMBNAIL_MS = 2000
M.CONNECT_MS = 2000

-- The bitrate a channel allows an encoder (video + audio, bits per
-- second): the highest video bitrate a quality profile may have (250322),
-- unless emulator.new{ publish_threshold = N } says otherwise.
M.PUBLISH_THRESHOLD = 20000000

-- Stream settings from the control request (defaults: 1080p30, 6 Mbps).
local function stream_of(opts)
  local d = media.DEFAULT_STREAM
  return {
    width = math.tointeger(opts.width) or d.width, height = math.tointeger(opts.height) or d.height,
    fps = tonumber(opts.fps) or d.fps, video_bitrate = math.tointeger(opts.video_bitrate) or d.video_bitrate,
    audio_bitrate = math.tointeger(opts.audio_bitrate) or d.audio_bitrate,
  }
end

local function say(emu, ch, code, what)
  events.emit(emu, ch.channelId, code, ch.channelName .. " channel " .. what)
end

-- PUBLISH_OVER_THRESHOLD once each time a stream goes above the allowed
-- bitrate (again after it came back under it).
local function check_threshold(emu, ch, stream, which)
  local limit = emu.publish_threshold or M.PUBLISH_THRESHOLD
  local total = (stream.video_bitrate or 0) + (stream.audio_bitrate or 0)
  if total > limit then
    if not stream.over then
      stream.over = true
      say(emu, ch, "PUBLISH_OVER_THRESHOLD", string.format("%s stream at %d bps is above the allowed %d bps.",
        which, total, limit))
    end
  else
    stream.over = nil
  end
end

---------------------------------------------------------------- live channels

local function start_live(emu, ch, opts)
  local now = emu.clock:now()
  ch.status = "PUBLISHING"
  ch.recentPublishStartTime = now
  ch.streamSeq = (ch.streamSeq or 0) + 1
  ch.ingest = { main = true, backup = false, active = "main", stream = stream_of(opts) }
  emu.model:touch(ch)
  say(emu, ch, "PUBLISH_START", "started publishing.")
  if ch.isStreamFailOver then say(emu, ch, "RTMP_MAIN_STREAM_ENABLED", "is on its main stream.") end
  check_threshold(emu, ch, ch.ingest.stream, "main")
  emu.timeline:after(M.THUMBNAIL_MS, "encoder.thumbnail", { ref = ch.channelId, seq = ch.streamSeq })
  if ch.immediateOnAir then record.start(emu, ch) end
end

-- Ends the broadcast whatever streams are still connected.
function M.cut(emu, ch)
  if ch.isRecording then record.stop(emu, ch) end
  curtain.end_curtain(emu, ch)
  local now = emu.clock:now()
  ch.totalPublishSeconds = (ch.totalPublishSeconds or 0) + (now - (ch.recentPublishStartTime or now)) // 1000
  ch.ingest = nil
  ch.status = "READY"
  emu.model:touch(ch)
  say(emu, ch, "PUBLISH_END", "stopped publishing.")
end

local function publish_live(emu, ch, opts)
  if opts.backup then
    if not ch.isStreamFailOver then return nil, "the channel has no backup stream (isStreamFailOver is false)" end
    if ch.status ~= "PUBLISHING" or not ch.ingest then return nil, "the main stream must be sent first" end
    if ch.ingest.backup then return nil, "the backup stream is already publishing" end
    ch.ingest.backup = true
    ch.ingest.backup_stream = stream_of(opts)
    emu.model:touch(ch)
    say(emu, ch, "BACKUP_SESSION_STREAMING_CONNECTED", "backup stream connected.")
    check_threshold(emu, ch, ch.ingest.backup_stream, "backup")
    return true
  end
  if ch.status == "READY" then
    start_live(emu, ch, opts)
    return true
  end
  if ch.status == "PUBLISHING" and ch.ingest and not ch.ingest.main then
    ch.ingest.main = true
    ch.ingest.stream = stream_of(opts)
    ch.ingest.active = "main"
    emu.model:touch(ch)
    say(emu, ch, "RTMP_MAIN_STREAM_ENABLED", "is back on its main stream.")
    check_threshold(emu, ch, ch.ingest.stream, "main")
    return true
  end
  return nil, "the channel is " .. ch.status .. (ch.status == "PUBLISHING" and " already" or ", not READY")
end

local function unpublish_live(emu, ch, opts)
  local ingest = ch.ingest
  if ch.status ~= "PUBLISHING" or not ingest then return nil, "the channel is not publishing" end
  if opts.backup then
    if not ingest.backup then return nil, "no backup stream is publishing" end
    ingest.backup = false
    ingest.backup_stream = nil
    emu.model:touch(ch)
    say(emu, ch, "BACKUP_SESSION_STREAMING_DISCONNECTED", "backup stream disconnected.")
    if not ingest.main then M.cut(emu, ch) end
    return true
  end
  if not ingest.main then return nil, "the main stream is not publishing" end
  ingest.main = false
  if ingest.backup then
    ingest.active = "backup"
    emu.model:touch(ch)
    say(emu, ch, "RTMP_BACKUP_STREAM_ENABLED", "switched to its backup stream.")
    return true
  end
  M.cut(emu, ch)
  return true
end

-- channel.switchStream: the output moves to the other stream of a
-- failover channel. Returns nil when it can (the channel is switched), or
-- the name of the stream that is missing.
function M.switch(emu, ch)
  local ingest = ch.ingest
  local to = ingest.active == "backup" and "main" or "backup"
  if not ch.isStreamFailOver or not ingest[to] then return to == "main" and "Main stream" or "Backup stream" end
  ingest.active = to
  emu.model:touch(ch)
  if to == "backup" then
    say(emu, ch, "RTMP_BACKUP_STREAM_ENABLED", "switched to its backup stream.")
  else
    say(emu, ch, "RTMP_MAIN_STREAM_ENABLED", "is back on its main stream.")
  end
end

function M.on_thumbnail(emu, t)
  local ch = emu.model:get("channels", t.ref)
  if ch and ch.status == "PUBLISHING" and ch.streamSeq == t.seq then
    say(emu, ch, "THUMBNAIL_CREATE", "thumbnail was created.")
  end
end

---------------------------------------------------------------- re-stream channels

-- Sets one target's status, announcing it when it changes.
local function set_platform(emu, ch, pl, status)
  if pl.connectStatus == status then return false end
  pl.connectStatus = status
  events.emit(emu, ch.channelId, "SIMULCAST_STATUS_CHANGE",
    string.format("%s channel's %s target is %s.", ch.channelName, pl.targetName, status))
  return true
end

local function set_platforms(emu, ch, status)
  for _, pl in ipairs(ch.platforms) do set_platform(emu, ch, pl, status) end
end

local function publish_restream(emu, ch, opts)
  if ch.status ~= "READY" then return nil, "the channel is " .. ch.status .. ", not READY" end
  ch.status = "PUBLISHING"
  ch.isPublishing = true
  ch.recentPublishStartTime = emu.clock:now()
  ch.streamSeq = (ch.streamSeq or 0) + 1
  ch.ingest = { main = true, active = "main", stream = stream_of(opts) }
  say(emu, ch, "PUBLISH_START", "started publishing.")
  set_platforms(emu, ch, "CONNECTING")
  emu.model:touch(ch)
  emu.timeline:after(M.CONNECT_MS, "encoder.connected", { ref = ch.channelId, seq = ch.streamSeq })
  return true
end

function M.on_connected(emu, t)
  local ch = emu.model:get("restreams", t.ref)
  if not ch or ch.status ~= "PUBLISHING" or ch.streamSeq ~= t.seq then return end
  for _, pl in ipairs(ch.platforms) do
    local status = pl.rtmpUrl:find("fail", 1, true) and "FAIL" or "PUBLISHING"
    if set_platform(emu, ch, pl, status) then pl.connectedAt = emu.clock:now() end
  end
  emu.model:touch(ch)
end

local function unpublish_restream(emu, ch)
  if ch.status ~= "PUBLISHING" then return nil, "the channel is not publishing" end
  local now = emu.clock:now()
  for _, pl in ipairs(ch.platforms) do
    if pl.connectStatus == "PUBLISHING" and pl.connectedAt then
      local secs = (now - pl.connectedAt) // 1000
      pl.totalPlaySecond = (pl.totalPlaySecond or 0) + secs
      pl.bytesTotalTrans = (pl.bytesTotalTrans or 0) + secs * (ch.ingest.stream.video_bitrate // 8)
    end
    pl.connectedAt = nil
  end
  ch.totalPublishSeconds = (ch.totalPublishSeconds or 0) + (now - ch.recentPublishStartTime) // 1000
  ch.status = "READY"
  ch.isPublishing = false
  ch.ingest = nil
  set_platforms(emu, ch, "READY")
  emu.model:touch(ch)
  say(emu, ch, "PUBLISH_END", "stopped publishing.")
  return true
end

-- The running encoder changes its settings (bitrate, size, frame rate).
local function adjust_live(emu, ch, opts)
  local ingest = ch.ingest
  if ch.status ~= "PUBLISHING" or not ingest then return nil, "the channel is not publishing" end
  local key = opts.backup and "backup_stream" or "stream"
  local stream = ingest[key]
  if not stream or (opts.backup and not ingest.backup) or (not opts.backup and not ingest.main) then
    return nil, (opts.backup and "no backup" or "no main") .. " stream is publishing"
  end
  local was = stream.over
  local d = stream_of(setmetatable(opts, { __index = stream }))
  d.over = was
  ingest[key] = d
  emu.model:touch(ch)
  check_threshold(emu, ch, d, opts.backup and "backup" or "main")
  return true
end

local function adjust_restream(_, ch)
  if ch.status ~= "PUBLISHING" then return nil, "the channel is not publishing" end
  return nil, "re-stream channels have no bitrate threshold"
end

-- STREAM_FINISH: the service has made the channel unusable (FORCE_BLOCK,
-- or FORCE_DELETED); a broadcast on it is cut first (`stop`).
local function finisher(stop)
  return function(emu, ch, opts)
    local status = opts.status or "FORCE_BLOCK"
    if status ~= "FORCE_BLOCK" and status ~= "FORCE_DELETED" then
      return nil, "status: FORCE_BLOCK or FORCE_DELETED"
    end
    if ch.status == "DELETED" or ch.status == "FORCE_DELETED" then return nil, "the channel is " .. ch.status end
    if ch.status == "PUBLISHING" then stop(emu, ch) end
    ch.status = status
    emu.model:touch(ch)
    say(emu, ch, "STREAM_FINISH", "can no longer be used (" .. status .. ").")
    return true
  end
end

local finish_live = finisher(function(emu, ch) M.cut(emu, ch) end)
local finish_restream = finisher(unpublish_restream)

---------------------------------------------------------------- entry points

-- Hands channel `id` to `live` or `restream` by its kind: the channel
-- and the kind, or nil, http status, message.
local function drive(emu, id, opts, live, restream)
  local w = emu.model
  local ch, kind, act = w:get("channels", id), "live", live
  if not ch then ch, kind, act = w:get("restreams", id), "restream", restream end
  if not ch then return nil, 404, "no channel " .. tostring(id) end
  local ok, err = act(emu, ch, opts or {})
  if not ok then return nil, 409, err end
  return ch, kind
end

-- Starts a stream into channel `id` (live or re-stream). opts: backup,
-- width, height, fps, video_bitrate, audio_bitrate. Returns the channel
-- and its kind, or nil, http status, message.
function M.publish(emu, id, opts)
  -- channel ids are unique across kinds, so this cannot hide another
  if emu.model:get("vods", id) then return nil, 409, "VOD2LIVE channels publish from their schedule" end
  return drive(emu, id, opts, publish_live, publish_restream)
end

function M.unpublish(emu, id, opts)
  return drive(emu, id, opts, unpublish_live, unpublish_restream)
end

-- New settings for the running stream (opts as publish; backup = true:
-- the backup stream); above the threshold it raises PUBLISH_OVER_THRESHOLD.
function M.adjust(emu, id, opts)
  return drive(emu, id, opts, adjust_live, adjust_restream)
end

-- The service ends a channel: FORCE_BLOCK (default) or FORCE_DELETED
-- (opts.status), with STREAM_FINISH.
function M.finish(emu, id, opts)
  return drive(emu, id, opts, finish_live, finish_restream)
end

M.transitions = {
  ["encoder.thumbnail"] = M.on_thumbnail,
  ["encoder.connected"] = M.on_connected,
}

return M
