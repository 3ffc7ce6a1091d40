-- Durable steps: a step's result is kept in the state store when it
-- completes, and a later run of the same workflow (or the same job run)
-- gets it back without running the step again. A step that failed, or
-- that was cut short by a crash, runs again.
--
--   local wf = steps.workflow("evening-news")     -- steps tied to this id
--   local ch = wf:step("channel", function(s) return create_channel() end)
--
-- A scope is a workflow (an id the script chooses) or a run of a named job
-- (the job's name and the run's scheduled time). The task that runs a
-- scope is bound to it, so livestation.step finds it, and the tasks it
-- spawns inherit it.
--
-- Records live in the store's key/value table under keys that begin with
-- "livestation:" (reserved), one per step: state (running, done, failed),
-- attempts, times, the result as JSON or the error. No SQL of its own: any
-- store implementation keeps steps.
--
-- The one gap: a step whose side effect happened but whose result was not
-- saved yet (the process died in between) runs again; it then sees
-- s.resumed = true and can look before it acts.

local core = require "livestation.core"
local json = require "livestation.json"

local M = {}

M.PREFIX = "livestation:step:"
M.VALUE_PREFIX = "livestation:value:"

---------------------------------------------------------------- keys

local function check_name(v, what, level)
  if type(v) ~= "string" or v == "" or v:find("[%c]") then
    error(what .. " must be a non-empty string without control characters", level + 1)
  end
end

-- The key of a record: the scope's id is length-prefixed so no id or name
-- can reach into another scope's records.
local function key(prefix, scope_id, name)
  return prefix .. #scope_id .. ":" .. scope_id .. ":" .. (name or "")
end
M.key = key

