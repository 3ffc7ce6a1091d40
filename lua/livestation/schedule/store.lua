-- The scheduler's store: what must outlive a host (the jobs it knows, the
-- run journal of named jobs, the scripts' key/value state and the webhook
-- inbox). One interface, two implementations:
--
--   a file path        one SQLite file (store_sqlite), the embedded default
--   postgresql://...   a PostgreSQL database that several hosts share
--                      (store_pg; also postgres://)
--
-- Default location: $LIVESTATION_STATE, else ./livestation-state.db.
--
-- Methods every store has (failures return nil, message; none raises):
--   jobs:  get_job(name)  put_job(name, kind, spec, tz, anchor_ms) -> anchor
--          set_next(name, next_ms)  jobs()
--   runs:  start_run(job, scheduled_ms, attempt, started) -> id | false
--            (false: another attempt holds this one; never run it twice)
--          finish_run(id, outcome, finished, detail, retry_at)
--          record_run(job, scheduled_ms, outcome, detail)
--          interrupt_runs(job, t)  (running -> interrupted, owed: retry_at t)
--          unfinished_runs(job)  (latest attempt of each run with retry_at
--            set, plus counts `failures` (failed, timeout) and
--            `interruptions` (interrupted, cancelled) of that run)
--          give_up(id, detail)  (settles: retry_at NULL)
--          last_scheduled(job)  has_run(job, ms)  last_run(job)  runs(job)
--   state: kv_get(key) -> JSON text  kv_set(key, text|nil)  kv_delete(key)
--          kv_keys(prefix)  kv_update(key, fn(old_text) -> new_text)
--   inbox: inbox_put(ev, body) -> "stored" | "duplicate"  inbox_begin(id)
--          inbox_finish(id, state)  inbox_pending()  inbox_get(id)
--          inbox_prune(before)  inbox_recent(n) -> newest first, no bodies
--   ping() -> true | nil, message: does the store answer (/healthz)
--   is_open()  close();  fields: path (where it is), kind ("sqlite" or
--   "postgresql"), shared (true when other hosts may use it too).

local metrics = require "livestation.metrics"

local M = {}

M.DEFAULT_PATH = "./livestation-state.db"

function M.default_path()
  local env = os.getenv("LIVESTATION_STATE")
  if env and env ~= "" then return env end
  return M.DEFAULT_PATH
end

-- True when location names a PostgreSQL database rather than a file.
function M.is_postgres(location)
  return type(location) == "string"
    and (location:match("^postgresql://") or location:match("^postgres://")) ~= nil
end

-- Opens the store at location (default default_path()). Returns it or
-- nil, message. Failures of either backend count in
-- livestation_state_store_errors_total{backend=kind}.
function M.open(location)
  location = location or M.default_path()
  local kind = M.is_postgres(location) and "postgresql" or "sqlite"
  local store, err = require("livestation.schedule.store_" .. (kind == "sqlite" and "sqlite" or "pg"))
    .open(location)
  if not store then
    metrics.store_error(kind)
    return nil, err
  end
  return M.counted(store)
end

-- The store with each method's failures counted: a method fails when it
-- returns nil and a message (nil alone is "none", false is an answer).
-- Fields (path, kind, shared) read and write through.
function M.counted(store)
  local methods = {}
  return setmetatable({}, { __newindex = store, __index = function(_, k)
    local v = store[k]
    if type(v) ~= "function" then return v end
    local f = methods[k]
    if not f then
      f = function(_, ...)
        local r = table.pack(v(store, ...))
        if r[1] == nil and r[2] ~= nil then metrics.store_error(store.kind or "sqlite") end
        return table.unpack(r, 1, r.n)
      end
      methods[k] = f
    end
    return f
  end })
end

return M
