-- livestation.time: times and durations as people and the API write them.
--
--   local time = require("livestation").time
--   time.parse("2026-11-22T19:00:00+09:00")      --> epoch seconds
--   time.parse("2026-11-22T19:00", "Asia/Seoul")  -- no offset: that zone's wall clock
--   time.format(t, "Asia/Seoul")                  --> "2026-11-22T19:00:00+09:00"
--   time.duration("1h30m")                        --> 5400
--   time.span(5400)                               --> "1h30m"
--   time.kst(t)                                   --> "20261122190000" (VOD2LIVE startTime)
--   time.from_kst("20261122190000")               --> epoch seconds
--   time.from_api(1795341600000)                  --> epoch seconds (ms or a KST value)
--
-- Zones come from the system's tzdata (/usr/share/zoneinfo); a zone is
-- given by name ("Asia/Seoul", "UTC"), as a zone object (time.zone), or
-- left out for the host's own zone. Failures return nil and a message
-- that names what was wrong; misuse (a wrong type of argument) raises.

local core = require "livestation.core"
local kst = require "livestation.kst"
local when = require "livestation.schedule.when"
local zones = require "livestation.schedule.zone"

local M = {}

-- The zone named name, a zone passed through, or the host's zone for nil;
-- nil, message for an unknown name.
function M.zone(name)
  if name == nil then return zones.default() end
  if type(name) == "table" and name.to_local then return name end
  if type(name) ~= "string" then error("time.zone: expected a zone name, got " .. type(name), 2) end
  return zones.load(name)
end

local function zone_arg(z, fname)
  if z == nil or (type(z) == "table" and z.to_local) then return M.zone(z) end
  if type(z) ~= "string" then error("time." .. fname .. ": zone must be a name or a zone", 3) end
  return zones.load(z)
end

-- Epoch seconds of ISO-8601 text ("2026-11-22T19:00:00+09:00", "...Z",
-- fractions of a second; without an offset read in zone z). nil, message.
function M.parse(text, z)
  if type(text) ~= "string" then return nil, "not an ISO-8601 time: a " .. type(text) end
  local zone, err = zone_arg(z, "parse")
  if not zone then return nil, err end
  return when.parse_iso(text, zone)
end

-- ISO-8601 text of epoch seconds t in zone z (default the host's):
-- "2026-11-22T19:00:00+09:00", milliseconds when t has them, "Z" in UTC.
function M.format(t, z)
  if type(t) ~= "number" or t ~= t or t == math.huge or t == -math.huge then
    error("time.format: expected epoch seconds", 2)
  end
  return when.iso(t, assert(zone_arg(z, "format")))
end

-- "19:00:05", the wall clock of t in zone z.
function M.clock(t, z)
  local f = assert(zone_arg(z, "clock")):to_local(math.floor(t))
  return string.format("%02d:%02d:%02d", f.hour, f.min, f.sec)
end

local UNITS = { ms = 0.001, s = 1, m = 60, h = 3600, d = 86400 }

-- Seconds in a duration: "90s", "5m", "1h30m", "1.5h", "250ms", "2d", or a
-- number of seconds (>= 0). nil, message.
function M.duration(v)
  if type(v) == "number" then
    if v ~= v or v < 0 or v == math.huge then return nil, "not a number of seconds >= 0" end
    return v
  end
  if type(v) ~= "string" then return nil, "not a duration" end
  local text = v:gsub("%s", "")
  if text == "" then return nil, "empty duration" end
  local total, rest = 0, text
  while rest ~= "" do
    local n, unit, tail = rest:match("^(%d+%.?%d*)(%a+)(.*)$")
    if not n or not UNITS[unit] then
      return nil, "not a duration: '" .. v .. "' (write it as 90s, 5m, 1h30m, 250ms or 2d)"
    end
    total = total + tonumber(n) * UNITS[unit]
    rest = tail
  end
  return total
end

-- A duration as people read it: "1h30m", "3m05s", "12s", "0.4s".
function M.span(seconds)
  seconds = math.max(0, seconds or 0)
  if seconds < 10 and seconds % 1 ~= 0 then return string.format("%.1fs", seconds) end
  local s = math.floor(seconds + 0.5)
  if s < 60 then return s .. "s" end
  if s < 3600 then return string.format("%dm%02ds", s // 60, s % 60) end
  return string.format("%dh%02dm", s // 3600, s % 3600 // 60)
end

-- A time as a config may write it: ISO-8601 text (read in zone z when it
-- has no offset), epoch seconds, or "+10m": a duration after anchor
-- (default now). Epoch seconds, or nil, message.
function M.resolve(v, z, anchor)
  if type(v) == "string" and v:match("^%s*%+") then
    local d, why = M.duration((v:gsub("^%s*%+", "")))
    if not d then return nil, why end
    return (anchor or M.now()) + d
  end
  if type(v) == "number" then
    if v ~= v or v == math.huge or v < 0 then return nil, "not a time" end
    return v
  end
  return M.parse(v, z)
end

-- Whether v is written relative to an anchor ("+10m").
function M.is_relative(v)
  return type(v) == "string" and v:match("^%s*%+") ~= nil
end

-- "yyyyMMddHHmmss" in Korea Standard Time (UTC+9): the wall clock the API
-- uses for VOD2LIVE start times.
function M.kst(t)
  return kst.format(math.floor(t * 1000))
end

-- Epoch seconds of a 14-digit KST value (text or integer); nil, message.
function M.from_kst(v)
  local ms = kst.parse(v)
  if not ms then return nil, "not a KST time (yyyyMMddHHmmss): '" .. tostring(v) .. "'" end
  return ms % 1000 == 0 and ms // 1000 or ms / 1000
end

-- Epoch seconds of a time as the API answers it: epoch milliseconds, or
-- (VOD2LIVE startTime as sent) a 14-digit KST value; numbers or text.
-- nil, message.
function M.from_api(v)
  local n = math.tointeger(tonumber(v))
  if not n or n < 0 then return nil, "not an API time: '" .. tostring(v) .. "'" end
  if n >= 10000000000000 then return M.from_kst(n) end
  return n % 1000 == 0 and n // 1000 or n / 1000
end

-- Wall-clock epoch seconds (with a fraction).
M.now = core.now

return M
