-- `--seed FILE` and POST /_emulator/seed: a world loaded from JSON, so a
-- test suite starts from a known state. Everything is made through the
-- operations themselves (the same validation and handlers as requests),
-- then processing is settled without moving the clock:
--
--   {
--     "callbackUrl": "http://127.0.0.1:9000/hook",
--     "qualityProfiles": [ {quality.create parameters} ],
--     "qualitySets": [ {qualitySet.create parameters; qualityIds may name
--                       profiles by name} ],
--     "channels": [ {
--       "channelId": "ls-20260101000000-seed1",     optional: a fixed id
--       "zone": "fin",                               optional
--       "status": "READY" | "PUBLISHING" | "BLOCK" | "CREATING",  default READY
--       "backup": true,                              PUBLISHING: a backup stream too
--       "stream": {"video_bitrate": ...},            PUBLISHING: the encoder's settings
--       "recordings": 2,                             finished recordings (files)
--       "recording": true,                           PUBLISHING: a recording running
--       "params": {channel.create parameters; qualitySetId may name a set}
--     } ]
--   }
--
-- load() returns { channels = { {channelId, channelName, status}, ... } }
-- or nil and a message naming the entry and what was wrong with it.

local json = require "livestation.json"
local ops = require "livestation.ops"
local validate = require "livestation.validate"
local dispatch = require "livestation.emulator.dispatch"
local reply = require "livestation.emulator.reply"

local M = {}

-- Processing that a seeded world has finished; documented durations
-- (snapshot lifetime, temporary recordings, schedules) are left running.
M.SETTLE = {
  ["channel.ready"] = true, ["channel.cdnChanged"] = true, ["restream.ready"] = true, ["vod.ready"] = true,
  ["record.processed"] = true, ["record.transferred"] = true, ["encoder.thumbnail"] = true,
  ["encoder.connected"] = true,
}

local TOP = { callbackUrl = true, qualityProfiles = true, qualitySets = true, channels = true }
local CHANNEL = { channelId = true, zone = true, status = true, backup = true, stream = true, recordings = true,
  recording = true, params = true }
local STATUSES = { READY = true, PUBLISHING = true, BLOCK = true, CREATING = true }

local Abort = {}

local function abort(where, msg)
  error(setmetatable({ message = where .. ": " .. msg }, Abort), 0)
end

