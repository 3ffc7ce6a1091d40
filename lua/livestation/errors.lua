-- Error objects: the one shape every failure of a call takes.
--
-- An error is a table with kind ("validation", "api", "gateway", "network",
-- "timeout"), status (HTTP status or nil), code (Live Station or gateway
-- code), message, operation, retryable, and where known trace_id, name,
-- details, param and rule. tostring() gives one readable line. The
-- service's code tables (status, name, message) are codes.lua's.

local codes = require "livestation.codes"
local log = require "livestation.log"

local M = {}

local Error = {}
Error.__index = Error
Error.__name = "livestation.error"

local KINDS = { validation = true, api = true, gateway = true, network = true, timeout = true }

function Error.__tostring(e)
  local parts = { (e.operation and (e.operation .. ": ") or "") .. e.kind .. " error" }
  if e.code ~= nil then parts[#parts + 1] = " " .. tostring(e.code) end
  if e.name then parts[#parts + 1] = " " .. e.name end
  if e.status then parts[#parts + 1] = " (HTTP " .. e.status .. ")" end
  parts[#parts + 1] = ": " .. tostring(e.message or "unknown error")
  if e.details and e.details ~= e.message then parts[#parts + 1] = " (" .. tostring(e.details) .. ")" end
  if e.trace_id then parts[#parts + 1] = " [trace " .. e.trace_id .. "]" end
  return table.concat(parts)
end

-- Makes an error from a table of fields; kind must be one of KINDS.
function M.new(fields)
  assert(type(fields) == "table" and KINDS[fields.kind], "livestation.errors.new: bad kind")
  if fields.retryable == nil then fields.retryable = false end
  return setmetatable(fields, Error)
end

function M.is(v)
  return getmetatable(v) == Error
end

-- A parameter broke a rule of the operation table; nothing was sent.
-- param is the dotted path (cdn.profileId, vodList[2].filePath).
function M.validation(operation, param, rule, message, code)
  return M.new {
    kind = "validation", operation = operation, param = param, rule = rule,
    code = code, message = message, retryable = false,
  }
end

-- The request could not be completed by the network. sent=false means the
-- request provably never reached the server (refused, name not resolved),
-- which makes even a POST safe to retry.
function M.network(operation, message, sent)
  return M.new {
    kind = "network", operation = operation, message = message,
    sent = sent ~= false, retryable = true,
  }
end

function M.timeout(operation, message, sent)
  return M.new {
    kind = "timeout", operation = operation, message = message or "request timed out",
    sent = sent ~= false, retryable = true,
  }
end

---------------------------------------------------------------- status mapping

-- The code tables live in codes.lua; here for callers of errors.*.
M.STATUS_DEFAULT = codes.STATUS_DEFAULT
M.STATUS = codes.STATUS
M.http_status = codes.http_status
M.message = codes.message
M.name = codes.name

---------------------------------------------------------------- responses

local function header(headers, name)
  return headers and headers[name] or nil
end

-- Gateway codes that mean "try again later": quota/throttle/rate (429),
-- endpoint error (503), endpoint timeout (504).
local GATEWAY_RETRYABLE = { ["400"] = true, ["410"] = true, ["420"] = true, ["500"] = true, ["510"] = true }

local function retryable_status(status)
  return status == 429 or (status ~= nil and status >= 500)
end

-- Turns a failed HTTP exchange into an error. body is the decoded JSON body
-- (a table) or nil when it was not JSON; raw is the body text. The
-- envelope decides the layer: errorName or a code >= 250000 is Live
-- Station's, details or a small code is the gateway's (COMMON.md §c).
function M.from_response(operation, status, headers, body, raw)
  local trace = header(headers, "x-ncp-trace-id")
  local e = type(body) == "table" and type(body.error) == "table" and body.error or nil
  if e then
    local code = e.errorCode
    local num = tonumber(code)
    if e.errorName ~= nil or (num and num >= 250000) then
      num = num and math.tointeger(num) or num
      return M.new {
        kind = "api", operation = operation, status = status, code = num or code,
        name = e.errorName or M.name(num), message = e.message, trace_id = trace,
        retryable = retryable_status(status),
      }
    end
    local scode = code ~= nil and tostring(math.tointeger(num) or code) or nil
    return M.new {
      kind = "gateway", operation = operation, status = status, code = scode,
      message = e.message, details = e.details, trace_id = trace,
      retryable = GATEWAY_RETRYABLE[scode] == true or retryable_status(status),
    }
  end
  -- the body goes into the message: what a log line would hide stays hidden
  local text = raw and #raw > 0 and log.scrub(raw:sub(1, 200)) or "no body"
  return M.new {
    kind = "api", operation = operation, status = status,
    message = "HTTP " .. tostring(status) .. ": " .. text, trace_id = trace,
    retryable = retryable_status(status),
  }
end

return M
