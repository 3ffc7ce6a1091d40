-- lsrun as a systemd service (Type=notify, sd_notify(3)): READY=1 once
-- the event loop turns, WATCHDOG=1 from the loop at half of WatchdogSec=
-- (a wedged loop stops pinging and systemd restarts the service), and
-- STOPPING=1 when it shuts down. With no $NOTIFY_SOCKET nothing is sent.

local core = require "livestation.core"
local heartbeat = require "livestation.heartbeat"
local log = require "livestation.log"

local M = {}

local started, stopping, warned = false, false, false

local function send(state)
  local ok, err = core.notify(state)
  if ok == nil and not warned then
    warned = true -- once: a broken socket must not flood the log
    log.warn("systemd notify failed", { error = err })
  end
  return ok
end

-- True when systemd listens for this process's notifications.
function M.enabled()
  local s = os.getenv("NOTIFY_SOCKET")
  return s ~= nil and s ~= ""
end

-- Seconds between watchdog pings, or nil when no watchdog is asked for.
function M.watchdog_interval()
  local usec = core.watchdog_usec()
  return usec and usec / 2e6 or nil
end

function M.start()
  if started or not M.enabled() then return end
  started, stopping = true, false
  local ping = M.watchdog_interval()
  local ready = false
  heartbeat.on_beat(function()
    if stopping then return end
    if not ready then
      ready = true
      send("READY=1\nSTATUS=running")
    end
    if ping then send("WATCHDOG=1") end
  end)
  heartbeat.start(ping)
  log.info("systemd notify", { watchdog_ping = ping and string.format("%.3fs", ping) or "off" })
end

-- Tells systemd the service is stopping (once).
function M.stopping()
  if not started or stopping then return end
  stopping = true
  send("STOPPING=1\nSTATUS=stopping")
end

function M.stop()
  M.stopping()
  started = false
end

return M
