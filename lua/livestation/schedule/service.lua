-- What the host (lsrun) calls around a script: choose the state file,
-- turn SIGTERM/SIGINT into a graceful shutdown, tell systemd how it goes
-- (livestation.systemd), report whether any run failed.
--
--   service.start{ state = FILE, grace = 10 }   before the script runs
--   core.run()
--   local failed = service.finish()             after the loop returns

local core = require "livestation.core"

-- The scheduler is loaded by the script that uses it (or by --state);
-- a script that never schedules has no jobs to stop or count, and lsrun
-- starts without loading it.
local function loaded_schedule()
  return package.loaded["livestation.schedule"]
end

-- systemd's side (livestation.systemd) is loaded only under systemd.
local function systemd_stopping()
  local systemd = package.loaded["livestation.systemd"]
  if systemd then systemd.stopping() end
end

local M = {}

M.DEFAULT_GRACE = 10

local handles = {}
local signalled = false
local grace_now = M.DEFAULT_GRACE

M.SIGNAL_NUMBERS = { INT = 2, TERM = 15 }

local POLL = 0.02 -- seconds between looks at the tasks still going

-- First TERM/INT: no new runs; running ones, and the script's own tasks,
-- get `grace` seconds (a task that never yields is sliced by the core's
-- watchdog meanwhile); then the loop stops and what is left is cancelled.
-- A second one: everything is cancelled and the loop stops.
local function on_signal(name, grace)
  local log = require "livestation.log"
  local schedule = loaded_schedule()
  if signalled then
    log.warn("second signal: stopping now", { signal = name })
    systemd_stopping()
    if schedule then schedule.shutdown(0) end
    core.stop()
    return
  end
  signalled = name
  systemd_stopping()
  local deadline = core.monotonic() + grace
  log.warn("signal: shutting down; a second signal stops at once", { signal = name, grace = grace })
  if schedule then schedule.shutdown(grace) end
  -- this handler is one of the tasks that keep the loop going
  while core.stats().ref_tasks > 1 and core.monotonic() < deadline do
    core.sleep(math.min(POLL, math.max(0, deadline - core.monotonic())))
  end
  core.stop()
end

-- opts: state (the state file; default $LIVESTATION_STATE or
-- ./livestation-state.db, opened only when a named job, state or a
-- webhook needs it), grace (seconds, default 10), signals (default true).
-- Under systemd (Type=notify) it says READY=1 once the loop turns and
-- pings the watchdog. Calling it again changes the state file and grace;
-- the signal handlers are installed once.
function M.start(opts)
  opts = opts or {}
  local grace = opts.grace or grace_now
  if type(grace) ~= "number" or grace < 0 then error("service.start: grace must be seconds >= 0", 2) end
  grace_now = grace
  if opts.state then require("livestation.schedule").open(opts.state) end
  if opts.signals ~= false and #handles == 0 then
    signalled = false
    for _, name in ipairs { "TERM", "INT" } do
      handles[#handles + 1] = core.on_signal(name, function(sig) on_signal(sig, grace_now) end)
    end
  end
  if os.getenv("NOTIFY_SOCKET") then require("livestation.systemd").start() end
end

-- The name of the signal ("TERM", "INT") that asked the host to stop,
-- or false.
function M.signalled()
  return signalled
end

-- The exit status a shell expects of a process a signal stopped
-- (128 + its number), or nil.
function M.signal_status()
  return signalled and 128 + M.SIGNAL_NUMBERS[signalled] or nil
end

-- After the loop: closes the signal handlers and the state file. Returns
-- the number of runs and event handlers that did not end well (failed,
-- timed out, cancelled by shutdown); the host exits 1 when it is not 0.
-- Also returns the state file when the script kept state in one (named
-- jobs, state, webhook events), for the host's "how to resume" line.
function M.finish()
  local systemd = package.loaded["livestation.systemd"]
  if systemd then systemd.stop() end
  for _, h in ipairs(handles) do h:close() end
  handles = {}
  local heartbeat = package.loaded["livestation.heartbeat"]
  if heartbeat then heartbeat.stop() end
  local schedule = loaded_schedule()
  if not schedule then return 0 end
  local failures = schedule.failures()
  local kept = schedule.state_opened()
  schedule.close()
  return failures, kept
end

return M
