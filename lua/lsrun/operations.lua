-- The operation commands of lsrun: `call`, `ops` and `help`, all read
-- from the operation table.

local ops = require "livestation.ops"
local json = require "livestation.json"

local M = {}

local function param_list(op)
  local out = {}
  local function walk(params, prefix)
    for _, p in ipairs(params) do
      out[#out + 1] = { p = p, name = prefix .. p.name }
      if p.fields then walk(p.fields, prefix .. p.name .. (p.type == "array" and "[]." or ".")) end
    end
  end
  walk(op.params, "")
  return out
end

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

-- lsrun call OP name=value ... [--body JSON]
function M.call(client_factory, words, out, errout)
  local id = words[1]
  if not id then
    errout:write("lsrun call: which operation? (lsrun ops lists them)\n")
    return 2
  end
  local op = ops.get(id)
  if not op then
    errout:write(string.format("lsrun call: unknown operation '%s' (lsrun ops lists them)\n", id))
    return 2
  end
  local params, perr = M.parse_params(op, { table.unpack(words, 2) })
  if not params then
    errout:write("lsrun call: " .. perr .. "\n")
    return 2
  end
  local ls = client_factory()
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

local function limits(p)
  local parts = {}
  if p.enum then
    local vals = {}
    for _, v in ipairs(p.enum) do vals[#vals + 1] = tostring(v) end
    parts[#parts + 1] = "one of " .. table.concat(vals, "|")
  end
  if p.minLength or p.maxLength then
    parts[#parts + 1] = string.format("length %s..%s", p.minLength or 0, p.maxLength or "")
  end
  if p.min or p.max then
    parts[#parts + 1] = string.format("%s %s..%s", p.type == "array" and "items" or "range",
      p.min or "", p.max or "")
  end
  if p.pattern then parts[#parts + 1] = "pattern " .. p.pattern end
  if p.items then parts[#parts + 1] = "items " .. p.items end
  if p.default ~= nil then parts[#parts + 1] = "default " .. tostring(p.default) end
  return table.concat(parts, "; ")
end

-- lsrun help OP
function M.help(id, out, errout)
  local op = id and ops.get(id)
  if not op then
    errout:write(string.format("lsrun help: unknown operation '%s' (lsrun ops lists them)\n", tostring(id)))
    return 2
  end
  out:write(string.format("%s: %s\n  %s\n\n  %s %s\n\n", op.id, op.title or "", op.summary or "",
    op.method, op.path))
  local list = param_list(op)
  if #list == 0 then
    out:write("  no parameters\n")
  else
    out:write("  parameters:\n")
    for _, e in ipairs(list) do
      local p = e.p
      local req = p.required == true and "required"
        or p.required == "conditional" and "conditional" or "optional"
      out:write(string.format("    %-34s %-8s %-6s %-11s %s\n", e.name, p.type, p["in"], req, limits(p)))
      if p.when then out:write(string.format("    %-34s when: %s\n", "", p.when)) end
      if p.summary then out:write(string.format("    %-34s %s\n", "", p.summary)) end
    end
  end
  if op.errors and #op.errors > 0 then
    local codes = {}
    for _, c in ipairs(op.errors) do codes[#codes + 1] = tostring(c) end
    out:write("\n  errors: ", table.concat(codes, ", "), "\n")
  end
  return 0
end

return M
