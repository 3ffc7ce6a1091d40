-- Helpers for the schedule specs: temporary state files, captured log
-- lines, waiting for a condition on the loop, reading a journal.

local core = require "livestation.core"
local log = require "livestation.log"

local M = {}

local made = {}

-- The stores the journal, state and webhook specs run against.
M.BACKENDS = { "sqlite", "postgresql" }

local backend = "sqlite"

-- Chooses what tmp_state() makes: a file, or the test PostgreSQL.
function M.use(name)
  backend = name
end

-- Runs suite(name) inside a describe block once for each store in
-- BACKENDS, with tmp_state() making that store's locations.
function M.each_backend(suite)
  local busted = require "busted"
  local describe, setup, teardown = busted.describe, busted.setup, busted.teardown
  for _, name in ipairs(M.BACKENDS) do
    describe(name .. " store:", function()
      setup(function() M.use(name) end)
      teardown(function() M.use("sqlite") end)
      suite(name)
    end)
  end
end

-- A fresh store location: a state file path in a temporary directory
-- (removed by cleanup), or the test PostgreSQL emptied.
function M.tmp_state(name)
  if backend == "postgresql" then
    local pg = require "helpers.pg"
    pg.reset()
    return pg.url()
  end
  return M.tmp_file(name)
end

-- Runs one statement on the store at location (? placeholders), as a
-- host killed at that moment would have left it. Returns the rows.
function M.sql(location, q, ...)
  if backend == "postgresql" then return require("helpers.pg").sql(q, ...) end
  local db = assert(core.sqlite_open(location))
  local rows = assert(db:query(q, ...))
  db:close()
  return rows
end

-- A fresh state file path in a temporary directory (removed by cleanup).
function M.tmp_file(name)
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p '" .. dir .. "'"))
  made[#made + 1] = dir
  return dir .. "/" .. (name or "state.db"), dir
end

function M.cleanup()
  for _, dir in ipairs(made) do os.execute("rm -rf '" .. dir .. "'") end
  made = {}
end

-- Captures log lines at `level` (default info); returns the lines table
-- and a function that restores the previous sink and level.
function M.capture_log(level)
  local lines = {}
  local prev_level = log.level()
  log.set_level(level or "info")
  local prev = log.set_sink(function(line) lines[#lines + 1] = line end)
  return lines, function()
    log.set_sink(prev)
    log.set_level(prev_level)
  end
end

-- Lines containing every one of the plain strings given.
function M.grep(lines, ...)
  local out = {}
  local needles = { ... }
  for _, l in ipairs(lines) do
    local all = true
    for _, n in ipairs(needles) do
      if not l:find(n, 1, true) then all = false break end
    end
    if all then out[#out + 1] = l end
  end
  return out
end

-- Pumps the loop until cond() is true or timeout seconds pass; returns
-- whether it became true.
function M.wait_until(cond, timeout)
  local deadline = core.monotonic() + (timeout or 5)
  while not cond() do
    if core.monotonic() > deadline then return false end
    core.sleep(0.01)
  end
  return true
end

-- Rows of the journal of job in the store at location, read through the
-- store's own interface.
function M.journal(location, job)
  local store = assert(require("livestation.schedule.store").open(location))
  local rows = assert(store:runs(job))
  store:close()
  return rows
end

-- The contents of a file, or nil when it is not there.
function M.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- Starts `./lsrun SCRIPT ARGS...` in the background as host number n of a
-- kill -9 spec; returns its pid once it printed "ready". Its output is in
-- dir/out.n, its exit status lands in dir/rc.n (see wait_exit).
-- env: "NAME=value ..." set for the host alone.
function M.start_host(dir, n, script, args, env)
  local out = string.format("%s/out.%d", dir, n)
  os.remove(string.format("%s/rc.%d", dir, n))
  -- the shell may write the pid before the host's output is truncated:
  -- an earlier host's "ready" must not pass for this one's
  os.remove(out)
  os.execute(string.format(
    "sh -c '%s ./lsrun %s %s > %s 2>&1 & echo $! > %s/pid; wait $!; echo $? > %s/rc.%d' 2>/dev/null &",
    env and ("env " .. env) or "", script, args, out, dir, dir, n))
  local pid
  assert(M.wait_until(function()
    pid = pid or tonumber(M.read(dir .. "/pid") or "")
    return pid and ("\n" .. (M.read(out) or "")):find("\nready[^\n]*\n") ~= nil
  end, 15), "the host did not start: " .. tostring(M.read(out)))
  os.remove(dir .. "/pid")
  return pid
end

-- The exit status of host n, once the wrapper shell has written it whole.
function M.wait_exit(dir, n)
  local file = string.format("%s/rc.%d", dir, n)
  assert(M.wait_until(function() return (M.read(file) or ""):match("^%d+\n") end, 20),
    "the host did not exit")
  return tonumber(M.read(file):match("^%d+"))
end

-- A soak job's journal rows grouped by run: the rows of each scheduled
-- time, the times in order, and the step between due times (ms; nil for
-- an at job) of the soak child's every and cron jobs.
function M.runs_by_time(job, rows)
  local by_time, times = {}, {}
  for _, r in ipairs(rows) do
    if not by_time[r.scheduled_ms] then
      by_time[r.scheduled_ms] = {}
      times[#times + 1] = r.scheduled_ms
    end
    table.insert(by_time[r.scheduled_ms], r)
  end
  local step
  if job.kind == "every" then step = math.tointeger(tonumber(job.spec))
  elseif job.kind == "cron" then step = job.spec:find("^%*/2") and 2000 or 1000 end
  return by_time, times, step
end

-- Counts rows by outcome.
function M.outcomes(rows)
  local c = {}
  for _, r in ipairs(rows) do c[r.outcome] = (c[r.outcome] or 0) + 1 end
  return c
end

return M
