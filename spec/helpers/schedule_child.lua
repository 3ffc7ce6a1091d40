-- A host script for the restart spec, run as `lsrun schedule_child.lua
-- STATE PORT AT`: named every, cron and at jobs and a webhook handler.
-- Every run and event leaves a count in the state, so the spec can tell
-- how many times each really ran. It prints "ready" once set up.

local core = require "livestation.core"
local schedule = require "livestation.schedule"
local service = require "livestation.schedule.service"

local state_path, port, at_time = arg[1], tonumber(arg[2]), tonumber(arg[3])
service.start { state = state_path, grace = 3 }

local function counted(job, busy)
  return function(run)
    core.sleep(busy)
    local key = string.format("ran:%s:%d", job, math.floor(run.scheduled * 1000 + 0.5))
    schedule.state.update(key, function(n) return (n or 0) + 1 end)
  end
end

local opts = { catch_up = "all", overlap = "queue", retry = { attempts = 5, backoff = 0.02 } }
local function with(name)
  local o = { name = name }
  for k, v in pairs(opts) do o[k] = v end
  return o
end

schedule.every(0.2, counted("tick", 0.05), with("tick"))
schedule.cron("* * * * * *", counted("sec", 0.1), with("sec"))
schedule.at(at_time, counted("once", 0.3), with("once"))
assert(schedule.webhook { port = port, path = "/cb", token = "child-token" })
schedule.on("*", function(ev)
  schedule.state.update("seen:" .. ev.id, function(n) return (n or 0) + 1 end)
end)

io.stdout:write("ready\n")
io.stdout:flush()
