-- What public applications written against the service send: GETs and
-- DELETEs without Content-Type, a media type with a charset, query
-- parameters and body members an operation does not define. The emulator
-- accepts them as the service does; with strict it keeps the documented
-- contract and refuses them with the documented codes. The client keeps
-- validating strictly and passes unknown names only through opts.extra.

local H = require "helpers.emulator"
local json = require "livestation.json"
local log = require "livestation.log"

-- Request shapes as public applications send them (axios, OkHttp, Spring's
-- RestTemplate, Go's net/http with canonical header names).
local function shapes(channel_id, spare_id)
  return {
    { "a GET of a channel without Content-Type", "GET", "/api/v2/channels/" .. channel_id, nil,
      { content_type = false }, 250348 },
    { "a DELETE of a channel without Content-Type", "DELETE", "/api/v2/channels/" .. spare_id, nil,
      { content_type = false }, 250348 },
    { "a POST with application/json; charset=utf-8", "POST", "/api/v2/events/callbackEndpoint",
      '{"callbackUrl":"http://127.0.0.1:9/hook"}', { content_type = "application/json; charset=utf-8" }, 250348 },
    { "a PUT with application/json;charset=UTF-8", "PUT", "/api/v2/channels/" .. channel_id,
      json.encode(H.merge(H.CHANNEL, { cdn = H.NONE })),
      { content_type = "application/json;charset=UTF-8" }, 250348 },
    { "a list with responseFormatType and regionCode", "GET",
      "/api/v2/channels?pageNo=1&pageSizeNo=10&responseFormatType=json&regionCode=KR", nil, {}, 250012 },
    { "a body with members the operation does not define", "POST", "/api/v2/events/callbackEndpoint",
      '{"callbackUrl":"http://127.0.0.1:9/hook","requestId":"abc","meta":{"app":"x"}}', {}, 250012 },
    { "canonical header names and no Content-Type", "GET", "/api/v2/qualitySets?genType=SYSTEM", nil,
      { canonical = true }, 250348 },
  }
end

-- Go's net/http sends X-Ncp-Apigw-Timestamp and no Content-Type on a GET.
local function canonical(headers)
  local out = {}
  for k, v in pairs(headers) do
    if k ~= "Content-Type" then
      out[(k:gsub("^%l", string.upper):gsub("[-_]%l", string.upper))] = v
    end
  end
  return out
end

local function send(url, method, target, body, opts)
  local core = require "livestation.core"
  local headers = H.headers(method, target, opts)
  if opts.canonical then headers = canonical(headers) end
  local resp = assert(core.http_request { method = method, url = url .. target, body = body,
    headers = headers, timeout = 10 })
  return resp.status, json.decode(resp.body or ""), resp
end

describe("emulator, lenient like the service (default)", function()
  local emu, url, ls, channel_id, spare_id
  local lines, level = {}, log.level()

  setup(function()
    emu, url = H.start()
    ls = H.client(url)
    channel_id = H.ready_channel(emu, ls)
    spare_id = H.ready_channel(emu, ls, { channelName = "spare_show" })
    log.set_sink(function(line) lines[#lines + 1] = line end)
    log.set_level("debug")
  end)
  teardown(function()
    log.set_sink(nil)
    log.set_level(level)
    emu:stop()
  end)

  for i = 1, 7 do
    it("accepts shape " .. i, function()
      local c = shapes(channel_id, spare_id)[i]
      local status, body = send(url, c[2], c[3], c[4], c[5])
      assert.equal(200, status, c[1] .. ": " .. json.encode(body or {}))
    end)
  end

  it("ignores undefined query names and body members, and logs them at debug", function()
    local status, body = send(url, "POST", "/api/v2/events/callbackEndpoint?trace=1",
      '{"callbackUrl":"http://127.0.0.1:9/x","extra":1}', {})
    assert.equal(200, status)
    assert.equal("http://127.0.0.1:9/x", body.content.callbackUrl)
    local seen
    for _, l in ipairs(lines) do
      if l:find("ignored", 1, true) and l:find("trace, extra", 1, true) then seen = l end
    end
    assert.is_string(seen, "no debug line naming the ignored parameters")
  end)

  it("drops unknown nested members and still validates the known ones", function()
    local ch = H.merge(H.CHANNEL, { channelName = "nested_ok",
      cdn = H.merge(H.CHANNEL.cdn, { vendorHint = "x" }), record = { type = "MANUAL_UPLOAD", format = "MP4", note = 1 } })
    local status, body = send(url, "POST", "/api/v2/channels", json.encode(ch), {})
    assert.equal(200, status, json.encode(body or {}))
    -- a known member with a bad value is still refused
    status, body = send(url, "POST", "/api/v2/channels",
      json.encode(H.merge(H.CHANNEL, { channelName = "ab", unknownFlag = true })), {})
    H.assert_ls_error(status, body, 250104)
  end)

  it("still refuses a body of another media type (250348)", function()
    local status, body = send(url, "POST", "/api/v2/events/callbackEndpoint",
      '{"callbackUrl":"http://127.0.0.1:9/x"}', { content_type = "text/plain" })
    H.assert_ls_error(status, body, 250348)
    status, body = send(url, "POST", "/api/v2/events/callbackEndpoint",
      '{"callbackUrl":"http://127.0.0.1:9/x"}', { content_type = false })
    H.assert_ls_error(status, body, 250348)
  end)
end)

describe("emulator --strict: the documented contract", function()
  local emu, url, channel_id, spare_id

  setup(function()
    emu, url = H.start { strict = true }
    channel_id = H.ready_channel(emu, H.client(url))
    spare_id = H.ready_channel(emu, H.client(url), { channelName = "spare_show" })
  end)
  teardown(function() emu:stop() end)

  for i = 1, 7 do
    it("refuses shape " .. i .. " with its documented code", function()
      local c = shapes(channel_id, spare_id)[i]
      local status, body = send(url, c[2], c[3], c[4], c[5])
      H.assert_ls_error(status, body, c[6])
    end)
  end

  it("accepts what the reference shows", function()
    local status = send(url, "GET", "/api/v2/channels/" .. channel_id, nil, {})
    assert.equal(200, status)
  end)
end)

describe("client: strict validation, extra parameters by name", function()
  local emu, url, ls

  setup(function()
    emu, url = H.start()
    ls = H.client(url)
  end)
  teardown(function() emu:stop() end)

  it("refuses an unknown parameter before sending anything", function()
    local _, err = ls:call("channel.list", { responseFormatType = "json" })
    assert.equal("validation", err.kind)
    assert.equal(250012, err.code)
  end)

  it("sends opts.extra as given, signed with the rest", function()
    local list, err = ls:call("channel.list", { pageNo = 1 }, { extra = { query = { responseFormatType = "json" } } })
    assert.is_nil(err)
    assert.is_table(list)
    local content = ls:call("callback.register", { callbackUrl = "http://127.0.0.1:9/e" },
      { extra = { body = { requestId = "r-1" } } })
    assert.equal("http://127.0.0.1:9/e", content.callbackUrl)
  end)

  it("reaches a strict emulator, which refuses the extra with 250012", function()
    local strict, surl = H.start { strict = true }
    local _, err = H.client(surl):call("channel.list", {}, { extra = { query = { regionCode = "KR" } } })
    strict:stop()
    H.assert_api_error(err, 250012)
  end)

  it("refuses extra names the table knows, and malformed extras", function()
    local _, err = ls:call("channel.list", {}, { extra = { query = { pageNo = 2 } } })
    assert.equal("validation", err.kind)
    assert.matches("pass it in params", err.message)
    _, err = ls:call("channel.list", {}, { extra = { header = {} } })
    assert.matches("unknown part 'header'", err.message)
    _, err = ls:call("channel.list", {}, { extra = { query = { x = {} } } })
    assert.matches("query.x must be", err.message)
  end)
end)
