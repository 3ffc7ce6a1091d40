-- livestation.schedule: jobs that run on time and survive restarts.
--
--   local schedule = require "livestation.schedule"
--   schedule.at("2026-11-22T19:00:00+09:00", start_show, { name = "start" })
--   schedule.every(60, poll, { name = "poll", overlap = "skip" })
--   schedule.cron("*/5 * * * *", clip, { name = "clip", tz = "Asia/Seoul" })
--   schedule.state.update("clips", function(n) return (n or 0) + 1 end)
--   schedule.webhook { port = 8080, token = "..." }
--   schedule.on("PUBLISH_START", function(ev) ... end)
--
-- These functions act on one default scheduler, whose state file is
-- chosen by open(path) (default $LIVESTATION_STATE, else
-- ./livestation-state.db) and opened when first needed. new{} makes an
-- independent scheduler.

local scheduler = require "livestation.schedule.scheduler"
local store = require "livestation.schedule.store"

local M = {}

M.new = scheduler.new
M.DEFAULT_STATE = store.DEFAULT_PATH
M.default_state_path = store.default_path

local default

-- The default scheduler, made on first use.
function M.default()
  if not default then default = scheduler.new() end
  return default
end

-- Replaces the default scheduler (a host that restarts its scheduler, or
-- a test); returns the previous one.
function M.set_default(S)
  local prev = default
  default = S
  return prev
end

local function forward(name)
  return function(...) return M.default()[name](...) end
end

M.at = forward("at")
M.every = forward("every")
M.cron = forward("cron")
M.jobs = forward("jobs")
M.webhook = forward("webhook")
M.on = forward("on")
M.open = forward("open")
M.state_file = forward("state_file")
M.state_opened = forward("state_opened")
M.shutdown = forward("shutdown")
M.failures = forward("failures")
M.stats = forward("stats")
M.close = forward("close")

-- state.get/set/delete/update/keys on the default scheduler's file
M.state = {}
for _, fname in ipairs { "get", "set", "delete", "update", "keys" } do
  M.state[fname] = function(...) return M.default().state[fname](...) end
end

return M
