-- Keeps the emulator's world in SQLite (--state FILE) so a restart finds
-- its channels, ids, records, schedules, events, callback endpoints and
-- pending transitions where it left them.
--
-- Three tables: objects (bucket, id, JSON), events (id, JSON), meta (key,
-- JSON: id sequences, default callback, clock offset). Writes are
-- incremental: world:drain() hands over only what changed.

local core = require "livestation.core"
local json = require "livestation.json"
local world_mod = require "livestation.emulator.world"

local M = {}

local Store = {}
Store.__index = Store

local SCHEMA = [[
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (bucket, id));
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, data TEXT NOT NULL);
]]

-- Opens (creating when needed) the state file; nil, message on failure.
function M.open(path)
  local db, err = core.sqlite_open(path)
  if not db then return nil, "cannot open state file " .. path .. ": " .. tostring(err) end
  local ok, serr = db:exec(SCHEMA)
  if not ok then
    db:close()
    return nil, "state file " .. path .. ": " .. tostring(serr)
  end
  return setmetatable({ db = db, path = path }, Store)
end

local function decode(text, what)
  local v, err = json.decode(text)
  if v == nil then error("state file: bad " .. what .. ": " .. tostring(err), 0) end
  return v
end

-- What the file holds, for world:load(); nil when it is empty (new file).
function Store:load()
  local db = self.db
  local meta_rows = assert(db:query("SELECT key, data FROM meta"))
  if #meta_rows == 0 then return nil end
  local loaded = { buckets = {}, events = {} }
  for _, row in ipairs(meta_rows) do loaded[row.key] = decode(row.data, "meta " .. row.key) end
  for name in pairs(world_mod.BUCKETS) do loaded.buckets[name] = {} end
  for _, row in ipairs(assert(db:query("SELECT bucket, id, data FROM objects"))) do
    local ints = world_mod.BUCKETS[row.bucket]
    if ints ~= nil then
      local id = ints and math.tointeger(tonumber(row.id)) or row.id
      loaded.buckets[row.bucket][id] = decode(row.data, row.bucket .. " " .. row.id)
    end
  end
  for _, row in ipairs(assert(db:query("SELECT data FROM events ORDER BY id"))) do
    loaded.events[#loaded.events + 1] = decode(row.data, "event")
  end
  return loaded
end

-- Writes one batch of changes (world:drain()) in a transaction.
function Store:save(changes)
  local db = self.db
  assert(db:exec("BEGIN"))
  local ok, err = pcall(function()
    if changes.cleared then
      assert(db:exec("DELETE FROM objects; DELETE FROM events; DELETE FROM meta;"))
    end
    for _, r in ipairs(changes.removes) do
      assert(db:query("DELETE FROM objects WHERE bucket = ? AND id = ?", r[1], tostring(r[2])))
    end
    for _, p in ipairs(changes.puts) do
      assert(db:query("INSERT OR REPLACE INTO objects (bucket, id, data) VALUES (?, ?, ?)",
        p[1], tostring(p[2]), json.encode(p[3])))
    end
    for _, ev in ipairs(changes.events) do
      assert(db:query("INSERT OR REPLACE INTO events (id, data) VALUES (?, ?)", ev.id, json.encode(ev)))
    end
    if changes.meta then
      for key, value in pairs(changes.meta) do
        assert(db:query("INSERT OR REPLACE INTO meta (key, data) VALUES (?, ?)", key, json.encode(value)))
      end
    end
  end)
  if ok then
    assert(db:exec("COMMIT"))
  else
    db:exec("ROLLBACK")
    error(err, 0)
  end
end

function Store:close()
  if self.db then self.db:close() end
  self.db = nil
end

return M