-- scope id, name of a key written by key(); nil for any other key.
function M.parse_key(k, prefix)
  prefix = prefix or M.PREFIX
  if k:sub(1, #prefix) ~= prefix then return nil end
  local len, rest = k:sub(#prefix + 1):match("^(%d+):(.*)$")
  len = tonumber(len)
  if not len or #rest < len + 1 or rest:sub(len + 1, len + 1) ~= ":" then return nil end
  return rest:sub(1, len), rest:sub(len + 2)
end

local function must(v, err, what)
  if v == nil and err ~= nil then error(what .. ": state store: " .. tostring(err), 0) end
  return v
end

---------------------------------------------------------------- scopes

local Scope = {}
Scope.__index = Scope
Scope.__name = "livestation.workflow"

function Scope:__tostring()
  return (self.kind == "job" and "job run " or "workflow ") .. self.id
end

-- kind: "workflow" or "job"; get_store: the function that opens the store.
function M.scope(kind, id, get_store)
  check_name(id, kind == "job" and "job run id" or "workflow id", 2)
  return setmetatable({ kind = kind, id = id, get_store = get_store }, Scope)
end

function Scope:read(name)
  local text = must(self.get_store():kv_get(key(M.PREFIX, self.id, name)))
  return text and json.decode(text) or nil
end

function Scope:write(name, rec)
  must(self.get_store():kv_set(key(M.PREFIX, self.id, name), json.encode(rec)), nil, "step '" .. name .. "'")
end

-- Runs fn(s) once for this scope: returns the kept result of a completed
-- step, else fn's result after keeping it. s = {name, attempt, resumed
-- (an earlier attempt started and was not seen to end), scope}. An error
-- in fn is recorded and raised again; the step runs again next time.
function Scope:step(name, fn)
  check_name(name, "step name", 2)
  if type(fn) ~= "function" then error("step '" .. name .. "': fn must be a function", 2) end
  local old = self:read(name)
  if old and old.state == "done" then
    if old.result == json.null then return nil end
    return old.result
  end
  local now = core.now()
  local rec = {
    scope = self.id, kind = self.kind, name = name, state = "running",
    attempts = (old and old.attempts or 0) + 1, first = old and old.first or now, started = now,
  }
  self:write(name, rec)
  local s = { name = name, attempt = rec.attempts, resumed = old ~= nil and old.state == "running", scope = self.id }
  -- a task cancelled inside fn leaves the record "running", as a crash would
  local ran, result = pcall(fn, s)
  rec.finished = core.now()
  if not ran then
    rec.state, rec.error = "failed", tostring(result):match("^[^\n]*")
    self:write(name, rec)
    error(result, 0) -- as it was: an error object stays one
  end
  local ok, why = pcall(json.encode, result)
  if not ok then
    rec.state, rec.error = "failed", "the result cannot be kept: " .. tostring(why)
    self:write(name, rec)
    error("step '" .. name .. "': " .. rec.error, 2)
  end
  rec.state = "done"
  rec.result = result == nil and json.null or result
  self:write(name, rec)
  return result
end

-- The kept result of a completed step, or nil.
function Scope:result(name)
  local rec = self:read(name)
  if rec and rec.state == "done" and rec.result ~= json.null then return rec.result end
  return nil
end

-- Whether the step completed.
function Scope:done(name)
  local rec = self:read(name)
  return rec ~= nil and rec.state == "done"
end

-- Every step record of the scope, in the order they first started.
function Scope:steps()
  local store = self.get_store()
  local prefix = key(M.PREFIX, self.id)
  local out = {}
  for _, k in ipairs(must(store:kv_keys(prefix), nil, tostring(self)) or {}) do
    local text = store:kv_get(k)
    local ok, rec = pcall(json.decode, text or "")
    if ok and type(rec) == "table" then out[#out + 1] = rec end
  end
  table.sort(out, function(a, b)
    if a.first ~= b.first then return (a.first or 0) < (b.first or 0) end
    return tostring(a.name) < tostring(b.name)
  end)
  return out
end

---------------------------------------------------------------- values

-- Values a workflow keeps while it works (an id it made, a count): JSON,
-- nil deletes.
function Scope:get(name)
  check_name(name, "value name", 2)
  local text = must(self.get_store():kv_get(key(M.VALUE_PREFIX, self.id, name)))
  return text and json.decode(text) or nil
end

function Scope:put(name, value)
  check_name(name, "value name", 2)
  local text = value ~= nil and json.encode(value) or nil
  must(self.get_store():kv_set(key(M.VALUE_PREFIX, self.id, name), text), nil, "value '" .. name .. "'")
  return value
end

-- new = fn(old) with no other writer in between; fn must not wait.
function Scope:update(name, fn)
  check_name(name, "value name", 2)
  local new
  must(self.get_store():kv_update(key(M.VALUE_PREFIX, self.id, name), function(old_text)
    local old = old_text ~= nil and json.decode(old_text) or nil
    new = fn(old)
    return new ~= nil and json.encode(new) or nil
  end), nil, "value '" .. name .. "'")
  return new
end

-- Names of the kept values that start with prefix, sorted.
function Scope:names(prefix)
  local p = key(M.VALUE_PREFIX, self.id)
  local out = {}
  for _, k in ipairs(must(self.get_store():kv_keys(p .. (prefix or "")), nil, tostring(self)) or {}) do
    out[#out + 1] = k:sub(#p + 1)
  end
  return out
end

-- Deletes every step and value of the scope: the next run starts afresh.
function Scope:forget()
  local store = self.get_store()
  for _, prefix in ipairs { key(M.PREFIX, self.id), key(M.VALUE_PREFIX, self.id) } do
    for _, k in ipairs(must(store:kv_keys(prefix), nil, tostring(self)) or {}) do store:kv_delete(k) end
  end
end

---------------------------------------------------------------- binding

-- The scope of each running task (coroutine); weak so ended ones go.
local bound = setmetatable({}, { __mode = "k" })

function M.current()
  return bound[coroutine.running()]
end

-- Binds the running task to scope (nil unbinds); returns the previous.
function M.bind(scope)
  local co = coroutine.running()
  local prev = bound[co]
  bound[co] = scope
  return prev
end

-- core.spawn, with the new task in the spawner's scope.
function M.spawn(fn, ...)
  local scope = M.current()
  if not scope then return core.spawn(fn, ...) end
  return core.spawn(function(...)
    M.bind(scope)
    return fn(...)
  end, ...)
end

-- Every scope in store with its steps: { {id, kind, steps = {...}} }.
function M.list(store)
  local by, order = {}, {}
  for _, k in ipairs(must(store:kv_keys(M.PREFIX), nil, "steps") or {}) do
    local id = M.parse_key(k)
    if id and not by[id] then
      local sc = M.scope("workflow", id, function() return store end)
      local recs = sc:steps()
      by[id] = { id = id, kind = recs[1] and recs[1].kind or "workflow", steps = recs }
      order[#order + 1] = by[id]
    end
  end
  return order
end

return M
