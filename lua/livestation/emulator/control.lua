-- The control API under /_emulator/: no signature, loopback clients only.
--
--   POST   /_emulator/channels/{channelId}/publish   start the simulated encoder
--   DELETE /_emulator/channels/{channelId}/publish   stop it
--          (JSON body, optional: {"backup": true, "width":, "height":,
--           "fps":, "video_bitrate":, "audio_bitrate":})
--   POST   /_emulator/channels/{channelId}/stream    change the running stream
--          (the same body; above the allowed bitrate: PUBLISH_OVER_THRESHOLD)
--   POST   /_emulator/channels/{channelId}/finish    the service ends the channel
--          ({"status": "FORCE_BLOCK" | "FORCE_DELETED"}): STREAM_FINISH
--   GET    /_emulator/faults          the fault rules
--   POST   /_emulator/faults          add a rule (see faults.lua)
--   DELETE /_emulator/faults[/{id}]   clear all rules, or one
--   GET    /_emulator/clock           {now, offset_ms, speed}
--   POST   /_emulator/clock           {"advance_ms": N}: jump ahead, run due transitions
--   GET    /_emulator/throttle        the gateway's usage limits and refusals
--   POST   /_emulator/throttle        set them: {"rps":, "burst":, "code":,
--                                     "day_quota":, "retry_after":}
--   DELETE /_emulator/throttle        no limits
--   POST   /_emulator/reset           back to an empty account
--   POST   /_emulator/seed            back to an empty account, then the
--                                     world in the body (seed.lua)
--   GET    /_emulator/health          {"status":"ok", ...}; any client
--   GET    /_emulator/state           the whole world as JSON
--
-- Answers are JSON; failures are {"error": {"message": "..."}} with a
-- 4xx status.

local json = require "livestation.json"
local url = require "livestation.url"

local M = {}

M.PREFIX = "/_emulator/"

local CT = { ["Content-Type"] = "application/json;charset=utf-8" }

local function answer(status, value)
  return status, { ["Content-Type"] = CT["Content-Type"] }, json.encode(value)
end

local function problem(status, message)
  return answer(status, { error = { message = message } })
end

function M.is_loopback(peer)
  if peer == nil or peer == "" then return true end -- called in-process
  return peer:match("^127%.") ~= nil or peer == "::1" or peer:match("^::ffff:127%.") ~= nil
end

local function body_of(req)
  if not req.body or not req.body:find("%S") then return {} end
  local v, err = json.decode(req.body)
  if type(v) ~= "table" then return nil, "the body must be a JSON object" .. (err and (": " .. err) or "") end
  return v
end

local function publish(emu, req, id)
  local opts, err = body_of(req)
  if not opts then return problem(400, err) end
  local fn = req.method == "POST" and emu.publish or emu.unpublish
  local ch, status, message = fn(emu, id, opts)
  if not ch then return problem(status, message) end
  return answer(200, { channelId = ch.channelId, channelStatus = ch.status, kind = status })
end

local function faults(emu, req, id)
  if id then
    if req.method ~= "DELETE" then return problem(405, "use DELETE") end
    if not emu.faults:remove(math.tointeger(tonumber(id))) then return problem(404, "no fault rule " .. id) end
    return answer(200, { removed = tonumber(id) })
  end
  if req.method == "GET" then return answer(200, json.array(emu.faults:list())) end
  if req.method == "DELETE" then
    emu.faults:clear()
    return answer(200, { cleared = true })
  end
  if req.method ~= "POST" then return problem(405, "use GET, POST or DELETE") end
  local rule, err = body_of(req)
  if not rule then return problem(400, err) end
  local r, rerr = emu.faults:add(rule)
  if not r then return problem(400, rerr) end
  return answer(201, emu.faults:list()[#emu.faults.rules])
end

local function clock(emu, req)
  if req.method == "POST" then
    local b, err = body_of(req)
    if not b then return problem(400, err) end
    local ms = b.advance_ms
    if type(ms) ~= "number" or ms < 0 then return problem(400, "advance_ms: a number of milliseconds >= 0") end
    emu:advance(ms)
  elseif req.method ~= "GET" then
    return problem(405, "use GET or POST")
  end
  return answer(200, { now = emu.clock:now(), offset_ms = emu.clock.offset, speed = emu.clock.speed })
end

local function throttle(emu, req)
  if req.method == "POST" then
    local b, err = body_of(req)
    if not b then return problem(400, err) end
    local ok, terr = emu:set_throttle(b)
    if not ok then return problem(400, terr) end
  elseif req.method == "DELETE" then
    emu:set_throttle(nil)
  elseif req.method ~= "GET" then
    return problem(405, "use GET, POST or DELETE")
  end
  return answer(200, emu.throttle and emu.throttle:status() or { off = true })
end

function M.handle(emu, req)
  -- health checks come from anywhere (containers, load balancers)
  if req.path == M.PREFIX .. "health" then
    if req.method ~= "GET" and req.method ~= "HEAD" then return problem(405, "use GET") end
    return answer(200, emu:health())
  end
  if not M.is_loopback(req.peer) then
    return problem(403, "the control API answers loopback clients only")
  end
  local rest = req.path:sub(#M.PREFIX + 1)
  local id = rest:match("^channels/([^/]+)/publish$")
  if id then
    if req.method ~= "POST" and req.method ~= "DELETE" then return problem(405, "use POST or DELETE") end
    return publish(emu, req, url.unescape(id))
  end
  local action
  id, action = rest:match("^channels/([^/]+)/(%l+)$")
  if id and (action == "stream" or action == "finish") then
    if req.method ~= "POST" then return problem(405, "use POST") end
    local opts, err = body_of(req)
    if not opts then return problem(400, err) end
    local ch, status, message = emu[action == "stream" and "adjust" or "finish"](emu, url.unescape(id), opts)
    if not ch then return problem(status, message) end
    return answer(200, { channelId = ch.channelId, channelStatus = ch.status, kind = status })
  end
  if rest == "faults" then return faults(emu, req) end
  local fid = rest:match("^faults/(%d+)$")
  if fid then return faults(emu, req, fid) end
  if rest == "clock" then return clock(emu, req) end
  if rest == "throttle" then return throttle(emu, req) end
  if rest == "reset" then
    if req.method ~= "POST" then return problem(405, "use POST") end
    emu:reset()
    return answer(200, { reset = true })
  end
  if rest == "seed" then
    if req.method ~= "POST" then return problem(405, "use POST") end
    local world, err = body_of(req)
    if not world then return problem(400, err) end
    emu:reset()
    local summary, serr = emu:seed(world)
    if not summary then return problem(400, serr) end
    return answer(200, summary)
  end
  if rest == "state" then
    if req.method ~= "GET" then return problem(405, "use GET") end
    return 200, { ["Content-Type"] = CT["Content-Type"] }, json.encode(emu:dump())
  end
  return problem(404, "no control endpoint " .. req.path)
end

return M
