-- The run journal of named jobs, on the state file: which runs started,
-- how each attempt ended, which attempts are still owed, and the jobs'
-- schedules. Failures of the database return nil, message.

local core = require "livestation.core"

local M = {}

local now = core.now

---------------------------------------------------------------- jobs

-- The stored row of job `name`, or nil.
function M.get_job(store, name)
  local rows = store:query("SELECT * FROM jobs WHERE name = ?", name)
  return rows and rows[1]
end

-- Inserts or replaces the row of a job whose schedule (re)starts now.
function M.put_job(store, name, kind, spec, tz, anchor_ms)
  return store:query([[INSERT INTO jobs (name, kind, spec, tz, anchor_ms, next_ms, updated)
    VALUES (?, ?, ?, ?, ?, NULL, ?)
    ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, spec = excluded.spec,
      tz = excluded.tz, anchor_ms = excluded.anchor_ms, updated = excluded.updated]],
    name, kind, spec, tz, anchor_ms, now())
end

function M.set_next(store, name, next_ms)
  return store:query("UPDATE jobs SET next_ms = ?, updated = ? WHERE name = ?", next_ms, now(), name)
end

function M.jobs(store)
  return store:query("SELECT * FROM jobs ORDER BY name")
end

---------------------------------------------------------------- runs

-- Records that an attempt starts; returns its row id.
function M.start(store, job, scheduled_ms, attempt, started)
  local ok, err = store:query([[INSERT INTO runs (job, scheduled_ms, attempt, started, outcome)
    VALUES (?, ?, ?, ?, 'running')]], job, scheduled_ms, attempt, started)
  if not ok then return nil, err end
  return store.db:last_insert_id()
end

-- Records how an attempt ended; retry_at is set when another is owed.
function M.finish(store, id, outcome, finished, detail, retry_at)
  return store:query([[UPDATE runs SET outcome = ?, finished = ?, detail = ?, retry_at = ?
    WHERE id = ?]], outcome, finished, detail, retry_at, id)
end

-- Records a run that did not start (skipped, or missed while down).
function M.record(store, job, scheduled_ms, outcome, detail)
  local t = now()
  return store:query([[INSERT OR IGNORE INTO runs (job, scheduled_ms, attempt, started, finished, outcome, detail)
    VALUES (?, ?, 1, NULL, ?, ?, ?)]], job, scheduled_ms, t, outcome, detail)
end

-- Marks the attempts of `job` left running by a host that died.
function M.mark_interrupted(store, job)
  return store:query([[UPDATE runs SET outcome = 'interrupted', detail = 'the host stopped during the run'
    WHERE job = ? AND outcome = 'running']], job)
end

-- Attempts that did not finish the run and are the run's latest attempt:
-- interrupted ones, and failed ones with a retry owed.
function M.unfinished(store, job)
  return store:query([[SELECT * FROM runs r WHERE r.job = ?
      AND (r.outcome = 'interrupted' OR r.retry_at IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM runs r2 WHERE r2.job = r.job
        AND r2.scheduled_ms = r.scheduled_ms AND r2.attempt > r.attempt)
    ORDER BY r.scheduled_ms]], job)
end

-- Closes an attempt that will not be retried.
function M.give_up(store, id, detail)
  return store:query("UPDATE runs SET retry_at = NULL, detail = ? WHERE id = ?", detail, id)
end

-- The latest scheduled time the journal knows for job, or nil.
function M.last_scheduled(store, job)
  local rows = store:query("SELECT MAX(scheduled_ms) AS s FROM runs WHERE job = ?", job)
  return rows and rows[1] and rows[1].s
end

-- True when the journal has any row for this run.
function M.has_run(store, job, scheduled_ms)
  local rows = store:query("SELECT 1 AS x FROM runs WHERE job = ? AND scheduled_ms = ? LIMIT 1",
    job, scheduled_ms)
  return rows and rows[1] ~= nil
end

-- The latest attempt row of job (by scheduled time, then attempt).
function M.last_run(store, job)
  local rows = store:query([[SELECT * FROM runs WHERE job = ?
    ORDER BY scheduled_ms DESC, attempt DESC LIMIT 1]], job)
  return rows and rows[1]
end

-- Every row of job, oldest first (for listings and tests).
function M.runs(store, job)
  return store:query("SELECT * FROM runs WHERE job = ? ORDER BY scheduled_ms, attempt", job)
end

return M
