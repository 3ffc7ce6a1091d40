-- Quality profiles and quality sets: system presets (read-only) beside
-- the account's custom ones; a profile in a set, or a set in use by a
-- channel, cannot be deleted.

local json = require "livestation.json"
local reply = require "livestation.emulator.reply"
local find = require "livestation.emulator.find"
local events = require "livestation.emulator.events"

local M = {}

local fail, array = reply.fail, json.array

---------------------------------------------------------------- views

local function copy(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

function M.view_profile(q)
  return {
    disabled = q.disabled, id = q.id, status = q.status, createdTime = q.createdTime,
    genType = q.genType, name = q.name, type = q.type,
    video = q.type ~= "AUDIO" and copy(q.video) or nil, audio = copy(q.audio),
  }
end

-- Names of the live and VOD2LIVE channels (not terminated) using a set.
function M.users_of(emu, set_id)
  local names = {}
  for _, bucket in ipairs { "channels", "vods" } do
    for _, ch in ipairs(emu.model:sorted(bucket)) do
      if ch.qualitySetId == set_id and ch.status ~= "DELETED" and ch.status ~= "FORCE_DELETED" then
        names[#names + 1] = ch
      end
    end
  end
  return names
end

function M.profiles_of(emu, set)
  local out = {}
  for _, qid in ipairs(set.qualityIds) do
    local q = emu.model:get("qualities", qid)
    if q then out[#out + 1] = q end
  end
  return out
end

function M.view_set(emu, set)
  local qualities, names = array(), array()
  for _, q in ipairs(M.profiles_of(emu, set)) do qualities[#qualities + 1] = M.view_profile(q) end
  for _, ch in ipairs(M.users_of(emu, set.id)) do names[#names + 1] = ch.channelName end
  local ull = set.isEnabledUll == true
  return {
    disabled = set.disabled, id = set.id, status = set.status, createdTime = set.createdTime,
    genType = set.genType, name = set.name,
    segmentDuration = not ull and set.segmentDuration or nil,
    segmentCount = not ull and set.segmentCount or nil,
    qualities = qualities, inUseChannelNames = names,
    enableHlsTimedMetadata = set.enableHlsTimedMetadata == true,
    timedMetadata = set.enableHlsTimedMetadata and copy(set.timedMetadata) or nil,
    isEnabledUll = ull, targetLatency = ull and set.targetLatency or nil,
  }
end

-- True when the set holds a profile of this type (BYPASS, AUDIO) or a
-- pass-through video.
function M.set_has(emu, set, kind)
  for _, q in ipairs(M.profiles_of(emu, set)) do
    if q.type == kind or (kind == "BYPASS" and q.video and q.video.bypass) then return true end
  end
  return false
end

local function is_1080p(q)
  return q.video and q.video.width == 1920 and q.video.height == 1080
end

---------------------------------------------------------------- profiles

local VIDEO_DEFAULTS = {
  rateControl = "VBR", bframes = 0, videoH264ParamRefFrames = 1, bypass = false, orientation = "FIX",
}
local VIDEO_FIELDS = { "codec", "profile", "level", "width", "height", "fps", "bitrate",
  "videoH264ParamRefFrames", "rateControl", "bframes", "bypass", "orientation" }
local AUDIO_FIELDS = { "codec", "profile", "samplerate", "channels", "bitrate", "bypass" }

local function pick(src, fields, defaults)
  local out = {}
  for k, v in pairs(defaults or {}) do out[k] = v end
  for _, f in ipairs(fields) do
    if src[f] ~= nil then out[f] = src[f] end
  end
  return out
end

local ops = {}
M.ops = ops

ops["quality.list"] = function(emu)
  local list = array()
  for _, q in ipairs(emu.model:sorted("qualities")) do list[#list + 1] = M.view_profile(q) end
  return list, #list
end

ops["quality.get"] = function(emu, p)
  return M.view_profile(find.quality(emu, p.qualityId))
end

ops["quality.create"] = function(emu, p)
  local w = emu.model
  local q = {
    id = w:next_id("quality"), name = p.name, type = p.type, genType = "CUSTOM", status = "CREATED",
    disabled = false, createdTime = emu.clock:now(),
  }
  if p.type == "NORMAL" then
    q.video = pick(p.video, VIDEO_FIELDS, VIDEO_DEFAULTS)
    q.video.keepRatio = true
  end
  q.audio = pick(p.audio, AUDIO_FIELDS, { bypass = false })
  if q.audio.codec == "AAC" and q.audio.profile == nil then q.audio.profile = "LC" end
  w:put("qualities", q.id, q)
  return M.view_profile(q)
end

ops["quality.delete"] = function(emu, p)
  local q = find.quality(emu, p.qualityId)
  if q.genType == "SYSTEM" then fail(250303) end
  for _, set in pairs(emu.model:all("quality_sets")) do
    for _, qid in ipairs(set.qualityIds) do
      if qid == q.id then fail(250306) end
    end
  end
  emu.model:remove("qualities", q.id)
  return reply.EMPTY
end

---------------------------------------------------------------- sets

local SET_TYPES = { all = nil, default = false, llhls = true }

ops["qualitySet.list"] = function(emu, p)
  local ull = SET_TYPES[p.type]
  local list = array()
  for _, set in ipairs(emu.model:sorted("quality_sets")) do
    if (not p.genType or set.genType == p.genType) and (ull == nil or (set.isEnabledUll == true) == ull) then
      list[#list + 1] = M.view_set(emu, set)
    end
  end
  return list, #list
end

ops["qualitySet.get"] = function(emu, p)
  return M.view_set(emu, find.quality_set(emu, p.qualitySetId))
end

ops["qualitySet.create"] = function(emu, p)
  local w = emu.model
  local seen, full_hd = {}, 0
  for _, qid in ipairs(p.qualityIds) do
    if seen[qid] then fail(250002, "qualityIds") end
    seen[qid] = true
    local q = find.quality(emu, qid)
    if is_1080p(q) then full_hd = full_hd + 1 end
  end
  if full_hd > 1 then fail(250302) end
  local ull = p.isEnabledUll == true
  local set = {
    id = w:next_id("quality_set"), name = p.name, genType = "CUSTOM", status = "CREATED", disabled = false,
    createdTime = emu.clock:now(), qualityIds = array { table.unpack(p.qualityIds) }, isEnabledUll = ull,
    segmentDuration = not ull and p.segmentDuration or nil, segmentCount = not ull and p.segmentCount or nil,
    targetLatency = ull and 3000 or nil,
    enableHlsTimedMetadata = p.enableHlsTimedMetadata == true,
    timedMetadata = p.enableHlsTimedMetadata and copy(p.timedMetadata) or nil,
  }
  w:put("quality_sets", set.id, set)
  return M.view_set(emu, set)
end

ops["qualitySet.update"] = function(emu, p)
  local set = find.quality_set(emu, p.qualitySetId)
  if set.genType == "SYSTEM" then fail(250305) end
  if set.isEnabledUll then fail(250005, "Editing a low-latency quality set") end
  set.segmentDuration, set.segmentCount = p.segmentDuration, p.segmentCount
  emu.model:touch(set)
  -- the output of every channel using the set restarts with the change
  for _, ch in ipairs(M.users_of(emu, set.id)) do
    events.emit(emu, ch.channelId, "STREAM_UPDATE",
      string.format("%s channel's quality set %s was changed.", ch.channelName, set.name))
  end
  return M.view_set(emu, set)
end

ops["qualitySet.delete"] = function(emu, p)
  local set = find.quality_set(emu, p.qualitySetId)
  if set.genType == "SYSTEM" then fail(250311) end
  if #M.users_of(emu, set.id) > 0 then fail(250306) end
  emu.model:remove("quality_sets", set.id)
  return { deleteSuccess = true }
end

return M
