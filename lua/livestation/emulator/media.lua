-- Names and addresses that look like the service's own: channel ids,
-- stream keys, ingest URLs, Global Edge domains, playback, time machine,
-- thumbnail and snapshot URLs, Object Storage URLs, file names.

local kst = require "livestation.kst"

local M = {}

local ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
local LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"

local function random_string(n, alphabet)
  local out = {}
  for i = 1, n do
    local k = math.random(1, #alphabet)
    out[i] = alphabet:sub(k, k)
  end
  return table.concat(out)
end

-- ls-YYYYMMDDhhmmss-XXXXX (KST wall clock of creation), unique in `taken`.
function M.channel_id(now_ms, taken)
  local stamp = kst.format(now_ms)
  while true do
    local id = "ls-" .. stamp .. "-" .. random_string(5, ALNUM)
    if not taken(id) then return id end
  end
end

function M.stream_key()
  return random_string(32, LOWER)
end

M.PUBLISH_URL = "rtmp://rtmp-ls2-k1.video.media.ntruss.com:8080/relay"
M.GLOBAL_PUBLISH_URL = "rtmp://rtmp-ls2-g1.video.media.ntruss.com:8080/relay"
M.SRT_PUBLISH_URL = "srt://srt-ls2-k1.video.media.ntruss.com:9999"

function M.publish_urls(ingest)
  if ingest == "SRT" then return M.SRT_PUBLISH_URL, M.SRT_PUBLISH_URL end
  return M.PUBLISH_URL, M.GLOBAL_PUBLISH_URL
end

-- A Global Edge domain, the same for the same instance number.
function M.edge_domain(instance_no)
  local n = tonumber(instance_no) or 0
  local letters, x = {}, n * 7919 + 104729
  for i = 1, 8 do
    local k = x % 26 + 1
    letters[i] = LOWER:sub(k, k)
    x = x // 26 + i * 31
  end
  return string.format("%s%05d.edge.naverncp.com", table.concat(letters), n % 100000)
end

function M.edge_service_name(instance_no)
  return "livestation-edge-" .. tostring(instance_no)
end

-- A CDN+ (financial zone): the service domain NAVER Cloud gives CDN+
-- instances, numbered by the instance.
function M.cdnplus_domain(instance_no)
  return string.format("fin%s.cdn.ntruss.com", tostring(instance_no))
end

function M.cdnplus_service_name(instance_no)
  return "livestation-cdnplus-" .. tostring(instance_no)
end

-- GENERAL playback entries: one per quality of the set, then the ABR
-- playlist (and a DASH manifest for HLS,DASH). Bitrates are strings.
function M.general_urls(domain, channel_id, qualities, protocol)
  local base = "https://" .. domain .. "/live/video/" .. channel_id
  local out = {}
  local video_sum, audio_max = 0, 0
  for _, q in ipairs(qualities) do
    local v = q.video or {}
    local a = q.audio or {}
    local vb = v.bitrate or 0
    local ab = (a.bitrate or 0) * 1000
    video_sum = video_sum + vb
    if ab > audio_max then audio_max = ab end
    out[#out + 1] = {
      name = q.name, url = base .. "/" .. q.name .. "/playlist.m3u8",
      resolution = v.width and (v.width .. "x" .. v.height) or "",
      videoBitrate = tostring(vb), audioBitrate = tostring(ab),
    }
  end
  out[#out + 1] = {
    name = "ABR", url = base .. "/playlist.m3u8", resolution = "",
    videoBitrate = tostring(video_sum), audioBitrate = tostring(audio_max),
  }
  if protocol == "HLS,DASH" then
    out[#out + 1] = {
      name = "DASH", url = base .. "/manifest.mpd", resolution = "",
      videoBitrate = tostring(video_sum), audioBitrate = tostring(audio_max),
    }
  end
  return out
end

function M.timemachine_urls(domain, channel_id)
  return { { name = "TIMEMACHINE", url = "https://" .. domain .. "/dvr/video/" .. channel_id .. "/playlist.m3u8" } }
end

function M.thumbnail_urls(domain, channel_id)
  local base = "https://" .. domain .. "/live/thumbnail/" .. channel_id
  return { {
    name = "THUMBNAIL", url = base .. "/thumbnail.jpg",
    resizedUrl = {
      { type = "SMALL", url = base .. "/thumbnail_320x180.jpg" },
      { type = "MEDIUM", url = base .. "/thumbnail_640x360.jpg" },
      { type = "LARGE", url = base .. "/thumbnail_1280x720.jpg" },
    },
  } }
end

function M.snapshot_url(domain, channel_id, snapshot_id)
  return "https://" .. domain .. "/snapshot/video/" .. channel_id .. "/" .. snapshot_id .. "/playlist.m3u8"
end

function M.object_storage_url(bucket, path)
  return "https://kr.object.ncloudstorage.com/" .. bucket .. path
end

-- Recording file name: {channelId}-{KST yyyyMMddHHmmss}-{seq}.{mp4|m3u8}
function M.record_file_name(channel_id, begin_ms, seq, record_type)
  return string.format("%s-%s-%d.%s", channel_id, kst.format(begin_ms), seq,
    record_type == "HLS" and "m3u8" or "mp4")
end

-- The stream a simulated encoder sends unless told otherwise.
M.DEFAULT_STREAM = { width = 1920, height = 1080, fps = 30.0, video_bitrate = 6000000, audio_bitrate = 128000 }

return M
