-- Uploading a show's recordings to a bucket and waiting for the
-- transfers, safely when started again: a recording already in TRANSFER
-- or TRANSFER_FINISH is waited for, never sent a second time.

local live = require "livestation.kit.live"

local M = {}

local WAITING = { RECORDING = true, PROCESSING = true }
local UPLOADABLE = { TRANSFER_READY = true, TRANSFER_FAIL = true }
local LOST = { PROCESSING_FAIL = true, DELETED = true }

local function get(ls, channel_id, id)
  local c = live.must(ls:call("record.get", { channelId = channel_id, recordId = id }))
  return c[tostring(id)] or c
end

-- Waits until recording id has left RECORDING and PROCESSING.
local function settled(ls, channel_id, id, opts)
  return live.must(ls:wait("record.get", { channelId = channel_id, recordId = id }, {
    interval = opts.interval, max_interval = opts.max_interval, timeout = opts.timeout,
    ["until"] = function(c)
      local r = c[tostring(id)] or c
      if WAITING[r.status] then return false, r.status end
      return true
    end,
  }))
end

-- upload(ls, channel_id, ids, o) with o.bucket, o.access, o.say(fmt, ...),
-- o.interval, o.timeout. Returns one entry per recording:
-- {id, file, status, url}; raises when a transfer fails.
function M.upload(ls, channel_id, ids, o)
  local say = o.say or function() end
  local todo, out = {}, {}
  for _, id in ipairs(ids) do
    settled(ls, channel_id, id, o)
    local r = get(ls, channel_id, id)
    if UPLOADABLE[r.status] then todo[#todo + 1] = id end
    if LOST[r.status] then say("recording %d is %s; nothing to upload", id, r.status) end
  end
  if #todo > 0 then
    live.must(ls:call("record.upload", { bucketName = o.bucket, recordIds = todo,
      accessControl = o.access }))
    say("uploading %d recording(s) to %s", #todo, o.bucket)
  end
  for _, id in ipairs(ids) do
    local r = get(ls, channel_id, id)
    if not LOST[r.status] then
      local c = live.must(ls:wait("record_uploaded", { channelId = channel_id, recordId = id },
        { interval = o.interval, max_interval = o.max_interval, timeout = o.timeout }))
      r = c[tostring(id)] or c
      say("recording %d uploaded: %s", id, r.objectStorageUrl or r.uploadPath or "?")
    end
    out[#out + 1] = { id = id, file = r.fileName, status = r.status,
                      url = r.objectStorageUrl ~= "-" and r.objectStorageUrl or nil }
  end
  return out
end

return M
