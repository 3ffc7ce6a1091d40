-- The private PostgreSQL of the test run: $LIVESTATION_TEST_PG when the
-- runner started one (tools/run_tests.sh), else one started here on first
-- use (tools/pg_server.sh: a cluster in a temporary folder, a Unix
-- socket, no TCP port) and stopped when this process has gone.

local core = require "livestation.core"

local M = {}

local url, dir

local function sh(cmd)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

-- The folder of the running server (for stop/start), or nil.
function M.dir()
  M.url()
  return dir
end

function M.url()
  if url then return url end
  local env = os.getenv("LIVESTATION_TEST_PG")
  if env and env ~= "" then
    url, dir = env, os.getenv("LIVESTATION_TEST_PGDIR")
    return url
  end
  local base = os.tmpname()
  os.remove(base)
  assert(os.execute("mkdir -p '" .. base .. "' && chmod 711 '" .. base .. "'"))
  dir = base .. "/pg"
  -- a watcher stops the server once this process ($PPID of the shell)
  -- is gone: busted may leave without closing the Lua state
  local ok, out = sh("tools/pg_server.sh start '" .. dir .. "' 2>&1 && "
    .. "(while kill -0 $PPID 2>/dev/null; do sleep 1; done; tools/pg_server.sh stop '" .. dir
    .. "'; rm -rf '" .. base .. "') >/dev/null 2>&1 &")
  assert(ok, "cannot start the test PostgreSQL: " .. out)
  url = out:match("(postgresql://%S+)")
  return url
end

-- Stops and starts the server (for outage tests); its data stays.
function M.stop()
  assert(dir, "the test PostgreSQL was not started here")
  local ok, out = sh("tools/pg_server.sh stop '" .. dir .. "' 2>&1")
  assert(ok, out)
end

function M.start()
  local ok, out = sh("tools/pg_server.sh start '" .. dir .. "' 2>&1")
  assert(ok, out)
end

-- Runs one statement on a connection of its own; ? placeholders are
-- turned into $1, $2 ... Returns the rows; raises on failure.
function M.sql(q, ...)
  local n = 0
  q = q:gsub("%?", function() n = n + 1 return "$" .. n end)
  local conn = assert(core.pg_connect(M.url()))
  local rows, err = conn:query(q, ...)
  conn:close()
  assert(rows, err)
  return rows
end

-- Empties the scheduler's tables: a fresh store for the next test.
function M.reset()
  M.sql("DROP TABLE IF EXISTS meta, jobs, runs, kv, inbox")
end

return M
