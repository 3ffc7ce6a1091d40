-- Event callbacks, received by a server started in the spec: the
-- documented payload, the per-channel endpoint winning over the default
-- one, retries after failures, giving up, and delivery that never holds
-- up the request that caused the event.

local core = require "livestation.core"
local H = require "helpers.emulator"

describe("emulator callbacks", function()
  local emu, url, ls, recv

  local function start(opts, respond)
    emu, url = H.start(H.merge({ callback_backoff = 0.01, speed = 1000 }, opts))
    ls = H.client(url)
    recv = H.receiver(respond)
  end

  after_each(function()
    emu:stop()
    recv.close()
    assert.equal(0, core.stats().servers)
    assert.equal(0, core.stats().tasks)
  end)

  local function events_of(list, channel_id)
    local out = {}
    for _, r in ipairs(list) do
      -- thumbnails come a moment after publishing starts: timing, not order
      if (not channel_id or r.body.channelId == channel_id) and r.body.event ~= "THUMBNAIL_CREATE" then
        out[#out + 1] = r.body.event
      end
    end
    return out
  end

  it("POSTs the documented five fields to the default endpoint", function()
    start()
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
    local id = H.ready_channel(emu, ls)
    assert.is_true(H.wait_for(function() return #recv.requests >= 1 end))
    local r = recv.requests[1]
    assert.equal("POST", r.method)
    assert.equal("/hook", r.path)
    assert.matches("^application/json", r.headers["content-type"])
    local keys = {}
    for k in pairs(r.body) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.same({ "channelId", "event", "id", "logLevel", "timestamp" }, keys)
    assert.equal(id, r.body.channelId)
    assert.equal("STREAM_RESERVE", r.body.event)
    assert.equal("INFO", r.body.logLevel)
    assert.equal("integer", math.type(r.body.id))
    assert.equal("integer", math.type(r.body.timestamp))
  end)

  it("sends a channel's events only to its own endpoint, others to the default, in order", function()
    start()
    local own = H.receiver()
    finally(function() own.close() end)
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
    local a = H.ready_channel(emu, ls)
    local b = H.ready_channel(emu, ls, { channelName = "evening_show" })
    assert(ls:call("callback.registerLive", { channelId = a, callbackEndpoint = own.url }))
    assert.equal(200, (H.control(url, "POST", "channels/" .. a .. "/publish")))
    assert.equal(200, (H.control(url, "POST", "channels/" .. b .. "/publish")))
    assert.equal(200, (H.control(url, "DELETE", "channels/" .. a .. "/publish")))
    assert.is_true(H.wait_for(function() return #own.requests >= 2 and #recv.requests >= 3 end))
    core.sleep(0.05)
    assert.same({ "PUBLISH_START", "PUBLISH_END" }, events_of(own.requests))
    assert.same({ "STREAM_RESERVE" }, events_of(recv.requests, a))
    assert.same({ "STREAM_RESERVE", "PUBLISH_START" }, events_of(recv.requests, b))
  end)

  it("retries a failing receiver with the same event until it answers 2xx", function()
    start({}, function(n) if n <= 2 then return 500, {}, "busy" end return 204, {}, "" end)
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
    H.ready_channel(emu, ls)
    assert.is_true(H.wait_for(function() return #recv.requests >= 3 end))
    assert.equal(recv.requests[1].body.id, recv.requests[3].body.id)
    local log = emu:dump().deliveries
    assert.same({ false, false, true }, { log[1].ok, log[2].ok, log[3].ok })
    assert.equal(500, log[1].status)
    assert.equal(3, log[3].attempt)
  end)

  it("gives up after the last attempt and goes on with the next event", function()
    start({ callback_attempts = 3 }, function(_, req)
      if req.body:find("STREAM_RESERVE", 1, true) then return 503, {}, "down" end
      return 200, {}, "ok"
    end)
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
    local id = H.ready_channel(emu, ls)
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/publish")))
    assert.is_true(H.wait_for(function() return #recv.requests >= 4 end))
    assert.same({ "STREAM_RESERVE", "STREAM_RESERVE", "STREAM_RESERVE", "PUBLISH_START" }, events_of(recv.requests))
  end)

  it("never makes the request that caused an event wait for the receiver", function()
    start({}, function() core.sleep(0.5) return 200, {}, "slow" end)
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
    local id = H.ready_channel(emu, ls)
    local t0 = core.monotonic()
    assert(ls:call("channel.stop", { channelId = id }))
    assert(ls:call("channel.resume", { channelId = id }))
    assert.is_true(core.monotonic() - t0 < 0.3)
    assert.is_true(H.wait_for(function() return #recv.requests >= 3 end, 5))
  end)

  it("keeps going when the receiver cannot be reached, and logs the failure", function()
    local lines = {}
    start({ callback_attempts = 2, log = function(l) lines[#lines + 1] = l end })
    local closed = H.receiver()
    local dead = closed.url
    closed.close()
    assert(ls:call("callback.register", { callbackUrl = dead }))
    H.ready_channel(emu, ls)
    assert.is_true(H.wait_for(function() return #emu:dump().deliveries >= 2 end))
    local log = emu:dump().deliveries
    assert.is_false(log[2].ok)
    assert.is_string(log[2].error)
    assert.is_true(H.wait_for(function()
      for _, l in ipairs(lines) do if l:find("failed 2 times", 1, true) then return true end end
      return false
    end))
  end)

  it("sends nothing when no endpoint is registered", function()
    start()
    local id = H.ready_channel(emu, ls)
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/publish")))
    core.sleep(0.05)
    assert.equal(0, #recv.requests)
    assert.equal(0, #emu:dump().deliveries)
    assert.is_true(#emu:world().events >= 2)
  end)

  it("stops delivering when the emulator stops", function()
    start({}, function() core.sleep(5) return 200, {}, "" end)
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
    H.ready_channel(emu, ls)
    assert.is_true(H.wait_for(function() return #recv.requests >= 1 end))
    assert.equal(1, emu.callbacks:pending())
    emu:stop()
    assert.equal(0, emu.callbacks:pending())
    recv.close() -- ends the sleeping receiver handler too
  end)
end)
