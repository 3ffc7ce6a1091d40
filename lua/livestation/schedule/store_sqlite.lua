-- The scheduler's store on one SQLite file (the embedded default): jobs,
-- the run journal, scripts' key/value state and the webhook inbox. One
-- host owns the file; its methods are those livestation.schedule.store
-- documents, and every SQL statement of this backend is here.

local core = require "livestation.core"
local sqlite = require "livestation.store.sqlite"

local M = {}

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

local now = core.now

local Store = {}
Store.__index = Store

-- Opens (creating if needed) the state file at path. Returns the store or
-- nil, message.
function M.open(path)
  local db, err = sqlite.open(path, M.SCHEMA, "state file")
  if not db then return nil, err end
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
  return setmetatable({ db = db, path = path, kind = "sqlite", shared = false }, Store)
end

function Store:is_open()
  return self.db:is_open()
end

function Store:close()
  self.db:close()
end

-- true when the file answers, or nil, message (/healthz). A write, so a
-- file another process holds locked, or one that cannot grow, shows.
function Store:ping()
  local ok, err = self.db:query("INSERT OR REPLACE INTO meta (key, value) VALUES ('health', ?)",
    string.format("%.3f", now()))
  if not ok then return nil, err end
  return true
end

-- The first row of a query, or nil (and the error when it failed).
local function first(rows, err)
  if not rows then return nil, err end
  return rows[1]
end

---------------------------------------------------------------- jobs

function Store:get_job(name)
  return first(self.db:query("SELECT * FROM jobs WHERE name = ?", name))
end

-- Inserts or replaces the row of a job whose schedule (re)starts at
-- anchor_ms. Returns the anchor stored.
function Store:put_job(name, kind, spec, tz, anchor_ms)
  local ok, err = self.db:query([[INSERT INTO jobs (name, kind, spec, tz, anchor_ms, next_ms, updated)
    VALUES (?, ?, ?, ?, ?, NULL, ?)
    ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, spec = excluded.spec,
      tz = excluded.tz, anchor_ms = excluded.anchor_ms, updated = excluded.updated]],
    name, kind, spec, tz, anchor_ms, now())
  if not ok then return nil, err end
  return anchor_ms
end

function Store:set_next(name, next_ms)
  return self.db:query("UPDATE jobs SET next_ms = ?, updated = ? WHERE name = ?", next_ms, now(), name)
end

function Store:jobs()
  return self.db:query("SELECT * FROM jobs ORDER BY name")
end

---------------------------------------------------------------- runs

-- Claims an attempt: records that it starts. Returns its row id, false
-- when the journal already has this attempt (never run it twice), or
-- nil, message.
function Store:start_run(job, scheduled_ms, attempt, started)
  local ok, err = self.db:query([[INSERT OR IGNORE INTO runs (job, scheduled_ms, attempt, started, outcome)
    VALUES (?, ?, ?, ?, 'running')]], job, scheduled_ms, attempt, started)
  if not ok then return nil, err end
  if self.db:changes() == 0 then return false end
  return self.db:last_insert_id()
end

-- Records how an attempt ended; retry_at is set when another is owed.
function Store:finish_run(id, outcome, finished, detail, retry_at)
  return self.db:query([[UPDATE runs SET outcome = ?, finished = ?, detail = ?, retry_at = ?
    WHERE id = ?]], outcome, finished, detail, retry_at, id)
end

-- Records a run that did not start (skipped, or missed while down).
function Store:record_run(job, scheduled_ms, outcome, detail)
  return self.db:query([[INSERT OR IGNORE INTO runs (job, scheduled_ms, attempt, started, finished, outcome, detail)
    VALUES (?, ?, 1, NULL, ?, ?, ?)]], job, scheduled_ms, now(), outcome, detail)
end

-- Marks the attempts of `job` left running by a host that died: on a
-- file of its own, every attempt still running. Each is owed (retry_at t)
-- until the job's rules settle it, once.
function Store:interrupt_runs(job, t)
  return self.db:query([[UPDATE runs SET outcome = 'interrupted', detail = 'the host stopped during the run',
    retry_at = ? WHERE job = ? AND outcome = 'running']], t, job)
end

-- The latest attempt of each run that still owes another (interrupted
-- ones, and failed ones with a retry owed), with how many attempts of that
-- run failed and how many were interrupted. A settled attempt has no
-- retry_at.
function Store:unfinished_runs(job)
  return self.db:query([[SELECT r.*,
      (SELECT COUNT(*) FROM runs f WHERE f.job = r.job AND f.scheduled_ms = r.scheduled_ms
        AND f.outcome IN ('failed', 'timeout')) AS failures,
      (SELECT COUNT(*) FROM runs i WHERE i.job = r.job AND i.scheduled_ms = r.scheduled_ms
        AND i.outcome IN ('interrupted', 'cancelled')) AS interruptions
    FROM runs r WHERE r.job = ? AND r.retry_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM runs r2 WHERE r2.job = r.job
        AND r2.scheduled_ms = r.scheduled_ms AND r2.attempt > r.attempt)
    ORDER BY r.scheduled_ms]], job)
