-- Every operation of the table, called through the project's client
-- against the emulator, answers with its documented response shape. The
-- calls follow a plausible order so each one meets the state it needs;
-- the last test checks that all operations were seen succeeding.

local ops = require "livestation.ops"
local kst = require "livestation.kst"
local H = require "helpers.emulator"

describe("emulator operations", function()
  local emu, url, ls
  local seen = {}
  local ctx = {}

  setup(function()
    emu, url = H.start()
    ls = H.client(url)
  end)
  teardown(function() emu:stop() end)

  -- Calls id, checks the documented shape, returns the content.
  local function ok(id, params)
    local content, err, meta = ls:call(id, params or {})
    assert.is_nil(err, id .. ": " .. tostring(err))
    H.assert_shape(ops.get(id), meta.body)
    assert.matches("^%x+$", meta.trace_id)
    seen[id] = true
    return content, meta
  end

  local function later(ms) emu:advance(ms or 60000) end

  it("quality profiles and sets", function()
    local list = ok("quality.list")
    assert.equal(7, #list)
    assert.equal("SYSTEM", ok("quality.get", { qualityId = 1 }).genType)
    local q = ok("quality.create", { name = "hd-720-3m", type = "NORMAL",
      video = { codec = "H264", profile = "MAIN", level = -1, width = 1280, height = 720, fps = 29.97,
        bitrate = 3000000, rateControl = "CBR", bframes = 2 },
      audio = { codec = "AAC", profile = "LC", samplerate = 48000, channels = 2, bitrate = 128 } })
    assert.equal("CUSTOM", q.genType)
    assert.equal("CREATED", q.status)
    ctx.quality = q.id
    local sets = ok("qualitySet.list", { genType = "SYSTEM", type = "all" })
    assert.equal(5, #sets)
    assert.equal("Default-1080p", ok("qualitySet.get", { qualitySetId = 1 }).name)
    local set = ok("qualitySet.create", { name = "abr-two", qualityIds = { q.id, 1 }, isEnabledUll = false,
      segmentDuration = 2000, segmentCount = 3, enableHlsTimedMetadata = true,
      timedMetadata = { header = "ncloud.livestation.metadata", interval = 1000, key = "utc" } })
    assert.equal(2, #set.qualities)
    ctx.set = set.id
    local updated = ok("qualitySet.update", { qualitySetId = set.id, segmentDuration = 4000, segmentCount = 4 })
    assert.equal(4000, updated.segmentDuration)
  end)

  it("the default callback endpoint", function()
    local r = ok("callback.register", { callbackUrl = "http://127.0.0.1:9/default" })
    assert.equal("http://127.0.0.1:9/default", r.callbackUrl)
    assert.equal("http://127.0.0.1:9/default", ok("callback.get").callbackUrl)
  end)

  it("a live channel: create, list, get, service URLs, update", function()
    local ch = ok("channel.create", H.merge(H.CHANNEL, { qualitySetId = ctx.set, isStreamFailOver = true,
      channelName = "주간_라이브_01" }))
    assert.equal("CREATING", ch.channelStatus)
    assert.matches("^ls%-%d%d%d%d%d%d%d%d%d%d%d%d%d%d%-%w%w%w%w%w$", ch.channelId)
    ctx.ch = ch.channelId
    later()
    local list = ok("channel.list", { channelName = "주간", pageNo = 1, pageSizeNo = 10 })
    assert.equal(1, #list)
    local got = ok("channel.get", { channelId = ctx.ch })
    assert.equal("READY", got.channelStatus)
    assert.equal("RUNNING", got.cdn.statusName)
    local urls = ok("channel.serviceUrls", { channelId = ctx.ch, serviceUrlType = "GENERAL" })
    assert.is_string(urls[1].videoBitrate)
    ok("channel.serviceUrls", { channelId = ctx.ch, serviceUrlType = "THUMBNAIL" })
    local u = ok("channel.update", { channelId = ctx.ch, channelName = "주간_라이브_02", useDvr = true,
      timemachineMin = 360, immediateOnAir = false, record = { type = "MANUAL_UPLOAD" } })
    assert.equal("주간_라이브_02", u.channelName)
  end)

  it("notification recipients and settings", function()
    local groups = ok("event.adminGroups")
    assert.same({ managerGroupNo = 0, groupName = "ALL MANAGER GROUP" }, groups[1])
    local admins = ok("event.admin", { managerGroupNo = 101 })
    assert.is_true(#admins >= 1)
    ok("event.setNotification", { channelId = ctx.ch, alertOn = true, alertChangeStatus = true,
      notificationManagerList = { { managerNo = admins[1].managerNo, notifyType = "EMAIL",
        emailAddress = admins[1].emailAddress } } })
    assert.is_true(ok("channel.get", { channelId = ctx.ch }).alertOn)
    local live = ok("callback.registerLive", { channelId = ctx.ch, callbackEndpoint = "http://127.0.0.1:9/live" })
    assert.equal("http://127.0.0.1:9/live", live.callbackEndpoint)
  end)

  it("publishing: metadata, recording, time machine, snapshot, short clip", function()
    assert.equal(200, (H.control(url, "POST", "channels/" .. ctx.ch .. "/publish", { width = 1280, height = 720 })))
    assert.equal(200, (H.control(url, "POST", "channels/" .. ctx.ch .. "/publish", { backup = true })))
    local md = ok("channel.streamMetadata", { channelId = ctx.ch })
    assert.equal(1280, md.video.width)
    assert.equal(1920, ok("channel.streamMetadata", { channelId = ctx.ch, backup = true }).video.width)
    assert.equal("PUBLISHING", ok("channel.switchStream", { channelId = ctx.ch }).channelStatus)
    assert.equal("PUBLISHING", ok("channel.switchStream", { channelId = ctx.ch }).channelStatus)
    local started = ok("record.start", { channelId = ctx.ch })
    local _, rec = next(started.recordList)
    assert.equal("RECORDING", rec.status)
    ok("channel.serviceUrls", { channelId = ctx.ch, serviceUrlType = "TIMEMACHINE" })
    later(120000)
    local snap = ok("snapshot.create", { channelId = ctx.ch, limitedDuration = 1 })
    assert.equal(1, snap.snapshot.duration)
    ctx.snap = tostring(snap.snapshot.snapshotId)
    assert.equal(snap.snapshot.snapshotUrl,
      ok("snapshot.get", { channelId = ctx.ch, snapshotId = ctx.snap }).snapshot.snapshotUrl)
    local clip = ok("shortclip.create", { channelId = ctx.ch, snapshotId = ctx.snap, startTime = 0, endTime = 1500,
      shortclip = { output = { accessControl = "PRIVATE", bucketName = "clips", filePath = "/highlights" } } })
    assert.equal("CREATING", clip.shortclip.status)
    ctx.clip = tostring(clip.shortclip.id)
    later(10000)
    local clips, meta = ok("shortclip.list", { channelId = ctx.ch, snapshotId = ctx.snap })
    assert.equal(1, meta.total)
    assert.equal("COMPLETED", clips.shortClipList[1].status)
    local got = ok("shortclip.get", { channelId = ctx.ch, id = ctx.clip })
    assert.equal(1500, got.shortclip.duration)
  end)

  it("a live curtain", function()
    local c = ok("curtain.content.create", { content = { { bucketName = "curtains", filePath = "/break/pause.png" } } })
    assert.equal("CREATING", c.status)
    later(10000)
    local list = ok("curtain.content.list", { pageNo = 1, pageSizeNo = 10 })
    assert.equal("READY", list[1].status)
    assert.equal(300, ok("curtain.content.get", { contentId = c.id }).fileDuration)
    local on = ok("curtain.start", { channelId = ctx.ch, contentId = { c.id }, insertTime = 2 })
    assert.is_true(on.isLiveCurtain)
    local off = ok("curtain.end", { channelId = ctx.ch })
    assert.is_false(off.isLiveCurtain)
    assert.same({ c.id }, off.content.ids)
    assert.equal("DELETED", ok("curtain.content.delete", { contentId = c.id }).status)
  end)

  it("recordings: stop, list, get, upload, delete", function()
    local stopped = ok("record.stop", { channelId = ctx.ch })
    local id, rec = next(stopped.recordList)
    assert.equal("PROCESSING", rec.status)
    ctx.record = tonumber(id)
    later(10000)
    assert.equal("TRANSFER_READY", ok("record.list", { channelId = ctx.ch }).recordList[id].status)
    assert.equal("TRANSFER_READY", ok("record.get", { channelId = ctx.ch, recordId = ctx.record })[id].status)
    local up = ok("record.upload", { bucketName = "vod-archive", recordIds = { ctx.record }, accessControl = "PUBLIC_READ" })
    assert.equal("TRANSFER", up.uploadedRecords[id].status)
    later(10000)
    local done = ok("record.get", { channelId = ctx.ch, recordId = ctx.record })[id]
    assert.equal("TRANSFER_FINISH", done.status)
    assert.matches("^https://kr%.object%.ncloudstorage%.com/vod%-archive/", done.objectStorageUrl)
    ok("record.delete", { channelId = ctx.ch, recordIds = { ctx.record } })
  end)

  it("the channel's events", function()
    local all = ok("event.list", { channelId = ctx.ch })
    assert.is_true(#all > 3)
    local streaming = ok("event.channel.streamingList", { channelId = ctx.ch })
    assert.equal("PUBLISH_START", streaming[#streaming].eventCode)
    assert.equal(#all, #ok("event.channel.list", { channelId = ctx.ch }))
  end)

  it("stop, resume, CDN changes and termination", function()
    assert.equal(200, (H.control(url, "DELETE", "channels/" .. ctx.ch .. "/publish", { backup = true })))
    assert.equal(200, (H.control(url, "DELETE", "channels/" .. ctx.ch .. "/publish")))
    assert.equal("BLOCK", ok("channel.stop", { channelId = ctx.ch }).channelStatus)
    assert.equal("READY", ok("channel.resume", { channelId = ctx.ch }).channelStatus)
    local cdn = ok("channel.changeCdn", { channelId = ctx.ch, cdn = { cdnInstanceNo = 7788, profileId = 123 } })
    assert.equal("7788", cdn.cdn.instanceNo)
    later(10000)
    local other = ok("channel.create", H.merge(H.CHANNEL, { channelName = "second" }))
    later()
    local bulk = ok("channel.bulkChangeCdn", { cdn = { cdnInstanceNo = 9900, profileId = 5 },
      channelList = { ctx.ch, other.channelId } })
    assert.equal(2, #bulk.channelList)
    later(10000)
    assert.equal("DELETED", ok("channel.delete", { channelId = ctx.ch }).channelStatus)
    ok("channel.delete", { channelId = other.channelId })
  end)

  it("a re-stream channel", function()
    local rs = ok("restream.create", { channelName = "동시송출_채널", planType = "STANDARD", restream = {
      { targetName = "YOUTUBE", rtmpUrl = "rtmp://a.rtmp.youtube.com/live2", streamKey = "abcd-efgh" },
      { targetName = "CUSTOM", rtmpUrl = "rtmp://rtmp.example.com/app", streamKey = "k1", id = "user", password = "secret" } } })
    assert.equal("s*****", rs.restream[2].password)
    later()
    assert.equal(1, #ok("restream.list", { pageNo = 1, pageSizeNo = 10 }))
    assert.equal("READY", ok("restream.get", { channelId = rs.channelId }).channelStatus)
    local platforms = ok("restream.platforms", { channelId = rs.channelId })
    assert.equal("READY", platforms[1].connectStatus)
    local pl = ok("restream.updatePlatform", { channelId = rs.channelId, platformId = platforms[1].platId,
      rtmpUrl = "rtmp://b.rtmp.youtube.com/live2", streamKey = "new-key", streamId = "me", streamPassword = "pw" })
    assert.equal("p*", pl.password)
    ok("callback.registerRestream", { channelId = rs.channelId, callbackEndpoint = "http://127.0.0.1:9/rs" })
    assert.equal(200, (H.control(url, "POST", "channels/" .. rs.channelId .. "/publish")))
    later(10000)
    assert.equal("PUBLISHING", ok("restream.platforms", { channelId = rs.channelId })[1].connectStatus)
    assert.equal(200, (H.control(url, "DELETE", "channels/" .. rs.channelId .. "/publish")))
    assert.equal(2, #ok("event.restream.streamingList", { channelId = rs.channelId }))
    assert.is_true(#ok("event.restream.list", { channelId = rs.channelId }) > 2)
    assert.equal("DELETED", ok("restream.delete", { channelId = rs.channelId }).channelStatus)
  end)

  it("a VOD2LIVE channel and its schedule", function()
    local vod = ok("vod.channel.create", { channelName = "vod_channel", qualitySetId = 2, drmEnabledYn = false,
      cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } })
    ctx.vod = vod.channelId
    later()
    assert.equal(1, #ok("vod.channel.list", { pageNo = 1, pageSizeNo = 10 }))
    assert.equal("READY", ok("vod.channel.get", { channelId = ctx.vod }).channelStatus)
    assert.equal("vod_renamed", ok("vod.channel.update", { channelId = ctx.vod, channelName = "vod_renamed" }).channelName)
    local start = kst.format(emu:now() + 30 * 60000)
    local s = ok("vod.schedule.create", { channelId = ctx.vod, startTime = start,
      vodList = { { bucketName = "vods", filePath = "/a.mp4" } } })
    assert.equal(kst.parse(start), s.startTime)
    ok("vod.channel.serviceUrls", { channelId = ctx.vod, serviceUrlType = "GENERAL" })
    assert.equal(s.scheduleId, ok("vod.schedule.get", { scheduleId = s.scheduleId }).scheduleId)
    ok("vod.schedule.update", { scheduleId = s.scheduleId, vodList = { { bucketName = "vods", filePath = "/b.mp4" } } })
    ok("callback.registerVod", { channelId = ctx.vod, callbackEndpoint = "http://127.0.0.1:9/vod" })
    assert.equal("DELETED", ok("vod.schedule.delete", { scheduleId = s.scheduleId }).status)
    ok("vod.schedule.create", { channelId = ctx.vod, startTime = kst.format(emu:now() + 20 * 60000),
      vodList = { { bucketName = "vods", filePath = "/c.mp4" } } })
    assert.equal("BLOCK", ok("vod.channel.stop", { channelId = ctx.vod }).channelStatus)
    assert.equal("READY", ok("vod.channel.resume", { channelId = ctx.vod }).channelStatus)
    ok("vod.channel.changeCdn", { channelId = ctx.vod, cdn = { cdnInstanceNo = 4242, profileId = 2 } })
    later(10000)
    ok("vod.channel.bulkChangeCdn", { cdn = { cdnInstanceNo = 4343, profileId = 2 }, channelList = { ctx.vod } })
    later(10000)
    assert.equal("DELETED", ok("vod.channel.delete", { channelId = ctx.vod }).channelStatus)
  end)

  it("deleting what is no longer used", function()
    assert.is_true(ok("qualitySet.delete", { qualitySetId = ctx.set }).deleteSuccess)
    ok("quality.delete", { qualityId = ctx.quality })
  end)

  it("has called every operation of the table", function()
    local missing = {}
    for _, op in ipairs(ops.all()) do
      if not seen[op.id] then missing[#missing + 1] = op.id end
    end
    assert.same({}, missing)
    assert.equal(71, #ops.all())
  end)
end)
