-- The step journal of a workflow, on livestation.state (the state file):
-- which steps are done, with what result, and values a step keeps while
-- it runs (an id it created, what it is about to create). A workflow
-- started again reads it and goes on from the first step not done, so
-- nothing is done twice and nothing is skipped.
--
--   local j = journal.open("broadcast:evening_news@livestation.apigw.ntruss.com")
--   local ch = j:step("channel", function() return { id = make_channel() } end)
--   j:put("clip.3", { snapshot = 12 })      j:get("clip.3")

local livestation = require "livestation"

local M = {}

local Journal = {}
Journal.__index = Journal

-- The journal under key prefix; state defaults to livestation.state.
function M.open(prefix, state)
  state = state or livestation.state
  assert(state, "journal: livestation.state is not available in this host")
  return setmetatable({ prefix = prefix .. ":", state = state }, Journal)
end

local function must(ok, err)
  if ok == nil and err ~= nil then error("state file: " .. tostring(err), 3) end
  return ok
end

function Journal:key(name)
  return self.prefix .. name
end

-- A kept value, or nil.
function Journal:get(name)
  return must(self.state.get(self:key(name)))
end

-- Keeps a value (nil deletes it).
function Journal:put(name, value)
  must(self.state.set(self:key(name), value))
  return value
end

-- value = fn(old) atomically; fn must not wait.
function Journal:update(name, fn)
  return self.state.update(self:key(name), fn)
end

-- The record of a done step ({at = epoch s, result = ...}), or nil.
function Journal:done(name)
  return self:get("step." .. name)
end

-- The result of a done step, or nil.
function Journal:result(name)
  local rec = self:done(name)
  return rec and rec.result
end

-- Marks a step done with its result.
function Journal:mark(name, result)
  return self:put("step." .. name, { at = os.time(), result = result })
end

-- Runs fn once per journal: returns its result, and whether it ran now.
-- Steps that fail leave no mark, so they run again next time.
function Journal:step(name, fn)
  local rec = self:done(name)
  if rec then return rec.result, false end
  local result = fn()
  self:mark(name, result == nil and true or result)
  return result, true
end

-- Names of the values kept under a prefix (e.g. "clip."), sorted.
function Journal:names(sub)
  local keys = must(self.state.keys(self.prefix .. (sub or ""))) or {}
  local out = {}
  for i, k in ipairs(keys) do out[i] = k:sub(#self.prefix + 1) end
  return out
end

return M
