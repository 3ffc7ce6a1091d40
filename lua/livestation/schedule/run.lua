-- One scheduled run of a job: its attempts (each calls the job's function
-- in a task of its own), the timeout that cancels an attempt, the pause
-- between retries, the journal rows of a named job and one log line per
-- attempt: job, scheduled time, lateness, duration, outcome.
--
-- A run is a "runner" task. Cancelling the runner (shutdown) cancels the
-- attempt in progress and records it as cancelled.

local core = require "livestation.core"
local log = require "livestation.log"
local metrics = require "livestation.metrics"
local steps = require "livestation.schedule.steps"
local when = require "livestation.schedule.when"
local zone = require "livestation.schedule.zone"

local M = {}

M.MAX_BACKOFF = 3600

-- Seconds to wait before the attempt after `attempt`.
function M.backoff(retry, attempt)
  local b = retry.backoff
  if type(b) == "function" then return math.max(0, tonumber(b(attempt)) or 0) end
  return math.min(b * 2 ^ (attempt - 1), M.MAX_BACKOFF)
end

-- Keeps the first line of an error for the journal; the full text and
-- traceback go to the log.
-- An API error raised as it came (assert(ls:call(...))) keeps its trace id.
local function on_error(e)
  local msg = tostring(e)
  local trace = debug.traceback(msg, 2)
  trace = trace:gsub("\n\t%[C%]: in function 'xpcall'.*$", "") -- our own frames
  local trace_id = type(e) == "table" and type(rawget(e, "trace_id")) == "string" and e.trace_id or nil
  return { message = msg:match("^[^\n]*"), trace = trace, trace_id = trace_id }
end

-- In the attempt's task: a named job's run is the scope of the steps its
-- function takes (steps.lua), the same for every attempt of the run.
local function call(fn, ctx, scope)
  if scope then steps.bind(scope) end
  return xpcall(fn, on_error, ctx)
end

-- Cancels the attempt `seconds` after `since` (monotonic): the watch may
-- first run only when a busy attempt is yielded at its deadline.
local function watch(run, seconds, since)
  core.sleep(math.max(0, since + seconds - core.monotonic()))
  if run.task then
    run.timed_out = true
    run.task:cancel()
  end
end

local LEVEL = { ok = "info", skipped = "info", failed = "error", timeout = "error",
                cancelled = "warn", interrupted = "warn" }

-- Logs one attempt (job, scheduled, lateness, duration, outcome) and
-- counts the final ones.
local function report(S, job, run, outcome, started, finished, fields)
  local f = {
    job = job.label, scheduled = when.iso(run.scheduled / 1000, job.zone),
    attempt = run.attempt, outcome = outcome,
    lateness_ms = math.floor((started - run.scheduled / 1000) * 1000 + 0.5),
    duration_ms = math.floor((finished - started) * 1000 + 0.5),
  }
  for k, v in pairs(fields) do f[k] = v end
  f.run = run.id
  local level = LEVEL[outcome] or "warn"
  if f.retry_in then
    level = "warn"
  else
    S.count(outcome)
    run.first_started = run.first_started or started
    metrics.job_run(job.label, outcome, run.first_started - run.scheduled / 1000,
      finished - run.first_started)
  end
  log[level]("job run", f)
  job.last = {
    scheduled = run.scheduled / 1000, started = started, finished = finished,
    outcome = outcome, attempt = run.attempt, error = fields.error, trace_id = fields.trace_id,
  }
  if outcome ~= "ok" and outcome ~= "skipped" then S.note_failure(job, job.last) end
end

-- Whether another attempt is owed after this one ended with outcome.
-- `retry` counts the job's own failures; an attempt cut short because the
-- host stopped is an interruption, owed again unless the job opts out.
local function owed(S, job, run, outcome)
  if outcome == "ok" then return false end
  if outcome == "cancelled" then
    if S.stopping then return job.rerun_interrupted end
    return false -- the job itself was cancelled
  end
  return run.failures + 1 < job.retry.attempts
end

-- Ends the journal row of an attempt cut short; owed another attempt
-- when the host is stopping and the job reruns interrupted runs.
local function close_cancelled(S, job, run)
  local finished = core.now()
  local retry_at
  if owed(S, job, run, "cancelled") then retry_at = finished end
  if run.row then
    local id = run.row
    S.write_later(function(store)
      return store:finish_run(id, "cancelled", finished, "stopped before it finished", retry_at)
    end)
    run.row = nil
  end
  report(S, job, run, "cancelled", run.started, finished, { error = "stopped before it finished" })
end

