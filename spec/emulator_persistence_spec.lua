-- --state FILE: the world kept in SQLite across restarts: channels and
-- their ids, records, schedules and their pending transitions, events,
-- callback endpoints, quality sets, id sequences and the clock offset.

local core = require "livestation.core"
local kst = require "livestation.kst"
local emulator = require "livestation.emulator"
local H = require "helpers.emulator"

describe("emulator persistence", function()
  local path

  before_each(function()
    path = os.tmpname()
    os.remove(path)
    path = path .. ".db"
  end)
  after_each(function()
    for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(path .. suffix) end
  end)

  it("keeps the world across a restart", function()
    local emu, url = H.start { state = path }
    local ls = H.client(url)
    assert(ls:call("callback.register", { callbackUrl = "http://127.0.0.1:9/default" }))
    local id, created = H.ready_channel(emu, ls, { immediateOnAir = true })
    assert(ls:call("callback.registerLive", { channelId = id, callbackEndpoint = "http://127.0.0.1:9/live" }))
    H.control(url, "POST", "channels/" .. id .. "/publish")
    emu:advance(30000)
    H.control(url, "DELETE", "channels/" .. id .. "/publish")
    emu:advance(10000)
    local set = assert(ls:call("qualitySet.create", { name = "kept-set", qualityIds = { 2, 3 }, isEnabledUll = false,
      segmentDuration = 2000, segmentCount = 3, enableHlsTimedMetadata = false }))
    local vod = assert(ls:call("vod.channel.create", { channelName = "vod_kept", qualitySetId = 1, drmEnabledYn = false,
      cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } }))
    emu:advance(10000)
    local s = assert(ls:call("vod.schedule.create", { channelId = vod.channelId,
      startTime = kst.format(emu:now() + 30 * 60000), vodList = { { bucketName = "b", filePath = "/a.mp4" } } }))
    local before = {
      channel = ls:call("channel.get", { channelId = id }),
      records = ls:call("record.list", { channelId = id }).recordList,
      events = ls:call("event.list"),
      offset = emu.clock.offset,
    }
    emu:stop()
    assert.equal(0, core.stats().servers)

    local again, url2 = H.start { state = path }
    finally(function() again:stop() end)
    local ls2 = H.client(url2)
    local ch = assert(ls2:call("channel.get", { channelId = id }))
    assert.equal(before.channel.streamKey, ch.streamKey)
    assert.equal(created.instanceNo, ch.instanceNo)
    assert.equal("READY", ch.channelStatus)
    assert.equal("http://127.0.0.1:9/live", ch.callbackEndpoint)
    assert.equal(before.channel.totalPublishSeconds, ch.totalPublishSeconds)
    assert.same(before.records, ls2:call("record.list", { channelId = id }).recordList)
    assert.same(before.events, ls2:call("event.list"))
    assert.equal("http://127.0.0.1:9/default", ls2:call("callback.get").callbackUrl)
    assert.equal("kept-set", ls2:call("qualitySet.get", { qualitySetId = set.id }).name)
    assert.equal(before.offset, again.clock.offset)
    -- sequences go on where they were
    local other = assert(ls2:call("channel.create", H.CHANNEL))
    assert.is_true(other.instanceNo > created.instanceNo)
    -- transitions pending at the restart still happen
    assert.equal("RESERVED", ls2:call("vod.channel.get", { channelId = vod.channelId }).channelStatus)
    again:advance(31 * 60000)
    assert.equal("PUBLISHING", ls2:call("vod.channel.get", { channelId = vod.channelId }).channelStatus)
    assert.equal("READY", ls2:call("vod.schedule.get", { scheduleId = s.scheduleId }).status)
    assert.equal("READY", ls2:call("channel.get", { channelId = other.channelId }).channelStatus)
  end)

  it("restores exactly the world it saved, after every kind of change", function()
    local emu, url = H.start { state = path }
    local ls = H.client(url)
    local id = H.ready_channel(emu, ls, { immediateOnAir = true, isStreamFailOver = true })
    H.control(url, "POST", "channels/" .. id .. "/publish")
    H.control(url, "POST", "channels/" .. id .. "/publish", { backup = true })
    emu:advance(120000)
    local sid = tostring(assert(ls:call("snapshot.create", { channelId = id, limitedDuration = 1 })).snapshot.snapshotId)
    assert(ls:call("shortclip.create", { channelId = id, snapshotId = sid, startTime = 0, endTime = 5000,
      shortclip = { output = { accessControl = "PRIVATE", bucketName = "clips", filePath = "/c" } } }))
    local c = assert(ls:call("curtain.content.create", { content = { { bucketName = "b", filePath = "/p.png" } } }))
    emu:advance(10000)
    assert(ls:call("curtain.start", { channelId = id, contentId = { c.id } }))
    assert(ls:call("event.setNotification", { channelId = id, alertOn = true,
      notificationManagerList = { { managerNo = 2001, notifyType = "SMS", cellPhoneNo = "01012345678" } } }))
    local rs = assert(ls:call("restream.create", { channelName = "relay", planType = "STANDARD", restream = {
      { targetName = "YOUTUBE", rtmpUrl = "rtmp://a.rtmp.youtube.com/live2", streamKey = "k" } } }))
    emu:advance(10000)
    H.control(url, "POST", "channels/" .. rs.channelId .. "/publish")
    emu:advance(10000)
    assert(ls:call("quality.create", { name = "kept", type = "AUDIO",
      audio = { codec = "AAC", samplerate = 48000, channels = 2, bitrate = 128 } }))
    local function saved(e)
      local d = e:dump()
      d.now, d.deliveries, d.pending_callbacks, d.faults = nil, nil, nil, nil
      return d
    end
    local before = saved(emu)
    emu:stop()
    local again = emulator.new { state = path }
    finally(function() again:stop() end)
    assert.same(before, saved(again))
  end)

  it("applies what became due while it was down", function()
    local emu, url = H.start { state = path, speed = 1 }
    local ch = assert(H.client(url):call("channel.create", H.CHANNEL))
    emu:stop()
    -- a new process, five seconds and more later (the offset stands in)
    local again = emulator.new { state = path }
    again.clock.offset = again.clock.offset + 6000
    local url2 = assert(again:start {})
    finally(function() again:stop() end)
    assert.equal("READY", H.client(url2):call("channel.get", { channelId = ch.channelId }).channelStatus)
  end)

  it("forgets everything on reset, in the file too", function()
    local emu, url = H.start { state = path }
    local id = H.ready_channel(emu, H.client(url))
    assert.equal(200, (H.control(url, "POST", "reset")))
    emu:stop()
    local again, url2 = H.start { state = path }
    finally(function() again:stop() end)
    local _, err = H.client(url2):call("channel.get", { channelId = id })
    assert.equal(250100, err.code)
    assert.equal(7, #H.client(url2):call("quality.list"))
  end)

  it("keeps nothing without a state file", function()
    local emu, url = H.start()
    local id = H.ready_channel(emu, H.client(url))
    emu:stop()
    local again, url2 = H.start()
    finally(function() again:stop() end)
    local _, err = H.client(url2):call("channel.get", { channelId = id })
    assert.equal(250100, err.code)
  end)

  it("reports a state file it cannot open", function()
    local emu = emulator.new { state = "/nonexistent-dir/x/state.db" }
    local url, err = emu:start {}
    assert.is_nil(url)
    assert.matches("cannot open state file /nonexistent%-dir/x/state.db", err)
    emu:stop()
  end)
end)
