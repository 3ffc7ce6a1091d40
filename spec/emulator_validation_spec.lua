-- Input the emulator refuses, sent as raw signed requests (so nothing on
-- the client side stops it first): each case answers the Live Station
-- code of the operation table or of the service's rules, with the
-- errors.json message and the status errors.http_status gives.

local H = require "helpers.emulator"

-- Stands for "leave this member out".
local NONE = setmetatable({}, { __name = "none" })

local function prune(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do
    if v ~= NONE then out[k] = prune(v) end
  end
  return out
end

local CDN = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" }

local function channel(over) return H.merge(H.CHANNEL, over) end

local function quality(video, audio, over)
  local body = { name = "custom-720", type = "NORMAL",
    video = H.merge({ codec = "H264", profile = "MAIN", level = -1, width = 1280, height = 720, fps = 30,
      bitrate = 3000000 }, video),
    audio = H.merge({ codec = "AAC", profile = "LC", samplerate = 48000, channels = 2, bitrate = 128 }, audio) }
  return H.merge(body, over)
end

local function set(over)
  return H.merge({ name = "my-set", qualityIds = { 2, 3 }, isEnabledUll = false, segmentDuration = 2000,
    segmentCount = 3, enableHlsTimedMetadata = false }, over)
end

local function targets(n, over)
  local list = {}
  for i = 1, n do
    list[i] = H.merge({ targetName = "YOUTUBE", rtmpUrl = "rtmp://a.rtmp.youtube.com/live2", streamKey = "k" .. i }, over)
  end
  return list
end

-- { title, method, target, body, code, message args... }
local CASES = {
  { "a channel name of 2 characters", "POST", "/api/v2/channels", channel { channelName = "ab" }, 250104 },
  { "a channel name with a space", "POST", "/api/v2/channels", channel { channelName = "my show" }, 250104 },
  { "no channel name", "POST", "/api/v2/channels", channel { channelName = NONE }, 250142 },
  { "DVR without timemachineMin", "POST", "/api/v2/channels", channel { timemachineMin = NONE }, 250138 },
  { "a timemachineMin other than 360", "POST", "/api/v2/channels", channel { timemachineMin = 120 }, 250122 },
  { "immediateOnAir without DVR", "POST", "/api/v2/channels",
    channel { useDvr = false, timemachineMin = NONE, immediateOnAir = true }, 250139 },
  { "an existing CDN without its instance", "POST", "/api/v2/channels",
    channel { cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnDomain = "x.edge.naverncp.com" } }, 250119 },
  { "a CDN type other than GLOBAL_EDGE", "POST", "/api/v2/channels",
    channel { cdn = H.merge(CDN, { cdnType = "CDN_PLUS" }) }, 250120 },
  { "no quality set", "POST", "/api/v2/channels", channel { qualitySetId = NONE }, 250116 },
  { "an unknown quality set", "POST", "/api/v2/channels", channel { qualitySetId = 999 }, 250301 },
  { "LL_HLS with an ordinary quality set", "POST", "/api/v2/channels",
    channel { outputProtocol = "LL_HLS" }, 250002, "qualitySetId" },
  { "HLS with a low-latency quality set", "POST", "/api/v2/channels", channel { qualitySetId = 5 }, 250002, "qualitySetId" },
  { "AUTO_UPLOAD without a bucket", "POST", "/api/v2/channels",
    channel { record = { type = "AUTO_UPLOAD", format = "MP4" } }, 250011, "record.bucketName" },
  { "an undeclared body member", "POST", "/api/v2/channels", channel { colour = "red" }, 250012 },
  { "a body that is an array", "POST", "/api/v2/channels", "[1,2]", 250012 },
  { "a page size of 0", "GET", "/api/v2/channels?pageSizeNo=0", nil, 250600 },
  { "a page number that is not a number", "GET", "/api/v2/channels?pageNo=abc", nil, 250021, "pageNo", "integer" },
  { "a timemachineMin that is text", "POST", "/api/v2/channels", channel { timemachineMin = "six" },
    250021, "timemachineMin", "integer" },
  { "a CDN profile that is text", "POST", "/api/v2/channels", channel { cdn = H.merge(CDN, { profileId = "one" }) },
    250021, "cdn.profileId", "integer" },
  { "an unknown channel status filter", "GET", "/api/v2/channels?channelStatus=SLEEPING", nil, 250002, "channelStatus" },
  { "an unknown service URL type", "GET", "/api/v2/channels/ls-x/serviceUrls?serviceUrlType=ALL", nil, 250002, "serviceUrlType" },
  { "a missing service URL type", "GET", "/api/v2/channels/ls-x/serviceUrls", nil, 250011, "serviceUrlType" },

  { "an odd video width", "POST", "/api/v2/qualityProfiles", quality { width = 1281 }, 250342 },
  { "HIGH profile below 720p", "POST", "/api/v2/qualityProfiles",
    quality { width = 640, height = 360, profile = "HIGH" }, 250341 },
  { "B-frames below 480p", "POST", "/api/v2/qualityProfiles",
    quality { width = 640, height = 360, profile = "BASELINE", bframes = 2 }, 250334 },
  { "a width beyond 1920", "POST", "/api/v2/qualityProfiles", quality { width = 2560 }, 250366 },
  { "a frame rate of 25", "POST", "/api/v2/qualityProfiles", quality { fps = 25 }, 250368 },
  { "a video bitrate above 20,000,000", "POST", "/api/v2/qualityProfiles", quality { bitrate = 20000001 }, 250322 },
  { "orientation FREE", "POST", "/api/v2/qualityProfiles", quality { orientation = "FREE" }, 250362 },
  { "an MP3 sampling rate of 96000", "POST", "/api/v2/qualityProfiles",
    quality(nil, { codec = "MP3", profile = NONE, samplerate = 96000 }), 250359 },
  { "an audio bitrate of 500", "POST", "/api/v2/qualityProfiles", quality(nil, { bitrate = 500 }), 250357 },
  { "no audio", "POST", "/api/v2/qualityProfiles", quality(nil, nil, { audio = NONE }), 250373 },
  { "NORMAL without video", "POST", "/api/v2/qualityProfiles", quality(nil, nil, { video = NONE }), 250372 },
  { "a profile name with a space", "POST", "/api/v2/qualityProfiles", quality(nil, nil, { name = "my hd" }), 250312 },

  { "five qualities in a set", "POST", "/api/v2/qualitySets", set { qualityIds = { 1, 2, 3, 4, 5 } }, 250313 },
  { "an unknown quality in a set", "POST", "/api/v2/qualitySets", set { qualityIds = { 2, 4242 } }, 250300 },
  { "a segment duration off the 500 ms grid", "POST", "/api/v2/qualitySets", set { segmentDuration = 2250 }, 250307 },
  { "eleven segments", "POST", "/api/v2/qualitySets", set { segmentCount = 11 }, 250309 },
  { "timed metadata switched on but missing", "POST", "/api/v2/qualitySets", set { enableHlsTimedMetadata = true }, 250375 },
  { "a timed metadata key other than utc", "POST", "/api/v2/qualitySets",
    set { enableHlsTimedMetadata = true, timedMetadata = { header = "h", interval = 1000, key = "pts" } }, 250376 },

  { "four targets on STANDARD", "POST", "/api/v2/re-stream/channels",
    { channelName = "relay", planType = "STANDARD", restream = targets(4) }, 250128 },
  { "six targets on PROFESSIONAL", "POST", "/api/v2/re-stream/channels",
    { channelName = "relay", planType = "PROFESSIONAL", restream = targets(6) }, 250126 },
  { "an unknown plan", "POST", "/api/v2/re-stream/channels",
    { channelName = "relay", planType = "BASIC", restream = targets(1) }, 250127 },
  { "an unknown target name", "POST", "/api/v2/re-stream/channels",
    { channelName = "relay", planType = "STANDARD", restream = targets(1, { targetName = "TWITTER" }) }, 250130 },
  { "a target URL that is not RTMP", "POST", "/api/v2/re-stream/channels",
    { channelName = "relay", planType = "STANDARD", restream = targets(1, { rtmpUrl = "http://example.com/live" }) }, 250129 },

  { "a callback URL that is not http(s)", "POST", "/api/v2/events/callbackEndpoint",
    { callbackUrl = "ftp://example.com/x" }, 250022 },
  { "a schedule start that is no date", "POST", "/api/v2/vod/schedule",
    { channelId = "ls-x", startTime = "20250231120000", vodList = { { bucketName = "b", filePath = "/a.mp4" } } },
    250002, "startTime" },
  { "a schedule file that is not mp4", "POST", "/api/v2/vod/schedule",
    { channelId = "ls-x", startTime = "20990101120000", vodList = { { bucketName = "b", filePath = "/a.mov" } } },
    250002, "vodList[1].filePath" },
  { "a clip shorter than 100 ms", "POST", "/api/v2/channels/ls-x/1",
    { startTime = 1000, endTime = 1050, shortclip = { output = { accessControl = "PRIVATE", bucketName = "b", filePath = "/c" } } },
    250002, "endTime" },
  { "a clip path without a leading slash", "POST", "/api/v2/channels/ls-x/1",
    { startTime = 0, endTime = 1500, shortclip = { output = { accessControl = "PRIVATE", bucketName = "b", filePath = "c" } } },
    250151 },
  { "a curtain of a GIF", "POST", "/api/v2/curtainContents",
    { content = { { bucketName = "b", filePath = "/x.gif" } } }, 250002, "content[1].filePath" },
  { "a curtain of audio alone", "POST", "/api/v2/curtainContents",
    { content = { { bucketName = "b", filePath = "/x.mp3" } } }, 250002, "content" },
  { "an insert time of 11 minutes", "POST", "/api/v2/channels/ls-x/curtain/insert",
    { contentId = { 1 }, insertTime = 11 }, 250002, "insertTime" },
}

