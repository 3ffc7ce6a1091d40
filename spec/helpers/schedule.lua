-- Helpers for the schedule specs: temporary state files, captured log
-- lines, waiting for a condition on the loop, reading a journal.

local core = require "livestation.core"
local log = require "livestation.log"

local M = {}

local made = {}

-- A fresh state file path in a temporary directory (removed by cleanup).
function M.tmp_state(name)
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

-- Rows of the journal of job in the state file at path.
function M.journal(path, job)
  local db = assert(core.sqlite_open(path))
  local rows = assert(db:query("SELECT * FROM runs WHERE job = ? ORDER BY scheduled_ms, attempt", job))
  db:close()
  return rows
end

-- Counts rows by outcome.
function M.outcomes(rows)
  local c = {}
  for _, r in ipairs(rows) do c[r.outcome] = (c[r.outcome] or 0) + 1 end
  return c
end

return M
