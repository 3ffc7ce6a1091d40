-- The scheduler's store on PostgreSQL, shared by any number of hosts:
-- the same methods as the SQLite file (livestation.schedule.store), and
-- every SQL statement of this backend. What sharing adds:
--
-- * Claims are unique run rows: an attempt is (job, scheduled_ms,
--   attempt), UNIQUE; the host whose INSERT lands runs it, the others
--   get false. A claim is refused while the database's clock says the run
--   is not due yet, so hosts whose clocks differ by seconds agree.
-- * A claimed attempt holds a lease (lease_until, the database's clock)
--   that this host renews while it runs. An attempt whose lease expired
--   was left by a host that died: interrupt_runs marks it interrupted and
--   the retry rules decide, as after a local crash.
-- * At most one completion record per run: a partial unique index on the
--   'ok' rows; a host that finishes a run another host completed too
--   records 'duplicate'.
-- * An event id enters the inbox once; the host that stored it delivers
--   it under a lease; another host delivers it again only when the lease
--   expired.
-- * state.update runs in a transaction under an advisory lock on its key.
-- * The database going away makes calls return nil, message,
--   "unavailable"; the store reconnects with backoff and logs once when it
--   goes and once when it comes back.

local core = require "livestation.core"
local log = require "livestation.log"

local M = {}

M.SCHEMA_VERSION = 1
M.LEASE = 30            -- seconds a claim lasts without renewal
M.CONNECT_TIMEOUT = 5   -- seconds for a connection, and for each reply
M.MAX_BACKOFF = 2       -- seconds between reconnection attempts, at most

M.SCHEMA = {
  [[CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text)]],
  [[CREATE TABLE IF NOT EXISTS jobs (
    name text PRIMARY KEY, kind text NOT NULL, spec text NOT NULL, tz text,
    anchor_ms bigint NOT NULL, next_ms bigint, updated double precision NOT NULL)]],
  [[CREATE TABLE IF NOT EXISTS runs (
    id bigserial PRIMARY KEY, job text NOT NULL, scheduled_ms bigint NOT NULL,
    attempt integer NOT NULL, started double precision, finished double precision,
    outcome text NOT NULL, detail text, retry_at double precision,
    host text, owner text, lease_until timestamptz,
    UNIQUE (job, scheduled_ms, attempt))]],
  [[CREATE UNIQUE INDEX IF NOT EXISTS runs_completed ON runs (job, scheduled_ms)
    WHERE outcome = 'ok']],
  [[CREATE INDEX IF NOT EXISTS runs_leased ON runs (lease_until) WHERE outcome = 'running']],
  [[CREATE TABLE IF NOT EXISTS kv (
    key text PRIMARY KEY, value text NOT NULL, updated double precision NOT NULL)]],
  [[CREATE TABLE IF NOT EXISTS inbox (
    id text PRIMARY KEY, event text NOT NULL, channel_id text, body text NOT NULL,
    received double precision NOT NULL, state text NOT NULL,
    attempts integer NOT NULL DEFAULT 0, finished double precision,
    host text, owner text, lease_until timestamptz)]],
  [[CREATE INDEX IF NOT EXISTS inbox_state ON inbox (state)]],
}

local now = core.now

-- This host's name in the journal: $LIVESTATION_HOST, else the kernel's.
function M.host_name()
  local env = os.getenv("LIVESTATION_HOST")
  if env and env ~= "" then return env end
  local f = io.open("/proc/sys/kernel/hostname", "r")
  local name = f and f:read("l")
  if f then f:close() end
  return (name and name ~= "") and name or "localhost"
end

-- A token that tells this process apart from any other, even a restart
-- of the same host: leases are renewed by owner, not by host name.
local function owner_token(host)
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(8) or tostring(now()) .. tostring({})
  if f then f:close() end
  return host .. "/" .. bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end)
end

-- The URL without its password, for messages.
function M.redact_url(url)
  return (url:gsub("^(%a+://[^:/@]*):[^@/]*@", "%1:***@"))
