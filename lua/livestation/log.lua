-- Logging: one line per call, levels, and a last line of defence for keys.
--
--   2026-11-21T04:43:16.123Z INFO  message k=v k2="two words"
--   {"time":"2026-11-21T04:43:16.123Z","level":"info","message":"message","k":"v"}
--
-- Levels are error < warn < info < debug; the default is warn (scripts
-- are quiet unless asked) or LIVESTATION_LOG when set. The format is text
-- or json (one object a line), LIVESTATION_LOG_FORMAT when set. Every
-- registered secret, and every value named as a secret (stream keys,
-- passwords, tokens), is replaced by [REDACTED] in each line just before
-- it is written, whatever part of the line it came in through. When
-- stderr is the journal's stream, lines written there start with the
-- journal's "<N>" priority, so `journalctl -p err` selects by level.

local M = {}

local url = require "livestation.url"

local format, concat, sort = string.format, table.concat, table.sort
local type, tostring, pairs = type, tostring, pairs

local LEVELS = { error = 1, warn = 2, info = 3, debug = 4 }
local LABELS = { "ERROR", "WARN ", "INFO ", "DEBUG" }
local NAMES = { "error", "warn", "info", "debug" }

local function level_of(name)
  return LEVELS[name] or (type(name) == "string" and LEVELS[name:lower()]) or nil
end

local current = level_of(os.getenv("LIVESTATION_LOG")) or LEVELS.warn

local FORMATS = { text = true, json = true }
local env_format = os.getenv("LIVESTATION_LOG_FORMAT")
local fmt = FORMATS[env_format] and env_format or "text"

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

-- The current level as a number (error 1, warn 2, info 3, debug 4): one
-- call where a hot path asks about two levels.
function M.verbosity()
  return current
end

function M.enabled(name)
  local l = level_of(name)
  if not l then error(format("log.enabled: unknown level '%s'", tostring(name)), 2) end
  return l <= current
end

-- Raises on an unknown name; returns the previous format.
function M.set_format(name)
  if not FORMATS[name] then
    error(format("log.set_format: unknown format '%s' (text, json)", tostring(name)), 2)
  end
  local previous = fmt
  fmt = name
  return previous
end

function M.format()
  return fmt
end

-- sd-daemon(3) priorities: err, warning, info, debug.
local JOURNAL_PRIORITY = { "<3>", "<4>", "<6>", "<7>" }

local has_core, core = pcall(require, "livestation.core")
has_core = has_core and type(core) == "table"
local journal = has_core and core.stderr_is_journal and core.stderr_is_journal() or false

local function default_sink(line, level)
  if journal then
    io.stderr:write(JOURNAL_PRIORITY[level], line, "\n")
  else
    io.stderr:write(line, "\n")
  end
end

local sink = default_sink

-- fn(line, level) receives each line without its newline (level 1 is
-- error .. 4 debug); nil restores stderr.
-- Returns the previous sink.
function M.set_sink(fn)
  local previous = sink
  sink = fn or default_sink
  return previous
end

-- Wall-clock milliseconds: the core's clock when it is loaded, else
-- os.time() (whole seconds).
local default_clock = has_core and core.now_ms
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
-- longest first so a secret containing another goes whole. A short
-- secret (a webhook token "abc") is replaced only where it stands alone,
-- not inside longer words ("tabc", "abcdef").
local SHORT = 12
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
  for i, s in ipairs(list) do
    list[i] = { pattern = "()" .. lua_pattern(s) .. "()", short = #s < SHORT,
      left = s:find("^%w") ~= nil, right = s:find("%w$") ~= nil }
  end
  patterns = list
end

local function scrub(line)
  for i = 1, #patterns do
    local p = patterns[i]
    if p.short then
      local subject = line
      line = subject:gsub(p.pattern, function(s, e)
        if p.left and subject:find("^%w", s - 1) and s > 1 then return nil end
        if p.right and subject:find("^%w", e) then return nil end
        return "[REDACTED]"
      end)
    else
      line = line:gsub(p.pattern, "[REDACTED]")
    end
  end
  return line
end

-- Values that are secrets by their name, wherever a line shows them: a
-- JSON member ("streamKey":"..."), the same escaped inside a quoted field
-- (a request or response body at debug level), a k=v field or a query
-- parameter. Names match by their ending, case aside: streamKey,
-- backupStreamKey, a re-stream platform's streamKey and password,
-- streamPassword, secret_key, token.
local SECRET_NAMES = { "streamkey", "password", "passwd", "secretkey", "secret_key", "token" }

local function secret_name(name)
  name = name:lower()
  for i = 1, #SECRET_NAMES do
    local n = SECRET_NAMES[i]
    if #name >= #n and name:sub(-#n) == n then return true end
  end
  return false
end
M.is_secret_name = secret_name -- one policy for every output that shows values

-- Where a quoted value starting at i ends: the index of its closing
-- quote. A backslash escapes the character after it. When escaped, the
-- value sits inside a quoted log field, which escaped it once more
-- (\\ for \, \" for ", \n, \xHH): read through that layer first.
local function quoted_end(line, i, escaped)
  local n = #line
  local function char_at(k) -- the character the text at k stands for, and its width
    local c = line:sub(k, k)
    if not escaped or c ~= "\\" then return c, 1 end
    local d = line:sub(k + 1, k + 1)
    if d == "x" then return "?", 4 end
    return d, 2
  end
  while i <= n do
    local c, w = char_at(i)
    if c == '"' then return i end
    if c == "\\" then
      local _, w2 = char_at(i + w)
      w = w + w2
    end
    i = i + w
  end
  return n + 1
