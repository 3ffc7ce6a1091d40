-- Jobs while the host runs: at, every and cron fire on time in their own
-- tasks; overlap, timeout, retry, jitter and cancel behave as documented;
-- each run logs one line; nothing is left behind.

local core = require "livestation.core"
local h = require "helpers.schedule"
local schedule = require "livestation.schedule"

local S, lines, restore_log

before_each(function()
  lines, restore_log = h.capture_log("info")
  S = schedule.new { state = (h.tmp_state()) }
end)

after_each(function()
  S.close()
  restore_log()
  h.cleanup()
  assert.equal(0, core.stats().tasks) -- no task left behind
end)

describe("at", function()
  it("runs once at its time, in a task, with what it needs to know", function()
    local got
    local t0 = core.now()
    local job = S.at(t0 + 0.1, function(run)
      got = { run = run, task = core.current() ~= nil, at = core.now() }
    end)
    assert.equal("at", job.kind)
    assert.near(t0 + 0.1, job.next_run(), 0.001)
    assert.equal("scheduled", job.status())
    assert.is_true(h.wait_until(function() return got end, 3))
    assert.is_true(got.task)
    assert.is_true(got.at >= t0 + 0.1 - 0.001) -- times are kept to the millisecond
    assert.near(t0 + 0.1, got.run.scheduled, 0.001)
    assert.equal(1, got.run.attempt)
    assert.is_true(got.run.lateness >= 0 and got.run.lateness < 0.5)
    assert.is_true(h.wait_until(function() return job.status() == "done" end, 1))
    assert.is_nil(job.next_run())
    assert.equal("ok", job.last_run().outcome)
    assert.same({}, S.jobs())
  end)

  it("runs at once when its time has already passed", function()
    local ran = false
    S.at(core.now() - 60, function() ran = true end)
    assert.is_true(h.wait_until(function() return ran end, 1))
  end)

  it("accepts ISO-8601 text and date tables in a zone", function()
    local j1 = S.at("2036-11-22T19:00:00+09:00", function() end)
    local j2 = S.at({ year = 2036, month = 11, day = 22, hour = 19 }, function() end, { tz = "Asia/Seoul" })
    local j3 = S.at("2036-11-22T19:00:00", function() end, { tz = "Asia/Seoul" })
    assert.equal(2110960800, j1.next_run())
    assert.equal(2110960800, j2.next_run())
    assert.equal(2110960800, j3.next_run())
    assert.equal(3, #S.jobs())
    assert.is_true(j1.cancel())
    assert.is_false(j1.cancel())
    assert.equal("cancelled", j1.status())
    assert.equal(2, #S.jobs())
  end)
end)

describe("every", function()
  it("runs at fractions of a second, counted from its start, without drift", function()
    local scheduled = {}
    local job = S.every(0.05, function(run) scheduled[#scheduled + 1] = run.scheduled end)
    assert.is_true(h.wait_until(function() return #scheduled >= 6 end, 3))
    job.cancel()
    for i = 2, #scheduled do
      assert.equal(50, math.floor((scheduled[i] - scheduled[i - 1]) * 1000 + 0.5))
    end
    assert.equal("ok", job.last_run().outcome)
    assert.is_nil(job.next_run())
  end)
end)

describe("cron", function()
  it("fires on whole seconds with six fields", function()
    local seen = {}
    local job = S.cron("* * * * * *", function(run) seen[#seen + 1] = run.scheduled end, { tz = "Asia/Seoul" })
    assert.equal(math.floor(core.now()) + 1, job.next_run())
    assert.is_true(h.wait_until(function() return #seen >= 2 end, 4))
    job.cancel()
    assert.equal(math.type(seen[1]), "float")
    assert.equal(seen[1] % 1, 0)
    assert.equal(1, seen[2] - seen[1])
  end)

  it("refuses an expression that never fires, or a bad one", function()
    assert.has_error(function() S.cron("0 0 30 2 *", function() end) end, "cron: '0 0 30 2 *' never fires")
    assert.has_error(function() S.cron("* * *", function() end) end,
      "cron: expected 5 or 6 fields, got 3 in '* * *'")
    assert.has_error(function() S.cron("* * * * *", function() end, { tz = "Nowhere/Land" }) end,
      "unknown time zone 'Nowhere/Land'")
  end)
end)

-- Runs fn every 0.04 s for about `span` seconds with `overlap`; each run
-- lasts `busy` seconds. Returns the runs' scheduled times and the most
-- that ran at once.
local function overlapping(overlap, busy, span)
  local running, most, started = 0, 0, {}
  local job = S.every(0.04, function(run)
    running = running + 1
    most = math.max(most, running)
    started[#started + 1] = run.scheduled
    core.sleep(busy)
    running = running - 1
  end, { overlap = overlap })
  core.sleep(span)
  job.cancel()
  assert.is_true(h.wait_until(function() return job.running() == 0 end, 3))
  return started, most
end

describe("overlap", function()
  it("skip: a run due while the last one runs is skipped and logged", function()
    local started, most = overlapping("skip", 0.1, 0.45)
    assert.equal(1, most)
    assert.is_true(#started >= 2)
    assert.is_true(S.stats().skipped >= 2)
    assert.is_true(#h.grep(lines, "outcome=skipped", "overlap") >= 2)
  end)

  it("queue: runs wait their turn, none is lost", function()
    local started, most = overlapping("queue", 0.06, 0.3)
    assert.equal(1, most)
    for i = 2, #started do
      assert.equal(40, math.floor((started[i] - started[i - 1]) * 1000 + 0.5))
    end
    assert.equal(0, #h.grep(lines, "outcome=skipped", "overlap"))
  end)

  it("allow: runs may go on side by side", function()
    local _, most = overlapping("allow", 0.1, 0.3)
    assert.is_true(most >= 2)
  end)
end)

describe("timeout", function()
  it("cancels the run's task; its to-be-closed variables run", function()
    local closed = false
    local job = S.every(0.05, function()
      local _ <close> = setmetatable({}, { __close = function() closed = true end })
      core.sleep(5)
    end, { timeout = 0.05 })
    assert.is_true(h.wait_until(function() return job.last_run() end, 3))
    job.cancel()
    assert.is_true(closed)
    local last = job.last_run()
    assert.equal("timeout", last.outcome)
    assert.equal("timed out after 0.05s", last.error)
    assert.is_true(S.failures() >= 1)
    assert.is_true(#h.grep(lines, "ERROR", "outcome=timeout") >= 1)
  end)
end)

describe("retry", function()
  it("tries again after a pause until an attempt succeeds", function()
    local attempts = {}
    local t0 = core.monotonic()
    local job = S.at(core.now(), function(run)
      attempts[#attempts + 1] = { run.attempt, core.monotonic() - t0 }
      if run.attempt < 3 then error("not yet") end
    end, { retry = { attempts = 3, backoff = 0.05 } })
    assert.is_true(h.wait_until(function() return job.status() == "done" end, 3))
    assert.equal(3, #attempts)
    assert.is_true(attempts[3][2] - attempts[1][2] >= 0.05 + 0.1 - 0.01) -- 0.05 then 0.1
    local last = job.last_run()
    assert.equal("ok", last.outcome)
    assert.equal(3, last.attempt)
    assert.equal(0, S.failures())
    assert.equal(2, #h.grep(lines, "WARN", "outcome=failed", "retry_in="))
  end)

  it("gives up after the last attempt and counts a failure", function()
    local job = S.at(core.now(), function() error("always") end,
      { retry = { attempts = 2, backoff = function() return 0.01 end } })
    assert.is_true(h.wait_until(function() return job.status() == "done" end, 3))
    local last = job.last_run()
    assert.same({ "failed", 2 }, { last.outcome, last.attempt })
    assert.matches("always", last.error)
    assert.equal(1, S.failures())
    local final = h.grep(lines, "ERROR", "outcome=failed", "attempt=2")
    assert.equal(1, #final)
    assert.matches("traceback=", final[1])
  end)
end)

describe("jitter", function()
  it("delays each run by up to the jitter, never earlier", function()
    local late = {}
    local job = S.every(0.05, function(run) late[#late + 1] = run.lateness end, { jitter = 0.03 })
    assert.is_true(h.wait_until(function() return #late >= 5 end, 3))
    job.cancel()
    for _, l in ipairs(late) do assert.is_true(l >= 0 and l < 0.2, tostring(l)) end
  end)
end)

describe("jobs", function()
  it("lists scheduled jobs with their names; names are unique", function()
    S.every(10, function() end, { name = "a" })
    S.cron("@daily", function() end, { name = "b" })
    local list = S.jobs()
    assert.same({ "a", "b" }, { list[1].name, list[2].name })
    assert.has_error(function() S.every(5, function() end, { name = "a" }) end,
      "a job named 'a' is already scheduled")
    list[1]:cancel() -- methods work with : too
    assert.equal(1, #S.jobs())
  end)

  it("checks its arguments", function()
    local f = function() end
    local cases = {
      { function() S.every(0, f) end, "every: seconds must be a number >= 0.001" },
      { function() S.every(1, "x") end, "every: fn must be a function" },
      { function() S.every(1, f, { nmae = "x" }) end, "every: unknown option 'nmae'" },
      { function() S.every(1, f, { catch_up = "some" }) end, "every: catch_up must be 'skip', 'once' or 'all'" },
      { function() S.every(1, f, { overlap = "x" }) end, "every: overlap must be 'skip', 'queue' or 'allow'" },
      { function() S.every(1, f, { jitter = -1 }) end, "every: jitter must be seconds >= 0" },
      { function() S.every(1, f, { timeout = 0 }) end, "every: timeout must be seconds > 0" },
      { function() S.every(1, f, { retry = { attempts = 0 } }) end, "every: retry.attempts must be an integer >= 1" },
      { function() S.every(1, f, { retry = { backoff = "x" } }) end,
        "every: retry.backoff must be seconds >= 0 or a function(attempt)" },
      { function() S.every(1, f, { name = "" }) end, "every: name must be a non-empty string" },
      { function() S.at("soon", f) end, "at: not an ISO-8601 time: 'soon'" },
    }
    for _, c in ipairs(cases) do assert.has_error(c[1], c[2]) end
  end)

  it("logs every run: job, scheduled time, lateness, duration, outcome", function()
    local job = S.at(core.now() + 0.02, function() core.sleep(0.03) end, { name = "logged" })
    assert.is_true(h.wait_until(function() return job.status() == "done" end, 3))
    local l = h.grep(lines, "job run", "job=logged")
    assert.equal(1, #l)
    for _, field in ipairs { "scheduled=", "lateness_ms=", "duration_ms=", "outcome=ok", "attempt=1" } do
      assert.matches(field, l[1], 1, true)
    end
    local ms = tonumber(l[1]:match("duration_ms=(%d+)"))
    assert.is_true(ms >= 25 and ms < 1000)
  end)

  it("handles runs the host was too late for by the catch-up policy", function()
    local ran = {}
    local job = S.every(0.02, function(run) ran[#ran + 1] = run.scheduled end, { catch_up = "all" })
    core.sleep(0.05)
    local t = core.monotonic()
    while core.monotonic() - t < 0.15 do end -- the loop is blocked: runs come late
    core.sleep(0.1)
    job.cancel()
    assert.is_true(h.wait_until(function() return job.running() == 0 end, 2))
    for i = 2, #ran do assert.equal(20, math.floor((ran[i] - ran[i - 1]) * 1000 + 0.5)) end
    assert.is_true(#h.grep(lines, "job missed runs", "why=late") >= 1)
  end)

  it("ends its timer task when no job is left, so the loop can end", function()
    local job = S.every(60, function() end)
    assert.equal(1, S.stats().timers)
    job.cancel()
    assert.equal(0, S.stats().timers)
    assert.equal(0, core.run())
  end)
end)
