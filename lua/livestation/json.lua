-- JSON for the wire: decoding in C (core_json.c), encoding in Lua.
--
-- Live Station wants integers written as integers. So decode() keeps
-- integer literals as integers, and encode() is our own: integral values
-- are written without a fraction at every depth, other floats in their
-- shortest round-trip form, object keys sorted so the same value always
-- gives the same text, and anything JSON cannot say (NaN, a sparse array,
-- a cycle, a function) raises an error naming where it is.

local core = require "livestation.core"

local M = {}

-- null in arrays; equal to lua-cjson's cjson.null
M.null = core.json_null

local type, next, tostring, tonumber = type, next, tostring, tonumber
local mtype, tointeger = math.type, math.tointeger
local format, concat, sort = string.format, table.concat, table.sort
local getmetatable, setmetatable = getmetatable, setmetatable

local null = M.null
local huge = math.huge
local TWO63 = 2 ^ 63

-- Tables carrying this metatable are arrays, even when empty.
local ARRAY_MT = { __name = "livestation.json.array" }

---------------------------------------------------------------- arrays

-- Marks t (a new table when nil) as a JSON array and returns it.
function M.array(t)
  if t == nil then t = {} end
  if type(t) ~= "table" then
    error("json.array: expected a table, got " .. type(t), 2)
  end
  local mt = getmetatable(t)
  if mt ~= nil and mt ~= ARRAY_MT then
    error("json.array: the table already has a metatable", 2)
  end
  return setmetatable(t, ARRAY_MT)
end

-- Length of t when its keys are exactly 1..n, else nil.
local function sequence_length(t)
  local n, count = #t, 0
  for k in next, t do
    if mtype(k) ~= "integer" or k < 1 or k > n then return nil end
    count = count + 1
  end
  if count ~= n then return nil end
  return n
end

-- True when t encodes as a JSON array: marked, or a non-empty sequence.
function M.is_array(t)
  if type(t) ~= "table" then return false end
  if getmetatable(t) == ARRAY_MT then return true end
  local n = sequence_length(t)
  return n ~= nil and n > 0
end

---------------------------------------------------------------- numbers

-- The text of a number as we put it on the wire: integral values (within
-- int64) as integers, other finite floats in the shortest %.14g..%.17g
-- form that reads back as the same float. Raises on NaN and infinities.
local SHORTER = { "%.14g", "%.15g", "%.16g" }

local function number(v)
  if mtype(v) == "integer" then return format("%d", v) end
  if v ~= v then error("NaN cannot be encoded", 0) end
  if v == huge or v == -huge then error("an infinite number cannot be encoded", 0) end
  if v >= -TWO63 and v < TWO63 then
    local i = tointeger(v)
    if i then return format("%d", i) end
  end
  for i = 1, 3 do
    local s = format(SHORTER[i], v)
    if tonumber(s) == v then return s end
  end
  return format("%.17g", v) -- always round-trips
end

-- Public face of number(): the error names the caller.
function M.number(v)
  if type(v) ~= "number" then
    error("json.number: expected a number, got " .. type(v), 2)
  end
  local ok, s = pcall(number, v)
  if not ok then error("json.number: " .. s, 2) end
  return s
end

---------------------------------------------------------------- decoding

-- One pass in C (core_json.c): integer literals stay integers
-- and integral floats within 2^53 become integers (Debian's lua-cjson
-- makes every number a float); null is dropped from objects and kept
-- (as json.null) in arrays; arrays, "[]" too, are marked so they encode
-- back as arrays; strings must be valid UTF-8.
local json_decode = core.json_decode

-- Decodes JSON text; returns the value, or nil and a message. Never raises.
function M.decode(s)
  if type(s) ~= "string" then
    return nil, "json.decode: expected a string, got " .. type(s)
  end
  local v, err = json_decode(s, ARRAY_MT, null)
  if err then return nil, "json.decode: " .. err end
  return v
end

---------------------------------------------------------------- encoding

local ESCAPES = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}
for b = 0, 31 do
  local c = string.char(b)
  if not ESCAPES[c] then ESCAPES[c] = format("\\u%04X", b) end
end

local find, gsub, utf8_len = string.find, string.gsub, utf8.len

-- Quoted forms of short strings seen lately (keys and enum-like values
-- repeat in every response); cleared when it grows past QUOTE_CACHE_MAX.
local QUOTE_CACHE_MAX, QUOTE_CACHE_LEN = 4096, 64
local quoted, nquoted = {}, 0

