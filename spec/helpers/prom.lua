-- A strict parser of the Prometheus text exposition format (0.0.4), for
-- the specs: it refuses what Prometheus would refuse and what the format
-- only tolerates (samples before their TYPE, a family split in two,
-- duplicate series, bad escapes, histogram buckets out of order or not
-- cumulative, a +Inf bucket that is not _count).
--
--   local families = prom.parse(text)  -- raises "line N: why" on bad input
--   families["x_total"].samples[i] = { name, labels = {k=v}, value }
--   prom.value(families, "x_total", { job = "a" }) -> number or nil

local M = {}

local NAME = "^[a-zA-Z_:][a-zA-Z0-9_:]*$"
local LABEL = "^[a-zA-Z_][a-zA-Z0-9_]*$"
local TYPES = { counter = true, gauge = true, histogram = true, summary = true, untyped = true }

local function fail(n, why) error(string.format("line %d: %s", n, why), 0) end

local function number(text, n)
  if text == "+Inf" or text == "Inf" then return math.huge end
  if text == "-Inf" then return -math.huge end
  if text == "NaN" then return 0 / 0 end
  if not text:match("^[-+]?%d+%.?%d*[eE]?[-+]?%d*$") and not text:match("^[-+]?%.%d+[eE]?[-+]?%d*$") then
    fail(n, "bad number '" .. text .. "'")
  end
  local v = tonumber(text)
  if not v then fail(n, "bad number '" .. text .. "'") end
  return v
end

