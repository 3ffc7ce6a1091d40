-- Building an HTTP request from an operation and one flat parameter table.
--
-- The operation table says where each parameter goes: path placeholders,
-- the query string (in the table's order) or the JSON body. The request
-- target built here is the exact string that is signed and sent, so it is
-- made once, percent-encoded as it goes on the wire. Numbers with an
-- integral value are written as integers everywhere ("6", never "6.0").

local json = require "livestation.json"
local url = require "livestation.url"

local M = {}

local format, type, next = string.format, type, next
local NO_PARAMS = {}

---------------------------------------------------------------- scalars

-- Percent-encodes every byte outside RFC 3986 unreserved characters.
M.escape = url.escape

-- The text of a path or query value, or nil and why not.
local function render(v)
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      return nil, "a NaN or infinite number cannot be a path or query value"
    end
    return json.number(v)
  end
  if tv == "boolean" then return v and "true" or "false" end
  return nil, "a " .. (v == json.null and "null" or tv) .. " cannot be a path or query value"
end

function M.scalar(v)
  local s, why = render(v)
  if not s then error("request.scalar: " .. why, 2) end
  return s
end

local function scalar_for(op, name, v)
  local s, why = render(v)
  if not s then
    error(format("request.build: %s: parameter '%s': %s", op.id or "?", name, why), 0)
  end
  return s
end

---------------------------------------------------------------- body

local shape

-- Fields of an object PARAM by name, cached on the PARAM: the catalogue is
-- built once and read for every call.
local fields_cache = setmetatable({}, { __mode = "k" })

local function fields_of(schema)
  local by_name = fields_cache[schema]
  if not by_name then
    by_name = {}
    for _, f in ipairs(schema.fields) do by_name[f.name] = f end
    fields_cache[schema] = by_name
  end
  return by_name
end

-- An element of an array PARAM: objects follow the PARAM's fields.
local function shape_item(v, schema)
  if schema.items == "object" and schema.fields and type(v) == "table" then
    return shape(v, { type = "object", fields = schema.fields })
  end
  return v
end

-- A copy of v laid out as the schema says: arrays marked (so an empty one
-- is "[]"), objects rebuilt so their array members are marked too. Tables
-- the schema says nothing about are encoded as they are, never modified.
function shape(v, schema)
  if type(v) ~= "table" or v == json.null then return v end
  if schema.type == "array" then
    local out = json.array()
    for k, x in next, v do out[k] = shape_item(x, schema) end
    return out
  end
  if schema.type == "object" and schema.fields then
    local by_name = fields_of(schema)
    local out = {}
    for k, x in next, v do
      local f = by_name[k]
      out[k] = f and shape(x, f) or x
    end
    return out
  end
  return v
end

---------------------------------------------------------------- build

-- Names of a table in a fixed order, so the same call builds the same
-- request target.
local function sorted_names(t)
  local names = {}
  for k in next, t do names[#names + 1] = k end
  table.sort(names)
  return names
end

-- A path template split once into its pieces: literal, name, literal,
-- ... (ending with a literal), so a call fills the names without a gsub.
local path_plans = {}

local function path_plan(template)
  local plan = path_plans[template]
  if plan then return plan end
  plan = {}
  local last = 1
  for s, name, e in template:gmatch("(){([^}]+)}()") do
    plan[#plan + 1] = template:sub(last, s - 1)
    plan[#plan + 1] = name
    last = e
  end
  plan[#plan + 1] = template:sub(last)
  path_plans[template] = plan
  return plan
end

-- Builds the request for op (a catalogue entry) from params. Returns
-- { method, path, query, target, body }: query is "" when there is none,
-- target is path[?query], body is the JSON text or nil when the operation
-- takes no body. Raises on a missing path parameter: the validator runs
-- first, so that is a bug of the caller.
--
-- extra (optional) carries what the operation table does not know, sent
-- as given and never validated: extra.query (name -> scalar, after the
-- table's parameters, names sorted) and extra.body (name -> JSON value,
-- merged into the body; an operation without a body gets one).
local function parts(op, params, extra)
  params = params or {}
  local plan = path_plan(op.path)
  local path = plan[1]
  for i = 2, #plan, 2 do
    local name = plan[i]
    local v = params[name]
    if v == nil then
      error(format("request.build: %s: missing path parameter '%s'", op.id or "?", name), 0)
    end
    path = path .. M.escape(scalar_for(op, name, v)) .. plan[i + 1]
  end
  -- no query or body table unless there is one to fill: most calls are
  -- GETs with only a path
  local query, nq, body, has_body = nil, 0, nil, false
  for _, p in ipairs(op.params or NO_PARAMS) do
    local where, v = p["in"], params[p.name]
    if where == "query" then
      if v ~= nil then
        nq = nq + 1
        query = query or {}
        query[nq] = M.escape(p.name) .. "=" .. M.escape(scalar_for(op, p.name, v))
      end
    elseif where == "body" then
      has_body = true
      body = body or {}
      if v ~= nil then body[p.name] = shape(v, p) end
    end
  end
  if extra and extra.query then
    for _, name in ipairs(sorted_names(extra.query)) do
      nq = nq + 1
      query = query or {}
      query[nq] = M.escape(name) .. "=" .. M.escape(scalar_for(op, name, extra.query[name]))
    end
  end
  if extra and extra.body then
    has_body = true
    body = body or {}
    for k, v in next, extra.body do body[k] = v end
  end
  return path, query and table.concat(query, "&") or "", has_body and json.encode(body, "body") or nil
end

function M.build(op, params, extra)
  local path, q, body = parts(op, params, extra)
  return {
    method = op.method,
    path = path,
    query = q,
    target = q ~= "" and (path .. "?" .. q) or path,
    body = body,
  }
end

-- What a call sends, without the table: the target and the body (or nil).
function M.target(op, params, extra)
  local path, q, body = parts(op, params, extra)
  return q ~= "" and (path .. "?" .. q) or path, body
end

return M
