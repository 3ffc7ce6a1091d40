-- Lua that never yields is interrupted from the loop's side: the core's
-- watchdog yields a task past its deadline (a job's timeout) or, after
-- SIGINT/SIGTERM, slices every task, so timeouts, grace periods and
-- Ctrl-C work beside a busy loop. Children are real lsrun and lua5.4
-- processes; signals are sent by pid.

local core = require "livestation.core"
local h = require "spec.helpers.schedule"
local scheduler = require "livestation.schedule.scheduler"

local read = h.read

-- Busy loops here end by themselves after 5 s: without the watchdog a
-- test fails instead of hanging.
local function spin_for(seconds)
  local stop = core.monotonic() + seconds
  local n = 0
  while core.monotonic() < stop do n = n + 1 end
  return n
end

describe("task deadlines", function()
  after_each(function() assert.equal(0, core.stats().tasks) end)

  it("yield a task that spins past its deadline, so another task can cancel it", function()
    local started = core.monotonic()
    local spin = core.spawn(spin_for, 5):deadline(0.2)
    core.spawn(function() core.sleep(0.2) spin:cancel() end)
    assert.same({ false, "cancelled" }, { spin:join() })
    assert.is_true(core.monotonic() - started < 1.5)
  end)

  it("reach a spin inside pcall, and run __close handlers on cancel", function()
    local closed = false
    local spin = core.spawn(function()
      local _ <close> = setmetatable({}, { __close = function() closed = true end })
      pcall(spin_for, 5)
    end):deadline(0.1)
    core.spawn(function() core.sleep(0.15) spin:cancel() end)
    assert.same({ false, "cancelled" }, { spin:join() })
    assert.is_true(closed)
  end)

  it("leave a task that waits alone", function()
    local t = core.spawn(function() core.sleep(0.05) return "fine" end):deadline(0.01)
    assert.same({ true, "fine" }, { t:join() })
    assert.has_error(function() t:deadline(0 / 0) end)
  end)
end)

describe("a job that never yields", function()
  after_each(h.cleanup)

  it("with timeout = 1 ends within 2 s with outcome timeout", function()
    local path = h.tmp_state()
    local S = scheduler.new { state = path }
    S.at(core.now(), function() spin_for(5) end, { name = "spin", timeout = 1 })
    assert.is_true(h.wait_until(function() return S.stats().timeout == 1 end, 5))
    local rows = h.journal(path, "spin")
    assert.equal("timeout", rows[1].outcome)
    assert.equal("timed out after 1s", rows[1].detail)
    -- from the run's start to its recorded end (the busy loop would go on for 5 s)
    local took = rows[1].finished - rows[1].started
    assert.is_true(took >= 1 and took < 2, "took " .. took .. " s")
    S.close()
  end)
end)

local children = {}

-- Kills (by pid) a child that outlived its test.
local function reap()
  for pid in pairs(children) do os.execute("kill -9 " .. pid .. " 2>/dev/null") end
  children = {}
  h.cleanup()
end

-- Starts cmd in the background in dir; returns its pid once it printed
-- "ready". Its output lands in dir/out, its exit status in dir/rc.
local function start(dir, cmd)
  os.execute(string.format("sh -c '%s > %s/out 2>&1 & echo $! > %s/pid; wait $!; echo $? > %s/rc' 2>/dev/null &",
    cmd, dir, dir, dir))
  local pid
  assert(h.wait_until(function()
    pid = pid or tonumber(read(dir .. "/pid") or "")
    return pid and (read(dir .. "/out") or ""):find("ready") ~= nil
  end, 15), "the child did not start: " .. tostring(read(dir .. "/out")))
  children[pid] = true
  return pid
end

local function wait_exit(dir, timeout)
  local t = core.monotonic()
  assert(h.wait_until(function() return (read(dir .. "/rc") or ""):match("^%d+\n") end, timeout),
    "the child did not exit")
  return tonumber(read(dir .. "/rc"):match("^%d+")), core.monotonic() - t
end

describe("a script that never yields", function()
  after_each(reap)

  it("stops within its grace on SIGTERM, exits 143 and says how to resume", function()
    local path, dir = h.tmp_state()
    local pid = start(dir, "./lsrun --grace 1 --state " .. path .. " spec/helpers/interrupt_child.lua spin_state")
    os.execute("kill -TERM " .. pid)
    local rc, took = wait_exit(dir, 10)
    assert.equal(143, rc)
    assert.is_true(took < 2.5, "took " .. took .. " s")
    local out = read(dir .. "/out")
    assert.matches("signal: shutting down; a second signal stops at once", out, 1, true)
    assert.matches("lsrun: stopped by SIGTERM; its state is kept in " .. path
      .. "; to resume, run again: lsrun --grace 1 --state " .. path
      .. " spec/helpers/interrupt_child.lua spin_state", out, 1, true)
  end)

  it("stops within its grace on SIGTERM when a server's handler never yields", function()
    local _, dir = h.tmp_state()
    local pid = start(dir, "cd " .. dir .. " && " .. os.getenv("PWD") .. "/lsrun --grace 1 "
      .. os.getenv("PWD") .. "/spec/helpers/interrupt_child.lua handler")
    os.execute("kill -TERM " .. pid)
    local rc, took = wait_exit(dir, 10)
    assert.equal(143, rc)
    assert.is_true(took < 2.5, "took " .. took .. " s")
  end)

  it("exits 130 on SIGINT, with no resume line when it keeps no state", function()
    local _, dir = h.tmp_state()
    local pid = start(dir, "cd " .. dir .. " && " .. os.getenv("PWD") .. "/lsrun --grace 0.5 "
      .. os.getenv("PWD") .. "/spec/helpers/interrupt_child.lua spin")
    os.execute("kill -INT " .. pid)
    local rc, took = wait_exit(dir, 10)
    assert.equal(130, rc)
    assert.is_true(took < 2, "took " .. took .. " s")
    assert.is_nil(read(dir .. "/out"):find("to resume", 1, true))
  end)
end)

describe("Ctrl-C from a plain lua5.4", function()
  after_each(reap)

  local function plain(mode)
    local _, dir = h.tmp_state()
    local pid = start(dir, "LUA_PATH=\"$PWD/lua/?.lua;$PWD/lua/?/init.lua;$PWD/?.lua;;\" LUA_CPATH=\"$PWD/?.so;;\" "
      .. "lua5.4 spec/helpers/interrupt_child.lua " .. mode)
    os.execute("kill -INT " .. pid)
    local rc, took = wait_exit(dir, 10)
    return rc, took, read(dir .. "/out")
  end

  it("interrupts the main chunk waiting in the loop", function()
    local rc, took, out = plain("sleep")
    assert.equal(1, rc)
    assert.is_true(took < 2, "took " .. took .. " s")
    assert.matches("interrupted!", out, 1, true)
  end)

  it("interrupts a task that never yields", function()
    local rc, took, out = plain("task_spin")
    assert.equal(1, rc)
    assert.is_true(took < 2, "took " .. took .. " s")
    assert.matches("interrupted!", out, 1, true)
  end)
end)

describe("a config file that never ends", function()
  after_each(h.cleanup)

  it("is refused after its budget", function()
    local _, dir = h.tmp_state()
    local f = assert(io.open(dir .. "/show.lua", "w"))
    f:write("while true do end\n")
    f:close()
    -- the budget is CPU time (README): the shell's `times` gives what
    -- lsrun used, which a loaded machine stretches in wall time only
    local pipe = io.popen("./lsrun scripts/scheduled_broadcast.lua --check " .. dir .. "/show.lua 2>&1; echo rc=$?; times")
    local out = pipe:read("a")
    pipe:close()
    local um, us, sm, ss = out:match("(%d+)m([%d.]+)s (%d+)m([%d.]+)s\n$")
    local cpu = tonumber(um) * 60 + tonumber(us) + tonumber(sm) * 60 + tonumber(ss)
    assert.is_true(cpu >= 2 - 0.05 and cpu < 2 + 1.5, "lsrun used " .. cpu .. " s of CPU")
    assert.matches("rc=2", out, 1, true)
    assert.matches("show.lua: error while reading it: it ran longer than 2 s (a loop that never ends?)", out, 1, true)
  end)
end)

describe("NaN, infinite and huge durations", function()
  after_each(h.cleanup)

  it("are refused with a clear error by the scheduler, or clamped where they mean forever", function()
    local S = scheduler.new { state = h.tmp_state() }
    local fn = function() end
    assert.has_error(function() S.at(0 / 0, fn) end, "at: time must be a finite number")
    assert.has_error(function() S.at(1e300, fn) end, "at: time must be epoch seconds between 1970 and 9999")
    assert.has_error(function() S.every(1, fn, { timeout = 0 / 0 }) end, "every: timeout must be seconds > 0")
    assert.has_error(function() S.every(1, fn, { jitter = 0 / 0 }) end, "every: jitter must be seconds >= 0")
    assert.has_error(function() S.every(1, fn, { jitter = math.huge }) end, "every: jitter must be seconds >= 0")
    local ran = false
    S.at(core.now(), function() ran = true end, { timeout = math.huge })
    assert.is_true(h.wait_until(function() return ran end, 3))
    S.close()
  end)

  it("are refused or clamped by the server and the client", function()
    assert.has_error(function()
      core.http_server { port = 0, head_timeout = 0 / 0, handler = function() end }
    end)
    assert.has_error(function()
      core.http_server { port = 0, max_connections = 0, handler = function() end }
    end)
    local srv = core.http_server { port = 0, idle_timeout = math.huge, head_timeout = 1e300,
      handler = function() return 200, {}, "ok" end }
    local t = core.spawn(function()
      return core.http_request { url = srv:url(), timeout = math.huge, connect_timeout = 1e300 }.body
    end)
    assert.same({ true, "ok" }, { t:join() })
    srv:close()
  end)
end)
