-- Live curtains: curtain contents (at most 10 per account, converted
-- from Object Storage files: CREATING, then READY or PROCESSING_FAIL when
-- a file path contains "fail") and putting them on air over a publishing
-- channel for insertTime minutes (3 by default), or until curtain.end,
-- the end of the recording or of the broadcast.

local json = require "livestation.json"
local reply = require "livestation.emulator.reply"
local find = require "livestation.emulator.find"
local events = require "livestation.emulator.events"
local quality = require "livestation.emulator.handlers.quality"

local M = {}

local fail, array = reply.fail, json.array

M.LIMIT = 10                 -- documented per account
M.CONVERT_MS = 5000          -- processing delay at speed 1
M.IMAGE_SECONDS = 300        -- documented: image contents become 5-minute MP4s
M.VIDEO_SECONDS = 60         -- assumed length of each source MP4

local function view(c)
  local input = array()
  for i, s in ipairs(c.input) do input[i] = s end
  return {
    id = c.id, registerTime = c.registerTime, updatedTime = c.updatedTime, status = c.status,
    fileSize = c.fileSize, fileDuration = c.fileDuration, input = input,
  }
end

local function is_video(path) return path:lower():match("%.mp4$") ~= nil end

---------------------------------------------------------------- contents

local ops = {}
M.ops = ops

ops["curtain.content.create"] = function(emu, p)
  local w = emu.model
  local live = 0
  for _, c in pairs(w:all("curtains")) do
    if c.status ~= "DELETED" then live = live + 1 end
  end
  if live >= M.LIMIT then fail(250005, "More than " .. M.LIMIT .. " curtain contents") end
  local now, input, videos, fails = emu.clock:now(), {}, 0, false
  for i, item in ipairs(p.content) do
    input[i] = item.bucketName .. item.filePath
    if is_video(item.filePath) then videos = videos + 1 end
    if item.filePath:find("fail", 1, true) then fails = true end
  end
  local seconds = videos > 0 and videos * M.VIDEO_SECONDS or M.IMAGE_SECONDS
  local c = {
    id = w:next_id("curtain"), registerTime = now, updatedTime = now, status = "CREATING",
    fileSize = 0, fileDuration = seconds, input = input, fails = fails,
  }
  w:put("curtains", c.id, c)
  emu.timeline:after(M.CONVERT_MS, "curtain.converted", { ref = c.id })
  return view(c)
end

function M.on_converted(emu, t)
  local c = emu.model:get("curtains", t.ref)
  if not c or c.status ~= "CREATING" then return end
  c.updatedTime = emu.clock:now()
  if c.fails then
    c.status = "PROCESSING_FAIL"
  else
    c.status = "READY"
    c.fileSize = c.fileDuration * 6000000 // 8 -- a 1080p MP4 at 6 Mbps
  end
  emu.model:touch(c)
end

-- Without a status filter the list leaves deleted contents out.
ops["curtain.content.list"] = function(emu, p)
  local matching = emu.model:sorted("curtains", function(c)
    if p.status then return c.status == p.status end
    return c.status ~= "DELETED"
  end)
  return reply.page(matching, p, view)
end

ops["curtain.content.get"] = function(emu, p)
  local c = emu.model:get("curtains", p.contentId) or fail(250004, "Curtain content")
  return view(c)
end

local function on_air_with(emu, id)
  for _, ch in pairs(emu.model:all("channels")) do
    if ch.curtain and ch.curtain.on then
      for _, cid in ipairs(ch.curtain.ids) do
        if cid == id then return ch end
      end
    end
  end
end

ops["curtain.content.delete"] = function(emu, p)
  local c = emu.model:get("curtains", p.contentId)
  if not c or c.status == "DELETED" then fail(250004, "Curtain content") end
  if on_air_with(emu, c.id) then fail(250005, "Deleting curtain content on air") end
  c.status = "DELETED"
  c.updatedTime = emu.clock:now()
  emu.model:touch(c)
  return view(c)
end

---------------------------------------------------------------- on air

local function view_curtain(ch, cur, on)
  local ids = array()
  for i, id in ipairs(cur and cur.ids or {}) do ids[i] = id end
  return {
    content = { ids = ids, insertTime = cur and cur.insertTime or 0, responseTime = cur and cur.responseTime or 0 },
    channelId = ch.channelId, isLiveCurtain = on,
  }
end

-- Takes a running curtain off air (curtain.end, end of recording or
-- broadcast, or its time is up).
function M.end_curtain(emu, ch)
  local cur = ch.curtain
  if not (cur and cur.on) then return false end
  cur.on = false
  emu.model:touch(ch)
  emu.timeline:cancel(function(t) return t.kind == "curtain.timeUp" and t.ref == ch.channelId end)
  return true
end

ops["curtain.start"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  if ch.status ~= "PUBLISHING" then fail(250134) end
  if ch.outputProtocol ~= "HLS" and ch.outputProtocol ~= "HLS,DASH" then
    fail(250005, "Live curtain on an " .. ch.outputProtocol .. " channel")
  end
  local set = find.quality_set(emu, ch.qualitySetId)
  if quality.set_has(emu, set, "BYPASS") or quality.set_has(emu, set, "AUDIO") then
    fail(250005, "Live curtain with a bypass or audio-only quality")
  end
  if #p.contentId == 0 then fail(250011, "contentId") end
  local ids = {}
  for i, id in ipairs(p.contentId) do
    local c = emu.model:get("curtains", id)
    if not c or c.status == "DELETED" then fail(250004, "Curtain content") end
    if c.status ~= "READY" then fail(250005, "Curtain content " .. id .. " (" .. c.status .. ")") end
    ids[i] = id
  end
  M.end_curtain(emu, ch) -- a new curtain replaces the one on air
  local now = emu.clock:now()
  local minutes = p.insertTime or 3
  ch.curtain = { on = true, ids = ids, insertTime = minutes, responseTime = now, startedAt = now }
  emu.model:touch(ch)
  emu.timeline:at(now + minutes * 60000, "curtain.timeUp", { ref = ch.channelId })
  events.emit(emu, ch.channelId, "STREAM_UPDATE", ch.channelName .. " channel's live curtain is on.")
  return view_curtain(ch, ch.curtain, true)
end

ops["curtain.end"] = function(emu, p)
  local ch = find.channel(emu, p.channelId)
  local cur = ch.curtain
  if M.end_curtain(emu, ch) then
    cur.responseTime = emu.clock:now()
    events.emit(emu, ch.channelId, "STREAM_UPDATE", ch.channelName .. " channel's live curtain is off.")
  end
  return view_curtain(ch, cur, false)
end

function M.on_time_up(emu, t)
  local ch = emu.model:get("channels", t.ref)
  if ch and M.end_curtain(emu, ch) then
    events.emit(emu, ch.channelId, "STREAM_UPDATE", ch.channelName .. " channel's live curtain is off.")
  end
end

M.transitions = {
  ["curtain.converted"] = M.on_converted,
  ["curtain.timeUp"] = M.on_time_up,
}

return M
