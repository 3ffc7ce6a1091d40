-- A day in the life of a channel, start to finish: create it, wait until
-- it is READY, go live, record, take a snapshot and cut a short clip from
-- it, show a curtain, stop, upload the recording, clean up.
--
--   ./lsrun --emulator --speed 20 scripts/channel_day.lua   (make demo)
--   ./lsrun scripts/channel_day.lua BUCKET                  (the real service;
--                                                             start your encoder when asked)

local livestation = require "livestation"

local bucket = arg and arg[1] or "demo-bucket"
local ls = livestation.new {}
local started = livestation.now()

local function say(fmt, ...)
  io.stdout:write(string.format("[%6.1fs] ", livestation.now() - started), string.format(fmt, ...), "\n")
  io.stdout:flush()
end

local function must(content, err)
  if content == nil then error(tostring(err), 2) end
  return content
end

-- Against the emulator the script starts the simulated encoder itself.
local control = ls.endpoint:match("^http://127%.0%.0%.1") and
  require("livestation.emulator_client").new(ls.endpoint) or nil

-- 1. a channel with time machine and manual upload of recordings
local sets = must(ls:call("qualitySet.list", {}))
local set = sets[1]
say("quality set %d (%s)", set.id, set.name)
local channel = must(ls:call("channel.create", {
  channelName = "하루_방송_데모",
  qualitySetId = set.id,
  useDvr = true, timemachineMin = 360, immediateOnAir = true,
  cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" },
  record = { type = "MANUAL_UPLOAD" },
}))
local id = channel.channelId
say("created %s, %s", id, channel.channelStatus)
channel = must(ls:wait("channel_ready", { channelId = id }, { interval = 0.5, timeout = 300 }))
say("READY; publish to %s", channel.publishUrl)

-- 2. live: the encoder connects, recording starts with it (immediateOnAir)
if control then must(control:publish(id)) else say("start your encoder now") end
must(ls:wait("channel_publishing", { channelId = id }, { interval = 0.5, timeout = 600 }))
say("PUBLISHING")
local urls = must(ls:call("channel.serviceUrls", { channelId = id, serviceUrlType = "GENERAL" }))
say("playback: %s", urls[1] and (urls[1].url or urls[1].serviceUrl) or "?")
livestation.sleep(3)

-- 3. a snapshot of the last minute and a clip of its first two seconds
local snap = must(ls:call("snapshot.create", { channelId = id, limitedDuration = 1 }))
local snapshot_id = tostring(snap.snapshot.snapshotId)
say("snapshot %s", snapshot_id)
local clip = must(ls:call("shortclip.create", {
  channelId = id, snapshotId = snapshot_id, startTime = 0, endTime = 2000,
  shortclip = { output = { accessControl = "PRIVATE", bucketName = bucket, filePath = "/clips" } },
}))
local clip_id = tostring(clip.shortclip and clip.shortclip.id or clip.id)
clip = must(ls:wait("shortclip_completed", { channelId = id, id = clip_id }, { interval = 0.5 }))
say("short clip %s COMPLETED (%d ms)", clip_id, clip.shortclip.duration or 0)

-- 4. a curtain for a short break
local contents = must(ls:call("curtain.content.create", {
  content = { { bucketName = bucket, filePath = "/curtains/break.mp4" } } }))
local content_id = contents[1] and (contents[1].id or contents[1].contentId) or contents.id
must(ls:wait("curtain.content.get", { contentId = content_id },
  { interval = 0.5, ["until"] = function(c) return c.status == "READY" end }))
must(ls:call("curtain.start", { channelId = id, contentId = { content_id }, insertTime = 3 }))
say("curtain %s on air", tostring(content_id))
livestation.sleep(0.5)
must(ls:call("curtain.end", { channelId = id }))
say("curtain off")

-- 5. the end of the show: stop recording and the encoder
must(ls:call("record.stop", { channelId = id }))
if control then must(control:unpublish(id)) else say("stop your encoder now") end
must(ls:wait("channel_ready", { channelId = id }, { interval = 0.5, timeout = 600 }))
say("encoder stopped, channel READY again")

-- 6. upload every finished recording and wait for the transfers
local records = must(ls:call("record.list", { channelId = id })).recordList or {}
local ids = {}
for rid in pairs(records) do ids[#ids + 1] = math.tointeger(tonumber(rid)) end
table.sort(ids)
for _, rid in ipairs(ids) do
  must(ls:wait("record.get", { channelId = id, recordId = rid }, { interval = 0.5,
    ["until"] = function(c)
      local r = c[tostring(rid)] or c
      return r.status == "TRANSFER_READY" or r.status == "TRANSFER_FINISH"
    end }))
end
if #ids > 0 then
  must(ls:call("record.upload", { bucketName = bucket, recordIds = ids }))
  for _, rid in ipairs(ids) do
    must(ls:wait("record_uploaded", { channelId = id, recordId = rid }, { interval = 0.5 }))
  end
end
say("%d recording(s) uploaded to %s", #ids, bucket)

-- 7. clean up
must(ls:call("channel.delete", { channelId = id }))
local events = must(ls:call("event.channel.list", { channelId = id }))
local list = events.eventList or events.content or events
local names = {}
for _, e in ipairs(type(list) == "table" and list or {}) do names[#names + 1] = e.eventCode or e.event end
say("deleted %s; events: %s", id, table.concat(names, " "))
say("done in %.1f s", livestation.now() - started)
