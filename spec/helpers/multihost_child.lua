-- A host for the multi-host specs, run as
--   lsrun multihost_child.lua STATE update N     N state.update increments
--   lsrun multihost_child.lua STATE webhook LOG [slow]
--       a receiver; each handled event appends its id to LOG (slow: after
--       an hour, as a host that dies while it handles the event)
-- It prints "ready" (and the receiver's URL) when it is set up.

local core = require "livestation.core"
local schedule = require "livestation.schedule"
local service = require "livestation.schedule.service"

local state, mode, arg3, slow = arg[1], arg[2], arg[3], arg[4] == "slow"
service.start { state = state, grace = 1 }

if mode == "update" then
  io.stdout:write("ready\n")
  io.stdout:flush()
  for _ = 1, tonumber(arg3) do
    assert(schedule.state.update("counter", function(n) return (n or 0) + 1 end))
  end
  io.stdout:write("done\n")
elseif mode == "webhook" then
  schedule.on("*", function(ev)
    if slow then core.sleep(3600) end
    local f = assert(io.open(arg3, "a"))
    f:write(ev.id, "\n")
    f:close()
  end)
  local recv = assert(schedule.webhook { path = "/hook" })
  io.stdout:write("ready ", recv.url(), "\n")
  io.stdout:flush()
  core.sleep(3600)
end