-- label set "{a="x",b="y"}" starting at i; returns labels, next index
local function parse_labels(line, i, n)
  local labels, order = {}, {}
  i = i + 1 -- past '{'
  while true do
    if line:sub(i, i) == "}" then return labels, i + 1, order end
    local name = line:match("^[^=]*", i)
    if not name:match(LABEL) then fail(n, "bad label name '" .. name .. "'") end
    if labels[name] then fail(n, "label '" .. name .. "' twice") end
    i = i + #name
    if line:sub(i, i + 1) ~= '="' then fail(n, "expected '=\"' after label " .. name) end
    i = i + 2
    local buf = {}
    while true do
      local c = line:sub(i, i)
      if c == "" then fail(n, "unterminated label value") end
      if c == '"' then i = i + 1 break end
      if c == "\\" then
        local d = line:sub(i + 1, i + 1)
        if d == "n" then buf[#buf + 1] = "\n"
        elseif d == "\\" then buf[#buf + 1] = "\\"
        elseif d == '"' then buf[#buf + 1] = '"'
        else fail(n, "bad escape \\" .. d .. " in label value") end
        i = i + 2
      else
        buf[#buf + 1] = c
        i = i + 1
      end
    end
    labels[name] = table.concat(buf)
    order[#order + 1] = name
    local c = line:sub(i, i)
    if c == "," then i = i + 1 elseif c ~= "}" then fail(n, "expected ',' or '}' after a label") end
  end
end

local function family_of(name, families)
  if families[name] then return name end
  for _, suffix in ipairs { "_bucket", "_sum", "_count" } do
    local base = name:sub(1, -#suffix - 1)
    if name:sub(-#suffix) == suffix and families[base] and
       (families[base].type == "histogram" or families[base].type == "summary") then
      return base
    end
  end
  return nil
end

local function series_key(name, labels, skip)
  local keys = {}
  for k in pairs(labels) do if k ~= skip then keys[#keys + 1] = k end end
  table.sort(keys)
  local parts = { name }
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. labels[k] end
  return table.concat(parts, "\0")
end

local function check_histogram(f)
  local groups, order = {}, {}
  for _, s in ipairs(f.samples) do
    local key = series_key("", s.labels, "le")
    local g = groups[key]
    if not g then
      g = { buckets = {} }
      groups[key] = g
      order[#order + 1] = key
    end
    if s.name == f.name .. "_bucket" then
      if not s.labels.le then fail(s.line, "bucket without le") end
      local le = number(s.labels.le, s.line)
      local prev = g.buckets[#g.buckets]
      if prev and le <= prev.le then fail(s.line, "buckets not in increasing le order") end
      if prev and s.value < prev.value then fail(s.line, "bucket counts not cumulative") end
      g.buckets[#g.buckets + 1] = { le = le, value = s.value }
    elseif s.name == f.name .. "_sum" then g.sum = s.value
    elseif s.name == f.name .. "_count" then g.count = s.value
    else fail(s.line, "unexpected sample " .. s.name .. " in histogram " .. f.name) end
  end
  for _, key in ipairs(order) do
    local g = groups[key]
    local last = g.buckets[#g.buckets]
    if not last or last.le ~= math.huge then fail(f.line, f.name .. ": no +Inf bucket") end
    if not g.count then fail(f.line, f.name .. ": no _count") end
    if not g.sum then fail(f.line, f.name .. ": no _sum") end
    if last.value ~= g.count then fail(f.line, f.name .. ": +Inf bucket is not _count") end
  end
end

function M.parse(text)
  if text:sub(-1) ~= "\n" then error("the exposition must end with a newline", 0) end
  local families, seen_series, closed = {}, {}, {}
  local current
  local n = 0
  for line in text:gmatch("([^\n]*)\n") do
    n = n + 1
    if line:find("\r", 1, true) then fail(n, "carriage return") end
    local kw, name, rest = line:match("^# (%u+) (%S+) ?(.*)$")
    if line == "" then
      fail(n, "empty line")
    elseif kw == "HELP" or kw == "TYPE" then
      if not name:match(NAME) then fail(n, "bad metric name '" .. name .. "'") end
      if closed[name] then fail(n, name .. ": family appears twice") end
      if current and current.name ~= name then closed[current.name] = true end
      local f = families[name]
      if f and #f.samples > 0 then fail(n, name .. ": " .. kw .. " after samples") end
      if not f then
        f = { name = name, samples = {}, line = n }
        families[name] = f
      end
      current = f
      if kw == "HELP" then
        if f.help then fail(n, name .. ": HELP twice") end
        local bad = rest:gsub("\\[\\n]", ""):find("\\", 1, true)
        if bad then fail(n, "bad escape in HELP") end
        f.help = rest:gsub("\\n", "\n"):gsub("\\\\", "\\")
      else
        if f.type then fail(n, name .. ": TYPE twice") end
        if not TYPES[rest] then fail(n, "unknown type '" .. rest .. "'") end
        f.type = rest
      end
    elseif line:sub(1, 1) == "#" then
      -- a comment: allowed, ignored
    else
      local sname = line:match("^[^{ ]+")
      if not sname or not sname:match(NAME) then fail(n, "bad metric name in '" .. line .. "'") end
      local i = #sname + 1
      local labels = {}
      if line:sub(i, i) == "{" then labels, i = parse_labels(line, i, n) end
      local value_text, ts = line:sub(i):match("^ (%S+)(.*)$")
      if not value_text then fail(n, "expected ' value' after the series") end
      if ts ~= "" and not ts:match("^ %-?%d+$") then fail(n, "bad timestamp '" .. ts .. "'") end
      local fname = family_of(sname, families)
      if not fname then fail(n, sname .. ": sample without HELP/TYPE") end
      local f = families[fname]
      if closed[fname] or current ~= f then fail(n, fname .. ": samples of a family are not together") end
      if not f.type then fail(n, fname .. ": sample before TYPE") end
      local key = series_key(sname, labels)
      if seen_series[key] then fail(n, "series " .. sname .. " twice") end
      seen_series[key] = true
      local v = number(value_text, n)
      if f.type == "counter" and (v < 0 or v ~= v) then fail(n, sname .. ": counter below zero") end
      f.samples[#f.samples + 1] = { name = sname, labels = labels, value = v, line = n }
    end
  end
  for _, f in pairs(families) do
    if not f.type then fail(f.line, f.name .. ": no TYPE") end
    if f.type == "histogram" then check_histogram(f) end
  end
  return families
end

local function matches(s, labels)
  for k, v in pairs(labels or {}) do
    if s.labels[k] ~= v then return false end
  end
  return true
end

-- The value of the one sample of `name` whose labels include `labels`.
function M.value(families, name, labels)
  for _, f in pairs(families) do
    for _, s in ipairs(f.samples) do
      if s.name == name and matches(s, labels) then return s.value end
    end
  end
  return nil
end

return M
