-- `lsrun --status HOST:PORT`: an HTTP server on the host's own event loop
-- for the people on call.
--
--   GET /metrics   Prometheus text format (livestation.metrics)
--   GET /healthz   200 "ok" while the loop turns and the state store
--                  answers; 503 and the reason otherwise
--   GET /          the status page (status/page.lua)
--
-- It binds to 127.0.0.1 unless told otherwise; any other address needs a
-- token (LIVESTATION_STATUS_TOKEN), sent as "Authorization: Bearer TOKEN"
-- or ?token= in the URL. Nothing it shows carries a registered secret.

local core = require "livestation.core"
local heartbeat = require "livestation.heartbeat"
local http_token = require "livestation.http_token"
local log = require "livestation.log"
local metrics = require "livestation.metrics"
local page = require "livestation.status.page"
local schedule = require "livestation.schedule"

local M = {}

M.DEFAULT_PORT = 9101
M.STALL_AFTER = 5       -- seconds without a beat before /healthz says the loop stalled
M.REFRESH = 5           -- seconds between the page's reloads
M.INBOX_ROWS = 20

local TEXT = { ["content-type"] = "text/plain; charset=utf-8", ["cache-control"] = "no-store" }

-- "HOST:PORT", "[V6]:PORT" or "PORT" (127.0.0.1). Returns host, port or
-- nil, message.
function M.parse_address(text)
  if type(text) ~= "string" or text == "" then return nil, "expected HOST:PORT" end
  local host, port = text:match("^%[([%x:.]+)%]:(%d+)$")
  if not host then host, port = text:match("^([%w.%-]+):(%d+)$") end
  if not host and text:match("^%d+$") then host, port = "127.0.0.1", text end
  if not host then return nil, "'" .. text .. "' is not HOST:PORT" end
  port = math.tointeger(tonumber(port))
  if not port or port > 65535 then return nil, "port out of range in '" .. text .. "'" end
  return host, port
end

-- Whether only this machine can reach host.
function M.is_loopback(host)
  return host == "localhost" or host == "::1" or host:match("^127%.%d+%.%d+%.%d+$") ~= nil
end

local function S_of(o)
  return o.scheduler or schedule.default()
end

-- 200 or 503, and the lines saying why.
function M.health(o)
  local S = S_of(o)
  local problems, lines = {}, {}
  local age = heartbeat.age()
  local stall = math.max(M.STALL_AFTER, 3 * heartbeat.interval())
  if age and age > stall then
    problems[#problems + 1] = string.format("event loop stalled: last turn %.1fs ago", age)
  else
    lines[#lines + 1] = age and string.format("loop: ok (last turn %.3fs ago)", age) or "loop: ok"
  end
  local pok, ok, err = pcall(S.check_store)
  if not pok then ok, err = nil, ok end
  if ok == nil then
    problems[#problems + 1] = "state store: " .. log.scrub(tostring(err))
  else
    lines[#lines + 1] = ok == "closed" and "store: not opened (nothing needed it yet)" or "store: ok"
  end
  if S.stopping then problems[#problems + 1] = "shutting down" end
  if #problems > 0 then
    return 503, "unhealthy: " .. table.concat(problems, "; ") .. "\n" .. table.concat(lines, "\n") .. "\n"
  end
  return 200, "ok\n" .. table.concat(lines, "\n") .. "\n"
end

function M.metrics_text(o)
  local S = S_of(o)
  metrics.job_due:reset()
  for label, n in pairs(S.due_within(3600)) do metrics.job_due:set({ job = label }, n) end
  metrics.loop_age:set(nil, heartbeat.age() or 0)
  return metrics.render()
end

-- What the page shows, gathered from the scheduler and the state file.
function M.snapshot(o)
  local S = S_of(o)
  local jobs = {}
  for _, h in ipairs(S.jobs()) do
    local last = h.last_run()
    jobs[#jobs + 1] = { label = h.label, schedule = h.schedule, status = h.status(),
      next = h.next_run(), last = last, running = h.running() }
  end
  local events, inbox_err
  local store = S.open_store()
  if store and store.inbox_recent then
    local ok
    ok, events, inbox_err = pcall(store.inbox_recent, store, M.INBOX_ROWS)
    if not ok then events, inbox_err = nil, events end
    if not events then inbox_err = inbox_err or "unknown error" end
  end
  local st = S.stats()
  return {
    now = core.now(), started = o.started, jobs = jobs, failures = S.recent_failures(),
    inbox = events, inbox_error = inbox_err, inbox_open = store ~= nil, counts = st,
    in_flight = metrics.in_flight, state_file = S.state_file(), refresh = M.REFRESH,
    version = core.version, healthy = M.health(o) == 200,
  }
end

local function handler(o)
  return function(req)
    if req.method ~= "GET" and req.method ~= "HEAD" then
      return 405, { ["content-type"] = TEXT["content-type"], allow = "GET, HEAD" }, "method not allowed\n"
    end
    if o.token and not http_token.authorized(req, o.token) then
      return 401, { ["content-type"] = TEXT["content-type"], ["www-authenticate"] = 'Bearer realm="lsrun"' },
        "unauthorized\n"
    end
    if req.path == "/metrics" then
      return 200, { ["content-type"] = metrics.CONTENT_TYPE, ["cache-control"] = "no-store" }, M.metrics_text(o)
    elseif req.path == "/healthz" then
      local status, body = M.health(o)
      return status, TEXT, body
    elseif req.path == "/" then
      return 200, { ["content-type"] = "text/html; charset=utf-8", ["cache-control"] = "no-store",
        ["content-security-policy"] = "default-src 'none'; style-src 'unsafe-inline'",
        ["x-content-type-options"] = "nosniff" }, page.render(M.snapshot(o))
    end
    return 404, TEXT, "not found (try /, /metrics or /healthz)\n"
  end
end

-- start{ address = "127.0.0.1:9101", token = nil, scheduler = nil }
-- -> server (url(), port(), close()) or nil, message. The server does not
-- keep the loop going: it serves for as long as the host has work.
function M.start(opts)
  local host, port = M.parse_address(opts.address)
  if not host then return nil, "--status: " .. port end
  local token = opts.token
  if token == "" then token = nil end
  if not M.is_loopback(host) and not token then
    return nil, "--status " .. opts.address .. ": a non-loopback address needs a token" ..
      " (set LIVESTATION_STATUS_TOKEN)"
  end
  if token then log.redact(token) end
  local o = { scheduler = opts.scheduler, token = token, started = core.now() }
  heartbeat.start()
  local srv, err = core.http_server { host = host, port = port, max_body = 1024, idle_timeout = 30,
    handler = handler(o) }
  if not srv then return nil, "--status: " .. err end
  srv:unref()
  local url = string.format(host:find(":", 1, true) and "http://[%s]:%d" or "http://%s:%d", host, srv:port())
  log.info("status server listening", { url = url })
  return srv
end

return M
