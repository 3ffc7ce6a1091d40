-- The state file: one SQLite database in WAL mode that holds what must
-- outlive the host: the jobs it knows, the run journal of named jobs, the
-- scripts' key/value state and the webhook inbox.
--
-- Default path: $LIVESTATION_STATE, else ./livestation-state.db.

local core = require "livestation.core"

local M = {}

M.DEFAULT_PATH = "./livestation-state.db"
M.SCHEMA_VERSION = 1

M.SCHEMA = [[
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT
);
-- one row per named job: what it is and where its schedule stands
CREATE TABLE IF NOT EXISTS jobs (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,          -- at | every | cron
  spec TEXT NOT NULL,          -- at: epoch ms; every: interval ms; cron: expression
  tz TEXT,                     -- zone of a cron or a table/local at time
  anchor_ms INTEGER NOT NULL,  -- when this schedule began (every counts from it)
  next_ms INTEGER,             -- the next run the host planned; NULL when none
  updated REAL NOT NULL
);
-- the run journal: one row per attempt of a scheduled run
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  job TEXT NOT NULL,
  scheduled_ms INTEGER NOT NULL,   -- the run's identity, with job
  attempt INTEGER NOT NULL,
  started REAL,                    -- epoch seconds
  finished REAL,
  outcome TEXT NOT NULL,           -- running ok failed timeout cancelled interrupted skipped
  detail TEXT,                     -- error message, or why it was skipped
  retry_at REAL,                   -- set while another attempt is due
  UNIQUE (job, scheduled_ms, attempt)
);
CREATE INDEX IF NOT EXISTS runs_open ON runs (job, outcome);
-- scripts' key/value state; values are JSON text
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated REAL NOT NULL
);
-- Live Station callbacks, stored before they are acknowledged
CREATE TABLE IF NOT EXISTS inbox (
  id TEXT PRIMARY KEY,             -- the payload's id: the de-duplication key
  event TEXT NOT NULL,
  channel_id TEXT,
  body TEXT NOT NULL,
  received REAL NOT NULL,
  state TEXT NOT NULL,             -- new delivering done failed ignored
  attempts INTEGER NOT NULL DEFAULT 0,
  finished REAL
);
CREATE INDEX IF NOT EXISTS inbox_state ON inbox (state);
]]

function M.default_path()
  local env = os.getenv("LIVESTATION_STATE")
  if env and env ~= "" then return env end
  return M.DEFAULT_PATH
end

local Store = {}
Store.__index = Store

-- Opens (creating if needed) the state file at path. Returns the store or
-- nil, message.
function M.open(path)
  path = path or M.default_path()
  local db, err = core.sqlite_open(path)
  if not db then return nil, "state file " .. path .. ": " .. tostring(err) end
  local ok
  ok, err = db:exec(M.SCHEMA)
  if not ok then
    db:close()
    return nil, "state file " .. path .. ": " .. tostring(err)
  end
  local rows = db:query("SELECT value FROM meta WHERE key = 'schema'")
  local version = rows and rows[1] and tonumber(rows[1].value)
  if version and version > M.SCHEMA_VERSION then
    db:close()
    return nil, string.format("state file %s: schema %d is newer than this livestation (%d)",
      path, version, M.SCHEMA_VERSION)
  end
  if not version then
    db:query("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", tostring(M.SCHEMA_VERSION))
  end
  return setmetatable({ db = db, path = path }, Store)
end

-- db:query, raising nothing: rows or nil, message.
function Store:query(sql, ...)
  if not self.db then return nil, "state file is closed" end
  return self.db:query(sql, ...)
end

-- Runs fn(store) inside one IMMEDIATE transaction: committed when fn
-- returns, rolled back (and the error re-raised) when it raises.
function Store:transaction(fn, ...)
  local ok, err = self.db:exec("BEGIN IMMEDIATE")
  if not ok then return nil, err end
  local results = table.pack(pcall(fn, self, ...))
  if not results[1] then
    self.db:exec("ROLLBACK")
    error(results[2], 0)
  end
  ok, err = self.db:exec("COMMIT")
  if not ok then
    self.db:exec("ROLLBACK")
    return nil, err
  end
  return table.unpack(results, 2, results.n)
end

function Store:is_open()
  return self.db ~= nil
end

function Store:close()
  if self.db then self.db:close() end
  self.db = nil
end

return M
