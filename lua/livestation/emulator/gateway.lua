-- The API gateway in front of the emulated service, in the order of
-- COMMON.md §c: (the route was found by dispatch) authentication headers
-- present, timestamp within 5 minutes, access key known and signature
-- valid; then Live Station's own header checks: region and Content-Type.
--
-- The signature is checked strictly over the request target exactly as
-- received. With `lenient` it also accepts what some NCP SDKs sign: the
-- percent-decoded query, the path alone, and the signature sent under
-- x-ncp-apigw-signature-v1.

local core = require "livestation.core"
local url = require "livestation.url"
local codes = require "livestation.codes"
local reply = require "livestation.emulator.reply"
local ops = require "livestation.ops"

local M = {}

local Gateway = {}
Gateway.__index = Gateway

local WINDOW_MS = 5 * 60 * 1000
local sign, now_ms = core.sign, core.now_ms
local MISSING = "Authentication information are missing."
local INVALID = "Invalid authentication information."

-- keys: { [access_key] = secret_key }. The secrets stay in this closure's
-- table and are never logged or returned.
function M.new(opts)
  local self = setmetatable({
    lenient = opts.lenient == true,
    strict = opts.strict == true,
    regions = {},
  }, Gateway)
  for _, r in ipairs(opts.regions or { "KR" }) do self.regions[r] = true end
  -- a zone's paths answer its own region only (api/zones.json)
  self.zone_regions = {}
  for _, name in ipairs(ops.zone_names()) do self.zone_regions[name] = { [ops.zone(name).region] = true } end
  local keys = {}
  for access, secret in pairs(opts.keys) do keys[access] = secret end
  self.secret_of = function(access) return keys[access] end
  return self
end

-- The request targets a signature may cover.
local function candidates(self, req)
  if not self.lenient then return { req.target } end
  local list = { req.target, req.path }
  if req.query and req.query ~= "" then list[#list + 1] = req.path .. "?" .. url.unescape(req.query) end
  return list
end

-- nil when the caller is who it says; else the gateway's answer.
function Gateway:authenticate(req)
  local h = req.headers
  local ts = h["x-ncp-apigw-timestamp"]
  local access = h["x-ncp-iam-access-key"]
  local signature = h["x-ncp-apigw-signature-v2"]
  if signature == nil and self.lenient then signature = h["x-ncp-apigw-signature-v1"] end
  if not ts or ts == "" or not access or access == "" or not signature or signature == "" then
    return reply.gateway("200", MISSING)
  end
  local t = ts:match("^%d+$") and math.tointeger(tonumber(ts))
  if not t or math.abs(now_ms() - t) > WINDOW_MS then
    return reply.gateway("200", INVALID)
  end
  local secret = self.secret_of(access)
  if not secret then return reply.gateway("200", INVALID) end
  local method = req.method
  for _, target in ipairs(candidates(self, req)) do
    if sign(secret, method, target, ts, access) == signature then return nil end
  end
  return reply.gateway("200", INVALID)
end

-- Live Station's header checks after authentication: region, then
-- Content-Type. Strict: `application/json` exactly (any case) on every
-- call, GET and DELETE included, as the reference words it. Otherwise as
-- the service's framework accepts: a request without a body needs none
-- (whatever it says: it is read only to parse a body),
-- and parameters after the media type (`; charset=utf-8`) are fine.
function Gateway:service_headers(req, zone)
  local h = req.headers
  local region = h["x-ncp-region_code"]
  if region == nil or region == "" then return reply.error(250003) end
  local regions = zone and self.zone_regions[zone] or self.regions
  if not regions[region] then
    -- a plausible region code the service does not serve, or garbage
    if region:match("^%u%u%u?%u?$") then return reply.error(250019, codes.message(250019, region)) end
    return reply.error(250020, codes.message(250020, region))
  end
  local ct = h["content-type"]
  if self.strict then
    if not ct or ct:match("^%s*(.-)%s*$"):lower() ~= "application/json" then return reply.error(250348) end
    return nil
  end
  -- the framework reads Content-Type only to parse a body
  if req.body == nil or req.body == "" then return nil end
  local media = ct and ct:match("^%s*([^;%s]+)")
  if not media or media:lower() ~= "application/json" then return reply.error(250348) end
  return nil
end

return M
