-- An independent Live Station gateway for specs: a server on 127.0.0.1
-- that checks every request's signature with code of its own (it builds
-- the string to sign itself and uses only HMAC and Base64 from the core),
-- records what arrived, and answers as the spec tells it.

local core = require "livestation.core"

local M = {}

M.ACCESS_KEY = "NCPTESTACCESSKEY0001"
M.SECRET_KEY = "NCPTESTSECRETKEY00000000000000000000SK01"

local JSON = { ["Content-Type"] = "application/json;charset=utf-8", ["x-ncp-trace-id"] = "trace-1" }
M.JSON = JSON

function M.expected_signature(secret, method, target, timestamp, access_key)
  local msg = method .. " " .. target .. "\n" .. timestamp .. "\n" .. access_key
  return core.base64(core.hmac_sha256(secret, msg))
end

-- start{respond = function(rec, n) -> status, headers, body} -> gateway
-- gw.requests holds a record per request: method, target, path, query,
-- headers, body, signature_ok.
function M.start(opts)
  opts = opts or {}
  local secret = opts.secret_key or M.SECRET_KEY
  local gw = { requests = {} }
  gw.server = assert(core.http_server { port = 0, handler = function(req)
    local h = req.headers
    local ts, ak = h["x-ncp-apigw-timestamp"], h["x-ncp-iam-access-key"]
    local rec = {
      method = req.method, target = req.target, path = req.path, query = req.query,
      headers = h, body = req.body,
      signature_ok = ts ~= nil and ak ~= nil and
        M.expected_signature(secret, req.method, req.target, ts, ak) == h["x-ncp-apigw-signature-v2"],
    }
    gw.requests[#gw.requests + 1] = rec
    if opts.respond then return opts.respond(rec, #gw.requests) end
    return 200, JSON, '{"content":{}}'
  end })
  gw.url = gw.server:url()
  function gw.close() gw.server:close() end
  function gw.last() return gw.requests[#gw.requests] end
  return gw
end

-- A client of ours pointed at the gateway, with fast retries.
function M.client(gw, extra)
  local livestation = require "livestation"
  local opts = { endpoint = gw.url, access_key = M.ACCESS_KEY, secret_key = M.SECRET_KEY,
    backoff = 0.001, backoff_cap = 0.01, timeout = 5 }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return livestation.new(opts)
end

-- Percent-decoding, written here so the check does not use the client's code.
function M.unescape(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

function M.parse_query(q)
  local t = {}
  for pair in (q or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=(.*)$")
    t[M.unescape(k or pair)] = M.unescape(v or "")
  end
  return t
end

return M
