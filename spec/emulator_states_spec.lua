-- What each state allows: calls made through the client at the wrong
-- moment get the service's code (errors.json message, mapped status),
-- and unknown ids get their not-found codes.

local kst = require "livestation.kst"
local H = require "helpers.emulator"

describe("emulator state rules", function()
  local emu, url, ls

  before_each(function()
    emu, url = H.start()
    ls = H.client(url, { attempts = 1 })
  end)
  after_each(function() emu:stop() end)

  local function refused(code, id, params, ...)
    local content, err = ls:call(id, params)
    assert.is_nil(content)
    H.assert_api_error(err, code, ...)
  end

  local function publish(id, body) assert.equal(200, (H.control(url, "POST", "channels/" .. id .. "/publish", body))) end
  local function unpublish(id) assert.equal(200, (H.control(url, "DELETE", "channels/" .. id .. "/publish"))) end

  describe("live channels", function()
    it("answers unknown channel ids with 250100 (HTTP 404)", function()
      for _, id in ipairs { "channel.get", "channel.stop", "channel.delete", "record.list", "event.channel.list" } do
        refused(250100, id, { channelId = "ls-20240101000000-NoNoN" })
      end
    end)

    it("does nothing but read a CREATING channel", function()
      local ch = assert(ls:call("channel.create", H.CHANNEL))
      local id = ch.channelId
      refused(250005, "channel.stop", { channelId = id }, "Stopping a channel in status CREATING")
      refused(250109, "channel.delete", { channelId = id })
      refused(250125, "channel.serviceUrls", { channelId = id, serviceUrlType = "GENERAL" })
      refused(250005, "channel.changeCdn", { channelId = id, cdn = { cdnInstanceNo = 1, profileId = 1 } },
        "Changing the CDN of a channel in status CREATING")
      assert.equal("CREATING", ls:call("channel.get", { channelId = id }).channelStatus)
    end)

    it("keeps a PUBLISHING channel from deletion, update and a second recording", function()
      local id = H.ready_channel(emu, ls)
      refused(250101, "channel.streamMetadata", { channelId = id })
      refused(250134, "record.start", { channelId = id })
      refused(250137, "record.stop", { channelId = id })
      refused(250134, "channel.serviceUrls", { channelId = id, serviceUrlType = "TIMEMACHINE" })
      publish(id)
      refused(250102, "channel.delete", { channelId = id })
      refused(250102, "channel.update", { channelId = id, channelName = "renamed", useDvr = true,
        timemachineMin = 360, immediateOnAir = false, record = { type = "NO_RECORD" } })
      refused(250141, "channel.serviceUrls", { channelId = id, serviceUrlType = "TIMEMACHINE" })
      refused(250137, "snapshot.create", { channelId = id })
      assert(ls:call("record.start", { channelId = id }))
      refused(250135, "record.start", { channelId = id })
      refused(250005, "channel.streamMetadata", { channelId = id, backup = true }, "Backup stream metadata")
    end)

    it("stops from READY or PUBLISHING, resumes only from BLOCK, deletes only in READY", function()
      local id = H.ready_channel(emu, ls)
      refused(250005, "channel.resume", { channelId = id }, "Resuming a channel in status READY")
      publish(id)
      local stopped = assert(ls:call("channel.stop", { channelId = id }))
      assert.equal("BLOCK", stopped.channelStatus)
      refused(250114, "channel.delete", { channelId = id })
      refused(250005, "channel.changeCdn", { channelId = id, cdn = { cdnInstanceNo = 1, profileId = 1 } },
        "Changing the CDN of a channel in status BLOCK")
      assert.equal("READY", assert(ls:call("channel.resume", { channelId = id })).channelStatus)
      assert(ls:call("channel.changeCdn", { channelId = id, cdn = { cdnInstanceNo = 5, profileId = 1 } }))
      refused(250109, "channel.delete", { channelId = id })
      emu:advance(10000)
      assert.equal("DELETED", assert(ls:call("channel.delete", { channelId = id })).channelStatus)
      refused(250005, "channel.stop", { channelId = id }, "Stopping a channel in status DELETED")
    end)

    it("refuses switching between the HLS family and LL_HLS", function()
      local id = H.ready_channel(emu, ls)
      refused(250002, "channel.update", { channelId = id, channelName = "renamed", outputProtocol = "LL_HLS",
        useDvr = false, immediateOnAir = false, record = { type = "NO_RECORD" } }, "outputProtocol")
      assert.equal("HLS,DASH", assert(ls:call("channel.update", { channelId = id, channelName = "renamed",
        outputProtocol = "HLS,DASH", useDvr = false, immediateOnAir = false, record = { type = "NO_RECORD" } })).outputProtocol)
    end)

    it("wants every channel of a bulk CDN change to exist and be READY", function()
      local a = H.ready_channel(emu, ls)
      refused(250123, "channel.bulkChangeCdn", { cdn = { cdnInstanceNo = 1, profileId = 1 },
        channelList = { a, "ls-20240101000000-NoNoN" } })
      local b = assert(ls:call("channel.create", H.CHANNEL)).channelId
      refused(250005, "channel.bulkChangeCdn", { cdn = { cdnInstanceNo = 1, profileId = 1 }, channelList = { a, b } },
        "Changing the CDN of a channel in status CREATING")
      assert.equal("RUNNING", ls:call("channel.get", { channelId = a }).cdn.statusName)
    end)
  end)

  describe("recordings", function()
    it("uploads only TRANSFER_READY or TRANSFER_FAIL files, once, to a valid bucket", function()
      local id = H.ready_channel(emu, ls)
      publish(id)
      local rec_id = tonumber((next(assert(ls:call("record.start", { channelId = id })).recordList)))
      refused(250507, "record.upload", { bucketName = "archive", recordIds = { rec_id } })
      refused(250504, "record.delete", { channelId = id, recordIds = { rec_id } }, rec_id)
      refused(250701, "record.upload", { bucketName = "archive", recordIds = { 999999 } })
      refused(250702, "record.get", { channelId = id, recordId = 999999 })
      assert(ls:call("record.stop", { channelId = id }))
      emu:advance(10000)
      refused(250704, "record.upload", { bucketName = "Not_A_Bucket", recordIds = { rec_id } })
      assert(ls:call("record.upload", { bucketName = "fail-bucket", recordIds = { rec_id } }))
      refused(250700, "record.upload", { bucketName = "archive", recordIds = { rec_id } })
      emu:advance(10000)
      assert.equal("TRANSFER_FAIL", ls:call("record.get", { channelId = id, recordId = rec_id })[tostring(rec_id)].status)
      assert(ls:call("record.upload", { bucketName = "archive", recordIds = { rec_id } }))
      emu:advance(10000)
      assert.equal("TRANSFER_FINISH", ls:call("record.get", { channelId = id, recordId = rec_id })[tostring(rec_id)].status)
      refused(250507, "record.upload", { bucketName = "archive", recordIds = { rec_id } })
    end)

    it("records nothing for NO_RECORD, and fails processing for a path with 'fail'", function()
      local quiet = H.ready_channel(emu, ls, { record = { type = "NO_RECORD" } })
      publish(quiet)
      assert.same({}, assert(ls:call("record.start", { channelId = quiet })).recordList)
      local broken = H.ready_channel(emu, ls, { immediateOnAir = true,
        record = { type = "AUTO_UPLOAD", format = "ALL", bucketName = "b", filePath = "/fail/here" } })
      publish(broken)
      unpublish(broken)
      emu:advance(10000)
      local list = assert(ls:call("record.list", { channelId = broken })).recordList
      local n = 0
      for _, r in pairs(list) do
        n = n + 1
        assert.equal("PROCESSING_FAIL", r.status)
      end
      assert.equal(2, n)
    end)

    it("deletes temporary files after three days", function()
      local id = H.ready_channel(emu, ls, { immediateOnAir = true })
      publish(id)
      unpublish(id)
      emu:advance(10000)
      local rid, r = next(assert(ls:call("record.list", { channelId = id })).recordList)
      assert.equal("TRANSFER_READY", r.status)
      emu:advance(3 * 24 * 3600 * 1000)
      assert.equal("DELETED", ls:call("record.get", { channelId = id, recordId = tonumber(rid) })[rid].status)
      refused(250702, "record.delete", { channelId = id, recordIds = { tonumber(rid) } })
    end)
  end)

  describe("snapshots and short clips", function()
    it("wants DVR, a running recording, a snapshot of this channel under an hour old", function()
      local plain = H.ready_channel(emu, ls, { useDvr = false, timemachineMin = H.NONE })
      refused(250115, "snapshot.create", { channelId = plain })
      local id = H.ready_channel(emu, ls)
      publish(id)
      refused(250137, "snapshot.create", { channelId = id })
      assert(ls:call("record.start", { channelId = id }))
      emu:advance(90 * 1000)
      local snap = assert(ls:call("snapshot.create", { channelId = id })).snapshot
      assert.equal(2, snap.duration) -- 90 s of recording, in started minutes
      local sid = tostring(snap.snapshotId)
      refused(250004, "snapshot.get", { channelId = id, snapshotId = "4242" }, "Snapshot")
      refused(250002, "snapshot.get", { channelId = id, snapshotId = "abc" }, "snapshotId")
      local clip = { channelId = id, snapshotId = sid, startTime = 0, endTime = 91000,
        shortclip = { output = { accessControl = "PRIVATE", bucketName = "b", filePath = "/c" } } }
      refused(250002, "shortclip.create", clip, "endTime")
      clip.endTime = 60000
      clip.shortclip.output.bucketName = "fail-clips"
      local made = assert(ls:call("shortclip.create", clip))
      emu:advance(10000)
      assert.equal("UPLOAD_FAIL", ls:call("shortclip.get", { channelId = id, id = tostring(made.shortclip.id) }).shortclip.status)
      refused(250004, "shortclip.get", { channelId = id, id = "77777" }, "Short clip")
      emu:advance(3600 * 1000)
      refused(250005, "snapshot.get", { channelId = id, snapshotId = sid }, "Snapshot " .. sid .. " (expired)")
      refused(250005, "shortclip.list", { channelId = id, snapshotId = sid }, "Snapshot " .. sid .. " (expired)")
    end)
  end)

  describe("curtains", function()
    it("wants a publishing channel and READY contents, ten at most", function()
      local id = H.ready_channel(emu, ls)
      local c = assert(ls:call("curtain.content.create", { content = { { bucketName = "b", filePath = "/still.jpg" },
        { bucketName = "b", filePath = "/music.m4a" } } }))
      refused(250134, "curtain.start", { channelId = id, contentId = { c.id } })
      publish(id)
      refused(250005, "curtain.start", { channelId = id, contentId = { c.id } }, "Curtain content " .. c.id .. " (CREATING)")
      refused(250004, "curtain.start", { channelId = id, contentId = { 4242 } }, "Curtain content")
      emu:advance(10000)
      local on = assert(ls:call("curtain.start", { channelId = id, contentId = { c.id } }))
      assert.equal(3, on.content.insertTime)
      refused(250005, "curtain.content.delete", { contentId = c.id }, "Deleting curtain content on air")
      emu:advance(3 * 60000)
      assert.is_false(assert(ls:call("curtain.end", { channelId = id })).isLiveCurtain)
      for _ = 2, 10 do assert(ls:call("curtain.content.create", { content = { { bucketName = "b", filePath = "/v.mp4" } } })) end
      refused(250005, "curtain.content.create", { content = { { bucketName = "b", filePath = "/v.mp4" } } },
        "More than 10 curtain contents")
      assert(ls:call("curtain.content.delete", { contentId = c.id }))
      assert(ls:call("curtain.content.create", { content = { { bucketName = "b", filePath = "/fail.mp4" } } }))
      emu:advance(10000)
      local failed = assert(ls:call("curtain.content.list", { status = "PROCESSING_FAIL" }))
      assert.equal(1, #failed)
    end)

    it("ends the curtain when the recording stops", function()
      local id = H.ready_channel(emu, ls, { immediateOnAir = true })
      local c = assert(ls:call("curtain.content.create", { content = { { bucketName = "b", filePath = "/still.png" } } }))
      emu:advance(10000)
      publish(id)
      assert.is_true(assert(ls:call("curtain.start", { channelId = id, contentId = { c.id }, insertTime = 10 })).isLiveCurtain)
      assert(ls:call("record.stop", { channelId = id }))
      assert.is_false(emu:world().channels[id].curtain.on)
    end)
  end)

  describe("quality", function()
    it("protects system presets and profiles or sets in use", function()
      refused(250303, "quality.delete", { qualityId = 1 })
      refused(250300, "quality.delete", { qualityId = 4242 })
      refused(250300, "quality.get", { qualityId = 4242 })
      refused(250305, "qualitySet.update", { qualitySetId = 1, segmentDuration = 2000, segmentCount = 3 })
      refused(250311, "qualitySet.delete", { qualitySetId = 1 })
      refused(250301, "qualitySet.get", { qualitySetId = 4242 })
      refused(250305, "qualitySet.update", { qualitySetId = 5, segmentDuration = 2000, segmentCount = 3 })
      local ll = assert(ls:call("qualitySet.create", { name = "ll-custom", qualityIds = { 2 }, isEnabledUll = true,
        enableHlsTimedMetadata = false }))
      refused(250005, "qualitySet.update", { qualitySetId = ll.id, segmentDuration = 2000, segmentCount = 3 },
        "Editing a low-latency quality set")
      local q = assert(ls:call("quality.create", { name = "sd-480", type = "NORMAL",
        video = { codec = "H264", profile = "BASELINE", level = -1, width = 854, height = 480, fps = 30, bitrate = 1000000 },
        audio = { codec = "AAC", samplerate = 44100, channels = 2, bitrate = 96 } }))
      local set = assert(ls:call("qualitySet.create", { name = "sd-only", qualityIds = { q.id }, isEnabledUll = false,
        segmentDuration = 2000, segmentCount = 3, enableHlsTimedMetadata = false }))
      refused(250306, "quality.delete", { qualityId = q.id })
      local fhd = assert(ls:call("quality.create", { name = "fhd-8m", type = "NORMAL",
        video = { codec = "H264", profile = "HIGH", level = -1, width = 1920, height = 1080, fps = 60, bitrate = 8000000 },
        audio = { codec = "AAC", samplerate = 48000, channels = 2, bitrate = 192 } }))
      refused(250302, "qualitySet.create", { name = "two-fhd", qualityIds = { 1, fhd.id }, isEnabledUll = false,
        segmentDuration = 2000, segmentCount = 3, enableHlsTimedMetadata = false })
      refused(250002, "qualitySet.create", { name = "twice", qualityIds = { 2, 2 }, isEnabledUll = false,
        segmentDuration = 2000, segmentCount = 3, enableHlsTimedMetadata = false }, "qualityIds")
      local id = H.ready_channel(emu, ls, { qualitySetId = set.id, channelName = "sd_channel" })
      assert.same({ "sd_channel" }, ls:call("qualitySet.get", { qualitySetId = set.id }).inUseChannelNames)
      refused(250306, "qualitySet.delete", { qualitySetId = set.id })
      assert(ls:call("channel.delete", { channelId = id }))
      assert(ls:call("qualitySet.delete", { qualitySetId = set.id }))
      assert(ls:call("quality.delete", { qualityId = q.id }))
    end)
  end)

  describe("re-stream channels", function()
    it("keeps targets and the channel while publishing", function()
      local rs = assert(ls:call("restream.create", { channelName = "relay", planType = "PROFESSIONAL", restream = {
        { targetName = "YOUTUBE", rtmpUrl = "rtmp://a.rtmp.youtube.com/live2", streamKey = "k1" },
        { targetName = "CHZZK", rtmpUrl = "rtmp://fail.example.com/live", streamKey = "k2" } } }))
      emu:advance(10000)
      local pl = ls:call("restream.platforms", { channelId = rs.channelId })
      refused(250004, "restream.updatePlatform", { channelId = rs.channelId, platformId = 1,
        rtmpUrl = "rtmp://x.example.com/a", streamKey = "k" }, "Platform")
      publish(rs.channelId)
      emu:advance(10000)
      local now = ls:call("restream.platforms", { channelId = rs.channelId })
      assert.equal("PUBLISHING", now[1].connectStatus)
      assert.equal("FAIL", now[2].connectStatus)
      refused(250102, "restream.updatePlatform", { channelId = rs.channelId, platformId = pl[1].platId,
        rtmpUrl = "rtmp://x.example.com/a", streamKey = "k" })
      refused(250102, "restream.delete", { channelId = rs.channelId })
      refused(250100, "restream.get", { channelId = "ls-20240101000000-NoNoN" })
    end)
  end)

  describe("VOD2LIVE", function()
    local function vod()
      local ch = assert(ls:call("vod.channel.create", { channelName = "vod_one", qualitySetId = 1, drmEnabledYn = false,
        cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } }))
      return ch.channelId
    end

    it("schedules only a READY channel, 10 minutes to 14 days ahead, one at a time", function()
      local id = vod()
      local files = { { bucketName = "b", filePath = "/a.mp4" } }
      local function at(minutes) return kst.format(emu:now() + minutes * 60000) end
      refused(250005, "vod.schedule.create", { channelId = id, startTime = at(30), vodList = files },
        "Scheduling a channel in status CREATING")
      emu:advance(10000)
      refused(250005, "vod.channel.serviceUrls", { channelId = id, serviceUrlType = "GENERAL" },
        "Service URLs of a channel in status READY")
      refused(250005, "vod.channel.stop", { channelId = id }, "Stopping a channel in status READY")
      refused(250002, "vod.schedule.create", { channelId = id, startTime = at(5), vodList = files }, "startTime")
      refused(250002, "vod.schedule.create", { channelId = id, startTime = at(15 * 24 * 60), vodList = files }, "startTime")
      refused(250123, "vod.schedule.create", { channelId = "ls-20240101000000-NoNoN", startTime = at(30), vodList = files })
      local s = assert(ls:call("vod.schedule.create", { channelId = id, startTime = at(30), vodList = files }))
      refused(250005, "vod.schedule.create", { channelId = id, startTime = at(60), vodList = files },
        "Scheduling a channel in status RESERVED")
      refused(250114, "vod.channel.delete", { channelId = id })
      refused(250004, "vod.schedule.get", { scheduleId = 4242 }, "Schedule")
      emu:advance(31 * 60000)
      assert.equal("PUBLISHING", ls:call("vod.channel.get", { channelId = id }).channelStatus)
      refused(250005, "vod.schedule.update", { scheduleId = s.scheduleId, startTime = at(60) },
        "Editing a schedule that is not waiting to air")
      refused(250102, "vod.schedule.delete", { scheduleId = s.scheduleId })
      refused(250102, "vod.channel.delete", { channelId = id })
    end)

    it("does not air a schedule whose files failed processing", function()
      local id = vod()
      emu:advance(10000)
      local s = assert(ls:call("vod.schedule.create", { channelId = id, startTime = kst.format(emu:now() + 20 * 60000),
        vodList = { { bucketName = "b", filePath = "/fail.mp4" } } }))
      emu:advance(10000)
      assert.equal("PROCESSING_FAIL", ls:call("vod.schedule.get", { scheduleId = s.scheduleId }).status)
      emu:advance(20 * 60000)
      assert.equal("READY", ls:call("vod.channel.get", { channelId = id }).channelStatus)
    end)
  end)

  describe("events", function()
    it("knows its admin groups and admins", function()
      refused(250004, "event.admin", { managerGroupNo = 999 }, "Manager group")
      local id = H.ready_channel(emu, ls)
      refused(250004, "event.setNotification", { channelId = id, alertOn = true,
        notificationManagerList = { { managerNo = 1, notifyType = "SMS", cellPhoneNo = "01000000000" } } }, "Manager")
      assert.same({}, assert(ls:call("event.list", { channelId = "ls-20240101000000-NoNoN" })))
    end)
  end)
end)