end

-- Replaces the value that starts at i; returns the new line and where to
-- search on.
local function cut(line, i, escaped, stop)
  local q = escaped and '\\"' or '"'
  local j
  if line:sub(i, i + #q - 1) == q then
    i = i + #q
    j = quoted_end(line, i, escaped)
  else
    j = line:find(stop, i) or #line + 1
  end
  return line:sub(1, i - 1) .. "[REDACTED]" .. line:sub(j), i + 10
end

local function mask_named(line)
  local pos = 1
  while true do -- JSON members, plain or escaped
    local s, e, esc, name = line:find('(\\?)"([%w_%-]+)\\?"%s*:%s*', pos)
    if not s then break end
    if secret_name(name) then
      line, pos = cut(line, e + 1, esc ~= "", '[,}%]%s\\]')
    else
      pos = e + 1
    end
  end
  pos = 1
  while true do -- k=v fields and query parameters
    local s, e, name = line:find("%f[%w_]([%w_]+)=", pos)
    if not s then break end
    if secret_name(name) then
      line, pos = cut(line, e + 1, false, '[%s&"\\]')
    else
      pos = e + 1
    end
  end
  return line
end

-- Text with every registered secret replaced, for other outputs that
-- show what scripts said (the status page).
function M.scrub(text)
  text = mask_named(tostring(text))
  if #patterns > 0 then return scrub(text) end
  return text
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

---------------------------------------------------------------- context

-- Fields every line written from a task carries (job and run, set by the
-- scheduler around a job's function); weak keys, so an ended task goes.
local task_fields = setmetatable({}, { __mode = "k" })
local current_task = has_core and core.current or function() return nil end

-- Adds fields (a table, or nil to clear) to each line logged by task t.
function M.set_task_fields(t, fields)
  task_fields[t] = fields
end

local function merged(fields)
  local t = current_task()
  local extra = t and task_fields[t]
  if not extra then return fields end
  local out = {}
  for k, v in pairs(extra) do out[k] = v end
  if type(fields) == "table" then
    for k, v in pairs(fields) do out[k] = v end
  end
  return out
end

local function sorted_keys(fields)
  local keys = {}
  for k in pairs(fields) do keys[#keys + 1] = k end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function text_line(level, msg, fields)
  local parts = { timestamp(clock()), " ", LABELS[level], " ", one_line(tostring(msg)) }
  if type(fields) == "table" then
    for _, k in ipairs(sorted_keys(fields)) do
      parts[#parts + 1] = " " .. one_line(tostring(k)) .. "=" .. render(fields[k])
    end
  end
  return concat(parts)
end

-- JSON: secrets are scrubbed from each string before it is encoded (an
-- encoded string may escape what the patterns look for), and the line
-- once more after. A value named as a secret becomes the string
-- "[REDACTED]" whatever its type, so the line stays JSON.
local function scrub_value(v)
  if type(v) == "string" then return #patterns > 0 and scrub(v) or v end
  if type(v) == "table" and getmetatable(v) == nil then
    local c = {}
    for k, x in pairs(v) do
      if type(k) == "string" and secret_name(k) then
        c[scrub_value(k)] = "[REDACTED]"
      else
        c[scrub_value(k)] = scrub_value(x)
      end
    end
    return c
  end
  return v
end

local RESERVED = { time = true, level = true, message = true }

local function json_value(v)
  local json = require "livestation.json"
  local tv = type(v)
  if tv == "number" and (v ~= v or v == math.huge or v == -math.huge) then v = tostring(v) end
  if tv == "table" and getmetatable(v) ~= nil then v = tostring(v) end
  if tv ~= "string" and tv ~= "number" and tv ~= "boolean" and tv ~= "table" then v = tostring(v) end
  v = scrub_value(v)
  local ok, text = pcall(json.encode, v)
  return ok and text or json.encode(tostring(v))
end

local function json_line(level, msg, fields)
  local parts = { '{"time":', json_value(timestamp(clock())), ',"level":', json_value(NAMES[level]),
    ',"message":', json_value(tostring(msg)) }
  if type(fields) == "table" then
    for _, k in ipairs(sorted_keys(fields)) do
      local name = tostring(k)
      if RESERVED[name] then name = "field_" .. name end -- the stable keys stay ours
      local v = fields[k]
      if secret_name(name) then v = "[REDACTED]" end
      parts[#parts + 1] = "," .. json_value(name) .. ":" .. json_value(v)
    end
  end
  parts[#parts + 1] = "}"
  return concat(parts)
end

local function write(level, msg, fields)
  if level > current then return end
  fields = merged(fields)
  local line = mask_named(fmt == "json" and json_line(level, msg, fields) or text_line(level, msg, fields))
  if #patterns > 0 then line = scrub(line) end
  sink(line, level)
end

function M.error(msg, fields) write(1, msg, fields) end
function M.warn(msg, fields) write(2, msg, fields) end
function M.info(msg, fields) write(3, msg, fields) end
function M.debug(msg, fields) write(4, msg, fields) end

return M