end

local function lease_seconds()
  local v = tonumber(os.getenv("LIVESTATION_LEASE") or "")
  if v and v > 0 then return v end
  return M.LEASE
end

---------------------------------------------------------------- the connection

local Store = {}
Store.__index = Store

-- Waits until this task holds the connection: one query (or one
-- transaction) at a time, first come first served. Each waiter sleeps on
-- a gate task of its own, which the releasing holder cancels.
local release

local function acquire(self)
  if not self.busy then self.busy = true return end
  local gate = core.spawn(core.sleep, 86400)
  gate:unref()
  local w = { gate = gate, task = core.current() }
  local q = self.waiters
  q.last = q.last + 1
  q[q.last] = w
  -- cancelled after the connection was handed over, before using it:
  -- pass it on
  local _ <close> = setmetatable({}, { __close = function()
    if w.handed and not w.taken then release(self) end
  end })
  gate:join()
  if not w.handed then -- woken without the connection (closed store)
    error("state database: the store is closed", 0)
  end
  w.taken = true
end

function release(self)
  local q = self.waiters
  while q.first <= q.last do
    local w = q[q.first]
    q[q.first] = nil
    q.first = q.first + 1
    local st = w.task and w.task:status()
    local alive = not w.task or st == "waiting" or st == "ready" or st == "running"
    w.handed = alive
    w.gate:cancel()
    if alive then return end -- the connection passes to it
  end
  self.busy = false
end

-- Runs body(...) holding the connection, and lets go of it however body
-- ends: returning, raising (a task's error does not close its pending
-- variables) or cancelled (that does).
local function holding(self, body, ...)
  acquire(self)
  local held = true
  local function let_go()
    if held then held = false release(self) end
  end
  local _ <close> = setmetatable({}, { __close = let_go })
  local r = table.pack(pcall(body, ...))
  let_go()
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

local UNAVAILABLE = "unavailable"

-- Codes that mean the server or the link went away, not a bad statement.
local function is_outage(code)
  return code == "connection" or (code and (code:match("^08") or code:match("^57P")))
end

local function went_down(self, err)
  if self.conn then self.conn:close() end
  self.conn = nil
  if not self.down_since then
    self.down_since = core.monotonic()
    self.backoff = 0.1
    log.warn("state database unreachable: stopped claiming runs, retrying with backoff",
      { database = self.display, error = (tostring(err):match("^[^\n]*")) })
  end
end

local function renew_leases(self)
  local ok, err, code = self.conn:query([[UPDATE runs SET lease_until = now() + $2 * interval '1 second'
    WHERE owner = $1 AND outcome = 'running']], self.owner, self.lease)
  if ok then
    ok, err, code = self.conn:query([[UPDATE inbox SET lease_until = now() + $2 * interval '1 second'
      WHERE owner = $1 AND state IN ('new', 'delivering')]], self.owner, self.lease)
  end
  return ok, err, code
end

-- The open connection, connecting when needed (no more often than the
-- backoff allows while the database is away). Called holding the lock.
local function connection(self)
  if self.conn and self.conn:ok() then return self.conn end
  if self.closed then return nil, "state database: the store is closed" end
  if self.down_since and core.monotonic() < (self.retry_at or 0) then
    return nil, "state database unreachable"
  end
  local conn, err = core.pg_connect(self.url, M.CONNECT_TIMEOUT)
  if not conn then
    went_down(self, err)
    self.retry_at = core.monotonic() + self.backoff
    self.backoff = math.min(self.backoff * 2, M.MAX_BACKOFF)
    return nil, "state database unreachable: " .. (tostring(err):match("^[^\n]*"))
  end
  self.conn = conn
  if self.down_since then
    -- our leases first, before other hosts look for expired ones
    renew_leases(self)
    log.info("state database reachable again: claiming runs again",
      { database = self.display, down_s = string.format("%.1f", core.monotonic() - self.down_since) })
    self.down_since, self.retry_at = nil, nil
  end
  return conn
