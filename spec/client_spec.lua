-- ls:call against an independent gateway on 127.0.0.1: headers, signing,
-- decoding, the error shape, retries per method, clock skew, the
-- per-operation form, and that validation failures send nothing.

local core = require "livestation.core"
local livestation = require "livestation"
local json = require "livestation.json"
local httpdate = require "livestation.httpdate"
local gateway = require "helpers.gateway"

local CH = "ls-20240101000000-AbCdE"

local function answer(status, body, headers)
  return function() return status, headers or gateway.JSON, body end
end

describe("ls:call", function()
  local gw
  after_each(function() if gw then gw.close() gw = nil end end)

  it("sends the five headers, signed over the exact target", function()
    gw = gateway.start { respond = answer(200, '{"content":[]}') }
    local ls = gateway.client(gw)
    local content, err = ls:call("channel.serviceUrls", { channelId = CH, serviceUrlType = "GENERAL" })
    assert.is_nil(err)
    assert.same({}, content)
    local r = gw.last()
    assert.equal("GET", r.method)
    assert.equal("/api/v2/channels/" .. CH .. "/serviceUrls?serviceUrlType=GENERAL", r.target)
    assert.is_true(r.signature_ok)
    assert.equal("application/json", r.headers["content-type"])
    assert.equal("KR", r.headers["x-ncp-region_code"])
    assert.equal(gateway.ACCESS_KEY, r.headers["x-ncp-iam-access-key"])
    assert.matches("^%d%d%d%d%d%d%d%d%d%d%d%d%d$", r.headers["x-ncp-apigw-timestamp"])
    assert.equal(44, #r.headers["x-ncp-apigw-signature-v2"])
  end)

  it("agrees with the openssl command on the signature it sends #foreign", function()
    gw = gateway.start()
    local ls = gateway.client(gw)
    ls:call("channel.get", { channelId = CH })
    local r = gw.last()
    local msg = "GET " .. r.target .. "\n" .. r.headers["x-ncp-apigw-timestamp"] .. "\n" .. gateway.ACCESS_KEY
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write(msg)
    f:close()
    local p = assert(io.popen("openssl dgst -sha256 -hmac '" .. gateway.SECRET_KEY ..
      "' -binary < " .. path .. " | openssl enc -base64"))
    local sig = p:read("l")
    p:close()
    os.remove(path)
    assert.equal(sig, r.headers["x-ncp-apigw-signature-v2"])
  end)

  it("percent-encodes path and query values and writes integral floats as integers", function()
    gw = gateway.start { respond = answer(200, '{"content":[],"total":0}') }
    local ls = gateway.client(gw)
    local _, err = ls:call("channel.list", { pageNo = 2.0, pageSizeNo = 10.0, channelName = "한국 채널&x=1" })
    assert.is_nil(err)
    local r = gw.last()
    assert.is_true(r.signature_ok)
    assert.equal("/api/v2/channels", r.path)
    local q = gateway.parse_query(r.query)
    assert.equal("2", q.pageNo)
    assert.equal("10", q.pageSizeNo)
    assert.equal("한국 채널&x=1", q.channelName)
    assert.not_matches("%.0", r.target)
    assert.matches("channelName=%%ED%%95%%9C%%EA%%B5%%AD%%20", r.target)
  end)

  it("sends false and empty arrays in the JSON body", function()
    gw = gateway.start()
    local ls = gateway.client(gw)
    local _, err = ls:call("channel.create", {
      channelName = "한국어_채널", qualitySetId = 3.0, useDvr = false, immediateOnAir = false,
      cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = 7.0, cdnInstanceNo = 1234.0,
        cdnDomain = "example.edge.naverncp.com" },
      record = { type = "NO_RECORD" },
    })
    assert.is_nil(err)
    local body = json.decode(gw.last().body)
    assert.is_false(body.cdn.createCdn)
    assert.is_false(body.useDvr)
    assert.is_false(body.immediateOnAir)
    assert.equal(7, body.cdn.profileId)
    assert.matches('"profileId":7[,}]', gw.last().body)
    assert.equal("한국어_채널", body.channelName)
    local _, err2 = ls:call("curtain.start", { channelId = CH, contentId = {} })
    assert.is_nil(err2)
    assert.matches('"contentId":%[%]', gw.last().body)
  end)

  it("sends a body on DELETE (record.delete)", function()
    gw = gateway.start()
    local ls = gateway.client(gw)
    local _, err = ls:call("record.delete", { channelId = CH, recordIds = { 11.0, 12 } })
    assert.is_nil(err)
    assert.equal("DELETE", gw.last().method)
    assert.equal('{"recordIds":[11,12]}', gw.last().body)
  end)

  it("returns content, with integral numbers as integers, and meta as third value", function()
    gw = gateway.start { respond = answer(200, '{"content":[{"channelId":"a","instanceNo":6}],"total":1}') }
    local ls = gateway.client(gw)
    local content, err, meta = ls:call("channel.list", {})
    assert.is_nil(err)
    assert.equal(6, content[1].instanceNo)
    assert.equal("integer", math.type(content[1].instanceNo))
    assert.equal(1, meta.total)
    assert.equal(200, meta.status)
    assert.equal("trace-1", meta.trace_id)
    assert.equal(1, meta.body.total)
    assert.equal("a", meta.body.content[1].channelId)
    assert.equal(1, meta.attempts)
  end)

  it("returns the whole body when there is no content", function()
    gw = gateway.start { respond = answer(200, '{"channelId":"x"}') }
    local content = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.equal("x", content.channelId)
  end)

  it("maps a Live Station error to kind api with code, name, status and trace id", function()
    gw = gateway.start { respond = answer(404,
      '{"error":{"errorCode":250100,"message":"Channel is not found","errorName":"CHANNEL_NOT_FOUND"}}') }
    local content, err = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.is_nil(content)
    assert.equal("api", err.kind)
    assert.equal(404, err.status)
    assert.equal(250100, err.code)
    assert.equal("Channel is not found", err.message)
    assert.equal("channel.get", err.operation)
    assert.equal("trace-1", err.trace_id)
    assert.is_false(err.retryable)
    assert.equal("channel.get: api error 250100 CHANNEL_NOT_FOUND (HTTP 404): Channel is not found [trace trace-1]",
      tostring(err))
    assert.equal(1, #gw.requests)
  end)

  it("accepts a string errorCode from Live Station", function()
    gw = gateway.start { respond = answer(400, '{"error":{"errorCode":"250104","message":"bad name"}}') }
    local _, err = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.equal("api", err.kind)
    assert.equal(250104, err.code)
  end)

  it("maps a gateway error to kind gateway with its details", function()
    gw = gateway.start { respond = answer(401,
      '{"error":{"errorCode":"210","message":"Permission Denied","details":"A subscription to the API is required."}}') }
    local _, err = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.equal("gateway", err.kind)
    assert.equal("210", err.code)
    assert.equal(401, err.status)
    assert.equal("A subscription to the API is required.", err.details)
    assert.is_false(err.retryable)
  end)

  it("reports a refused connection as a network error that was not sent", function()
    local srv = core.http_server { port = 0, handler = function() return 200 end }
    local url = srv:url()
    srv:close()
    local ls = livestation.new { endpoint = url, access_key = gateway.ACCESS_KEY,
      secret_key = gateway.SECRET_KEY, backoff = 0.001, attempts = 2 }
    local _, err = ls:call("channel.get", { channelId = CH })
    assert.equal("network", err.kind)
    assert.is_false(err.sent)
    assert.equal(2, err.attempts)
  end)

  it("reports a slow answer as a timeout", function()
    gw = gateway.start { respond = function() core.sleep(0.5) return 200, gateway.JSON, "{}" end }
    local _, err = gateway.client(gw, { timeout = 0.1, attempts = 1 }):call("channel.get", { channelId = CH })
    assert.equal("timeout", err.kind)
    assert.is_true(err.retryable)
  end)

  it("reports a malformed success body as an api error", function()
    gw = gateway.start { respond = answer(200, "{not json") }
    local _, err = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.equal("api", err.kind)
    assert.matches("malformed JSON", err.message)
  end)

  it("sends nothing when validation fails", function()
    gw = gateway.start()
    local content, err = gateway.client(gw):call("channel.get", {})
    assert.is_nil(content)
    assert.equal("validation", err.kind)
    assert.equal("channelId", err.param)
    assert.equal(0, #gw.requests)
  end)

  it("refuses an unknown operation with a suggestion", function()
    gw = gateway.start()
    local _, err = gateway.client(gw):call("channel.gett", { channelId = CH })
    assert.equal("validation", err.kind)
    assert.matches("did you mean 'channel.get'", err.message)
    assert.equal(0, #gw.requests)
  end)

  it("has a per-operation form: ls.channel.get{...}", function()
    gw = gateway.start { respond = answer(200, '{"content":{"channelId":"x"}}') }
    local ls = gateway.client(gw)
    assert.equal("x", ls.channel.get { channelId = CH }.channelId)
    assert.equal("/api/v2/channels/" .. CH, gw.last().path)
    ls.vod.schedule.get { scheduleId = 77.0 }
    assert.equal("/api/v2/vod/schedule/77", gw.last().path)
    ls.channel:get { channelId = CH } -- ':' works too
    assert.equal(3, #gw.requests)
  end)
end)

describe("retries", function()
  local gw
  after_each(function() if gw then gw.close() gw = nil end end)

  local function failing_then(n, status, body)
    return function(_, i)
      if i <= n then return status, gateway.JSON, body end
      return 200, gateway.JSON, '{"content":{"ok":true}}'
    end
  end

  local FIVE03 = '{"error":{"errorCode":"500","message":"Endpoint Error"}}'

  for _, case in ipairs {
    { "GET", "channel.get", { channelId = CH } },
    { "PUT", "channel.stop", { channelId = CH } },
    { "DELETE", "channel.delete", { channelId = CH } },
  } do
    it("retries " .. case[1] .. " on 503 and succeeds", function()
      gw = gateway.start { respond = failing_then(2, 503, FIVE03) }
      local content, err, meta = gateway.client(gw):call(case[2], case[3])
      assert.is_nil(err)
      assert.is_true(content.ok)
      assert.equal(3, #gw.requests)
      assert.equal(3, meta.attempts)
    end)
  end

  it("keeps retrying an idempotent call past 3 attempts by default", function()
    gw = gateway.start { respond = failing_then(10, 500, '{"error":{"errorCode":250000,"message":"x"}}') }
    local content, err, meta = gateway.client(gw):call("channel.get", { channelId = CH })
    assert.is_nil(err)
    assert.is_true(content.ok)
    assert.equal(11, #gw.requests)
    assert.equal(11, meta.attempts)
  end)

  it("starts no attempt after the retry budget is spent", function()
    gw = gateway.start { respond = failing_then(1000, 500, '{"error":{"errorCode":250000,"message":"x"}}') }
    local ls = gateway.client(gw, { retry_budget = 0.3, backoff = 0.05, backoff_cap = 0.05 })
    local started = core.monotonic()
    local _, err = ls:call("channel.get", { channelId = CH })
    local took = core.monotonic() - started
    assert.equal(250000, err.code)
    assert.is_true(err.attempts > 3)
    assert.equal(#gw.requests, err.attempts)
    assert.is_true(took >= 0.25 and took < 1.5, "took " .. took)
  end)

  it("takes the number of attempts from the client and from the call", function()
    gw = gateway.start { respond = failing_then(10, 429, '{"error":{"errorCode":"420","message":"Rate Limited"}}') }
    local _, err = gateway.client(gw, { attempts = 5 }):call("channel.get", { channelId = CH })
    assert.equal(5, #gw.requests)
    local _, err2 = gateway.client(gw):call("channel.get", { channelId = CH }, { attempts = 1 })
    assert.equal(6, #gw.requests)
    assert.equal("gateway", err2.kind)
    assert.equal(5, err.attempts)
  end)

  it("does not retry a POST the service may have processed (5xx)", function()
    gw = gateway.start { respond = failing_then(10, 503, FIVE03) }
    local _, err = gateway.client(gw):call("snapshot.create", { channelId = CH })
    assert.equal(1, #gw.requests)
    assert.equal("gateway", err.kind)
  end)

  it("retries a POST the gateway throttled (429)", function()
    gw = gateway.start { respond = failing_then(1, 429, '{"error":{"errorCode":"420","message":"Rate Limited"}}') }
    local content = gateway.client(gw):call("snapshot.create", { channelId = CH })
    assert.is_true(content.ok)
    assert.equal(2, #gw.requests)
  end)

  it("does not retry a POST after a timeout", function()
    gw = gateway.start { respond = function() core.sleep(0.3) return 200, gateway.JSON, "{}" end }
    local _, err = gateway.client(gw, { timeout = 0.1 }):call("snapshot.create", { channelId = CH })
    assert.equal("timeout", err.kind)
    assert.equal(1, err.attempts)
  end)

  it("retries a GET after a timeout", function()
    gw = gateway.start { respond = function(_, i)
      if i == 1 then core.sleep(0.3) end
      return 200, gateway.JSON, '{"content":{"ok":true}}'
    end }
    local content = gateway.client(gw, { timeout = 0.1 }):call("channel.get", { channelId = CH })
    assert.is_true(content.ok)
    assert.equal(2, #gw.requests)
  end)

  it("signs every attempt afresh", function()
    gw = gateway.start { respond = failing_then(2, 503, FIVE03) }
    gateway.client(gw, { backoff = 0.01, backoff_cap = 0.02 }):call("channel.get", { channelId = CH })
    for _, r in ipairs(gw.requests) do assert.is_true(r.signature_ok) end
  end)

  it("does not retry a 4xx", function()
    gw = gateway.start { respond = failing_then(10, 400, '{"error":{"errorCode":250002,"message":"x: invalid value."}}') }
    gateway.client(gw):call("channel.get", { channelId = CH })
    assert.equal(1, #gw.requests)
  end)
end)

describe("clock skew", function()
  local gw
  after_each(function() if gw then gw.close() gw = nil end end)

  it("corrects the clock from the gateway's Date, re-signs once, and keeps the offset", function()
    local server_ms = core.now_ms() + 3600 * 1000 -- the gateway lives an hour ahead
    gw = gateway.start { respond = function(rec)
      local ts = tonumber(rec.headers["x-ncp-apigw-timestamp"])
      local date = { Date = httpdate.format(server_ms / 1000) }
      for k, v in pairs(gateway.JSON) do date[k] = v end
      if math.abs(ts - server_ms) > 300000 then
        return 401, date, '{"error":{"errorCode":"200","message":"Authentication Failed","details":"Invalid authentication information."}}'
      end
      return 200, date, '{"content":{"ok":true}}'
    end }
    local ls = gateway.client(gw, { attempts = 1 })
    local lines = {}
    local log = require "livestation.log"
    local old = log.set_sink(function(line) lines[#lines + 1] = line end)
    local content, err = ls:call("channel.get", { channelId = CH })
    log.set_sink(old)
    assert.matches("WARN  clock skew", lines[1])
    assert.is_nil(err)
    assert.is_true(content.ok)
    assert.equal(2, #gw.requests)
    assert.is_true(math.abs(ls.clock_offset_ms - 3600 * 1000) < 5000)
    ls:call("channel.get", { channelId = CH })
    assert.equal(3, #gw.requests) -- right the first time now
  end)

  it("does not touch the clock when the 401 is not about time", function()
    gw = gateway.start { respond = answer(401,
      '{"error":{"errorCode":"200","message":"Authentication Failed","details":"Invalid authentication information."}}') }
    local ls = gateway.client(gw)
    local _, err = ls:call("channel.get", { channelId = CH })
    assert.equal("gateway", err.kind)
    assert.equal(0, ls.clock_offset_ms)
    assert.equal(1, #gw.requests)
  end)
end)
