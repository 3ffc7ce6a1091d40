-- Where the keys, region and endpoint of a client come from.
--
-- The chain follows NCP's own tools (api/COMMON.md §d):
-- explicit options, then the environment, then ~/.ncloud/configure with
-- profiles. A source that holds only half a key pair is an error, not a
-- reason to look further: mixing keys of two sources would sign with the
-- wrong secret. No message, warning or tostring ever shows a secret key.

local errors = require "livestation.errors"
local log = require "livestation.log"
local spelling = require "livestation.spelling"

local M = {}

M.DEFAULT_REGION = "KR"
M.DEFAULT_ENDPOINT = "https://livestation.apigw.ntruss.com"

local ACCESS_VARS = { "NCLOUD_ACCESS_KEY_ID", "NCLOUD_ACCESS_KEY" }
local SECRET_VARS = { "NCLOUD_SECRET_ACCESS_KEY", "NCLOUD_SECRET_KEY" }
local FILE_ACCESS = "ncloud_access_key_id"
local FILE_SECRET = "ncloud_secret_access_key"

-- Config files already warned about, so a process warns once per file.
local warned = {}

local function fail(message)
  return nil, errors.new { kind = "validation", rule = "credentials", message = message }
end

-- Empty strings count as unset: `export NCLOUD_ACCESS_KEY=` is how people
-- clear a variable.
local function present(v)
  if v == nil or v == "" then return nil end
  return v
end

-- Linear on any input: "%s+$" and "(.-)%s*$" rescan a run of spaces from
-- each of its positions, which is quadratic on a long one.
local function trim(s)
  local first = s:find("%S")
  if not first then return "" end
  return s:sub(first, s:match(".*()%S"))
end

---------------------------------------------------------------- result

local Credentials = { __name = "livestation.credentials" }

function Credentials.__tostring(c)
  return string.format("credentials access_key=%s secret_key=**** region=%s endpoint=%s source=%s%s",
    log.mask(c.access_key), tostring(c.region), tostring(c.endpoint), tostring(c.source),
    c.profile and (" profile=" .. c.profile) or "")
end

---------------------------------------------------------------- config file