-- Claims the attempt in the journal: its row id; false when the journal
-- has it already (another host's); nil, message. Waits while the store
-- is away and, on a shared database, until the database's clock says the
-- run is due.
local function claim(S, job, run)
  local wait = 0.05
  while true do
    run.phase = "running"
    local id, err, extra = S.get_store():start_run(job.name, run.scheduled, run.attempt, core.now())
    if id == false and err == "early" then
      run.phase = "waiting"
      core.sleep(math.max(extra, 0.001))
    elseif id == nil and extra == "unavailable" and not S.stopping then
      run.phase = "waiting" -- shutdown need not wait for it
      core.sleep(wait)
      wait = math.min(wait * 2, 2)
    else
      return id, err
    end
  end
end

-- Runs one attempt; returns its outcome.
local function attempt_once(S, job, run)
  run.phase = "running"
  if job.name then
    local id, err = claim(S, job, run)
    if id == false then
      -- already in the journal (another host claimed it): never run it twice
      log.info("job run already claimed", { job = job.label,
        scheduled = when.iso(run.scheduled / 1000, job.zone), attempt = run.attempt })
      return "refused"
    elseif not id then
      log.error("job run not started: journal refused it", { job = job.label,
        scheduled = when.iso(run.scheduled / 1000, job.zone), attempt = run.attempt, error = err })
      return "refused"
    end
    run.row = id
  end
  local started = core.now()
  run.started = started
  run.first_started = run.first_started or started
  local ctx = {
    job = job.name or job.label, scheduled = run.scheduled / 1000,
    attempt = run.attempt, lateness = started - run.scheduled / 1000,
  }
  local scope
  if job.name then
    ctx.run = run.id -- job@scheduled time (run_id)
    scope = steps.scope("job", ctx.run, S.get_store)
  end
  run.timed_out = false
  run.task = core.spawn(call, job.fn, ctx, scope)
  log.set_task_fields(run.task, { job = job.label, run = run.id })
  -- a function that never yields is yielded at its deadline (the core's
  -- watchdog), so the watch below can cancel it
  if job.timeout then run.task:deadline(job.timeout) end
  local watchdog = job.timeout and core.spawn(watch, run, job.timeout, core.monotonic())
  run.watchdog = watchdog
  local joined, fn_ok, err = run.task:join()
  run.task = nil
  if watchdog then watchdog:cancel() end
  run.watchdog = nil
  local outcome, detail, trace, trace_id
  if joined then
    if fn_ok then
      outcome = "ok"
    else
      outcome, detail, trace, trace_id = "failed", err.message, err.trace, err.trace_id
    end
  else
    outcome = run.timed_out and "timeout" or "cancelled"
    detail = run.timed_out and string.format("timed out after %gs", job.timeout) or "cancelled"
  end
  local finished = core.now()
  local retry_at -- also when stopping: the next start owes it
  if owed(S, job, run, outcome) then
    retry_at = finished + (outcome == "cancelled" and 0 or M.backoff(job.retry, run.failures + 1))
  end
  if outcome == "failed" or outcome == "timeout" then run.failures = run.failures + 1 end
  if run.row then
    local id = run.row
    S.persist(function(store) return store:finish_run(id, outcome, finished, detail, retry_at) end)
    run.row = nil
  end
  report(S, job, run, outcome, started, finished, {
    error = detail, traceback = outcome == "failed" and trace or nil, trace_id = trace_id,
    retry_in = (retry_at and not S.stopping) and string.format("%.3fs", retry_at - finished) or nil,
  })
  return outcome, retry_at
end

-- Sleeps until wall-clock time t: the loop's timers run on another clock
-- and may wake a little early.
local function sleep_until(t)
  local left = t - core.now()
  while left > 0 do
    core.sleep(left)
    left = t - core.now()
  end
end

local function body(S, job, run)
  local _ <close> = setmetatable({}, { __close = function()
    if run.task then -- cancelled from outside while the function ran
      local t = run.task
      run.task = nil
      t:cancel()
      if run.watchdog then run.watchdog:cancel() end
      close_cancelled(S, job, run)
    end
    S.runs[run] = nil
    job.active = job.active - 1
  end })
  if run.not_before then
    run.phase = "backoff"
    sleep_until(run.not_before / 1000)
  end
  while true do
    local outcome, retry_at = attempt_once(S, job, run)
    if outcome == "ok" or outcome == "refused" or not retry_at or S.stopping then return end
    run.phase = "backoff"
    sleep_until(retry_at)
    run.attempt = run.attempt + 1
  end
end

local function runner(S, job, run)
  body(S, job, run)
  S.after_run(job)
end

-- How log lines and the status page name a run: a named job's run as
-- its steps' scope does (job@scheduled time in UTC, the same across
-- restarts), another job's by a number of this host.
function M.run_id(S, job, scheduled)
  if job.name then return job.name .. "@" .. when.iso(scheduled / 1000, zone.utc) end
  return "r" .. S.next_run_id()
end

-- Starts item {scheduled (ms), attempt, failures, not_before (ms)} of job
-- as a task; failures counts the earlier attempts that failed or timed out.
function M.start(S, job, item)
  local run = { job = job, scheduled = item.scheduled, attempt = item.attempt or 1,
                failures = item.failures or 0, not_before = item.not_before, phase = "waiting",
                id = M.run_id(S, job, item.scheduled) }
  job.active = job.active + 1
  S.runs[run] = true
  run.runner = core.spawn(runner, S, job, run)
  return run
end

-- Cancels a run (shutdown). A runner cancelled before it ever ran has no
-- guard to clean up after it: do it here.
function M.cancel(S, run)
  run.runner:cancel()
  if S.runs[run] then
    S.runs[run] = nil
    run.job.active = run.job.active - 1
  end
end

-- Records a run that will not happen (overlap, missed while down).
function M.skip(S, job, scheduled, detail)
  if job.name then
    S.write_later(function(store) return store:record_run(job.name, scheduled, "skipped", detail) end)
  end
  S.count("skipped")
  metrics.job_run(job.label, "skipped")
  log.info("job run", { job = job.label, scheduled = when.iso(scheduled / 1000, job.zone),
    outcome = "skipped", reason = detail })
end

return M
