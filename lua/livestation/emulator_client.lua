-- A client for the emulator's control API (no signature; loopback only):
-- scripts and tests use it to start and stop the simulated encoder, move
-- the emulator's clock, inject faults, reset and read the world.
--
--   local control = require("livestation.emulator_client").new(ls.endpoint)
--   control:publish(channelId)   control:unpublish(channelId)
--   control:advance(60000)       control:fault{...}   control:clear_faults()

local core = require "livestation.core"
local json = require "livestation.json"

local M = {}
local Control = {}
Control.__index = Control

function M.new(endpoint)
  assert(type(endpoint) == "string", "emulator_client.new: endpoint URL expected")
  return setmetatable({ base = endpoint:gsub("/+$", "") .. "/_emulator" }, Control)
end

-- One control request; returns the decoded answer or nil, message.
function Control:request(method, path, body)
  local resp, err = core.http_request {
    method = method, url = self.base .. path, timeout = 10,
    headers = { ["Content-Type"] = "application/json" },
    body = body ~= nil and json.encode(body) or nil,
  }
  if not resp then return nil, "emulator control: " .. err.message end
  local value = json.decode(resp.body ~= "" and resp.body or "{}")
  if resp.status >= 300 then
    local msg = type(value) == "table" and type(value.error) == "table" and value.error.message
      or resp.body
    return nil, string.format("emulator control: %s %s: HTTP %d: %s", method, path, resp.status, tostring(msg))
  end
  return value or {}
end

function Control:publish(channel_id)
  return self:request("POST", "/channels/" .. channel_id .. "/publish")
end

function Control:unpublish(channel_id)
  return self:request("DELETE", "/channels/" .. channel_id .. "/publish")
end

function Control:advance(ms)
  return self:request("POST", "/clock", { advance_ms = ms })
end

function Control:fault(rule)
  return self:request("POST", "/faults", rule)
end

function Control:clear_faults()
  return self:request("DELETE", "/faults")
end

function Control:reset()
  return self:request("POST", "/reset")
end

function Control:state()
  return self:request("GET", "/state")
end

return M
