-- The types of livestation.config and the check itself: each setting has
-- a type that knows what it accepts, its default, and how to say what is
-- wrong. A check reports every problem at once, each as "path: message",
-- and returns the config with defaults filled in and values normalised
-- (durations in seconds, files as {bucket, path}).
--
--   local T = config.types
--   local SHOW = T.record { name = T.name {}, grace = T.duration { default = 120 } }
--   local cfg, problems = config.check(SHOW, raw)

local spelling = require "livestation.spelling"
local times = require "livestation.time"

local M = {}
local T = {}
M.types = T

---------------------------------------------------------------- wording

-- A value as a problem line shows it.
function M.repr(v)
  if type(v) == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      return c == '"' and '\\"' or c == "\\" and "\\\\" or string.format("\\%03d", c:byte())
    end) .. '"'
  elseif type(v) == "table" then
    return next(v) == nil and "{}" or (v[1] ~= nil and "a list" or "a table")
  end
  return tostring(v)
end

-- The known name closest to a misspelt one, when one is close.
local function suggestion(name, known)
  return spelling.closest(name, known, function(k) return math.max(1, #k // 3) end)
end

---------------------------------------------------------------- checking

local Ctx = {}
Ctx.__index = Ctx

function Ctx:add(path, message)
  local line = (path ~= "" and path .. ": " or "") .. message
  if self.seen[line] then return end
  self.seen[line] = true
  self.problems[#self.problems + 1] = line
end

local function join(path, key)
  if type(key) == "number" then return path .. "[" .. key .. "]" end
  return path == "" and key or path .. "." .. key
end
M.join = join

-- Checks v (nil when absent) against type t at path; returns the value.
local function check(t, v, ctx, path)
  if v == nil then
    if t.default ~= nil then -- written as a config would write it ("2m")
      return check(t, type(t.default) == "table" and {} or t.default, ctx, path)
    end
    if not t.optional then ctx:add(path, "required: " .. t.what) end
    return nil
  end
  local out, why = t.accept(v, ctx, path)
  if out == nil and why ~= false then
    ctx:add(path, (why or ("expected " .. t.what)) .. ", got " .. M.repr(v))
  end
  return out
end

-- check(type, value) -> normalised value, list of problem lines.
function M.check(t, v)
  local ctx = setmetatable({ problems = {}, seen = {} }, Ctx)
  local out = check(t, v, ctx, "")
  return out, ctx.problems
end

-- A type: what (the words for it), accept(v, ctx, path) -> value, or
-- nil plus a reason (false: the reason was already reported).
local function make(o, what, accept)
  return { what = o.what or what, accept = accept, optional = o.optional, default = o.default }
end

---------------------------------------------------------------- scalars

function T.string(o)
  o = o or {}
  return make(o, "a text", function(v)
    if type(v) ~= "string" then return nil end
    if o.pattern and not v:match(o.pattern) then return nil end
    if #v < (o.min or 1) or (o.max and #v > o.max) then return nil end
    return v
  end)
end

function T.boolean(o)
  o = o or {}
  return make(o, "true or false", function(v)
    if type(v) ~= "boolean" then return nil end
    return v
  end)
end

function T.integer(o)
  o = o or {}
  local what = "a whole number"
  if o.min and o.max then what = string.format("a whole number from %d to %d", o.min, o.max)
  elseif o.min then what = string.format("a whole number >= %d", o.min) end
  if o.what then what = o.what .. " (" .. what .. ")" end
  return make({ optional = o.optional, default = o.default }, what, function(v)
    local n = math.tointeger(v)
    if not n or (o.min and n < o.min) or (o.max and n > o.max) then return nil end
    return n
  end)
end

function T.enum(values, o)
  o = o or {}
  local quoted = {}
  for i, v in ipairs(values) do quoted[i] = M.repr(v) end
  local set = {}
  for _, v in ipairs(values) do set[v] = true end
  return make(o, "one of " .. table.concat(quoted, ", "), function(v)
    if not set[v] then return nil end
    return v
  end)
end

-- Channel names: 3 to 20 Hangul syllables, English letters, digits or _.
function T.name(o)
  o = o or {}
  return make(o, "a name of 3 to 20 letters (English or Hangul), digits or _", function(v)
    if type(v) ~= "string" or not utf8.len(v) then return nil end
    local n = utf8.len(v)
    if n < 3 or n > 20 then return nil end
    for _, c in utf8.codes(v) do
      local ok = (c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122)
        or c == 95 or (c >= 0xAC00 and c <= 0xD7A3)
      if not ok then return nil end
    end
    return v
  end)
end

-- Object Storage bucket names: 3 to 63 of a-z 0-9 . -, alphanumeric ends.
function T.bucket(o)
  o = o or {}
  return make(o, "a bucket name (3 to 63 of a-z, 0-9, '.' and '-')", function(v)
    if type(v) ~= "string" or #v < 3 or #v > 63 or not v:match("^[a-z0-9][a-z0-9.%-]*[a-z0-9]$") then
      return nil
    end
    return v
  end)
end

function T.duration(o)
  o = o or {}
  local what = 'a duration such as "90s", "5m" or "1h30m"'
  return make(o, what, function(v)
    local d = times.duration(v)
    if not d then return nil end
    if o.min and d < o.min then return nil, "must be at least " .. times.span(o.min) end
    if o.max and d > o.max then return nil, "must be at most " .. times.span(o.max) end
    return d
  end)
end

-- A time, kept as written: resolving it needs the zone and the anchor.
function T.time(o)
  o = o or {}
  return make(o, 'a time such as "2026-11-22T19:00:00", "2026-11-22T19:00:00+09:00", '
    .. '"+10m" (from the first start) or epoch seconds', function(v)
    if not times.resolve(v, "UTC", 0) then return nil end
    return v
  end)
end

function T.zone(o)
  o = o or {}
  return make(o, 'a time zone such as "Asia/Seoul"', function(v)
    if type(v) ~= "string" or not times.zone(v) then return nil end
    return v
  end)
end

-- rtmp:// or rtmps:// URLs.
function T.rtmp_url(o)
  o = o or {}
  return make(o, 'an RTMP URL ("rtmp://..." or "rtmps://...")', function(v)
    if type(v) ~= "string" or not v:match("^rtmps?://[%w%-%.]+[:/]") then return nil end
    return v
  end)
end

-- A file in Object Storage: "bucket/path/to/file.mp4" or {bucket=, path=}.
-- Returns {bucket = , path = "/path/to/file.mp4"}. o.ext: allowed endings.
function T.file(o)
  o = o or {}
  local exts = o.ext and table.concat(o.ext, ", ") or nil
  local what = '"bucket/path/to/file' .. (o.ext and o.ext[1] or "") .. '" or {bucket = ..., path = ...}'
  return make(o, what, function(v, ctx, path)
    local bucket, fpath
    if type(v) == "string" then
      bucket, fpath = v:match("^([^/]+)(/.+)$")
    elseif type(v) == "table" then
      bucket, fpath = v.bucket, v.path
      if type(fpath) == "string" and fpath:sub(1, 1) ~= "/" then fpath = "/" .. fpath end
    end
    if type(bucket) ~= "string" or type(fpath) ~= "string" or fpath:match("/$") then return nil end
    local b = T.bucket {}
    if not b.accept(bucket) then
      ctx:add(path, "bucket " .. M.repr(bucket) .. " is not a bucket name (3 to 63 of a-z, 0-9, '.' and '-')")
      return nil, false
    end
    if o.ext then
      local ok = false
      for _, e in ipairs(o.ext) do
        if fpath:lower():sub(-#e) == e then ok = true end
      end
      if not ok then
        ctx:add(path, "the file must end in " .. exts .. ", got " .. M.repr(v))
        return nil, false
      end
    end
    return { bucket = bucket, path = fpath }
  end)
end

-- Either of two types: a value the first accepts, else the second's
-- verdict (so a table given for a record shows that record's problems).
function T.either(a, b, o)
  o = o or {}
  return make(o, a.what .. ", or " .. b.what, function(v, ctx, path)
    local probe = setmetatable({ problems = {}, seen = {} }, Ctx)
    local out = a.accept(v, probe, path)
    if out ~= nil and #probe.problems == 0 then return out end
    local why
    out, why = b.accept(v, ctx, path)
    if out ~= nil then return out end
    return nil, why
  end)
end

-- Exactly false (e.g. record = false: no recording).
function T.off()
  return make({}, "false", function(v) if v == false then return false end end)
end

---------------------------------------------------------------- containers

local function is_list(v)
  if type(v) ~= "table" then return false end
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  return n == #v
end

function T.list(item, o)
  o = o or {}
  local what = "a list of " .. item.what
  return make(o, what, function(v, ctx, path)
    if not is_list(v) then return nil end
    if #v < (o.min or 0) then
      ctx:add(path, (o.min == 1 and "needs at least one entry" or "needs at least " .. o.min .. " entries"))
      return nil, false
    end
    if o.max and #v > o.max then
      ctx:add(path, "at most " .. o.max .. " entries, got " .. #v)
      return nil, false
    end
    local out = {}
    for i, x in ipairs(v) do out[i] = check(item, x, ctx, join(path, i)) end
    return out
  end)
end

-- A table of named settings. fields: name -> type. o.check(value, add)
-- adds problems that involve several settings (add(path, message)).
function T.record(fields, o)
  o = o or {}
  local known = {}
  for k in pairs(fields) do known[#known + 1] = k end
  table.sort(known)
  return make(o, o.what or "a table of settings", function(v, ctx, path)
    if type(v) ~= "table" or (next(v) ~= nil and is_list(v)) then return nil end
    local unknown = {}
    for k in pairs(v) do
      if type(k) ~= "string" or not fields[k] then unknown[#unknown + 1] = tostring(k) end
    end
    table.sort(unknown)
    for _, k in ipairs(unknown) do
      local s = suggestion(k, known)
      ctx:add(join(path, k), "unknown setting" .. (s and ('; did you mean "' .. s .. '"?') or
        " (known here: " .. table.concat(known, ", ") .. ")"))
    end
    local out = {}
    for _, k in ipairs(known) do out[k] = check(fields[k], v[k], ctx, join(path, k)) end
    -- checks across settings run even when others have problems, so one
    -- problem does not hide another; one that needs a setting that is
    -- missing or wrong (it raises on the nil) adds nothing
    if o.check then
      pcall(o.check, out, function(p, message) ctx:add(join(path, p), message) end)
    end
    return out
  end)
end

return M
