-- Helpers for the emulator specs: start an emulator on 127.0.0.1, sign
-- requests by hand (core.sign) or through the client, drive the control
-- API, receive callbacks, and wait for conditions while the loop runs.

local core = require "livestation.core"
local json = require "livestation.json"
local emulator = require "livestation.emulator"

local M = {}

M.AK = emulator.DEFAULT_ACCESS_KEY
M.SK = emulator.DEFAULT_SECRET_KEY

-- start(opts) -> emu, url. opts go to emulator.new. Specs move time
-- with emu:advance; those that want transitions in real time pass a speed.
function M.start(opts)
  opts = opts or {}
  local emu = emulator.new(opts)
  local url = assert(emu:start { host = "127.0.0.1", port = 0 })
  return emu, url
end

-- The five headers of a signed request; opts: timestamp, access_key,
-- secret_key, sign_target (what to sign instead of target), region,
-- content_type (false drops a header), signature_header.
function M.headers(method, target, opts)
  opts = opts or {}
  local ts = opts.timestamp or tostring(core.now_ms())
  local ak = opts.access_key or M.AK
  local sig = core.sign(opts.secret_key or M.SK, method, opts.sign_target or target, ts, ak)
  local h = {
    ["Content-Type"] = "application/json",
    ["x-ncp-apigw-timestamp"] = ts,
    ["x-ncp-iam-access-key"] = ak,
    [opts.signature_header or "x-ncp-apigw-signature-v2"] = sig,
    ["x-ncp-region_code"] = "KR",
  }
  if opts.region ~= nil then h["x-ncp-region_code"] = opts.region or nil end
  if opts.content_type ~= nil then h["Content-Type"] = opts.content_type or nil end
  for k, v in pairs(opts.headers or {}) do h[k] = v or nil end
  return h
end

-- A signed request: status, decoded body (or nil), response.
function M.request(url, method, target, body, opts)
  local text = body
  if type(body) == "table" then text = json.encode(body) end
  local resp = assert(core.http_request {
    method = method, url = url .. target, body = text, headers = M.headers(method, target, opts), timeout = 10,
  })
  return resp.status, json.decode(resp.body or ""), resp
end

