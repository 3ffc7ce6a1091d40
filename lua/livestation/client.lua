-- The Live Station client: livestation.new{...} and ls:call(id, params).
--
-- A call checks the parameters against the operation table, builds the
-- request, signs it (afresh for every attempt), sends it through the core
-- and decodes the answer. Failures come back as nil, err (errors.lua);
-- nothing is sent when validation fails. The secret key lives only in the
-- signer's closure: it is in no field, log line, error or traceback.

local core = require "livestation.core"
local ops = require "livestation.ops"
local validate = require "livestation.validate"
local request = require "livestation.request"
local json = require "livestation.json"
local errors = require "livestation.errors"
local credentials = require "livestation.credentials"
local log = require "livestation.log"
local httpdate = require "livestation.httpdate"
local metrics = require "livestation.metrics"

local M = {}

-- Hosts set these: lsrun --emulator puts the in-process emulator's
-- endpoint and keys in `defaults` (they win over the environment, so a
-- test run never reaches the cloud by accident); lsrun --dry-run sets
-- `transport` to a printer.
M.defaults = {}
M.transport = nil

-- A gateway that answers 401 while its clock is this far from ours means
-- our clock is wrong, not our keys (COMMON.md §a: the window is 5 minutes).
local SKEW_LIMIT_MS = 5 * 60 * 1000

local Client = {}
local Section = {}

local sections = {}
for _, op in ipairs(ops.all()) do sections[op.id:match("^[^.]+")] = true end

function Client.__index(self, key)
  local method = Client[key]
  if method ~= nil then return method end
  if sections[key] then return setmetatable({ _client = self, _name = key }, Section) end
  return nil
end

Client.__name = "livestation.client"

function Client.__tostring(self)
  return string.format("livestation client %s (%s, key %s)", self.endpoint, self.region,
    log.mask(self.access_key))
end

-- ls.channel.get{channelId = ...}: the per-operation form. Names compose
-- down the id (ls.vod.schedule.create); calling one calls the operation.
function Section.__index(section, key)
  return setmetatable({ _client = section._client, _name = section._name .. "." .. key }, Section)
end

function Section.__call(section, params, opts)
  if getmetatable(params) == Section then -- called with ':' by mistake
    params, opts = opts, nil
  end
  return section._client:call(section._name, params, opts)
end

local function positive(opts, name, default)
  local v = opts[name]
  if v == nil then return default end
  if type(v) ~= "number" or v < 0 then
    error(string.format("livestation.new: %s must be a non-negative number", name), 3)
  end
  return v
end

