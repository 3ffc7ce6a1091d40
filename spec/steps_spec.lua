-- Durable steps: a completed step is kept and never runs again in the same
-- workflow or job run; a failed one runs again; 20 steps killed with
-- kill -9 at random points end with every step done exactly once, counted
-- outside the state store (but for the documented gap, which the step
-- sees as resumed).

local core = require "livestation.core"
local h = require "helpers.schedule"
local shell = require "helpers.shell"
local w = require "helpers.workflow"
local json = require "livestation.json"
local livestation = require "livestation"
local schedule = require "livestation.schedule"
local steps = require "livestation.schedule.steps"

-- The same specs for each store: a file, and the shared PostgreSQL.
h.each_backend(function()
  describe("livestation.step", function()
    local S, restore_log, prev

    before_each(function()
      local _
      _, restore_log = h.capture_log("error")
      S = schedule.new { state = (h.tmp_state()) }
      prev = schedule.set_default(S)
    end)

    after_each(function()
      steps.bind(nil)
      schedule.set_default(prev)
      S.close()
      restore_log()
      h.cleanup()
      assert.equal(0, core.stats().tasks)
    end)

    it("keeps a completed step's result and does not run it again", function()
      local runs = 0
      local function make() runs = runs + 1 return { id = "ls-1", n = 6, list = { 1, 2 } } end
      local wf = livestation.workflow("show")
      assert.same({ id = "ls-1", n = 6, list = { 1, 2 } }, livestation.step("channel", make))
      -- a restart: a new binding of the same id finds the result
      steps.bind(nil)
      wf = livestation.workflow("show")
      local again = livestation.step("channel", make)
      assert.equal(1, runs)
      assert.same({ id = "ls-1", n = 6, list = { 1, 2 } }, again)
      assert.equal("integer", math.type(again.n))
      assert.is_true(wf:done("channel"))
      assert.same(again, wf:result("channel"))
    end)

    it("runs a failed step again, and keeps nil and false results", function()
      local wf = livestation.workflow("show")
      local tries = 0
      local function flaky(s)
        tries = tries + 1
        assert.equal(tries, s.attempt)
        if tries == 1 then error("the gateway said no", 0) end
        return false
      end
      assert.has_error(function() livestation.step("start", flaky) end, "the gateway said no")
      local rec = wf:steps()[1]
      assert.same({ "start", "failed", 1, "the gateway said no" }, { rec.name, rec.state, rec.attempts, rec.error })
      assert.is_false(livestation.step("start", flaky))
      assert.is_false(livestation.step("start", flaky))
      assert.equal(2, tries)
      assert.is_nil(livestation.step("nothing", function() end))
      assert.is_nil(livestation.step("nothing", function() error("ran twice") end))
    end)

    it("passes error objects through as they are", function()
      livestation.workflow("show")
      local e = setmetatable({ code = 250100 }, { __tostring = function() return "api error 250100" end })
      local ok, got = pcall(livestation.step, "get", function() error(e) end)
      assert.is_false(ok)
      assert.equal(e, got)
    end)

    it("takes computed names in loops; ids and names cannot reach into each other", function()
      local wf = livestation.workflow("clips:news")
      for n = 1, 3 do livestation.step("clip." .. n, function() return n * 10 end) end
      local other = livestation.workflow("clips")
      livestation.step("news:clip.1", function() return "other" end)
      assert.equal(10, wf:result("clip.1"))
      assert.equal("other", other:result("news:clip.1"))
      local names = {}
      for _, r in ipairs(wf:steps()) do names[#names + 1] = r.name end
      assert.same({ "clip.1", "clip.2", "clip.3" }, names)
    end)

    it("says what is wrong with a step outside a workflow or a bad name", function()
      assert.has_error(function() livestation.step("x", print) end,
        "livestation.step: no workflow here: call livestation.workflow(id) first, or call it from a named job")
      livestation.workflow("w")
      assert.has_error(function() livestation.step("", print) end,
        "step name must be a non-empty string without control characters")
      assert.has_error(function() livestation.step("a\nb", print) end,
        "step name must be a non-empty string without control characters")
      assert.has_error(function() livestation.step("x", 5) end, "step 'x': fn must be a function")
      assert.has_error(function() livestation.workflow("") end,
        "workflow id must be a non-empty string without control characters")
      assert.has_error(function() livestation.step("fn", function() return print end) end,
        "step 'fn': the result cannot be kept: json.encode: cannot encode a function at value")
      assert.equal("failed", livestation.current_workflow():steps()[1].state)
    end)

    it("workflow(id, fn) binds for fn only; spawned tasks keep the workflow", function()
      local inner
      local r = livestation.workflow("outer", function(wf, x)
        local t = livestation.spawn(function()
          inner = livestation.step("in.task", function() return x end)
        end)
        t:join()
        return wf.id
      end, 7)
      assert.equal("outer", r)
      assert.equal(7, inner)
      assert.is_nil(livestation.current_workflow())
    end)

    it("keeps values beside the steps, and forgets them all", function()
      local wf = livestation.workflow("v")
      wf:put("clip.1", { snapshot = 3 })
      wf:put("clip.2", 4)
      assert.same({ snapshot = 3 }, wf:get("clip.1"))
      assert.equal(5, wf:update("clip.2", function(n) return n + 1 end))
      assert.same({ "clip.1", "clip.2" }, wf:names("clip."))
      livestation.step("s", function() return 1 end)
      wf:forget()
      assert.is_nil(wf:get("clip.1"))
      assert.same({}, wf:steps())
      assert.equal(2, livestation.step("s", function() return 2 end))
    end)

    it("shows the journal with lsrun steps, secrets masked", function()
      livestation.workflow("show")
      livestation.step("channel", function()
        return { channelId = "ls-1", publishUrl = "rtmp://in/live", streamKey = "sk-very-secret-1",
          targets = { { platform = "YOUTUBE", password = "pw-secret-2" } } }
      end)
      pcall(livestation.step, "start", function() error("no stream yet", 0) end)
      local path = shell.q(S.state_file())
      local status, out = shell.run("./lsrun --state " .. path .. " steps")
      assert.equal(0, status)
      assert.equal("WORKFLOW OR RUN  KIND      DONE  FAILED  RUNNING\nshow             workflow  1     1       0\n", out)
      status, out = shell.run("./lsrun --state " .. path .. " steps show")
      assert.equal(0, status)
      assert.matches("^STEP +STATE +ENDED +RESULT\nchannel +done +%d[^\n]+ {.*\"streamKey\":\"%*%*%*%*\"[^\n]*\n"
        .. "start +failed +%d[^\n]+ no stream yet\n$", out)
      status, out = shell.run("./lsrun --state " .. path .. " steps --json show")
      assert.equal(0, status)
      assert.is_nil(out:find("secret", 1, true))
      assert.equal("rtmp://in/live", json.decode(out).steps[1].result.publishUrl)
      local _, err
      status, _, err = shell.run("./lsrun --state " .. path .. " steps nosuch")
      assert.same({ 1, "lsrun: no workflow or job run 'nosuch' in " .. S.state_file() .. "\n" }, { status, err })
    end)

    it("ties a named job's steps to its run: a retry skips the steps done", function()
      local count = { a = 0, b = 0 }
      local runs = {}
      S.at(core.now(), function(ctx)
        runs[#runs + 1] = ctx.run
        livestation.step("a", function() count.a = count.a + 1 return "A" end)
        livestation.step("b", function()
          count.b = count.b + 1
          if count.b == 1 then error("first time") end
          return "B"
        end)
      end, { name = "publish", retry = { attempts = 2, backoff = 0.01 } })
      assert.is_true(h.wait_until(function() return #runs == 2 and S.stats().ok == 1 end, 5))
      assert.same({ a = 1, b = 2 }, count)
      assert.equal(runs[1], runs[2])
      assert.matches("^publish@%d%d%d%d%-%d%d%-%d%dT[%d:.]+Z$", runs[1])
      local list = steps.list(S.get_store())
      assert.equal(1, #list)
      assert.same({ runs[1], "job" }, { list[1].id, list[1].kind })
    end)
  end)
end)

---------------------------------------------------------------- kill -9

-- 20 steps; each appends "effect NAME ATTEMPT RESUMED" to a file outside
-- the state store, with pauses before and after so a kill lands before,
-- inside and after the gap.
local SCRIPT = [[
local livestation = require "livestation"
local out = ...
livestation.workflow("twenty")
for n = 1, 20 do
  livestation.step("step." .. n, function(s)
    livestation.sleep(math.random() * 0.06)
    local f = assert(io.open(out, "a"))
    f:write(string.format("effect %d %d %s\n", n, s.attempt, tostring(s.resumed)))
    f:close()
    livestation.sleep(math.random() * 0.06)
    return { n = n }
  end)
end
print("all done")
]]

describe("steps under kill -9", function()
  after_each(function() w.cleanup() end)

  it("20 steps killed 15 times at random points: each done once but for the gap", function()
    local dir = w.tmpdir()
    local script, effects, state = dir .. "/twenty.lua", dir .. "/effects.txt", dir .. "/state.db"
    w.write(script, SCRIPT)
    local seed = os.time()
    math.randomseed(seed)
    local cmd = "./lsrun --state " .. w.quote(state) .. " " .. w.quote(script) .. " " .. w.quote(effects)
    local kills, early = 0, {}
    for i = 1, 15 do
      local p = w.spawn(dir, "run" .. i, cmd)
      core.sleep(0.02 + math.random() * 0.06) -- about one step's work after start-up
      if p:status() == nil then
        kills = kills + 1
      else -- say why a run ended on its own, should the count fall short
        early[#early + 1] = string.format("run %d: status %d: %s", i, p:status(), p:stderr())
      end
      p:kill(9)
    end
    local last = w.spawn(dir, "last", cmd)
    assert.equal(0, last:wait(30), last:stderr())
    assert.equal("all done\n", last:stdout())
    assert.is_true(kills >= 12, "seed " .. seed .. ": only " .. kills .. " runs were still going when killed\n"
      .. table.concat(early, "\n"))

    -- outside the store: every step's effect, in order, none skipped;
    -- a second effect of a step only where the attempt before it was cut
    -- short (s.resumed), at most one per kill
    local seen, order, extra = {}, {}, 0
    for n, attempt, resumed in w.slurp(effects):gmatch("effect (%d+) (%d+) (%a+)\n") do
      n = tonumber(n)
      order[#order + 1] = n
      if seen[n] then
        extra = extra + 1
        assert.equal("true", resumed, "seed " .. seed .. ": step " .. n .. " ran again though not cut short")
      end
      seen[n] = true
    end
    for n = 1, 20 do assert.is_true(seen[n], "seed " .. seed .. ": step " .. n .. " never ran") end
    for i = 2, #order do
      assert.is_true(order[i] >= order[i - 1], "seed " .. seed .. ": steps out of order")
    end
    assert.is_true(extra <= kills, "seed " .. seed .. ": more repeats than kills")

    -- in the store: all 20 done, visible with what each returned
    local status, out = shell.run("./lsrun --state " .. shell.q(state) .. " steps --json twenty")
    assert.equal(0, status)
    local sc = json.decode(out)
    assert.equal(20, #sc.steps)
    for i, r in ipairs(sc.steps) do
      assert.same({ "step." .. i, "done", { n = i } }, { r.name, r.state, r.result })
    end
    status, out = shell.run("./lsrun --state " .. shell.q(state) .. " steps twenty")
    assert.equal(0, status)
    assert.matches("\nstep%.20 +done[^\n]+{\"n\":20}\n$", out)
  end)

  it("a named job's run killed 4 times resumes its steps when the run is rerun", function()
    local dir = w.tmpdir()
    local script, effects, state = dir .. "/batch.lua", dir .. "/effects.txt", dir .. "/state.db"
    w.write(script, [[
local livestation = require "livestation"
local out, start = ...
livestation.at(tonumber(start), function(ctx)
  for n = 1, 10 do
    livestation.step("s." .. n, function(s)
      livestation.sleep(math.random() * 0.06)
      local f = assert(io.open(out, "a"))
      f:write(string.format("effect %d %s %s\n", n, tostring(s.resumed), ctx.run))
      f:close()
      livestation.sleep(math.random() * 0.06)
      return n
    end)
  end
end, { name = "batch" })
]])
    local seed = os.time()
    math.randomseed(seed)
    local cmd = "./lsrun --state " .. w.quote(state) .. " " .. w.quote(script) .. " " .. w.quote(effects)
      .. " " .. math.floor(core.now())
    for i = 1, 4 do
      local p = w.spawn(dir, "run" .. i, cmd)
      core.sleep(0.05 + math.random() * 0.1)
      p:kill(9)
    end
    local last = w.spawn(dir, "last", cmd)
    assert.equal(0, last:wait(30), last:stderr())
    local seen, runs, prev = {}, {}, 0
    for n, resumed, run in w.slurp(effects):gmatch("effect (%d+) (%a+) (%S+)\n") do
      n = tonumber(n)
      assert.is_true(n >= prev, "seed " .. seed .. ": out of order")
      if seen[n] then assert.equal("true", resumed, "seed " .. seed .. ": s." .. n .. " repeated") end
      seen[n], prev, runs[run] = true, n, true
    end
    for n = 1, 10 do assert.is_true(seen[n], "seed " .. seed .. ": s." .. n .. " never ran") end
    local ids = {}
    for id in pairs(runs) do ids[#ids + 1] = id end
    assert.equal(1, #ids) -- one run, rerun after each kill: one scope
    local status, out = shell.run("./lsrun --state " .. shell.q(state) .. " steps")
    assert.equal(0, status)
    assert.matches("\n" .. w.esc(ids[1]) .. " +job +10 +0 +0\n$", out)
  end)
end)
