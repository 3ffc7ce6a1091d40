-- Conditional and cross-field rules of the operation table, as data.
--
-- The catalogue marks some parameters `"required": "conditional"` with a
-- prose `when`, and states other constraints only in notes or in the texts
-- of errors.json. They are written here by hand, keyed by operation id, and
-- read by validate.lua on both sides of the wire (client and emulator).
--
-- M.ops[id] = {
--   codes = { [shape] = { [rule] = code } },  -- Live Station codes for the
--                                             -- catalogue's own checks;
--                                             -- shape is a dotted path
--                                             -- without indices (vodList.filePath)
--   rules = { RULE, ... },                    -- checked in this order
-- }
--
-- A RULE has `kind`, `param` (dotted path), `code` (the Live Station code
-- the service would answer), `name` (reported as err.rule; "when" for kind
-- "required"), an optional condition `when`, and optional `each`: the rule
-- then applies to every item of that array, with param and when relative
-- to the item. Kinds:
--   required     param must be given
--   equals       param, when given, must equal `value`
--   one_of       param, when given, must be one of `values`
--   absent       param must not be given
--   even         param, when given, must be even
--   multiple_of  param, when given, must be a multiple of `step`
--   range        param, when given, must lie in `min`..`max`
--   max_items    array param, when given, has at most `max` items
--   gap          param - `from` must lie in `min`..`max` (both given)
--   prefix       string param starts with one of `prefixes` (any case)
--   suffix       string param ends with one of `suffixes` (any case)
--   datetime     param is a real date and time written yyyyMMddHHmmss
--   file_mix     array of objects whose `field` names files: video
--                (`video` suffixes) only with other videos, at most
--                `max_video` of them; audio (`audio` suffixes) never alone
--
-- A condition `when` has `param` and one of: equals = v, not_equals = v,
-- present = true, or area = other_param with below = n (param x other < n).
-- An absent parameter takes its catalogue default, if any, in conditions.

local M = {}

-- Parameters marked conditional whose condition the reference does not
-- let us state; they are not enforced, and say why.
M.unenforced = {
  ["channel.create"] = {
    ["record.filePath"] = "condition text cut off; older tables: optional",
    ["record.accessControl"] = "condition text cut off; the upload API defaults it to PRIVATE",
  },
  ["channel.update"] = {
    ["record.filePath"] = "condition text cut off; older tables: optional",
    ["record.accessControl"] = "condition text cut off; the upload API defaults it to PRIVATE",
  },
  ["quality.create"] = {
    ["audio.profile"] = "condition not readable; only 'profile only with AAC' (250333) is known",
  },
}

---------------------------------------------------------------- shared pieces

-- Live channel names (live, VOD2LIVE, re-stream): 250104 is the service's
-- name rule, 250142 its "ChannelName should not be null".
local CHANNEL_NAME = { required = 250142, minLength = 250104, maxLength = 250104, pattern = 250104 }

-- Quality profile and quality set names: letters, digits, hyphen, 3-20.
local QUALITY_NAME = { minLength = 250312, maxLength = 250312, pattern = 250312 }

local CDN_TYPE = { required = 250118, enum = 250120 }

local function when_eq(param, value) return { param = param, equals = value } end

-- The CDN block of channel.create and vod.channel.create.
local function cdn_rules()
  return {
    { kind = "required", param = "cdn.regionType", when = when_eq("cdn.createCdn", true), code = 250011 },
    { kind = "required", param = "cdn.cdnInstanceNo", when = when_eq("cdn.createCdn", false), code = 250119 },
    { kind = "required", param = "cdn.cdnDomain", when = when_eq("cdn.createCdn", false), code = 250011 },
  }
end

local function drm_rules()
  local on = when_eq("drmEnabledYn", true)
  return {
    { kind = "required", param = "drm", when = on, code = 250011 },
    { kind = "required", param = "drm.siteId", when = on, code = 250011 },
    { kind = "required", param = "drm.contentId", when = on, code = 250011 },
  }
end

