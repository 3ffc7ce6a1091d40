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
local steps = require "livestation.schedule.steps"

local M = {}

M.version = core.version
M.new = client.new

-- connection caps, process-wide: livestation.connection_limits{per_host =,
-- total =} sets them (0 = none), and returns per_host, total
M.connection_limits = core.http_limits

-- tasks and time
M.spawn = steps.spawn -- the new task keeps the spawner's workflow
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

-- durable steps (schedule/steps.lua)

-- livestation.workflow(id): ties the steps of this task (and the tasks it
-- spawns) to id, across restarts; returns the workflow. With fn, runs
-- fn(wf, ...) so and returns what it returns.
function M.workflow(id, fn, ...)
  local wf = steps.scope("workflow", id, function() return schedule.default().get_store() end)
  if fn == nil then
    steps.bind(wf)
    return wf
  end
  local prev = steps.bind(wf)
  local _ <close> = setmetatable({}, { __close = function() steps.bind(prev) end })
  return fn(wf, ...)
end

-- livestation.step(name, fn): fn(s)'s result, kept once it completes; a
-- later run of the same workflow or job run gets it without running fn.
function M.step(name, fn)
  local scope = steps.current()
  if not scope then
    error("livestation.step: no workflow here: call livestation.workflow(id) first, "
      .. "or call it from a named job", 2)
  end
  return scope:step(name, fn)
end

-- The workflow or job run the running task belongs to, or nil.
M.current_workflow = steps.current

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