-- Parses INI text into { [section] = { key = value } } plus the section
-- names in file order. Lines before any section belong to DEFAULT (the
-- SDKs' files often have no header). Keys are matched case-insensitively;
-- values lose surrounding whitespace and one pair of matching quotes.
local function parse_ini(text)
  local sections, order = {}, {}
  local function section(name)
    if not sections[name] then
      sections[name] = {}
      order[#order + 1] = name
    end
    return sections[name]
  end
  local current = "DEFAULT"
  text = text:gsub("^\239\187\191", "") -- UTF-8 byte order mark
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    line = trim(line)
    local first = line:sub(1, 1)
    if line == "" or first == "#" or first == ";" then
      -- blank or comment
    elseif first == "[" then
      if line:sub(-1) == "]" then
        current = trim(line:sub(2, -2))
        section(current)
      end
    else
      local eq = line:find("=", 1, true)
      if eq then
        local key = trim(line:sub(1, eq - 1)):lower()
        local value = trim(line:sub(eq + 1))
        local q = value:sub(1, 1)
        if #value >= 2 and (q == '"' or q == "'") and value:sub(-1) == q then
          value = value:sub(2, -2)
        end
        section(current)[key] = value
      end
      -- other lines carry no key; they are skipped without echoing them,
      -- since they may hold a secret
    end
  end
  return sections, order
end

local function check_mode(path, env)
  if not env.file_mode or warned[path] then return end
  local mode = env.file_mode(path)
  if type(mode) == "number" and mode & 63 ~= 0 then -- 0o077: group or others
    warned[path] = true
    env.warn(string.format(
      "livestation: %s can be read by group or others (mode %03o); run: chmod 600 %s",
      path, mode & 511, path))
  end
end

-- " and ncloud_secret_acess_key: did you mean ...?" when the profile holds
-- a name close to the missing key's, else "".
local function misspelt(sec, want)
  local names = {}
  for name in pairs(sec) do
    if name ~= FILE_ACCESS and name ~= FILE_SECRET then names[#names + 1] = name end
  end
  table.sort(names)
  local near = spelling.closest(want, names, 3)
  return near and string.format(", and %s: did you mean %s?", near, want) or ""
end

-- Keys from the config file: access, secret, profile; nil when the file is
-- absent; nil, err when it is wrong. looked is where the search ended up,
-- for the final message.
local function from_file(opts, env)
  local home = env.home
  if not home or home == "" then return nil, nil, "~/.ncloud/configure (HOME is not set)" end
  local path = home:gsub("/+$", "") .. "/.ncloud/configure"
  local named = present(opts.profile) or present(env.getenv("NCLOUD_PROFILE"))
  local profile = named or "DEFAULT"
  local f = io.open(path, "r")
  if not f then
    return nil, nil, path .. (named and string.format(" (not found; profile '%s' was asked for)", named)
      or " (not found)")
  end
  local text = f:read("a") or ""
  f:close()
  check_mode(path, env)
  local sections, order = parse_ini(text)
  local sec = sections[profile]
  if not sec then
    if named then
      local _, err = fail(string.format("profile '%s' not found in %s (profiles there: %s)",
        profile, path, #order > 0 and table.concat(order, ", ") or "none"))
      return nil, err
    end
    return nil, nil, path .. " (no [DEFAULT] profile)"
  end
  local access, secret = present(sec[FILE_ACCESS]), present(sec[FILE_SECRET])
  if access and not secret then
    local _, err = fail(string.format("%s is missing from profile [%s] of %s (it has %s%s)",
      FILE_SECRET, profile, path, FILE_ACCESS, misspelt(sec, FILE_SECRET)))
    return nil, err
  elseif secret and not access then
    local _, err = fail(string.format("%s is missing from profile [%s] of %s (it has %s%s)",
      FILE_ACCESS, profile, path, FILE_SECRET, misspelt(sec, FILE_ACCESS)))
    return nil, err
  elseif not access then
    return nil, nil, string.format("%s (profile [%s] has no keys)", path, profile)
  end
  return { access = access, secret = secret, profile = profile, path = path }
end

---------------------------------------------------------------- chain

local function first_var(getenv, names)
  for _, name in ipairs(names) do
    local v = present(getenv(name))
    if v then return v, name end
  end
end

local function keys(opts, env)
  -- 1. explicit options
  local opt_access, opt_secret = present(opts.access_key), present(opts.secret_key)
  if opt_access ~= nil and type(opt_access) ~= "string" then return fail("access_key must be a string") end
  if opt_secret ~= nil and type(opt_secret) ~= "string" then return fail("secret_key must be a string") end
  if opt_access and opt_secret then return { access = opt_access, secret = opt_secret, source = "options" } end
  if opt_access then return fail("secret_key is missing: access_key was given in the options without it") end
  if opt_secret then return fail("access_key is missing: secret_key was given in the options without it") end

  -- 2. environment
  local ea, ea_name = first_var(env.getenv, ACCESS_VARS)
  local es, es_name = first_var(env.getenv, SECRET_VARS)
  if ea and es then return { access = ea, secret = es, source = "environment" } end
  if ea then
    return fail(string.format("%s is not set (or empty), but %s is",
      table.concat(SECRET_VARS, " or "), ea_name))
  end
  if es then
    return fail(string.format("%s is not set (or empty), but %s is",
      table.concat(ACCESS_VARS, " or "), es_name))
  end

  -- 3. config file
  local found, err, looked = from_file(opts, env)
  if err then return nil, err end
  if found then
    found.source = "file"
    return found
  end
  return fail(string.format(
    "no credentials found: looked for access_key/secret_key in the options, %s and %s in the environment, and %s",
    table.concat(ACCESS_VARS, " or "), table.concat(SECRET_VARS, " or "), looked))
end

-- env is { getenv, home, file_mode, warn }, each optional (tests replace
-- them). Returns { access_key, secret_key, region, endpoint, profile,
-- source } or nil, err (a validation error).
function M.resolve(opts, env)
  opts = opts or {}
  env = env or {}
  local getenv = env.getenv or os.getenv
  local e = {
    getenv = getenv,
    home = env.home or getenv("HOME"),
    file_mode = env.file_mode,
    warn = env.warn or function(msg) io.stderr:write(msg, "\n") end,
  }
  local k, err = keys(opts, e)
  if not k then return nil, err end
  log.redact(k.secret) -- from here on no log line can carry it

  local region = present(opts.region) or present(getenv("NCLOUD_REGION")) or M.DEFAULT_REGION
  local endpoint = present(opts.endpoint) or present(getenv("LIVESTATION_ENDPOINT")) or M.DEFAULT_ENDPOINT
  if type(region) ~= "string" then return fail("region must be a string") end
  if type(endpoint) ~= "string" then return fail("endpoint must be a string") end
  endpoint = endpoint:gsub("/+$", "")
  if not endpoint:find("^https?://[^/]") then
    return fail(string.format("endpoint '%s' is not an http:// or https:// URL", endpoint))
  end

  return setmetatable({
    access_key = k.access, secret_key = k.secret,
    region = region, endpoint = endpoint,
    profile = k.profile, source = k.source,
  }, Credentials)
end

return M
