-- The API gateway's usage limits in the emulator: off by default; per
-- access key a token bucket answering 429 "420" Rate Limited (or "410"
-- Throttle Limited) and a daily quota answering 429 "400" Quota Exceeded,
-- with the gateway's bodies; and the client's retry path coping with them.

local H = require "helpers.emulator"
local core = require "livestation.core"

local OTHER_AK, OTHER_SK = "EMULATORACCESSKEY002", "EMULATORSECRETKEY00000000000000000000002"
local TARGET = "/api/v2/qualitySets?genType=SYSTEM"

local function gateway_429(status, body, code, message)
  assert.equal(429, status)
  assert.same({ error = { errorCode = code, message = message } }, body)
end

describe("gateway throttling", function()
  local emu, url

  after_each(function() emu:stop() end)

  it("is off by default", function()
    emu, url = H.start()
    assert.is_nil(emu.throttle)
    for _ = 1, 40 do assert.equal(200, (H.request(url, "GET", TARGET))) end
  end)

  it("answers 429 420 Rate Limited past the burst, per access key", function()
    emu, url = H.start { throttle = { rps = 0.01, burst = 3 }, keys = { [OTHER_AK] = OTHER_SK } }
    for _ = 1, 3 do assert.equal(200, (H.request(url, "GET", TARGET))) end
    local status, body, resp = H.request(url, "GET", TARGET)
    gateway_429(status, body, "420", "Rate Limited")
    assert.is_nil(resp.headers["retry-after"])
    assert.is_string(resp.headers["x-ncp-trace-id"])
    -- another key has a bucket of its own
    status = H.request(url, "GET", TARGET, nil, { access_key = OTHER_AK, secret_key = OTHER_SK })
    assert.equal(200, status)
    -- a request that fails authentication is not counted, and not throttled
    status = H.request(url, "GET", TARGET, nil, { secret_key = "wrong" })
    assert.equal(401, status)
    assert.equal(1, emu.throttle:status().refused.rate)
  end)

  it("can answer 410 Throttle Limited with a Retry-After", function()
    emu, url = H.start { throttle = { rps = 0.01, burst = 1, code = "410", retry_after = 2 } }
    assert.equal(200, (H.request(url, "GET", TARGET)))
    local status, body, resp = H.request(url, "GET", TARGET)
    gateway_429(status, body, "410", "Throttle Limited")
    assert.equal("2", resp.headers["retry-after"])
  end)

  it("counts a daily quota on the emulator clock: 429 400 Quota Exceeded", function()
    emu, url = H.start { throttle = { day_quota = 2 } }
    assert.equal(200, (H.request(url, "GET", TARGET)))
    assert.equal(200, (H.request(url, "GET", TARGET)))
    local status, body = H.request(url, "GET", TARGET)
    gateway_429(status, body, "400", "Quota Exceeded")
    emu:advance(24 * 3600 * 1000)
    assert.equal(200, (H.request(url, "GET", TARGET)))
  end)

  it("is configured, read and removed through the control API", function()
    emu, url = H.start()
    local status, body = H.control(url, "POST", "throttle", { rps = 0.01, burst = 1 })
    assert.equal(200, status)
    assert.equal("420", body.code)
    assert.equal(200, (H.request(url, "GET", TARGET)))
    assert.equal(429, (H.request(url, "GET", TARGET)))
    status, body = H.control(url, "GET", "throttle")
    assert.equal(1, body.refused.rate)
    status, body = H.control(url, "POST", "throttle", { rps = -1 })
    assert.equal(400, status)
    assert.matches("rps", body.error.message)
    status, body = H.control(url, "POST", "throttle", { rps = 1, code = "500" })
    assert.equal(400, status)
    status, body = H.control(url, "POST", "throttle", { rsp = 1 })
    assert.matches("unknown setting 'rsp'", body.error.message)
    assert.equal(200, (H.control(url, "DELETE", "throttle")))
    for _ = 1, 5 do assert.equal(200, (H.request(url, "GET", TARGET))) end
  end)

  it("refuses bad settings in emulator.new and lsrun emulator", function()
    assert.error_matches(function() require("livestation.emulator").new { throttle = { burst = 2 } } end,
      "burst: needs rps")
    local cli = require "lsrun.emulator"
    local o = assert(cli.parse { "--throttle", "10/20", "--day-quota", "1000" })
    assert.same({ rps = 10, burst = 20, day_quota = 1000 }, o.throttle)
    local _, err = cli.parse { "--throttle", "fast" }
    assert.matches("RPS or RPS/BURST", err)
    _, err = cli.parse { "--day-quota", "0" }
    assert.matches("day_quota", err)
    emu = { stop = function() end }
  end)
end)

describe("the client's retry path against the gateway's 429s", function()
  local emu, url

  after_each(function() emu:stop() end)

  it("retries throttled GETs until they pass", function()
    -- a token every 250 ms: back-to-back calls wait for theirs
    emu, url = H.start { throttle = { rps = 4, burst = 1 } }
    local ls = H.client(url, { backoff = 0.05, backoff_cap = 0.2 })
    local attempts = 0
    for _ = 1, 5 do
      local list, err, meta = ls:call("qualitySet.list", { genType = "SYSTEM" })
      assert.is_nil(err)
      assert.is_table(list)
      attempts = attempts + meta.attempts
    end
    assert.is_true(attempts > 5, "no call was throttled")
    assert.is_true(emu.throttle:status().refused.rate > 0)
  end)

  it("retries a throttled POST (the gateway refused it before the service) and creates once", function()
    emu, url = H.start { throttle = { rps = 2, burst = 1 } }
    local ls = H.client(url, { backoff = 0.05, backoff_cap = 0.3 })
    assert(ls:call("qualitySet.list", {})) -- spends the bucket
    local ch, err, meta = ls:call("channel.create", H.CHANNEL)
    assert.is_nil(err)
    assert.is_true(meta.attempts > 1)
    local n = 0
    for _ in pairs(emu:world().channels) do n = n + 1 end
    assert.equal(1, n)
    assert.is_string(ch.channelId)
  end)

  it("honours the Retry-After the emulator can add", function()
    emu, url = H.start { throttle = { rps = 0.01, burst = 1, retry_after = 1 } }
    local ls = H.client(url, { backoff = 0.01 })
    assert(ls:call("qualitySet.list", {}))
    -- a wait longer than what is left of the budget: no second attempt
    local started = core.monotonic()
    local _, err = ls:call("qualitySet.list", {}, { retry_budget = 0.5 })
    assert.equal("gateway", err.kind)
    assert.equal(429, err.status)
    assert.equal(1, err.retry_after)
    assert.equal(1, err.attempts)
    assert.is_true(core.monotonic() - started < 0.5)
    -- otherwise the whole wait, after which the bucket has a token again
    -- (one every 1.1 s; Retry-After says 2)
    emu:set_throttle { rps = 0.9, burst = 1, retry_after = 2 }
    assert(ls:call("qualitySet.list", {}))
    started = core.monotonic()
    local list, err2, meta = ls:call("qualitySet.list", {})
    assert.is_nil(err2)
    assert.is_table(list)
    assert.equal(2, meta.attempts)
    assert.is_true(core.monotonic() - started >= 1.95)
  end)
end)
