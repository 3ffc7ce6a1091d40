-- What livestation counts as it works, for `lsrun --status` (/metrics):
-- job runs, API calls, webhook events, state store errors. The modules
-- that do the work call these hooks; each is a table lookup and an
-- addition, so they are always on.

local registry = require "livestation.metrics.registry"

local M = {}

local reg = registry.new()
M.registry = reg

-- Lateness: how long after its scheduled time a run started (timers,
-- a busy loop, catch-up after a restart). Duration: how long it ran.
local LATENESS = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 }
local DURATION = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600 }

M.job_runs = reg:counter("livestation_job_runs_total",
  "Job runs by job and final outcome (ok, failed, timeout, cancelled, skipped).", { "job", "outcome" })
M.job_lateness = reg:histogram("livestation_job_lateness_seconds",
  "Seconds between a run's scheduled time and the start of its first attempt.", { "job" }, LATENESS)
M.job_duration = reg:histogram("livestation_job_duration_seconds",
  "Seconds a run took, all attempts and pauses included.", { "job" }, DURATION)
M.job_due = reg:gauge("livestation_job_runs_due_next_hour",
  "Runs each scheduled job has due in the next hour.", { "job" })
M.api_calls = reg:counter("livestation_api_calls_total",
  "Live Station API requests by operation and status class (2xx..5xx, network, timeout).",
  { "op", "status_class" })
M.api_retries = reg:counter("livestation_api_retries_total",
  "API requests sent again after a retryable failure, by operation.", { "op" })
M.api_in_flight = reg:gauge("livestation_api_calls_in_flight", "API requests waiting for an answer.")
M.webhook_received = reg:counter("livestation_webhook_events_received_total",
  "Webhook events received, by event code and result (stored, duplicate).", { "event", "result" })
M.webhook_rejected = reg:counter("livestation_webhook_requests_rejected_total",
  "Webhook requests refused, by HTTP status (404, 405, 401, 400, 503).", { "status" })
M.webhook_handled = reg:counter("livestation_webhook_events_handled_total",
  "Webhook events delivered to handlers, by event code and outcome (done, failed, ignored).",
  { "event", "outcome" })
M.store_errors = reg:counter("livestation_state_store_errors_total",
  "Failed state store operations, by backend.", { "backend" })
M.loop_age = reg:gauge("livestation_event_loop_heartbeat_age_seconds",
  "Seconds since the event loop's heartbeat last ran (grows while the loop is wedged).")

M.in_flight = 0
M.api_in_flight:set(nil, 0)

---------------------------------------------------------------- hooks

-- A final outcome of a run. lateness and duration are seconds (nil for
-- a run that never started: skipped).
function M.job_run(job, outcome, lateness, duration)
  M.job_runs:inc { job = job, outcome = outcome }
  if lateness then M.job_lateness:observe({ job = job }, math.max(0, lateness)) end
  if duration then M.job_duration:observe({ job = job }, math.max(0, duration)) end
end

local CLASS = { [2] = "2xx", [3] = "3xx", [4] = "4xx", [5] = "5xx" }

-- One request's end: an HTTP status, or a transport failure's kind. The
-- series of each operation and class is kept at hand: this runs on every
-- API call. (Dropped if the family's series are ever replaced.)
local call_series, call_values = {}, nil

function M.api_call(op, status_or_kind)
  if call_values ~= M.api_calls.values then call_series, call_values = {}, M.api_calls.values end
  local per_op = call_series[op]
  if not per_op then
    per_op = {}
    call_series[op] = per_op
  end
  -- kept by status (or kind) itself: the class is worked out once
  local series = per_op[status_or_kind]
  if not series then
    local class
    if math.type(status_or_kind) == "integer" then
      class = CLASS[status_or_kind // 100] or "other"
    else
      class = status_or_kind == "timeout" and "timeout" or "network"
    end
    series = M.api_calls:series { op = op, status_class = class }
    per_op[status_or_kind] = series
  end
  series.value = series.value + 1
end

function M.api_retry(op)
  M.api_retries:inc { op = op }
end

-- Counts a request in flight until the returned value is closed:
--   local _ <close> = metrics.api_request()
-- (a cancelled task closes it too). The gauge takes the count when it is
-- rendered: a request only adds and subtracts.
local function in_flight_series()
  return M.api_in_flight.values[""] or M.api_in_flight:series()
end

local closer = setmetatable({}, { __close = function() M.in_flight = M.in_flight - 1 end })

function M.api_request()
  M.in_flight = M.in_flight + 1
  return closer
end

function M.store_error(backend)
  M.store_errors:inc { backend = backend or "sqlite" }
end

-- The text exposition.
function M.render()
  in_flight_series().value = M.in_flight
  return reg:render()
end

M.CONTENT_TYPE = registry.CONTENT_TYPE

return M
