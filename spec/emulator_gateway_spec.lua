-- The emulator's API gateway: routes, authentication headers, timestamp
-- window, keys and signatures (strict and lenient), then Live Station's
-- region and Content-Type checks, and the headers every answer carries.

local core = require "livestation.core"
local H = require "helpers.emulator"

local TARGET = "/api/v2/qualitySets?genType=SYSTEM&type=all"

describe("emulator gateway", function()
  local emu, url

  before_each(function() emu, url = H.start() end)
  after_each(function()
    emu:stop()
    assert.equal(0, core.stats().servers)
  end)

  local function gateway_error(status, body, http, code, message, details)
    assert.equal(http, status)
    assert.same({ errorCode = code, message = message, details = details }, body.error)
  end

  it("answers a signed request with content, JSON and a trace id", function()
    local status, body, resp = H.request(url, "GET", TARGET)
    assert.equal(200, status)
    assert.equal(5, #body.content)
    assert.equal(5, body.total)
    assert.equal("application/json;charset=utf-8", resp.headers["content-type"])
    assert.matches("^%x+$", resp.headers["x-ncp-trace-id"])
    assert.is_string(resp.headers["date"])
  end)

  it("answers an unknown path with 404 and gateway code 300", function()
    local status, body = H.request(url, "GET", "/api/v2/nothing-here")
    gateway_error(status, body, 404, "300", "Not Found Exception", "URL not found.")
  end)

  it("answers a known path with the wrong method with 404/300, before authentication", function()
    local status, body = H.request(url, "PATCH", "/api/v2/channels", nil, { access_key = "WHOEVER" })
    gateway_error(status, body, 404, "300", "Not Found Exception", "URL not found.")
  end)

  for _, name in ipairs { "x-ncp-apigw-timestamp", "x-ncp-iam-access-key", "x-ncp-apigw-signature-v2" } do
    it("rejects a request without " .. name, function()
      local status, body = H.request(url, "GET", TARGET, nil, { headers = { [name] = false } })
      gateway_error(status, body, 401, "200", "Authentication Failed", "Authentication information are missing.")
    end)
  end

  it("rejects a timestamp more than 5 minutes old or ahead", function()
    for _, offset in ipairs { -301000, 301000 } do
      local status, body = H.request(url, "GET", TARGET, nil, { timestamp = tostring(core.now_ms() + offset) })
      gateway_error(status, body, 401, "200", "Authentication Failed", "Invalid authentication information.")
    end
  end)

  it("accepts a timestamp 4 minutes off", function()
    local status = H.request(url, "GET", TARGET, nil, { timestamp = tostring(core.now_ms() - 240000) })
    assert.equal(200, status)
  end)

  it("rejects a timestamp that is not a number", function()
    local status, body = H.request(url, "GET", TARGET, nil, { timestamp = "yesterday" })
    gateway_error(status, body, 401, "200", "Authentication Failed", "Invalid authentication information.")
  end)

  it("rejects an unknown access key even with a matching signature", function()
    local status, body = H.request(url, "GET", TARGET, nil, { access_key = "SOMEONEELSESKEY00001" })
    gateway_error(status, body, 401, "200", "Authentication Failed", "Invalid authentication information.")
  end)

  it("rejects a signature made with another secret", function()
    local status, body = H.request(url, "GET", TARGET, nil, { secret_key = "not-the-secret" })
    gateway_error(status, body, 401, "200", "Authentication Failed", "Invalid authentication information.")
  end)

  it("signs over the raw target: a percent-decoded query does not pass in strict mode", function()
    local target = "/api/v2/channels?channelName=%EC%A3%BC%EA%B0%84%20a"
    assert.equal(200, (H.request(url, "GET", target)))
    local status, body = H.request(url, "GET", target, nil, { sign_target = "/api/v2/channels?channelName=주간 a" })
    gateway_error(status, body, 401, "200", "Authentication Failed", "Invalid authentication information.")
    status = H.request(url, "GET", target, nil, { sign_target = "/api/v2/channels" })
    assert.equal(401, status)
    status = H.request(url, "GET", TARGET, nil, { signature_header = "x-ncp-apigw-signature-v1" })
    assert.equal(401, status)
  end)

  it("matches header names case-insensitively", function()
    local h = H.headers("GET", TARGET)
    local mixed = {}
    for k, v in pairs(h) do mixed[k:upper()] = v end
    local resp = assert(core.http_request { method = "GET", url = url .. TARGET, headers = mixed })
    assert.equal(200, resp.status)
  end)

  it("wants x-ncp-region_code (250003), a served region (250019), a valid code (250020)", function()
    local status, body = H.request(url, "GET", TARGET, nil, { region = false })
    H.assert_ls_error(status, body, 250003)
    status, body = H.request(url, "GET", TARGET, nil, { region = "FKR" })
    H.assert_ls_error(status, body, 250019, "FKR")
    assert.equal("The Region FKR not support now.", body.error.message)
    status, body = H.request(url, "GET", TARGET, nil, { region = "korea!" })
    H.assert_ls_error(status, body, 250020, "korea!")
  end)

  it("checks authentication before the region", function()
    local status = H.request(url, "GET", TARGET, nil, { region = false, secret_key = "wrong" })
    assert.equal(401, status)
  end)

  it("strict: wants Content-Type application/json on every call, GET included (250348)", function()
    emu:stop()
    emu, url = H.start { strict = true }
    local status, body = H.request(url, "GET", TARGET, nil, { content_type = false })
    H.assert_ls_error(status, body, 250348)
    status, body = H.request(url, "POST", "/api/v2/events/callbackEndpoint",
      { callbackUrl = "http://127.0.0.1:9/x" }, { content_type = "text/plain" })
    H.assert_ls_error(status, body, 250348)
    status, body = H.request(url, "GET", TARGET, nil, { content_type = "Application/JSON; charset=UTF-8" })
    H.assert_ls_error(status, body, 250348)
    status = H.request(url, "GET", TARGET, nil, { content_type = "Application/JSON" })
    assert.equal(200, status)
  end)

  it("by default wants application/json (parameters allowed) only with a body", function()
    local status = H.request(url, "GET", TARGET, nil, { content_type = false })
    assert.equal(200, status)
    status = H.request(url, "GET", TARGET, nil, { content_type = "Application/JSON; charset=UTF-8" })
    assert.equal(200, status)
    local body
    status, body = H.request(url, "POST", "/api/v2/events/callbackEndpoint",
      { callbackUrl = "http://127.0.0.1:9/x" }, { content_type = "text/plain" })
    H.assert_ls_error(status, body, 250348)
  end)

  it("answers malformed JSON with 250012", function()
    local status, body = H.request(url, "POST", "/api/v2/events/callbackEndpoint", '{"callbackUrl": ')
    H.assert_ls_error(status, body, 250012)
  end)
end)

describe("emulator gateway, lenient signatures", function()
  local emu, url

  before_each(function() emu, url = H.start { lenient_signature = true } end)
  after_each(function() emu:stop() end)

  local target = "/api/v2/channels?channelName=%EC%A3%BC%EA%B0%84%20a&pageNo=1"

  it("accepts the raw target, the decoded query and the path alone", function()
    assert.equal(200, (H.request(url, "GET", target)))
    assert.equal(200, (H.request(url, "GET", target, nil, { sign_target = "/api/v2/channels?channelName=주간 a&pageNo=1" })))
    assert.equal(200, (H.request(url, "GET", target, nil, { sign_target = "/api/v2/channels" })))
  end)

  it("accepts the signature under x-ncp-apigw-signature-v1", function()
    assert.equal(200, (H.request(url, "GET", target, nil, { signature_header = "x-ncp-apigw-signature-v1" })))
  end)

  it("still rejects a wrong signature and a stale timestamp", function()
    assert.equal(401, (H.request(url, "GET", target, nil, { sign_target = "/api/v2/other" })))
    assert.equal(401, (H.request(url, "GET", target, nil, { timestamp = tostring(core.now_ms() - 600000) })))
  end)
end)

describe("emulator keys", function()
  it("uses the keys it is given instead of the defaults", function()
    local emu, url = H.start { access_key = "MYACCESSKEY000000001", secret_key = "my-secret" }
    finally(function() emu:stop() end)
    assert.equal(401, (H.request(url, "GET", TARGET)))
    assert.equal(200, (H.request(url, "GET", TARGET, nil, { access_key = "MYACCESSKEY000000001", secret_key = "my-secret" })))
  end)
end)
