-- What the emulator answers: Live Station bodies ({"content": ...},
-- the {"error": {errorCode, message, errorName}} envelope), the API
-- gateway's error bodies, and the headers every answer carries
-- (Content-Type application/json;charset=utf-8 and an x-ncp-trace-id).
--
-- Handlers stop with reply.fail(code, ...): it raises a Live Station
-- error that dispatch turns into the envelope, with the message filled
-- from errors.json and the HTTP status from codes.http_status.

local json = require "livestation.json"
local codes = require "livestation.codes"

local M = {}

M.CONTENT_TYPE = "application/json;charset=utf-8"

-- Trace ids: a random prefix per process and a counter, as hex.
local trace_prefix = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
local trace_n = 0

function M.trace_id()
  trace_n = trace_n + 1
  return trace_prefix .. string.format("%016x", trace_n)
end

function M.headers()
  return { ["Content-Type"] = M.CONTENT_TYPE, ["x-ncp-trace-id"] = M.trace_id() }
end

-- A handler's empty answer (record.delete, quality.delete): 200, no body.
M.EMPTY = setmetatable({}, { __name = "livestation.emulator.empty" })

-- 200 with {"content": content} (and "total" beside it when given).
function M.ok(content, total)
  if content == M.EMPTY then return 200, M.headers(), "" end
  local body = { content = content, total = total }
  return 200, M.headers(), json.encode(body)
end

-- The requested page of `list` (page 1, 20 a page by default), each
-- item through `view`, and the length of the whole list: what every list
-- operation answers.
function M.page(list, p, view)
  local no, size = p.pageNo or 1, p.pageSizeNo or 20
  local out = json.array()
  for i = (no - 1) * size + 1, math.min(#list, no * size) do out[#out + 1] = view(list[i]) end
  return out, #list
end

---------------------------------------------------------------- errors

local LsError = { __name = "livestation.emulator.error" }
LsError.__index = LsError
LsError.__tostring = function(e) return "Live Station error " .. e.code .. ": " .. e.message end

-- Raises Live Station error `code`; the extra arguments fill {0}, {1}.
function M.fail(code, ...)
  error(setmetatable({ code = code, message = codes.message(code, ...) }, LsError), 0)
end

function M.is_failure(e)
  return getmetatable(e) == LsError
end

-- status, headers, body of a Live Station error.
function M.error(code, message, status)
  local body = { error = { errorCode = code, message = message or codes.message(code),
    errorName = codes.name(code) } }
  return status or codes.http_status(code), M.headers(), json.encode(body)
end

function M.from_failure(e)
  return M.error(e.code, e.message, e.status)
end

---------------------------------------------------------------- gateway

-- The API gateway's answers (COMMON.md §c.2): status, message by code.
M.GATEWAY = {
  ["100"] = { 400, "Bad Request Exception" },
  ["200"] = { 401, "Authentication Failed" },
  ["210"] = { 401, "Permission Denied" },
  ["230"] = { 403, "Forbidden" },
  ["300"] = { 404, "Not Found Exception" },
  ["400"] = { 429, "Quota Exceeded" },
  ["410"] = { 429, "Throttle Limited" },
  ["420"] = { 429, "Rate Limited" },
  ["430"] = { 413, "Request Entity Too Large" },
  ["500"] = { 503, "Endpoint Error" },
  ["510"] = { 504, "Endpoint Timeout" },
  ["900"] = { 500, "Unexpected Error" },
}

-- status, headers, body of a gateway error; details is optional.
function M.gateway(code, details, status)
  code = tostring(code)
  local known = M.GATEWAY[code] or { 500, "Unexpected Error" }
  local body = { error = { errorCode = code, message = known[2], details = details } }
  return status or known[1], M.headers(), json.encode(body)
end

return M
