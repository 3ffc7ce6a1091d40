-- Callback endpoints: the account's default one (callback.register,
-- callback.get) and one per channel (live, re-stream, VOD2LIVE), which
-- wins over the default for that channel's events (events.lua).

local json = require "livestation.json"
local find = require "livestation.emulator.find"
local channel = require "livestation.emulator.handlers.channel"
local restream = require "livestation.emulator.handlers.restream"
local vod = require "livestation.emulator.handlers.vod"

local M = {}

local ops = {}
M.ops = ops

ops["callback.register"] = function(emu, p)
  local now = emu.clock:now()
  emu.model:set_meta("callback_url", p.callbackUrl)
  emu.model:set_meta("callback_updated", now)
  return { callbackUrl = p.callbackUrl, updateTime = now }
end

ops["callback.get"] = function(emu)
  return { callbackUrl = emu.model:meta("callback_url") or json.null }
end

local function register(emu, ch, url, view)
  ch.callbackEndpoint = url
  emu.model:touch(ch)
  return view(emu, ch)
end

ops["callback.registerLive"] = function(emu, p)
  return register(emu, find.channel(emu, p.channelId), p.callbackEndpoint, channel.view)
end

ops["callback.registerRestream"] = function(emu, p)
  return register(emu, find.restream(emu, p.channelId), p.callbackEndpoint, restream.view)
end

ops["callback.registerVod"] = function(emu, p)
  return register(emu, find.vod(emu, p.channelId), p.callbackEndpoint, vod.view)
end

return M
