-- Jobs: the options a job takes, its place on the timers, what happens
-- when it is due (overlap policy), runs missed while the host was down or
-- late (catch-up policy), and, for a named job, picking up its journal
-- where the last host left it.

local log = require "livestation.log"
local run = require "livestation.schedule.run"
local when = require "livestation.schedule.when"

local M = {}

M.MAX_CATCH_UP = 1000 -- missed runs handled at most; older ones are dropped
-- A run interrupted this many times is settled, not run again: a run
-- that takes its host down each time must not keep a crash loop going.
M.MAX_INTERRUPTIONS = 5

local CATCH_UP = { skip = true, once = true, all = true }
local OVERLAP = { skip = true, queue = true, allow = true }
local KNOWN = { name = true, catch_up = true, jitter = true, overlap = true,
                timeout = true, retry = true, tz = true, rerun_interrupted = true }

-- Checks opts and fills in the defaults. Misuse raises.
function M.options(opts, fname)
  opts = opts or {}
  local function bad(msg) error(fname .. ": " .. msg, 4) end
  if type(opts) ~= "table" then bad("opts must be a table") end
  for k in pairs(opts) do
    if not KNOWN[k] then bad("unknown option '" .. tostring(k) .. "'") end
  end
  local o = {
    name = opts.name, catch_up = opts.catch_up or "skip", overlap = opts.overlap or "skip",
    jitter = opts.jitter or 0, timeout = opts.timeout,
    rerun_interrupted = opts.rerun_interrupted,
  }
  if o.rerun_interrupted == nil then o.rerun_interrupted = true end
  if type(o.rerun_interrupted) ~= "boolean" then bad("rerun_interrupted must be true or false") end
  if o.name ~= nil and (type(o.name) ~= "string" or o.name == "") then
    bad("name must be a non-empty string")
  end
  if not CATCH_UP[o.catch_up] then bad("catch_up must be 'skip', 'once' or 'all'") end
  if not OVERLAP[o.overlap] then bad("overlap must be 'skip', 'queue' or 'allow'") end
  -- written so that NaN fails too; infinite jitter would never run
  if type(o.jitter) ~= "number" or not (o.jitter >= 0 and o.jitter < math.huge) then
    bad("jitter must be seconds >= 0")
  end
  if o.timeout ~= nil and (type(o.timeout) ~= "number" or not (o.timeout > 0)) then
    bad("timeout must be seconds > 0")
  end
  local r = opts.retry or {}
  if type(r) ~= "table" then bad("retry must be a table {attempts=, backoff=}") end
  o.retry = { attempts = r.attempts or 1, backoff = r.backoff or 1 }
  if math.type(o.retry.attempts) ~= "integer" or o.retry.attempts < 1 then
    bad("retry.attempts must be an integer >= 1")
  end
  local b = o.retry.backoff
  if not (type(b) == "function" or (type(b) == "number" and b >= 0)) then
    bad("retry.backoff must be seconds >= 0 or a function(attempt)")
  end
  return o
end

local function iso(job, ms)
  return when.iso(ms / 1000, job.zone)
end

---------------------------------------------------------------- the queue

local function enqueue(job, item)
  local q = job.queue
  q.last = q.last + 1
  q[q.last] = item
end

local function queued(job)
  return job.queue.last - job.queue.first + 1
end

-- Starts the next queued run when nothing of this job runs.
function M.pump(S, job)
  if S.stopping or job.state == "cancelled" or job.active > 0 then return end
  local q = job.queue
  if q.first > q.last then return end
  local item = q[q.first]
  q[q.first] = nil
  q.first = q.first + 1
  run.start(S, job, item)
end

---------------------------------------------------------------- states

-- An at job with nothing left to do is done: it leaves the registry.
function M.maybe_done(S, job)
  if job.state ~= "scheduled" or job.entry or job.next_ms or job.active > 0 or queued(job) > 0 then
    return
  end
  job.state = "done"
  S.unregister(job)
end

function M.cancel(S, job)
  if job.state ~= "scheduled" then return false end
  job.state = "cancelled"
  if job.entry then S.timers:cancel(job.entry) end
  job.entry, job.next_ms = nil, nil
  while queued(job) > 0 do
    local item = job.queue[job.queue.first]
    job.queue[job.queue.first] = nil
    job.queue.first = job.queue.first + 1
    if item.attempt == 1 then run.skip(S, job, item.scheduled, "job cancelled") end
  end
  if job.name then S.write_later(function(store) return store:set_next(job.name, nil) end) end
  S.unregister(job)
  return true
end

---------------------------------------------------------------- due runs

