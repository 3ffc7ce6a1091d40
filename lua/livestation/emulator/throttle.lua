-- The API gateway's usage limits, per access key (COMMON.md §e): a token
-- bucket of `rps` requests per second holding at most `burst`, answered
-- with the gateway's 429 "420" Rate Limited (or "410" Throttle Limited),
-- and a `day_quota` of requests per emulator-clock UTC day, answered with
-- 429 "400" Quota Exceeded. Off unless configured. Requests the gateway
-- refuses before authentication are not counted (the key is not known).
--
-- The reference documents no Retry-After; `retry_after` (seconds) adds
-- one to the 429s, for clients that want to test honouring it.

local M = {}

local Throttle = {}
Throttle.__index = Throttle

local CODES = { ["410"] = true, ["420"] = true }

local function positive(v, name, integer)
  if v == nil then return nil end
  if type(v) ~= "number" or v ~= v or v <= 0 or v == math.huge or (integer and math.tointeger(v) == nil) then
    return nil, name .. ": a positive " .. (integer and "integer" or "number")
  end
  return integer and math.tointeger(v) or v
end

-- Checks a configuration; returns the normalized copy, or nil and why.
function M.config(opts)
  if type(opts) ~= "table" then return nil, "throttle: a table {rps, burst, code, day_quota, retry_after}" end
  local known = { rps = true, burst = true, code = true, day_quota = true, retry_after = true }
  for k in pairs(opts) do
    if not known[k] then return nil, "throttle: unknown setting '" .. tostring(k) .. "' (rps, burst, code, day_quota, retry_after)" end
  end
  local c, err = {}, nil
  c.rps, err = positive(opts.rps, "rps")
  if err then return nil, err end
  c.burst, err = positive(opts.burst, "burst", true)
  if err then return nil, err end
  c.day_quota, err = positive(opts.day_quota, "day_quota", true)
  if err then return nil, err end
  c.retry_after, err = positive(opts.retry_after, "retry_after", true)
  if err then return nil, err end
  if c.burst and not c.rps then return nil, "burst: needs rps" end
  if not c.rps and not c.day_quota then return nil, "throttle: give rps and/or day_quota" end
  c.burst = c.burst or (c.rps and math.max(1, math.ceil(c.rps)))
  c.code = opts.code ~= nil and tostring(opts.code) or "420"
  if not CODES[c.code] then return nil, "code: \"420\" (Rate Limited) or \"410\" (Throttle Limited)" end
  return c
end

-- opts: as config(); clock_ms() gives the emulator's time (quota days),
-- monotonic() real seconds (the bucket refills in real time).
function M.new(opts, clock_ms, monotonic)
  local c, err = M.config(opts)
  if not c then return nil, err end
  return setmetatable({ conf = c, keys = {}, clock_ms = clock_ms, monotonic = monotonic,
    refused = { rate = 0, quota = 0 } }, Throttle)
end

-- nil when the request may pass; else the gateway code ("420", "410" or
-- "400") to answer.
function Throttle:admit(access_key)
  local c = self.conf
  local k = self.keys[access_key]
  if not k then
    k = { tokens = c.burst, at = self.monotonic(), day = nil, used = 0 }
    self.keys[access_key] = k
  end
  if c.day_quota then
    local day = self.clock_ms() // 86400000
    if k.day ~= day then k.day, k.used = day, 0 end
    if k.used >= c.day_quota then
      self.refused.quota = self.refused.quota + 1
      return "400"
    end
  end
  if c.rps then
    local now = self.monotonic()
    k.tokens = math.min(c.burst, k.tokens + (now - k.at) * c.rps)
    k.at = now
    if k.tokens < 1 then
      self.refused.rate = self.refused.rate + 1
      return c.code
    end
    k.tokens = k.tokens - 1
  end
  if c.day_quota then k.used = k.used + 1 end
  return nil
end

-- The settings and what was refused (GET /_emulator/throttle).
function Throttle:status()
  local c = self.conf
  return { rps = c.rps, burst = c.burst, code = c.code, day_quota = c.day_quota, retry_after = c.retry_after,
    refused = { rate = self.refused.rate, quota = self.refused.quota } }
end

return M