local function check_keys(t, allowed, where)
  if type(t) ~= "table" or json.is_array(t) then abort(where, "must be an object") end
  for k in pairs(t) do
    if not allowed[k] then
      local names = {}
      for n in pairs(allowed) do names[#names + 1] = n end
      table.sort(names)
      abort(where, string.format("unknown member '%s' (%s)", tostring(k), table.concat(names, ", ")))
    end
  end
end

local function list_of(v, where)
  if v == nil then return {} end
  if type(v) ~= "table" or (next(v) ~= nil and not json.is_array(v) and #v == 0) then
    abort(where, "must be an array")
  end
  return v
end

-- Runs operation `id` as a request would, in `zone`; its content.
local function call(emu, id, params, where, zone)
  local op = ops.in_zone(id, zone)
  local ok, problem = validate.check(op, params)
  if not ok then abort(where, problem.message .. " (" .. tostring(problem.code) .. ")") end
  emu.zone = zone
  local done, content = pcall(dispatch.HANDLERS[id], emu, params)
  emu.zone = nil
  if not done then
    if reply.is_failure(content) then abort(where, content.code .. " " .. content.message) end
    error(content, 0)
  end
  return content
end

-- A copy of a decoded JSON value with integral floats as integers.
local function normalized(v)
  if type(v) == "number" and math.type(v) == "float" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then
    return math.tointeger(v)
  end
  if type(v) ~= "table" then return v end
  local out = json.is_array(v) and json.array() or {}
  for k, x in pairs(v) do
    if x ~= json.null then out[k] = normalized(x) end
  end
  return out
end

local function load_channel(emu, entry, where, names)
  check_keys(entry, CHANNEL, where)
  local status = entry.status or "READY"
  if not STATUSES[status] then abort(where .. ".status", "READY, PUBLISHING, BLOCK or CREATING") end
  local zone = entry.zone
  if zone ~= nil and not ops.zone(zone) then abort(where .. ".zone", "unknown zone '" .. tostring(zone) .. "'") end
  local params = normalized(entry.params or {})
  if type(params.qualitySetId) == "string" then
    params.qualitySetId = names.sets[params.qualitySetId]
      or abort(where .. ".params.qualitySetId", "no quality set named '" .. params.qualitySetId .. "'")
  end
  if entry.channelId ~= nil then
    if type(entry.channelId) ~= "string" or not entry.channelId:match("^[%w_-]+$") then
      abort(where .. ".channelId", "letters, digits, '-' and '_'")
    end
    if emu.model:get("channels", entry.channelId) then abort(where .. ".channelId", "already taken") end
    emu.next_channel_id = entry.channelId
  end
  local ch = call(emu, "channel.create", params, where, zone)
  emu.next_channel_id = nil
  local id = ch.channelId
  if status == "CREATING" then return id end
  emu.timeline:settle(M.SETTLE)
  local recordings = entry.recordings or 0
  if math.type(recordings) == nil or recordings < 0 then abort(where .. ".recordings", "a count >= 0") end
  if recordings > 0 then
    assert(emu:publish(id, {}))
    for _ = 1, recordings do
      call(emu, "record.start", { channelId = id }, where .. ".recordings", zone)
      call(emu, "record.stop", { channelId = id }, where .. ".recordings", zone)
    end
    assert(emu:unpublish(id, {}))
    emu.timeline:settle(M.SETTLE)
  end
  if status == "PUBLISHING" then
    local _, _, message = emu:publish(id, normalized(entry.stream or {}))
    if message then abort(where .. ".stream", message) end
    if entry.backup then
      _, _, message = emu:publish(id, { backup = true })
      if message then abort(where .. ".backup", message) end
    end
    if entry.recording then call(emu, "record.start", { channelId = id }, where .. ".recording", zone) end
    emu.timeline:settle(M.SETTLE)
  elseif status == "BLOCK" then
    call(emu, "channel.stop", { channelId = id }, where, zone)
  end
  return id
end

-- Loads `world` (decoded JSON) into emu; see the top of this file.
function M.load(emu, world)
  local ok, result = pcall(function()
    check_keys(world, TOP, "seed")
    local names = { profiles = {}, sets = {} }
    for i, p in ipairs(list_of(world.qualityProfiles, "seed.qualityProfiles")) do
      local q = call(emu, "quality.create", normalized(p), string.format("seed.qualityProfiles[%d]", i))
      names.profiles[q.name] = q.id
    end
    for i, s in ipairs(list_of(world.qualitySets, "seed.qualitySets")) do
      local where = string.format("seed.qualitySets[%d]", i)
      local params = normalized(s)
      if type(params) == "table" and type(params.qualityIds) == "table" then
        for k, q in ipairs(params.qualityIds) do
          if type(q) == "string" then
            params.qualityIds[k] = names.profiles[q] or abort(where .. ".qualityIds", "no profile named '" .. q .. "'")
          end
        end
      end
      local set = call(emu, "qualitySet.create", params, where)
      names.sets[set.name] = set.id
    end
    if world.callbackUrl ~= nil then
      call(emu, "callback.register", { callbackUrl = world.callbackUrl }, "seed.callbackUrl")
    end
    -- CREATING channels last, so settling the others leaves them CREATING
    local ids, entries = {}, list_of(world.channels, "seed.channels")
    for pass = 1, 2 do
      for i, entry in ipairs(entries) do
        local creating = type(entry) == "table" and entry.status == "CREATING"
        if (pass == 2) == creating then
          ids[i] = load_channel(emu, entry, string.format("seed.channels[%d]", i), names)
        end
      end
    end
    local out = json.array()
    for i = 1, #entries do
      local ch = emu.model:get("channels", ids[i])
      out[i] = { channelId = ids[i], channelName = ch.channelName, status = ch.status }
    end
    return { channels = out }
  end)
  emu.zone, emu.next_channel_id = nil, nil
  emu:persist()
  if ok then return result end
  if getmetatable(result) == Abort then return nil, result.message end
  error(result, 0)
end

-- Reads and loads a seed file.
function M.load_file(emu, path)
  local f, err = io.open(path, "rb")
  if not f then return nil, "--seed: " .. tostring(err) end
  local text = f:read("a")
  f:close()
  local world, jerr = json.decode(text)
  if world == nil then return nil, "--seed " .. path .. ": not JSON: " .. tostring(jerr) end
  local result, lerr = M.load(emu, world)
  if not result then return nil, "--seed " .. path .. ": " .. lerr end
  return result
end

return M
