-- The fault soak: with 20% of requests failing in transient ways (503,
-- 429, connections dropped after the request was processed, answers
-- stalled past the timeout), 1,000 idempotent calls with the client's
-- default retry settings all succeed, and 100 creates leave no duplicate
-- on the server. Traffic stays on 127.0.0.1; the attempt timeout is cut
-- to 1 s so that a stall costs a second, not the default 30.

local core = require "livestation.core"
local H = require "helpers.emulator"

-- Four rules, each firing on 5% of all requests (the later ones see only
-- what the earlier let through, hence the rising probabilities).
local RULES = {
  { status = 503, gateway_code = "500", probability = 0.05 },
  { status = 429, gateway_code = "420", probability = 0.05 / 0.95 },
  { drop = true, after = true, probability = 0.05 / 0.90 },
  { latency_ms = 1500, after = true, probability = 0.05 / 0.85 },
}

local TASKS = 50

local function run_tasks(n, per_task, fn)
  local tasks = {}
  for t = 1, n do
    tasks[t] = core.spawn(function()
      for i = 1, per_task do fn((t - 1) * per_task + i) end
    end)
  end
  for _, t in ipairs(tasks) do assert(t:join()) end
end

local function fired(url)
  local _, rules = H.control(url, "GET", "faults")
  local n = 0
  for _, r in ipairs(rules) do n = n + r.hits end
  return n
end

describe("under 20% transient faults", function()
  local emu, url, ls, qs, seed
  local requests = 0

  setup(function()
    emu, url = H.start()
    ls = H.client(url, { timeout = 1, backoff = 0.2, backoff_cap = 10 })
    local ls_counting = ls.transport
    ls.transport = function(req)
      requests = requests + 1
      return ls_counting(req)
    end
    qs = assert(ls:call("qualitySet.list", {}))
    seed = assert(ls:call("channel.create", { channelName = "soak_seed", qualitySetId = qs[1].id,
      useDvr = false, immediateOnAir = false, record = { type = "NO_RECORD" },
      cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } }))
    for _, rule in ipairs(RULES) do assert.equal(201, (H.control(url, "POST", "faults", rule))) end
  end)
  teardown(function() emu:stop() end)

  it("1,000 idempotent calls end with 0 failures", function()
    requests = 0
    local before = fired(url)
    local failures, ok = {}, 0
    run_tasks(TASKS, 1000 // TASKS, function(i)
      local content, err
      if i % 3 == 0 then
        content, err = ls:call("channel.list", { pageNo = 1, pageSizeNo = 10 })
      elseif i % 3 == 1 then
        content, err = ls:call("channel.get", { channelId = seed.channelId })
      else
        content, err = ls:call("qualitySet.list", {})
      end
      if content then ok = ok + 1 else failures[#failures + 1] = tostring(err) end
    end)
    local faults = fired(url) - before
    assert.same({}, failures)
    assert.equal(1000, ok)
    -- the faults really fired at about the rate asked for (a stalled
    -- attempt the client gave up on still counts at the server: a margin)
    assert.is_true(faults >= 0.15 * requests and faults <= 0.30 * requests,
      faults .. " faults in " .. requests .. " requests")
  end)

  it("100 creates leave 0 duplicates at the server", function()
    local outcomes = { ok = 0, failed = 0 }
    run_tasks(TASKS, 100 // TASKS, function(i)
      local content = ls:call("channel.create", { channelName = string.format("soak_%03d", i),
        qualitySetId = qs[1].id, useDvr = false, immediateOnAir = false, record = { type = "NO_RECORD" },
        cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } })
      if content then outcomes.ok = outcomes.ok + 1 else outcomes.failed = outcomes.failed + 1 end
    end)
    -- count at the server, not through the client
    local seen, duplicates, created = {}, {}, 0
    for _, ch in pairs(emu:world().channels) do
      local name = ch.channelName
      if name:match("^soak_%d+$") then
        created = created + 1
        if seen[name] then duplicates[#duplicates + 1] = name end
        seen[name] = true
      end
    end
    assert.same({}, duplicates)
    assert.is_true(created >= outcomes.ok, created .. " created, " .. outcomes.ok .. " reported")
    assert.is_true(outcomes.ok >= 60, "only " .. outcomes.ok .. " creates succeeded")
  end)
end)
