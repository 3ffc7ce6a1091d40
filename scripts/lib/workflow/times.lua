-- Times and durations as configs write them: durations like "90s", "5m",
-- "1h30m" (or a number of seconds); times as ISO-8601 text (with an
-- offset, or read in the config's zone), epoch seconds, or "+10m" counted
-- from an anchor (the moment the workflow was first started, kept in its
-- journal so a restart keeps the same times). Also the clock and span
-- texts of progress lines.

local when = require "livestation.schedule.when"
local zone = require "livestation.schedule.zone"

local M = {}

local UNITS = { ms = 0.001, s = 1, m = 60, h = 3600, d = 86400 }

-- Seconds in a duration, or nil, why.
function M.duration(v)
  if type(v) == "number" then
    if v ~= v or v < 0 or v == math.huge then return nil, "not a number of seconds >= 0" end
    return v
  end
  if type(v) ~= "string" then return nil, "not a duration" end
  local text = v:gsub("%s", ""):gsub("^%+", "")
  if text == "" then return nil, "empty" end
  local total, rest = 0, text
  while rest ~= "" do
    local n, unit, tail = rest:match("^(%d+%.?%d*)(%a+)(.*)$")
    if not n or not UNITS[unit] then return nil, "not a duration" end
    total = total + tonumber(n) * UNITS[unit]
    rest = tail
  end
  return total
end

-- The zone named by name (nil: the host's zone), or nil, why.
function M.zone(name)
  if name == nil then return zone.default() end
  return zone.load(name)
end

-- Whether v is written relative to the anchor ("+10m").
function M.is_relative(v)
  return type(v) == "string" and v:match("^%s*%+") ~= nil
end

-- Epoch seconds of time v; relative times count from anchor. nil, why.
function M.time(v, z, anchor)
  if M.is_relative(v) then
    local d, why = M.duration((v:gsub("^%s*%+", "")))
    if not d then return nil, why end
    return (anchor or os.time()) + d
  end
  if type(v) == "number" then
    if v ~= v or v == math.huge or v < 0 then return nil, "not a time" end
    return v
  end
  if type(v) ~= "string" then return nil, "not a time" end
  return when.parse_iso(v, z or zone.default())
end

-- "19:00:05" in zone z.
function M.clock(t, z)
  local f = (z or zone.default()):to_local(math.floor(t))
  return string.format("%02d:%02d:%02d", f.hour, f.min, f.sec)
end

-- "2026-11-22T19:00:00+09:00" in zone z.
function M.iso(t, z)
  return when.iso(math.floor(t), z or zone.default())
end

-- "1h02m", "3m05s", "12s", "0.4s".
function M.span(seconds)
  seconds = math.max(0, seconds or 0)
  if seconds < 10 and seconds % 1 ~= 0 then return string.format("%.1fs", seconds) end
  local s = math.floor(seconds + 0.5)
  if s < 60 then return s .. "s" end
  if s < 3600 then return string.format("%dm%02ds", s // 60, s % 60) end
  return string.format("%dh%02dm", s // 3600, s % 3600 // 60)
end

return M
