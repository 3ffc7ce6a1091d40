-- Whole days through the project's client: a live channel from creation
-- to termination with the client's waiters (real time, shortened by the
-- speed factor), a quality set in use, re-stream plan limits, and a
-- VOD2LIVE schedule that goes on air at its start time (clock jumps).

local core = require "livestation.core"
local kst = require "livestation.kst"
local H = require "helpers.emulator"

describe("emulator lifecycles", function()
  local emu, url, ls

  before_each(function()
    emu, url = H.start { speed = 500 }
    ls = H.client(url)
  end)
  after_each(function()
    emu:stop()
    assert.equal(0, core.stats().tasks)
  end)

  local FAST = { timeout = 10, interval = 0.01, max_interval = 0.02 }

  it("a live channel's day: create, publish, record, snapshot, clip, curtain, stop, upload, delete", function()
    local recv = H.receiver()
    finally(function() recv.close() end)
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
    local ch = assert(ls:call("channel.create", H.merge(H.CHANNEL, { immediateOnAir = true })))
    local id = ch.channelId
    assert(ls:wait("channel_ready", { channelId = id }, FAST))

    assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/publish")))
    assert(ls:wait("channel_publishing", { channelId = id }, FAST))
    assert.is_true(ls:call("channel.get", { channelId = id }).isRecording)
    local general = assert(ls:call("channel.serviceUrls", { channelId = id, serviceUrlType = "GENERAL" }))
    assert.matches("^https://%l+%d+%.edge%.naverncp%.com/live/video/" .. id:gsub("%-", "%%-") .. "/", general[1].url)
    emu:advance(150000) -- the broadcast goes on for two and a half minutes

    local snap = assert(ls:call("snapshot.create", { channelId = id })).snapshot
    local clip = assert(ls:call("shortclip.create", { channelId = id, snapshotId = tostring(snap.snapshotId),
      startTime = 1000, endTime = 61000,
      shortclip = { output = { accessControl = "PUBLIC_READ", bucketName = "highlights", filePath = "/day1" } } }))
    local done = assert(ls:wait("shortclip_completed", { channelId = id, id = tostring(clip.shortclip.id) }, FAST))
    assert.equal(60000, done.shortclip.duration)
    assert.is_true(done.shortclip.fileSize > 0)

    local content = assert(ls:call("curtain.content.create", { content = { { bucketName = "b", filePath = "/brb.png" } } }))
    assert(ls:wait("curtain.content.get", { contentId = content.id }, H.merge(FAST, {
      ["until"] = function(c) return c.status == "READY" end })))
    assert.is_true(assert(ls:call("curtain.start", { channelId = id, contentId = { content.id } })).isLiveCurtain)
    assert.is_false(assert(ls:call("curtain.end", { channelId = id })).isLiveCurtain)

    assert.equal("BLOCK", assert(ls:call("channel.stop", { channelId = id })).channelStatus)
    local records = assert(ls:call("record.list", { channelId = id })).recordList
    local rid = next(records)
    assert(ls:wait("record.get", { channelId = id, recordId = tonumber(rid) }, H.merge(FAST, {
      ["until"] = function(c) return c[rid].status == "TRANSFER_READY" end })))
    assert(ls:call("record.upload", { bucketName = "archive", recordIds = { tonumber(rid) } }))
    assert(ls:wait("record_uploaded", { channelId = id, recordId = tonumber(rid) }, FAST))

    assert.equal("READY", assert(ls:call("channel.resume", { channelId = id })).channelStatus)
    assert.equal("DELETED", assert(ls:call("channel.delete", { channelId = id })).channelStatus)

    local codes = {}
    for _, ev in ipairs(ls:call("event.channel.list", { channelId = id })) do codes[ev.eventCode] = true end
    for _, c in ipairs { "STREAM_RESERVE", "PUBLISH_START", "ONAIR_START", "ONAIR_END", "PUBLISH_END", "STREAM_UPDATE" } do
      assert.is_true(codes[c], c)
    end
    assert.is_true(H.wait_for(function() return #recv.requests >= 7 end))
  end)

  it("moves on in real time with no request to drive it, and callbacks follow", function()
    local recv = H.receiver()
    finally(function() recv.close() end)
    assert(ls:call("callback.register", { callbackUrl = recv.url }))
    local id = assert(ls:call("channel.create", H.CHANNEL)).channelId
    local world = emu:world()
    assert.equal("CREATING", world.channels[id].status)
    assert.is_true(H.wait_for(function() return world.channels[id].status == "READY" end, 2))
    assert.is_true(H.wait_for(function() return #recv.requests == 1 end, 2))
    assert.equal("STREAM_RESERVE", recv.requests[1].body.event)
    assert.is_nil(next(world.timers))
    assert.is_nil(emu.timeline.ticker) -- no timer left, no task ticking
  end)

  it("a quality set in use by a channel cannot go until the channel does", function()
    local q = assert(ls:call("quality.create", { name = "mobile-360", type = "NORMAL",
      video = { codec = "H264", profile = "BASELINE", level = -1, width = 640, height = 360, fps = 30, bitrate = 700000 },
      audio = { codec = "AAC", samplerate = 44100, channels = 2, bitrate = 64 } }))
    local set = assert(ls:call("qualitySet.create", { name = "mobile", qualityIds = { q.id }, isEnabledUll = false,
      segmentDuration = 1000, segmentCount = 2, enableHlsTimedMetadata = false }))
    local id = H.ready_channel(emu, ls, { qualitySetId = set.id })
    local _, err = ls:call("qualitySet.delete", { qualitySetId = set.id })
    assert.equal(250306, err.code)
    assert.equal("mobile", ls:call("channel.get", { channelId = id }).qualitySetName)
    assert(ls:call("channel.delete", { channelId = id }))
    assert.is_true(assert(ls:call("qualitySet.delete", { qualitySetId = set.id })).deleteSuccess)
    assert(ls:call("quality.delete", { qualityId = q.id }))
  end)

  it("re-stream plan limits, checked by the client and by the emulator alike", function()
    local function targets(n)
      local t = {}
      for i = 1, n do t[i] = { targetName = "YOUTUBE", rtmpUrl = "rtmp://a.rtmp.youtube.com/live2", streamKey = "k" .. i } end
      return t
    end
    local _, err = ls:call("restream.create", { channelName = "relay", planType = "STANDARD", restream = targets(4) })
    assert.equal("validation", err.kind)
    assert.equal(250128, err.code)
    local status, body = H.request(url, "POST", "/api/v2/re-stream/channels",
      { channelName = "relay", planType = "STANDARD", restream = targets(4) })
    H.assert_ls_error(status, body, 250128)
    local rs = assert(ls:call("restream.create", { channelName = "relay", planType = "PROFESSIONAL", restream = targets(5) }))
    assert.equal(5, rs.platformCount)
  end)

  it("a VOD2LIVE schedule: RESERVED, PUBLISHING at its start time, READY when its files have played", function()
    local recv = H.receiver()
    finally(function() recv.close() end)
    local vod = assert(ls:call("vod.channel.create", { channelName = "late_movies", qualitySetId = 2, drmEnabledYn = false,
      cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } }))
    local id = vod.channelId
    assert(ls:call("callback.registerVod", { channelId = id, callbackEndpoint = recv.url }))
    emu:advance(60000)
    local start = kst.format(emu:now() + 60 * 60000)
    local s = assert(ls:call("vod.schedule.create", { channelId = id, startTime = tonumber(start),
      vodList = { { bucketName = "movies", filePath = "/one.mp4" }, { bucketName = "movies", filePath = "/two.mp4" } } }))
    assert.equal(kst.parse(start), s.startTime)
    assert.equal(s.startTime + 2 * 600 * 1000, s.endTime)
    assert.equal("CREATING", s.status)
    local got = ls:call("vod.channel.get", { channelId = id })
    assert.equal("RESERVED", got.channelStatus)
    assert.equal(1, #got.scheduleList)
    assert.equal(s.scheduleId, got.scheduleList[1].scheduleId)
    -- being prepared: how far along depends on the speed and the machine
    -- (at 500x the 4 s of preparing take 8 ms, which a loaded machine may
    -- well spend between the two calls)
    local prepared = got.scheduleList[1].status
    assert.is_truthy(({ CREATING = true, PROCESSING = true, READY = true })[prepared], prepared)
    emu:advance(59 * 60000)
    assert.equal("READY", ls:call("vod.schedule.get", { scheduleId = s.scheduleId }).status)
    assert.equal("RESERVED", ls:call("vod.channel.get", { channelId = id }).channelStatus)
    emu:advance(60000)
    assert.equal("PUBLISHING", ls:call("vod.channel.get", { channelId = id }).channelStatus)
    assert(ls:wait("vod_schedule_publishing", { channelId = id }, FAST))
    emu:advance(20 * 60000)
    got = ls:call("vod.channel.get", { channelId = id })
    assert.equal("READY", got.channelStatus)
    assert.equal(1200, got.totalPublishSeconds)
    assert.equal("FINISH", ls:call("vod.schedule.get", { scheduleId = s.scheduleId }).status)
    assert.is_true(H.wait_for(function() return #recv.requests >= 3 end))
    local seen = {}
    for _, r in ipairs(recv.requests) do seen[#seen + 1] = r.body.event end
    assert.same({ "STREAM_RESERVE", "PUBLISH_START", "PUBLISH_END" },
      { seen[1], seen[#seen - 1], seen[#seen] })
    local starts = assert(ls:call("event.list", { channelId = id }))
    assert.equal("PUBLISH_END", starts[1].eventCode)
    assert.equal(s.endTime, starts[1].timestamp)
  end)
end)
