-- A host script for the signal specs, run as `lsrun
-- schedule_signal_child.lua STATE BUSY GRACE`: one named run that lasts
-- BUSY seconds. Prints "running" when the run has started.

local core = require "livestation.core"
local schedule = require "livestation.schedule"
local service = require "livestation.schedule.service"

local state_path, busy, grace = arg[1], tonumber(arg[2]), tonumber(arg[3])
service.start { state = state_path, grace = grace }

schedule.at(core.now(), function()
  io.stdout:write("running\n")
  io.stdout:flush()
  core.sleep(busy)
  schedule.state.set("finished", true)
end, { name = "long" })
