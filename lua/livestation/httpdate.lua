-- HTTP dates (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"):
-- the gateway's Date header tells the client how far its clock is off.
-- Computed by hand because os.time reads its table as local time.

local M = {}

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6,
  Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }
local NAMES = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }
local DAYS = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" } -- 1970-01-01 was a Thursday

-- Days since 1970-01-01 of a proleptic Gregorian date.
function M.days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

-- Epoch seconds of a UTC wall-clock time.
function M.utc_epoch(y, mo, d, h, mi, s)
  return M.days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
end

-- Parses an IMF-fixdate (also the obsolete RFC 850 and asctime forms);
-- returns epoch seconds or nil.
function M.parse(s)
  if type(s) ~= "string" then return nil end
  local d, mon, y, h, mi, sec = s:match("^%a+, (%d%d?) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  if not d then
    d, mon, y, h, mi, sec = s:match("^%a+, (%d%d)%-(%a%a%a)%-(%d%d) (%d%d):(%d%d):(%d%d) GMT$")
    if y then y = tonumber(y) + (tonumber(y) < 70 and 2000 or 1900) end
  end
  if not d then
    mon, d, h, mi, sec, y = s:match("^%a+ (%a%a%a) +(%d%d?) (%d%d):(%d%d):(%d%d) (%d%d%d%d)$")
  end
  local m = mon and MONTHS[mon]
  if not m then return nil end
  return M.utc_epoch(tonumber(y), m, tonumber(d), tonumber(h), tonumber(mi), tonumber(sec))
end

-- Formats epoch seconds as an IMF-fixdate.
function M.format(t)
  t = math.floor(t)
  local days = t // 86400
  local rem = t % 86400
  -- civil_from_days
  local z = days + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format("%s, %02d %s %04d %02d:%02d:%02d GMT", DAYS[days % 7 + 1], d, NAMES[m], y,
    rem // 3600, rem % 3600 // 60, rem % 60)
end

return M
