-- The simulated encoder: against the emulator a workflow can start and
-- stop the stream into a channel itself, through the emulator's control
-- API, so a whole show runs with no real encoder.
--
--   local enc = encoder.for_client(ls, cfg.simulate_encoder)  -- nil: a real encoder
--   enc:start(channel_id)   enc:stop(channel_id)

local emulator_client = require "livestation.emulator_client"

local M = {}

local Encoder = {}
Encoder.__index = Encoder

-- Whether ls talks to an emulator: a loopback http endpoint that answers
-- the control API.
function M.is_emulator(ls)
  local ep = ls.endpoint or ""
  if not (ep:match("^http://127%.") or ep:match("^http://localhost[:/]") or ep:match("^http://%[::1%]")) then
    return false
  end
  return emulator_client.new(ep):request("GET", "/clock") ~= nil
end

-- The simulated encoder for ls, or nil when a real one is expected.
-- wanted: true, false or nil (nil: simulate against the emulator only).
-- Raises when true is asked of a real Live Station.
function M.for_client(ls, wanted)
  if wanted == false then return nil end
  local emu = M.is_emulator(ls)
  if wanted and not emu then
    error("needs the emulator; " .. tostring(ls.endpoint) .. " is not one", 0)
  end
  if not emu then return nil end
  return setmetatable({ control = emulator_client.new(ls.endpoint) }, Encoder)
end

-- Starts the stream; a channel already receiving one is left as it is.
function Encoder:start(channel_id)
  local ok, err = self.control:publish(channel_id)
  if ok or tostring(err):find("already", 1, true) then return true end
  return nil, err
end

-- Stops the stream; a channel with none is left as it is.
function Encoder:stop(channel_id)
  local ok, err = self.control:unpublish(channel_id)
  if ok or tostring(err):find("not publishing", 1, true) then return true end
  return nil, err
end

-- The emulator's clock (epoch ms) and a way to move it forward, for
-- workflows whose times are minutes away (VOD2LIVE schedules).
function Encoder:now_ms()
  local c, err = self.control:request("GET", "/clock")
  if not c then return nil, err end
  return c.now
end

function Encoder:advance(ms)
  return self.control:advance(ms)
end

return M
