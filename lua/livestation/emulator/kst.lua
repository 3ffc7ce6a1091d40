-- Korea Standard Time (UTC+9, no daylight saving) wall-clock values:
-- VOD2LIVE's 14-digit startTime (yyyyMMddHHmmss) and the stamp inside
-- channel ids. Conversions are done by arithmetic, never by the host's
-- time zone.

local M = {}

local OFFSET_MS = 9 * 3600 * 1000

-- Days since 1970-01-01 of a civil date (proleptic Gregorian).
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  return m <= 2 and y + 1 or y, m, d
end

-- yyyyMMddHHmmss (KST) of epoch milliseconds.
function M.format(ms)
  local s = (ms + OFFSET_MS) // 1000
  local days, rem = s // 86400, s % 86400
  local y, m, d = civil_from_days(days)
  return string.format("%04d%02d%02d%02d%02d%02d", y, m, d, rem // 3600, rem % 3600 // 60, rem % 60)
end

-- Epoch milliseconds of a 14-digit KST value (string or integer); nil
-- when it is not a real date and time.
function M.parse(v)
  local s = type(v) == "number" and string.format("%d", math.tointeger(v) or -1) or v
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, se = s:match("^(%d%d%d%d)(%d%d)(%d%d)(%d%d)(%d%d)(%d%d)$")
  if not y then return nil end
  y, mo, d, h, mi, se = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(se)
  if mo < 1 or mo > 12 or d < 1 or h > 23 or mi > 59 or se > 59 then return nil end
  local days = days_from_civil(y, mo, d)
  local cy, cm = civil_from_days(days)
  if cy ~= y or cm ~= mo then return nil end -- 31 April and the like
  return ((days * 86400 + h * 3600 + mi * 60 + se) * 1000) - OFFSET_MS
end

return M
