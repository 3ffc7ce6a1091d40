-- Civil calendar arithmetic on the proleptic Gregorian calendar, with no
-- time zone: days since 1970-01-01 and back, weekdays, month lengths.
-- Zones (schedule/zone.lua) turn these "local seconds" into instants. It
-- sits below the client (HTTP dates), scheduling and the emulator (KST).

local M = {}

-- Days from 1970-01-01 to y-m-d (the algorithm of H. Hinnant's
-- "chrono-Compatible Low-Level Date Algorithms"); m may be any integer,
-- it is carried into the year first.
function M.days_from_civil(y, m, d)
  y = y + (m - 1) // 12
  m = (m - 1) % 12 + 1
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

-- y, m, d of a day number.
function M.civil_from_days(z)
  z = z + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

-- 0 = Sunday .. 6 = Saturday (1970-01-01 was a Thursday).
function M.weekday(days)
  return (days + 4) % 7
end

function M.is_leap(y)
  return y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

function M.days_in_month(y, m)
  if m == 2 and M.is_leap(y) then return 29 end
  return MONTH_DAYS[m]
end

-- Seconds of a wall-clock reading counted as if it were UTC ("local
-- seconds"). Out-of-range fields carry, as with os.time.
function M.to_seconds(y, mo, d, h, mi, s)
  return M.days_from_civil(y, mo, 1) * 86400 + (d - 1) * 86400
    + (h or 0) * 3600 + (mi or 0) * 60 + (s or 0)
end

-- The fields of local seconds, os.date("*t") style: year, month, day,
-- hour, min, sec (with any fraction), wday (1 = Sunday), yday.
function M.from_seconds(secs)
  local whole = math.floor(secs)
  local days = whole // 86400
  local rem = whole - days * 86400
  local y, m, d = M.civil_from_days(days)
  return {
    year = y, month = m, day = d,
    hour = rem // 3600, min = rem % 3600 // 60, sec = rem % 60 + (secs - whole),
    wday = M.weekday(days) + 1,
    yday = days - M.days_from_civil(y, 1, 1) + 1,
  }
end

return M
