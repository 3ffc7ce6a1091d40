-- The journal across restarts (a restart here is a new scheduler on the
-- same state file): completed runs never repeat, missed runs follow
-- catch_up, interrupted runs are retried only when retry allows, and
-- shutdown gives running runs their grace.

local core = require "livestation.core"
local h = require "helpers.schedule"
local schedule = require "livestation.schedule"

-- The same specs for each store: a file, and the shared PostgreSQL.
local function suite(backend)
  local path, lines, restore_log
  local open = {}

  local function start()
    local S = schedule.new { state = path }
    open[#open + 1] = S
    return S
  end

  before_each(function()
    lines, restore_log = h.capture_log("info")
    path = h.tmp_state()
  end)

  after_each(function()
    for _, S in ipairs(open) do S.close() end
    open = {}
    restore_log()
    h.cleanup()
    assert.equal(0, core.stats().tasks)
  end)

  -- The journal of job once the writes on their way to a shared store
  -- have landed: a PostgreSQL store records runs from tasks of their
  -- own, which a loaded machine runs later.
  local function journal(job)
    assert(h.wait_until(function()
      for _, S in ipairs(open) do if S.writes and next(S.writes) then return false end end
      return true
    end, 5), "writes still on their way")
    return h.journal(path, job)
  end

  -- Writes rows straight into the state file, as a host killed at that
  -- moment would have left them.
  local function sql(q, ...)
    return h.sql(path, q, ...)
  end

  -- Checks that the scheduled times of a job's final rows are consecutive
  -- multiples of `step_ms`, each with exactly one final row, and returns
  -- the rows by outcome.
  local function check_no_gap_no_repeat(rows, step_ms)
    local final = {}
    for _, r in ipairs(rows) do final[r.scheduled_ms] = r end -- the latest attempt wins
    local times = {}
    for t in pairs(final) do times[#times + 1] = t end
    table.sort(times)
    for i = 2, #times do assert.equal(step_ms, times[i] - times[i - 1]) end
    local ok_count = {}
    for _, r in ipairs(rows) do
      if r.outcome == "ok" then
        assert.is_nil(ok_count[r.scheduled_ms], "a completed run ran again")
        ok_count[r.scheduled_ms] = true
      end
    end
    return final, times
  end

  describe("a completed run", function()
    it("is never run again after a restart", function()
      local when = core.now() + 0.05
      local runs = 0
      local S1 = start()
      local job = S1.at(when, function() runs = runs + 1 end, { name = "once" })
      assert.is_true(h.wait_until(function() return job.status() == "done" end, 3))
      S1.close()
      local S2 = start()
      local again = S2.at(when, function() runs = runs + 1 end, { name = "once", catch_up = "all" })
      assert.equal("done", again.status())
      assert.equal("ok", again.last_run().outcome)
      core.sleep(0.1)
      assert.equal(1, runs)
      local rows = journal("once")
      assert.equal(1, #rows)
      assert.same({ "ok", 1 }, { rows[1].outcome, rows[1].attempt })
    end)
  end)

  -- Runs a named every(0.05) job until it has run twice, stops the host
  -- for `down` seconds, starts it again with catch_up and lets it run a
  -- little. Returns the journal and the list of runs made after restart.
  local function down_and_up(catch_up, down)
    local S1 = start()
    local n = 0
    S1.every(0.05, function() n = n + 1 end, { name = "e", catch_up = catch_up })
    assert.is_true(h.wait_until(function() return n >= 2 end, 3))
    S1.close()
    core.sleep(down)
    local after = {}
    local S2 = start()
    local t_restart = core.now()
    local job = S2.every(0.05, function(run) after[#after + 1] = run.scheduled end,
      { name = "e", catch_up = catch_up, overlap = "queue" })
    core.sleep(0.12)
    job.cancel()
    assert.is_true(h.wait_until(function() return job.running() == 0 end, 3))
    return journal("e"), after, t_restart
  end

  describe("catch_up", function()
    it("skip: runs missed while down are journaled as skipped, not run", function()
      local rows, after, t_restart = down_and_up("skip", 0.3)
      local final = check_no_gap_no_repeat(rows, 50)
      local skipped = 0
      for _, r in pairs(final) do
        if r.outcome == "skipped" then
          -- a loaded machine may also start a run after its time: that one
          -- is skipped as late, by the same policy
          assert.is_truthy(r.detail == "missed (host down)" or r.detail == "missed (late)", r.detail)
          if r.detail == "missed (host down)" then skipped = skipped + 1 end
        end
      end
      assert.is_true(skipped >= 4, "skipped " .. skipped)
      for _, s in ipairs(after) do assert.is_true(s > t_restart - 0.001) end -- only new runs
      assert.equal(1, #h.grep(lines, "job missed runs", "catch_up=skip"))
    end)

    it("once: only the latest missed run is made up", function()
      local rows, after, t_restart = down_and_up("once", 0.3)
      check_no_gap_no_repeat(rows, 50)
      local made_up = 0
      for _, s in ipairs(after) do if s < t_restart then made_up = made_up + 1 end end
      assert.equal(1, made_up)
      assert.is_true(h.outcomes(rows).skipped >= 3)
    end)

    it("all: every missed run is made up, in order", function()
      local rows, after, t_restart = down_and_up("all", 0.3)
      check_no_gap_no_repeat(rows, 50)
      local made_up = 0
      for i, s in ipairs(after) do
        if s < t_restart then made_up = made_up + 1 end
        if i > 1 then assert.equal(50, math.floor((s - after[i - 1]) * 1000 + 0.5)) end
      end
      assert.is_true(made_up >= 4, "made up " .. made_up)
      assert.is_nil(h.outcomes(rows).skipped)
    end)

    it("applies to an at whose time passed while the host was down", function()
      local when = core.now() + 0.1
      start().at(when, function() end, { name = "show" })
      open[1].close()
      core.sleep(0.2)
      local ran = false
      local job = start().at(when, function() ran = true end, { name = "show" })
      assert.equal("done", job.status())
      local rows = journal("show")
      assert.same({ "skipped", "missed (host down)" }, { rows[1].outcome, rows[1].detail })
      -- the same situation with catch_up = "once" runs it
      path = h.tmp_state()
      start().at(when + 0.2, function() end, { name = "show" })
      open[3].close()
      core.sleep(0.25)
      job = start().at(when + 0.2, function() ran = true end, { name = "show", catch_up = "once" })
      assert.is_true(h.wait_until(function() return ran end, 2))
      assert.is_false(core.now() < when + 0.2)
    end)

    it("handles at most MAX_CATCH_UP missed runs: the latest", function()
      local job_mod = require "livestation.schedule.job"
      local saved = job_mod.MAX_CATCH_UP
      job_mod.MAX_CATCH_UP = 10
      finally(function() job_mod.MAX_CATCH_UP = saved end)
      start().every(0.01, function() end, { name = "fast" })
      open[1].close()
      sql("UPDATE jobs SET anchor_ms = anchor_ms - 3600000") -- down for an hour
      -- from its anchor on: a loaded machine may have let the first host run it once
      sql("DELETE FROM runs WHERE job = 'fast'")
      local t = core.now()
      start().every(0.01, function() end, { name = "fast" })
      local rows = {} -- those missed while down (a run may come due, or late, meanwhile)
      for _, r in ipairs(journal("fast")) do
        if r.detail == "missed (host down)" then rows[#rows + 1] = r end
      end
      assert.equal(10, #rows)
      for i, r in ipairs(rows) do
        assert.equal("skipped", r.outcome)
        if i > 1 then assert.equal(10, r.scheduled_ms - rows[i - 1].scheduled_ms) end
      end
      assert.is_true(rows[10].scheduled_ms / 1000 <= t + 0.05)
      assert.is_true(rows[10].scheduled_ms / 1000 > t - 0.2)
      local dropped = tonumber(h.grep(lines, "job missed more runs than are caught up")[1]:match("dropped=(%d+)"))
      assert.is_true(dropped > 359000 and dropped < 361000, tostring(dropped))
    end)

    it("does not apply when the job's schedule changed", function()
      local S1 = start()
      local n = 0
      S1.every(0.05, function() n = n + 1 end, { name = "c", catch_up = "all" })
      assert.is_true(h.wait_until(function() return n >= 1 end, 3))
      S1.close()
      core.sleep(0.2)
      local S2 = start()
      local job = S2.every(0.07, function() n = n + 1 end, { name = "c", catch_up = "all" })
      assert.equal(0, job.running())
      assert.equal(1, #h.grep(lines, "job schedule changed", "job=c"))
      assert.is_nil(h.outcomes(journal("c")).skipped)
    end)
  end)

  describe("an interrupted run", function()
    -- A host that died while running job `name`'s run at `scheduled_ms`.
    local function died_while_running(name, scheduled_ms)
      local S = start()
      S.at(scheduled_ms / 1000, function() end, { name = name })
      S.close()
      sql("DELETE FROM runs WHERE job = ?", name)
      sql([[INSERT INTO runs (job, scheduled_ms, attempt, started, outcome)
            VALUES (?, ?, 1, ?, 'running')]], name, scheduled_ms, scheduled_ms / 1000)
    end

    it("is recorded as interrupted and run again when retry allows", function()
      local ms = math.floor(core.now() * 1000) + 3600 * 1000
      died_while_running("clip", ms)
      local ran = {}
      local job = start().at(ms / 1000, function(run) ran[#ran + 1] = run end,
        { name = "clip", retry = { attempts = 2 } })
      assert.is_true(h.wait_until(function() return #ran == 1 end, 2))
      assert.equal(2, ran[1].attempt)
      assert.equal(ms / 1000, ran[1].scheduled)
      assert.is_true(h.wait_until(function() return job.status() == "done" end, 2))
      local rows = journal("clip")
      assert.same({ "interrupted", "ok" }, { rows[1].outcome, rows[2].outcome })
      assert.same({ 1, 2 }, { rows[1].attempt, rows[2].attempt })
      assert.equal(1, #h.grep(lines, "job run resumed", "previous=interrupted"))
    end)

    it("runs again by default: an interruption is not the job's own failure", function()
      local ms = math.floor(core.now() * 1000) - 1000
      died_while_running("clip", ms)
      local ran = {}
      local job = start().at(ms / 1000, function(run) ran[#ran + 1] = run.attempt end,
        { name = "clip", catch_up = "all" })
      assert.is_true(h.wait_until(function() return job.status() == "done" end, 2))
      assert.same({ 2 }, ran)
      local rows = journal("clip")
      assert.same({ "interrupted", "ok" }, { rows[1].outcome, rows[2].outcome })
    end)

    it("keeps its retry budget for the job's own failures", function()
      local ms = math.floor(core.now() * 1000) - 1000
      died_while_running("clip", ms)
      local ran = 0
      local job = start().at(ms / 1000, function() ran = ran + 1 error("flaky") end,
        { name = "clip", retry = { attempts = 2, backoff = 0 } })
      assert.is_true(h.wait_until(function() return job.status() == "done" end, 2))
      assert.equal(2, ran) -- two failures allowed after the interruption
      local rows = journal("clip")
      assert.same({ "interrupted", "failed", "failed" },
        { rows[1].outcome, rows[2].outcome, rows[3].outcome })
    end)

    it("is settled once when the job opts out, and never annotated again", function()
      local ms = math.floor(core.now() * 1000) - 1000
      died_while_running("clip", ms)
      local ran = false
      for _ = 1, 3 do -- three restarts
        local S = start()
        local job = S.at(ms / 1000, function() ran = true end,
          { name = "clip", catch_up = "all", rerun_interrupted = false })
        core.sleep(0.05)
        assert.equal("done", job.status())
        S.close()
      end
      assert.is_false(ran)
      local rows = journal("clip")
      assert.equal(1, #rows)
      assert.equal("interrupted", rows[1].outcome)
      assert.equal("the host stopped during the run; not run again (rerun_interrupted = false)",
        rows[1].detail)
      assert.is_nil(rows[1].retry_at)
      assert.equal(1, #h.grep(lines, "WARN", "job run not retried"))
    end)

    it("is settled after repeated interruptions instead of a crash loop", function()
      local ms = math.floor(core.now() * 1000) - 1000
      died_while_running("clip", ms)
      sql("UPDATE runs SET outcome = 'interrupted' WHERE job = ?", "clip")
      for a = 2, 5 do -- four more hosts died during this run; the last one now
        sql([[INSERT INTO runs (job, scheduled_ms, attempt, started, outcome)
              VALUES (?, ?, ?, ?, ?)]], "clip", ms, a, ms / 1000, a == 5 and "running" or "interrupted")
      end
      local ran = false
      local job = start().at(ms / 1000, function() ran = true end, { name = "clip", catch_up = "all" })
      core.sleep(0.05)
      assert.equal("done", job.status())
      assert.is_false(ran)
      assert.equal(1, #h.grep(lines, "WARN", "not run again after 5 interruptions"))
    end)

    it("refuses a rerun_interrupted that is not a boolean", function()
      assert.has_error(function()
        start().at(core.now() + 60, function() end, { name = "x", rerun_interrupted = "yes" })
      end, "at: rerun_interrupted must be true or false")
    end)
  end)

  describe("a retry owed when the host stopped", function()
    it("is made by the next host, not before its time", function()
      local S1 = start()
      local job = S1.at(core.now(), function() error("flaky") end,
        { name = "r", retry = { attempts = 2, backoff = 0.3 } })
      assert.is_true(h.wait_until(function() return job.last_run() end, 2))
      S1.close()
      local rows = journal("r")
      assert.equal(1, #rows)
      local retry_at = rows[1].retry_at
      assert.is_true(retry_at > rows[1].finished)
      local at
      local job2 = start().at(rows[1].scheduled_ms / 1000, function(run) at = { core.now(), run.attempt } end,
        { name = "r", retry = { attempts = 2, backoff = 0.3 } })
      assert.is_true(h.wait_until(function() return job2.status() == "done" end, 3))
      assert.equal(2, at[2])
      assert.is_true(at[1] >= retry_at - 0.002)
      rows = journal("r")
      assert.same({ "failed", "ok" }, { rows[1].outcome, rows[2].outcome })
    end)
  end)

  describe("shutdown", function()
    it("lets a running run finish within the grace, and starts nothing new", function()
      local S = start()
      local finished = 0
      local job = S.every(0.05, function() core.sleep(0.1) finished = finished + 1 end, { name = "g" })
      assert.is_true(h.wait_until(function() return job.running() == 1 end, 3))
      -- a loaded machine may see it late: a run before it, or due times
      -- skipped as overlapping, are no concern here
      local before = finished
      assert.is_true(S.shutdown(2))
      assert.equal(before + 1, finished)
      assert.equal(0, job.running())
      local outcomes = h.outcomes(journal("g"))
      assert.equal(finished, outcomes.ok)
      core.sleep(0.12)
      assert.equal(before + 1, finished)
      assert.same(outcomes, h.outcomes(journal("g")))
      assert.has_error(function() S.every(1, function() end) end, "every: the scheduler is shutting down")
    end)

    it("cancels what outlives the grace; the run is owed to the next start", function()
      local S = start()
      local job = S.at(core.now(), function() core.sleep(10) end,
        { name = "slow", retry = { attempts = 2 } })
      assert.is_true(h.wait_until(function() return job.running() == 1 end, 2))
      local t = core.monotonic()
      assert.is_false(S.shutdown(0.1))
      assert.is_true(core.monotonic() - t < 1)
      assert.equal(1, S.failures())
      local rows = journal("slow")
      assert.same({ "cancelled", "stopped before it finished" }, { rows[1].outcome, rows[1].detail })
      assert.is_not_nil(rows[1].retry_at)
      S.close()
      local attempt
      start().at(rows[1].scheduled_ms / 1000, function(run) attempt = run.attempt end,
        { name = "slow", retry = { attempts = 2 } })
      assert.is_true(h.wait_until(function() return attempt end, 2))
      assert.equal(2, attempt)
    end)

    it("does not wait for a run that had not begun", function()
      local S = start()
      S.at(core.now() + 3600, function() end, { name = "later" })
      S.close()
      local ms = math.floor(core.now() * 1000) + 3600 * 1000
      sql("DELETE FROM runs")
      sql([[INSERT INTO runs (job, scheduled_ms, attempt, outcome, retry_at) VALUES ('later', ?, 1, 'failed', ?)]],
        ms, core.now() + 60) -- its retry is a minute away
      S = start()
      local job = S.at(ms / 1000, function() end, { name = "later", retry = { attempts = 2 } })
      assert.equal(1, job.running()) -- the owed retry, not yet begun
      local t = core.monotonic()
      assert.is_true(S.shutdown(5))
      assert.is_true(core.monotonic() - t < 0.5)
      assert.equal(0, job.running())
    end)

    it("stops at once when called a second time", function()
      local S = start()
      local job = S.at(core.now(), function() core.sleep(10) end, { name = "stuck" })
      assert.is_true(h.wait_until(function() return job.running() == 1 end, 2))
      local t = core.monotonic()
      local first = core.spawn(function() return S.shutdown(30) end)
      core.sleep(0.05)
      assert.equal("waiting", first:status())
      S.shutdown(30)
      local ok, clean = first:join()
      assert.is_true(ok)
      assert.is_false(clean)
      assert.is_true(core.monotonic() - t < 1)
      assert.equal("cancelled", journal("stuck")[1].outcome)
    end)
  end)
end

h.each_backend(suite)
