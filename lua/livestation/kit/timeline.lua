-- A workflow as phases at fixed times (prepare, start, ..., finish), run
-- by named livestation.at jobs, each phase a durable step of the workflow.
--
-- Each phase's job runs, in order and under one lock, every earlier phase
-- not yet done, then its own: after a restart several jobs may be due at
-- once, and a phase never runs before the ones it depends on. A phase is
-- a step, done when it ends, so it never runs twice; jobs
-- whose time passed while the host was down run once when it is back
-- (catch_up "once"), and an interrupted or failed run is tried again.
--
--   local ok, err = timeline.run {
--     name = "broadcast:show@host", workflow = wf, progress = p,
--     phases = { { name = "start", at = t, run = function(ctx) ... end }, ... },
--   }

local livestation = require "livestation"
local time = livestation.time
local lock_mod = require "livestation.kit.lock"

local M = {}

M.RETRY = { attempts = 4, backoff = 5 }
M.LATE = 5 -- seconds late before a run says so

-- Phases not yet done, by name.
function M.pending(o)
  local out = {}
  for _, ph in ipairs(o.phases) do
    if not o.workflow:done("phase." .. ph.name) then out[#out + 1] = ph.name end
  end
  return out
end

function M.finished(o)
  return o.workflow:done("phase." .. o.phases[#o.phases].name)
end

-- Runs phases 1..upto not done yet; ctx goes to each run function.
local function advance(o, upto, ctx)
  return o.lock:with(function()
    for i = 1, upto do
      local ph = o.phases[i]
      local key = "phase." .. ph.name
      o.workflow:step(key, function()
        ph.run(ctx or {})
        return true
      end)
    end
  end)
end

local function job_fn(o, i)
  return function(ctx)
    local ph = o.phases[i]
    if ctx.lateness and ctx.lateness > M.LATE and not o.workflow:done("phase." .. ph.name) then
      o.progress:say("%s is due since %s (%s ago): running it now", ph.name,
        time.clock(ctx.scheduled, o.zone), time.span(ctx.lateness))
    end
    local ok, err = pcall(advance, o, i, ctx)
    if not ok then
      o.progress:say("%s failed: %s", ph.name, tostring(err))
      error(err, 0)
    end
  end
end

-- How many of this timeline's jobs are still to run (or running).
local function live_jobs(o)
  local n, prefix = 0, o.name .. ":"
  for _, job in ipairs(livestation.jobs()) do
    if job.name and job.name:sub(1, #prefix) == prefix then n = n + 1 end
  end
  return n
end

-- Registers the jobs and waits until the last phase is done. Returns
-- true, or nil and the error that stopped it.
function M.run(o)
  o.lock = o.lock or lock_mod.new()
  local jobs = {}
  for i, ph in ipairs(o.phases) do
    jobs[i] = livestation.at(ph.at, job_fn(o, i), {
      name = o.name .. ":" .. ph.name, catch_up = "once", retry = o.retry or M.RETRY,
    })
  end
  while not M.finished(o) do
    if live_jobs(o) == 0 then
      -- every job has had its runs and the last phase is still not done:
      -- a phase failed on each attempt (or on an earlier start); try once more
      local ok, err = pcall(advance, o, #o.phases)
      if not ok then return nil, err end
    else
      livestation.sleep(0.5)
    end
  end
  for _, job in ipairs(jobs) do job.cancel() end
  return true
end

return M
