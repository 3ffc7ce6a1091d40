-- livestation.config: a config table checked against a schema, every
-- problem reported at once with its path and, for a mistyped name, a
-- "did you mean".
--
--   local config = require("livestation").config
--   local T = config.types
--   local SHOW = T.record { name = T.name {}, starts = T.time {},
--                           grace = T.duration { default = "2m" } }
--   local cfg, problems = config.check(SHOW, { name = "news", strats = "+1h" })
--   --> nil, { 'starts: required: a time such as ...',
--   --          'strats: unknown setting; did you mean "starts"?' }
--
-- Config files are a Lua file that returns a table (run with nothing in
-- scope but env("NAME"), which reads the environment, so keys need not be
-- written into the file), or a JSON object (.json). from_args checks the
-- file named on the command line and, when anything is wrong, prints one
-- line per problem ("FILE: path: message") on stderr and ends the process
-- with status 2 before anything is done.

local json = require "livestation.json"
local schema = require "livestation.config.types"

local M = {}

-- CPU seconds a Lua config file may take to run: a file that loops
-- forever is refused instead of freezing the host.
M.BUDGET = 2

M.types = schema.types
M.repr = schema.repr
M.join = schema.join

-- check(type, value) -> the normalised value, or nil; and the list of
-- problem lines (empty when there is none).
function M.check(t, v)
  local out, problems = schema.check(t, v)
  if #problems > 0 then return nil, problems end
  return out, problems
end

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return text
end

-- JSON null is "not set".
local function drop_nulls(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do
    if x ~= json.null then out[k] = drop_nulls(x) end
  end
  return out
end

local function load_json(text)
  local v, err = json.decode(text)
  if v == nil then return nil, "not valid JSON: " .. tostring(err):gsub("^json%.decode: ", "") end
  if type(v) ~= "table" or (json.is_array(v) and next(v) ~= nil) then
    return nil, "the JSON text must be an object"
  end
  return drop_nulls(v)
end

local function load_lua(text, path)
  local missing = {}
  local env = {}
  env.env = function(name)
    local v = os.getenv(tostring(name))
    if v == nil or v == "" then missing[#missing + 1] = tostring(name) end
    return v
  end
  local chunk, err = load(text, "=" .. path, "t", env)
  if not chunk then return nil, "not valid Lua: " .. err end
  -- a count hook bounds its time (the file sees no pcall to catch it)
  local co, started = coroutine.create(chunk), os.clock()
  debug.sethook(co, function()
    if os.clock() - started > M.BUDGET then
      error(string.format("it ran longer than %g s (a loop that never ends?)", M.BUDGET), 0)
    end
  end, "", 10000)
  local ok, v = coroutine.resume(co)
  if not ok then return nil, "error while reading it: " .. tostring(v) end
  if v == nil then -- settings written as plain assignments
    env.env = nil
    v = env
  end
  if type(v) ~= "table" then return nil, "the file must return a table of settings" end
  if #missing > 0 then
    return nil, "environment variable" .. (#missing > 1 and "s " or " ") .. table.concat(missing, ", ")
      .. " not set"
  end
  return v
end

-- The raw table in path, or nil, message.
function M.read(path)
  local text, err = read(path)
  if not text then return nil, "cannot read it: " .. tostring(err):gsub("^" .. path:gsub("%p", "%%%0") .. ": ", "") end
  if path:match("%.json$") then return load_json(text) end
  return load_lua(text, path)
end

-- The checked config, or nil and the problem lines (without the file).
function M.load(path, spec)
  local raw, err = M.read(path)
  if not raw then return nil, { err } end
  return M.check(spec, raw)
end

-- Prints why and ends the process: status 2, as for a usage error.
function M.fail(path, problems)
  for _, p in ipairs(problems) do io.stderr:write(path, ": ", p, "\n") end
  io.stderr:flush()
  io.stdout:flush()
  os.exit(2)
end

-- The checked config named by the script's arguments (CONFIG, or
-- --check CONFIG: check it, say so and exit); exits on problems.
-- usage is the command line without "usage: " ("lsrun show.lua [--check]
-- CONFIG"). Returns the config and its path.
-- opts.ahead(cfg, add): problems that only matter before the work begins
-- (a start already past); --check runs it, and the script runs it itself
-- on a first start (M.ahead) but not when it resumes work under way.
function M.from_args(args, spec, usage, opts)
  local check_only = args[1] == "--check"
  local path = check_only and args[2] or args[1]
  local extra = args[check_only and 3 or 2]
  -- say what was wrong before the usage: a mistyped option, a word too many
  local wrong
  if path == "--check" then
    wrong = "--check is given twice"
  elseif path and path:sub(1, 1) == "-" and path ~= "-" then
    local near = require("livestation.spelling").closest(path, { "--check" }, 2)
    wrong = "unknown option " .. path .. (near and "; did you mean --check?" or "")
  elseif path and extra ~= nil then
    wrong = string.format("unexpected argument '%s' after %s", extra, path)
  end
  if wrong then io.stderr:write(wrong, "\n") end
  if wrong or not path or path == "" or path:sub(1, 1) == "-" then
    io.stderr:write("usage: ", usage, "\n")
    os.exit(2)
  end
  local cfg, problems = M.load(path, spec)
  if not cfg then M.fail(path, problems) end
  if check_only and opts and opts.ahead then M.ahead(cfg, path, opts.ahead) end
  if check_only then
    io.stdout:write(path, ": ok\n")
    os.exit(0)
  end
  return cfg, path
end

-- Runs ahead(cfg, add) and ends the process as fail() does when it adds
-- any problem.
function M.ahead(cfg, path, ahead)
  local problems = {}
  ahead(cfg, function(p, message) problems[#problems + 1] = p .. ": " .. message end)
  if #problems > 0 then M.fail(path, problems) end
end

return M