-- Options: access_key, secret_key, region, endpoint, profile (credentials,
-- see credentials.lua); timeout, connect_timeout (seconds, per attempt);
-- retry_budget (seconds in which a call may start new attempts, default
-- 60); attempts (a cap on their number, default none); backoff,
-- backoff_cap (seconds); max_response (bytes); tls_verify (true unless
-- turned off by name), ca_file; transport; zone ("public", the default,
-- or "fin": the financial zone of api/zones.json, its paths, region and
-- parameter rules); site (ls.site: the name workflows give the Live
-- Station they work on; default the endpoint's host[:port][/zone]).
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("livestation.new: options must be a table", 2) end
  local merged = {}
  for k, v in pairs(opts) do merged[k] = v end
  for k, v in pairs(M.defaults) do
    if opts[k] == nil then merged[k] = v end
  end
  local zone = merged.zone
  if zone == nil then zone = os.getenv("LIVESTATION_ZONE") end
  if zone == "public" or zone == "" then zone = nil end
  if zone ~= nil then
    local z = type(zone) == "string" and ops.zone(zone)
    if not z then
      error(string.format("livestation.new: unknown zone '%s' (public, %s)", tostring(zone),
        table.concat(ops.zone_names(), ", ")), 2)
    end
    -- the zone's own region unless one is given by name
    if merged.region == nil then merged.region = z.region end
  end
  local creds, err = credentials.resolve(merged, { file_mode = core.file_mode })
  if not creds then error(tostring(err), 2) end
  -- credentials.resolve has registered the secret with the log's redaction
  local secret, access = creds.secret_key, creds.access_key
  local self = {
    endpoint = creds.endpoint,
    region = creds.region,
    zone = zone,
    -- a stable name of the Live Station reached, for names that must
    -- survive a restart (workflows, jobs): the endpoint's host, the zone
    -- after a slash; lsrun --emulator names its emulator "emulator", whose
    -- port changes with every run
    site = merged.site or ((creds.endpoint:match("^%a+://([^/]+)") or creds.endpoint)
      .. (zone and ("/" .. zone) or "")),
    access_key = access,
    credentials_source = creds.source,
    timeout = positive(opts, "timeout", 30),
    connect_timeout = positive(opts, "connect_timeout", 10),
    retry_budget = positive(opts, "retry_budget", 60),
    attempts = opts.attempts ~= nil and math.tointeger(positive(opts, "attempts", 1)) or math.huge,
    backoff = positive(opts, "backoff", 0.2),
    backoff_cap = positive(opts, "backoff_cap", 10),
    max_response = math.tointeger(positive(opts, "max_response", 8 * 1024 * 1024)),
    tls_verify = opts.tls_verify ~= false,
    ca_file = opts.ca_file,
    clock_offset_ms = 0,
    transport = merged.transport or M.transport or core.http_request,
  }
  if self.attempts == nil or self.attempts < 1 then
    error("livestation.new: attempts must be a whole number, at least 1", 2)
  end
  if not self.tls_verify then
    log.warn("TLS certificate verification is OFF for this client", { endpoint = self.endpoint })
  end
  self.sign = function(method, target, timestamp)
    return core.sign(secret, method, target, timestamp, access)
  end
  return setmetatable(self, Client)
end

---------------------------------------------------------------- retries

local IDEMPOTENT = { GET = true, HEAD = true, PUT = true, DELETE = true, OPTIONS = true }

-- Whether a failed attempt may be tried again. GET, PUT and DELETE are
-- retried on network failures, timeouts, 429 and 5xx. A POST only when
-- the failure proves the request was not processed: it never left
-- (refused, name not resolved, connect timeout: the core sends a POST at
-- most once, so a connection that closes after it went out is not such
-- a proof) or the gateway throttled it before the service saw it.
local function may_retry(method, err)
  if not err.retryable then return false end
  if IDEMPOTENT[method] then return true end
  if err.kind == "network" or err.kind == "timeout" then return err.sent == false end
  return err.kind == "gateway" and err.status == 429
end

-- Retry-After (RFC 9110 10.2.3) on 429 and 503: delay-seconds or an
-- HTTP-date; seconds to wait from now, or nil.
local function retry_after(resp)
  if resp.status ~= 429 and resp.status ~= 503 then return nil end
  local v = resp.headers and resp.headers["retry-after"]
  if type(v) ~= "string" then return nil end
  v = v:match("^%s*(.-)%s*$")
  if v:match("^%d+$") then return tonumber(v) end
  local at = httpdate.parse(v)
  if not at then return nil end
  return math.max(0, at - core.now_ms() / 1000)
end

-- Full jitter: a random wait between 0 and the capped exponential step.
local function backoff_delay(self, attempt)
  local step = math.min(self.backoff_cap, self.backoff * 2 ^ (attempt - 1))
  return math.random() * step
end

local function headers_for(self, method, target)
  local timestamp = tostring(core.now_ms() + self.clock_offset_ms)
  return {
    ["Content-Type"] = "application/json",
    ["x-ncp-apigw-timestamp"] = timestamp,
    ["x-ncp-iam-access-key"] = self.access_key,
    ["x-ncp-apigw-signature-v2"] = self.sign(method, target, timestamp),
    ["x-ncp-region_code"] = self.region,
  }
end

-- Decodes a 2xx answer: the `content` of the body, or the whole body when
-- it has none; an empty body is an empty table.
local function decode_success(id, resp)
  if resp.body == nil or resp.body:match("^%s*$") then return {}, {} end
  local body, derr = json.decode(resp.body)
  if body == nil then
    return nil, errors.new {
      kind = "api", operation = id, status = resp.status, trace_id = resp.headers["x-ncp-trace-id"],
      message = "malformed JSON in the response: " .. tostring(derr),
    }
  end
  if type(body) == "table" and body.content ~= nil then return body.content, body end
  return body, body
end

-- A refused certificate or an oversized answer comes back the same way
-- every time: not worth another attempt.
local function transport_error(id, terr)
  if terr.kind == "timeout" then return errors.timeout(id, terr.message, terr.sent) end
  local e = errors.network(id, terr.message, terr.sent)
  if terr.kind == "too_large" or terr.kind == "tls" then
    e.retryable = false
    e.reason = terr.kind
  end
  return e
end

-- One exchange with the server; returns content, meta or nil, err and
-- the server's Date header (for the clock-skew check).
local function attempt(self, op, target, req_body, n, timeout)
  local url = self.endpoint .. target
  local headers = headers_for(self, op.method, target)
  local verbosity = log.verbosity()
  local debug_on, info_on = verbosity >= 4, verbosity >= 3
  if debug_on then
    log.debug("request", { op = op.id, method = op.method, url = url, attempt = n,
      access_key = log.mask(self.access_key), timestamp = headers["x-ncp-apigw-timestamp"],
      body = req_body })
  end
  local started = info_on and core.monotonic()
  local in_flight <close> = metrics.api_request()
  local resp, terr = self.transport {
    method = op.method, url = url, headers = headers, body = req_body,
    timeout = timeout, connect_timeout = self.connect_timeout,
    max_size = self.max_response, tls_verify = self.tls_verify, ca_file = self.ca_file,
  }
  local ms = info_on and math.floor((core.monotonic() - started) * 1000 + 0.5)
  if not resp then
    local err = transport_error(op.id, terr)
    metrics.api_call(op.id, err.kind)
    if info_on then
      log.info("call", { op = op.id, attempt = n, ms = ms, error = err.kind, message = err.message })
    end
    return nil, err
  end
  local trace = resp.headers and resp.headers["x-ncp-trace-id"]
  metrics.api_call(op.id, resp.status)
  -- no field table unless the line is written: 10,000 calls at once make
  -- their garbage together
  if info_on then
    log.info("call", { op = op.id, status = resp.status, attempt = n, ms = ms, trace_id = trace })
  end
  if debug_on then log.debug("response", { op = op.id, body = resp.body }) end
  if resp.status >= 200 and resp.status < 300 then
    local content, body = decode_success(op.id, resp)
    if content == nil then return nil, body end
    return content, { status = resp.status, trace_id = trace, body = body,
      total = type(body) == "table" and body.total or nil, attempts = n }
  end
  local body = json.decode(resp.body or "")
  local err = errors.from_response(op.id, resp.status, resp.headers, body, resp.body)
  err.retry_after = retry_after(resp)
  return nil, err, resp.headers and resp.headers["date"]
end

-- A 401 from the gateway while the server's Date is far from our clock:
-- keep the offset, so this and every later request is signed on time.
local function fix_clock_skew(self, err, date)
  if not (err.kind == "gateway" and err.status == 401 and date) then return false end
  local server = httpdate.parse(date)
  if not server then return false end
  local offset = server * 1000 - core.now_ms()
  if math.abs(offset) <= SKEW_LIMIT_MS then return false end
  self.clock_offset_ms = math.floor(offset)
  log.warn("clock skew: local clock differs from the gateway's; correcting",
    { offset_ms = self.clock_offset_ms })
  return true
end

-- opts.extra: parameters the operation table does not know, sent as
-- given ({query = {name = scalar}, body = {name = value}}). A name the
-- table does know belongs in params, where it is validated.
local function check_extra(op, extra)
  local function bad(msg) return nil, errors.validation(op.id, nil, "extra", "extra: " .. msg) end
  if type(extra) ~= "table" then return bad("must be a table {query = {...}, body = {...}}") end
  for k, part in pairs(extra) do
    if k ~= "query" and k ~= "body" then return bad("unknown part '" .. tostring(k) .. "' (query, body)") end
    if type(part) ~= "table" then return bad(k .. " must be a table of names") end
    local declared = k == "query" and op.query_params or op.body_params
    for name, v in pairs(part) do
      if type(name) ~= "string" or name == "" then return bad(k .. ": names must be non-empty strings") end
      for _, p in ipairs(declared) do
        if p.name == name then return bad(k .. "." .. name .. " is a parameter of " .. op.id .. "; pass it in params") end
      end
      local tv = type(v)
      if k == "query" and not (tv == "string" or tv == "number" or tv == "boolean") then
        return bad("query." .. name .. " must be a string, number or boolean")
      end
    end
  end
  return extra
end

-- The wait before attempt n + 1, or nil when the call should give up:
-- a Retry-After is honoured whole, and no attempt starts after the
-- retry budget is spent.
local function next_delay(self, n, err, deadline)
  local left = deadline - core.monotonic()
  if err.retry_after then
    if err.retry_after > left then return nil end
    return math.max(err.retry_after, backoff_delay(self, n))
  end
  if left <= 0 then return nil end
  return math.min(backoff_delay(self, n), left)
end

local CALL_OPTS = { timeout = true, attempts = true, retry_budget = true }

-- ls:call(id, params[, opts]) -> content, nil, meta | nil, err
-- opts: timeout, attempts, retry_budget (this call only); extra (see check_extra).
function Client:call(id, params, opts)
  if type(id) ~= "string" then error("call: operation id must be a string", 2) end
  local op = ops.in_zone(id, self.zone)
  if not op then
    local hint = ops.suggest(id)
    return nil, errors.validation(id, nil, "operation", string.format(
      "unknown operation '%s'%s (lsrun ops lists them)", id, hint and ("; did you mean '" .. hint .. "'?") or ""))
  end
  params = params or {}
  if type(params) ~= "table" then
    return nil, errors.validation(id, nil, "type", "parameters must be a table, got " .. type(params))
  end
  local ok, verr = validate.check(op, params)
  if not ok then
    log.info("call", { op = id, error = "validation", message = verr.message })
    return nil, errors.new(verr)
  end
  local extra, xerr = opts and opts.extra
  if extra ~= nil then
    extra, xerr = check_extra(op, extra)
    if not extra then return nil, xerr end
  end
  local target, req_body = request.target(op, params, extra)
  local timeout, max, budget = self.timeout, self.attempts, self.retry_budget
  if opts then
    for k, v in pairs(opts) do
      if CALL_OPTS[k] and (type(v) ~= "number" or v < 0) then
        error(string.format("call: %s must be a non-negative number", k), 2)
      end
    end
    timeout, max, budget = opts.timeout or timeout, opts.attempts or max, opts.retry_budget or budget
  end
  local deadline = core.monotonic() + budget
  local skew_fixed = false
  local n = 0
  while true do
    n = n + 1
    local content, meta, date = attempt(self, op, target, req_body, n, timeout)
    if content ~= nil then return content, nil, meta end
    local err = meta
    err.attempts = n
    local delay
    if not skew_fixed and fix_clock_skew(self, err, date) then
      skew_fixed = true
      n = n - 1 -- the re-signed try does not use up an attempt
    elseif not may_retry(op.method, err) then
      err.retryable = false -- a POST that may have been processed, a 4xx
      return nil, err
    elseif n >= max then
      return nil, err
    else
      delay = next_delay(self, n, err, deadline)
      if not delay then return nil, err end
      metrics.api_retry(id)
      if log.enabled("info") then
        log.info("retry", { op = id, attempt = n, after_ms = math.floor(delay * 1000), reason = err.kind,
          status = err.status })
      end
      core.sleep(delay)
    end
  end
end

-- Waiters and pagination (wait.lua), as methods.
function Client:wait(what, params, opts)
  return require("livestation.wait").wait(self, what, params, opts)
end

function Client:pages(id, params)
  return require("livestation.wait").pages(self, id, params)
end

function Client:each(id, params)
  return require("livestation.wait").each(self, id, params)
end

M.Client = Client
return M
