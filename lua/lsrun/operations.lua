-- The operation commands of lsrun: `call`, `ops` and `help`, all read
-- from the operation table.

local ops = require "livestation.ops"
local json = require "livestation.json"

local M = {}

local function find_param(params, name)
  for _, p in ipairs(params or {}) do
    if p.name == name then return p end
  end
end

-- Turns the text after `name=` into the type the operation table gives.
local function convert(p, text, name)
  local t = p and p.type or "string"
  if t == "integer" or t == "number" then
    local n = tonumber(text)
    if n == nil then return nil, string.format("%s: '%s' is not a number", name, text) end
    return math.tointeger(n) or n
  elseif t == "boolean" then
    if text == "true" then return true elseif text == "false" then return false end
    return nil, string.format("%s: '%s' is not true or false", name, text)
  elseif t == "array" or t == "object" then
    if text:match("^%s*[%[{]") then
      local v, err = json.decode(text)
      if v == nil then return nil, string.format("%s: bad JSON: %s", name, err) end
      return v
    end
    if t == "object" then return nil, string.format("%s: give an object as JSON", name) end
    local items = {}
    for item in text:gmatch("[^,]+") do
      local v, err = convert({ type = p.items or "string" }, item, name)
      if v == nil then return nil, err end
      items[#items + 1] = v
    end
    return json.array(items)
  end
  return text
end

-- Parses `name=value` words (dotted names reach into body objects) and
-- `--body JSON` into one flat parameter table.
function M.parse_params(op, words)
  local params = {}
  local i = 1
  while i <= #words do
    local w = words[i]
    if w == "--body" then
      local v, err = json.decode(words[i + 1] or "")
      if type(v) ~= "table" then return nil, "--body needs a JSON object" .. (err and (": " .. err) or "") end
      for k, x in pairs(v) do params[k] = x end
      i = i + 2
    else
      local name, text = w:match("^([%w_.]+)=(.*)$")
      if not name then return nil, string.format("expected name=value, got '%s'", w) end
      local path = {}
      for part in name:gmatch("[^.]+") do path[#path + 1] = part end
      local schema, target = op.params, params
      for k = 1, #path - 1 do
        local p = find_param(schema, path[k])
        schema = p and p.fields
        target[path[k]] = target[path[k]] or {}
        target = target[path[k]]
      end
      local v, err = convert(find_param(schema, path[#path]), text, name)
      if v == nil then return nil, err end
      target[path[#path]] = v
      i = i + 1
    end
  end
  return params
end

-- The error shape of DESIGN.md as plain JSON-able data.
local function error_data(err)
  if type(err) ~= "table" then return { message = tostring(err) } end
  local out = {}
  for _, k in ipairs { "kind", "status", "code", "name", "message", "details", "operation",
    "param", "rule", "retryable", "trace_id", "attempts" } do
    out[k] = err[k]
  end
  return out
end

M.CALL_USAGE = [[
usage: lsrun [options] call OP [name=value ...] [--body JSON]
  OP            an operation id (lsrun ops lists them; lsrun help OP describes one)
  name=value    a parameter; dotted names reach into objects (cdn.createCdn=true),
                arrays take a,b,c or JSON
  --body JSON   parameters as one JSON object
  prints the result as JSON; exits 1 when the call fails, 2 on a usage error
]]

-- lsrun call OP name=value ... [--body JSON]
function M.call(client_factory, words, out, errout)
  local id = words[1]
  if id == "--help" or id == "-h" then
    out:write(M.CALL_USAGE)
    return 0
  end
  local op = id and ops.get(id)
  if not op then
    errout:write(require("lsrun.help").unknown("call", id), "\n")
    if not id then errout:write(M.CALL_USAGE) end
    return 2
  end
  local params, perr = M.parse_params(op, { table.unpack(words, 2) })
  if not params then
    errout:write("lsrun call: " .. perr .. "\n")
    return 2
  end
  -- no keys, or a bad zone: one line naming what is missing, not a traceback
  local made, ls = pcall(client_factory)
  if not made then
    errout:write("lsrun call: ", (tostring(ls):gsub("^[^\n]-:%d+: ", "")), "\n")
    return 2
  end
  local content, err = ls:call(id, params)
  if content == nil then
    errout:write(json.encode({ error = error_data(err) }), "\n")
    return 1
  end
  out:write(json.encode(content), "\n")
  return 0
end

-- lsrun ops
function M.list(out)
  for _, section in ipairs(ops.sections()) do
    out:write(section.section, "\n")
    for _, op in ipairs(section.operations) do
      out:write(string.format("  %-28s %-6s %-58s %s\n", op.id, op.method, op.path, op.title or ""))
    end
  end
  return 0
end

-- lsrun help [OP]
function M.help(id, out, errout)
  return require("lsrun.help").main(id, out, errout)
end

return M