-- The JSON string literal for s, or nil when s is not valid UTF-8.
local function quote(s)
  local q = quoted[s]
  if q then return q end
  if not utf8_len(s) then return nil end
  if find(s, '[\0-\31"\\]') then
    q = '"' .. gsub(s, '[\0-\31"\\]', ESCAPES) .. '"'
  else
    q = '"' .. s .. '"'
  end
  if #s <= QUOTE_CACHE_LEN then
    if nquoted >= QUOTE_CACHE_MAX then quoted, nquoted = {}, 0 end
    nquoted = nquoted + 1
    quoted[s] = q
  end
  return q
end

-- Encoder state for one encode() call. Encoding never yields, so one set
-- of upvalues serves every caller; encode() resets them each time.
local buf, nbuf, open, stack

-- The path of the value at depth, built only when an error needs it.
local function path_of(depth)
  local parts = { stack[0] }
  for i = 1, depth do
    local k = stack[i]
    if type(k) == "number" then
      parts[#parts + 1] = "[" .. k .. "]"
    elseif k:find("^[%a_][%w_]*$") then
      parts[#parts + 1] = "." .. k
    else
      parts[#parts + 1] = "[" .. format("%q", k) .. "]"
    end
  end
  return concat(parts)
end

local function fail(depth, what)
  error(format("json.encode: %s at %s", what, path_of(depth)), 0)
end

-- Why a table with a non-string key is not encodable.
local function key_problem(t)
  local has_string = false
  for k in next, t do
    if type(k) == "string" then
      has_string = true
    elseif mtype(k) ~= "integer" or k < 1 then
      return "non-string key " .. tostring(k) .. " in an object"
    end
  end
  if has_string then return "integer and string keys mixed in one table" end
  return "sparse array"
end

local encode_value

local function encode_table(t, depth)
  if open[t] then fail(depth, "cycle") end
  local n
  if getmetatable(t) == ARRAY_MT then
    n = sequence_length(t)
    if not n then fail(depth, key_problem(t)) end
  else
    local k1 = next(t)
    if k1 == nil then
      nbuf = nbuf + 1; buf[nbuf] = "{}"
      return
    end
    if type(k1) ~= "string" then
      n = sequence_length(t)
      if not n then fail(depth, key_problem(t)) end
    end
  end
  open[t] = true
  if n then
    if n == 0 then
      nbuf = nbuf + 1; buf[nbuf] = "[]"
    else
      nbuf = nbuf + 1; buf[nbuf] = "["
      for i = 1, n do
        if i > 1 then nbuf = nbuf + 1; buf[nbuf] = "," end
        stack[depth + 1] = i
        encode_value(t[i], depth + 1)
      end
      nbuf = nbuf + 1; buf[nbuf] = "]"
    end
  else
    local keys, nk = {}, 0
    for k in next, t do
      if type(k) ~= "string" then fail(depth, key_problem(t)) end
      nk = nk + 1
      keys[nk] = k
    end
    sort(keys)
    nbuf = nbuf + 1; buf[nbuf] = "{"
    for i = 1, nk do
      local k = keys[i]
      stack[depth + 1] = k
      local q = quote(k)
      if not q then fail(depth + 1, "invalid UTF-8 in a key") end
      if i > 1 then nbuf = nbuf + 1; buf[nbuf] = "," end
      buf[nbuf + 1] = q
      buf[nbuf + 2] = ":"
      nbuf = nbuf + 2
      encode_value(t[k], depth + 1)
    end
    nbuf = nbuf + 1; buf[nbuf] = "}"
  end
  open[t] = nil
end

function encode_value(v, depth)
  local tv = type(v)
  if tv == "string" then
    local q = quote(v)
    if not q then fail(depth, "invalid UTF-8 in a string") end
    nbuf = nbuf + 1; buf[nbuf] = q
  elseif tv == "number" then
    if mtype(v) == "integer" then
      nbuf = nbuf + 1; buf[nbuf] = format("%d", v)
    else
      local ok, s = pcall(number, v)
      if not ok then fail(depth, s) end
      nbuf = nbuf + 1; buf[nbuf] = s
    end
  elseif tv == "boolean" then
    nbuf = nbuf + 1; buf[nbuf] = v and "true" or "false"
  elseif tv == "table" then
    encode_table(v, depth)
  elseif v == nil or v == null then
    nbuf = nbuf + 1; buf[nbuf] = "null"
  else
    fail(depth, "cannot encode a " .. tv)
  end
end

-- Encodes v as JSON text; raises on what JSON cannot say. root names the
-- value in error messages ("body" gives "body.cdn[2]"), default "value".
function M.encode(v, root)
  buf, nbuf, open, stack = {}, 0, {}, { [0] = root or "value" }
  encode_value(v, 0)
  local s = concat(buf, "", 1, nbuf)
  buf, open, stack = nil, nil, nil
  return s
end

return M
