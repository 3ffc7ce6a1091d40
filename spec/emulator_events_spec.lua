-- PUBLISH_OVER_THRESHOLD (an encoder sending more than the channel allows)
-- and STREAM_FINISH (the service ends a channel), end to end: raised by
-- the simulated encoder and the control API, read through the client's
-- event operations and delivered to the callback endpoint.

local H = require "helpers.emulator"

local codes, count = H.event_codes, H.count

-- The newest event of a channel with this code: a running encoder keeps
-- making thumbnails meanwhile (THUMBNAIL_CREATE), the sooner the slower
-- the machine, so the one looked for need not be the newest of all.
local function newest(ls, id, code)
  for _, e in ipairs(assert(ls:call("event.list", { channelId = id }))) do
    if e.eventCode == code then return e end
  end
  error("no " .. code .. " event", 2)
end

local function delivered(recv, code)
  local n = 0
  for _, r in ipairs(recv.requests) do if r.body and r.body.event == code then n = n + 1 end end
  return n
end

describe("PUBLISH_OVER_THRESHOLD and STREAM_FINISH", function()
  local emu, url, ls, recv

  before_each(function()
    emu, url = H.start { speed = 100 }
    ls = H.client(url)
    recv = H.receiver()
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
  end)
  after_each(function()
    emu:stop()
    recv.close()
  end)

  it("raises PUBLISH_OVER_THRESHOLD when an encoder starts above 20 Mbps, and calls back", function()
    local id = H.ready_channel(emu, ls)
    local status = H.control(url, "POST", "channels/" .. id .. "/publish", { video_bitrate = 25000000 })
    assert.equal(200, status)
    assert.equal(1, count(codes(ls, id), "PUBLISH_OVER_THRESHOLD"))
    assert.is_true(H.wait_for(function() return delivered(recv, "PUBLISH_OVER_THRESHOLD") == 1 end))
    local ev = newest(ls, id, "PUBLISH_OVER_THRESHOLD")
    assert.equal("INFO", ev.logLevel)
    assert.matches("25128000 bps is above the allowed 20000000 bps", ev.description)
  end)

  it("raises it once per crossing while the bitrate changes mid-broadcast", function()
    local id = H.ready_channel(emu, ls)
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/publish")))
    assert.equal(0, count(codes(ls, id), "PUBLISH_OVER_THRESHOLD"))
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/stream", { video_bitrate = 30000000 })))
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/stream", { video_bitrate = 31000000 })))
    assert.equal(1, count(codes(ls, id), "PUBLISH_OVER_THRESHOLD"))
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/stream", { video_bitrate = 5000000 })))
    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/stream", { video_bitrate = 22000000 })))
    assert.equal(2, count(codes(ls, id), "PUBLISH_OVER_THRESHOLD"))
    assert.equal(1280, (function()
      H.control(url, "POST", "channels/" .. id .. "/stream", { width = 1280, height = 720 })
      return assert(ls:call("channel.streamMetadata", { channelId = id })).video.width
    end)())
    assert.is_true(H.wait_for(function() return delivered(recv, "PUBLISH_OVER_THRESHOLD") == 2 end))
  end)

  it("checks a backup stream too, against a threshold the emulator is given", function()
    emu:stop()
    emu, url = H.start { speed = 100, publish_threshold = 1000000 }
    ls = H.client(url)
    local id = H.ready_channel(emu, ls, { isStreamFailOver = true })
    assert(emu:publish(id, { video_bitrate = 800000, audio_bitrate = 128000 }))
    assert.equal(0, count(codes(ls, id), "PUBLISH_OVER_THRESHOLD"))
    assert(emu:publish(id, { backup = true })) -- 6 Mbps by default
    assert.equal(1, count(codes(ls, id), "PUBLISH_OVER_THRESHOLD"))
    local ev = newest(ls, id, "PUBLISH_OVER_THRESHOLD")
    assert.matches("^%S+ channel backup stream", ev.description)
  end)

  it("refuses to change a stream that is not running", function()
    local id = H.ready_channel(emu, ls)
    local status, body = H.control(url, "POST", "channels/" .. id .. "/stream", { video_bitrate = 1 })
    assert.equal(409, status)
    assert.matches("not publishing", body.error.message)
    status = H.control(url, "POST", "channels/ls-nope/stream", {})
    assert.equal(404, status)
  end)

  it("raises STREAM_FINISH when the service ends a channel, cutting its broadcast", function()
    local id = H.ready_channel(emu, ls)
    assert(emu:publish(id))
    local status, body = H.control(url, "POST", "channels/" .. id .. "/finish")
    assert.equal(200, status)
    assert.equal("FORCE_BLOCK", body.channelStatus)
    local list = codes(ls, id)
    assert.equal("STREAM_FINISH", list[1])
    assert.equal("PUBLISH_END", list[2])
    assert.equal("FORCE_BLOCK", assert(ls:call("channel.get", { channelId = id })).channelStatus)
    assert.is_true(H.wait_for(function() return delivered(recv, "STREAM_FINISH") == 1 end))
    -- a channel the service ended takes no more orders
    local _, err = ls:call("channel.resume", { channelId = id })
    H.assert_api_error(err, 250005, "Resuming a channel in status FORCE_BLOCK")
    _, err = ls:call("channel.delete", { channelId = id })
    H.assert_api_error(err, 250114)
    -- and cannot end twice once deleted
    status = H.control(url, "POST", "channels/" .. id .. "/finish", { status = "FORCE_DELETED" })
    assert.equal(200, status)
    status, body = H.control(url, "POST", "channels/" .. id .. "/finish")
    assert.equal(409, status)
    assert.matches("FORCE_DELETED", body.error.message)
    status, body = H.control(url, "POST", "channels/" .. H.ready_channel(emu, ls, { channelName = "other" })
      .. "/finish", { status = "GONE" })
    assert.equal(409, status)
    assert.matches("FORCE_BLOCK or FORCE_DELETED", body.error.message)
  end)

  it("ends a re-stream channel the same way", function()
    local rs = assert(ls:call("restream.create", { channelName = "relay", planType = "STANDARD",
      restream = { { targetName = "YOUTUBE", rtmpUrl = "rtmp://a.rtmp.youtube.com/live2", streamKey = "k" } } }))
    emu:advance(60000)
    assert(emu:publish(rs.channelId))
    assert(emu:finish(rs.channelId, {}))
    assert.equal("STREAM_FINISH", codes(ls, rs.channelId)[1])
  end)
end)
