-- `--record FILE`: every request the emulator answers and its answer as
-- one JSON line, for debugging a client:
--
--   {"time":"2026-11-30T17:30:00.123Z","peer":"127.0.0.1","op":"channel.get",
--    "ms":0.4,"request":{"method":"GET","target":"/api/v2/...","headers":{...},
--    "body":...},"response":{"status":200,"headers":{...},"body":...}}
--
-- Bodies that are JSON are written as JSON values, others as text.
-- Secrets never reach the file: the signature header is replaced, the
-- access key shortened (log.mask), and members and query parameters named
-- like a secret (streamKey, backupStreamKey, password, streamPassword,
-- secretKey, token...) read "[REDACTED]". The file is created 0600 and
-- appended to.

local core = require "livestation.core"
local json = require "livestation.json"
local log = require "livestation.log"

local M = {}

local Recorder = {}
Recorder.__index = Recorder

M.REDACTED = "[REDACTED]"

-- The log's one policy for names that hold secrets, plus the request
-- signature headers (x-ncp-apigw-signature-v1/v2), which only requests carry.
local function secret_name(name)
  name = tostring(name)
  return log.is_secret_name(name) or name:lower():match("signature%-v[12]$") ~= nil
end
M.secret_name = secret_name

local function masked(v, key)
  if key ~= nil and secret_name(key) and v ~= json.null then return M.REDACTED end
  if type(v) ~= "table" or v == json.null then return v end
  local out = json.is_array(v) and json.array() or {}
  for k, x in pairs(v) do out[k] = masked(x, type(k) == "string" and k or nil) end
  return out
end
M.masked = masked

-- name=value pairs of a query string with secret values replaced.
local function masked_target(target)
  local path, query = target:match("^([^?]*)%?(.*)$")
  if not path then return target end
  query = query:gsub("([^&=]+)=([^&]*)", function(k, v)
    return k .. "=" .. (secret_name(k) and M.REDACTED or v)
  end)
  return path .. "?" .. query
end

local function masked_headers(h)
  local out = {}
  for k, v in pairs(h or {}) do
    local lk = k:lower()
    if lk == "x-ncp-iam-access-key" then
      out[k] = log.mask(v)
    elseif secret_name(lk) or lk == "authorization" then
      out[k] = M.REDACTED
    else
      out[k] = v
    end
  end
  return out
end

local function masked_body(text)
  if text == nil or text == "" then return nil end
  local v = json.decode(text)
  if v ~= nil then return masked(v) end
  return log.scrub(text)
end

-- Opens (creates 0600, or appends to) path; nil and a message on failure.
function M.open(path)
  local ok, err = core.private_file(path)
  if not ok then return nil, "--record: " .. tostring(err) end
  local f, ferr = io.open(path, "a")
  if not f then return nil, "--record: " .. tostring(ferr) end
  f:setvbuf("line")
  return setmetatable({ file = f, path = path }, Recorder)
end

function Recorder:write(req, status, headers, body, op_id, ms)
  if not self.file then return end
  local now = core.now_ms()
  local entry = {
    time = string.format("%s.%03dZ", os.date("!%Y-%m-%dT%H:%M:%S", now // 1000), now % 1000),
    peer = req.peer, op = op_id, ms = math.floor(ms * 1000 + 0.5) / 1000,
    request = { method = req.method, target = masked_target(req.target or req.path),
      headers = masked_headers(req.headers), body = masked_body(req.body) },
    response = status == "drop" and { dropped = true } or { status = status, headers = masked_headers(headers),
      body = masked_body(body) },
  }
  self.file:write(json.encode(entry), "\n")
end

function Recorder:close()
  if self.file then
    self.file:close()
    self.file = nil
  end
end

return M
