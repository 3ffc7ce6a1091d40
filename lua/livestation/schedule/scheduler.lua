-- A scheduler: the jobs, timers, runs, state file, webhook receivers and
-- shutdown of one host. livestation.schedule keeps a default one; tests
-- make their own (a restart is a new scheduler on the same state file).
--
-- Its functions are plain fields (S.at(...), not S:at(...)) so they can be
-- handed out as livestation.at and friends.

local core = require "livestation.core"
local job_mod = require "livestation.schedule.job"
local run_mod = require "livestation.schedule.run"
local log = require "livestation.log"
local state_mod = require "livestation.schedule.state"
local store_mod = require "livestation.schedule.store"
local timers_mod = require "livestation.schedule.timers"
local triggers = require "livestation.schedule.triggers"
local webhook_mod = require "livestation.schedule.webhook"
local when = require "livestation.schedule.when"
local zone = require "livestation.schedule.zone"
local cron = require "livestation.schedule.cron"

local M = {}

local SHUTDOWN_POLL = 0.02 -- seconds between looks at the runs still going
M.RECENT_FAILURES = 20     -- kept for the status page
M.DUE_COUNT_CAP = 100000   -- runs counted per job when asked what is due
M.MAX_STORE_WAIT = 2 -- seconds between tries while a shared store is away
M.FLUSH_WAIT = 5 -- seconds close() waits for writes on their way to a shared store

-- The public face of a job: fields id, name, kind, label; functions that
-- work called with . or :.
local function job_handle(S, job)
  local h = { id = job.id, name = job.name, kind = job.kind, label = job.label,
              schedule = job.trigger.label }
  function h.cancel() return job_mod.cancel(S, job) end
  function h.next_run() return job.next_ms and job.next_ms / 1000 or nil end
  function h.last_run()
    if not job.last then return nil end
    local c = {}
    for k, v in pairs(job.last) do c[k] = v end
    return c
  end
  function h.status()
    if job.state == "scheduled" and job.active > 0 then return "running" end
    return job.state
  end
  function h.running() return job.active end
  job.handle = h
  return h
end

