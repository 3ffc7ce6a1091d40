-- The operation table: every Live Station operation, read from the
-- generated catalogue, with lookups the client, validator, emulator and
-- help share, and a router from (method, path) back to an operation.
--
-- Each op carries the call table's fields (id, method, path, params);
-- its documentation (title, summary, notes, source, errors, response)
-- reads through from catalogue_docs.lua, loaded the first time one of
-- them is asked for. Computed once here:
--   op.section        the section name ("channel")
--   op.path_params    ordered names of the path template's placeholders
--   op.query_params   PARAMs that go to the query string, in table order
--   op.body_params    PARAMs that go to the JSON body, in table order
--   op.by_name        top-level PARAM by name
--   op.param(name)    PARAM by name or dotted path ("cdn.profileId");
--                     op:param(name) works as well
-- PARAM tables are the catalogue's own and must not be modified; with
-- their summary and `when` texts they come from ops.documented_params(op).

local catalogue = require "livestation.catalogue"
local spelling = require "livestation.spelling"
local url = require "livestation.url"

local M = {}

local by_id, all, sections = {}, {}, {}

-- Zones (catalogue.zones, from api/zones.json): the same operations under
-- another path prefix and region, with some parameters narrowed. Each
-- zone's variant of an op is an op of its own (same id, op.zone set,
-- op.public the public op), routed like the others.
local ZONES = catalogue.zones or {}
local zoned = {} -- zone name -> id -> op

-- Nested PARAM for a dotted path; array items are reached through the
-- array's name ("vodList.filePath").
local function lookup(op, name)
  if type(name) ~= "string" then return nil end
  local p = op.by_name[name]
  if p or not name:find(".", 1, true) then return p end
  local list = op.params
  for part in name:gmatch("[^.]+") do
    p = nil
    for _, f in ipairs(list or {}) do
      if f.name == part then p = f break end
    end
    if not p then return nil end
    list = p.fields
  end
  return p
end

-- The documentation table, required on first use: help, the emulator
-- and docs read it; calls and validation never do.
local function docs()
  return require "livestation.catalogue_docs"
end

local DOC_FIELDS = { title = true, summary = true, notes = true, source = true, errors = true,
  response = true }
local OP_MT = {
  __index = function(op, k)
    if not DOC_FIELDS[k] then return nil end
    local d = docs().operations[rawget(op, "id")]
    return d and d[k]
  end,
}

