-- restream_fanout.lua: one stream relayed to several platforms.
--
--   ./lsrun scripts/restream_fanout.lua fanout.lua             (Live Station)
--   ./lsrun --emulator --speed 10 scripts/restream_fanout.lua scripts/examples/demo_fanout.lua
--
-- Makes sure a re-stream channel with the configured targets exists
-- (reusing one of the same name) and is READY, waits for the stream (loudly
-- when it is late), watches every platform's connection while it is on
-- air (a target that fails is reported at once), and when the stream ends
-- (or at the configured end) terminates the channel and prints what each
-- platform received. Steps are kept in the step journal: a restart goes on
-- where it stopped. Against the emulator it plays the encoder itself.

local livestation = require "livestation"
local config = livestation.config
local time = livestation.time
local encoder = require "livestation.kit.encoder"
local live = require "livestation.kit.live"
local progress = require "livestation.kit.progress"
local restream = require "livestation.kit.restream"

local T = config.types
local must = live.must

---------------------------------------------------------------- config

local FANOUT = T.record({
  name = T.name {},
  plan = T.enum({ "STANDARD", "PROFESSIONAL" }, { default = "STANDARD" }),
  targets = T.list(restream.target_type(T), { min = 1 }),
  starts = T.time { optional = true },
  ends = T.time { optional = true },
  zone = T.zone { optional = true },
  grace = T.duration { default = 120 },
  watch = T.duration { default = 10, min = 0.2 },
  at_end = T.enum({ "delete", "keep" }, { default = "delete" }),
  simulate_encoder = T.boolean { optional = true },
}, { check = function(c, add)
  restream.check_plan(c.plan, c.targets, add, "targets")
  local z = time.zone(c.zone)
  if c.starts and c.ends and time.resolve(c.ends, z) <= time.resolve(c.starts, z) then
    add("ends", "must be after starts")
  end
  local seen = {}
  for i, t in ipairs(c.targets) do
    local k = t.url .. " " .. t.key
    if seen[k] then add("targets[" .. i .. "]", "the same URL and key as targets[" .. seen[k] .. "]") end
    seen[k] = i
  end
end })

local cfg, path = config.from_args(arg, FANOUT, "lsrun scripts/restream_fanout.lua [--check] CONFIG")

local ls = livestation.new {}
local zone = time.zone(cfg.zone)
local p = progress.new { zone = zone }
local ok_enc, enc = pcall(encoder.for_client, ls, cfg.simulate_encoder)
if not ok_enc then config.fail(path, { "simulate_encoder: " .. tostring(enc) }) end

local host = ls.site
local j = livestation.workflow("restream:" .. cfg.name .. "@" .. host .. ":" .. tostring(cfg.starts or "now"))
local anchor = j:get("anchor") or j:put("anchor", os.time())
local starts = cfg.starts and time.resolve(cfg.starts, zone, anchor) or anchor
local ends = cfg.ends and time.resolve(cfg.ends, zone, anchor)

local function problem(...) p:problem(j, ...) end

local function result(step) return j:result(step) end

---------------------------------------------------------------- steps

local function prepare()
  return j:step("channel", function()
    local made_before = j:get("creating")
    j:put("creating", true) -- a channel found after this was made here
    local ch, reused, changed = restream.ensure(ls, { name = cfg.name, plan = cfg.plan, targets = cfg.targets })
    reused = reused and not made_before
    ch = restream.wait_ready(ls, ch.channelId, 900)
    p:say("%s re-stream channel %s (%s), %s, %d target(s)%s", reused and "reusing" or "created",
      ch.channelId, ch.channelName, ch.channelStatus, #cfg.targets,
      changed > 0 and (", " .. changed .. " updated") or "")
    p:say("publish to %s, stream key %s", ch.publishUrl, progress.mask(ch.streamKey))
    return { id = ch.channelId, reused = reused }
  end)
end

local function status_of(id)
  return must(ls:call("restream.get", { channelId = id })).channelStatus
end

