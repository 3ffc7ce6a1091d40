-- Live Station callbacks: a receiver (HTTP server) that stores each POSTed
-- event in the inbox before answering 2xx, and on(event, fn) handlers that
-- each run in a task of their own, once per event id.
--
-- Live Station signs nothing (KNOWN-GAPS "Callbacks"), so the receiver
-- binds to 127.0.0.1 unless told otherwise and can require a token, sent
-- as ?token= in the registered URL (or an X-Livestation-Token or
-- "Authorization: Bearer" header). Wrong path 404, wrong method 405, wrong
-- token 401, malformed body 400; each is logged, never the token.

local core = require "livestation.core"
local http_token = require "livestation.http_token"
local json = require "livestation.json"
local log = require "livestation.log"
local metrics = require "livestation.metrics"

local M = {}

M.MAX_BODY = 64 * 1024
M.MAX_ATTEMPTS = 3 -- deliveries of one event cut short by restarts
M.KEEP_DAYS = 30 -- ids are remembered this long for de-duplication

local TEXT = { ["content-type"] = "text/plain; charset=utf-8" }
local JSON = { ["content-type"] = "application/json" }

local function integer_of(v)
  if math.type(v) == "integer" then return v end
  if type(v) == "string" and v:match("^%d+$") and #v <= 18 then return math.tointeger(tonumber(v)) end
  return nil
end

