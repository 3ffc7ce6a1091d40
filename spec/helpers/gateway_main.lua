-- The spec gateway as a process of its own, for specs that run lsrun as a
-- child: `lsrun spec/helpers/gateway_main.lua LOGFILE` prints its base URL,
-- then serves until killed, appending one JSON line per request to
-- LOGFILE. Paths ending in /fail answer a Live Station error.
package.path = "./spec/?.lua;" .. package.path
local core = require "livestation.core"
local json = require "livestation.json"
local gateway = require "helpers.gateway"

local logfile = assert(arg[1], "usage: gateway_main.lua LOGFILE")
local gw = gateway.start { respond = function(rec)
  local f = assert(io.open(logfile, "a"))
  f:write(json.encode { method = rec.method, target = rec.target, body = rec.body,
    signature_ok = rec.signature_ok, access_key = rec.headers["x-ncp-iam-access-key"] }, "\n")
  f:close()
  if rec.path:match("ls%-fail") then
    return 404, gateway.JSON, '{"error":{"errorCode":250100,"message":"Channel is not found"}}'
  end
  return 200, gateway.JSON, '{"content":{"channelId":"ls-20240101000000-AbCdE","channelStatus":"READY","instanceNo":6}}'
end }
io.stdout:write(gw.url, "\n")
io.stdout:flush()
core.on_signal("TERM", function() gw.close() end)
