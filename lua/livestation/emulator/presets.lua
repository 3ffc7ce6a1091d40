-- What every account has before it creates anything: the system quality
-- profiles and sets (genType SYSTEM: they cannot be changed or deleted)
-- and the notification recipients (admin groups and admins), which the
-- real service reads from the console.

local M = {}

-- Created "long ago" so they sort before anything a test makes.
local CREATED = 1577836800000 -- 2020-01-01T00:00:00Z

local function video(w, h, bitrate, profile, bframes)
  return {
    codec = "H264", profile = profile, level = -1, width = w, height = h, fps = 30.0,
    bitrate = bitrate, bframes = bframes, bypass = false, orientation = "FIX", keepRatio = true,
    rateControl = "VBR", videoH264ParamRefFrames = 1,
  }
end

local function aac(kbps)
  return { codec = "AAC", profile = "LC", samplerate = 48000, channels = 2, bitrate = kbps, bypass = false }
end

-- System quality profiles (ids 1-7).
M.QUALITIES = {
  { id = 1, name = "1080p-16-9", type = "NORMAL", video = video(1920, 1080, 6000000, "HIGH", 2), audio = aac(192) },
  { id = 2, name = "720p-16-9", type = "NORMAL", video = video(1280, 720, 3500000, "MAIN", 2), audio = aac(128) },
  { id = 3, name = "480p-16-9", type = "NORMAL", video = video(854, 480, 1500000, "BASELINE", 0), audio = aac(128) },
  { id = 4, name = "360p-16-9", type = "NORMAL", video = video(640, 360, 800000, "BASELINE", 0), audio = aac(96) },
  { id = 5, name = "270p-16-9", type = "NORMAL", video = video(480, 270, 400000, "BASELINE", 0), audio = aac(64) },
  -- pass-through: the source's own values, unknown here, read as 0
  { id = 6, name = "Bypass", type = "BYPASS",
    video = { codec = "H264", profile = "HIGH", level = -1, width = 0, height = 0, fps = 0.0, bitrate = 0,
      bframes = 0, bypass = true, orientation = "FIX", keepRatio = true, rateControl = "VBR",
      videoH264ParamRefFrames = 1 },
    audio = { codec = "AAC", profile = "LC", samplerate = 0, channels = 0, bitrate = 0, bypass = true } },
  { id = 7, name = "Audio-128k", type = "AUDIO", audio = aac(128) },
}

-- System quality sets (ids 1-5); segment settings only for HLS sets.
M.QUALITY_SETS = {
  { id = 1, name = "Default-1080p", qualityIds = { 1, 2, 3, 4 }, isEnabledUll = false,
    segmentDuration = 2000, segmentCount = 3 },
  { id = 2, name = "Default-720p", qualityIds = { 2, 3, 4 }, isEnabledUll = false,
    segmentDuration = 2000, segmentCount = 3 },
  { id = 3, name = "Bypass", qualityIds = { 6 }, isEnabledUll = false,
    segmentDuration = 2000, segmentCount = 3 },
  { id = 4, name = "Audio-only", qualityIds = { 7 }, isEnabledUll = false,
    segmentDuration = 2000, segmentCount = 3 },
  { id = 5, name = "LL-HLS-1080p", qualityIds = { 1, 2, 3 }, isEnabledUll = true, targetLatency = 3000 },
}

-- Puts the presets into an empty world.
function M.install(world)
  for _, q in ipairs(M.QUALITIES) do
    local p = { id = q.id, name = q.name, type = q.type, genType = "SYSTEM", status = "CREATED",
      disabled = false, createdTime = CREATED, video = q.video, audio = q.audio }
    world:put("qualities", p.id, p)
  end
  for _, s in ipairs(M.QUALITY_SETS) do
    local set = { id = s.id, name = s.name, genType = "SYSTEM", status = "CREATED", disabled = false,
      createdTime = CREATED, qualityIds = s.qualityIds, isEnabledUll = s.isEnabledUll,
      segmentDuration = s.segmentDuration, segmentCount = s.segmentCount, targetLatency = s.targetLatency,
      enableHlsTimedMetadata = false }
    world:put("quality_sets", set.id, set)
  end
end

-- Notification recipients. Group 0 is the pseudo-group of everyone.
M.ADMIN_GROUPS = {
  { managerGroupNo = 0, groupName = "ALL MANAGER GROUP" },
  { managerGroupNo = 101, groupName = "live-operations" },
  { managerGroupNo = 102, groupName = "on-call" },
}

M.ADMINS = {
  { managerNo = 2001, managerName = "Kim Minji", cellPhoneNo = "01012345678",
    emailAddress = "minji.kim@example.com", groups = { 101 } },
  { managerNo = 2002, managerName = "Lee Junho", cellPhoneNo = "01023456789",
    emailAddress = "junho.lee@example.com", groups = { 101, 102 } },
  { managerNo = 2003, managerName = "Park Seoyeon", cellPhoneNo = "01034567890",
    emailAddress = "seoyeon.park@example.com", groups = { 102 } },
}

function M.admins_of(group_no)
  if group_no == 0 then return M.ADMINS end
  local known = false
  for _, g in ipairs(M.ADMIN_GROUPS) do
    if g.managerGroupNo == group_no then known = true end
  end
  if not known then return nil end
  local out = {}
  for _, a in ipairs(M.ADMINS) do
    for _, g in ipairs(a.groups) do
      if g == group_no then out[#out + 1] = a end
    end
  end
  return out
end

function M.admin(no)
  for _, a in ipairs(M.ADMINS) do
    if a.managerNo == no then return a end
  end
  return nil
end

return M