-- A client of the emulator (the project's own).
function M.client(url, opts)
  local o = { endpoint = url, access_key = M.AK, secret_key = M.SK, region = "KR", backoff = 0.01 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return require("livestation").new(o)
end

-- The control API: status, decoded body.
function M.control(url, method, path, body)
  local resp = assert(core.http_request {
    method = method, url = url .. "/_emulator/" .. path, body = body and json.encode(body),
    headers = { ["Content-Type"] = "application/json" }, timeout = 10,
  })
  return resp.status, json.decode(resp.body or "")
end

-- Pumps the loop until pred() is true; false after timeout seconds.
function M.wait_for(pred, timeout)
  local deadline = core.monotonic() + (timeout or 5)
  while not pred() do
    if core.monotonic() > deadline then return false end
    core.sleep(0.01)
  end
  return true
end

M.CHANNEL = {
  channelName = "morning_show", envType = "DEV", outputProtocol = "HLS",
  cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1234, regionType = "KOREA" },
  qualitySetId = 1, useDvr = true, timemachineMin = 360, immediateOnAir = false,
  record = { type = "MANUAL_UPLOAD", format = "MP4" },
}

-- Stands for "leave this member out" in merge().
M.NONE = setmetatable({}, { __name = "none" })

local function merge(base, over)
  local out = {}
  for k, v in pairs(base) do out[k] = v end
  for k, v in pairs(over or {}) do
    if v == M.NONE then out[k] = nil else out[k] = v end
  end
  return out
end
M.merge = merge

-- Creates a live channel through the client and lets it become READY.
function M.ready_channel(emu, ls, over)
  local ch = assert(ls:call("channel.create", merge(M.CHANNEL, over)))
  emu:advance(60 * 1000)
  return ch.channelId, ch
end

-- A callback receiver: recv.requests gets {body = decoded, raw, headers};
-- respond(n, req) decides each answer (default 200).
function M.receiver(respond)
  local recv = { requests = {} }
  recv.server = assert(core.http_server { port = 0, handler = function(req)
    recv.requests[#recv.requests + 1] = { body = json.decode(req.body), raw = req.body, headers = req.headers,
      method = req.method, path = req.path }
    if respond then return respond(#recv.requests, req) end
    return 200, {}, "ok"
  end })
  recv.url = recv.server:url() .. "/hook"
  function recv.close() recv.server:close() end
  return recv
end

-- The event codes of a channel through the client, newest first.
function M.event_codes(ls, id)
  local list = {}
  for _, e in ipairs(assert(ls:call("event.list", { channelId = id }))) do list[#list + 1] = e.eventCode end
  return list
end

-- How many times value is in list.
function M.count(list, value)
  local n = 0
  for _, v in ipairs(list) do if v == value then n = n + 1 end end
  return n
end

-- Asserts a Live Station error envelope: code, errors.json message, status.
function M.assert_ls_error(status, body, code, ...)
  local errors = require "livestation.errors"
  local check = require "luassert"
  check.is_table(body and body.error, "no error envelope")
  check.equal(code, body.error.errorCode)
  check.equal(errors.message(code, ...), body.error.message)
  check.equal(errors.name(code), body.error.errorName)
  check.equal(errors.http_status(code), status)
end

-- The same for a client error (err from ls:call).
function M.assert_api_error(err, code, ...)
  local errors = require "livestation.errors"
  local check = require "luassert"
  check.is_table(err, "expected an error")
  check.equal("api", err.kind)
  check.equal(code, err.code)
  check.equal(errors.message(code, ...), err.message)
  check.equal(errors.http_status(code), err.status)
end

---------------------------------------------------------------- shapes

-- Fields the emulator leaves out when they do not apply (documented as
-- conditional or "only when set"), by dotted path without indices.
M.OPTIONAL = {
  ["content.snapshot"] = true, ["content.backupStreamKey"] = true, ["content.callbackEndpoint"] = true,
  ["content.video"] = true, ["content.qualities.video"] = true,
  ["content.segmentDuration"] = true, ["content.segmentCount"] = true,
  ["content.timedMetadata"] = true, ["content.targetLatency"] = true,
  ["content.restream.id"] = true, ["content.restream.password"] = true,
  ["content.id"] = true, ["content.password"] = true,
  ["content.scheduleList"] = true, ["content.deletedTime"] = true, ["content.callbackUrl"] = true,
  ["content.resizedUrl"] = true, ["content.resolution"] = true, ["content.videoBitrate"] = true,
  ["content.audioBitrate"] = true, ["content.drmEnabledYn"] = true,
}

local function json_type(v)
  local t = type(v)
  if t == "table" then
    if json.is_array(v) then return "array" end
    if next(v) == nil then return "empty" end
    return "object"
  end
  if t == "number" then return math.type(v) == "integer" and "integer" or "number" end
  return t
end

local function type_ok(want, v)
  local got = json_type(v)
  if want == "number" then return got == "number" or got == "integer" end
  if want == "object" then return got == "object" or got == "empty" end
  if want == "array" then return got == "array" or got == "empty" end
  return got == want
end

local check_fields

-- Checks value against one documented FIELD; returns a problem or nil.
local function check_field(f, v, path)
  if not type_ok(f.type, v) then
    return string.format("%s: expected %s, got %s", path, f.type, json_type(v))
  end
  if f.enum and type(v) ~= "table" then
    local ok = false
    for _, e in ipairs(f.enum) do if e == v then ok = true end end
    if not ok then return string.format("%s: %s is not one of the documented values", path, tostring(v)) end
  end
  if f.fields and type(v) == "table" then
    if f.type == "array" then
      for i, item in ipairs(v) do
        local p = check_fields(f.fields, item, path, i)
        if p then return p end
      end
    else
      return check_fields(f.fields, v, path)
    end
  end
end

-- A map keyed by id ("{recordId}") or the documented members.
function check_fields(fields, obj, path, index)
  if type(obj) ~= "table" then return path .. ": expected an object" end
  if #fields == 1 and fields[1].name:match("^{.*}$") then
    for k, v in pairs(obj) do
      if not tostring(k):match("^%d+$") then return path .. ": key " .. tostring(k) .. " is not an id" end
      local p = check_fields(fields[1].fields, v, path .. "." .. fields[1].name)
      if p then return p end
    end
    return nil
  end
  for _, f in ipairs(fields) do
    local p = path .. "." .. f.name
    local v = obj[f.name]
    if v == nil then
      local plain = p:gsub("%.{[^}]*}", ""):gsub("^%.", "")
      if not M.OPTIONAL[plain] then
        return string.format("%s missing%s", p, index and (" in item " .. index) or "")
      end
    else
      local problem = check_field(f, v, p)
      if problem then return problem end
    end
  end
end

-- Asserts the decoded body of op has the documented response shape.
function M.assert_shape(op, body)
  local check = require "luassert"
  local fields = op.response.fields or {}
  if op.response.shape == "empty" then
    check.is_true(body == nil or next(body) == nil, op.id .. ": expected no body")
    return
  end
  -- upload: the documented members sit under each record id
  if op.id == "record.upload" then
    local c = body.content
    for id, rec in pairs(c.uploadedRecords) do
      check.matches("^%d+$", id)
      check.is_string(rec.recordFileName)
    end
    body = { content = { bucketName = c.bucketName, accessControl = c.accessControl, uploadedRecords = {} } }
    fields = { { name = "content", type = "object", fields = {
      { name = "bucketName", type = "string" }, { name = "accessControl", type = "string" } } } }
  end
  local problem = check_fields(fields, body, "")
  check.is_nil(problem, op.id .. ": " .. tostring(problem))
end

return M
