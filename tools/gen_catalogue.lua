-- Generates lua/livestation/catalogue.lua from the API specification.
--
--   lua5.4 tools/gen_catalogue.lua [API_DIR] > lua/livestation/catalogue.lua
--
-- API_DIR defaults to $LIVESTATION_API_DIR, else api/ (the repository's own
-- description, the single source of truth).
-- It reads every ops/*.json (sorted by file name) and errors.json and writes
-- one Lua source file. The output is deterministic: object keys sorted,
-- arrays in order, integral numbers as integer literals (cjson decodes every
-- number as a float), JSON null left out. Nothing is dropped: titles, notes,
-- sources and response shapes are read by help and docs.

local cjson = require "cjson"

local format, concat, sort = string.format, table.concat, table.sort

local function fail(msg)
  io.stderr:write("gen_catalogue: ", msg, "\n")
  os.exit(1)
end

local function read_json(path)
  local f, err = io.open(path, "rb")
  if not f then fail(err) end
  local text = f:read("a")
  f:close()
  local ok, v = pcall(cjson.decode, text)
  if not ok then fail(path .. ": " .. tostring(v)) end
  return v
end

-- The *.json files of dir, sorted. ls keeps this free of any C module.
local function json_files(dir)
  local p = io.popen("ls -1 '" .. dir:gsub("'", "'\\''") .. "' 2>/dev/null")
  local names = {}
  for name in p:lines() do
    if name:match("%.json$") then names[#names + 1] = name end
  end
  p:close()
  sort(names)
  return names
end

---------------------------------------------------------------- Lua writer

local IDENT = "^[%a_][%w_]*$"
local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in local
  nil not or repeat return then true until while]]):gmatch("%a+") do KEYWORDS[w] = true end

-- A Lua string literal. Control bytes are escaped; bytes >= 0x80 stay as
-- they are, so UTF-8 text (가-힣) remains readable in the output.
local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESC[c] or format("\\%03d", c:byte())
  end) .. '"'
end

-- Integral values as integer literals; others in the shortest form that
-- reads back as the same float.
local function number(v)
  local i = math.tointeger(v)
  if i then return format("%d", i) end
  if v ~= v or v == math.huge or v == -math.huge then fail("non-finite number") end
  for p = 14, 17 do
    local s = format("%." .. p .. "g", v)
    if tonumber(s) == v then return s end
  end
end

local function key_text(k)
  if math.type(k) == "integer" then return "[" .. k .. "]" end
  if k:match(IDENT) and not KEYWORDS[k] then return k end
  return "[" .. quote(k) .. "]"
end

local function is_array(t)
  local n = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" then return false end
    n = n + 1
  end
  return n == #t
end

-- Keys of an object: integers (numeric order) before strings (byte order).
local function sorted_keys(t)
  local keys = {}
  for k, v in pairs(t) do
    if v ~= cjson.null then keys[#keys + 1] = k end
  end
  sort(keys, function(a, b)
    local ta, tb = math.type(a) == "integer", math.type(b) == "integer"
    if ta ~= tb then return ta end
    return a < b
  end)
  return keys
end

local write_value

local function write_table(out, t, indent, where)
  if next(t) == nil then
    out[#out + 1] = "{}"
    return
  end
  local inner = indent .. "  "
  out[#out + 1] = "{\n"
  if is_array(t) then
    for i = 1, #t do
      if t[i] == cjson.null then fail("null inside an array at " .. where) end
      out[#out + 1] = inner
      write_value(out, t[i], inner, where .. "[" .. i .. "]")
      out[#out + 1] = ",\n"
    end
  else
    for _, k in ipairs(sorted_keys(t)) do
      out[#out + 1] = inner .. key_text(k) .. " = "
      write_value(out, t[k], inner, where .. "." .. tostring(k))
      out[#out + 1] = ",\n"
    end
  end
  out[#out + 1] = indent .. "}"
end

function write_value(out, v, indent, where)
  local tv = type(v)
  if tv == "string" then
    out[#out + 1] = quote(v)
  elseif tv == "number" then
    out[#out + 1] = number(v)
  elseif tv == "boolean" then
    out[#out + 1] = tostring(v)
  elseif tv == "table" then
    write_table(out, v, indent, where)
  else
    fail("cannot write a " .. tv .. " at " .. where)
  end
end

---------------------------------------------------------------- main

local dir = arg[1] or os.getenv("LIVESTATION_API_DIR") or "api"

local sections, callback_payload = {}, nil
local files = json_files(dir .. "/ops")
if #files == 0 then fail("no ops/*.json under " .. dir) end
for _, name in ipairs(files) do
  local doc = read_json(dir .. "/ops/" .. name)
  local section = { file = name }
  for k, v in pairs(doc) do
    if k == "callbackPayload" then
      callback_payload = v
    else
      section[k] = v
    end
  end
  sections[#sections + 1] = section
end

-- errors.json: Live Station codes become integer keys; the API gateway's
-- own codes (under "apigw") are strings on the wire and stay strings.
local errors, gateway_errors = {}, nil
for k, v in pairs(read_json(dir .. "/errors.json")) do
  local code = k:match("^%d+$") and math.tointeger(tonumber(k))
  if code then
    errors[code] = v
  elseif k == "apigw" then
    gateway_errors = v
  else
    fail("errors.json: unexpected key " .. k)
  end
end

local out = {
  "-- Generated by tools/gen_catalogue.lua from the Live Station API\n",
  "-- specification (ops/*.json, errors.json). Do not edit; regenerate.\n",
  "return ",
}
write_value(out, {
  sections = sections,
  errors = errors,
  gateway_errors = gateway_errors,
  callback_payload = callback_payload,
}, "", "catalogue")
out[#out + 1] = "\n"
io.stdout:write(concat(out))