end

-- Runs one statement holding the connection. Returns rows, count or nil,
-- message, code ("unavailable" when the database is away).
function Store:query(sql, ...)
  if self.tx_q then -- from inside a transaction's function: part of it
    local ok, rows, n = pcall(self.tx_q, sql, ...)
    if ok then return rows, n end
    return nil, type(rows) == "table" and rows.message or tostring(rows)
  end
  return holding(self, function(...)
    local conn, cerr = connection(self)
    if not conn then return nil, cerr, UNAVAILABLE end
    local rows, n, code = conn:query(sql, ...)
    if rows then return rows, n end
    if is_outage(code) or not conn:ok() then
      went_down(self, n)
      return nil, "state database unreachable: " .. (tostring(n):match("^[^\n]*")), UNAVAILABLE
    end
    return nil, n, code
  end, ...)
end

-- Runs fn(q) in one transaction holding the connection, where q(sql,
-- ...) runs a statement and raises on failure. Returns fn's result, or
-- nil, message, code. An error raised by fn itself (not the database)
-- rolls back and is raised again.
function Store:transaction(fn)
  return holding(self, function()
    local conn, cerr = connection(self)
    if not conn then return nil, cerr, UNAVAILABLE end
    local db_error
    local function q(sql, ...)
      local rows, n, code = conn:query(sql, ...)
      if not rows then
        db_error = { message = n, code = code }
        error(db_error, 0)
      end
      return rows, n
    end
    local ok, result = pcall(function()
      q("BEGIN")
      self.tx_q = q
      local v = table.pack(pcall(fn, q))
      self.tx_q = nil
      if not v[1] then error(v[2], 0) end
      q("COMMIT")
      return v[2]
    end)
    self.tx_q = nil
    if ok then return result, nil end
    if conn:ok() then conn:query("ROLLBACK") end
    if result ~= db_error then error(result, 0) end
    if is_outage(db_error.code) or not conn:ok() then
      went_down(self, db_error.message)
      return nil, "state database unreachable: " .. (tostring(db_error.message):match("^[^\n]*")),
        UNAVAILABLE
    end
    return nil, db_error.message, db_error.code
  end)
end

---------------------------------------------------------------- open, close

local function keeper(self)
  while not self.closed do
    core.sleep(self.lease / 3)
    if self.closed then return end
    holding(self, function()
      local conn = connection(self)
      if conn then
        local ok, err, code = renew_leases(self)
        if not ok and (is_outage(code) or not conn:ok()) then went_down(self, err) end
      end
    end)
  end
end

