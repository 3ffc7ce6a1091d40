-- Benchmark: 10,000 tasks, each making one call at the same moment, against
-- `lsrun emulator` in a process of its own on 127.0.0.1. Run twice, each in
-- a fresh process: with the default connection caps, and with the caps off
-- (every call opens its own socket, as before the caps). Prints calls
-- answered, timeouts, open descriptors and peak RSS of each run, the goals,
-- and the ratios. Run: ./lsrun bench/concurrency_bench.lua [CALLS]
-- (a run: ./lsrun bench/concurrency_bench.lua CALLS --run capped|uncapped URL)

local core = require "livestation.core"
local livestation = require "livestation"
local emulator = require "livestation.emulator"

local calls = math.tointeger(tonumber(arg and arg[1]) or 10000)
local mode, url = arg and arg[3], arg and arg[4]

local function proc_status(field)
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return tonumber(text:match(field .. ":%s*(%d+)"))
end

local function pid()
  local f = io.open("/proc/self/stat")
  local p = f and f:read("l"):match("^(%d+)")
  if f then f:close() end
  return p
end

local function open_fds(p)
  local h = io.popen("ls /proc/" .. p .. "/fd 2>/dev/null | wc -l")
  local n = tonumber(h:read("l"))
  h:close()
  return n or 0
end

---------------------------------------------------------------- one run

local function run()
  if mode == "uncapped" then livestation.connection_limits { per_host = 0, total = 0 } end
  local ls = livestation.new { endpoint = url, access_key = emulator.DEFAULT_ACCESS_KEY,
    secret_key = emulator.DEFAULT_SECRET_KEY }
  local qs = assert(ls:call("qualitySet.list", {}))
  local ch = assert(ls:call("channel.create", { channelName = "bench_many", qualitySetId = qs[1].id,
    useDvr = false, immediateOnAir = false, record = { type = "NO_RECORD" },
    cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } }))
  local me, peak_fds, sampling = pid(), 0, true
  local sampler = core.spawn(function()
    while sampling do
      local n = open_fds(me)
      if n > peak_fds then peak_fds = n end
      core.sleep(0.05)
    end
  end)
  local ok, timeouts, other, first = 0, 0, 0, nil
  local tasks = {}
  local started = core.monotonic()
  for i = 1, calls do
    tasks[i] = core.spawn(function()
      -- one attempt: a timeout shows instead of being retried away
      local content, err = ls:call("channel.get", { channelId = ch.channelId }, { attempts = 1 })
      if content then ok = ok + 1
      elseif err.kind == "timeout" then timeouts = timeouts + 1
      else other = other + 1; first = first or tostring(err) end
    end)
  end
  for _, t in ipairs(tasks) do t:join() end
  local elapsed = core.monotonic() - started
  sampling = false
  sampler:join()
  print(string.format("%s %d %d %d %.3f %d %d %s", mode, ok, timeouts, other, elapsed, peak_fds,
    proc_status("VmHWM") or 0, first and first:gsub("%s", "_") or "-"))
end

if mode then return run() end

---------------------------------------------------------------- driver

local stop_emulator
url, stop_emulator = dofile("bench/emulator_process.lua").start()

local results = {}
for _, m in ipairs { "capped", "uncapped" } do
  -- each run in a process of its own, so that peak RSS is its own
  local h = io.popen(string.format("ulimit -n 65536 2>/dev/null; ./lsrun bench/concurrency_bench.lua %d --run %s %s 2>&1",
    calls, m, url))
  local out = h:read("a")
  h:close()
  local line = out:match("(" .. m .. " [^\n]+)")
  local r = {}
  if line then
    r.ok, r.timeouts, r.other, r.seconds, r.fds, r.rss_kb, r.first =
      line:match("^%S+ (%d+) (%d+) (%d+) ([%d.]+) (%d+) (%d+) (%S+)")
  end
  if not r.ok then
    print(m .. ": the run failed: " .. out:sub(1, 300))
  else
    for k, v in pairs(r) do r[k] = tonumber(v) or v end
    results[m] = r
    print(string.format("%-9s %5d/%d answered, %d timed out, %d other failures, %.2f s, " ..
      "peak %d descriptors, peak RSS %.1f MB%s", m, r.ok, calls, r.timeouts, r.other, r.seconds,
      r.fds, r.rss_kb / 1024, r.first ~= "-" and (" (first: " .. r.first:gsub("_", " ") .. ")") or ""))
  end
end
stop_emulator()

local c, u = results.capped, results.uncapped
print(string.format("goal: %d concurrent calls all answered, none timed out, peak RSS under 100 MB", calls))
if c then
  print(string.format("capped:   %s (%d answered, %d timeouts, %.1f MB)",
    (c.ok == calls and c.timeouts == 0 and c.rss_kb < 100 * 1024) and "MET" or "NOT MET",
    c.ok, c.timeouts, c.rss_kb / 1024))
end
if c and u then
  print(string.format("ratios capped/uncapped: peak RSS %.2f, peak descriptors %.3f, time %.2f",
    c.rss_kb / u.rss_kb, c.fds / math.max(1, u.fds), c.seconds / u.seconds))
end