-- What to do with a run that is due (overlap policy).
local function dispatch(S, job, scheduled)
  if job.active > 0 or queued(job) > 0 then
    if job.overlap == "skip" then
      return run.skip(S, job, scheduled, "overlap: the previous run had not finished")
    elseif job.overlap == "queue" then
      enqueue(job, { scheduled = scheduled, attempt = 1 })
      return M.pump(S, job)
    end
  end
  run.start(S, job, { scheduled = scheduled, attempt = 1 })
end

-- Missed runs (catch-up policy): skip records them, once runs the latest,
-- all runs each in turn.
local function handle_missed(S, job, missed, why)
  if #missed == 0 then return end
  local keep = job.catch_up == "all" and #missed or job.catch_up == "once" and 1 or 0
  log.warn("job missed runs", { job = job.label, count = #missed, why = why,
    first = iso(job, missed[1]), last = iso(job, missed[#missed]), catch_up = job.catch_up })
  for i, scheduled in ipairs(missed) do
    if i <= #missed - keep then
      run.skip(S, job, scheduled, "missed (" .. why .. ")")
    else
      enqueue(job, { scheduled = scheduled, attempt = 1 })
    end
  end
  M.pump(S, job)
end

-- Keeps the latest `max` entries of list (in place, amortised).
local function keep_latest(list, max)
  if #list >= 2 * max then
    table.move(list, #list - max + 1, #list, 1)
    for i = #list, max + 1, -1 do list[i] = nil end
  end
end

-- Due times after `after` up to `upto` (ms), at most MAX_CATCH_UP of the
-- latest; returns them and the first due time after upto.
local function due_between(job, after, upto)
  local max = M.MAX_CATCH_UP
  local tr = job.trigger
  local list, seen = {}, 0
  local first
  local t = tr:next(after)
  while t and t <= upto do
    first = first or t
    seen = seen + 1
    list[#list + 1] = t
    keep_latest(list, max)
    if seen == 100 * max then
      -- a long outage of a short interval: walk only the last stretch
      local step = (t - first) / (seen - 1)
      local from = math.max(t, upto - math.ceil(step * max * 2))
      seen = seen + math.floor((from - t) / step)
      list = {}
      t = tr:next(from)
      while t and t <= upto do
        seen = seen + 1
        list[#list + 1] = t
        keep_latest(list, max)
        t = tr:next(t)
      end
      break
    end
    t = tr:next(t)
  end
  if #list > max then list = table.move(list, #list - max + 1, #list, 1, {}) end
  if seen > #list then
    log.warn("job missed more runs than are caught up", { job = job.label, dropped = seen - #list })
  end
  return list, t
end

local on_due

-- Puts the run scheduled at `scheduled` (ms) on the timers, with jitter.
local function plan(S, job, scheduled)
  job.next_ms = scheduled
  if job.name then S.write_later(function(store) return store:set_next(job.name, scheduled) end) end
  if not scheduled then return M.maybe_done(S, job) end
  local fire = scheduled
  if job.jitter > 0 then fire = fire + math.floor(math.random() * job.jitter * 1000) end
  job.entry = S.timers:add(fire, on_due, job)
  job.entry.scheduled = scheduled
end

-- The timer callback: dispatch this run, handle those the host was too
-- late for (beyond the jitter), plan the next.
function on_due(e)
  local job = e.data
  local S = job.scheduler
  job.entry = nil
  if S.stopping or job.state ~= "scheduled" then return end
  local now = S.clock.now_ms()
  dispatch(S, job, e.scheduled)
  local late, nxt = due_between(job, e.scheduled, now - math.floor(job.jitter * 1000))
  handle_missed(S, job, late, "late")
  plan(S, job, nxt)
end

---------------------------------------------------------------- start

-- Queues the next attempt of each journal row that did not finish its
-- run (interrupted, or failed with a retry owed), when the retry policy
-- allows; else closes the row. On a shared journal the same row may be
-- seen again, and another host may claim the attempt first.
function M.resume(S, job, rows, now)
  local store = S.get_store()
  for _, r in ipairs(rows) do
    -- an interruption is not the job's failure: it runs again unless the
    -- job opts out or it keeps taking its host down
    local why
    local key = r.scheduled_ms .. ":" .. (r.attempt + 1)
    if r.outcome == "interrupted" or r.outcome == "cancelled" then
      if not job.rerun_interrupted then
        why = "not run again (rerun_interrupted = false)"
      elseif r.interruptions >= M.MAX_INTERRUPTIONS then
        why = string.format("not run again after %d interruptions", r.interruptions)
      end
    elseif r.failures >= job.retry.attempts then
      why = "no attempts left"
    end
    if job.owed[key] then
      -- queued here already
    elseif why then
      store:give_up(r.id, (r.detail or r.outcome) .. "; " .. why)
      log.warn("job run not retried", { job = job.label, scheduled = iso(job, r.scheduled_ms),
        attempt = r.attempt, outcome = r.outcome, reason = why })
    else
      job.owed[key] = true
      local not_before = r.retry_at and math.ceil(r.retry_at * 1000) or now
      enqueue(job, { scheduled = r.scheduled_ms, attempt = r.attempt + 1, failures = r.failures,
                     not_before = not_before })
      log.info("job run resumed", { job = job.label, scheduled = iso(job, r.scheduled_ms),
        attempt = r.attempt + 1, previous = r.outcome })
    end
  end
  M.pump(S, job)
end

-- On a journal shared by several hosts: attempts whose host died (their
-- lease expired) are marked interrupted and taken over by the retry rules,
-- for every named job this host knows, finished here or not.
function M.take_over(S)
  local store = S.get_store()
  local now = S.clock.now_ms()
  local ok = store:interrupt_runs(nil, now / 1000)
  if not ok then return end
  local rows = store:unfinished_runs(nil)
  if not rows then return end
  local by_job = {}
  for _, r in ipairs(rows) do
    local job = S.known[r.job]
    if job and job.state ~= "cancelled" then
      by_job[job] = by_job[job] or {}
      table.insert(by_job[job], r)
    end
  end
  for job, list in pairs(by_job) do M.resume(S, job, list, now) end
end

-- Picks up a named job's journal: interrupted runs and owed retries,
-- then runs missed while the host was down. Returns the time to plan
-- from, or for an at job whether its run is still to come.
local function recover(S, job, now)
  local store = S.get_store()
  local tr = job.trigger
  local row = store:get_job(job.name)
  local fresh = not row or row.kind ~= tr.kind or row.spec ~= tr.spec
    or (row.tz or "") ~= (tr.tz or "")
  local anchor = fresh and now or row.anchor_ms
  if fresh then
    -- a host sharing the store may have recorded it first: its anchor wins
    local stored, err = store:put_job(job.name, tr.kind, tr.spec, tr.tz, anchor)
    if not stored then error("cannot record job '" .. job.name .. "': " .. tostring(err), 0) end
    anchor = stored
    if row then log.info("job schedule changed; it starts anew", { job = job.label }) end
  end
  tr.anchor = anchor
  store:interrupt_runs(job.name, now / 1000)
  M.resume(S, job, store:unfinished_runs(job.name) or {}, now)
  local last = store:last_scheduled(job.name)
  job.last = nil
  local lr = store:last_run(job.name)
  if lr then
    job.last = { scheduled = lr.scheduled_ms / 1000, started = lr.started, finished = lr.finished,
                 outcome = lr.outcome, attempt = lr.attempt, error = lr.detail }
  end
  if tr.kind == "at" then
    if store:has_run(job.name, tr.at_ms) or tr.at_ms > now then return nil end
    if fresh then return nil end -- new job, time already past: due at once
    handle_missed(S, job, { tr.at_ms }, "host down")
    return false
  end
  if fresh then return now end
  local from = math.max(anchor, last or anchor)
  local missed, _ = due_between(job, from, now)
  handle_missed(S, job, missed, "host down")
  return math.max(from, now)
end

-- Creates, registers and schedules a job. kind/trigger from the API
-- function; opts already checked.
function M.create(S, trigger, fn, o)
  local job = {
    scheduler = S, id = S.next_id(), name = o.name, kind = trigger.kind, trigger = trigger,
    zone = trigger.zone, fn = fn, catch_up = o.catch_up, overlap = o.overlap, jitter = o.jitter,
    timeout = o.timeout, retry = o.retry, rerun_interrupted = o.rerun_interrupted,
    state = "scheduled", active = 0,
    queue = { first = 1, last = 0 }, owed = {},
  }
  job.label = job.name or ("#" .. job.id .. " " .. trigger.label)
  S.register(job)
  local now = S.clock.now_ms()
  local from = now
  if job.name then
    local ok, r = pcall(recover, S, job, now)
    if not ok then
      S.unregister(job)
      error(r, 0)
    end
    from = r
  elseif trigger.kind == "every" then
    trigger.anchor = now
  end
  if trigger.kind == "at" then
    -- in the journal already (done, or resumed above), or handled as
    -- missed: nothing to plan; else its time, at once when already past
    local known = from == false
      or (job.name and S.get_store():has_run(job.name, trigger.at_ms))
    plan(S, job, not known and trigger.at_ms or nil)
  else
    plan(S, job, trigger:next(from))
  end
  return job
end

M.dispatch = dispatch

return M
