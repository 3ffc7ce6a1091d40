-- kill -9 of a running host, again and again, then a restart: from the
-- journal, no completed run repeats and no due run is lost; from the
-- counts the jobs left in the state, a run that completed in one attempt
-- ran exactly once; every acknowledged webhook event was handled.
--
-- The host is ./lsrun running spec/helpers/schedule_child.lua.

local core = require "livestation.core"
local h = require "helpers.schedule"
local json = require "livestation.json"

local dir, state, port

local function sh(cmd)
  local ok = os.execute(cmd)
  return ok
end

local function free_port()
  local srv = assert(core.http_server { port = 0, handler = function() return 200, {}, "" end })
  local p = srv:port()
  srv:close()
  return p
end

-- Posts event id to the child; true once acknowledged with a 2xx.
local function post_event(id)
  local resp = core.http_request { method = "POST", timeout = 2,
    url = string.format("http://127.0.0.1:%d/cb?token=child-token", port),
    headers = { ["Content-Type"] = "application/json" },
    body = json.encode { id = id, logLevel = "INFO", channelId = "ls-20261122000000-abcDE",
                         event = "PUBLISH_START", timestamp = core.now_ms() } }
  return resp and resp.status >= 200 and resp.status < 300
end

local function query(sql, ...)
  local db = assert(core.sqlite_open(state))
  local rows = assert(db:query(sql, ...))
  db:close()
  return rows
end

-- For a periodic job: the final attempt of every scheduled time from the
-- first to the last is there, step_ms apart, and ok; no ok is followed by
-- another attempt; returns the rows by scheduled time.
local function check_periodic(job, step_ms)
  local rows = query("SELECT * FROM runs WHERE job = ? ORDER BY scheduled_ms, attempt", job)
  assert.is_true(#rows > 3, job .. ": too few runs")
  local by_time, times = {}, {}
  for _, r in ipairs(rows) do
    local list = by_time[r.scheduled_ms]
    if not list then
      list = {}
      by_time[r.scheduled_ms] = list
      times[#times + 1] = r.scheduled_ms
    end
    list[#list + 1] = r
  end
  for i, t in ipairs(times) do
    if i > 1 then assert.equal(step_ms, t - times[i - 1], job .. ": a due run is missing") end
    local list = by_time[t]
    for k, r in ipairs(list) do
      assert.equal(k, r.attempt, job .. ": attempts out of order")
      if r.outcome == "ok" then assert.equal(#list, k, job .. ": a completed run ran again") end
      if k < #list then assert.equal("interrupted", r.outcome) end
    end
    assert.equal("ok", list[#list].outcome, job .. " run at " .. t .. " ended " .. list[#list].outcome)
  end
  return by_time, times
end

local function ran_count(job, t)
  local rows = query("SELECT value FROM kv WHERE key = ?", string.format("ran:%s:%d", job, t))
  return rows[1] and tonumber(rows[1].value) or 0
end

describe("a host killed with kill -9", function()
  setup(function()
    state, dir = h.tmp_state()
    port = free_port()
  end)
  teardown(h.cleanup)

  it("loses no due run and repeats no completed one", function()
    math.randomseed(os.time())
    local at_time = core.now() + 2.5
    local acked, next_id = {}, 1
    local rounds = 4
    for n = 1, rounds + 1 do
      local pid = h.start_host(dir, n, "spec/helpers/schedule_child.lua",
        string.format("%s %d %.3f", state, port, at_time))
      -- a few events while it runs
      for _ = 1, 3 do
        if post_event(next_id) then acked[#acked + 1] = next_id end
        next_id = next_id + 1
      end
      if n <= rounds then
        core.sleep(0.3 + math.random() * 0.7)
        sh("kill -9 " .. pid)
        assert.equal(137, h.wait_exit(dir, n))
        core.sleep(0.1 + math.random() * 0.4) -- down: runs come due meanwhile
      else
        core.sleep(1.2)
        sh("kill -TERM " .. pid)
        assert.equal(143, h.wait_exit(dir, n)) -- graceful: runs finish within the grace; 128 + SIGTERM
      end
    end

    local ticks = check_periodic("tick", 200)
    local secs = check_periodic("sec", 1000)
    -- the periodic jobs kept their phase across every restart
    local anchor = query("SELECT anchor_ms FROM jobs WHERE name = 'tick'")[1].anchor_ms
    for t in pairs(ticks) do assert.equal(0, (t - anchor) % 200) end
    for t in pairs(secs) do assert.equal(0, t % 1000) end
    -- a run that completed in a single attempt ran exactly once
    for job, by_time in pairs { tick = ticks, sec = secs } do
      for t, list in pairs(by_time) do
        local n = ran_count(job, t)
        if #list == 1 then assert.equal(1, n, job .. " " .. t) else assert.is_true(n >= 1) end
      end
    end
    -- the at job: due once, run once
    local once = query("SELECT * FROM runs WHERE job = 'once' ORDER BY attempt")
    assert.is_true(#once >= 1)
    assert.equal("ok", once[#once].outcome)
    for i = 1, #once - 1 do assert.equal("interrupted", once[i].outcome) end
    -- every acknowledged event was handled; once when handled in one go
    assert.is_true(#acked >= rounds)
    for _, id in ipairs(acked) do
      local row = query("SELECT * FROM inbox WHERE id = ?", tostring(id))[1]
      assert.equal("done", row.state, "event " .. id)
      local seen = query("SELECT value FROM kv WHERE key = ?", "seen:" .. id)[1]
      local count = seen and tonumber(seen.value) or 0
      if row.attempts == 1 then assert.equal(1, count, "event " .. id) else assert.is_true(count >= 1) end
    end
  end)
end)
