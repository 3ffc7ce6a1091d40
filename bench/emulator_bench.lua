-- Benchmark: signed channel.get requests per second against `lsrun
-- emulator` running as a process of its own (one core), driven from this
-- process (the other core) with many requests in flight on keep-alive
-- connections. Run: ./lsrun bench/emulator_bench.lua [SECONDS] [IN_FLIGHT]
--
-- The load side signs one request per connection-task every 1,000 calls
-- (a signature stays valid for 5 minutes) so that it measures the
-- emulator, which checks the signature of every request.

local core = require "livestation.core"
local livestation = require "livestation"
local emulator = require "livestation.emulator"

local seconds = tonumber(arg and arg[1]) or 5
local in_flight = tonumber(arg and arg[2]) or 32

-- the emulator, as a child process
local url, stop_emulator = dofile("bench/emulator_process.lua").start()

local ls = livestation.new { endpoint = url, access_key = emulator.DEFAULT_ACCESS_KEY,
  secret_key = emulator.DEFAULT_SECRET_KEY }
local qs = assert(ls:call("qualitySet.list", {}))
local ch = assert(ls:call("channel.create", {
  channelName = "bench_channel", qualitySetId = qs[1].id, useDvr = false, immediateOnAir = false,
  cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" },
  record = { type = "NO_RECORD" } }))
local target = "/api/v2/channels/" .. ch.channelId

local function signed_headers()
  local ts = tostring(core.now_ms())
  return {
    ["Content-Type"] = "application/json",
    ["x-ncp-apigw-timestamp"] = ts,
    ["x-ncp-iam-access-key"] = emulator.DEFAULT_ACCESS_KEY,
    ["x-ncp-apigw-signature-v2"] = core.sign(emulator.DEFAULT_SECRET_KEY, "GET", target, ts,
      emulator.DEFAULT_ACCESS_KEY),
    ["x-ncp-region_code"] = "KR",
  }
end

local done, failed = 0, 0
local deadline = core.monotonic() + seconds
local workers = {}
for i = 1, in_flight do
  workers[i] = core.spawn(function()
    local headers, n = signed_headers(), 0
    while core.monotonic() < deadline do
      local resp = core.http_request { url = url .. target, headers = headers }
      if resp and resp.status == 200 then done = done + 1 else failed = failed + 1 end
      n = n + 1
      if n % 1000 == 0 then headers = signed_headers() end
    end
  end)
end
local started = core.monotonic()
for _, w in ipairs(workers) do w:join() end
local elapsed = core.monotonic() - started
stop_emulator()
print(string.format("channel.get: %d requests in %.2f s = %.0f requests/s (%d in flight, %d failed)",
  done, elapsed, done / elapsed, in_flight, failed))
