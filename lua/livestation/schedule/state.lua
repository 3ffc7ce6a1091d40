-- Scripts' persistent key/value state, on the state file: values are
-- anything JSON can hold, so a script can remember what it did and stay
-- idempotent across restarts.
--
--   state.set("last_clip", { id = 42 })    state.get("last_clip").id
--   state.update("count", function(n) return (n or 0) + 1 end)

local json = require "livestation.json"

local M = {}

local function check_key(key, fname)
  if type(key) ~= "string" or key == "" then
    error("state." .. fname .. ": key must be a non-empty string", 3)
  end
end

local function read(store, key)
  local text, err = store:kv_get(key)
  if text == nil then return nil, err end
  return json.decode(text)
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
    local text = value ~= nil and json.encode(value) or nil -- misuse raises here
    return get_store():kv_set(key, text)
  end

  -- deletes key; true when it existed
  function S.delete(key)
    check_key(key, "delete")
    return get_store():kv_delete(key)
  end

  -- new = fn(old) in one transaction; nil deletes. Returns new. An error
  -- in fn rolls back and is raised again.
  function S.update(key, fn)
    check_key(key, "update")
    if type(fn) ~= "function" then error("state.update: fn must be a function", 2) end
    local new
    local ok, err = get_store():kv_update(key, function(old_text)
      local old = old_text ~= nil and json.decode(old_text) or nil
      new = call_atomically(fn, old, key)
      return new ~= nil and json.encode(new) or nil
    end)
    if ok == nil and err then return nil, "state.update('" .. key .. "'): " .. tostring(err) end
    return new
  end

  -- sorted keys, all or those starting with prefix
  function S.keys(prefix)
    return get_store():kv_keys(prefix)
  end

  return S
end

return M
