-- A metrics registry: counters, gauges and histograms with labels, and
-- their Prometheus text exposition (format 0.0.4: HELP and TYPE once per
-- family, label values escaped, histogram buckets cumulative up to +Inf).
--
--   local reg = registry.new()
--   local runs = reg:counter("x_runs_total", "Runs.", { "job", "outcome" })
--   runs:inc { job = "clip", outcome = "ok" }
--   local h = reg:histogram("x_seconds", "Durations.", { "job" }, { 0.1, 1, 10 })
--   h:observe({ job = "clip" }, 0.25)
--   io.write(reg:render())

local M = {}

local format, concat, sort = string.format, table.concat, table.sort

local NAME = "^[a-zA-Z_:][a-zA-Z0-9_:]*$"
local LABEL = "^[a-zA-Z_][a-zA-Z0-9_]*$"

local function escape_label(v)
  return (tostring(v):gsub("[\\\"\n]", { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }))
end

local function escape_help(s)
  return (s:gsub("[\\\n]", { ["\\"] = "\\\\", ["\n"] = "\\n" }))
end

-- Go's strconv float forms, which Prometheus parses: +Inf, -Inf, NaN.
local function number(v)
  if v ~= v then return "NaN" end
  if v == math.huge then return "+Inf" end
  if v == -math.huge then return "-Inf" end
  if math.type(v) == "integer" then return format("%d", v) end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return format("%d", math.floor(v)) end
  for digits = 15, 17 do -- the shortest form that reads back the same
    local text = format("%." .. digits .. "g", v)
    if tonumber(text) == v then return text end
  end
  return format("%.17g", v)
end

local Family = {}
Family.__index = Family

-- The series key and its rendered label text for a label table. The key
-- is looked up first: the label text is escaped only for a new series
-- (this runs on every API call).
local NO_LABELS = {}

function Family:series(labels)
  labels = labels or NO_LABELS
  local names = self.labels
  local n = #names
  local k
  if n == 0 then
    k = ""
  else
    for i = 1, n do
      if labels[names[i]] == nil then error(format("%s: label '%s' missing", self.name, names[i]), 3) end
    end
    -- the key without a table for the usual one or two labels
    k = tostring(labels[names[1]])
    if n == 2 then
      k = k .. "\0" .. tostring(labels[names[2]])
    elseif n > 2 then
      local key = {}
      for i = 1, n do key[i] = tostring(labels[names[i]]) end
      k = concat(key, "\0")
    end
  end
  local s = self.values[k]
  if not s then
    local parts = {}
    for i = 1, n do parts[i] = names[i] .. '="' .. escape_label(tostring(labels[names[i]])) .. '"' end
    s = { text = concat(parts, ","), value = 0 }
    if self.kind == "histogram" then
      s.counts, s.sum, s.count = {}, 0, 0
      for i = 1, #self.buckets do s.counts[i] = 0 end
    end
    self.values[k] = s
  end
  return s
end

function Family:inc(labels, n)
  n = n or 1
  if self.kind == "counter" and n < 0 then error(self.name .. ": a counter only goes up", 2) end
  local s = self:series(labels)
  s.value = s.value + n
end

function Family:add(labels, n)
  local s = self:series(labels)
  s.value = s.value + n
end

function Family:set(labels, v)
  self:series(labels).value = v
end

-- Forgets every series (a gauge recomputed at each scrape).
function Family:reset()
  self.values = {}
end

function Family:observe(labels, v)
  local s = self:series(labels)
  for i, le in ipairs(self.buckets) do
    if v <= le then s.counts[i] = s.counts[i] + 1 end
  end
  s.sum = s.sum + v
  s.count = s.count + 1
end

-- The value of one series, nil when it was never touched.
function Family:get(labels)
  local key = {}
  for i, name in ipairs(self.labels) do key[i] = tostring((labels or {})[name]) end
  local s = self.values[concat(key, "\0")]
  if not s then return nil end
  if self.kind == "histogram" then return s.count, s.sum end
  return s.value
end

local function with_le(text, le)
  return "{" .. text .. (text ~= "" and "," or "") .. 'le="' .. le .. '"}'
end

function Family:render(out)
  out[#out + 1] = "# HELP " .. self.name .. " " .. escape_help(self.help)
  out[#out + 1] = "# TYPE " .. self.name .. " " .. self.kind
  local keys = {}
  for k in pairs(self.values) do keys[#keys + 1] = k end
  sort(keys)
  for _, k in ipairs(keys) do
    local s = self.values[k]
    if self.kind == "histogram" then
      for i, le in ipairs(self.buckets) do
        out[#out + 1] = self.name .. "_bucket" .. with_le(s.text, number(le)) .. " " .. number(s.counts[i])
      end
      out[#out + 1] = self.name .. "_bucket" .. with_le(s.text, "+Inf") .. " " .. number(s.count)
      local braces = s.text ~= "" and "{" .. s.text .. "}" or ""
      out[#out + 1] = self.name .. "_sum" .. braces .. " " .. number(s.sum)
      out[#out + 1] = self.name .. "_count" .. braces .. " " .. number(s.count)
    else
      out[#out + 1] = self.name .. (s.text ~= "" and "{" .. s.text .. "}" or "") .. " " .. number(s.value)
    end
  end
end

local Registry = {}
Registry.__index = Registry

function M.new()
  return setmetatable({ families = {}, order = {} }, Registry)
end

local function define(reg, kind, name, help, labels, buckets)
  if type(name) ~= "string" or not name:match(NAME) then error("metrics: bad metric name " .. tostring(name), 3) end
  if reg.families[name] then error("metrics: " .. name .. " is already defined", 3) end
  labels = labels or {}
  for _, l in ipairs(labels) do
    if not l:match(LABEL) or l:sub(1, 2) == "__" or (kind == "histogram" and l == "le") then
      error("metrics: " .. name .. ": bad label name " .. l, 3)
    end
  end
  if buckets then
    for i = 2, #buckets do
      if buckets[i] <= buckets[i - 1] then error("metrics: " .. name .. ": buckets must increase", 3) end
    end
  end
  local f = setmetatable({ name = name, kind = kind, help = help or name, labels = labels,
    buckets = buckets, values = {} }, Family)
  reg.families[name] = f
  reg.order[#reg.order + 1] = f
  return f
end

function Registry:counter(name, help, labels) return define(self, "counter", name, help, labels) end
function Registry:gauge(name, help, labels) return define(self, "gauge", name, help, labels) end
function Registry:histogram(name, help, labels, buckets)
  return define(self, "histogram", name, help, labels, buckets)
end

-- The whole registry in the text format, families in definition order.
function Registry:render()
  local out = {}
  for _, f in ipairs(self.order) do f:render(out) end
  return concat(out, "\n") .. "\n"
end

M.CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

return M
