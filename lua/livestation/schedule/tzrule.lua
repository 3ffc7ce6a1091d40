-- POSIX TZ strings ("EST5EDT,M3.2.0,M11.1.0", "<+09>-9", "KST-9"): the
-- rule a TZif file's footer gives for instants past its table, and what
-- TZ may hold directly. Offsets here are seconds east of UTC.

local civil = require "livestation.civil"

local M = {}

-- "name" is alphabetic (3+ letters) or <quoted> (letters, digits, + -).
local function parse_name(s, i)
  if s:sub(i, i) == "<" then
    local j = s:find(">", i + 1, true)
    if not j or j - i - 1 < 3 then return nil end
    return s:sub(i + 1, j - 1), j + 1
  end
  local name = s:match("^%a+", i)
  if not name or #name < 3 then return nil end
  return name, i + #name
end

-- [+-]hh[:mm[:ss]] -> seconds, next index. Hours up to 167 (RFC 8536).
local function parse_hms(s, i)
  local sign, h, rest = s:match("^([+-]?)(%d%d?%d?)()", i)
  if not h or tonumber(h) > 167 then return nil end
  local secs, j = tonumber(h) * 3600, rest
  local m, after_m = s:match("^:(%d%d)()", j)
  if m then
    secs, j = secs + tonumber(m) * 60, after_m
    local sec, after_s = s:match("^:(%d%d)()", j)
    if sec then secs, j = secs + tonumber(sec), after_s end
  end
  if sign == "-" then secs = -secs end
  return secs, j
end

-- A date rule: Jn (1..365, no Feb 29), n (0..365) or Mm.w.d; then an
-- optional /time (default 02:00:00).
local function parse_date(s, i)
  local r = {}
  local j
  local jn, after_j = s:match("^J(%d+)()", i)
  if jn then
    r.kind, r.day, j = "julian", tonumber(jn), after_j
    if r.day < 1 or r.day > 365 then return nil end
  else
    local m, w, d, after_m = s:match("^M(%d%d?)%.(%d)%.(%d)()", i)
    if m then
      r.kind, r.month, r.week, r.wday, j = "month", tonumber(m), tonumber(w), tonumber(d), after_m
      if r.month < 1 or r.month > 12 or r.week < 1 or r.week > 5 or r.wday > 6 then return nil end
    else
      local n, after_n = s:match("^(%d+)()", i)
      if not n then return nil end
      r.kind, r.day, j = "zero", tonumber(n), after_n
      if r.day > 365 then return nil end
    end
  end
  r.time = 7200
  if s:sub(j, j) == "/" then
    r.time, j = parse_hms(s, j + 1)
    if not r.time then return nil end
  end
  return r, j
end

-- Parses a POSIX TZ string; returns the rule or nil, message.
function M.parse(s)
  local bad = "not a POSIX TZ string: " .. tostring(s)
  if type(s) ~= "string" or s == "" then return nil, bad end
  local r = {}
  local i
  r.std_name, i = parse_name(s, 1)
  if not r.std_name then return nil, bad end
  local off
  off, i = parse_hms(s, i)
  if not off then return nil, bad end
  r.std_off = -off -- POSIX counts west of UTC
  if i > #s then return r end
  r.dst_name, i = parse_name(s, i)
  if not r.dst_name then return nil, bad end
  r.dst_off = r.std_off + 3600
  local c = s:sub(i, i)
  if c ~= "," and c ~= "" then
    off, i = parse_hms(s, i)
    if not off then return nil, bad end
    r.dst_off = -off
  end
  if i > #s then -- no rule given: the US rule, as glibc assumes
    r.start = { kind = "month", month = 3, week = 2, wday = 0, time = 7200 }
    r["end"] = { kind = "month", month = 11, week = 1, wday = 0, time = 7200 }
    return r
  end
  if s:sub(i, i) ~= "," then return nil, bad end
  r.start, i = parse_date(s, i + 1)
  if not r.start or s:sub(i, i) ~= "," then return nil, bad end
  r["end"], i = parse_date(s, i + 1)
  if not r["end"] or i <= #s then return nil, bad end
  return r
end

-- Day number (days since the epoch) a date rule names in year y.
local function rule_day(d, y)
  if d.kind == "julian" then
    local n = d.day - 1
    if civil.is_leap(y) and d.day >= 60 then n = n + 1 end
    return civil.days_from_civil(y, 1, 1) + n
  elseif d.kind == "zero" then
    return civil.days_from_civil(y, 1, 1) + d.day
  end
  local first = civil.days_from_civil(y, d.month, 1)
  local day = first + (d.wday - civil.weekday(first)) % 7 + (d.week - 1) * 7
  local last = first + civil.days_in_month(y, d.month) - 1
  while day > last do day = day - 7 end
  return day
end

-- The UTC instants daylight time starts and ends in year y. The start is
-- given in standard time, the end in daylight time.
function M.transitions(r, y)
  local start = rule_day(r.start, y) * 86400 + r.start.time - r.std_off
  local stop = rule_day(r["end"], y) * 86400 + r["end"].time - r.dst_off
  return start, stop
end

-- offset (s east), is_dst, abbreviation at UTC instant t.
function M.info_at(r, t)
  if not r.dst_name then return r.std_off, false, r.std_name end
  local y = civil.civil_from_days((math.floor(t) + r.std_off) // 86400)
  local start, stop = M.transitions(r, y)
  local dst
  if start < stop then
    dst = t >= start and t < stop
  else -- southern hemisphere: daylight time spans the new year
    dst = not (t >= stop and t < start)
  end
  if dst then return r.dst_off, true, r.dst_name end
  return r.std_off, false, r.std_name
end

return M