describe("emulator input validation", function()
  local emu, url

  -- strict: undeclared members are refused too (by default they are
  -- ignored, as emulator_lenient_spec shows)
  setup(function() emu, url = H.start { strict = true } end)
  teardown(function() emu:stop() end)

  for _, case in ipairs(CASES) do
    local title, method, target, body, code = case[1], case[2], case[3], case[4], case[5]
    it("refuses " .. title .. " with " .. code, function()
      if type(body) == "table" then body = prune(body) end
      local status, decoded = H.request(url, method, target, body)
      H.assert_ls_error(status, decoded, code, table.unpack(case, 6))
    end)
  end

  it("accepts the service's own limits: 23.97 fps, 20,000,000 bps, FIX", function()
    local status, decoded = H.request(url, "POST", "/api/v2/qualityProfiles",
      quality { fps = 23.97, bitrate = 20000000, orientation = "FIX" })
    assert.equal(200, status)
    assert.equal(23.97, decoded.content.video.fps)
    assert.equal(20000000, decoded.content.video.bitrate)
  end)

  -- the names the public error table gives, spelled out (not read back
  -- from the table the emulator itself uses)
  it("names the error of a wrong parameter type and of a garbled region", function()
    local status, decoded = H.request(url, "GET", "/api/v2/channels?pageNo=abc")
    assert.equal(400, status)
    assert.equal("OPEN_API_PARAM_TYPE_ERROR", decoded.error.errorName)
    status, decoded = H.request(url, "GET", "/api/v2/channels", nil, { region = "k-r" })
    assert.equal(250020, decoded.error.errorCode)
    assert.equal("OPEN_API_INVALID_REGION_CODE", decoded.error.errorName)
  end)

  it("changes nothing when it refuses a request", function()
    local before = #emu:world().events
    local status = H.request(url, "POST", "/api/v2/channels", channel { channelName = "x" })
    assert.equal(400, status)
    assert.equal(0, #H.client(url):call("channel.list", {}))
    assert.equal(before, #emu:world().events)
  end)
end)