-- Time machine (DVR) and recording rules of channel.create and .update.
local function dvr_record_rules()
  local auto = when_eq("record.type", "AUTO_UPLOAD")
  return {
    { kind = "required", param = "timemachineMin", when = when_eq("useDvr", true), code = 250138 },
    { kind = "equals", name = "immediateOnAirNeedsDvr", param = "immediateOnAir", value = false,
      when = when_eq("useDvr", false), code = 250139 },
    { kind = "required", param = "record.format", when = auto, code = 250011 },
    { kind = "required", param = "record.bucketName", when = auto, code = 250011 },
  }
end

local function concat(...)
  local out = {}
  for _, list in ipairs({ ... }) do
    for _, r in ipairs(list) do out[#out + 1] = r end
  end
  return out
end

-- Callback endpoints: the service has a code for a malformed URL (250022);
-- no scheme rule is documented, but nothing other than http(s) can be POSTed to.
local function url_rule(param)
  return { kind = "prefix", name = "url", param = param, prefixes = { "http://", "https://" }, code = 250022 }
end

-- Re-stream targets are RTMP ingest URLs (250129 "rtmp url not allowed").
local RTMP_URL = { "rtmp://", "rtmps://" }

-- Segment durations go in 500 ms steps (250307's own text).
local SEGMENT_STEP = { kind = "multiple_of", name = "segmentStep", param = "segmentDuration", step = 500, code = 250307 }

-- 250358 / 250359 list the sample rates per audio codec.
local AAC_RATES = { 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000 }
local MP3_RATES = { 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 }

-- VOD2LIVE start: yyyyMMddHHmmss KST (the window, 10 minutes to 14 days
-- ahead, depends on the clock and is the service's check, not ours).
local START_TIME = { kind = "datetime", name = "startTime", param = "startTime", code = 250002 }
local MP4_ONLY = { kind = "suffix", name = "mp4Only", each = "vodList", param = "filePath", suffixes = { ".mp4" }, code = 250002 }

---------------------------------------------------------------- operations

M.ops = {
  ["channel.create"] = {
    codes = {
      channelName = CHANNEL_NAME,
      ["cdn.cdnType"] = CDN_TYPE,
      qualitySetId = { required = 250116 },
      useDvr = { required = 250121 },
      timemachineMin = { enum = 250122 },
    },
    rules = concat(cdn_rules(), dvr_record_rules(), drm_rules(), {
      -- notes: LL_HLS needs a Global Edge in KOREA; SRT ingest only with HLS output
      { kind = "one_of", name = "llHlsRegion", param = "cdn.regionType", values = { "KOREA" },
        when = when_eq("outputProtocol", "LL_HLS"), code = 250110 },
      { kind = "one_of", name = "srtOutput", param = "outputProtocol", values = { "HLS" },
        when = when_eq("ingestProtocol", "SRT"), code = 250110 },
    }),
  },

  ["channel.update"] = {
    codes = {
      channelName = CHANNEL_NAME,
      useDvr = { required = 250121 },
      timemachineMin = { enum = 250122 },
    },
    rules = dvr_record_rules(),
  },

  ["vod.channel.create"] = {
    codes = {
      channelName = CHANNEL_NAME,
      ["cdn.cdnType"] = CDN_TYPE,
      qualitySetId = { required = 250116 },
    },
    rules = concat(cdn_rules(), drm_rules()),
  },

  ["vod.channel.update"] = {
    codes = { channelName = CHANNEL_NAME },
    rules = {},
  },

  ["record.list"] = {
    codes = { channelId = { required = 250506 } },
    rules = {},
  },

  ["restream.create"] = {
    codes = {
      channelName = CHANNEL_NAME,
      planType = { enum = 250127 },
      ["restream.targetName"] = { enum = 250130 },
      ["restream.streamKey"] = { required = 250143 },
    },
    rules = {
      { kind = "max_items", name = "standardTargets", param = "restream", max = 3,
        when = when_eq("planType", "STANDARD"), code = 250128 },
      { kind = "max_items", name = "professionalTargets", param = "restream", max = 5,
        when = when_eq("planType", "PROFESSIONAL"), code = 250126 },
      { kind = "prefix", name = "rtmpUrl", each = "restream", param = "rtmpUrl", prefixes = RTMP_URL, code = 250129 },
    },
  },

  ["restream.updatePlatform"] = {
    codes = { streamKey = { required = 250143 } },
    rules = {
      { kind = "prefix", name = "rtmpUrl", param = "rtmpUrl", prefixes = RTMP_URL, code = 250129 },
    },
  },

  ["event.setNotification"] = {
    codes = { ["notificationManagerList.notifyType"] = { enum = 250111 } },
    rules = {
      { kind = "required", each = "notificationManagerList", param = "emailAddress",
        when = when_eq("notifyType", "EMAIL"), code = 250011 },
      { kind = "required", each = "notificationManagerList", param = "cellPhoneNo",
        when = when_eq("notifyType", "SMS"), code = 250011 },
    },
  },

  ["callback.register"] = { codes = {}, rules = { url_rule("callbackUrl") } },
  ["callback.registerLive"] = { codes = {}, rules = { url_rule("callbackEndpoint") } },
  ["callback.registerRestream"] = { codes = {}, rules = { url_rule("callbackEndpoint") } },
  ["callback.registerVod"] = { codes = {}, rules = { url_rule("callbackEndpoint") } },

  ["quality.create"] = {
    codes = {
      name = QUALITY_NAME,
      ["video.codec"] = { enum = 250360 },
      ["video.profile"] = { enum = 250361 },
      ["video.level"] = { min = 250363, max = 250363 },
      ["video.width"] = { min = 250366, max = 250366 },
      ["video.height"] = { min = 250367, max = 250367 },
      ["video.fps"] = { enum = 250368 },
      ["video.bitrate"] = { min = 250321, max = 250322 },
      ["video.videoH264ParamRefFrames"] = { min = 250364, max = 250364 },
      ["video.rateControl"] = { enum = 250370 },
      ["video.bframes"] = { min = 250323, max = 250324 },
      ["video.orientation"] = { enum = 250362 },
      audio = { required = 250373 },
      ["audio.codec"] = { required = 250325, enum = 250353 },
      ["audio.profile"] = { enum = 250354 },
      ["audio.samplerate"] = { required = 250327 },
      ["audio.channels"] = { required = 250328 },
      ["audio.bitrate"] = { required = 250378 },
    },
    rules = (function()
      local normal = when_eq("type", "NORMAL")
      local function req(param, code) return { kind = "required", param = param, when = normal, code = code } end
      local below_720p = { param = "video.width", area = "video.height", below = 921600 }
      local below_480p = { param = "video.width", area = "video.height", below = 409920 }
      return {
        req("video", 250372),
        req("video.codec", 250314),
        req("video.profile", 250315),
        req("video.level", 250316),
        req("video.width", 250011),
        req("video.height", 250011),
        req("video.fps", 250011),
        req("video.bitrate", 250011),
        { kind = "even", name = "evenSize", param = "video.width", code = 250342 },
        { kind = "even", name = "evenSize", param = "video.height", code = 250342 },
        { kind = "one_of", name = "baselineBelow720p", param = "video.profile", values = { "BASELINE" },
          when = below_720p, code = 250341 },
        -- the stricter bound first, so 640x360 with 2 B-frames reports 250334
        { kind = "one_of", name = "bframesBelow480p", param = "video.bframes", values = { 0 },
          when = below_480p, code = 250334 },
        { kind = "one_of", name = "bframesBelow720p", param = "video.bframes", values = { 0, 1, 2 },
          when = below_720p, code = 250335 },
        { kind = "absent", name = "audioProfileAacOnly", param = "audio.profile",
          when = { param = "audio.codec", not_equals = "AAC" }, code = 250333 },
        { kind = "one_of", name = "aacSampleRate", param = "audio.samplerate", values = AAC_RATES,
          when = when_eq("audio.codec", "AAC"), code = 250358 },
        { kind = "one_of", name = "mp3SampleRate", param = "audio.samplerate", values = MP3_RATES,
          when = when_eq("audio.codec", "MP3"), code = 250359 },
        -- 250355 allows 0-8 channels and 250356 0-2; MP3 carries at most two
        { kind = "range", name = "aacChannels", param = "audio.channels", min = 0, max = 8,
          when = when_eq("audio.codec", "AAC"), code = 250355 },
        { kind = "range", name = "mp3Channels", param = "audio.channels", min = 0, max = 2,
          when = when_eq("audio.codec", "MP3"), code = 250356 },
        { kind = "range", name = "audioBitrate", param = "audio.bitrate", min = 16, max = 320, code = 250357 },
      }
    end)(),
  },

  ["qualitySet.create"] = {
    codes = {
      name = QUALITY_NAME,
      qualityIds = { min = 250313, max = 250313 },
      segmentDuration = { type = 250307, min = 250307, max = 250307 },
      segmentCount = { type = 250309, min = 250309, max = 250309 },
      enableHlsTimedMetadata = { required = 250377 },
      ["timedMetadata.interval"] = { min = 250351, max = 250351 },
      ["timedMetadata.key"] = { enum = 250376 },
    },
    rules = (function()
      local hls = when_eq("isEnabledUll", false)
      local with_tm = { param = "timedMetadata", present = true }
      return {
        { kind = "required", param = "segmentDuration", when = hls, code = 250011 },
        { kind = "required", param = "segmentCount", when = hls, code = 250011 },
        SEGMENT_STEP,
        { kind = "required", param = "timedMetadata", when = when_eq("enableHlsTimedMetadata", true), code = 250375 },
        { kind = "required", param = "timedMetadata.header", when = with_tm, code = 250345 },
        { kind = "required", param = "timedMetadata.interval", when = with_tm, code = 250011 },
        { kind = "required", param = "timedMetadata.key", when = with_tm, code = 250344 },
      }
    end)(),
  },

  ["qualitySet.update"] = {
    codes = {
      segmentDuration = { type = 250307, min = 250307, max = 250307 },
      segmentCount = { type = 250309, min = 250309, max = 250309 },
    },
    rules = { SEGMENT_STEP },
  },

  ["shortclip.create"] = {
    -- 250151: "detail path ... must start with '/'", the only path-format code
    codes = { ["shortclip.output.filePath"] = { pattern = 250151 } },
    rules = {
      -- at least 100 ms, at most 4 hours
      { kind = "gap", name = "clipLength", param = "endTime", from = "startTime", min = 100, max = 14400000, code = 250002 },
    },
  },

  ["curtain.content.create"] = {
    codes = {},
    rules = {
      { kind = "suffix", name = "fileType", each = "content", param = "filePath",
        suffixes = { ".png", ".jpg", ".jpeg", ".mp4", ".aac", ".mp3", ".m4a" }, code = 250002 },
      { kind = "file_mix", name = "fileMix", param = "content", field = "filePath",
        video = { ".mp4" }, audio = { ".aac", ".mp3", ".m4a" }, max_video = 10, code = 250002 },
    },
  },

  ["vod.schedule.create"] = { codes = {}, rules = { START_TIME, MP4_ONLY } },
  ["vod.schedule.update"] = { codes = {}, rules = { START_TIME, MP4_ONLY } },
}

-- Zones (api/zones.json) whose rules differ from the public ones: the
-- financial zone links an existing CDN+ (250119 without its instance) and
-- has no Global Edge rules; LL_HLS is not offered there at all.
local FIN_CDN = {
  channelName = CHANNEL_NAME,
  ["cdn.cdnType"] = CDN_TYPE,
  ["cdn.cdnInstanceNo"] = { required = 250119 },
  qualitySetId = { required = 250116 },
}

M.zones = {
  fin = {
    ["channel.create"] = {
      codes = {
        channelName = CHANNEL_NAME, ["cdn.cdnType"] = CDN_TYPE, ["cdn.cdnInstanceNo"] = { required = 250119 },
        qualitySetId = { required = 250116 }, useDvr = { required = 250121 }, timemachineMin = { enum = 250122 },
      },
      rules = concat(dvr_record_rules(), drm_rules(), {
        { kind = "one_of", name = "srtOutput", param = "outputProtocol", values = { "HLS" },
          when = when_eq("ingestProtocol", "SRT"), code = 250110 },
      }),
    },
    ["vod.channel.create"] = { codes = FIN_CDN, rules = drm_rules() },
  },
}

local EMPTY = { codes = {}, rules = {} }

-- The entry of an operation id (in a zone, when given and it has its
-- own); an empty one when it has no rules.
function M.get(id, zone)
  local z = zone and M.zones[zone]
  return z and z[id] or M.ops[id] or EMPTY
end

return M
