-- A lock between the tasks of one host: scheduled jobs that may fire
-- together (after a restart, several are due at once) take it so their
-- steps run one after the other, never side by side.

local livestation = require "livestation"

local M = {}

local Lock = {}
Lock.__index = Lock

function M.new()
  return setmetatable({ held = false }, Lock)
end

-- Runs fn(...) holding the lock; released however fn ends (error,
-- cancelled task).
function Lock:with(fn, ...)
  while self.held do livestation.sleep(0.05) end
  self.held = true
  local _ <close> = setmetatable({}, { __close = function() self.held = false end })
  return fn(...)
end

return M
