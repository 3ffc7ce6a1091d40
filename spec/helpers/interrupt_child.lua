-- A child for interrupt_spec, run by lsrun or a plain lua5.4:
--   spin        a script that never yields
--   spin_state  the same, after keeping a value in the state file
--   task_spin   (plain lua5.4) a task that never yields, under core.run()
--   sleep       (plain lua5.4) the main chunk waiting in core.sleep
--   handler     (lsrun) a server whose handler never yields, and a
--               request to it
-- Prints "ready" before it spins or waits.

local core = require "livestation.core"
local mode = ...

local function ready()
  io.stdout:write("ready\n")
  io.stdout:flush()
end

if mode == "spin_state" then
  require("livestation.schedule").state.set("step", 1)
end
if mode == "spin" or mode == "spin_state" then
  ready()
  local n = 0
  while true do n = n + 1 end
elseif mode == "task_spin" then
  core.spawn(function()
    ready()
    while true do end
  end)
  core.run()
elseif mode == "sleep" then
  ready()
  core.sleep(30)
elseif mode == "handler" then
  local srv = core.http_server { port = 0, handler = function()
    ready()
    while true do end
  end }
  core.http_request { url = srv:url(), timeout = 60 }
end
