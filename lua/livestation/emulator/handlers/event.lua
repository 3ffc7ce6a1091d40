-- Event operations: notification recipients (admin groups and admins),
-- per-channel alarm settings, and the event lists read from the journal
-- (newest first; the streaming lists hold only PUBLISH_START/END).

local json = require "livestation.json"
local reply = require "livestation.emulator.reply"
local find = require "livestation.emulator.find"
local presets = require "livestation.emulator.presets"
local events = require "livestation.emulator.events"

local M = {}

local fail, array = reply.fail, json.array

local STREAMING = { PUBLISH_START = true, PUBLISH_END = true }

local function listed(list)
  return array(list), #list
end

-- Each entry of `list` with only the `keys` shown.
local function pick(list, keys)
  local out = array()
  for i, x in ipairs(list) do
    local t = {}
    for _, k in ipairs(keys) do t[k] = x[k] end
    out[i] = t
  end
  return out
end

local ops = {}
M.ops = ops

ops["event.adminGroups"] = function()
  return pick(presets.ADMIN_GROUPS, { "managerGroupNo", "groupName" })
end

ops["event.admin"] = function(_, p)
  local admins = presets.admins_of(p.managerGroupNo) or fail(250004, "Manager group")
  return pick(admins, { "managerNo", "managerName", "cellPhoneNo", "emailAddress" })
end

local ALERTS = { "alertChangeStatus", "alertVodUploadFail", "alertReStreamFail", "alertShortClipFail",
  "alertStreamFailOver", "alertGeneralChannelError" }

-- Replaces the channel's alarm settings (one reception type per admin).
ops["event.setNotification"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  local managers = {}
  for i, m in ipairs(p.notificationManagerList) do
    if not presets.admin(m.managerNo) then fail(250004, "Manager") end
    managers[i] = { managerNo = m.managerNo, notifyType = m.notifyType,
      emailAddress = m.notifyType == "EMAIL" and m.emailAddress or nil,
      cellPhoneNo = m.notifyType == "SMS" and m.cellPhoneNo or nil }
  end
  ch.alertOn = p.alertOn
  local options = {}
  for _, k in ipairs(ALERTS) do options[k] = p[k] == true end
  ch.alertOptions = options
  ch.notificationManagerList = managers
  emu.model:touch(ch)
  local shown = array()
  for i, m in ipairs(managers) do shown[i] = m end
  local content = { channelId = ch.channelId, alertOn = ch.alertOn, notificationManagerList = shown }
  for k, v in pairs(options) do content[k] = v end
  return content
end

-- All events, or one channel's; an unknown channel has none.
ops["event.list"] = function(emu, p)
  return listed(events.list(emu, p.channelId))
end

-- One channel's events (with STREAMING, its broadcasts only), the
-- channel looked up by `lookup`.
local function channel_events(lookup, codes)
  return function(emu, p)
    local ch = lookup(emu, p.channelId)
    return listed(events.list(emu, ch.channelId, codes))
  end
end

ops["event.channel.streamingList"] = channel_events(find.channel, STREAMING)
ops["event.channel.list"] = channel_events(find.channel)
ops["event.restream.streamingList"] = channel_events(find.restream, STREAMING)
ops["event.restream.list"] = channel_events(find.restream)

return M
