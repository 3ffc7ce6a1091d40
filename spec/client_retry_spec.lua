-- What the client retries, and when: Retry-After on 429 and 503, the
-- retry budget, and failures that come back the same every time (a
-- refused certificate, oversized headers) given up at once.

local core = require "livestation.core"
local httpdate = require "livestation.httpdate"
local gateway = require "helpers.gateway"

local CH = "ls-20240101000000-AbCdE"
local THROTTLED = '{"error":{"errorCode":"420","message":"Rate Limited"}}'
local UNAVAILABLE = '{"error":{"errorCode":"500","message":"Endpoint Error"}}'

local function with_headers(extra)
  local h = {}
  for k, v in pairs(gateway.JSON) do h[k] = v end
  for k, v in pairs(extra) do h[k] = v end
  return h
end

-- A gateway that fails the first request with status and Retry-After,
-- then answers; it records when each request came.
local function once_then_ok(status, body, after)
  local times = {}
  local gw = gateway.start { respond = function(_, i)
    times[i] = core.monotonic()
    if i == 1 then return status, with_headers { ["Retry-After"] = after() }, body end
    return 200, gateway.JSON, '{"content":{"ok":true}}'
  end }
  return gw, times
end

describe("Retry-After", function()
  local gw
  after_each(function() if gw then gw.close() gw = nil end end)

  it("waits the seconds a 429 asks for before the next attempt", function()
    local times
    gw, times = once_then_ok(429, THROTTLED, function() return "1" end)
    local content, err, meta = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.is_nil(err)
    assert.is_true(content.ok)
    assert.equal(2, meta.attempts)
    assert.is_true(times[2] - times[1] >= 0.95, "waited " .. (times[2] - times[1]))
  end)

  it("waits until the HTTP-date a 503 names", function()
    local times
    gw, times = once_then_ok(503, UNAVAILABLE, function()
      return httpdate.format(core.now_ms() // 1000 + 2)
    end)
    local content = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.is_true(content.ok)
    -- the date has whole seconds: at least one full second remains
    assert.is_true(times[2] - times[1] >= 0.95, "waited " .. (times[2] - times[1]))
  end)

  it("honours it on a throttled POST too", function()
    local times
    gw, times = once_then_ok(429, THROTTLED, function() return "1" end)
    local content = gateway.client(gw):call("snapshot.create", { channelId = CH })
    assert.is_true(content.ok)
    assert.is_true(times[2] - times[1] >= 0.95)
  end)

  it("gives up at once when the wait passes the retry budget, and says how long", function()
    local times
    gw, times = once_then_ok(429, THROTTLED, function() return "120" end)
    local started = core.monotonic()
    local _, err = gateway.client(gw, { retry_budget = 5 }):call("channel.get", { channelId = CH })
    assert.is_true(core.monotonic() - started < 1)
    assert.equal(1, #times)
    assert.equal(429, err.status)
    assert.equal(120, err.retry_after)
  end)

  it("ignores a value that is neither seconds nor a date", function()
    local times
    gw, times = once_then_ok(503, UNAVAILABLE, function() return "soon, maybe" end)
    local content = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.is_true(content.ok)
    assert.is_true(times[2] - times[1] < 0.5)
  end)
end)

describe("failures that do not change on retry", function()
  it("oversized response headers: one attempt, not retryable", function()
    local big = {}
    for i = 1, 80 do big["x-filler-" .. i] = string.rep("f", 1000) end
    local gw = gateway.start { respond = function() return 200, with_headers(big), "{}" end }
    local _, err = gateway.client(gw):call("channel.get", { channelId = CH })
    gw.close()
    assert.equal(1, #gw.requests)
    assert.equal("network", err.kind)
    assert.equal("too_large", err.reason)
    assert.is_false(err.retryable)
    assert.matches("headers too large", err.message)
  end)

  it("a certificate that does not verify: one attempt, not retryable #foreign", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 700 " .. dir))
    assert(os.execute("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes" ..
      " -keyout " .. dir .. "/key.pem -out " .. dir .. "/cert.pem -days 1 -subj /CN=127.0.0.1 2>/dev/null"))
    os.execute("openssl s_server -accept 127.0.0.1:0 -cert " .. dir .. "/cert.pem -key " .. dir ..
      "/key.pem -www >" .. dir .. "/out 2>&1 & echo $! >" .. dir .. "/pid")
    local port
    for _ = 1, 100 do
      local f = io.open(dir .. "/out")
      local text = f and f:read("a") or ""
      if f then f:close() end
      port = text:match("ACCEPT [%d%.]+:(%d+)")
      if port then break end
      core.sleep(0.05)
    end
    local pid = io.open(dir .. "/pid"):read("l")
    local ok, e = pcall(function()
      assert(port, "openssl s_server did not start")
      local ls = gateway.client({ url = "https://127.0.0.1:" .. port }, { retry_budget = 5 })
      local started = core.monotonic()
      local _, err = ls:call("channel.get", { channelId = CH })
      assert.equal("network", err.kind)
      assert.equal("tls", err.reason)
      assert.is_false(err.retryable)
      assert.equal(1, err.attempts)
      assert.is_true(core.monotonic() - started < 2)
    end)
    os.execute("kill " .. pid .. " 2>/dev/null; rm -rf " .. dir)
    assert(ok, e)
  end)
end)
