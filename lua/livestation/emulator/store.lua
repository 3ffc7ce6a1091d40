-- Keeps the emulator's world in SQLite (--state FILE) so a restart finds
-- its channels, ids, records, schedules, events, callback endpoints and
-- pending transitions where it left them.
--
-- Three tables: objects (bucket, id, JSON), events (id, JSON), meta (key,
-- JSON: id sequences, default callback, clock offset). Writes are
-- incremental: world:drain() hands over only what changed.

local json = require "livestation.json"
local sqlite = require "livestation.store.sqlite"
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
  local db, err = sqlite.open(path, SCHEMA, "state file")
  if not db then return nil, "cannot open " .. err end
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
  local ok, err = self.db:transaction(function(db)
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
    for key, value in pairs(changes.meta or {}) do
      assert(db:query("INSERT OR REPLACE INTO meta (key, data) VALUES (?, ?)", key, json.encode(value)))
    end
    return true
  end)
  if not ok then error("state file " .. self.path .. ": " .. tostring(err), 0) end
end

function Store:close()
  if self.db then self.db:close() end
  self.db = nil
end

return M
