-- Looking resources up for the handlers, failing with the service's
-- code when they are not there: an unknown channel id in a path is
-- 250100 "Channel is not found"; one named in a body (bulk CDN change,
-- VOD2LIVE schedule) is 250123 "The specified channel Id does not exist.".

local reply = require "livestation.emulator.reply"

local M = {}

local fail = reply.fail

-- Whether a channel belongs to the zone of the request being answered
-- (emu.zone: nil for the public service, "fin" for /api/fin-v2): the
-- zones do not see each other's channels.
function M.visible(emu, ch)
  return ch.zone == emu.zone
end

-- A lookup in `bucket` that fails with `code` on an unknown id (or one of
-- another zone).
local function finder(bucket, code)
  return function(emu, id)
    local obj = emu.model:get(bucket, id)
    if not obj or (obj.channelId and not M.visible(emu, obj)) then fail(code) end
    return obj
  end
end

M.channel = finder("channels", 250100)
M.restream = finder("restreams", 250100)
M.vod = finder("vods", 250100)
M.quality = finder("qualities", 250300)
M.quality_set = finder("quality_sets", 250301)

-- A live channel named in a request body.
function M.channel_in_body(emu, bucket, id)
  local ch = emu.model:get(bucket, id)
  if not ch or not M.visible(emu, ch) then fail(250123) end
  return ch
end

-- A numeric id that came as a path string ("snapshotId"): the integer, or
-- 250002 naming the parameter.
function M.numeric(value, name)
  local n = type(value) == "number" and math.tointeger(value)
    or (type(value) == "string" and value:match("^%d+$") and math.tointeger(tonumber(value)))
  return n or fail(250002, name)
end

return M