-- Opens the database at url (postgresql://...), creating the tables when
-- needed. Returns the store or nil, message.
function M.open(url)
  local host = M.host_name()
  local self = setmetatable({
    url = url, path = url, display = M.redact_url(url), kind = "postgresql", shared = true,
    host = host, owner = owner_token(host), lease = lease_seconds(),
    waiters = { first = 1, last = 0 }, busy = false, -- a FIFO of tasks waiting for the connection
  }, Store)
  local conn, err = core.pg_connect(url, M.CONNECT_TIMEOUT)
  if not conn then
    return nil, "state database " .. self.display .. ": " .. (tostring(err):match("^[^\n]*"))
  end
  self.conn = conn
  local _, terr = self:transaction(function(q)
    q("SELECT pg_advisory_xact_lock(7346235001)") -- hosts starting together: one creates
    for _, stmt in ipairs(M.SCHEMA) do q(stmt) end
    local rows = q("SELECT value FROM meta WHERE key = 'schema'")
    local version = rows[1] and tonumber(rows[1].value)
    if version and version > M.SCHEMA_VERSION then
      error(string.format("schema %d is newer than this livestation (%d)", version, M.SCHEMA_VERSION), 0)
    end
    if not version then
      q("INSERT INTO meta (key, value) VALUES ('schema', $1)", tostring(M.SCHEMA_VERSION))
    end
  end)
  if terr then
    conn:close()
    return nil, "state database " .. self.display .. ": " .. tostring(terr)
  end
  self.keeper = core.spawn(keeper, self)
  self.keeper:unref()
  return self
end

function Store:is_open()
  return not self.closed
end

-- true when the database answers, or nil, message (/healthz).
function Store:ping()
  return ok_or(self:query("SELECT 1 AS ok"))
end

-- Closes the store. A host that stops cleanly hands over the events it
-- did not deliver to the end at once: their leases end now.
function Store:close()
  if self.closed then return end
  pcall(self.query, self, [[UPDATE inbox SET lease_until = NULL
    WHERE owner = $1 AND state IN ('new', 'delivering')]], self.owner)
  self.closed = true
  if self.keeper then self.keeper:cancel() end
  self.keeper = nil
  local q = self.waiters
  for i = q.first, q.last do q[i].gate:cancel() end
  self.waiters = { first = 1, last = 0 }
  if self.conn then self.conn:close() end
  self.conn = nil
end

local function first(rows, err, code)
  if not rows then return nil, err, code end
  return rows[1]
end

local function ok_or(rows, err, code)
  if not rows then return nil, err, code end
  return true
end

---------------------------------------------------------------- jobs

function Store:get_job(name)
  return first(self:query("SELECT * FROM jobs WHERE name = $1", name))
end

-- Records a job whose schedule (re)starts at anchor_ms, unless another
-- host recorded the same schedule first; returns the anchor stored.
function Store:put_job(name, kind, spec, tz, anchor_ms)
  local row, err, code = first(self:query([[INSERT INTO jobs (name, kind, spec, tz, anchor_ms, next_ms, updated)
    VALUES ($1, $2, $3, $4, $5, NULL, $6)
    ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, spec = excluded.spec,
      tz = excluded.tz, anchor_ms = excluded.anchor_ms, updated = excluded.updated
      WHERE jobs.kind <> excluded.kind OR jobs.spec <> excluded.spec
        OR coalesce(jobs.tz, '') <> coalesce(excluded.tz, '')
    RETURNING anchor_ms]], name, kind, spec, tz, anchor_ms, now()))
  if err then return nil, err, code end
  if row then return row.anchor_ms end
  row, err, code = self:get_job(name) -- same schedule, recorded by another host
  if not row then return nil, err or "job row vanished", code end
  return row.anchor_ms
end

function Store:set_next(name, next_ms)
  return ok_or(self:query("UPDATE jobs SET next_ms = $1, updated = $2 WHERE name = $3",
    next_ms, now(), name))
end

function Store:jobs()
  return self:query("SELECT * FROM jobs ORDER BY name")
end

---------------------------------------------------------------- runs

-- Claims an attempt. Returns its id; false when another host holds it
-- or the run already completed; false, "early", seconds when the
-- database's clock says a first attempt is not due yet (a retry has its
-- own not-before time); nil, message, code.
function Store:start_run(job, scheduled_ms, attempt, started)
  local row, err, code = first(self:query([[
    INSERT INTO runs (job, scheduled_ms, attempt, started, outcome, host, owner, lease_until)
    SELECT $1::text, $2::bigint, $3::integer, $4::double precision, 'running', $5::text, $6::text,
      now() + $7::double precision * interval '1 second'
    WHERE ($3::integer > 1 OR extract(epoch FROM clock_timestamp()) * 1000 >= $2::bigint)
      AND NOT EXISTS (SELECT 1 FROM runs WHERE job = $1::text AND scheduled_ms = $2::bigint
        AND outcome = 'ok')
    ON CONFLICT DO NOTHING RETURNING id]],
    job, scheduled_ms, attempt, started, self.host, self.owner, self.lease))
  if err then return nil, err, code end
  if row then return row.id end
  row, err, code = first(self:query([[SELECT extract(epoch FROM clock_timestamp()) * 1000 AS now_ms,
    EXISTS (SELECT 1 FROM runs WHERE job = $1::text AND scheduled_ms = $2::bigint
      AND (attempt = $3::integer OR outcome = 'ok')) AS taken]], job, scheduled_ms, attempt))
  if err then return nil, err, code end
  if not row.taken and attempt == 1 and row.now_ms < scheduled_ms then
    return false, "early", (scheduled_ms - row.now_ms) / 1000
  end
  return false