end

-- Settles an attempt that will not be retried: it owes nothing from now
-- on, so the next start neither picks it up nor annotates it again.
function Store:give_up(id, detail)
  return self.db:query("UPDATE runs SET retry_at = NULL, detail = ? WHERE id = ?", detail, id)
end

-- The latest scheduled time the journal knows for job, or nil.
function Store:last_scheduled(job)
  local row = first(self.db:query("SELECT MAX(scheduled_ms) AS s FROM runs WHERE job = ?", job))
  return row and row.s
end

-- True when the journal has any row for this run.
function Store:has_run(job, scheduled_ms)
  return first(self.db:query("SELECT 1 AS x FROM runs WHERE job = ? AND scheduled_ms = ? LIMIT 1",
    job, scheduled_ms)) ~= nil
end

-- The latest attempt row of job (by scheduled time, then attempt).
function Store:last_run(job)
  return first(self.db:query([[SELECT * FROM runs WHERE job = ?
    ORDER BY scheduled_ms DESC, attempt DESC LIMIT 1]], job))
end

-- Every row of job, oldest first (for listings and tests).
function Store:runs(job)
  return self.db:query("SELECT * FROM runs WHERE job = ? ORDER BY scheduled_ms, attempt", job)
end

---------------------------------------------------------------- key/value

-- The JSON text stored under key, or nil; nil, message on failure.
function Store:kv_get(key)
  local row, err = first(self.db:query("SELECT value FROM kv WHERE key = ?", key))
  if err then return nil, err end
  return row and row.value
end

-- Stores JSON text under key (nil deletes). true or nil, message.
function Store:kv_set(key, text)
  local ok, err
  if text == nil then
    ok, err = self.db:query("DELETE FROM kv WHERE key = ?", key)
  else
    ok, err = self.db:query([[INSERT INTO kv (key, value, updated) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated]],
      key, text, now())
  end
  if not ok then return nil, err end
  return true
end

-- Deletes key; true when it existed.
function Store:kv_delete(key)
  local ok, err = self.db:query("DELETE FROM kv WHERE key = ?", key)
  if not ok then return nil, err end
  return self.db:changes() > 0
end

-- Sorted keys, all or those starting with prefix.
function Store:kv_keys(prefix)
  local rows, err
  if prefix then
    rows, err = self.db:query("SELECT key FROM kv WHERE substr(key, 1, ?) = ? ORDER BY key",
      #prefix, prefix)
  else
    rows, err = self.db:query("SELECT key FROM kv ORDER BY key")
  end
  if not rows then return nil, err end
  local out = {}
  for i, r in ipairs(rows) do out[i] = r.key end
  return out
end

-- new = fn(old) on the JSON text of key, with no other writer in between
-- (nil deletes). Returns what fn returned; an error in fn rolls back and
-- is raised again; nil, message when the store fails.
function Store:kv_update(key, fn)
  return self.db:transaction(function()
    local old, err = self:kv_get(key)
    if err then error(err, 0) end
    local new = fn(old)
    local ok, werr = self:kv_set(key, new)
    if not ok then error(werr, 0) end
    return new
  end)
end

---------------------------------------------------------------- inbox

-- Stores an event. Returns "stored" or "duplicate", or nil, message.
function Store:inbox_put(ev, body)
  local ok, err = self.db:query([[INSERT OR IGNORE INTO inbox
    (id, event, channel_id, body, received, state, attempts) VALUES (?, ?, ?, ?, ?, 'new', 0)]],
    ev.key, ev.event, ev.channelId, body, now())
  if not ok then return nil, err end
  return self.db:changes() > 0 and "stored" or "duplicate"
end

-- Marks a delivery attempt as begun; returns the attempt number.
function Store:inbox_begin(id)
  self.db:query("UPDATE inbox SET state = 'delivering', attempts = attempts + 1 WHERE id = ?", id)
  local row = first(self.db:query("SELECT attempts FROM inbox WHERE id = ?", id))
  return row and row.attempts or 1
end

function Store:inbox_finish(id, state)
  return self.db:query("UPDATE inbox SET state = ?, finished = ? WHERE id = ?", state, now(), id)
end

-- Events stored but not (completely) delivered, oldest first: this
-- host's to deliver again.
function Store:inbox_pending()
  return self.db:query([[SELECT * FROM inbox WHERE state IN ('new', 'delivering')
    ORDER BY received, id]])
end

function Store:inbox_get(id)
  return first(self.db:query("SELECT * FROM inbox WHERE id = ?", id))
end

-- Forgets finished events received before `before` (epoch seconds).
-- The latest n events, newest first, without their bodies.
function Store:inbox_recent(n)
  return self.db:query([[SELECT id, event, channel_id, received, state, attempts, finished
    FROM inbox ORDER BY received DESC, id DESC LIMIT ?]], n)
end

function Store:inbox_prune(before)
  return self.db:query([[DELETE FROM inbox WHERE state NOT IN ('new', 'delivering')
    AND received < ?]], before)
end

return M
