-- Korea Standard Time (UTC+9, no daylight saving) wall-clock values:
-- VOD2LIVE's 14-digit startTime (yyyyMMddHHmmss) and the stamp inside
-- channel ids. Conversions are done by arithmetic, never by the host's
-- time zone. The emulator stamps its ids and values with it; livestation.time
-- gives it to scripts.

local civil = require "livestation.civil"

local M = {}

local OFFSET_MS = 9 * 3600 * 1000

-- yyyyMMddHHmmss (KST) of epoch milliseconds.
function M.format(ms)
  local s = (ms + OFFSET_MS) // 1000
  local days, rem = s // 86400, s % 86400
  local y, m, d = civil.civil_from_days(days)
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
  local days = civil.days_from_civil(y, mo, d)
  local cy, cm = civil.civil_from_days(days)
  if cy ~= y or cm ~= mo then return nil end -- 31 April and the like
  return ((days * 86400 + h * 3600 + mi * 60 + se) * 1000) - OFFSET_MS
end

return M
