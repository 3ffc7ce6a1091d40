-- livestation: automate NAVER Cloud Live Station from Lua.
--
--   local livestation = require "livestation"
--   local ls = livestation.new{}            -- keys from the credential chain
--   local channel, err = ls:call("channel.get", { channelId = "ls-..." })
--
-- Every Live Station operation is ls:call(id, params) (or the per-operation
-- form ls.channel.get{...}); tasks, sleep and the loop come from the core.

local core = require "livestation.core"
local client = require "livestation.client"
local errors = require "livestation.errors"
local json = require "livestation.json"

local M = {}

M.version = core.version
M.new = client.new

-- connection caps, process-wide: livestation.connection_limits{per_host =,
-- total =} sets them (0 = none), and returns per_host, total
M.connection_limits = core.http_limits

-- tasks and time
M.spawn = core.spawn
M.sleep = core.sleep
M.current = core.current
M.run = core.run
M.now = core.now
M.now_ms = core.now_ms

-- the pieces, for scripts that want them
M.errors = errors
M.is_error = errors.is
M.json = json
M.null = json.null
M.ops = require "livestation.ops"
M.log = require "livestation.log"

-- scheduling that survives restarts (livestation.schedule)
local schedule = require "livestation.schedule"
M.schedule = schedule
M.at, M.every, M.cron, M.jobs = schedule.at, schedule.every, schedule.cron, schedule.jobs
M.state, M.webhook, M.on = schedule.state, schedule.webhook, schedule.on

-- building blocks for workflows, loaded when first used
local LAZY = { time = "livestation.time", config = "livestation.config" }
setmetatable(M, { __index = function(t, k)
  local name = LAZY[k]
  if not name then return nil end
  local v = require(name)
  rawset(t, k, v)
  return v
end })

return M
