-- Benchmark (not a test): 10,000 named timers due within half a second,
-- on 3 hosts sharing a PostgreSQL (each run claimed by one of them),
-- beside the same on one host with its SQLite file: claims per second
-- (runs started per second of the backlog) and lateness (start of a run
-- minus its scheduled time, p50/p99).
--
--   ./lsrun bench/multihost_bench.lua [N]     (make bench runs it)
--
-- The PostgreSQL is a private one in a temporary folder (tools/pg_server.sh).

if not package.searchpath("livestation.schedule", package.path) then
  package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
  package.cpath = "./?.so;" .. package.cpath
end

local core = require "livestation.core"

local N = tonumber(arg[1]) or 10000
local SPREAD = 0.5
local HOSTS = 3

local function sh(cmd)
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  return p:close(), out
end

local function percentile(sorted, p)
  return sorted[math.max(1, math.ceil(#sorted * p))]
end

local base = os.tmpname()
os.remove(base)
assert(os.execute("mkdir -p '" .. base .. "' && chmod 711 '" .. base .. "'"))

-- Runs completed so far in the store at state.
local function count(state)
  local rows
  if state:match("^postgresql://") then
    local conn = assert(core.pg_connect(state))
    rows = conn:query("SELECT COUNT(*)::integer AS n FROM runs WHERE outcome = 'ok'")
    conn:close()
  else
    local db = assert(core.sqlite_open(state))
    rows = db:query("SELECT COUNT(*) AS n FROM runs WHERE outcome = 'ok'")
    db:close()
  end
  return rows and rows[1] and rows[1].n or 0
end

-- Starts `hosts` hosts on state; T0 leaves them time to schedule N named
-- jobs each. Returns T0 once every host is ready.
local function run_hosts(state, hosts, setup)
  local t0 = core.now() + setup
  for n = 1, hosts do
    os.execute(string.format("LIVESTATION_HOST=h%d LIVESTATION_LOG=error ./lsrun bench/multihost_child.lua '%s' %d %.3f %g"
      .. " > %s/out.%d 2>&1 & echo $! > %s/pid.%d", n, state, N, t0, SPREAD, base, n, base, n))
  end
  local ready = 0
  while ready < hosts and core.now() < t0 + 60 do
    core.sleep(0.2)
    ready = 0
    for n = 1, hosts do
      local f = io.open(string.format("%s/out.%d", base, n))
      if f and f:read("a"):find("ready") then ready = ready + 1 end
      if f then f:close() end
    end
  end
  local late_setup = core.now() > t0
  core.sleep(math.max(0, t0 + SPREAD - core.now()) + 1)
  local deadline = core.now() + 60
  while count(state) < N and core.now() < deadline do core.sleep(0.5) end
  for n = 1, hosts do
    local f = io.open(string.format("%s/pid.%d", base, n))
    os.execute("kill -TERM " .. f:read("l") .. " 2>/dev/null")
    f:close()
  end
  core.sleep(1)
  for n = 1, hosts do
    local f = io.open(string.format("%s/out.%d", base, n))
    local text = f and f:read("a") or ""
    if f then f:close() end
    local bad = text:match("ERROR[^\n]*")
    if bad then print(string.format("host %d: %s", n, bad)) end
  end
  return t0, late_setup
end

local function report(title, rows, t0, late_setup)
  local late, last, hosts = {}, t0, {}
  for _, r in ipairs(rows) do
    late[#late + 1] = r.started - r.scheduled_ms / 1000
    last = math.max(last, r.started)
    if r.host then hosts[r.host] = (hosts[r.host] or 0) + 1 end
  end
  table.sort(late)
  local split = {}
  for h, c in pairs(hosts) do split[#split + 1] = h .. "=" .. c end
  table.sort(split)
  print(string.format("%-36s runs=%d  claims/s %.0f  lateness p50 %.1f ms  p99 %.1f ms%s%s",
    title, #rows, #rows / math.max(last - t0, 1e-3), percentile(late, 0.5) * 1000,
    percentile(late, 0.99) * 1000, #split > 0 and ("  " .. table.concat(split, " ")) or "",
    late_setup and "  (hosts were still scheduling at T0)" or ""))
end

-- one host, its SQLite file
local file = base .. "/state.db"
local t0, ls = run_hosts(file, 1, 8)
local db = assert(core.sqlite_open(file))
report(string.format("%d timers, 1 host, SQLite", N),
  assert(db:query("SELECT scheduled_ms, started, NULL AS host FROM runs WHERE outcome = 'ok'")), t0, ls)
db:close()

-- three hosts, one PostgreSQL
local ok, out = sh("tools/pg_server.sh start '" .. base .. "/pg' 2>&1")
assert(ok, out)
local url = out:match("(postgresql://%S+)")
-- a named job costs a few round trips to schedule; hosts share 2 cores
t0, ls = run_hosts(url, HOSTS, 10 + N * 0.006)
local conn = assert(core.pg_connect(url))
local rows = assert(conn:query("SELECT scheduled_ms, started, host FROM runs WHERE outcome = 'ok'"))
local dup = assert(conn:query("SELECT job FROM runs WHERE outcome = 'ok' GROUP BY job, scheduled_ms HAVING COUNT(*) > 1"))
conn:close()
report(string.format("%d timers, %d hosts, PostgreSQL", N, HOSTS), rows, t0, ls)
print(string.format("%-36s %d runs completed twice", "", #dup))
sh("tools/pg_server.sh stop '" .. base .. "/pg'")
if not os.getenv("KEEP") then os.execute("rm -rf '" .. base .. "'") else print(base) end
