-- Operating it: `lsrun jobs` lists named jobs from a state file; the
-- host learns whether any run failed; SIGTERM/SIGINT give running runs
-- their grace, and a second signal stops at once (a real lsrun child).

local core = require "livestation.core"
local h = require "helpers.schedule"
local json = require "livestation.json"
local report = require "lsrun.jobs"
local schedule = require "livestation.schedule"
local service = require "livestation.schedule.service"

-- A writable stand-in for io.stdout.
local function buffer()
  local b = { text = "" }
  function b:write(...)
    for _, s in ipairs { ... } do self.text = self.text .. tostring(s) end
    return self
  end
  return b
end

after_each(function()
  h.cleanup()
  assert.equal(0, core.stats().tasks)
end)

describe("lsrun jobs", function()
  it("lists each named job with its schedule, last run, next run and outcome", function()
    local _, restore_log = h.capture_log("info")
    finally(restore_log)
    local path = h.tmp_state()
    local S = schedule.new { state = path }
    local done = S.at(core.now(), function() error("no channel") end, { name = "start-show" })
    S.every(3600, function() end, { name = "poll" })
    S.cron("0 9 * * *", function() end, { name = "clip", tz = "Asia/Seoul" })
    assert.is_true(h.wait_until(function() return done.status() == "done" end, 2))
    local next_poll = S.jobs()[1].next_run()
    S.close()
    local out, err = buffer(), buffer()
    assert.equal(0, report.main({ "--state", path }, out, err))
    assert.equal("", err.text)
    local lines = {}
    for l in out.text:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(4, #lines)
    assert.matches("^JOB%s+SCHEDULE%s+LAST RUN%s+NEXT RUN%s+OUTCOME$", lines[1])
    assert.matches("^clip%s+cron '0 9 %* %* %*' Asia/Seoul%s+%-%s+%d%d%d%d%-%d%d%-%d%dT09:00:00%+09:00%s+%-$", lines[2])
    assert.matches("^poll%s+every 3600s%s+%-%s+%S+%s+%-$", lines[3])
    assert.matches("^start%-show%s+at %S+%s+%S+%s+%-%s+failed: .*no channel$", lines[4])
    out = buffer()
    assert.equal(0, report.main({ "--state", path, "--json" }, out, err))
    local list = json.decode(out.text)
    assert.equal("poll", list[2].name)
    assert.near(next_poll, list[2].next, 0.001)
    assert.equal("failed", list[3].last.outcome)
  end)

  it("says when there is no state file, or the arguments are wrong", function()
    local out, err = buffer(), buffer()
    assert.equal(1, report.main({ "--state", "/nonexistent/x.db" }, out, err))
    assert.equal("lsrun: no state file at /nonexistent/x.db\n", err.text)
    err = buffer()
    assert.equal(2, report.main({ "--bogus" }, out, err))
    assert.equal("lsrun: jobs: unexpected argument '--bogus'\n" .. report.USAGE, err.text)
    err = buffer()
    assert.equal(2, report.main({ "--state" }, out, err))
    assert.equal("lsrun: --state needs a file\n" .. report.USAGE, err.text)
  end)

  it("runs from lsrun", function()
    local path = h.tmp_state()
    local S = schedule.new { state = path }
    S.every(60, function() end, { name = "from-lsrun" })
    S.close()
    local p = io.popen("./lsrun -e 'os.exit(require(\"lsrun.jobs\").main({\"--state\", \"" .. path .. "\"}))'")
    local text = p:read("a")
    assert.is_true(p:close())
    assert.matches("from%-lsrun%s+every 60s", text)
  end)
end)

describe("the host", function()
  it("learns how many runs did not end well", function()
    local _, restore_log = h.capture_log("info")
    finally(restore_log)
    local path = h.tmp_state()
    local prev = schedule.set_default(schedule.new())
    service.start { state = path, signals = false }
    assert.equal(path, schedule.state_file())
    local job = schedule.at(core.now(), function() error("broken") end, { name = "bad" })
    schedule.at(core.now(), function() end, { name = "good" })
    assert.is_true(h.wait_until(function() return job.status() == "done" end, 2))
    assert.equal(1, service.finish())
    schedule.set_default(prev)
  end)
end)

describe("signals", function()
  local dir, state

  local function read(p)
    local f = io.open(p, "rb")
    if not f then return nil end
    local s = f:read("a")
    f:close()
    return s
  end

  -- Starts the child; returns its pid once its run has started.
  local function start(busy, grace)
    state, dir = h.tmp_state()
    os.execute(string.format("sh -c './lsrun spec/helpers/schedule_signal_child.lua %s %g %g > %s/out 2>&1 & echo $! > %s/pid; wait $!; echo $? > %s/rc' 2>/dev/null &",
      state, busy, grace, dir, dir, dir))
    local pid
    assert(h.wait_until(function()
      pid = pid or tonumber(read(dir .. "/pid") or "")
      return pid and (read(dir .. "/out") or ""):find("running") ~= nil
    end, 10), "the host did not start")
    return pid
  end

  -- The exit status (once the wrapper shell has written it whole) and
  -- how long it took.
  local function wait_exit(timeout)
    local t = core.monotonic()
    assert(h.wait_until(function() return (read(dir .. "/rc") or ""):match("^%d+\n") end, timeout),
      "the host did not exit")
    return tonumber(read(dir .. "/rc"):match("^%d+")), core.monotonic() - t
  end

  local function journal()
    return h.journal(state, "long")
  end

  it("SIGTERM lets the running run finish within the grace", function()
    local pid = start(0.4, 5)
    os.execute("kill -TERM " .. pid)
    local rc, took = wait_exit(10)
    assert.equal(143, rc, "128 + SIGTERM, as shells expect")
    assert.is_true(took < 4)
    assert.equal("ok", journal()[1].outcome)
    assert.matches("signal: shutting down", read(dir .. "/out"))
  end)

  it("SIGINT cancels what outlives the grace", function()
    local pid = start(30, 0.3)
    os.execute("kill -INT " .. pid)
    local _, took = wait_exit(10)
    assert.is_true(took < 3)
    assert.same({ "cancelled", "stopped before it finished" }, { journal()[1].outcome, journal()[1].detail })
  end)

  it("a second signal stops at once", function()
    local pid = start(30, 60)
    os.execute("kill -TERM " .. pid)
    core.sleep(0.2)
    os.execute("kill -INT " .. pid)
    local _, took = wait_exit(10)
    assert.is_true(took < 3)
    assert.equal("cancelled", journal()[1].outcome)
    assert.matches("second signal: stopping now", read(dir .. "/out"))
  end)
end)