-- opts: state (path of the state file; default $LIVESTATION_STATE or
-- ./livestation-state.db, opened when first needed).
function M.new(opts)
  opts = opts or {}
  local S = {
    clock = timers_mod.real_clock,
    state_path = opts.state,
    registry = {},      -- id -> job
    by_name = {},
    known = {},         -- name -> the latest job of that name, even done
    runs = {},          -- run -> true, while its runner lives
    writes = {},        -- task -> true, while a write to a shared store is on its way
    counts = { ok = 0, failed = 0, timeout = 0, cancelled = 0, skipped = 0 },
    stopping = false,
  }
  S.timers = timers_mod.new(S.clock)
  local last_id, last_run_id = 0, 0
  local store
  local recent = {} -- the latest failed runs, newest last

  ---------------------------------------------------------------- internals

  function S.next_id()
    last_id = last_id + 1
    return last_id
  end

  function S.next_run_id()
    last_run_id = last_run_id + 1
    return last_run_id
  end

  -- Remembers a run that did not end well: job, and its last table.
  function S.note_failure(job, last)
    local f = { job = job.label }
    for k, v in pairs(last) do f[k] = v end
    recent[#recent + 1] = f
    if #recent > M.RECENT_FAILURES then table.remove(recent, 1) end
  end

  -- The latest failed runs, newest first.
  function S.recent_failures()
    local out = {}
    for i = #recent, 1, -1 do out[#out + 1] = recent[i] end
    return out
  end

  function S.count(outcome)
    S.counts[outcome] = (S.counts[outcome] or 0) + 1
  end

  function S.register(job)
    if job.name then
      if S.by_name[job.name] then
        error("a job named '" .. job.name .. "' is already scheduled", 0)
      end
      S.by_name[job.name] = job
      S.known[job.name] = job
    end
    S.registry[job.id] = job
  end

  function S.unregister(job)
    S.registry[job.id] = nil
    if job.name and S.by_name[job.name] == job then S.by_name[job.name] = nil end
  end

  function S.after_run(job)
    job_mod.pump(S, job)
    job_mod.maybe_done(S, job)
  end

  -- The open store; opens the state file on first use. Raises when it
  -- cannot: a named job or state without its file cannot keep its promise.
  local opening = false
  function S.get_store()
    if store and store:is_open() then return store end
    -- a database is opened over the network: other tasks wait for it
    -- instead of opening one each
    while opening do core.sleep(0.005) end
    if store and store:is_open() then return store end
    opening = true
    local ok, st, err = pcall(store_mod.open, S.state_path)
    opening = false
    if not ok then error(st, 0) end
    if not st then error(err, 0) end
    store = st
    S.state_path = store.path
    if store.shared then S.start_watch(store) end
    return store
  end

  -- Calls fn(store) until the store answers: a shared database may be
  -- away for a while, and what a run did must be recorded when it is
  -- back, not lost. Returns what fn returns.
  function S.persist(fn, st)
    st = st or S.get_store()
    local wait = 0.05
    while true do
      local r = table.pack(fn(st))
      if r[1] ~= nil or r[3] ~= "unavailable" or not st:is_open() then
        return table.unpack(r, 1, r.n)
      end
      core.sleep(wait)
      wait = math.min(wait * 2, M.MAX_STORE_WAIT)
    end
  end

  -- Writes fn(store) without waiting for it: at once on a file of this
  -- host, in a task of its own on a shared database (the caller is a
  -- timer or a cleanup that must not wait).
  function S.write_later(fn)
    local st = S.get_store()
    if not st.shared then return fn(st) end
    local t
    t = core.spawn(function()
      S.persist(fn, st)
      S.writes[t] = nil
    end)
    S.writes[t] = true
    t:unref()
  end

  -- Waits (at most `seconds`) for the writes still on their way to a
  -- shared store; cancels those that could not land.
  local function flush_writes(seconds)
    local deadline = core.monotonic() + seconds
    while next(S.writes) and core.monotonic() < deadline do core.sleep(0.01) end
    for t in pairs(S.writes) do t:cancel() end
    S.writes = {}
  end

  -- On a shared store: every half lease, take over the runs and events
  -- of hosts that died. Does not keep the loop going by itself.
  function S.start_watch(st)
    if S.watcher then S.watcher:cancel() end
    S.watcher = core.spawn(function()
      while not S.stopping and st:is_open() do
        core.sleep(st.lease / 2)
        if S.stopping or not st:is_open() then return end
        local ok, err = pcall(job_mod.take_over, S)
        if not ok then log.error("taking over runs failed", { error = tostring(err) }) end
        ok, err = pcall(S.redeliver_events)
        if not ok then log.error("taking over events failed", { error = tostring(err) }) end
      end
    end)
    S.watcher:unref()
  end

  ---------------------------------------------------------------- the API

  -- Chooses the state file (before anything uses it, or to switch files
  -- when no named job is scheduled). Returns the path.
  function S.open(path)
    path = path or store_mod.default_path()
    if store and store:is_open() then
      if store.path == path then return path end
      if next(S.by_name) then
        error("open: named jobs are using " .. store.path .. "; cannot switch state files", 2)
      end
      store:close()
    end
    S.state_path = path
    S.get_store()
    return path
  end

  function S.state_file()
    return S.state_path or store_mod.default_path()
  end

  -- The state file's location once something used it, else nil.
  function S.state_opened()
    return store and store.path or nil
  end

  local function check_fn(fn, fname)
    if type(fn) ~= "function" then error(fname .. ": fn must be a function", 3) end
  end

  local function check_running(fname)
    if S.stopping then error(fname .. ": the scheduler is shutting down", 3) end
  end

  local function make(trigger, fn, o)
    local ok, job = pcall(job_mod.create, S, trigger, fn, o)
    if not ok then error(job, 3) end
    return job_handle(S, job)
  end

  -- at(when, fn, opts): once, at epoch seconds, ISO-8601 text or a date
  -- table (read in opts.tz or the host's zone).
  function S.at(when_, fn, opts)
    check_fn(fn, "at")
    check_running("at")
    local o = job_mod.options(opts, "at")
    local z = zone.resolve(opts and opts.tz, 2)
    local t, err = when.parse(when_, z)
    if not t then error("at: " .. err, 2) end
    local tr = triggers.at(math.floor(t * 1000 + 0.5), z)
    return make(tr, fn, o)
  end

  -- every(seconds, fn, opts): every interval (fractions allowed, 1 ms at
  -- least), the first run one interval from now.
  function S.every(seconds, fn, opts)
    check_fn(fn, "every")
    check_running("every")
    if type(seconds) ~= "number" or seconds < 0.001 or seconds ~= seconds or seconds == math.huge then
      error("every: seconds must be a number >= 0.001", 2)
    end
    local o = job_mod.options(opts, "every")
    local z = zone.resolve(opts and opts.tz, 2)
    return make(triggers.every(math.floor(seconds * 1000 + 0.5), z), fn, o)
  end

  -- cron(expr, fn, opts): a cron expression in opts.tz (default the
  -- host's zone).
  function S.cron(expr, fn, opts)
    check_fn(fn, "cron")
    check_running("cron")
    local o = job_mod.options(opts, "cron")
    local z = zone.resolve(opts and opts.tz, 2)
    local spec, err = cron.parse(expr)
    if not spec then error(err, 2) end
    local tr = triggers.cron(spec, z)
    if not tr:next(S.clock.now_ms()) then
      error("cron: '" .. expr .. "' never fires", 2)
    end
    return make(tr, fn, o)
  end

  -- Scheduled jobs (not done, not cancelled), in the order they were made.
  function S.jobs()
    local list = {}
    for _, job in pairs(S.registry) do list[#list + 1] = job end
    table.sort(list, function(a, b) return a.id < b.id end)
    for i, job in ipairs(list) do list[i] = job.handle end
    return list
  end

  -- Runs due within `seconds` from now, per scheduled job label.
  function S.due_within(seconds)
    local now = S.clock.now_ms()
    local limit = now + math.floor(seconds * 1000)
    local out = {}
    for _, job in pairs(S.registry) do
      local n, t = 0, job.next_ms
      local tr = job.trigger
      if t and t <= limit and tr.kind == "every" then
        n = (limit - t) // tr.interval + 1
      else
        while t and t <= limit and n < M.DUE_COUNT_CAP do
          n = n + 1
          t = tr:next(t)
        end
      end
      out[job.label] = n
    end
    return out
  end

  -- Whether the state file answers: true, "closed" (not opened: nothing
  -- needed it yet), or nil, message.
  function S.check_store()
    if not (store and store:is_open()) then return "closed" end
    if store.ping then return store:ping() end
    local rows, err = store:jobs() -- a store without ping(): a read must do
    if not rows then return nil, err end
    return true
  end

  -- The open store, or nil; never opens one.
  function S.open_store()
    return store and store:is_open() and store or nil
  end

  S.state = state_mod.new(S.get_store)

  local hooks = webhook_mod.new(S)
  S.webhook = hooks.webhook
  S.on = hooks.on
  S.redeliver_events = hooks.redeliver_if_listening

  ---------------------------------------------------------------- stopping

  -- Runs whose final outcome was not ok: failed, timed out, or cancelled
  -- by shutdown; plus event handlers that failed.
  function S.failures()
    local c = S.counts
    return c.failed + c.timeout + c.cancelled + (c.handler_failed or 0)
  end

  function S.stats()
    local c = {}
    for k, v in pairs(S.counts) do c[k] = v end
    local n = 0
    for _ in pairs(S.runs) do n = n + 1 end
    c.running = n
    local j = 0
    for _ in pairs(S.registry) do j = j + 1 end
    c.jobs = j
    c.timers = S.timers:count()
    return c
  end

  local function cancel_all()
    for r in pairs(S.runs) do run_mod.cancel(S, r) end
    hooks.cancel_all()
  end

  local function busy()
    return next(S.runs) ~= nil or hooks.busy()
  end

  -- shutdown(grace): no new runs start and receivers close; runs going
  -- on get grace seconds, then are cancelled. Called again (a second
  -- signal), it cancels at once. Returns true when every run of this
  -- host ended well (failures() == 0).
  function S.shutdown(grace)
    grace = grace or 0
    if S.stopping then
      S.forced = true
      cancel_all()
      return S.failures() == 0
    end
    S.stopping = true
    if S.watcher then S.watcher:cancel() end
    S.watcher = nil
    S.timers:close()
    for _, job in pairs(S.registry) do job.entry = nil end
    hooks.close_receivers()
    -- runs waiting (a retry's pause, a queued start) need no grace
    for r in pairs(S.runs) do
      if r.phase ~= "running" then run_mod.cancel(S, r) end
    end
    local deadline = core.monotonic() + grace
    if busy() then
      log.warn("shutting down: waiting for runs to finish", { grace = grace })
    end
    while busy() and not S.forced and core.monotonic() < deadline do
      core.sleep(math.min(SHUTDOWN_POLL, math.max(0, deadline - core.monotonic())))
    end
    if busy() then
      log.warn("shutting down: cancelling what is still running")
      cancel_all()
    end
    return S.failures() == 0
  end

  -- Shuts down at once and closes the state file.
  function S.close()
    if not S.stopping then S.shutdown(0) else cancel_all() end
    flush_writes(M.FLUSH_WAIT)
    if store then store:close() end
  end

  return S
end

return M
