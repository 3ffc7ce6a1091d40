-- Logging: one line per call, levels, and a last line of defence for keys.
--
--   2026-11-21T04:43:16.123Z INFO  message k=v k2="two words"
--
-- Levels are error < warn < info < debug; the default is warn (scripts
-- are quiet unless asked) or LIVESTATION_LOG when set. Every registered
-- secret is replaced by [REDACTED] in each line just before it is written,
-- whatever part of the line it came in through.

local M = {}

local url = require "livestation.url"

local format, concat, sort = string.format, table.concat, table.sort
local type, tostring, pairs = type, tostring, pairs

local LEVELS = { error = 1, warn = 2, info = 3, debug = 4 }
local LABELS = { "ERROR", "WARN ", "INFO ", "DEBUG" }
local NAMES = { "error", "warn", "info", "debug" }

local function level_of(name)
  return type(name) == "string" and LEVELS[name:lower()] or nil
end

local current = level_of(os.getenv("LIVESTATION_LOG")) or LEVELS.warn

---------------------------------------------------------------- settings

function M.set_level(name)
  local l = level_of(name)
  if not l then
    error(format("log.set_level: unknown level '%s' (error, warn, info, debug)", tostring(name)), 2)
  end
  current = l
end

-- The current level's name.
function M.level()
  return NAMES[current]
end

function M.enabled(name)
  local l = level_of(name)
  if not l then error(format("log.enabled: unknown level '%s'", tostring(name)), 2) end
  return l <= current
end

local function default_sink(line)
  io.stderr:write(line, "\n")
end

local sink = default_sink

-- fn(line) receives each line without its newline; nil restores stderr.
-- Returns the previous sink.
function M.set_sink(fn)
  local previous = sink
  sink = fn or default_sink
  return previous
end

-- Wall-clock milliseconds: the core's clock when it is loaded, else
-- os.time() (whole seconds).
local has_core, core = pcall(require, "livestation.core")
local default_clock = has_core and type(core) == "table" and core.now_ms
  or function() return os.time() * 1000 end
local clock = default_clock

-- fn() returns milliseconds since the epoch; nil restores the real clock.
function M.set_clock(fn)
  clock = fn or default_clock
end

---------------------------------------------------------------- secrets

-- How a line shows control characters, quotes and backslashes.
local ESCAPES = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t", ['"'] = '\\"', ["\\"] = "\\\\" }

local function escape_control(c)
  return ESCAPES[c] or format("\\x%02X", c:byte())
end

-- Patterns of the registered secrets in every form a line may carry them
-- (plain, percent-encoded in either case, escaped as in a quoted value),
-- longest first so a secret containing another goes whole.
local secrets, patterns = {}, {}

local function lua_pattern(s)
  return (s:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

-- Registers a string that must never be written. Empty and non-string
-- values are ignored.
function M.redact(secret)
  if type(secret) ~= "string" or secret == "" or secrets[secret] then return end
  secrets[secret] = true
  local forms = {}
  for s in pairs(secrets) do
    forms[s] = true
    local escaped = url.escape(s)
    forms[escaped] = true
    forms[(escaped:gsub("%%%x%x", string.lower))] = true -- as some clients write it
    forms[s:gsub('[\0-\31"\\\127]', escape_control)] = true -- as a quoted field shows it
  end
  local list = {}
  for s in pairs(forms) do list[#list + 1] = s end
  sort(list, function(a, b) return #a > #b or (#a == #b and a < b) end)
  for i, s in ipairs(list) do list[i] = lua_pattern(s) end
  patterns = list
end

local function scrub(line)
  for i = 1, #patterns do
    line = line:gsub(patterns[i], "[REDACTED]")
  end
  return line
end

-- Shows enough of an access key to recognise it: NCPT****01.
function M.mask(key)
  if type(key) ~= "string" or #key < 12 then return "****" end
  return key:sub(1, 4) .. "****" .. key:sub(-2)
end

---------------------------------------------------------------- lines

-- A message stays on its line: control characters are escaped.
local function one_line(s)
  return (s:gsub("[\0-\31\127]", escape_control))
end

local function render(v)
  local tv = type(v)
  local s
  if tv == "string" then
    s = v
  elseif tv == "number" and math.type(v) == "float" then
    s = format("%.14g", v)
  elseif tv == "table" and getmetatable(v) == nil then
    local ok, text = pcall(function() return require("livestation.json").encode(v) end)
    s = ok and text or tostring(v)
  else
    s = tostring(v)
  end
  if s == "" or s:find('[%s"=\\\0-\31\127]') then
    return '"' .. s:gsub('[\0-\31"\\\127]', escape_control) .. '"'
  end
  return s
end

local function timestamp(ms)
  ms = math.tointeger(ms) or math.floor(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", ms // 1000) .. format(".%03dZ", ms % 1000)
end

local function write(level, msg, fields)
  if level > current then return end
  local parts = { timestamp(clock()), " ", LABELS[level], " ", one_line(tostring(msg)) }
  if type(fields) == "table" then
    local keys = {}
    for k in pairs(fields) do keys[#keys + 1] = k end
    sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do
      parts[#parts + 1] = " " .. one_line(tostring(k)) .. "=" .. render(fields[k])
    end
  end
  local line = concat(parts)
  if #patterns > 0 then line = scrub(line) end
  sink(line)
end

function M.error(msg, fields) write(1, msg, fields) end
function M.warn(msg, fields) write(2, msg, fields) end
function M.info(msg, fields) write(3, msg, fields) end
function M.debug(msg, fields) write(4, msg, fields) end

return M
