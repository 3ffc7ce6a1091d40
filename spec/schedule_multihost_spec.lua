-- Several hosts, one schedule: lsrun processes sharing the test
-- PostgreSQL. state.update is atomic across hosts; a callback sent to
-- two hosts is handled once; 100 named jobs on 3 hosts killed with
-- kill -9 again and again, with one database restart among the kills:
-- every due run completes once, none is lost, each names its host.

local core = require "livestation.core"
local h = require "helpers.schedule"
local pg = require "helpers.pg"

local KILLS = 20
local LEASE = 2 -- seconds: short, so takeovers happen within the spec

local dir, url

-- Rows of a query on the shared database.
local function query(sql, ...)
  return pg.sql(sql, ...)
end

local function host_env(n)
  return string.format("LIVESTATION_HOST=h%d LIVESTATION_LEASE=%g", n, LEASE)
end

local function quoted(s)
  return '"' .. s .. '"'
end

-- #foreign: it runs pg_ctl, which must not get sanitizer runtimes preloaded
describe("several hosts on one PostgreSQL #foreign", function()
  setup(function()
    h.use("postgresql")
    url = h.tmp_state()
    h.use("sqlite")
    local _
    _, dir = h.tmp_file()
  end)
  teardown(h.cleanup)

  before_each(function() pg.reset() end)

  it("records a run that completed while the database was away once it is back", function()
    local lines, restore_log = h.capture_log("info")
    finally(restore_log)
    local schedule = require "livestation.schedule"
    local S = schedule.new { state = url }
    finally(function() S.close() end)
    local done = false
    local job = S.at(core.now(), function() core.sleep(0.5) done = true end, { name = "through" })
    assert.is_true(h.wait_until(function() return job.running() == 1 end, 5))
    pg.stop()
    assert.is_true(h.wait_until(function() return done end, 5))
    core.sleep(0.3) -- the record is refused meanwhile
    pg.start()
    assert.is_true(h.wait_until(function() return job.status() == "done" end, 10))
    local rows = query("SELECT outcome, host FROM runs WHERE job = 'through'")
    assert.equal(1, #rows)
    assert.equal("ok", rows[1].outcome)
    assert.equal(1, #h.grep(lines, "WARN", "state database unreachable"))
    assert.equal(1, #h.grep(lines, "state database reachable again"))
  end)

  it("catches missed runs up once, by one host, when two hosts come back", function()
    local lines, restore_log = h.capture_log("info")
    finally(restore_log)
    local schedule = require "livestation.schedule"
    local S = schedule.new { state = url }
    S.every(0.2, function() end, { name = "tick" })
    S.close()
    pg.sql("UPDATE jobs SET anchor_ms = anchor_ms - 2000") -- all hosts down for 2 s
    local ran = {}
    local hosts = {}
    for i = 1, 2 do
      hosts[i] = schedule.new { state = url }
      hosts[i].every(0.2, function(run) ran[#ran + 1] = { i, run.scheduled } end,
        { name = "tick", catch_up = "all" })
    end
    finally(function() for _, x in ipairs(hosts) do x.close() end end)
    assert.is_true(h.wait_until(function()
      return #query("SELECT id FROM runs WHERE job = 'tick' AND outcome = 'ok'") >= 10
    end, 5))
    local per_run = {}
    for _, r in ipairs(ran) do per_run[r[2]] = (per_run[r[2]] or 0) + 1 end
    for t, n in pairs(per_run) do assert.equal(1, n, "run " .. t .. " made " .. n .. " times") end
    local dup = query([[SELECT scheduled_ms FROM runs WHERE job = 'tick' AND outcome = 'ok'
      GROUP BY scheduled_ms HAVING COUNT(*) > 1]])
    assert.equal(0, #dup)
    assert.is_true(#h.grep(lines, "job missed runs", "job=tick") >= 1)
  end)

  it("refuses a claim the database's clock says is early, whatever the host's clock", function()
    local store = assert(require("livestation.schedule.store").open(url))
    finally(function() store:close() end)
    local db_now = query("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms")[1].ms
    local ok, why, wait = store:start_run("early", db_now + 2000, 1, core.now())
    assert.is_false(ok)
    assert.equal("early", why)
    assert.is_true(wait > 1 and wait <= 2, tostring(wait))
    assert.is_number(store:start_run("early", db_now - 10, 1, core.now()))
    assert.is_false(store:start_run("early", db_now - 10, 1, core.now())) -- taken
  end)

  it("never shows a database password", function()
    local p = io.popen("./lsrun jobs --state 'postgresql://ls:s3cr3tpw@/nodb?host=/nonexistent' 2>&1")
    local out = p:read("a")
    p:close()
    assert.matches("lsrun: state database postgresql://ls:%*%*%*@", out)
    assert.is_nil(out:find("s3cr3tpw", 1, true))
  end)

  it("state.update from 3 hosts, 1,000 increments each, counts 3,000", function()
    for n = 1, 3 do
      h.start_host(dir, n, "spec/helpers/multihost_child.lua",
        quoted(url) .. " update 1000", host_env(n))
    end
    for n = 1, 3 do
      assert.equal(0, h.wait_exit(dir, n), h.read(dir .. "/out." .. n))
    end
    local row = query("SELECT value FROM kv WHERE key = 'counter'")[1]
    assert.equal("3000", row.value)
  end)

  it("handles each event once when two hosts receive the same callbacks", function()
    local log = dir .. "/handled"
    local urls, pids = {}, {}
    for n = 1, 2 do
      pids[n] = h.start_host(dir, n, "spec/helpers/multihost_child.lua",
        quoted(url) .. " webhook " .. log, host_env(n))
      urls[n] = h.read(dir .. "/out." .. n):match("ready (%S+)")
    end
    local N = 50
    local tasks = {}
    for id = 1, N do
      for n = 1, 2 do -- both at once, as a balancer retrying elsewhere would
        tasks[#tasks + 1] = core.spawn(function()
          local resp = assert(core.http_request { method = "POST", url = urls[n], timeout = 10,
            headers = { ["content-type"] = "application/json" },
            body = string.format('{"id":%d,"event":"PUBLISH_START","channelId":"ls-1"}', 9000 + id) })
          return resp.status
        end)
      end
    end
    for _, t in ipairs(tasks) do
      local ok, status = t:join()
      assert.is_true(ok)
      assert.equal(200, status)
    end
    assert.is_true(h.wait_until(function()
      local _, lines = (h.read(log) or ""):gsub("\n", "")
      return lines >= N
    end, 10))
    core.sleep(0.3)
    local seen = {}
    for id in (h.read(log) or ""):gmatch("%d+") do seen[id] = (seen[id] or 0) + 1 end
    for id = 1, N do assert.equal(1, seen[tostring(9000 + id)], "event " .. (9000 + id)) end
    assert.equal(N, #query("SELECT id FROM inbox WHERE state = 'done'"))
    for n = 1, 2 do
      os.execute("kill -TERM " .. pids[n])
      h.wait_exit(dir, n)
    end
  end)

  it("hands an event over when the host handling it dies: another handles it once", function()
    local log = dir .. "/handled2"
    local slow = h.start_host(dir, 1, "spec/helpers/multihost_child.lua",
      quoted(url) .. " webhook " .. log .. " slow", host_env(1))
    local other = h.start_host(dir, 2, "spec/helpers/multihost_child.lua",
      quoted(url) .. " webhook " .. log, host_env(2))
    local target = h.read(dir .. "/out.1"):match("ready (%S+)")
    local resp = assert(core.http_request { method = "POST", url = target, timeout = 10,
      headers = { ["content-type"] = "application/json" },
      body = '{"id":777,"event":"PUBLISH_START","channelId":"ls-1"}' })
    assert.equal(200, resp.status)
    assert.is_true(h.wait_until(function()
      local row = query("SELECT state, host FROM inbox WHERE id = '777'")[1]
      return row and row.state == "delivering" and row.host == "h1"
    end, 5))
    os.execute("kill -9 " .. slow)
    assert.equal(137, h.wait_exit(dir, 1))
    assert.is_true(h.wait_until(function()
      local row = query("SELECT state, host FROM inbox WHERE id = '777'")[1]
      return row.state == "done" and row.host == "h2"
    end, LEASE * 4))
    assert.equal("777\n", h.read(log))
    os.execute("kill -TERM " .. other)
    h.wait_exit(dir, 2)
  end)

  it("100 jobs on 3 hosts under kill -9 and a database restart: no run lost, none completed twice", function()
    math.randomseed(os.time())
    local effects = dir .. "/effects"
    local at0 = core.now() + 2
    local args = string.format("%s %s %.3f", quoted(url), effects, at0)
    local child = "spec/helpers/schedule_soak_child.lua"
    local pids, slot = {}, 3
    for n = 1, 3 do pids[n] = h.start_host(dir, n, child, args, host_env(n)) end
    local hosts = { 1, 2, 3 } -- the run number living in each of the 3 places
    for kill = 1, KILLS do
      core.sleep(0.5 + math.random() * 0.7)
      local place = math.random(3)
      local n = hosts[place]
      os.execute("kill -9 " .. pids[n])
      assert.equal(137, h.wait_exit(dir, n))
      if kill == KILLS // 2 then -- the database goes away and comes back
        pg.stop()
        core.sleep(0.5)
        pg.start()
      end
      core.sleep(math.random() * 0.5)
      slot = slot + 1
      pids[slot] = h.start_host(dir, slot, child, args, host_env(place))
      hosts[place] = slot
    end
    core.sleep(LEASE * 2.5) -- all three alive: what was left is taken over
    for _, n in ipairs(hosts) do os.execute("kill -TERM " .. pids[n]) end
    for _, n in ipairs(hosts) do h.wait_exit(dir, n) end

    local happened = {}
    for line in (h.read(effects) or ""):gmatch("[^\n]+") do
      happened[line] = (happened[line] or 0) + 1
    end
    local jobs = query("SELECT name, kind, spec FROM jobs ORDER BY name")
    assert.equal(100, #jobs)
    local total, twice = 0, 0
    for _, job in ipairs(jobs) do
      local rows = query("SELECT * FROM runs WHERE job = ? ORDER BY scheduled_ms, attempt", job.name)
      local by_time, times, step = h.runs_by_time(job, rows)
      assert.is_true(#times >= 1, job.name .. ": never ran")
      if job.kind == "at" then assert.equal(1, #times, job.name .. ": due once") end
      for i, t in ipairs(times) do
        if step and i > 1 then
          assert.equal(step, t - times[i - 1], job.name .. ": a due run is missing before " .. t)
        end
        local list = by_time[t]
        local ok_rows = {}
        for _, r in ipairs(list) do
          if r.outcome == "ok" then ok_rows[#ok_rows + 1] = r end
          if r.outcome == "duplicate" then twice = twice + 1 end
        end
        -- the last run of each job may still have been going at the end
        local last_of_job = i == #times
        if not (last_of_job and #ok_rows == 0) then
          assert.equal(1, #ok_rows, job.name .. " " .. t .. ": " .. #ok_rows .. " completion records")
          assert.matches("^h[123]$", ok_rows[1].host, job.name .. " " .. t .. ": no host")
          assert.is_true((happened[job.name .. " " .. t] or 0) >= 1, job.name .. " " .. t .. ": no effect")
          total = total + 1
        end
      end
    end
    assert.equal(0, twice, "runs completed twice")
    assert.is_true(total >= 1000, "only " .. total .. " runs")

    -- lsrun jobs shows the jobs with the host of each last run, and a
    -- job's runs with the host of each
    local p = io.popen("./lsrun jobs --state " .. quoted(url) .. " 2>&1")
    local listing = p:read("a")
    p:close()
    assert.matches("^JOB%s+SCHEDULE%s+LAST RUN%s+NEXT RUN%s+HOST%s+OUTCOME\n", listing)
    assert.matches("\nevery01 +every [%d.]+s +%S+ +%S+ +h[123] +ok", listing)
    p = io.popen("./lsrun jobs --state " .. quoted(url) .. " cron01 2>&1")
    listing = p:read("a")
    p:close()
    assert.matches("^SCHEDULED%s+ATTEMPT%s+HOST%s+OUTCOME\n", listing)
    local seen = {}
    for host in listing:gmatch(" (h[123]) ") do seen[host] = true end
    assert.is_true(next(seen) ~= nil, listing)
  end)
end)
