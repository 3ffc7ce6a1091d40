-- `lsrun help [OP]`: what an operation takes and what it returns, written
-- for the person calling it. The operation table's prose also records
-- how the public reference was read ("older pages ...", "UNCONFIRMED");
-- those remarks belong to api/ and are left out here.

local ops = require "livestation.ops"
local json = require "livestation.json"

local M = {}

---------------------------------------------------------------- text

-- Words that mark a remark about the reference rather than about the call.
local PROVENANCE = { "tables?", "reference", "older", "newest", "readable", "retrieved",
  "client code", "unconfirmed", "not documented", "documented", "inferred", "seen in",
  "listed", "cut off", "truncated", "not confirmed", "presumably", "copies", "read from",
  "not read", "tables read", "catalogue", "seen on", "not seen",
  "values taken from", "%d%d%d%d page" }

-- as whole words ("folder" is not "older")
for i, w in ipairs(PROVENANCE) do PROVENANCE[i] = (w:match("^%a") and "%f[%a]" or "") .. w .. "%f[%A]" end

local function about_reference(s)
  local l = s:lower()
  for _, w in ipairs(PROVENANCE) do
    if l:find(w) then return true end
  end
  return false
end

-- The user's part of a summary: parenthesised remarks and ';' clauses
-- about the reference dropped; "UNCONFIRMED ...: text" keeps the text.
function M.user_text(s)
  if type(s) ~= "string" then return nil end
  s = s:gsub("%b()", function(group)
    return about_reference(group) and "" or group
  end)
  local kept = {}
  for clause in (s .. ";"):gmatch("([^;]*);") do
    local head, tail = clause:match("^(.-):%s*(.+)$")
    if head and about_reference(head) and not about_reference(tail) then clause = tail end
    clause = clause:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
    if clause ~= "" and not about_reference(clause) then kept[#kept + 1] = clause end
  end
  if #kept == 0 then return nil end
  return (table.concat(kept, "; "):gsub(" ([,.:])", "%1"))
end

---------------------------------------------------------------- parameters

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

-- Every PARAM, documented, with the name a user writes (`restream[].rtmpUrl`).
local function param_list(op)
  local out = {}
  local function walk(params, shown)
    for _, p in ipairs(params) do
      out[#out + 1] = { p = p, name = shown .. p.name }
      if p.fields then walk(p.fields, shown .. p.name .. (p.type == "array" and "[]." or ".")) end
    end
  end
  walk(ops.documented_params(op), "")
  return out
end

local function write_params(op, out)
  local list = param_list(op)
  if #list == 0 then
    out:write("  parameters: none\n")
    return
  end
  out:write("  parameters:\n")
  for _, e in ipairs(list) do
    local p = e.p
    local req = p.required == true and "required"
      or p.required == "conditional" and "conditional" or "optional"
    out:write(string.format("    %-34s %-8s %-6s %-11s %s\n", e.name, p.type, p["in"], req, limits(p)))
    local when, summary = M.user_text(p.when), M.user_text(p.summary)
    if when then out:write(string.format("    %-34s when: %s\n", "", when)) end
    if summary then out:write(string.format("    %-34s %s\n", "", summary)) end
  end
end

---------------------------------------------------------------- response

local function write_fields(fields, out, indent)
  for _, f in ipairs(fields or {}) do
    local text = M.user_text(f.summary) or ""
    if f.enum then
      local vals = {}
      for _, v in ipairs(f.enum) do vals[#vals + 1] = tostring(v) end
      text = text .. (text ~= "" and "; " or "") .. "one of " .. table.concat(vals, "|")
    end
    local name = indent .. f.name
    out:write(name, string.rep(" ", math.max(1, 38 - #name)), string.format("%-8s %s", f.type, text):gsub(" +$", ""), "\n")
    write_fields(f.fields, out, indent .. "  ")
  end
end

-- An example value for a FIELD, made from its type and members.
local function example(f)
  local t = f.type
  if f.enum and f.enum[1] ~= nil then return f.enum[1] end
  if t == "string" then return "string" end
  if t == "integer" or t == "number" then return 0 end
  if t == "boolean" then return false end
  if t == "array" then
    if f.fields and #f.fields > 0 then return json.array { example { type = "object", fields = f.fields } } end
    return json.array {}
  end
  if t == "object" or f.fields then
    local o = {}
    for _, sub in ipairs(f.fields or {}) do
      -- a "{recordId}" member stands for any key
      local key = sub.name:match("^{(.+)}$") and "1" or sub.name
      o[key] = example(sub)
    end
    return o
  end
  return json.null
end

-- JSON with keys sorted and two-space indentation, for reading.
local function pretty(v, indent)
  indent = indent or ""
  local inner = indent .. "  "
  if type(v) ~= "table" or v == json.null then return json.encode(v) end
  local is_array = json.is_array(v)
  if next(v) == nil then return is_array and "[]" or "{}" end
  local parts = {}
  if is_array then
    for _, x in ipairs(v) do parts[#parts + 1] = inner .. pretty(x, inner) end
    return "[\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    parts[#parts + 1] = inner .. json.encode(k) .. ": " .. pretty(v[k], inner)
  end
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. indent .. "}"
end

local function write_response(op, out)
  local r = op.response
  local top = {} -- the body's members: content, and total on pages
  for _, f in ipairs(r and r.fields or {}) do top[f.name] = f end
  local content = top.content
  if not r or r.shape == "empty" or not content then
    out:write("  returns: nothing (an empty success)\n")
    return
  end
  local kind = content.type == "array" and "a list" or "an object"
  out:write(string.format("  returns: %s (the response's content)%s\n", kind,
    top.total and "; meta.total counts every item across pages" or ""))
  if content.type == "array" then
    out:write("    each item:\n")
    write_fields(content.fields, out, "      ")
  else
    write_fields(content.fields, out, "    ")
  end
  out:write("\n  example result:\n")
  local text = pretty(example(content), "    ")
  out:write("    ", text, "\n")
end

---------------------------------------------------------------- commands

M.USAGE = [[
usage: lsrun help OP      what OP takes and returns, with an example
       lsrun ops          every operation by group
]]

-- The ids closest to a mistyped one, as a "did you mean" clause.
local function did_you_mean(id)
  local hint = ops.suggest(id)
  return hint and ("; did you mean '" .. hint .. "'?") or ""
end

-- The message for an id that names no operation (usage when none given).
function M.unknown(cmd, id)
  if id == nil or id == "" then
    return string.format("lsrun %s: which operation? (lsrun ops lists them)", cmd)
  end
  return string.format("lsrun %s: unknown operation '%s'%s (lsrun ops lists them)", cmd, id, did_you_mean(id))
end

-- lsrun help [OP]; with no OP (or --help) the usage.
function M.main(id, out, errout)
  if id == nil or id == "" or id == "--help" or id == "-h" then
    out:write(M.USAGE)
    return 0
  end
  local op = ops.get(id)
  if not op then
    errout:write(M.unknown("help", id), "\n")
    return 2
  end
  out:write(string.format("%s: %s\n", op.id, op.title or ""))
  local summary = M.user_text(op.summary)
  if summary then out:write("  ", summary, "\n") end
  out:write(string.format("\n  %s %s\n\n", op.method, op.path))
  write_params(op, out)
  out:write("\n")
  write_response(op, out)
  if op.errors and #op.errors > 0 then
    local codes = {}
    for _, c in ipairs(op.errors) do codes[#codes + 1] = tostring(c) end
    out:write("\n  errors it may answer: ", table.concat(codes, ", "), "\n")
  end
  return 0
end

return M