end

-- Records how an attempt ended. A second completion of one run (its
-- lease had been taken over) is kept as 'duplicate'.
function Store:finish_run(id, outcome, finished, detail, retry_at)
  local sql = [[UPDATE runs SET outcome = $1, finished = $2, detail = $3, retry_at = $4,
    lease_until = NULL WHERE id = $5]]
  local rows, err, code = self:query(sql, outcome, finished, detail, retry_at, id)
  if not rows and code == "23505" then
    rows, err, code = self:query(sql, "duplicate", finished,
      "completed after another host completed the same run", nil, id)
  end
  return ok_or(rows, err, code)
end

function Store:record_run(job, scheduled_ms, outcome, detail)
  return ok_or(self:query([[INSERT INTO runs (job, scheduled_ms, attempt, started, finished, outcome, detail, host)
    VALUES ($1, $2, 1, NULL, $3, $4, $5, $6) ON CONFLICT DO NOTHING]],
    job, scheduled_ms, now(), outcome, detail, self.host))
end

-- Marks interrupted the attempts of job (all jobs when nil) whose lease
-- expired: their host died, or lost the database for longer than a
-- lease. Each is owed (retry_at t) until the job's rules settle it.
function Store:interrupt_runs(job, t)
  return ok_or(self:query([[UPDATE runs SET outcome = 'interrupted', lease_until = NULL,
      detail = 'the host stopped during the run', retry_at = $2
    WHERE outcome = 'running' AND (lease_until IS NULL OR lease_until < now())
      AND ($1::text IS NULL OR job = $1)]], job, t or now()))
end

-- The latest attempt of each run that still owes another, of job (every
-- job when nil), with the counts of its failed and interrupted attempts;
-- none of a run another host completed.
function Store:unfinished_runs(job)
  return self:query([[SELECT r.*,
      (SELECT COUNT(*) FROM runs f WHERE f.job = r.job AND f.scheduled_ms = r.scheduled_ms
        AND f.outcome IN ('failed', 'timeout'))::integer AS failures,
      (SELECT COUNT(*) FROM runs i WHERE i.job = r.job AND i.scheduled_ms = r.scheduled_ms
        AND i.outcome IN ('interrupted', 'cancelled'))::integer AS interruptions
    FROM runs r WHERE ($1::text IS NULL OR r.job = $1) AND r.retry_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM runs r2 WHERE r2.job = r.job
        AND r2.scheduled_ms = r.scheduled_ms AND (r2.attempt > r.attempt OR r2.outcome = 'ok'))
    ORDER BY r.scheduled_ms]], job)
end

function Store:give_up(id, detail)
  return ok_or(self:query("UPDATE runs SET retry_at = NULL, detail = $1 WHERE id = $2", detail, id))
end

function Store:last_scheduled(job)
  local row = first(self:query("SELECT MAX(scheduled_ms) AS s FROM runs WHERE job = $1", job))
  return row and row.s
end

function Store:has_run(job, scheduled_ms)
  return first(self:query("SELECT 1 AS x FROM runs WHERE job = $1 AND scheduled_ms = $2 LIMIT 1",
    job, scheduled_ms)) ~= nil
end

function Store:last_run(job)
  return first(self:query([[SELECT * FROM runs WHERE job = $1
    ORDER BY scheduled_ms DESC, attempt DESC LIMIT 1]], job))
end

function Store:runs(job)
  return self:query("SELECT * FROM runs WHERE job = $1 ORDER BY scheduled_ms, attempt", job)
end

