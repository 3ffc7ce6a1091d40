-- Connections per host are capped and requests wait for one in a queue:
-- many concurrent requests share a few sockets, the connect timeout does
-- not count time spent in the queue, and a queued request can be
-- cancelled.

local core = require "livestation.core"

-- A server that answers after `delay`, counting how many requests it
-- holds at once.
local function slow_server(delay)
  local s = { now = 0, peak = 0, n = 0 }
  s.srv = assert(core.http_server { port = 0, handler = function()
    s.n = s.n + 1
    s.now = s.now + 1
    if s.now > s.peak then s.peak = s.now end
    core.sleep(delay)
    s.now = s.now - 1
    return 200, { ["Content-Type"] = "text/plain" }, "ok"
  end })
  return s
end

describe("connection caps", function()
  local saved_host, saved_total
  before_each(function() saved_host, saved_total = core.http_limits() end)
  after_each(function() core.http_limits { per_host = saved_host, total = saved_total } end)

  it("default to 16 per host and 64 in all", function()
    assert.same({ 16, 64 }, { saved_host, saved_total })
  end)

  it("hold 60 concurrent requests to 4 at a time, all answered", function()
    core.http_limits { per_host = 4 }
    local s = slow_server(0.02)
    local tasks, ok = {}, 0
    for i = 1, 60 do
      tasks[i] = core.spawn(function() return core.http_request { url = s.srv:url() .. "/" .. i } end)
    end
    for _, t in ipairs(tasks) do
      local done, resp = t:join()
      if done and resp and resp.status == 200 then ok = ok + 1 end
    end
    s.srv:close()
    assert.equal(60, ok)
    assert.is_true(s.peak <= 4, "peak " .. s.peak)
  end)

  it("do not let time in the queue count against the connect timeout", function()
    core.http_limits { per_host = 2 }
    local s = slow_server(0.15)
    local tasks, queued = {}, 0
    for i = 1, 16 do
      tasks[i] = core.spawn(function()
        return core.http_request { url = s.srv:url() .. "/" .. i, connect_timeout = 0.3, timeout = 5 }
      end)
    end
    local failures = {}
    for _, t in ipairs(tasks) do
      local done, resp, err = t:join()
      if not (done and resp) then failures[#failures + 1] = err and err.message or tostring(resp)
      elseif resp.queued > queued then queued = resp.queued end
    end
    s.srv:close()
    assert.same({}, failures)
    -- 16 requests, 2 at a time, 0.15 s each: the last waits about 1 s
    assert.is_true(queued >= 0.6, "longest wait " .. queued)
  end)

  it("let a queued request be cancelled while the others go on", function()
    core.http_limits { per_host = 1 }
    local s = slow_server(0.05)
    local first = core.spawn(function() return core.http_request { url = s.srv:url() .. "/1" } end)
    local second = core.spawn(function() return core.http_request { url = s.srv:url() .. "/2" } end)
    local third = core.spawn(function() return core.http_request { url = s.srv:url() .. "/3" } end)
    core.sleep(0.01)
    assert.is_true(second:cancel())
    local ok1, r1 = first:join()
    local ok3, r3 = third:join()
    s.srv:close()
    assert.is_true(ok1 and ok3)
    assert.equal(200, r1.status)
    assert.equal(200, r3.status)
    assert.equal(2, s.n)
  end)

  it("refuse a cap that is not a whole number", function()
    assert.has_error(function() core.http_limits { per_host = -1 } end)
    assert.has_error(function() core.http_limits { total = 1.5 } end)
  end)
end)
