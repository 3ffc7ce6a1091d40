-- Generates the operation table from the API description, as two files:
--
--   lua5.4 tools/gen_catalogue.lua [API_DIR] > lua/livestation/catalogue.lua
--   lua5.4 tools/gen_catalogue.lua --docs [API_DIR] > lua/livestation/catalogue_docs.lua
--
-- API_DIR defaults to $LIVESTATION_API_DIR, else api/ (the repository's own
-- description, the single source of truth).
-- It reads every ops/*.json (sorted by file name) and errors.json. The
-- first file holds what calls and validation need and is loaded at start
-- by whoever calls the API: each operation's id, method, path and PARAMs
-- (name, in, type, required and the limits), each error code's name,
-- message and status. The second (--docs) holds the rest and is loaded
-- only by help, the emulator and docs: titles, summaries, notes, sources,
-- per-operation error lists, response shapes, PARAM summaries and `when`
-- texts (keyed by dotted path), error provenance, the gateway's codes and
-- the callback payload. zones.json (when present) is split the same way:
-- each zone's path prefix, region, documented ids and narrowed PARAM
-- fields go to the first file, its title, summary, notes and PARAM
-- summaries to the second. Together they hold every member of the
-- description. The output is deterministic: object keys sorted, arrays in
-- order, integral numbers as integer literals (cjson decodes every number
-- as a float), JSON null left out.

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

---------------------------------------------------------------- split

-- What a call and its validation read; everything else is documentation.
local CALL_OP = { id = true, method = true, path = true, params = true }
local CALL_PARAM = { name = true, ["in"] = true, type = true, required = true, enum = true,
  min = true, max = true, minLength = true, maxLength = true, pattern = true, default = true,
  items = true, fields = true }
local CALL_ERROR = { name = true, message = true, http = true }

-- PARAMs for calls; their prose goes to docs[dotted path] (array items are
-- reached through the array's name, as ops.param does).
local function split_params(params, prefix, docs)
  local call = {}
  for i, p in ipairs(params) do
    local c, d, path = {}, {}, prefix .. p.name
    for k, v in pairs(p) do
      if k == "fields" then
        c.fields = split_params(v, path .. ".", docs)
      elseif CALL_PARAM[k] then
        c[k] = v
      else
        d[k] = v
      end
    end
    if next(d) then docs[path] = d end
    call[i] = c
  end
  return call
end

local function split_op(op)
  local call, docs = {}, {}
  for k, v in pairs(op) do
    if k == "params" then
      docs.params = {}
      call.params = split_params(v, "", docs.params)
      if next(docs.params) == nil then docs.params = nil end
    elseif CALL_OP[k] then
      call[k] = v
    else
      docs[k] = v
    end
  end
  return call, docs
end

---------------------------------------------------------------- main

local want_docs = arg[1] == "--docs"
local dir = arg[want_docs and 2 or 1] or os.getenv("LIVESTATION_API_DIR") or "api"

local sections, op_docs, callback_payload = {}, {}, nil
local files = json_files(dir .. "/ops")
if #files == 0 then fail("no ops/*.json under " .. dir) end
for _, name in ipairs(files) do
  local doc = read_json(dir .. "/ops/" .. name)
  local section = { file = name }
  for k, v in pairs(doc) do
    if k == "callbackPayload" then
      callback_payload = v
    elseif k == "operations" then
      section.operations = {}
      for i, op in ipairs(v) do
        local call, docs = split_op(op)
        section.operations[i] = call
        if op_docs[op.id] then fail("duplicate operation id " .. tostring(op.id)) end
        op_docs[op.id] = docs
      end
    else
      section[k] = v
    end
  end
  sections[#sections + 1] = section
end

-- errors.json: Live Station codes become integer keys; the API gateway's
-- own codes (under "apigw") are strings on the wire and stay strings.
local errors, error_docs, gateway_errors = {}, {}, nil
for k, v in pairs(read_json(dir .. "/errors.json")) do
  local code = k:match("^%d+$") and math.tointeger(tonumber(k))
  if code then
    local call, docs = {}, {}
    for f, x in pairs(v) do
      if CALL_ERROR[f] then call[f] = x else docs[f] = x end
    end
    errors[code] = call
    if next(docs) then error_docs[code] = docs end
  elseif k == "apigw" then
    gateway_errors = v
  else
    fail("errors.json: unexpected key " .. k)
  end
end

-- zones.json (optional): the service under other path prefixes and
-- regions (the financial zone). Calls need the prefix, the region and the
-- narrowed PARAM fields; titles, summaries and notes are docs.
local CALL_ZONE = { pathPrefix = true, region = true, documented = true }
local zones, zone_docs = nil, nil
do
  local f = io.open(dir .. "/zones.json", "rb")
  if f then
    f:close()
    zones, zone_docs = {}, {}
    for name, z in pairs(read_json(dir .. "/zones.json")) do
      local call, docs = { params = {} }, { params = {} }
      for k, v in pairs(z) do
        if k == "params" then
          for id, over in pairs(v) do
            call.params[id], docs.params[id] = {}, {}
            for path, fields in pairs(over) do
              local c, d = {}, {}
              for fk, fv in pairs(fields) do
                if CALL_PARAM[fk] then c[fk] = fv else d[fk] = fv end
              end
              call.params[id][path] = c
              if next(d) then docs.params[id][path] = d end
            end
          end
        elseif CALL_ZONE[k] then
          call[k] = v
        else
          docs[k] = v
        end
      end
      zones[name], zone_docs[name] = call, docs
    end
  end
end

local out
if want_docs then
  out = {
    "-- Generated by tools/gen_catalogue.lua --docs from the Live Station API\n",
    "-- description (ops/*.json, errors.json): the prose, provenance and\n",
    "-- response shapes, loaded lazily. Do not edit; regenerate.\n",
    "return ",
  }
  write_value(out, {
    operations = op_docs,
    errors = error_docs,
    gateway_errors = gateway_errors,
    callback_payload = callback_payload,
    zones = zone_docs,
  }, "", "catalogue_docs")
else
  out = {
    "-- Generated by tools/gen_catalogue.lua from the Live Station API\n",
    "-- description (ops/*.json, errors.json): what calls and validation\n",
    "-- need; the rest is in catalogue_docs.lua. Do not edit; regenerate.\n",
    "return ",
  }
  write_value(out, { sections = sections, errors = errors, zones = zones }, "", "catalogue")
end
out[#out + 1] = "\n"
io.stdout:write(concat(out))
