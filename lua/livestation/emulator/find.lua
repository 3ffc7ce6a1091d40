-- Looking resources up for the handlers, failing with the service's
-- code when they are not there: an unknown channel id in a path is
-- 250100 "Channel is not found"; one named in a body (bulk CDN change,
-- VOD2LIVE schedule) is 250123 "The specified channel Id does not exist.".

local reply = require "livestation.emulator.reply"

local M = {}

local fail = reply.fail

function M.channel(emu, id)
  return emu.model:get("channels", id) or fail(250100)
end

function M.restream(emu, id)
  return emu.model:get("restreams", id) or fail(250100)
end

function M.vod(emu, id)
  return emu.model:get("vods", id) or fail(250100)
end

-- A live channel named in a request body.
function M.channel_in_body(emu, bucket, id)
  return emu.model:get(bucket, id) or fail(250123)
end

function M.quality(emu, id)
  return emu.model:get("qualities", id) or fail(250300)
end

function M.quality_set(emu, id)
  return emu.model:get("quality_sets", id) or fail(250301)
end

-- A numeric id that came as a path string ("snapshotId"): the integer, or
-- 250002 naming the parameter.
function M.numeric(value, name)
  local n = type(value) == "number" and math.tointeger(value)
    or (type(value) == "string" and value:match("^%d+$") and math.tointeger(tonumber(value)))
  return n or fail(250002, name)
end

return M
