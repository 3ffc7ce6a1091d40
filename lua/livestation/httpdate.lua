-- HTTP dates (RFC 9110 IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"):
-- the gateway's Date header tells the client how far its clock is off.
-- Computed with civil arithmetic because os.time reads its table as
-- local time.

local civil = require "livestation.civil"

local M = {}

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6,
  Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }
local NAMES = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" }
local DAYS = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" } -- 1970-01-01 was a Thursday

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
  return civil.to_seconds(tonumber(y), m, tonumber(d), tonumber(h), tonumber(mi), tonumber(sec))
end

-- Formats epoch seconds as an IMF-fixdate.
function M.format(t)
  t = math.floor(t)
  local days, rem = t // 86400, t % 86400
  local y, m, d = civil.civil_from_days(days)
  return string.format("%s, %02d %s %04d %02d:%02d:%02d GMT", DAYS[days % 7 + 1], d, NAMES[m], y,
    rem // 3600, rem % 3600 // 60, rem % 60)
end

return M