local function make_op(raw, section)
  local op = setmetatable({}, OP_MT)
  for k, v in pairs(raw) do op[k] = v end
  op.section = section
  op.params = raw.params or {}
  op.path_params, op.query_params, op.body_params, op.by_name = {}, {}, {}, {}
  for name in raw.path:gmatch("{([^}]+)}") do
    op.path_params[#op.path_params + 1] = name
  end
  for _, p in ipairs(op.params) do
    op.by_name[p.name] = p
    if p["in"] == "query" then
      op.query_params[#op.query_params + 1] = p
    elseif p["in"] == "body" then
      op.body_params[#op.body_params + 1] = p
    end
  end
  -- accepts op.param(name) and op:param(name)
  op.param = function(a, b)
    if a == op then a = b end
    return lookup(op, a)
  end
  return op
end

-- A copy of a PARAM list with `over` (dotted path -> fields to set)
-- applied; what is not overridden is shared with the public op.
local function narrowed(params, over, prefix)
  local out = {}
  for i, p in ipairs(params) do
    local path = prefix .. p.name
    local set, nested = over[path], nil
    for k in pairs(over) do
      if k:sub(1, #path + 1) == path .. "." then nested = true end
    end
    if set or nested then
      local q = {}
      for k, v in pairs(p) do q[k] = v end
      for k, v in pairs(set or {}) do q[k] = v end
      if nested and p.fields then q.fields = narrowed(p.fields, over, path .. ".") end
      p = q
    end
    out[i] = p
  end
  return out
end

local function zone_variant(raw, section, name, zone)
  local from, to = zone.pathPrefix.from, zone.pathPrefix.to
  if raw.path:sub(1, #from) ~= from then return nil end
  local v = {}
  for k, x in pairs(raw) do v[k] = x end
  v.path = to .. raw.path:sub(#from + 1)
  v.params = narrowed(raw.params or {}, zone.params and zone.params[raw.id] or {}, "")
  local op = make_op(v, section)
  op.zone = name
  return op
end

for _, s in ipairs(catalogue.sections) do
  local section = { section = s.section, file = s.file, operations = {} }
  for _, raw in ipairs(s.operations) do
    if by_id[raw.id] then error("livestation.ops: duplicate operation id " .. raw.id) end
    local op = make_op(raw, s.section)
    by_id[op.id] = op
    all[#all + 1] = op
    section.operations[#section.operations + 1] = op
    for name, zone in pairs(ZONES) do
      local z = zone_variant(raw, s.section, name, zone)
      if z then
        z.public = op
        zoned[name] = zoned[name] or {}
        zoned[name][op.id] = z
      end
    end
  end
  sections[#sections + 1] = section
end

-- A copy of op's PARAMs with their documentation (summary, when) put
-- back, as the API description has them; for help and docs.
local function documented(params, pdocs, prefix)
  local out = {}
  for i, p in ipairs(params) do
    local m, path = {}, prefix .. p.name
    for k, v in pairs(p) do m[k] = v end
    for k, v in pairs(pdocs[path] or {}) do m[k] = v end
    if p.fields then m.fields = documented(p.fields, pdocs, path .. ".") end
    out[i] = m
  end
  return out
end

function M.documented_params(op)
  local d = docs().operations[op.id]
  return documented(op.params, d and d.params or {}, "")
end

-- The documentation table itself (operations by id, error provenance,
-- the gateway's codes, the callback payload).
M.docs = docs

-- The operation id closest to a mistyped one, for "did you mean", or nil.
function M.suggest(id)
  if type(id) ~= "string" then return nil end
  local ids = {}
  for i, op in ipairs(all) do ids[i] = op.id end
  return spelling.closest(id, ids, math.max(2, #id // 3))
end

-- The zone's variant of operation `id` (nil for an unknown zone or id).
function M.in_zone(id, zone)
  if zone == nil or zone == "public" then return by_id[id] end
  local z = zoned[zone]
  return z and z[id] or nil
end

-- What calls need of a zone: region, pathPrefix, documented (ids the
-- zone's own reference pages show), params; nil when unknown.
function M.zone(name)
  return ZONES[name]
end

-- A zone's prose (title, summary, notes, PARAM summaries), from the docs.
function M.zone_docs(name)
  local z = docs().zones
  return z and z[name]
end

-- Names of the zones, sorted.
function M.zone_names()
  local names = {}
  for name in pairs(ZONES) do names[#names + 1] = name end
  table.sort(names)
  return names
end

-- The op with this id, or nil.
function M.get(id)
  return by_id[id]
end

-- Every op in catalogue order. The array is shared: do not modify it.
function M.all()
  return all
end

-- { {section=, file=, operations={op...}}, ... } in catalogue order.
function M.sections()
  return sections
end

---------------------------------------------------------------- routing

-- A tree of path segments. Each node has `literal` (segment -> node),
-- `var` (the node below a placeholder) and `methods` (method -> op) when a
-- template ends there. Looking a path up costs one hash lookup per
-- segment, plus backtracking only where a literal leads nowhere.
local function new_node()
  return { literal = {}, var = nil, methods = nil }
end

local root = new_node()

local function split(path)
  local segs, n = {}, 0
  -- the leading "/" gives no segment; every later "/" starts one
  for seg in path:gmatch("/([^/]*)") do
    n = n + 1
    segs[n] = seg
  end
  return segs, n
end

local routed = {}
for _, op in ipairs(all) do routed[#routed + 1] = op end
for _, name in ipairs(M.zone_names()) do
  for _, op in ipairs(all) do routed[#routed + 1] = zoned[name] and zoned[name][op.id] end
end

for _, op in ipairs(routed) do
  local node, names, positions = root, {}, {}
  local segs = split(op.path)
  for i, seg in ipairs(segs) do
    local name = seg:match("^{([^}]+)}$")
    if name then
      names[#names + 1] = name
      positions[#positions + 1] = i
      node.var = node.var or new_node()
      node = node.var
    else
      if seg:find("[{}]") then error("livestation.ops: bad path template " .. op.path) end
      node.literal[seg] = node.literal[seg] or new_node()
      node = node.literal[seg]
    end
  end
  node.methods = node.methods or {}
  if node.methods[op.method] then
    error("livestation.ops: " .. op.id .. " and " .. node.methods[op.method].id .. " share a route")
  end
  node.methods[op.method] = { op = op, names = names, positions = positions }
end

-- %XX escapes decoded; a '%' not followed by two hex digits stays as it is.
local percent_decode = url.unescape

-- The most specific node the segments reach: at each level a literal
-- child is tried before the placeholder, and the placeholder only when the
-- literal leads to no template at all (e.g. /channels/cdnInfo reaches the
-- cdnInfo template, never {channelId}).
local function find(node, segs, i, n)
  if i > n then return node.methods and node or nil end
  local seg = segs[i]
  local lit = node.literal[seg]
  if lit then
    local found = find(lit, segs, i + 1, n)
    if found then return found end
  end
  if node.var and seg ~= "" then
    return find(node.var, segs, i + 1, n)
  end
  return nil
end

-- Methods accepted at a node, sorted (for an Allow header).
local function allowed(node)
  local list = {}
  for m in pairs(node.methods) do list[#list + 1] = m end
  table.sort(list)
  return list
end

-- ops.match(method, path) -> op, {name = value} when a template matches
-- and takes this method (values percent-decoded); nil, "method", {methods}
-- when the path is a known resource that does not take this method; nil,
-- "path" when no template matches. A query string on path is ignored.
-- Literal segments win over placeholders (KNOWN-GAPS "Routing clashes"),
-- and the method is checked only against that most specific resource, as
-- the API gateway does.
function M.match(method, path)
  if type(method) ~= "string" or type(path) ~= "string" then
    error("ops.match: expected method and path strings", 2)
  end
  local q = path:find("?", 1, true)
  if q then path = path:sub(1, q - 1) end
  if path:byte(1) ~= 47 then return nil, "path" end
  local segs, n = split(path)
  for i = 1, n do segs[i] = percent_decode(segs[i]) end
  local node = find(root, segs, 1, n)
  if not node then return nil, "path" end
  local route = node.methods[method:upper()]
  if not route then return nil, "method", allowed(node) end
  local values, names = {}, route.names
  for k, i in ipairs(route.positions) do values[names[k]] = segs[i] end
  return route.op, values
end

return M
