-- One Live Station request, start to finish: route (ops.match on the
-- shared operation table), injected faults, the gateway's checks, due
-- timers, parameters (validate.from_request, the client's own rules),
-- the operation's handler, and the answer.
--
-- Every operation of the table has exactly one handler; loading this
-- module fails otherwise, so the table and the emulator cannot drift.

local ops = require "livestation.ops"
local validate = require "livestation.validate"
local json = require "livestation.json"
local url = require "livestation.url"
local codes = require "livestation.codes"
local reply = require "livestation.emulator.reply"
local faults = require "livestation.emulator.faults"
local log = require "livestation.log"

local M = {}

-- Handler modules, one per resource group.
M.MODULES = {}
for _, name in ipairs { "channel", "record", "snapshot", "curtain", "quality", "restream",
  "event", "callback", "vod" } do
  M.MODULES[#M.MODULES + 1] = require("livestation.emulator.handlers." .. name)
end

local HANDLERS = {}
for _, mod in ipairs(M.MODULES) do
  for id, fn in pairs(mod.ops) do
    assert(ops.get(id), "emulator: handler for unknown operation " .. id)
    assert(not HANDLERS[id], "emulator: two handlers for " .. id)
    HANDLERS[id] = fn
  end
end
for _, op in ipairs(ops.all()) do
  assert(HANDLERS[op.id], "emulator: no handler for " .. op.id)
end
M.HANDLERS = HANDLERS

-- name -> value of a raw query string (the first of repeated names wins).
local parse_query = url.parse_query
M.parse_query = parse_query

-- The envelope of a validation error: the code validate chose, with the
-- errors.json message: {0} is the parameter's dotted path (and {1} its
-- declared type, for 250021).
local function invalid(op, err)
  local code = err.code or 250014
  local param = err.param or "request"
  local declared
  if code == 250021 then
    local p = op.param((param:gsub("%[%d+%]", "")))
    declared = p and p.type or "value"
  end
  return reply.error(code, codes.message(code, param, declared))
end

-- Live Station failures pass through; anything else is a bug: keep where.
local function traceback(e)
  if reply.is_failure(e) then return e end
  return debug.traceback(tostring(e), 2)
end

local serve

-- Answers one request to the service; also returns the operation id. A
-- fault rule fires before the request is processed, or after it when the
-- rule says so (the answer is then lost or late, the effect is not).
function M.service(emu, req)
  local op, path_params = ops.match(req.method, req.path)
  local id = op and op.id
  local rule = emu.faults.rules[1] and emu.faults:pick(id, req)
  if rule and not rule.after then
    local status, headers, body = faults.apply(rule)
    if status then return status, headers, body, id end
  end
  local status, headers, body = serve(emu, req, op, path_params, id)
  if rule and rule.after then
    local fstatus, fheaders, fbody = faults.apply(rule)
    if fstatus then return fstatus, fheaders, fbody, id end
  end
  return status, headers, body, id
end

function serve(emu, req, op, path_params, id)
  if not op then return reply.gateway("300", "URL not found.") end
  local gw = emu.gateway
  local status, headers, body = gw:authenticate(req)
  if status then return status, headers, body, id end
  local limited = emu.throttle and emu.throttle:admit(req.headers["x-ncp-iam-access-key"])
  if limited then
    status, headers, body = reply.gateway(limited)
    local after = emu.throttle.conf.retry_after
    if after and limited ~= "400" then headers["Retry-After"] = tostring(after) end
    return status, headers, body, id
  end
  status, headers, body = gw:service_headers(req, op.zone)
  if status then return status, headers, body, id end

  emu.timeline:run_due()
  local decoded
  if op.body_params[1] and req.body and req.body:find("%S") then
    decoded = json.decode(req.body)
    if decoded == nil then
      status, headers, body = reply.error(250012)
      return status, headers, body, id
    end
  end
  local params, verr = validate.from_request(op, path_params, parse_query(req.query), decoded,
    { lenient = not gw.strict })
  if not params then
    status, headers, body = invalid(op, verr)
    return status, headers, body, id
  end
  if verr[1] then log.debug("emulator: parameters the operation does not define, ignored",
    { op = id, names = table.concat(verr, ", ") }) end
  -- handlers see the zone of the request (find.visible); they never yield
  emu.zone = op.zone
  local ok, content, total = xpcall(HANDLERS[id], traceback, emu, params)
  emu.zone = nil
  if op.method ~= "GET" then emu:persist() end
  if not ok then
    if reply.is_failure(content) then
      status, headers, body = reply.from_failure(content)
    else
      emu:log_error(id .. ": " .. tostring(content))
      status, headers, body = reply.error(250000)
    end
    return status, headers, body, id
  end
  status, headers, body = reply.ok(content, total)
  return status, headers, body, id
end

return M
