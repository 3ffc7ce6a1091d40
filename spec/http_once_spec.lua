-- A request that is not idempotent reaches the server at most once per
-- attempt. The server here answers a GET on a kept-alive connection, then
-- reads a POST on that same connection and closes it without answering:
-- the case in which libcurl, left to itself, reconnects and sends the
-- POST again.

local core = require "livestation.core"
local gateway = require "helpers.gateway"

local CH = "ls-20240101000000-AbCdE"

-- A server that answers GETs and drops every POST after reading it.
local function dropping_server()
  local seen = { GET = 0, POST = 0, peers = {} }
  local srv = assert(core.http_server { port = 0, handler = function(req)
    seen[req.method] = (seen[req.method] or 0) + 1
    seen.peers[#seen.peers + 1] = req.method .. " " .. tostring(req.peer)
    if req.method == "POST" then return "drop" end
    return 200, gateway.JSON, '{"content":{"ok":true}}'
  end })
  return srv, seen
end

describe("a POST on a kept-alive connection that closes after reading it", function()
  it("reaches the server once and fails as possibly processed", function()
    local srv, seen = dropping_server()
    local url = srv:url()
    local resp = assert(core.http_request { url = url .. "/a" })
    assert.equal(200, resp.status)
    local r2, err = core.http_request { method = "POST", url = url .. "/b", body = "{}" }
    srv:close()
    assert.is_nil(r2)
    assert.equal(1, seen.POST)
    assert.equal("network", err.kind)
    assert.is_true(err.sent)
  end)

  it("is not retried by ls:call, which reports one attempt", function()
    local gw = gateway.start { respond = function(rec)
      if rec.method == "POST" then return "drop" end
      return 200, gateway.JSON, '{"content":{"ok":true}}'
    end }
    local ls = gateway.client(gw)
    assert(ls:call("channel.get", { channelId = CH }))
    local content, err = ls:call("snapshot.create", { channelId = CH })
    gw.close()
    local posts = 0
    for _, r in ipairs(gw.requests) do if r.method == "POST" then posts = posts + 1 end end
    assert.is_nil(content)
    assert.equal(1, posts)
    assert.equal(1, err.attempts)
    assert.is_true(err.sent)
    assert.is_false(err.retryable)
  end)

  it("is retried by ls:call when the connection was refused (provably unprocessed)", function()
    local gw = gateway.start()
    local url = gw.url
    gw.close()
    local ls = gateway.client({ url = url }, { retry_budget = 0.3 })
    local _, err = ls:call("snapshot.create", { channelId = CH })
    assert.equal("network", err.kind)
    assert.is_false(err.sent)
    assert.is_true(err.attempts > 1)
  end)
end)
