-- One host of bench/multihost_bench.lua: `lsrun multihost_child.lua
-- STATE N T0 SPREAD`: N named at() jobs spread over SPREAD seconds from
-- epoch T0 (the same names on every host: each run is claimed by one).
-- Prints "ready" once its jobs are scheduled.

local core = require "livestation.core"
local schedule = require "livestation.schedule"
local service = require "livestation.schedule.service"

local state, n, t0, spread = arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4])
service.start { state = state, grace = 5 }
schedule.open(state)
for i = 1, n do
  schedule.at(t0 + spread * (i - 1) / n, function() end, { name = string.format("t%05d", i) })
end
io.stdout:write("ready\n")
io.stdout:flush()
