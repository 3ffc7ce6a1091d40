-- Benchmark: the two costs a user of lsrun pays besides the network, each
-- against a baseline measured in the same run.
--
--   start-up     wall time of `lsrun -e ''` against `lua5.4 -e ''`
--                (goal: at most 3x)
--   client cost  CPU time of this process per ls:call("channel.get") on a
--                keep-alive connection to 127.0.0.1, against build/signed_get,
--                a bare libcurl + OpenSSL loop signing and sending the same
--                GETs (goal: at most 1.5x). The C loop reads the body but
--                does not parse it; ls:call decodes it (json.decode), so a
--                second line shows our cost with the decode of the same
--                body, measured in this run, taken out, and a third the
--                core alone: signing and core.http_request on a ready
--                request table, what every ls:call builds on.
--
-- Start-up is the fastest of five interleaved rounds (other work only
-- ever adds wall time); each CPU figure is the median of five interleaved
-- rounds: a round's CPU time moves both ways (where the kernel's network
-- work is charged, which core the process ran on), and the fastest
-- round of the baseline once came out at half its usual time.
--
-- Run: ./lsrun bench/client_cost_bench.lua [STARTS] [CALLS]
-- The server is `lsrun emulator` in a process of its own; nothing leaves
-- 127.0.0.1. Counts are bounded: STARTS runs of each program (default
-- 200), CALLS requests for each client (default 3000).

local core = require "livestation.core"
local livestation = require "livestation"
local emulator = require "livestation.emulator"

local starts = math.tointeger(tonumber(arg and arg[1])) or 200
local calls = math.tointeger(tonumber(arg and arg[2])) or 3000

print(string.format("livestation %s: start-up and client cost against baselines in this run", core.version))

local function report(what, mine, base, unit, goal)
  local ratio = mine / base
  local verdict = goal and string.format(" (goal <= %.1f) %s", goal, ratio <= goal and "ok" or "OVER") or ""
  print(string.format("%-12s %10.1f %s vs %10.1f %s  ratio %.2f%s", what, mine, unit, base, unit, ratio, verdict))
end

---------------------------------------------------------------- start-up

-- Seconds for `rounds` runs of cmd, in one shell (its fork cost is in
-- both figures alike).
local function time_runs(cmd, n)
  local t0 = core.monotonic()
  assert(os.execute("i=0; while [ $i -lt " .. n .. " ]; do " .. cmd .. " || exit 1; i=$((i+1)); done"))
  return core.monotonic() - t0
end

-- Interleaved rounds, the fastest round of each: other work on the
-- machine only ever adds time.
local ROUNDS = 5
local per_round = math.max(1, starts // ROUNDS)
local best_lua, best_lsrun = math.huge, math.huge
for _ = 1, ROUNDS do
  best_lua = math.min(best_lua, time_runs("lua5.4 -e ''", per_round))
  best_lsrun = math.min(best_lsrun, time_runs("./lsrun -e ''", per_round))
end
report("start-up", best_lsrun / per_round * 1e3, best_lua / per_round * 1e3, "ms", 3)

---------------------------------------------------------------- client cost

local url, stop_emulator = dofile("bench/emulator_process.lua").start()

local ok, err = pcall(function()
  local ls = livestation.new { endpoint = url, access_key = emulator.DEFAULT_ACCESS_KEY,
    secret_key = emulator.DEFAULT_SECRET_KEY }
  local qs = assert(ls:call("qualitySet.list", {}))
  local ch = assert(ls:call("channel.create", {
    channelName = "bench_channel", qualitySetId = qs[1].id, useDvr = false, immediateOnAir = false,
    cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" },
    record = { type = "NO_RECORD" } }))
  local params = { channelId = ch.channelId }

  -- The baseline runs in a process of its own. Interleaved rounds, the
  -- median round of each counts.
  local per_round = math.max(1, calls // ROUNDS)
  local function baseline()
    local cmd = string.format("build/signed_get %s %s %s %s %d", url, "/api/v2/channels/" .. ch.channelId,
      emulator.DEFAULT_ACCESS_KEY, emulator.DEFAULT_SECRET_KEY, per_round)
    local p = assert(io.popen(cmd))
    local line = p:read("l")
    assert(p:close(), "build/signed_get failed")
    local n, cpu = line:match("^(%d+) ([%d.]+)$")
    assert(tonumber(n) == per_round, "build/signed_get: " .. tostring(line))
    return tonumber(cpu)
  end
  local function ours()
    local t0 = os.clock()
    for _ = 1, per_round do
      local content, cerr = ls:call("channel.get", params)
      if not content then error(tostring(cerr and cerr.message)) end
    end
    return os.clock() - t0
  end
  -- the core alone: signing and core.http_request with a ready request
  -- table, what ls:call builds on (no validation, no decode, no client)
  local path = "/api/v2/channels/" .. ch.channelId
  local headers = { ["Content-Type"] = "application/json", ["x-ncp-iam-access-key"] = emulator.DEFAULT_ACCESS_KEY,
    ["x-ncp-region_code"] = "KR" }
  local request = { method = "GET", url = url .. path, headers = headers, timeout = 30, connect_timeout = 10,
    max_size = 8 * 1024 * 1024, tls_verify = true }
  local function core_only()
    local t0 = os.clock()
    for _ = 1, per_round do
      local ts = tostring(core.now_ms())
      headers["x-ncp-apigw-timestamp"] = ts
      headers["x-ncp-apigw-signature-v2"] = core.sign(emulator.DEFAULT_SECRET_KEY, "GET", path, ts,
        emulator.DEFAULT_ACCESS_KEY)
      local resp = assert(core.http_request(request))
      if resp.status ~= 200 then error("core.http_request: status " .. resp.status) end
    end
    return os.clock() - t0
  end
  -- the decode alone, of the very body the calls receive
  local json = require "livestation.json"
  local _, _, meta = assert(ls:call("channel.get", params))
  local body = json.encode(meta.body)
  local function decode()
    local t0 = os.clock()
    for _ = 1, per_round do assert(json.decode(body)) end
    return os.clock() - t0
  end
  -- warmed up first: tables loaded, connection open
  for _ = 1, 50 do assert(ls:call("channel.get", params)) end
  local rounds = { c = {}, ours = {}, decode = {}, core = {} }
  for i = 1, ROUNDS do
    rounds.c[i] = baseline()
    rounds.ours[i] = ours()
    rounds.decode[i] = decode()
    rounds.core[i] = core_only()
  end
  local function median(list)
    table.sort(list)
    return list[(#list + 1) // 2]
  end
  local best_c, best_ours = median(rounds.c), median(rounds.ours)
  local best_decode, best_core = median(rounds.decode), median(rounds.core)
  local us = 1e6 / per_round
  report("client cost", best_ours * us, best_c * us, "us", 1.5)
  print(string.format("%-12s %10.1f us of which JSON decoding (%d bytes) %.1f us", "", best_ours * us, #body,
    best_decode * us))
  report("w/o decode", (best_ours - best_decode) * us, best_c * us, "us")
  report("core only", best_core * us, best_c * us, "us")
end)
stop_emulator()
if not ok then error(err, 0) end
