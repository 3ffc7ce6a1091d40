-- The control API: the simulated encoder (main and backup streams), the
-- clock, reset, the state dump, and that it answers loopback clients only.

local H = require "helpers.emulator"

describe("emulator control API", function()
  local emu, url, ls

  before_each(function()
    emu, url = H.start()
    ls = H.client(url)
  end)
  after_each(function() emu:stop() end)

  local function codes(id)
    local out = {}
    local list = assert(ls:call("event.channel.list", { channelId = id }))
    for i = #list, 1, -1 do out[#out + 1] = list[i].eventCode end
    return out
  end

  it("publishes to a READY channel only, once", function()
    local status, body = H.control(url, "POST", "channels/ls-20240101000000-NoNoN/publish")
    assert.equal(404, status)
    assert.matches("no channel", body.error.message)
    local ch = assert(ls:call("channel.create", H.CHANNEL))
    status, body = H.control(url, "POST", "channels/" .. ch.channelId .. "/publish")
    assert.equal(409, status)
    assert.equal("the channel is CREATING, not READY", body.error.message)
    emu:advance(10000)
    status, body = H.control(url, "POST", "channels/" .. ch.channelId .. "/publish")
    assert.equal(200, status)
    assert.same({ channelId = ch.channelId, channelStatus = "PUBLISHING", kind = "live" }, body)
    assert.equal(409, (H.control(url, "POST", "channels/" .. ch.channelId .. "/publish")))
    local got = ls:call("channel.get", { channelId = ch.channelId })
    assert.equal("PUBLISHING", got.channelStatus)
    assert.is_true(got.recentPublishStartTime > 0)
    status, body = H.control(url, "DELETE", "channels/" .. ch.channelId .. "/publish")
    assert.equal(200, status)
    assert.equal("READY", body.channelStatus)
    assert.equal(409, (H.control(url, "DELETE", "channels/" .. ch.channelId .. "/publish")))
    assert.equal(400, (H.control(url, "POST", "channels/" .. ch.channelId .. "/publish", "[")))
  end)

  it("drives recording, thumbnail and events as a real ingest would", function()
    local id = H.ready_channel(emu, ls, { immediateOnAir = true })
    H.control(url, "POST", "channels/" .. id .. "/publish")
    emu:advance(65000)
    local got = ls:call("channel.get", { channelId = id })
    assert.is_true(got.isRecording)
    assert.equal(65, got.totalPublishSeconds)
    H.control(url, "DELETE", "channels/" .. id .. "/publish")
    got = ls:call("channel.get", { channelId = id })
    assert.is_false(got.isRecording)
    assert.equal(65, got.totalPublishSeconds)
    assert.same({ "STREAM_RESERVE", "PUBLISH_START", "ONAIR_START", "THUMBNAIL_CREATE", "ONAIR_END", "PUBLISH_END" },
      codes(id))
  end)

  it("switches a failover channel to its backup stream and back", function()
    local id = H.ready_channel(emu, ls, { isStreamFailOver = true })
    assert.is_string(ls:call("channel.get", { channelId = id }).backupStreamKey)
    local status, body = H.control(url, "POST", "channels/" .. id .. "/publish", { backup = true })
    assert.equal(409, status)
    assert.equal("the main stream must be sent first", body.error.message)
    H.control(url, "POST", "channels/" .. id .. "/publish")
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/publish", { backup = true, width = 1280, height = 720 })))
    assert.equal(200, (H.control(url, "DELETE", "channels/" .. id .. "/publish")))
    assert.equal("PUBLISHING", ls:call("channel.get", { channelId = id }).channelStatus)
    assert.equal(1280, ls:call("channel.streamMetadata", { channelId = id, backup = true }).video.width)
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/publish")))
    assert.equal(200, (H.control(url, "DELETE", "channels/" .. id .. "/publish", { backup = true })))
    assert.equal(200, (H.control(url, "DELETE", "channels/" .. id .. "/publish")))
    assert.equal("READY", ls:call("channel.get", { channelId = id }).channelStatus)
    local seen = codes(id)
    for _, code in ipairs { "RTMP_MAIN_STREAM_ENABLED", "BACKUP_SESSION_STREAMING_CONNECTED",
      "RTMP_BACKUP_STREAM_ENABLED", "BACKUP_SESSION_STREAMING_DISCONNECTED", "PUBLISH_END" } do
      local found = false
      for _, c in ipairs(seen) do if c == code then found = true end end
      assert.is_true(found, code)
    end
    local one_main = H.ready_channel(emu, ls)
    H.control(url, "POST", "channels/" .. one_main .. "/publish")
    status, body = H.control(url, "POST", "channels/" .. one_main .. "/publish", { backup = true })
    assert.equal(409, status)
    assert.matches("isStreamFailOver", body.error.message)
  end)

  it("moves the clock forward and runs what became due", function()
    local status, before = H.control(url, "GET", "clock")
    assert.equal(200, status)
    local ch = assert(ls:call("channel.create", H.CHANNEL))
    local body
    status, body = H.control(url, "POST", "clock", { advance_ms = 3600000 })
    assert.equal(200, status)
    assert.is_true(body.now - before.now >= 3600000)
    assert.equal(3600000, body.offset_ms)
    assert.equal("READY", ls:call("channel.get", { channelId = ch.channelId }).channelStatus)
    assert.equal(400, (H.control(url, "POST", "clock", { advance_ms = -5 })))
    assert.equal(400, (H.control(url, "POST", "clock", { advance = 5 })))
  end)

  it("resets to an empty account", function()
    local id = H.ready_channel(emu, ls)
    assert(ls:call("callback.register", { callbackUrl = "http://127.0.0.1:9/x" }))
    H.control(url, "POST", "faults", { operation = "restream.list", status = 500 })
    assert.equal(200, (H.control(url, "POST", "reset")))
    local _, err = ls:call("channel.get", { channelId = id })
    assert.equal(250100, err.code)
    assert.equal(0, #ls:call("event.list"))
    assert.is_nil(ls:call("callback.get").callbackUrl)
    assert.equal(7, #ls:call("quality.list"))
    assert(ls:call("restream.list"))
  end)

  it("dumps the world as JSON, secrets masked", function()
    local id = H.ready_channel(emu, ls)
    assert(ls:call("restream.create", { channelName = "relay", planType = "STANDARD", restream = {
      { targetName = "CUSTOM", rtmpUrl = "rtmp://x.example.com/a", streamKey = "k", id = "u", password = "hunter2" } } }))
    local status, state = H.control(url, "GET", "state")
    assert.equal(200, status)
    assert.equal(id, state.channels[1].channelId)
    assert.equal("h******", state.restreams[1].platforms[1].password)
    assert.equal(7, #state.qualities)
    assert.is_true(#state.events >= 1)
    assert.is_number(state.now)
    assert.is_nil(require("livestation.json").encode(state):find("hunter2", 1, true))
  end)

  it("answers loopback clients only, and 404 for what it does not know", function()
    local status, _, body = emu:handle { method = "GET", path = "/_emulator/state", target = "/_emulator/state",
      query = "", headers = {}, body = "", peer = "192.0.2.7" }
    assert.equal(403, status)
    assert.matches("loopback", body)
    assert.equal(200, (emu:handle { method = "GET", path = "/_emulator/clock", target = "/_emulator/clock",
      query = "", headers = {}, body = "", peer = "::1" }))
    assert.equal(404, (H.control(url, "GET", "nothing")))
    assert.equal(405, (H.control(url, "GET", "reset")))
  end)
end)
