-- Validation: the catalogue's own checks, every rule of rules.lua (each
-- with a passing and a failing case), server-side conversion, and the
-- pattern compiler it relies on.

local ops = require "livestation.ops"
local validate = require "livestation.validate"
local rules = require "livestation.rules"
local pattern = require "livestation.pattern"
local json = require "livestation.json"

---------------------------------------------------------------- valid parameters per operation

local function target(name)
  return { targetName = name or "YOUTUBE", rtmpUrl = "rtmp://a.rtmp.youtube.com/live2", streamKey = "abcd-efgh" }
end

local VALID = {
  ["channel.create"] = function()
    return {
      channelName = "live_01",
      cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1234, regionType = "KOREA" },
      qualitySetId = 3, useDvr = false, record = { type = "NO_RECORD" },
    }
  end,
  ["channel.update"] = function()
    return { channelId = "ls-1", channelName = "live_01", useDvr = false, immediateOnAir = false,
      record = { type = "NO_RECORD" } }
  end,
  ["vod.channel.create"] = function()
    return {
      channelName = "vod_01",
      cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1234, regionType = "KOREA" },
      qualitySetId = 3, drmEnabledYn = false,
    }
  end,
  ["vod.channel.update"] = function() return { channelId = "vod-1", channelName = "vod_01" } end,
  ["restream.create"] = function()
    return { channelName = "re_01", planType = "STANDARD", restream = { target() } }
  end,
  ["restream.updatePlatform"] = function()
    return { channelId = "rs-1", platformId = 3699, rtmpUrl = "rtmp://x.example.com/app", streamKey = "k1" }
  end,
  ["event.setNotification"] = function()
    return { channelId = "ls-1", alertOn = true,
      notificationManagerList = { { managerNo = 1, notifyType = "EMAIL", emailAddress = "ops@example.com" } } }
  end,
  ["callback.register"] = function() return { callbackUrl = "https://example.com/hook" } end,
  ["callback.registerLive"] = function() return { channelId = "ls-1", callbackEndpoint = "https://example.com/live" } end,
  ["callback.registerRestream"] = function() return { channelId = "rs-1", callbackEndpoint = "http://example.com/rs" } end,
  ["callback.registerVod"] = function() return { channelId = "vod-1", callbackEndpoint = "https://example.com/vod" } end,
  ["quality.create"] = function()
    return {
      name = "hd-720", type = "NORMAL",
      video = { codec = "H264", profile = "MAIN", level = -1, width = 1280, height = 720, fps = 29.97, bitrate = 4000000 },
      audio = { codec = "AAC", samplerate = 48000, channels = 2, bitrate = 128 },
    }
  end,
  ["qualitySet.create"] = function()
    return { name = "set-01", qualityIds = { 1, 2 }, isEnabledUll = false, segmentDuration = 2000,
      segmentCount = 3, enableHlsTimedMetadata = false }
  end,
  ["qualitySet.update"] = function() return { qualitySetId = 7, segmentDuration = 2000, segmentCount = 3 } end,
  ["shortclip.create"] = function()
    return { channelId = "ls-1", snapshotId = "12", startTime = 0, endTime = 1500,
      shortclip = { output = { accessControl = "PRIVATE", bucketName = "clips", filePath = "/2025" } } }
  end,
  ["curtain.content.create"] = function()
    return { content = { { bucketName = "b", filePath = "/slate.png" }, { bucketName = "b", filePath = "/music.mp3" } } }
  end,
  ["vod.schedule.create"] = function()
    return { channelId = "vod-1", startTime = "20250820190000", vodList = { { bucketName = "b", filePath = "/a.mp4" } } }
  end,
  ["vod.schedule.update"] = function() return { scheduleId = 1293, startTime = 20250820190000 } end,
  ["record.list"] = function() return { channelId = "ls-1" } end,
  ["record.upload"] = function() return { bucketName = "b", recordIds = { 1, 2 } } end,
  ["channel.list"] = function() return {} end,
  ["quality.list"] = function() return {} end,
  ["snapshot.create"] = function() return { channelId = "ls-1" } end,
}

local function check(id, params)
  return validate.check(assert(ops.get(id), id), params)
end

-- Asserts that check() fails with exactly this param, rule, code, message.
local function assert_fails(id, params, want)
  local ok, err = check(id, params)
  assert.is_nil(ok, id .. ": expected a failure: " .. want[4])
  assert.are.equal("table", type(err))
  assert.are.same({ kind = "validation", operation = id, param = want[1], rule = want[2], code = want[3],
    message = want[4] },
    { kind = err.kind, operation = err.operation, param = err.param, rule = err.rule, code = err.code,
      message = err.message })
end

local function assert_passes(id, params, label)
  local ok, err = check(id, params)
  assert.is_true(ok, (label or id) .. ": " .. tostring(err))
end

