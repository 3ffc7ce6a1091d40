-- Cron expressions: five fields (minute hour day-of-month month
-- day-of-week) or six with seconds first; lists, ranges, steps, month and
-- day names, and the @yearly ... @hourly aliases. When both day fields are
-- restricted a day matches either (the classic OR); a field that starts
-- with "*" does not restrict.
--
-- next_time() walks wall-clock time in the job's zone: a reading that
-- falls in a daylight-saving gap does not exist and is skipped; one that
-- happens twice in a fold fires once, at its first occurrence.

local civil = require "livestation.civil"

local M = {}

local ALIASES = {
  ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *",
  ["@monthly"] = "0 0 1 * *", ["@weekly"] = "0 0 * * 0",
  ["@daily"] = "0 0 * * *", ["@midnight"] = "0 0 * * *",
  ["@hourly"] = "0 * * * *",
}

local MONTHS = { jan = 1, feb = 2, mar = 3, apr = 4, may = 5, jun = 6,
                 jul = 7, aug = 8, sep = 9, oct = 10, nov = 11, dec = 12 }
local DAYS = { sun = 0, mon = 1, tue = 2, wed = 3, thu = 4, fri = 5, sat = 6 }

-- name, low, high, names
local FIELDS = {
  sec = { "second", 0, 59 },
  min = { "minute", 0, 59 },
  hour = { "hour", 0, 23 },
  dom = { "day of month", 1, 31 },
  mon = { "month", 1, 12, MONTHS },
  dow = { "day of week", 0, 7, DAYS },
}

local function value(s, f)
  local n = tonumber(s:match("^%d+$") or nil)
  if not n and f[4] then n = f[4][s:lower()] end
  return n
end

-- Parses one field into a set {[v] = true}; returns set, starts_with_star
-- or nil, message.
local function parse_field(text, key)
  local f = FIELDS[key]
  local name, lo, hi = f[1], f[2], f[3]
  local set = {}
  local function bad(why)
    return nil, string.format("cron: bad %s field '%s'%s", name, text, why and (": " .. why) or "")
  end
  for item in (text .. ","):gmatch("([^,]*),") do
    local range, step = item:match("^([^/]+)/(%d+)$")
    if not range then range = item end
    step = step and tonumber(step)
    if step == 0 then return bad("step must be positive") end
    local a, b
    if range == "*" or range == "?" then
      a, b = lo, hi
      if key == "dow" then b = 6 end
    else
      local x, y = range:match("^([^-]+)-([^-]+)$")
      if x then
        a, b = value(x, f), value(y, f)
      else
        a = value(range, f)
        b = step and hi or a -- "5/15" means 5-max/15
        if step and key == "dow" then b = 6 end
      end
    end
    if not a or not b then return bad() end
    if a < lo or b > hi or a > b then return bad(string.format("out of range %d-%d", lo, hi)) end
    for v = a, b, step or 1 do set[v] = true end
  end
  if key == "dow" and set[7] then set[0], set[7] = true, nil end
  return set, text:sub(1, 1) == "*" or text:sub(1, 1) == "?"
end

-- Sorted values of a set, for "next value >= x" lookups.
local function sorted(set, lo, hi)
  local list = {}
  for v = lo, hi do if set[v] then list[#list + 1] = v end end
  return list
end

local function next_in(list, x)
  for _, v in ipairs(list) do if v >= x then return v end end
  return nil
end

-- Parses expr; returns a spec or nil, message.
function M.parse(expr)
  if type(expr) ~= "string" then return nil, "cron: expression must be a string" end
  -- trimmed without "(.-)%s*$", which is quadratic on a long run of spaces
  local first = expr:find("%S")
  local text = first and expr:sub(first, expr:match(".*()%S")) or ""
  local alias = ALIASES[text:lower()]
  if text:sub(1, 1) == "@" and not alias then
    return nil, "cron: unknown alias '" .. text .. "'"
  end
  text = alias or text
  local parts = {}
  for p in text:gmatch("%S+") do parts[#parts + 1] = p end
  if #parts == 5 then table.insert(parts, 1, "0")
  elseif #parts ~= 6 then
    return nil, "cron: expected 5 or 6 fields, got " .. #parts .. " in '" .. expr .. "'"
  end
  local spec = { expr = expr }
  for i, key in ipairs { "sec", "min", "hour", "dom", "mon", "dow" } do
    local set, star = parse_field(parts[i], key)
    if not set then return nil, star end
    spec[key] = set
    spec[key .. "_star"] = star
  end
  spec.secs = sorted(spec.sec, 0, 59)
  spec.mins = sorted(spec.min, 0, 59)
  spec.hours = sorted(spec.hour, 0, 23)
  return spec
end

local function day_matches(spec, y, m, d)
  local dom = spec.dom[d] or false
  local dow = spec.dow[civil.weekday(civil.days_from_civil(y, m, d))] or false
  if spec.dom_star or spec.dow_star then return dom and dow end
  return dom or dow
end

local SEARCH_YEARS = 30 -- Feb 29 on a given weekday can be 28 years away

-- The first wall-clock reading (local seconds) >= ls that matches spec,
-- or nil when none comes within SEARCH_YEARS.
local function next_reading(spec, ls)
  local f = civil.from_seconds(ls)
  local y, mo, d, h, mi, s = f.year, f.month, f.day, f.hour, f.min, math.floor(f.sec)
  local limit = y + SEARCH_YEARS
  while y <= limit do
    if not spec.mon[mo] then
      mo, d, h, mi, s = mo + 1, 1, 0, 0, 0
      if mo > 12 then y, mo = y + 1, 1 end
    elseif d > civil.days_in_month(y, mo) then
      mo, d, h, mi, s = mo + 1, 1, 0, 0, 0
      if mo > 12 then y, mo = y + 1, 1 end
    elseif not day_matches(spec, y, mo, d) then
      d, h, mi, s = d + 1, 0, 0, 0
    else
      local nh = next_in(spec.hours, h)
      if not nh then
        d, h, mi, s = d + 1, 0, 0, 0
      else
        if nh ~= h then h, mi, s = nh, 0, 0 end
        local nm = next_in(spec.mins, mi)
        if not nm then
          h, mi, s = h + 1, 0, 0
          if h > 23 then d, h = d + 1, 0 end
        else
          if nm ~= mi then mi, s = nm, 0 end
          local ns = next_in(spec.secs, s)
          if ns then return civil.to_seconds(y, mo, d, h, mi, ns) end
          mi, s = mi + 1, 0
          if mi > 59 then h, mi = h + 1, 0 end
          if h > 23 then d, h = d + 1, 0 end
        end
      end
    end
  end
  return nil
end

-- The first instant (whole epoch seconds) strictly after `after` at which
-- spec fires in zone z, or nil if it never does again.
function M.next_time(spec, after, z)
  local t = math.floor(after) + 1
  local ls = t + z:offset(t)
  while true do
    local reading = next_reading(spec, ls)
    if not reading then return nil end
    local instants = z:from_local(reading)
    -- a fold fires at its first occurrence only; a gap not at all
    if instants[1] and instants[1] > after then return instants[1] end
    ls = reading + 1
  end
end

return M