-- Waits for the stream: quietly until the grace period is over, then
-- loudly, until the end (or for ever without one).
local function wait_stream(id)
  return j:step("stream", function()
    if os.time() < starts then
      p:say("the stream is expected at %s", time.clock(starts, zone))
      livestation.sleep(starts - os.time())
    end
    if enc then
      must(enc:start(id))
      p:say("simulated encoder started")
    end
    local warned = false
    while status_of(id) ~= "PUBLISHING" do
      local now = os.time()
      if ends and now >= ends then
        problem("no stream came into %s before the end (%s)", id, time.clock(ends, zone))
        return { missing = true }
      end
      if not warned and now >= starts + cfg.grace then
        problem("NO STREAM: nothing is publishing to re-stream channel %s, %s after %s", id,
          time.span(now - starts), time.clock(starts, zone))
        warned = true
      end
      livestation.sleep(math.min(cfg.watch, 1))
    end
    local late = os.time() - starts
    p:say("stream on air%s", late > cfg.grace and (", " .. time.span(late) .. " late") or "")
    return { at = os.time(), late = late > cfg.grace and late or nil }
  end)
end

-- The best state each platform reached: PUBLISHING beats FAIL beats the rest.
local RANK = { PUBLISHING = 3, FAIL = 2, CONNECTING = 1 }

-- Watches the targets until the stream stops (or the end comes).
local function watch(id)
  return j:step("watch", function()
    local seen = j:get("seen") or {}
    local stopping = false
    while true do
      for _, pl in ipairs(restream.platforms(ls, id)) do
        local key = tostring(pl.platId)
        if seen[key] ~= pl.connectStatus then
          if pl.connectStatus == "FAIL" then
            problem("%s FAILED: %s does not take the stream (%d retries)", pl.targetName, pl.rtmpUrl,
              pl.totalRetryCount or 0)
          else
            p:say("%s %s", pl.targetName, pl.connectStatus)
          end
          seen[key] = pl.connectStatus
          j:put("seen", seen)
          j:update("best", function(best)
            best = best or {}
            if (RANK[pl.connectStatus] or 0) > (RANK[best[key]] or 0) then best[key] = pl.connectStatus end
            return best
          end)
        end
      end
      if status_of(id) ~= "PUBLISHING" then break end
      if ends and os.time() >= ends and not stopping then
        stopping = true
        if enc then
          must(enc:stop(id))
          p:say("simulated encoder stopped")
        else
          p:say("the end: stop the encoder now (the channel is terminated once the stream stops)")
        end
      end
      livestation.sleep(cfg.watch)
    end
    p:say("the stream stopped")
    return { at = os.time() }
  end)
end

local function cleanup(id)
  j:step("totals", function()
    local best = j:get("best") or {}
    local lines = {}
    for i, pl in ipairs(restream.platforms(ls, id)) do
      lines[i] = string.format("%s (%s)", restream.describe(pl), best[tostring(pl.platId)] or "never connected")
    end
    return { lines = lines }
  end)
  return j:step("cleanup", function()
    if cfg.at_end == "keep" then
      p:say("re-stream channel %s kept", id)
      return { status = status_of(id) }
    end
    local status = restream.terminate(ls, id, math.max(60, cfg.grace))
    p:say("re-stream channel %s %s", id, status)
    return { status = status }
  end)
end

local function summary()
  local ch, st, w = result("channel") or {}, result("stream") or {}, result("watch") or {}
  local rows = {
    { "channel", string.format("%s (%s), %s, %s", ch.id or "-", cfg.name, ch.reused and "reused" or "created",
      (result("cleanup") or {}).status or "?") },
    { "stream", st.missing and "never came" or string.format("%s to %s (%s)%s", time.clock(st.at or 0, zone),
      time.clock(w.at or 0, zone), time.span((w.at or 0) - (st.at or 0)), enc and ", simulated" or "") },
    { "targets", (result("totals") or {}).lines or {} },
    { "problems", j:get("problems") or { "none" } },
  }
  p:summary("re-stream " .. cfg.name, rows)
end

---------------------------------------------------------------- run

if j:done("cleanup") then
  p:say("re-stream %s has already finished", cfg.name)
  summary()
  p:finish(j)
  return
end
p:say("re-stream %s to %d platform(s)%s%s", cfg.name, #cfg.targets,
  cfg.starts and (", from " .. time.clock(starts, zone)) or "",
  ends and (" to " .. time.clock(ends, zone)) or ", until the stream stops")
local ok, err = pcall(function()
  local id = prepare().id
  local st = wait_stream(id)
  if not st.missing then watch(id) end
  cleanup(id)
end)
if not ok then p:stopped(err) end
summary()
p:finish(j)
