-- Fault injection: rules that make chosen requests slow, fail, drop the
-- connection or answer a malformed body, so clients' retries and error
-- handling can be tested.
--
-- A rule (JSON, snake_case):
--   operation     "channel.get" or a list of ids         } at least one of
--   path          "/api/v2/channels/*" or a list (glob)  } these, or neither
--   method        "GET" (optional)                         to match everything
--   status        HTTP status of the answer
--   error_code    a Live Station code (envelope, message from errors.json)
--   gateway_code  an API gateway code ("500", "420", ...)
--   latency_ms    added delay before the answer (alone: the request then
--                 proceeds normally)
--   drop          true: close the connection without answering
--   malformed     true: answer 200 with a truncated JSON body
--   probability   0..1, chance the rule fires on a matching request (1)
--   count         fire this many times, then the rule is removed
--   after         true: the request is processed first and the fault then
--                 replaces (or delays) its answer: a create that happened
--                 while the client saw a failure
-- Rules are tried in the order added; the first that fires wins.

local core = require "livestation.core"
local catalogue = require "livestation.catalogue"
local codes = require "livestation.codes"
local reply = require "livestation.emulator.reply"
local ops = require "livestation.ops"

local M = {}

local Faults = {}
Faults.__index = Faults

function M.new()
  return setmetatable({ rules = {}, next_id = 1 }, Faults)
end

local function list_of(v)
  if v == nil then return nil end
  if type(v) == "string" then return { v } end
  if type(v) == "table" then return v end
  return nil
end

-- Lua pattern for a glob: '*' matches within a segment, '**' across.
local function glob(p)
  local out = p:gsub("[%^%$%(%)%%%.%[%]%+%-%?]", "%%%0")
  out = out:gsub("%*%*", "\1"):gsub("%*", "[^/]*"):gsub("\1", ".*")
  return "^" .. out .. "$"
end

-- Checks and normalises a rule; returns it, or nil and what is wrong.
function M.check(rule)
  if type(rule) ~= "table" then return nil, "a fault rule is a JSON object" end
  local r = { hits = 0 }
  r.operations = list_of(rule.operation)
  if rule.operation ~= nil and not r.operations then return nil, "operation: a string or a list" end
  for _, id in ipairs(r.operations or {}) do -- a mistyped id would never fire
    if not ops.get(id) then
      local near = ops.suggest(id)
      return nil, string.format("operation: unknown operation '%s'%s", tostring(id),
        near and string.format("; did you mean '%s'?", near) or "")
    end
  end
  local paths = list_of(rule.path)
  if rule.path ~= nil and not paths then return nil, "path: a string or a list" end
  if paths then
    r.path = paths
    r.patterns = {}
    for i, p in ipairs(paths) do
      if type(p) ~= "string" then return nil, "path: strings only" end
      r.patterns[i] = glob(p)
    end
  end
  if rule.method ~= nil and type(rule.method) ~= "string" then return nil, "method: a string" end
  r.method = rule.method and rule.method:upper()
  for _, k in ipairs { "status", "latency_ms", "count", "probability" } do
    if rule[k] ~= nil and type(rule[k]) ~= "number" then return nil, k .. ": a number" end
    r[k] = rule[k]
  end
  if r.status and (r.status < 100 or r.status > 599) then return nil, "status: 100..599" end
  if r.probability and (r.probability < 0 or r.probability > 1) then return nil, "probability: 0..1" end
  if r.count and r.count < 1 then return nil, "count: at least 1" end
  if rule.error_code ~= nil then
    r.error_code = math.tointeger(rule.error_code)
    if not r.error_code or not catalogue.errors[r.error_code] then
      return nil, "error_code: not a Live Station error code"
    end
  end
  if rule.gateway_code ~= nil then
    r.gateway_code = tostring(math.tointeger(rule.gateway_code) or rule.gateway_code)
    if not reply.GATEWAY[r.gateway_code] then return nil, "gateway_code: not an API gateway code" end
  end
  r.drop = rule.drop == true
  r.malformed = rule.malformed == true
  if rule.after ~= nil and type(rule.after) ~= "boolean" then return nil, "after: true or false" end
  r.after = rule.after == true
  if not (r.status or r.error_code or r.gateway_code or r.drop or r.malformed or r.latency_ms) then
    return nil, "a rule needs one of status, error_code, gateway_code, drop, malformed, latency_ms"
  end
  return r
end

function Faults:add(rule)
  local r, err = M.check(rule)
  if not r then return nil, err end
  r.id = self.next_id
  self.next_id = self.next_id + 1
  self.rules[#self.rules + 1] = r
  return r
end

function Faults:clear()
  self.rules = {}
end

function Faults:remove(id)
  for i, r in ipairs(self.rules) do
    if r.id == id then table.remove(self.rules, i) return true end
  end
  return false
end

local function matches(r, op_id, req)
  if r.method and r.method ~= req.method then return false end
  if not r.operations and not r.patterns then return true end
  if r.operations and op_id then
    for _, id in ipairs(r.operations) do if id == op_id then return true end end
  end
  if r.patterns then
    for _, p in ipairs(r.patterns) do if req.path:find(p) then return true end end
  end
  return false
end

-- The first rule that fires for this request, or nil. Counts it.
function Faults:pick(op_id, req)
  for i, r in ipairs(self.rules) do
    if matches(r, op_id, req) and (not r.probability or math.random() < r.probability) then
      r.hits = r.hits + 1
      if r.count then
        r.count = r.count - 1
        if r.count <= 0 then table.remove(self.rules, i) end
      end
      return r
    end
  end
  return nil
end

-- The gateway code whose body goes with a bare status.
local STATUS_GATEWAY = {
  [400] = "100", [401] = "200", [403] = "230", [404] = "300", [413] = "430",
  [429] = "420", [500] = "900", [503] = "500", [504] = "510",
}

-- Applies a fired rule. Returns nil when the request should go on (a
-- latency-only rule), else what the handler answers.
function M.apply(r)
  if r.latency_ms and r.latency_ms > 0 then core.sleep(r.latency_ms / 1000) end
  if r.drop then return "drop" end
  if r.malformed then
    local _, headers = reply.ok({})
    return r.status or 200, headers, '{"content":{"channelId":"ls-'
  end
  if r.gateway_code then return reply.gateway(r.gateway_code, nil, r.status) end
  if r.error_code then return reply.error(r.error_code, codes.message(r.error_code), r.status) end
  if r.status then return reply.gateway(STATUS_GATEWAY[r.status] or "900", nil, r.status) end
  return nil
end

-- The rules as JSON-able data (for GET /_emulator/faults and the state).
function Faults:list()
  local out = {}
  for i, r in ipairs(self.rules) do
    out[i] = {
      id = r.id, operation = r.operations, path = r.path, method = r.method, status = r.status,
      error_code = r.error_code, gateway_code = r.gateway_code, latency_ms = r.latency_ms,
      drop = r.drop, malformed = r.malformed, probability = r.probability, count = r.count, hits = r.hits,
      after = r.after or nil,
    }
  end
  return out
end

return M
