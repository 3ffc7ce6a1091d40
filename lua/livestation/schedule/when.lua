-- Points in time as people write them: epoch seconds, ISO-8601 text
-- ("2026-11-22T19:00:00+09:00", "...Z", or no offset: the zone's wall
-- clock), or an os.date-style table read in a zone. Also formats instants
-- back as ISO-8601 for logs and listings.

local civil = require "livestation.civil"

local M = {}

-- Local seconds to an instant in zone z; nil, message when the reading
-- falls in a gap. A fold takes the first occurrence unless isdst says the
-- later (standard time) one.
local function resolve_local(ls, z, isdst, text)
  local instants = z:from_local(ls)
  if #instants == 0 then
    return nil, string.format("%s does not exist in %s (skipped by a daylight saving change)",
      text, z.name)
  end
  if #instants == 2 and isdst == false then return instants[2] end
  return instants[1]
end

local function field_error(text)
  return nil, "not an ISO-8601 time: '" .. tostring(text) .. "'"
end

-- Parses ISO-8601 date-time text; without an offset the reading is taken
-- in zone z. Returns epoch seconds (a float when there is a fraction).
function M.parse_iso(text, z)
  local y, mo, d, rest = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then return field_error(text) end
  local h, mi, s, frac, off = "0", "0", "0", "", ""
  if rest ~= "" then
    local hm, tail = rest:match("^[Tt ](%d%d:%d%d)(.*)$")
    if not hm then return field_error(text) end
    h, mi = hm:match("^(%d%d):(%d%d)$")
    local sec, after = tail:match("^:(%d%d)(.*)$")
    if sec then
      s, tail = sec, after
      local f, after_f = tail:match("^[.,](%d+)(.*)$")
      if f then frac, tail = f, after_f end
    end
    off = tail
  end
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
  if mo < 1 or mo > 12 or d < 1 or d > civil.days_in_month(y, mo)
    or h > 23 or mi > 59 or s > 59 then
    return field_error(text)
  end
  local ls = civil.to_seconds(y, mo, d, h, mi, s)
  local fraction = frac ~= "" and tonumber("0." .. frac) or 0
  local t
  if off == "Z" or off == "z" then
    t = ls
  elseif off == "" then
    local err
    t, err = resolve_local(ls, z, nil, text)
    if not t then return nil, err end
  else
    local sign, oh, om = off:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then sign, oh = off:match("^([+-])(%d%d)$"); om = "00" end
    if not sign or tonumber(oh) > 23 or tonumber(om) > 59 then return field_error(text) end
    local o = tonumber(oh) * 3600 + tonumber(om) * 60
    t = sign == "+" and ls - o or ls + o
  end
  return fraction ~= 0 and t + fraction or t
end

-- An os.date-style table read in zone z, as os.time reads one: year,
-- month and day are required, hour defaults to 12, min and sec to 0, and
-- out-of-range fields carry. isdst = false picks the later of a fold.
function M.from_table(t, z)
  for _, k in ipairs { "year", "month", "day" } do
    if math.type(t[k]) ~= "integer" and not (type(t[k]) == "number" and t[k] % 1 == 0) then
      return nil, "time table: field '" .. k .. "' missing or not an integer"
    end
  end
  local h, mi, s = t.hour or 12, t.min or 0, t.sec or 0
  local ls = civil.to_seconds(t.year, t.month, t.day, h, mi, s)
  local text = string.format("%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, h, mi, math.floor(s))
  return resolve_local(ls, z, t.isdst, text)
end

M.MAX_EPOCH = 253402300799 -- 9999-12-31T23:59:59Z

-- when (number, ISO text or table) to epoch seconds; nil, message.
function M.parse(when, z)
  local tw = type(when)
  if tw == "number" then
    if when ~= when or when == math.huge or when == -math.huge then
      return nil, "time must be a finite number"
    end
    -- millisecond integers and ISO years of four digits hold it
    if when < 0 or when > M.MAX_EPOCH then
      return nil, "time must be epoch seconds between 1970 and 9999"
    end
    return when
  elseif tw == "string" then
    return M.parse_iso(when, z)
  elseif tw == "table" then
    return M.from_table(when, z)
  end
  return nil, "time must be epoch seconds, ISO-8601 text or a date table, got " .. tw
end

-- ISO-8601 text of instant t in zone z: "2026-11-22T19:00:00+09:00",
-- with milliseconds when t has them; "Z" for UTC.
function M.iso(t, z)
  local ms = math.floor(t * 1000 + 0.5)
  local whole = ms // 1000
  local off = z:offset(whole)
  local f = civil.from_seconds(whole + off)
  local s = string.format("%04d-%02d-%02dT%02d:%02d:%02d", f.year, f.month, f.day, f.hour, f.min, f.sec)
  if ms % 1000 ~= 0 then s = s .. string.format(".%03d", ms % 1000) end
  if off == 0 and z.name == "UTC" then return s .. "Z" end
  local sign = off < 0 and "-" or "+"
  off = math.abs(off)
  return s .. string.format("%s%02d:%02d", sign, off // 3600, off % 3600 // 60)
end

return M
