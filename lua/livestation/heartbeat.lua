-- The event loop's pulse: one small task that wakes every interval and
-- notes when. Lua that never yields wedges the loop and stops it, so its
-- age tells whether the loop turns (/healthz), and the systemd watchdog
-- is pinged from it (systemd.lua). The task does not keep the loop going.

local core = require "livestation.core"
local log = require "livestation.log"

local M = {}

M.INTERVAL = 1 -- seconds between beats unless someone needs them closer

local task, last
local interval = M.INTERVAL
local listeners = {}

local function beat()
  while true do
    last = core.monotonic()
    for _, fn in ipairs(listeners) do
      local ok, err = pcall(fn)
      if not ok then log.error("heartbeat listener failed", { error = tostring(err) }) end
    end
    core.sleep(interval)
  end
end

-- Starts the beat (once); seconds, when shorter than the current
-- interval, makes beats that close from the next one on.
function M.start(seconds)
  if seconds and seconds > 0 and seconds < interval then interval = seconds end
  if task then return end
  last = core.monotonic()
  task = core.spawn(beat)
  task:unref()
end

-- fn() runs at every beat, from the loop.
function M.on_beat(fn)
  listeners[#listeners + 1] = fn
end

function M.interval()
  return interval
end

-- Seconds since the last beat, or nil when not started.
function M.age()
  return last and core.monotonic() - last or nil
end

function M.stop()
  if task then task:cancel() end
  task, last, interval, listeners = nil, nil, M.INTERVAL, {}
end

return M