---------------------------------------------------------------- key/value

function Store:kv_get(key)
  local row, err, code = first(self:query("SELECT value FROM kv WHERE key = $1", key))
  if err then return nil, err, code end
  return row and row.value
end

local function kv_write(q, key, text)
  if text == nil then return q("DELETE FROM kv WHERE key = $1", key) end
  return q([[INSERT INTO kv (key, value, updated) VALUES ($1, $2, $3)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated]],
    key, text, now())
end

function Store:kv_set(key, text)
  return ok_or(kv_write(function(...) return self:query(...) end, key, text))
end

function Store:kv_delete(key)
  local rows, n, code = self:query("DELETE FROM kv WHERE key = $1", key)
  if not rows then return nil, n, code end
  return n > 0
end

function Store:kv_keys(prefix)
  local rows, err, code
  if prefix then
    rows, err, code = self:query("SELECT key FROM kv WHERE left(key, $1) = $2 ORDER BY key", #prefix, prefix)
  else
    rows, err, code = self:query("SELECT key FROM kv ORDER BY key")
  end
  if not rows then return nil, err, code end
  local out = {}
  for i, r in ipairs(rows) do out[i] = r.key end
  return out
end

-- new = fn(old) with every other host's update of key waiting: the key's
-- advisory lock is held until the transaction ends.
function Store:kv_update(key, fn)
  return self:transaction(function(q)
    q("SELECT pg_advisory_xact_lock(hashtext($1))", key)
    local row = q("SELECT value FROM kv WHERE key = $1", key)[1]
    local new = fn(row and row.value)
    kv_write(q, key, new)
    return new
  end)
end

---------------------------------------------------------------- inbox

-- Stores an event under this host's lease: "stored" (this host delivers
-- it) or "duplicate" (some host has it already).
function Store:inbox_put(ev, body)
  local rows, n, code = self:query([[INSERT INTO inbox
    (id, event, channel_id, body, received, state, attempts, host, owner, lease_until)
    VALUES ($1, $2, $3, $4, $5, 'new', 0, $6, $7, now() + $8 * interval '1 second')
    ON CONFLICT DO NOTHING]],
    ev.key, ev.event, ev.channelId, body, now(), self.host, self.owner, self.lease)
  if not rows then return nil, n, code end
  return n > 0 and "stored" or "duplicate"
end

function Store:inbox_begin(id)
  local row = first(self:query([[UPDATE inbox SET state = 'delivering', attempts = attempts + 1,
    host = $2, owner = $3, lease_until = now() + $4 * interval '1 second'
    WHERE id = $1 RETURNING attempts]], id, self.host, self.owner, self.lease))
  return row and row.attempts or 1
end

function Store:inbox_finish(id, state)
  return ok_or(self:query("UPDATE inbox SET state = $1, finished = $2, lease_until = NULL WHERE id = $3",
    state, now(), id))
end

-- Events stored but not delivered whose lease expired (their host died):
-- taken over by this host, which delivers them again.
function Store:inbox_pending()
  return self:query([[UPDATE inbox SET owner = $1, host = $2, lease_until = now() + $3 * interval '1 second'
    WHERE id IN (SELECT id FROM inbox WHERE state IN ('new', 'delivering')
      AND (lease_until IS NULL OR lease_until < now()) FOR UPDATE SKIP LOCKED)
    RETURNING *]], self.owner, self.host, self.lease)
end

function Store:inbox_get(id)
  return first(self:query("SELECT * FROM inbox WHERE id = $1", id))
end

-- The latest n events, newest first, without their bodies.
function Store:inbox_recent(n)
  return self:query([[SELECT id, event, channel_id, received, state, attempts, finished, host
    FROM inbox ORDER BY received DESC, id DESC LIMIT $1]], n)
end

function Store:inbox_prune(before)
  return ok_or(self:query([[DELETE FROM inbox WHERE state NOT IN ('new', 'delivering')
    AND received < $1]], before))
end

return M
