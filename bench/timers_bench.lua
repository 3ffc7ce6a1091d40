-- Benchmark (not a test): how late 10,000 timers fire, and how much CPU
-- an idle host holding 10,000 scheduled jobs uses.
--
--   ./lsrun bench/timers_bench.lua        (or lua5.4 from the checkout)

if not package.searchpath("livestation.schedule", package.path) then
  package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
  package.cpath = "./?.so;" .. package.cpath
end

local core = require "livestation.core"
local schedule = require "livestation.schedule"

local N = 10000

local function percentile(sorted, p)
  return sorted[math.max(1, math.ceil(#sorted * p))]
end

local function report(title, late)
  table.sort(late)
  print(string.format("%-44s n=%d  median %.2f ms  p99 %.2f ms  max %.2f ms", title, #late,
    percentile(late, 0.5) * 1000, percentile(late, 0.99) * 1000, late[#late] * 1000))
end

-- N at() jobs spread over `spread` seconds (all at once when 0); returns
-- each run's lateness (start of the run minus its scheduled time).
local function lateness(spread)
  local S = schedule.new { state = os.tmpname() }
  local late = {}
  local t0 = core.now() + 0.5
  for i = 1, N do
    S.at(t0 + spread * (i - 1) / N, function(run) late[#late + 1] = run.lateness end)
  end
  while #late < N do core.sleep(0.05) end
  S.close()
  os.remove(S.state_file())
  return late
end

-- CPU seconds (os.clock) used over `seconds` of wall time while N jobs
-- wait; their first runs are an hour away.
local function idle_cpu(seconds, named)
  local path = os.tmpname()
  local S = schedule.new { state = path }
  local t = core.monotonic()
  for i = 1, N do
    local opts = named and { name = "job" .. i } or nil
    if i % 2 == 0 then
      S.every(3600 + i, function() end, opts)
    else
      S.cron(string.format("%d %d * * *", i % 60, (core.now() // 3600 + 2) % 24), function() end, opts)
    end
  end
  local setup = core.monotonic() - t
  local c0 = os.clock()
  core.sleep(seconds)
  local cpu = os.clock() - c0
  S.close()
  os.remove(path)
  os.remove(path .. "-wal")
  os.remove(path .. "-shm")
  return cpu, setup
end

print(string.format("livestation %s, %d timers", core.version, N))
report("lateness, spread over 2 s", lateness(2))
report("lateness, all due at the same moment", lateness(0))
for _, named in ipairs { false, true } do
  local cpu, setup = idle_cpu(3, named)
  print(string.format("idle, %d %s jobs: %.3f s CPU in 3 s (%.2f%%); scheduling them took %.2f s",
    N, named and "named" or "unnamed", cpu, cpu / 3 * 100, setup))
end
