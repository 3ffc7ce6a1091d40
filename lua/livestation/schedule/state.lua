-- Scripts' persistent key/value state, on the state file: values are
-- anything JSON can hold, so a script can remember what it did and stay
-- idempotent across restarts.
--
--   state.set("last_clip", { id = 42 })    state.get("last_clip").id
--   state.update("count", function(n) return (n or 0) + 1 end)

local core = require "livestation.core"
local json = require "livestation.json"

local M = {}

local function check_key(key, fname)
  if type(key) ~= "string" or key == "" then
    error("state." .. fname .. ": key must be a non-empty string", 3)
  end
end

local function read(store, key)
  local rows, err = store:query("SELECT value FROM kv WHERE key = ?", key)
  if not rows then return nil, err end
  if not rows[1] then return nil end
  return json.decode(rows[1].value)
end

local function write(store, key, value)
  if value == nil then
    return store:query("DELETE FROM kv WHERE key = ?", key)
  end
  return store:query([[INSERT INTO kv (key, value, updated) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated]],
    key, json.encode(value), core.now())
end

-- Calls fn(old) so that it cannot wait: the transaction it runs in must
-- not let another task in.
local function call_atomically(fn, old, key)
  local co = coroutine.create(fn)
  local ok, new = coroutine.resume(co, old)
  if not ok then error(new, 0) end
  if coroutine.status(co) ~= "dead" then
    error("state.update('" .. key .. "'): the function must not yield or wait", 0)
  end
  return new
end

-- The state API over the store that get_store() returns.
function M.new(get_store)
  local S = {}

  -- value of key, or nil; nil, message when the file cannot be read
  function S.get(key)
    check_key(key, "get")
    return read(get_store(), key)
  end

  -- stores value (JSON-encodable; nil deletes); true or nil, message
  function S.set(key, value)
    check_key(key, "set")
    if value ~= nil then json.encode(value) end -- misuse raises here
    local ok, err = write(get_store(), key, value)
    if not ok then return nil, err end
    return true
  end

  -- deletes key; true when it existed
  function S.delete(key)
    check_key(key, "delete")
    local store = get_store()
    local ok, err = store:query("DELETE FROM kv WHERE key = ?", key)
    if not ok then return nil, err end
    return store.db:changes() > 0
  end

  -- new = fn(old) in one transaction; nil deletes. Returns new. An error
  -- in fn rolls back and is raised again.
  function S.update(key, fn)
    check_key(key, "update")
    if type(fn) ~= "function" then error("state.update: fn must be a function", 2) end
    local store = get_store()
    return store:transaction(function()
      local old, err = read(store, key)
      if err then error("state.update('" .. key .. "'): " .. err, 0) end
      local new = call_atomically(fn, old, key)
      local ok, werr = write(store, key, new)
      if not ok then error("state.update('" .. key .. "'): " .. werr, 0) end
      return new
    end)
  end

  -- sorted keys, all or those starting with prefix
  function S.keys(prefix)
    local rows, err
    if prefix then
      rows, err = get_store():query("SELECT key FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key",
        #prefix, prefix)
    else
      rows, err = get_store():query("SELECT key FROM kv ORDER BY key")
    end
    if not rows then return nil, err end
    local out = {}
    for i, r in ipairs(rows) do out[i] = r.key end
    return out
  end

  return S
end

return M
