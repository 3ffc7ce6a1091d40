-- The HTTP client keeps finished transfers' handles for reuse: nothing of
-- one request (method, body, headers, timeouts) may reach the next.

local core = require "livestation.core"

describe("http client handle reuse", function()
  local srv, seen

  setup(function()
    seen = {}
    srv = assert(core.http_server { port = 0, handler = function(req)
      seen[#seen + 1] = { method = req.method, body = req.body or "", marker = req.headers["x-marker"] }
      if req.path == "/slow" then core.sleep(0.3) end
      return 200, {}, "ok " .. req.method
    end })
  end)
  teardown(function() srv:close() end)

  it("sends each request as given, whatever came before on the same handle", function()
    local plan = {
      { method = "POST", body = '{"a":1}', headers = { ["x-marker"] = "one" } },
      { method = "GET" },
      { method = "DELETE", body = '{"ids":[1]}' },
      { method = "GET" },
      { method = "PUT", body = "{}", headers = { ["x-marker"] = "two" } },
      { method = "HEAD" },
      { method = "GET" },
      -- the same kind of request again and again: the handle is not reset
      -- between them, and still nothing of one reaches the next
      { method = "GET", headers = { ["x-marker"] = "three" } },
      { method = "GET" },
      { method = "POST", body = '{"b":2}' },
      { method = "POST", body = "" },
      { method = "DELETE", body = '{"ids":[2]}', headers = { ["x-marker"] = "four" } },
      { method = "DELETE", body = '{"ids":[3]}' },
    }
    for i, p in ipairs(plan) do
      local resp = assert(core.http_request { method = p.method, url = srv:url() .. "/r" .. i, body = p.body,
        headers = p.headers, timeout = 5 })
      assert.equal(200, resp.status)
      local s = seen[#seen]
      assert.equal(p.method, s.method, "request " .. i)
      assert.equal(p.body or "", s.body, "request " .. i)
      assert.equal(p.headers and p.headers["x-marker"], s.marker, "request " .. i)
      if p.method ~= "HEAD" then assert.equal("ok " .. p.method, resp.body) end
    end
  end)

  it("does not carry a short timeout over to the next request", function()
    local _, err = core.http_request { method = "GET", url = srv:url() .. "/slow", timeout = 0.05 }
    assert.equal("timeout", err and err.kind)
    local resp = assert(core.http_request { method = "GET", url = srv:url() .. "/slow", timeout = 5 })
    assert.equal(200, resp.status)
    -- nor from a request of the same kind
    _, err = core.http_request { method = "GET", url = srv:url() .. "/slow", timeout = 0.05 }
    assert.equal("timeout", err and err.kind)
    _, err = core.http_request { method = "GET", url = srv:url() .. "/slow", timeout = 0.05 }
    assert.equal("timeout", err and err.kind)
    resp = assert(core.http_request { method = "GET", url = srv:url() .. "/slow", timeout = 5 })
    assert.equal(200, resp.status)
  end)
end)
