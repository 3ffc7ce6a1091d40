-- The in-flight gauge (livestation_api_calls_in_flight) counts API
-- requests waiting for an answer, read when /metrics is rendered: up while
-- calls wait, down when they end, and down when a waiting task is
-- cancelled.

local core = require "livestation.core"
local livestation = require "livestation"
local metrics = require "livestation.metrics"

local function gauge()
  return tonumber(metrics.render():match("\nlivestation_api_calls_in_flight (%S+)"))
end

describe("the in-flight gauge", function()
  it("counts calls while they wait, and no longer once they end or are cancelled", function()
    local release = false
    local srv = assert(core.http_server { port = 0, handler = function()
      while not release do core.sleep(0.01) end
      return 200, { ["Content-Type"] = "application/json" }, '{"content":{"channelId":"ls-1"}}'
    end })
    local ls = livestation.new { endpoint = srv:url(), access_key = "AK", secret_key = "SK" }
    local base = gauge()
    local a = core.spawn(function() return ls:call("channel.get", { channelId = "ls-1" }) end)
    local b = core.spawn(function() return ls:call("channel.get", { channelId = "ls-2" }) end)
    local deadline = core.monotonic() + 5
    while gauge() < base + 2 and core.monotonic() < deadline do core.sleep(0.01) end
    assert.equal(base + 2, gauge())
    b:cancel()
    assert.equal(base + 1, gauge())
    release = true
    local ok, content = a:join()
    assert.is_true(ok)
    assert.equal("ls-1", content.channelId)
    assert.equal(base, gauge())
    srv:close()
  end)
end)
