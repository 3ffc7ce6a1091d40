-- Injected faults, seen through raw requests and through the client's
-- retries: error statuses with Live Station or gateway codes, latency,
-- dropped connections, malformed bodies, counts and probabilities.

local core = require "livestation.core"
local H = require "helpers.emulator"

describe("emulator faults", function()
  local emu, url, ls

  before_each(function()
    emu, url = H.start()
    ls = H.client(url, { attempts = 3, backoff = 0.01 })
  end)
  after_each(function() emu:stop() end)

  local function fault(rule)
    local status, body = H.control(url, "POST", "faults", rule)
    assert.equal(201, status)
    return body
  end

  it("answers a Live Station error code with its envelope and status", function()
    fault { operation = "quality.list", error_code = 250016 }
    local status, body = H.request(url, "GET", "/api/v2/qualityProfiles")
    H.assert_ls_error(status, body, 250016)
  end)

  it("answers a gateway code with the gateway's body and status", function()
    fault { path = "/api/v2/qualitySets", gateway_code = "420" }
    local status, body = H.request(url, "GET", "/api/v2/qualitySets")
    assert.equal(429, status)
    assert.same({ errorCode = "420", message = "Rate Limited" }, body.error)
  end)

  it("is retried by the client for a GET until the count runs out", function()
    local rule = fault { operation = "quality.list", status = 503, gateway_code = "500", count = 2 }
    local list, err, meta = ls:call("quality.list")
    assert.is_nil(err)
    assert.equal(7, #list)
    assert.equal(3, meta.attempts)
    local _, rules = H.control(url, "GET", "faults")
    assert.equal(0, #rules)
    assert.equal(1, rule.id)
  end)

  it("fails a GET once every attempt met the fault", function()
    fault { operation = "quality.list", status = 503, gateway_code = "500", count = 3 }
    local list, err = ls:call("quality.list")
    assert.is_nil(list)
    assert.equal("gateway", err.kind)
    assert.equal("500", err.code)
    assert.equal(3, err.attempts)
  end)

  it("is not retried for a POST the service may have processed", function()
    fault { operation = "channel.create", status = 503, gateway_code = "500", count = 1 }
    local ch, err = ls:call("channel.create", H.CHANNEL)
    assert.is_nil(ch)
    assert.equal(1, err.attempts)
    assert(ls:call("channel.create", H.CHANNEL))
  end)

  it("adds latency and then answers normally", function()
    fault { path = "/api/v2/quality*", latency_ms = 150 }
    local t0 = core.monotonic()
    assert.equal(200, (H.request(url, "GET", "/api/v2/qualitySets")))
    assert.is_true(core.monotonic() - t0 >= 0.14)
    t0 = core.monotonic()
    assert.equal(200, (H.request(url, "GET", "/api/v2/events")))
    assert.is_true(core.monotonic() - t0 < 0.14)
  end)

  it("drops the connection: a network error, retried by the client for a GET", function()
    fault { operation = "quality.list", drop = true }
    local resp, err = core.http_request { method = "GET", url = url .. "/api/v2/qualityProfiles",
      headers = H.headers("GET", "/api/v2/qualityProfiles") }
    assert.is_nil(resp)
    assert.is_table(err)
    local list, cerr = ls:call("quality.list")
    assert.is_nil(list)
    assert.equal("network", cerr.kind)
    assert.equal(3, cerr.attempts)
    -- two drops, then an answer (libcurl itself re-sends an idempotent
    -- request whose reused connection died, so one attempt of the client
    -- may meet both drops)
    assert.equal(200, (H.control(url, "DELETE", "faults")))
    fault { operation = "quality.list", drop = true, count = 2 }
    local _, lerr, meta = ls:call("quality.list")
    assert.is_nil(lerr)
    assert.is_true(meta.attempts >= 1)
    local _, rules = H.control(url, "GET", "faults")
    assert.same({}, rules.faults or rules)
  end)

  it("after: processes the request, then drops its answer", function()
    fault { operation = "channel.create", drop = true, after = true, count = 1 }
    local before = 0
    for _ in pairs(emu:world().channels) do before = before + 1 end
    local ch, err = ls:call("channel.create", H.CHANNEL)
    assert.is_nil(ch)
    assert.equal("network", err.kind)
    assert.is_false(err.retryable)
    local after = 0
    for _ in pairs(emu:world().channels) do after = after + 1 end
    assert.equal(before + 1, after)
  end)

  it("answers a malformed body", function()
    fault { operation = "quality.list", malformed = true }
    local list, err = ls:call("quality.list")
    assert.is_nil(list)
    assert.matches("malformed JSON", err.message)
  end)

  it("matches paths by glob, operations by id and methods", function()
    fault { path = "/api/v2/channels/*", method = "GET", gateway_code = "900" }
    assert.equal(500, (H.request(url, "GET", "/api/v2/channels/ls-anything")))
    assert.equal(200, (H.request(url, "GET", "/api/v2/channels")))
    assert.equal(404, (H.request(url, "DELETE", "/api/v2/channels/ls-anything")))
  end)

  it("fires by probability", function()
    fault { operation = "quality.list", probability = 0, status = 500 }
    for _ = 1, 20 do assert.equal(200, (H.request(url, "GET", "/api/v2/qualityProfiles"))) end
    fault { operation = "quality.list", probability = 1, status = 504 }
    local status, body = H.request(url, "GET", "/api/v2/qualityProfiles")
    assert.equal(504, status)
    assert.equal("510", body.error.errorCode)
    local _, rules = H.control(url, "GET", "faults")
    assert.equal(0, rules[1].hits)
    assert.equal(1, rules[2].hits)
  end)

  it("clears one rule or all of them", function()
    local a = fault { operation = "quality.list", status = 500 }
    fault { operation = "quality.get", status = 500 }
    assert.equal(200, (H.control(url, "DELETE", "faults/" .. a.id)))
    assert.equal(200, (H.request(url, "GET", "/api/v2/qualityProfiles")))
    assert.equal(500, (H.request(url, "GET", "/api/v2/qualityProfiles/1")))
    assert.equal(200, (H.control(url, "DELETE", "faults")))
    assert.equal(200, (H.request(url, "GET", "/api/v2/qualityProfiles/1")))
    assert.equal(404, (H.control(url, "DELETE", "faults/99")))
  end)

  it("refuses rules it cannot apply", function()
    for _, bad in ipairs {
      { operation = "quality.list" },
      { operation = "quality.list", status = 99 },
      { operation = "quality.list", error_code = 123 },
      { operation = "quality.list", gateway_code = "777" },
      { operation = "quality.list", status = 500, probability = 2 },
      { operation = 5, status = 500 },
    } do
      local status, body = H.control(url, "POST", "faults", bad)
      assert.equal(400, status)
      assert.is_string(body.error.message)
    end
  end)

  it("refuses an operation id it does not know, with a suggestion", function()
    local status, body = H.control(url, "POST", "faults", { operation = "chanel.get", status = 500 })
    assert.equal(400, status)
    assert.matches("operation: unknown operation 'chanel.get'; did you mean 'channel.get'?",
      body.error.message, 1, true)
    status, body = H.control(url, "POST", "faults", { operation = { "channel.get", "nothing.like.it" },
      status = 500 })
    assert.equal(400, status)
    assert.matches("unknown operation 'nothing.like.it'", body.error.message, 1, true)
  end)
end)