describe("validate.check", function()
  it("accepts the valid parameters of every operation listed here", function()
    for id, make in pairs(VALID) do assert_passes(id, make()) end
  end)

  ---------------------------------------------------------------- catalogue checks

  -- { label, op, mutate(params), {param, rule, code, message} }
  local FAILS = {
    { "unknown top-level name", "channel.list", function(p) p.page = 1 end,
      { "page", "unknown", 250012,
        "page: unknown parameter; valid: pageNo, pageSizeNo, channelStatus, id, channelName" } },
    { "unknown names reported in sorted order", "channel.list", function(p) p.zz = 1; p.aa = 2 end,
      { "aa", "unknown", 250012,
        "aa: unknown parameter; valid: pageNo, pageSizeNo, channelStatus, id, channelName" } },
    { "unknown name in a nested object", "channel.create", function(p) p.cdn.region = "KOREA" end,
      { "cdn.region", "unknown", 250012,
        "cdn.region: unknown parameter; valid in cdn: createCdn, cdnType, cdnDomain, profileId, regionType, cdnInstanceNo" } },
    { "unknown name in an array item", "vod.schedule.create", function(p) p.vodList[2] = { bucketName = "b", filePath = "/b.mp4", size = 1 } end,
      { "vodList[2].size", "unknown", 250012, "vodList[2].size: unknown parameter; valid in vodList[2]: bucketName, filePath" } },
    { "unknown name on an operation without parameters", "quality.list", function(p) p.x = 1 end,
      { "x", "unknown", 250012, "x: unknown parameter; valid: none" } },
    { "unknown names come before any other problem", "channel.create", function(p) p.channelName = nil; p.extra = true end,
      { "extra", "unknown", 250012,
        "extra: unknown parameter; valid: channelName, envType, outputProtocol, ingestProtocol, cdn, qualitySetId, useDvr, immediateOnAir, timemachineMin, record, isStreamFailOver, drmEnabledYn, drm" } },
    { "required, generic code", "channel.create", function(p) p.record = nil end,
      { "record", "required", 250011, "record: required but missing" } },
    { "required, json null counts as missing", "channel.create", function(p) p.record = json.null end,
      { "record", "required", 250011, "record: required but missing" } },
    { "required channel name", "channel.create", function(p) p.channelName = nil end,
      { "channelName", "required", 250142, "channelName: required but missing" } },
    { "required quality set", "channel.create", function(p) p.qualitySetId = nil end,
      { "qualitySetId", "required", 250116, "qualitySetId: required but missing" } },
    { "required useDvr", "channel.update", function(p) p.useDvr = nil end,
      { "useDvr", "required", 250121, "useDvr: required but missing" } },
    { "required CDN type", "vod.channel.create", function(p) p.cdn.cdnType = nil end,
      { "cdn.cdnType", "required", 250118, "cdn.cdnType: required but missing" } },
    { "required path parameter", "channel.update", function(p) p.channelId = nil end,
      { "channelId", "required", 250011, "channelId: required but missing" } },
    { "required channel id of the record list", "record.list", function(p) p.channelId = nil end,
      { "channelId", "required", 250506, "channelId: required but missing" } },
    { "required stream key", "restream.create", function(p) p.restream[1].streamKey = nil end,
      { "restream[1].streamKey", "required", 250143, "restream[1].streamKey: required but missing" } },
    { "required audio", "quality.create", function(p) p.audio = nil end,
      { "audio", "required", 250373, "audio: required but missing" } },
    { "required audio members", "quality.create", function(p) p.audio.samplerate = nil end,
      { "audio.samplerate", "required", 250327, "audio.samplerate: required but missing" } },
    { "required enableHlsTimedMetadata", "qualitySet.create", function(p) p.enableHlsTimedMetadata = nil end,
      { "enableHlsTimedMetadata", "required", 250377, "enableHlsTimedMetadata: required but missing" } },
    { "type integer", "channel.create", function(p) p.cdn.profileId = "1234" end,
      { "cdn.profileId", "type", 250021, 'cdn.profileId: must be an integer, got string "1234"' } },
    { "type integer refuses a fraction", "channel.create", function(p) p.qualitySetId = 3.5 end,
      { "qualitySetId", "type", 250021, "qualitySetId: must be an integer, got number 3.5" } },
    { "type number", "quality.create", function(p) p.video.fps = "30" end,
      { "video.fps", "type", 250021, 'video.fps: must be a number, got string "30"' } },
    { "type number refuses NaN", "quality.create", function(p) p.video.fps = 0 / 0 end,
      { "video.fps", "type", 250021, "video.fps: must be a number, got number " .. tostring(0 / 0) } },
    { "type string", "channel.create", function(p) p.channelName = 123 end,
      { "channelName", "type", 250021, "channelName: must be a string, got number 123" } },
    { "type boolean", "channel.create", function(p) p.useDvr = "false" end,
      { "useDvr", "type", 250021, 'useDvr: must be a boolean, got string "false"' } },
    { "type object", "channel.create", function(p) p.cdn = { 1, 2 } end,
      { "cdn", "type", 250021, "cdn: must be an object, got an array" } },
    { "type object refuses a marked empty array", "channel.create", function(p) p.record = json.array() end,
      { "record", "type", 250021, "record: must be an object, got an array" } },
    { "type array", "record.upload", function(p) p.recordIds = { first = 1 } end,
      { "recordIds", "type", 250021, "recordIds: must be an array, got an object" } },
    { "type of array items", "record.upload", function(p) p.recordIds = { 1, "2" } end,
      { "recordIds[2]", "type", 250021, 'recordIds[2]: must be an integer, got string "2"' } },
    { "type of object items", "vod.schedule.create", function(p) p.vodList = { "/a.mp4" } end,
      { "vodList[1]", "type", 250021, 'vodList[1]: must be an object, got string "/a.mp4"' } },
    { "type with a service code", "qualitySet.create", function(p) p.segmentCount = "3" end,
      { "segmentCount", "type", 250309, 'segmentCount: must be an integer, got string "3"' } },
    { "type never shows a hidden value", "restream.create", function(p) p.restream[1].streamKey = 42 end,
      { "restream[1].streamKey", "type", 250021, "restream[1].streamKey: must be a string, got a number" } },
    { "type: invalid UTF-8", "channel.create", function(p) p.channelName = "live\255\254" end,
      { "channelName", "type", 250012, "channelName: must be valid UTF-8 text" } },
    { "enum", "channel.create", function(p) p.envType = "PROD" end,
      { "envType", "enum", 250002, 'envType: must be one of REAL, DEV, STAGE, got "PROD"' } },
    { "enum with one value", "channel.create", function(p) p.useDvr = true; p.timemachineMin = 60 end,
      { "timemachineMin", "enum", 250122, "timemachineMin: must be 360, got 60" } },
    { "enum with a service code", "restream.create", function(p) p.planType = "BASIC" end,
      { "planType", "enum", 250127, 'planType: must be one of STANDARD, PROFESSIONAL, got "BASIC"' } },
    { "enum in an array item", "restream.create", function(p) p.restream[1].targetName = "TWITCH" end,
      { "restream[1].targetName", "enum", 250130,
        'restream[1].targetName: must be one of YOUTUBE, CHZZK, STEAM, YOUNOW, USTREAM, AFREECATV, PRISM, CUSTOM, got "TWITCH"' } },
    { "enum of the CDN type", "channel.create", function(p) p.cdn.cdnType = "CDN_PLUS" end,
      { "cdn.cdnType", "enum", 250120, 'cdn.cdnType: must be GLOBAL_EDGE, got "CDN_PLUS"' } },
    { "enum of the notify type", "event.setNotification", function(p) p.notificationManagerList[1].notifyType = "PUSH" end,
      { "notificationManagerList[1].notifyType", "enum", 250111,
        'notificationManagerList[1].notifyType: must be one of EMAIL, SMS, got "PUSH"' } },
    { "minLength", "channel.create", function(p) p.channelName = "ab" end,
      { "channelName", "minLength", 250104, "channelName: must be 3 to 20 characters, got 2" } },
    { "maxLength counts characters, not bytes", "channel.create", function(p) p.channelName = string.rep("가", 21) end,
      { "channelName", "maxLength", 250104, "channelName: must be 3 to 20 characters, got 21" } },
    { "minLength of a nested member", "qualitySet.create",
      function(p) p.enableHlsTimedMetadata = true; p.timedMetadata = { header = "", interval = 1000, key = "utc" } end,
      { "timedMetadata.header", "minLength", 250002, "timedMetadata.header: must be 1 to 128 characters, got 0" } },
    { "quality name length", "quality.create", function(p) p.name = "hd" end,
      { "name", "minLength", 250312, "name: must be 3 to 20 characters, got 2" } },
    { "min, paging", "channel.list", function(p) p.pageNo = 0 end,
      { "pageNo", "min", 250600, "pageNo: must be at least 1, got 0" } },
    { "max", "channel.list", function(p) p.pageSizeNo = 101 end,
      { "pageSizeNo", "max", 250002, "pageSizeNo: must be between 1 and 100, got 101" } },
    { "min of 1 in a range", "snapshot.create", function(p) p.limitedDuration = 0 end,
      { "limitedDuration", "min", 250600, "limitedDuration: must be between 1 and 240, got 0" } },
    { "min of 0", "shortclip.create", function(p) p.startTime = -1 end,
      { "startTime", "min", 250002, "startTime: must be at least 0, got -1" } },
    { "min and max equal", "quality.create", function(p) p.video.level = 0 end,
      { "video.level", "max", 250363, "video.level: must be -1, got 0" } },
    { "max with a service code", "quality.create", function(p) p.video.bitrate = 20000001 end,
      { "video.bitrate", "max", 250322, "video.bitrate: must be between 1 and 20000000, got 20000001" } },
    { "frame rates the service names", "quality.create", function(p) p.video.fps = 25 end,
      { "video.fps", "enum", 250368, "video.fps: must be one of 10, 15, 23.97, 24, 29.97, 30, 50, 60, got 25" } },
    { "frame rate beyond the list", "quality.create", function(p) p.video.fps = 61 end,
      { "video.fps", "enum", 250368, "video.fps: must be one of 10, 15, 23.97, 24, 29.97, 30, 50, 60, got 61" } },
    { "orientation only FIX", "quality.create", function(p) p.video.orientation = "FREE" end,
      { "video.orientation", "enum", 250362, 'video.orientation: must be FIX, got "FREE"' } },
    { "min with a service code", "quality.create", function(p) p.video.width = 64 end,
      { "video.width", "min", 250366, "video.width: must be between 128 and 1920, got 64" } },
    { "min bounds an array's items", "qualitySet.create", function(p) p.qualityIds = {} end,
      { "qualityIds", "min", 250313, "qualityIds: must have 1 to 4 items, got 0" } },
    { "max bounds an array's items", "qualitySet.create", function(p) p.qualityIds = { 1, 2, 3, 4, 5 } end,
      { "qualityIds", "max", 250313, "qualityIds: must have 1 to 4 items, got 5" } },
    { "max items only", "vod.schedule.create",
      function(p) for i = 1, 51 do p.vodList[i] = { bucketName = "b", filePath = "/" .. i .. ".mp4" } end end,
      { "vodList", "max", 250002, "vodList: must have at most 50 items, got 51" } },
    { "pattern", "channel.create", function(p) p.channelName = "live 01" end,
      { "channelName", "pattern", 250104, 'channelName: must match ^[0-9A-Za-z_가-힣]+$, got "live 01"' } },
    { "pattern of a quality set name", "qualitySet.create", function(p) p.name = "set_01" end,
      { "name", "pattern", 250312, 'name: must match ^[A-Za-z0-9-]{3,20}$, got "set_01"' } },
    { "pattern on an integer's decimal text", "vod.schedule.update", function(p) p.startTime = 2025082019000 end,
      { "startTime", "pattern", 250002, "startTime: must match ^[0-9]{14}$, got 2025082019000" } },
    { "pattern on a digit string for an integer", "vod.schedule.create", function(p) p.startTime = "202508201900000" end,
      { "startTime", "pattern", 250002, 'startTime: must match ^[0-9]{14}$, got "202508201900000"' } },
    { "a non-digit string for an integer with a pattern", "vod.schedule.create", function(p) p.startTime = "2025-08-20" end,
      { "startTime", "type", 250021, 'startTime: must be an integer, got string "2025-08-20"' } },
    { "pattern in an array item", "curtain.content.create", function(p) p.content[1].filePath = "slate.png" end,
      { "content[1].filePath", "pattern", 250002, 'content[1].filePath: must match ^/, got "slate.png"' } },
    { "pattern of the short clip folder", "shortclip.create", function(p) p.shortclip.output.filePath = "clips" end,
      { "shortclip.output.filePath", "pattern", 250151, 'shortclip.output.filePath: must match ^/, got "clips"' } },
    { "nested required", "shortclip.create", function(p) p.shortclip.output.bucketName = nil end,
      { "shortclip.output.bucketName", "required", 250011, "shortclip.output.bucketName: required but missing" } },
    { "long values are cut short in messages", "channel.create", function(p) p.envType = string.rep("x", 60) end,
      { "envType", "enum", 250002, 'envType: must be one of REAL, DEV, STAGE, got "' .. string.rep("x", 37) .. '..."' } },
  }

  for _, case in ipairs(FAILS) do
    it("fails: " .. case[1], function()
      local p = VALID[case[2]]()
      case[3](p)
      assert_fails(case[2], p, case[4])
    end)
  end

  -- { label, op, mutate(params) }
  local PASSES = {
    { "a Hangul channel name", "channel.create", function(p) p.channelName = "한국어_채널" end },
    { "a Hangul name on every channel kind", "restream.create", function(p) p.channelName = "재송출_채널" end },
    { "a Hangul VOD2LIVE name", "vod.channel.create", function(p) p.channelName = "브이오디채널" end },
    { "20 Hangul characters", "channel.update", function(p) p.channelName = string.rep("가", 20) end },
    { "an integer given as an integral float", "channel.create", function(p) p.qualitySetId = 6.0; p.cdn.profileId = 1234.0 end },
    { "an integer enum given as a float", "channel.create", function(p) p.useDvr = true; p.timemachineMin = 360.0 end },
    { "a number given as an integer", "quality.create", function(p) p.video.fps = 30 end },
    { "every frame rate the service names", "quality.create", function(p) p.video.fps = 23.97 end },
    { "a frame rate decoded from JSON", "quality.create", function(p) p.video.fps = json.decode("[29.97]")[1] end },
    { "the highest video bitrate", "quality.create", function(p) p.video.bitrate = 20000000; p.video.orientation = "FIX" end },
    { "an empty table as an empty array", "record.upload", function(p) p.recordIds = {} end },
    { "a marked empty array", "curtain.start", function(p) p.channelId = "ls-1"; p.contentId = json.array() end },
    { "false is a value", "channel.update", function(p) p.immediateOnAir = false end },
    { "json null as absent", "channel.create", function(p) p.drm = json.null end },
    { "a numeric id for a string path parameter", "shortclip.create", function(p) p.snapshotId = 12.0 end },
    { "an integer with a pattern given as a float", "vod.schedule.update", function(p) p.startTime = 20250820190000.0 end },
    { "the page bounds", "channel.list", function(p) p.pageNo = 1; p.pageSizeNo = 100 end },
    { "an empty table for an object", "channel.create", function(p) p.drm = {} end },
  }

  for _, case in ipairs(PASSES) do
    it("passes: " .. case[1], function()
      local p = VALID[case[2]] and VALID[case[2]]() or {}
      case[3](p)
      assert_passes(case[2], p, case[1])
    end)
  end

  it("reports a type error for parameters that are not a table", function()
    local ok, err = check("channel.list", "pageNo=1")
    assert.is_nil(ok)
    assert.are.equal("parameters must be a table, got string", err.message)
    assert.are.equal(250021, err.code)
  end)

  it("does not modify the parameters", function()
    local p = VALID["channel.create"]()
    p.qualitySetId = 6.0
    check("channel.create", p)
    assert.are.equal("float", math.type(p.qualitySetId))
    assert.are.same(VALID["channel.create"]().cdn, p.cdn)
  end)

  ---------------------------------------------------------------- rules.lua

  -- Each entry: op, rule key ("param|name", "when" for required rules),
  -- pass = mutation that satisfies the rule while it applies, fail =
  -- mutation that breaks it, err = {param, rule, code, message}.
  local RULES = {
    -- channel.create: CDN
    { "channel.create", "cdn.regionType|when",
      pass = function(p) p.cdn.regionType = "JAPAN" end,
      fail = function(p) p.cdn.regionType = nil end,
      err = { "cdn.regionType", "when", 250011, "cdn.regionType: required when cdn.createCdn is true, missing" } },
    { "channel.create", "cdn.cdnInstanceNo|when",
      pass = function(p) p.cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnInstanceNo = 55, cdnDomain = "x.edge.naverncp.com" } end,
      fail = function(p) p.cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnDomain = "x.edge.naverncp.com" } end,
      err = { "cdn.cdnInstanceNo", "when", 250119, "cdn.cdnInstanceNo: required when cdn.createCdn is false, missing" } },
    { "channel.create", "cdn.cdnDomain|when",
      pass = function(p) p.cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnInstanceNo = 55, cdnDomain = "d" } end,
      fail = function(p) p.cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnInstanceNo = 55 } end,
      err = { "cdn.cdnDomain", "when", 250011, "cdn.cdnDomain: required when cdn.createCdn is false, missing" } },
    -- channel.create: DVR and recording
    { "channel.create", "timemachineMin|when",
      pass = function(p) p.useDvr = true; p.timemachineMin = 360 end,
      fail = function(p) p.useDvr = true end,
      err = { "timemachineMin", "when", 250138, "timemachineMin: required when useDvr is true, missing" } },
    { "channel.create", "immediateOnAir|immediateOnAirNeedsDvr",
      pass = function(p) p.useDvr = true; p.timemachineMin = 360; p.immediateOnAir = true end,
      fail = function(p) p.useDvr = false; p.immediateOnAir = true end,
      err = { "immediateOnAir", "immediateOnAirNeedsDvr", 250139, "immediateOnAir: must be false when useDvr is false, got true" } },
    { "channel.create", "record.format|when",
      pass = function(p) p.record = { type = "AUTO_UPLOAD", format = "MP4", bucketName = "rec" } end,
      fail = function(p) p.record = { type = "AUTO_UPLOAD", bucketName = "rec" } end,
      err = { "record.format", "when", 250011, "record.format: required when record.type is AUTO_UPLOAD, missing" } },
    { "channel.create", "record.bucketName|when",
      pass = function(p) p.record = { type = "MANUAL_UPLOAD" } end,
      fail = function(p) p.record = { type = "AUTO_UPLOAD", format = "HLS" } end,
      err = { "record.bucketName", "when", 250011, "record.bucketName: required when record.type is AUTO_UPLOAD, missing" } },
    -- channel.create: DRM
    { "channel.create", "drm|when",
      pass = function(p) p.drmEnabledYn = true; p.drm = { siteId = "s", contentId = "c" } end,
      fail = function(p) p.drmEnabledYn = true end,
      err = { "drm", "when", 250011, "drm: required when drmEnabledYn is true, missing" } },
    { "channel.create", "drm.siteId|when",
      pass = function(p) p.drmEnabledYn = false; p.drm = {} end,
      fail = function(p) p.drmEnabledYn = true; p.drm = { contentId = "c" } end,
      err = { "drm.siteId", "when", 250011, "drm.siteId: required when drmEnabledYn is true, missing" } },
    { "channel.create", "drm.contentId|when",
      pass = function(p) p.drmEnabledYn = true; p.drm = { siteId = "s", contentId = "c" } end,
      fail = function(p) p.drmEnabledYn = true; p.drm = { siteId = "s" } end,
      err = { "drm.contentId", "when", 250011, "drm.contentId: required when drmEnabledYn is true, missing" } },
    -- channel.create: protocol rules from the notes
    { "channel.create", "cdn.regionType|llHlsRegion",
      pass = function(p) p.outputProtocol = "LL_HLS"; p.cdn.regionType = "KOREA" end,
      fail = function(p) p.outputProtocol = "LL_HLS"; p.cdn.regionType = "GLOBAL" end,
      err = { "cdn.regionType", "llHlsRegion", 250110, 'cdn.regionType: must be KOREA when outputProtocol is LL_HLS, got "GLOBAL"' } },
    { "channel.create", "outputProtocol|srtOutput",
      pass = function(p) p.ingestProtocol = "SRT" end, -- outputProtocol defaults to HLS
      fail = function(p) p.ingestProtocol = "SRT"; p.outputProtocol = "HLS,DASH" end,
      err = { "outputProtocol", "srtOutput", 250110, 'outputProtocol: must be HLS when ingestProtocol is SRT, got "HLS,DASH"' } },

    -- channel.update
    { "channel.update", "timemachineMin|when",
      pass = function(p) p.useDvr = true; p.timemachineMin = 360 end,
      fail = function(p) p.useDvr = true end,
      err = { "timemachineMin", "when", 250138, "timemachineMin: required when useDvr is true, missing" } },
    { "channel.update", "immediateOnAir|immediateOnAirNeedsDvr",
      pass = function(p) p.useDvr = false; p.immediateOnAir = false end,
      fail = function(p) p.useDvr = false; p.immediateOnAir = true end,
      err = { "immediateOnAir", "immediateOnAirNeedsDvr", 250139, "immediateOnAir: must be false when useDvr is false, got true" } },
    { "channel.update", "record.format|when",
      pass = function(p) p.record = { type = "AUTO_UPLOAD", format = "ALL", bucketName = "rec" } end,
      fail = function(p) p.record = { type = "AUTO_UPLOAD", bucketName = "rec" } end,
      err = { "record.format", "when", 250011, "record.format: required when record.type is AUTO_UPLOAD, missing" } },
    { "channel.update", "record.bucketName|when",
      pass = function(p) p.record = { type = "AUTO_UPLOAD", format = "ALL", bucketName = "rec" } end,
      fail = function(p) p.record = { type = "AUTO_UPLOAD", format = "ALL" } end,
      err = { "record.bucketName", "when", 250011, "record.bucketName: required when record.type is AUTO_UPLOAD, missing" } },

    -- vod.channel.create
    { "vod.channel.create", "cdn.regionType|when",
      pass = function(p) p.cdn.regionType = "GLOBAL" end,
      fail = function(p) p.cdn.regionType = nil end,
      err = { "cdn.regionType", "when", 250011, "cdn.regionType: required when cdn.createCdn is true, missing" } },
    { "vod.channel.create", "cdn.cdnInstanceNo|when",
      pass = function(p) p.cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnInstanceNo = 9, cdnDomain = "d" } end,
      fail = function(p) p.cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnDomain = "d" } end,
      err = { "cdn.cdnInstanceNo", "when", 250119, "cdn.cdnInstanceNo: required when cdn.createCdn is false, missing" } },
    { "vod.channel.create", "cdn.cdnDomain|when",
      pass = function(p) p.cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnInstanceNo = 9, cdnDomain = "d" } end,
      fail = function(p) p.cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 1, cdnInstanceNo = 9 } end,
      err = { "cdn.cdnDomain", "when", 250011, "cdn.cdnDomain: required when cdn.createCdn is false, missing" } },
    { "vod.channel.create", "drm|when",
      pass = function(p) p.drmEnabledYn = true; p.drm = { siteId = "s", contentId = "c" } end,
      fail = function(p) p.drmEnabledYn = true end,
      err = { "drm", "when", 250011, "drm: required when drmEnabledYn is true, missing" } },
    { "vod.channel.create", "drm.siteId|when",
      pass = function(p) p.drmEnabledYn = true; p.drm = { siteId = "s", contentId = "c" } end,
      fail = function(p) p.drmEnabledYn = true; p.drm = { contentId = "c" } end,
      err = { "drm.siteId", "when", 250011, "drm.siteId: required when drmEnabledYn is true, missing" } },
    { "vod.channel.create", "drm.contentId|when",
      pass = function(p) p.drmEnabledYn = true; p.drm = { siteId = "s", contentId = "c" } end,
      fail = function(p) p.drmEnabledYn = true; p.drm = { siteId = "s" } end,
      err = { "drm.contentId", "when", 250011, "drm.contentId: required when drmEnabledYn is true, missing" } },

    -- restream
    { "restream.create", "restream|standardTargets",
      pass = function(p) p.restream = { target(), target("CHZZK"), target("PRISM") } end,
      fail = function(p) p.restream = { target(), target(), target(), target() } end,
      err = { "restream", "standardTargets", 250128, "restream: must have at most 3 items when planType is STANDARD, got 4" } },
    { "restream.create", "restream|professionalTargets",
      pass = function(p) p.planType = "PROFESSIONAL"; p.restream = { target(), target(), target(), target(), target() } end,
      fail = function(p) p.planType = "PROFESSIONAL"; p.restream = { target(), target(), target(), target(), target(), target() } end,
      err = { "restream", "professionalTargets", 250126, "restream: must have at most 5 items when planType is PROFESSIONAL, got 6" } },
    { "restream.create", "restream.rtmpUrl|rtmpUrl",
      pass = function(p) p.restream[2] = target(); p.restream[2].rtmpUrl = "RTMPS://live.example.com/app" end,
      fail = function(p) p.restream[2] = target(); p.restream[2].rtmpUrl = "https://live.example.com/app" end,
      err = { "restream[2].rtmpUrl", "rtmpUrl", 250129,
        'restream[2].rtmpUrl: must start with rtmp:// or rtmps://, got "https://live.example.com/app"' } },
    { "restream.updatePlatform", "rtmpUrl|rtmpUrl",
      pass = function(p) p.rtmpUrl = "rtmp://a/b" end,
      fail = function(p) p.rtmpUrl = "a/b" end,
      err = { "rtmpUrl", "rtmpUrl", 250129, 'rtmpUrl: must start with rtmp:// or rtmps://, got "a/b"' } },

    -- notifications
    { "event.setNotification", "notificationManagerList.emailAddress|when",
      pass = function(p) p.notificationManagerList[2] = { managerNo = 2, notifyType = "SMS", cellPhoneNo = "01012345678" } end,
      fail = function(p) p.notificationManagerList[2] = { managerNo = 2, notifyType = "EMAIL", cellPhoneNo = "01012345678" } end,
      err = { "notificationManagerList[2].emailAddress", "when", 250011,
        "notificationManagerList[2].emailAddress: required when notificationManagerList[2].notifyType is EMAIL, missing" } },
    { "event.setNotification", "notificationManagerList.cellPhoneNo|when",
      pass = function(p) p.notificationManagerList[1] = { managerNo = 2, notifyType = "SMS", cellPhoneNo = "01012345678" } end,
      fail = function(p) p.notificationManagerList[1] = { managerNo = 2, notifyType = "SMS", emailAddress = "a@b.c" } end,
      err = { "notificationManagerList[1].cellPhoneNo", "when", 250011,
        "notificationManagerList[1].cellPhoneNo: required when notificationManagerList[1].notifyType is SMS, missing" } },

    -- callbacks
    { "callback.register", "callbackUrl|url",
      pass = function(p) p.callbackUrl = "HTTP://example.com" end,
      fail = function(p) p.callbackUrl = "example.com/hook" end,
      err = { "callbackUrl", "url", 250022, 'callbackUrl: must start with http:// or https://, got "example.com/hook"' } },
    { "callback.registerLive", "callbackEndpoint|url",
      pass = function(p) p.callbackEndpoint = "http://10.0.0.1:8080/cb" end,
      fail = function(p) p.callbackEndpoint = "ftp://example.com" end,
      err = { "callbackEndpoint", "url", 250022, 'callbackEndpoint: must start with http:// or https://, got "ftp://example.com"' } },
    { "callback.registerRestream", "callbackEndpoint|url",
      pass = function(p) p.callbackEndpoint = "https://example.com/rs" end,
      fail = function(p) p.callbackEndpoint = "" end,
      err = { "callbackEndpoint", "url", 250022, 'callbackEndpoint: must start with http:// or https://, got ""' } },
    { "callback.registerVod", "callbackEndpoint|url",
      pass = function(p) p.callbackEndpoint = "https://example.com/vod" end,
      fail = function(p) p.callbackEndpoint = "javascript:alert(1)" end,
      err = { "callbackEndpoint", "url", 250022, 'callbackEndpoint: must start with http:// or https://, got "javascript:alert(1)"' } },

    -- quality.create: video block
    { "quality.create", "video|when",
      pass = function(p) p.type = "AUDIO"; p.video = nil end,
      fail = function(p) p.video = nil end,
      err = { "video", "when", 250372, "video: required when type is NORMAL, missing" } },
    { "quality.create", "video.codec|when",
      pass = function(p) p.type = "AUDIO"; p.video.codec = nil end,
      fail = function(p) p.video.codec = nil end,
      err = { "video.codec", "when", 250314, "video.codec: required when type is NORMAL, missing" } },
    { "quality.create", "video.profile|when",
      pass = function(p) p.type = "AUDIO"; p.video.profile = nil end,
      fail = function(p) p.video.profile = nil end,
      err = { "video.profile", "when", 250315, "video.profile: required when type is NORMAL, missing" } },
    { "quality.create", "video.level|when",
      pass = function(p) p.video.level = -1.0 end,
      fail = function(p) p.video.level = nil end,
      err = { "video.level", "when", 250316, "video.level: required when type is NORMAL, missing" } },
    { "quality.create", "video.width|when",
      pass = function(p) p.video.width = 1920 end,
      fail = function(p) p.video.width = nil end,
      err = { "video.width", "when", 250011, "video.width: required when type is NORMAL, missing" } },
    { "quality.create", "video.height|when",
      pass = function(p) p.video.height = 1080 end,
      fail = function(p) p.video.height = nil end,
      err = { "video.height", "when", 250011, "video.height: required when type is NORMAL, missing" } },
    { "quality.create", "video.fps|when",
      pass = function(p) p.video.fps = 60 end,
      fail = function(p) p.video.fps = nil end,
      err = { "video.fps", "when", 250011, "video.fps: required when type is NORMAL, missing" } },
    { "quality.create", "video.bitrate|when",
      pass = function(p) p.video.bitrate = 1 end,
      fail = function(p) p.video.bitrate = nil end,
      err = { "video.bitrate", "when", 250011, "video.bitrate: required when type is NORMAL, missing" } },
    { "quality.create", "video.width|evenSize",
      pass = function(p) p.video.width = 1922 - 2 end,
      fail = function(p) p.video.width = 1279 end,
      err = { "video.width", "evenSize", 250342, "video.width: must be even, got 1279" } },
    { "quality.create", "video.height|evenSize",
      pass = function(p) p.video.height = 720.0 end,
      fail = function(p) p.video.height = 719 end,
      err = { "video.height", "evenSize", 250342, "video.height: must be even, got 719" } },
    { "quality.create", "video.profile|baselineBelow720p",
      pass = function(p) p.video.width = 854; p.video.height = 480; p.video.profile = "BASELINE" end,
      fail = function(p) p.video.width = 1280; p.video.height = 718; p.video.profile = "HIGH" end,
      err = { "video.profile", "baselineBelow720p", 250341,
        'video.profile: must be BASELINE when video.width x video.height is below 921600, got "HIGH"' } },
    { "quality.create", "video.bframes|bframesBelow480p",
      pass = function(p) p.video.width = 640; p.video.height = 360; p.video.profile = "BASELINE"; p.video.bframes = 0 end,
      fail = function(p) p.video.width = 640; p.video.height = 360; p.video.profile = "BASELINE"; p.video.bframes = 2 end,
      err = { "video.bframes", "bframesBelow480p", 250334,
        "video.bframes: must be 0 when video.width x video.height is below 409920, got 2" } },
    { "quality.create", "video.bframes|bframesBelow720p",
      pass = function(p) p.video.width = 854; p.video.height = 480; p.video.profile = "BASELINE"; p.video.bframes = 2 end,
      fail = function(p) p.video.width = 854; p.video.height = 480; p.video.profile = "BASELINE"; p.video.bframes = 3 end,
      err = { "video.bframes", "bframesBelow720p", 250335,
        "video.bframes: must be one of 0, 1, 2 when video.width x video.height is below 921600, got 3" } },
    -- quality.create: audio block
    { "quality.create", "audio.profile|audioProfileAacOnly",
      pass = function(p) p.audio.profile = "LC" end,
      fail = function(p) p.audio = { codec = "MP3", profile = "LC", samplerate = 44100, channels = 2, bitrate = 128 } end,
      err = { "audio.profile", "audioProfileAacOnly", 250333, "audio.profile: must not be given when audio.codec is not AAC" } },
    { "quality.create", "audio.samplerate|aacSampleRate",
      pass = function(p) p.audio.samplerate = 96000 end,
      fail = function(p) p.audio.samplerate = 44000 end,
      err = { "audio.samplerate", "aacSampleRate", 250358,
        "audio.samplerate: must be one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000 when audio.codec is AAC, got 44000" } },
    { "quality.create", "audio.samplerate|mp3SampleRate",
      pass = function(p) p.audio.codec = "MP3"; p.audio.samplerate = 48000 end,
      fail = function(p) p.audio.codec = "MP3"; p.audio.samplerate = 96000 end,
      err = { "audio.samplerate", "mp3SampleRate", 250359,
        "audio.samplerate: must be one of 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 when audio.codec is MP3, got 96000" } },
    { "quality.create", "audio.channels|aacChannels",
      pass = function(p) p.audio.channels = 8 end,
      fail = function(p) p.audio.channels = 9 end,
      err = { "audio.channels", "aacChannels", 250355, "audio.channels: must be between 0 and 8 when audio.codec is AAC, got 9" } },
    { "quality.create", "audio.channels|mp3Channels",
      pass = function(p) p.audio.codec = "MP3"; p.audio.channels = 2 end,
      fail = function(p) p.audio.codec = "MP3"; p.audio.channels = 6 end,
      err = { "audio.channels", "mp3Channels", 250356, "audio.channels: must be between 0 and 2 when audio.codec is MP3, got 6" } },
    { "quality.create", "audio.bitrate|audioBitrate",
      pass = function(p) p.audio.bitrate = 320 end,
      fail = function(p) p.audio.bitrate = 8 end,
      err = { "audio.bitrate", "audioBitrate", 250357, "audio.bitrate: must be between 16 and 320, got 8" } },

    -- quality sets
    { "qualitySet.create", "segmentDuration|when",
      pass = function(p) p.isEnabledUll = true; p.segmentDuration = nil; p.segmentCount = nil end,
      fail = function(p) p.segmentDuration = nil end,
      err = { "segmentDuration", "when", 250011, "segmentDuration: required when isEnabledUll is false, missing" } },
    { "qualitySet.create", "segmentCount|when",
      pass = function(p) p.segmentCount = 10 end,
      fail = function(p) p.segmentCount = nil end,
      err = { "segmentCount", "when", 250011, "segmentCount: required when isEnabledUll is false, missing" } },
    { "qualitySet.create", "segmentDuration|segmentStep",
      pass = function(p) p.segmentDuration = 1500 end,
      fail = function(p) p.segmentDuration = 1250 end,
      err = { "segmentDuration", "segmentStep", 250307, "segmentDuration: must be a multiple of 500, got 1250" } },
    { "qualitySet.create", "timedMetadata|when",
      pass = function(p) p.enableHlsTimedMetadata = true; p.timedMetadata = { header = "ncloud.livestation.metadata", interval = 1000, key = "utc" } end,
      fail = function(p) p.enableHlsTimedMetadata = true end,
      err = { "timedMetadata", "when", 250375, "timedMetadata: required when enableHlsTimedMetadata is true, missing" } },
    { "qualitySet.create", "timedMetadata.header|when",
      pass = function(p) p.timedMetadata = { header = "h", interval = 1000, key = "utc" } end,
      fail = function(p) p.timedMetadata = { interval = 1000, key = "utc" } end,
      err = { "timedMetadata.header", "when", 250345, "timedMetadata.header: required when timedMetadata is given, missing" } },
    { "qualitySet.create", "timedMetadata.interval|when",
      pass = function(p) p.timedMetadata = { header = "h", interval = 1000.0, key = "utc" } end,
      fail = function(p) p.timedMetadata = { header = "h", key = "utc" } end,
      err = { "timedMetadata.interval", "when", 250011, "timedMetadata.interval: required when timedMetadata is given, missing" } },
    { "qualitySet.create", "timedMetadata.key|when",
      pass = function(p) p.timedMetadata = { header = "h", interval = 1000, key = "utc" } end,
      fail = function(p) p.timedMetadata = { header = "h", interval = 1000 } end,
      err = { "timedMetadata.key", "when", 250344, "timedMetadata.key: required when timedMetadata is given, missing" } },
    { "qualitySet.update", "segmentDuration|segmentStep",
      pass = function(p) p.segmentDuration = 10000 end,
      fail = function(p) p.segmentDuration = 2100 end,
      err = { "segmentDuration", "segmentStep", 250307, "segmentDuration: must be a multiple of 500, got 2100" } },

    -- short clips
    { "shortclip.create", "endTime|clipLength",
      pass = function(p) p.startTime = 1000; p.endTime = 1100 end,
      fail = function(p) p.startTime = 1000; p.endTime = 1099 end,
      err = { "endTime", "clipLength", 250002,
        "endTime: must be between startTime + 100 and startTime + 14400000, got startTime + 99" } },
    { "shortclip.create", "endTime|clipLength",
      pass = function(p) p.startTime = 0; p.endTime = 14400000 end,
      fail = function(p) p.startTime = 5000; p.endTime = 1000 end,
      err = { "endTime", "clipLength", 250002,
        "endTime: must be between startTime + 100 and startTime + 14400000, got startTime - 4000" } },

    -- curtain contents
    { "curtain.content.create", "content.filePath|fileType",
      pass = function(p) p.content[1].filePath = "/Slate.JPEG" end,
      fail = function(p) p.content[1].filePath = "/slate.gif" end,
      err = { "content[1].filePath", "fileType", 250002,
        'content[1].filePath: must end with .png, .jpg, .jpeg, .mp4, .aac, .mp3, .m4a, got "/slate.gif"' } },
    { "curtain.content.create", "content|fileMix",
      pass = function(p) p.content = { { bucketName = "b", filePath = "/a.mp4" }, { bucketName = "b", filePath = "/b.MP4" } } end,
      fail = function(p) p.content[3] = { bucketName = "b", filePath = "/a.mp4" } end,
      err = { "content", "fileMix", 250002, "content: video files cannot be combined with images or audio" } },
    { "curtain.content.create", "content|fileMix",
      pass = function(p) p.content = { { bucketName = "b", filePath = "/slate.png" } } end,
      fail = function(p) p.content = { { bucketName = "b", filePath = "/a.m4a" } } end,
      err = { "content", "fileMix", 250002, "content: audio alone is not accepted; add an image" } },
    { "curtain.content.create", "content|fileMix",
      pass = function(p)
        p.content = {}
        for i = 1, 10 do p.content[i] = { bucketName = "b", filePath = "/" .. i .. ".mp4" } end
      end,
      fail = function(p)
        p.content = {}
        for i = 1, 11 do p.content[i] = { bucketName = "b", filePath = "/" .. i .. ".mp4" } end
      end,
      err = { "content", "fileMix", 250002, "content: must have at most 10 video files, got 11" } },

    -- VOD2LIVE schedules
    { "vod.schedule.create", "startTime|startTime",
      pass = function(p) p.startTime = "20280229235959" end,
      fail = function(p) p.startTime = "20270229120000" end,
      err = { "startTime", "startTime", 250002, 'startTime: must be a real date and time written yyyyMMddHHmmss, got "20270229120000"' } },
    { "vod.schedule.create", "vodList.filePath|mp4Only",
      pass = function(p) p.vodList[1].filePath = "/show/ep1.MP4" end,
      fail = function(p) p.vodList[1].filePath = "/show/ep1.mov" end,
      err = { "vodList[1].filePath", "mp4Only", 250002, 'vodList[1].filePath: must end with .mp4, got "/show/ep1.mov"' } },
    { "vod.schedule.update", "startTime|startTime",
      pass = function(p) p.startTime = 20251231000000 end,
      fail = function(p) p.startTime = 20251231240000 end,
      err = { "startTime", "startTime", 250002, "startTime: must be a real date and time written yyyyMMddHHmmss, got 20251231240000" } },
    { "vod.schedule.update", "vodList.filePath|mp4Only",
      pass = function(p) p.vodList = { { bucketName = "b", filePath = "/x.mp4" } } end,
      fail = function(p) p.vodList = { { bucketName = "b", filePath = "/x.mp4" }, { filePath = "/y.ts" } } end,
      err = { "vodList[2].filePath", "mp4Only", 250002, 'vodList[2].filePath: must end with .mp4, got "/y.ts"' } },
  }

  for i, case in ipairs(RULES) do
    local id, key = case[1], case[2]
    it(("rule %s %s (#%d) passes"):format(id, key, i), function()
      local p = VALID[id]()
      case.pass(p)
      assert_passes(id, p, key)
    end)
    it(("rule %s %s (#%d) fails"):format(id, key, i), function()
      local p = VALID[id]()
      case.fail(p)
      assert_fails(id, p, case.err)
    end)
  end

  it("has a case for every rule in rules.lua", function()
    local covered = {}
    for _, case in ipairs(RULES) do covered[case[1] .. " " .. case[2]] = true end
    local missing = {}
    for id, entry in pairs(rules.ops) do
      assert.is_truthy(ops.get(id), "rules.lua names an unknown operation " .. id)
      for _, r in ipairs(entry.rules) do
        local key = (r.each and r.each .. "." or "") .. r.param .. "|" .. (r.kind == "required" and "when" or r.name)
        if not covered[id .. " " .. key] then missing[#missing + 1] = id .. " " .. key end
      end
    end
    table.sort(missing)
    assert.are.same({}, missing)
  end)

  it("enforces or explains every conditional parameter of the catalogue", function()
    local loose = {}
    for _, op in ipairs(ops.all()) do
      local entry = rules.get(op.id)
      local enforced = {}
      for _, r in ipairs(entry.rules) do
        if r.kind == "required" then enforced[(r.each and r.each .. "." or "") .. r.param] = true end
      end
      local function walk(list, prefix)
        for _, p in ipairs(list or {}) do
          local path = prefix .. p.name
          if p.required == "conditional" and not enforced[path]
              and not (rules.unenforced[op.id] and rules.unenforced[op.id][path]) then
            loose[#loose + 1] = op.id .. " " .. path
          end
          walk(p.fields, path .. ".")
        end
      end
      walk(op.params, "")
    end
    assert.are.same({}, loose)
  end)

  it("names only parameters the catalogue has, in rules and codes", function()
    for id, entry in pairs(rules.ops) do
      local op = ops.get(id)
      for _, r in ipairs(entry.rules) do
        local path = (r.each and r.each .. "." or "") .. r.param
        assert.is_truthy(op.param(path), id .. " rule on " .. path)
        if r.when then
          local cpath = (r.each and r.each .. "." or "") .. r.when.param
          assert.is_truthy(op.param(cpath), id .. " condition on " .. cpath)
        end
        assert.is_truthy(require("livestation.catalogue").errors[r.code], id .. " code " .. r.code)
      end
      for shape, codes in pairs(entry.codes) do
        assert.is_truthy(op.param(shape), id .. " codes for " .. shape)
        for _, code in pairs(codes) do
          assert.is_truthy(require("livestation.catalogue").errors[code], id .. " code " .. code)
        end
      end
    end
  end)
end)

---------------------------------------------------------------- from_request

describe("validate.from_request", function()
  local function req(id, path, query, body)
    return validate.from_request(assert(ops.get(id), id), path, query, body)
  end

  local function assert_error(params, err, want)
    assert.is_nil(params)
    assert.are.same(want, { err.param, err.rule, err.code, err.message })
  end

  it("converts integer query values", function()
    local p = req("channel.list", {}, { pageNo = "12", pageSizeNo = "+30", channelName = "007" })
    assert.are.equal(12, p.pageNo)
    assert.are.equal("integer", math.type(p.pageNo))
    assert.are.equal(30, p.pageSizeNo)
    assert.are.equal("007", p.channelName)
  end)

  it("answers 250021 with the service's template for a non-numeric integer", function()
    local p, err = req("channel.list", {}, { pageNo = "abc" })
    assert_error(p, err, { "pageNo", "type", 250021, "pageNo: Invalid parameter type.abc can not convert to type integer." })
    p, err = req("channel.list", {}, { pageNo = "1.5" })
    assert_error(p, err, { "pageNo", "type", 250021, "pageNo: Invalid parameter type.1.5 can not convert to type integer." })
    p, err = req("channel.list", {}, { pageNo = "99999999999999999999" })
    assert_error(p, err, { "pageNo", "type", 250021,
      "pageNo: Invalid parameter type.99999999999999999999 can not convert to type integer." })
  end)

  it("converts path values by type", function()
    local p = req("record.get", { channelId = "123", recordId = "7" })
    assert.are.same({ channelId = "123", recordId = 7 }, p)
    local _, err = req("record.get", { channelId = "ls-1", recordId = "x7" })
    assert.are.same({ "recordId", 250021, "recordId: Invalid parameter type.x7 can not convert to type integer." },
      { err.param, err.code, err.message })
  end)

  it("converts booleans", function()
    assert.is_false(req("channel.streamMetadata", { channelId = "c" }, { backup = "false" }).backup)
    assert.is_true(req("channel.streamMetadata", { channelId = "c" }, { backup = "TRUE" }).backup)
    local p, err = req("channel.streamMetadata", { channelId = "c" }, { backup = "maybe" })
    assert_error(p, err, { "backup", "type", 250021, "backup: Invalid parameter type.maybe can not convert to type boolean." })
  end)

  it("treats an empty non-string query value as absent and takes the first of repeated ones", function()
    local p = req("channel.list", {}, { pageNo = "" })
    assert.is_nil(p.pageNo)
    p = req("channel.list", {}, { pageNo = { "2", "3" } })
    assert.are.equal(2, p.pageNo)
  end)

  it("then validates the converted values", function()
    local p, err = req("channel.list", {}, { pageNo = "0" })
    assert_error(p, err, { "pageNo", "min", 250600, "pageNo: must be at least 1, got 0" })
    p, err = req("channel.serviceUrls", { channelId = "c" }, {})
    assert_error(p, err, { "serviceUrlType", "required", 250011, "serviceUrlType: required but missing" })
  end)

  it("refuses unknown query names", function()
    local p, err = req("channel.get", { channelId = "c" }, { verbose = "1" })
    assert_error(p, err, { "verbose", "unknown", 250012, "verbose: unknown parameter; valid: none" })
  end)

  it("turns a plain cjson body into integers and drops nulls", function()
    local cjson = require "cjson"
    local body = cjson.decode([[{"channelName":"한국어_채널","cdn":{"createCdn":true,"cdnType":"GLOBAL_EDGE",
      "profileId":1234,"regionType":"KOREA"},"qualitySetId":3,"useDvr":true,"timemachineMin":360,
      "record":{"type":"NO_RECORD"},"drm":null}]])
    assert.are.equal("float", math.type(body.qualitySetId))
    local p = req("channel.create", {}, {}, body)
    assert.are.equal("integer", math.type(p.qualitySetId))
    assert.are.equal("integer", math.type(p.cdn.profileId))
    assert.are.equal("integer", math.type(p.timemachineMin))
    assert.is_nil(p.drm)
    assert.are.equal("한국어_채널", p.channelName)
  end)

  it("takes path, query and body together", function()
    local body = json.decode('{"startTime":0,"endTime":1500,"shortclip":{"output":{"accessControl":"PRIVATE","bucketName":"b","filePath":"/c"}}}')
    local op, values = ops.match("POST", "/api/v2/channels/ls-1/4711")
    local p = validate.from_request(op, values, {}, body)
    assert.are.equal("ls-1", p.channelId)
    assert.are.equal("4711", p.snapshotId)
    assert.are.equal(1500, p.endTime)
  end)

  it("keeps empty arrays", function()
    local p = req("record.upload", { bucketName = "b" }, {}, json.decode('{"recordIds":[]}'))
    assert.are.same({}, p.recordIds)
    assert.is_true(json.is_array(p.recordIds))
  end)

  it("refuses a body that is not an object", function()
    local p, err = req("record.upload", { bucketName = "b" }, {}, json.decode("[1,2]"))
    assert_error(p, err, { nil, "type", 250012, "body: must be a JSON object" })
    p, err = req("record.upload", { bucketName = "b" }, {}, "text")
    assert_error(p, err, { nil, "type", 250012, "body: must be a JSON object" })
  end)

  it("refuses body members that are not body parameters", function()
    local body = { channelId = "other", channelName = "live_01", useDvr = false, immediateOnAir = false, record = { type = "NO_RECORD" } }
    local p, err = req("channel.update", { channelId = "ls-1" }, {}, body)
    assert_error(p, err, { "channelId", "unknown", 250012,
      "channelId: unknown parameter; valid: channelName, envType, outputProtocol, useDvr, immediateOnAir, timemachineMin, record" })
  end)

  it("reports body problems with the service's codes", function()
    local body = json.decode('{"channelName":"ab","planType":"STANDARD","restream":[{"targetName":"YOUTUBE","rtmpUrl":"rtmp://a","streamKey":"k"}]}')
    local p, err = req("restream.create", {}, {}, body)
    assert_error(p, err, { "channelName", "minLength", 250104, "channelName: must be 3 to 20 characters, got 2" })
  end)
end)

---------------------------------------------------------------- pattern

describe("pattern", function()
  local MATCHES = {
    { "^[0-9A-Za-z_가-힣]+$", "한국어_채널", true },
    { "^[0-9A-Za-z_가-힣]+$", "live_01", true },
    { "^[0-9A-Za-z_가-힣]+$", "ㄱㄴ", false }, -- lone jamo are outside 가-힣
    { "^[0-9A-Za-z_가-힣]+$", "", false },
    { "^[0-9A-Za-z_가-힣]+$", "live-01", false },
    { "^[A-Za-z0-9-]{3,20}$", "set-01", true },
    { "^[A-Za-z0-9-]{3,20}$", "ab", false },
    { "^[A-Za-z0-9-]{3,20}$", string.rep("a", 21), false },
    { "^[A-Za-z0-9_가-힣]{3,20}$", string.rep("힣", 20), true },
    { "^[A-Za-z0-9_가-힣]{3,20}$", string.rep("힣", 21), false },
    { "^/", "/a", true },
    { "^/", "a/", false },
    { "^[0-9]{14}$", "20250820190000", true },
    { "^[0-9]{14}$", "2025082019000", false },
    { "b+c", "aabbbcd", true },
    { "a$", "ba", true },
    { "a$", "ab", false },
    { "^a*a$", "aaaa", true },
    { "^ab?c{2,}$", "accc", true },
    { "^ab?c{2,}$", "abc", false },
    { "^[^0-9]+$", "abc", true },
    { "^[^0-9]+$", "ab1", false },
    { "^x\\.y$", "x.y", true },
    { "^x\\.y$", "xzy", false },
    { "^[a-]+$", "a-a", true },
    { "^[0-9]{14}$", "2025\255", false },
  }

  for _, c in ipairs(MATCHES) do
    it(("%s %s %q"):format(c[1], c[3] and "matches" or "does not match", c[2]), function()
      assert.are.equal(c[3], pattern.test(c[1], c[2]))
    end)
  end

  local REFUSED = {
    { "(a)", "pattern: unsupported group '(' at position 1 in (a)" },
    { "a|b", "pattern: unsupported alternation '|' at position 2 in a|b" },
    { "^.+$", "pattern: unsupported wildcard '.' at position 2 in ^.+$" },
    { "^\\d+$", "pattern: unsupported escape '\\d' at position 2 in ^\\d+$" },
    { "a+?", "pattern: unsupported lazy, possessive or stacked quantifier at position 3 in a+?" },
    { "[]", "pattern: unsupported empty class or leading ']' at position 2 in []" },
    { "[a", "pattern: unsupported unterminated class at position 1 in [a" },
    { "*a", "pattern: unsupported quantifier with nothing to repeat at position 1 in *a" },
    { "a{3,2}", "pattern: unsupported quantifier {m,n} with n < m at position 2 in a{3,2}" },
    { "a$b", "pattern: unsupported '$' not at the end at position 2 in a$b" },
    { "[z-a]", "pattern: unsupported reversed range at position 4 in [z-a]" },
    { "[[:alpha:]]", "pattern: unsupported '[' inside a class at position 2 in [[:alpha:]]" },
    { "(?=a)", "pattern: unsupported group '(' at position 1 in (?=a)" },
  }

  for _, c in ipairs(REFUSED) do
    it("refuses " .. c[1], function()
      assert.has_error(function() pattern.compile(c[1]) end, c[2])
    end)
  end

  it("compiles once per source", function()
    assert.are.equal(pattern.get("^/"), pattern.get("^/"))
    assert.are.equal("pattern ^/", tostring(pattern.get("^/")))
  end)
end)
