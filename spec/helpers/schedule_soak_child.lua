-- A host script for the soak spec, run as `lsrun schedule_soak_child.lua
-- STATE LOG AT0`: 100 named jobs (every, cron, at). Each run appends
-- "job scheduled_ms" to LOG, a file outside the state store, as its last
-- act: the spec counts there how often each run really happened.

local core = require "livestation.core"
local schedule = require "livestation.schedule"
local service = require "livestation.schedule.service"

local state_path, log_path, at0 = arg[1], arg[2], tonumber(arg[3])
service.start { state = state_path, grace = 3 }

local function counted(name)
  return function(run)
    core.sleep(0.02 + (run.attempt % 3) * 0.03)
    local f = assert(io.open(log_path, "a"))
    f:write(string.format("%s %d\n", name, math.floor(run.scheduled * 1000 + 0.5)))
    f:close()
  end
end

local function opts(name)
  return { name = name, catch_up = "all", overlap = "queue", retry = { attempts = 3, backoff = 0.05 } }
end

for i = 1, 40 do
  local name = string.format("every%02d", i)
  schedule.every(({ 0.5, 0.7, 1 })[i % 3 + 1], counted(name), opts(name))
end
for i = 1, 40 do
  local name = string.format("cron%02d", i)
  schedule.cron(i % 2 == 0 and "* * * * * *" or "*/2 * * * * *", counted(name), opts(name))
end
for i = 1, 20 do
  local name = string.format("at%02d", i)
  schedule.at(at0 + i * 0.4, counted(name), opts(name))
end

io.stdout:write("ready\n")
io.stdout:flush()
