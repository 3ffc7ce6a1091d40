-- The event journal: every state change of a channel becomes an event
-- (id, logLevel, eventCode, description, timestamp, channelId) that the
-- event operations serve, and is handed to callback delivery.
--
-- Codes are the documented ones (catalogue callbackPayload.eventTypes);
-- emit() refuses any other, so the journal never shows an invented code.

local catalogue_docs = require "livestation.catalogue_docs"

local M = {}

local LEVEL = {}
for _, t in ipairs(catalogue_docs.callback_payload.eventTypes) do LEVEL[t.name] = t.logLevel end

-- The channel (of any kind) an event belongs to, for its endpoint.
local function find_channel(world, id)
  return world:get("channels", id) or world:get("restreams", id) or world:get("vods", id)
end

-- Records event `code` for channel_id and queues its callback.
function M.emit(emu, channel_id, code, description)
  local level = LEVEL[code]
  assert(level, "events: undocumented event code " .. tostring(code))
  local w = emu.model
  local ev = {
    id = w:next_id("event"), logLevel = level, eventCode = code,
    description = description, timestamp = emu.clock:now(), channelId = channel_id,
  }
  w:add_event(ev)
  -- the channel's own endpoint, else the account default; never both
  local ch = find_channel(w, channel_id)
  local url = ch and ch.callbackEndpoint or w:meta("callback_url")
  if url then
    emu.callbacks:send(url, {
      id = ev.id, logLevel = ev.logLevel, channelId = channel_id, event = code, timestamp = ev.timestamp,
    })
  end
  return ev
end

-- Events newest first, filtered by channel and by a set of codes.
function M.list(emu, channel_id, codes)
  local out, events = {}, emu.model:events()
  for i = #events, 1, -1 do
    local ev = events[i]
    if (not channel_id or ev.channelId == channel_id) and (not codes or codes[ev.eventCode]) then
      out[#out + 1] = {
        logLevel = ev.logLevel, eventCode = ev.eventCode, description = ev.description,
        timestamp = ev.timestamp, channelId = ev.channelId,
      }
    end
  end
  return out
end

return M