-- The event in a callback body, or nil, why. The payload is {id,
-- logLevel, channelId, event, timestamp}; id and timestamp may come as
-- strings (older pages), and are given to handlers as integers.
function M.parse(body)
  local v = json.decode(body or "")
  if type(v) ~= "table" or json.is_array(v) then return nil, "body is not a JSON object" end
  local id = integer_of(v.id) or (type(v.id) == "string" and v.id:match("^[%w%-_.:]+$") and #v.id <= 128 and v.id)
  if not id then return nil, "id missing or not an integer" end
  if type(v.event) ~= "string" or not v.event:match("^[%w_%-.]+$") or #v.event > 128 then
    return nil, "event missing or not an event code"
  end
  for _, k in ipairs { "channelId", "logLevel" } do
    if v[k] ~= nil and type(v[k]) ~= "string" then return nil, k .. " is not a string" end
  end
  local ts = v.timestamp
  if ts ~= nil then
    ts = integer_of(ts)
    if not ts then return nil, "timestamp is not an integer" end
  end
  return { id = id, logLevel = v.logLevel, channelId = v.channelId, event = v.event,
           timestamp = ts, key = tostring(id) }
end

local function copy_event(ev)
  return { id = ev.id, logLevel = ev.logLevel, channelId = ev.channelId, event = ev.event,
           timestamp = ev.timestamp }
end

local function on_error(e)
  local msg = tostring(e)
  return { message = msg:match("^[^\n]*"), trace = debug.traceback(msg, 2) }
end

local function call(fn, ev)
  return xpcall(fn, on_error, ev)
end

function M.new(S)
  local H = {}
  local handlers = {}      -- event code or "*" -> list of {fn}
  local receivers = {}     -- open servers
  local deliveries = {}    -- delivery -> true, while its task lives

  local function handlers_for(event)
    local list = {}
    for _, key in ipairs { event, "*" } do
      for _, h in ipairs(handlers[key] or {}) do list[#list + 1] = h end
    end
    return list
  end

  -- Runs the handlers of ev, each in its own task; marks the inbox row.
  local function deliver(d, ev)
    local _ <close> = setmetatable({}, { __close = function()
      for _, t in ipairs(d.tasks or {}) do t:cancel() end -- cut short: delivered again next start
      deliveries[d] = nil
    end })
    local list = handlers_for(ev.event)
    local fields = { id = ev.key, event = ev.event, channel = ev.channelId }
    if #list == 0 then
      S.persist(function(st) return st:inbox_finish(ev.key, "ignored") end)
      metrics.webhook_handled:inc { event = ev.event, outcome = "ignored" }
      fields.outcome = "ignored"
      log.info("webhook event", fields)
      return
    end
    fields.attempt = S.persist(function(st) return st:inbox_begin(ev.key) end)
    local started = core.monotonic()
    local tasks = {}
    for i, h in ipairs(list) do tasks[i] = core.spawn(call, h.fn, copy_event(ev)) end
    d.tasks = tasks
    local failed = 0
    for _, t in ipairs(tasks) do
      local joined, ok, err = t:join()
      if not (joined and ok) then
        failed = failed + 1
        S.count("handler_failed")
        log.error("webhook handler failed", { id = ev.key, event = ev.event,
          error = joined and err.message or "cancelled", traceback = joined and err.trace or nil })
      end
    end
    d.tasks = nil
    S.persist(function(st) return st:inbox_finish(ev.key, failed == 0 and "done" or "failed") end)
    fields.handlers, fields.failed = #list, failed
    fields.outcome = failed == 0 and "done" or "failed"
    metrics.webhook_handled:inc { event = ev.event, outcome = fields.outcome }
    fields.duration_ms = math.floor((core.monotonic() - started) * 1000 + 0.5)
    log.info("webhook event", fields)
  end

  local function start_delivery(ev)
    local d = {}
    deliveries[d] = true
    d.task = core.spawn(deliver, d, ev)
  end

  -- Events stored by an earlier host and not delivered to the end. Their
  -- tasks look up the handlers when they run, after the script's on().
  local function redeliver()
    local store = S.get_store()
    for _, row in ipairs(store:inbox_pending() or {}) do
      if row.attempts >= M.MAX_ATTEMPTS then
        store:inbox_finish(row.id, "failed")
        log.warn("webhook event not delivered again", { id = row.id, event = row.event,
          attempts = row.attempts })
      else
        local ev = M.parse(row.body)
        if ev then
          log.info("webhook event delivered again", { id = row.id, event = row.event,
            attempt = row.attempts + 1 })
          start_delivery(ev)
        end
      end
    end
  end

  -- On a shared store, while a receiver is open: events whose host died
  -- before delivering them.
  function H.redeliver_if_listening()
    if next(receivers) and not S.stopping then redeliver() end
  end

  local function reject(status, what, req, extra)
    local f = { status = status, path = req.path, method = req.method, peer = req.peer }
    for k, v in pairs(extra or {}) do f[k] = v end
    metrics.webhook_rejected:inc { status = status }
    log.warn("webhook: " .. what, f)
  end

  local function handler_for(o)
    return function(req)
      if req.path ~= o.path then
        reject(404, "wrong path", req)
        return 404, TEXT, "not found\n"
      end
      if req.method ~= "POST" then
        reject(405, "method not allowed", req)
        return 405, { ["content-type"] = TEXT["content-type"], allow = "POST" }, "method not allowed\n"
      end
      if o.token and not http_token.authorized(req, o.token) then
        reject(401, "wrong or missing token", req)
        return 401, TEXT, "unauthorized\n"
      end
      local ev, why = M.parse(req.body)
      if not ev then
        reject(400, "malformed body", req, { reason = why, bytes = #(req.body or "") })
        return 400, TEXT, "bad request: " .. why .. "\n"
      end
      local ok, result, err = pcall(function() return S.get_store():inbox_put(ev, req.body) end)
      if not ok or not result then
        metrics.webhook_rejected:inc { status = 503 }
        log.error("webhook: cannot store event", { id = ev.key, error = tostring(ok and err or result) })
        return 503, TEXT, "cannot store the event\n"
      end
      metrics.webhook_received:inc { event = ev.event, result = result }
      if result == "duplicate" then
        log.info("webhook: duplicate event", { id = ev.key, event = ev.event })
        return 200, JSON, '{"ok":true,"duplicate":true}'
      end
      if not S.stopping then start_delivery(ev) end
      return 200, JSON, '{"ok":true}'
    end
  end

  -- webhook{host=, port=, path=, token=, max_body=} -> receiver with
  -- url(), port(), close().
  function H.webhook(opts)
    opts = opts or {}
    if type(opts) ~= "table" then error("webhook: opts must be a table", 2) end
    if S.stopping then error("webhook: the scheduler is shutting down", 2) end
    local o = {
      host = opts.host or "127.0.0.1", port = opts.port or 0, path = opts.path or "/",
      token = opts.token, max_body = opts.max_body or M.MAX_BODY,
    }
    if type(o.path) ~= "string" or o.path:sub(1, 1) ~= "/" then
      error("webhook: path must start with '/'", 2)
    end
    if o.token ~= nil and (type(o.token) ~= "string" or o.token == "") then
      error("webhook: token must be a non-empty string", 2)
    end
    if o.token then log.redact(o.token) end
    S.get_store() -- events are stored before they are acknowledged
    local srv, err = core.http_server { host = o.host, port = o.port, max_body = o.max_body,
      handler = handler_for(o) }
    if not srv then return nil, "webhook: " .. err end
    receivers[srv] = true
    log.info("webhook listening", { url = srv:url() .. o.path })
    S.get_store():inbox_prune(core.now() - M.KEEP_DAYS * 86400)
    redeliver()
    local r = {}
    function r.url() return srv:url() .. o.path end
    function r.port() return srv:port() end
    function r.close()
      if receivers[srv] then receivers[srv] = nil; srv:close() end
    end
    return r
  end

  -- on(event, fn): fn(event_table) for each new event with that code ("*"
  -- for all). Returns a handle with cancel().
  function H.on(event, fn)
    if type(event) ~= "string" or event == "" then error("on: event must be an event code or '*'", 2) end
    if type(fn) ~= "function" then error("on: fn must be a function", 2) end
    local h = { fn = fn }
    handlers[event] = handlers[event] or {}
    table.insert(handlers[event], h)
    return { cancel = function()
      for i, x in ipairs(handlers[event] or {}) do
        if x == h then table.remove(handlers[event], i) return true end
      end
      return false
    end }
  end

  function H.close_receivers()
    for srv in pairs(receivers) do srv:close() end
    receivers = {}
  end

  function H.busy()
    return next(deliveries) ~= nil
  end

  function H.cancel_all()
    for d in pairs(deliveries) do
      d.task:cancel()
      deliveries[d] = nil -- also when it was cancelled before it ran
    end
  end

  return H
end

return M
