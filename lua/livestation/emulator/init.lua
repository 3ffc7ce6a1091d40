-- A local Live Station: the gateway, every operation of the shared
-- operation table, state machines with timed transitions, events and
-- callbacks, a control API and optional persistence, on the core's HTTP
-- server.
--
--   local emulator = require "livestation.emulator"
--   local emu = emulator.new{ speed = 10 }          -- default keys below
--   local url = emu:start{ port = 0 }               -- http://127.0.0.1:N
--   ... livestation.new{ endpoint = url, access_key = emulator.DEFAULT_ACCESS_KEY,
--                        secret_key = emulator.DEFAULT_SECRET_KEY } ...
--   emu:stop()
--
-- Options: access_key, secret_key (default: the documented keys), keys
-- ({[access_key] = secret_key}: more accounts' keys, all seeing one world), speed
-- (processing delays divided by it, default 1), state (SQLite file kept
-- across restarts), lenient_signature, strict (the documented request
-- contract to the letter: Content-Type on every call, no undeclared
-- parameters), regions (default {"KR"}), log
-- (fn(line): one line per request), callback_attempts, callback_backoff,
-- callback_timeout (delivery policy, see callbacks.lua), record (a file
-- that gets every request and answer as a JSON line, see recorder.lua),
-- publish_threshold
-- (bits per second an encoder may send, see encoder.lua), throttle (the
-- gateway's usage limits per access key, see throttle.lua; off without).

local core = require "livestation.core"
local json = require "livestation.json"
local clock_mod = require "livestation.emulator.clock"
local world_mod = require "livestation.emulator.world"
local timeline_mod = require "livestation.emulator.timeline"
local callbacks_mod = require "livestation.emulator.callbacks"
local faults_mod = require "livestation.emulator.faults"
local gateway_mod = require "livestation.emulator.gateway"
local store_mod = require "livestation.emulator.store"
local presets = require "livestation.emulator.presets"
local dispatch = require "livestation.emulator.dispatch"
local control = require "livestation.emulator.control"
local encoder = require "livestation.emulator.encoder"
local throttle_mod = require "livestation.emulator.throttle"
local recorder_mod = require "livestation.emulator.recorder"
local seed_mod = require "livestation.emulator.seed"
local ops = require "livestation.ops"

local M = {}

-- The emulator's documented default credentials (never valid anywhere else).
M.DEFAULT_ACCESS_KEY = "EMULATORACCESSKEY001"
M.DEFAULT_SECRET_KEY = "EMULATORSECRETKEY00000000000000000000000"

local Emulator = {}
Emulator.__index = Emulator
Emulator.__name = "livestation.emulator"

function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("emulator.new: options must be a table", 2) end
  local speed = opts.speed or 1
  if type(speed) ~= "number" or speed <= 0 then error("emulator.new: speed must be a positive number", 2) end
  local self = setmetatable({
    clock = clock_mod.new(speed),
    model = world_mod.new(),
    faults = faults_mod.new(),
    log_fn = opts.log,
    state_path = opts.state,
    publish_threshold = opts.publish_threshold,
  }, Emulator)
  local keys = { [opts.access_key or M.DEFAULT_ACCESS_KEY] = opts.secret_key or M.DEFAULT_SECRET_KEY }
  for access, secret in pairs(opts.keys or {}) do keys[access] = secret end
  self.gateway = gateway_mod.new {
    keys = keys,
    lenient = opts.lenient_signature, regions = opts.regions, strict = opts.strict,
  }
  if opts.throttle ~= nil then
    local ok, err = self:set_throttle(opts.throttle)
    if not ok then error("emulator.new: " .. err, 2) end
  end
  self.timeline = timeline_mod.new(self)
  for _, mod in ipairs(dispatch.MODULES) do
    for kind, fn in pairs(mod.transitions or {}) do self.timeline:on(kind, fn) end
  end
  for kind, fn in pairs(encoder.transitions) do self.timeline:on(kind, fn) end
  self.callbacks = callbacks_mod.new(self, {
    attempts = opts.callback_attempts, backoff = opts.callback_backoff, timeout = opts.callback_timeout,
  })
  if opts.record then
    local rec, err = recorder_mod.open(opts.record)
    if not rec then self.state_error = err else self.recorder = rec end
  end
  self.started_ms = core.now_ms()
  if opts.state then
    local store, err = store_mod.open(opts.state)
    if not store then
      self.state_error = err
    else
      self.store = store
      self.model:track(true)
      local ok, loaded = pcall(store.load, store)
      if not ok then
        self.state_error = tostring(loaded)
      elseif loaded then
        self.model:load(loaded)
        self.clock.offset = self.model:meta("clock_offset") or 0
      end
    end
  end
  if not self.model:get("quality_sets", presets.QUALITY_SETS[1].id) then
    presets.install(self.model)
  end
  self:persist()
  self.timeline:recompute()
  if opts.seed ~= nil and not self.state_error then
    if self:is_new() then
      local ok, err = self:seed(opts.seed)
      if not ok then self.state_error = err end
    else
      self:log_note("seed skipped: the state file already holds a world")
    end
  end
  return self
end

-- Whether the world is as a new account has it: no channels of any kind,
-- no quality profiles or sets but the system ones.
function Emulator:is_new()
  local d = self.model.data
  for _, bucket in ipairs { "channels", "restreams", "vods" } do
    if next(d[bucket] or {}) then return false end
  end
  for _, q in pairs(d.quality_sets or {}) do
    if q.genType ~= "SYSTEM" then return false end
  end
  return true
end

-- Loads a world (a table, or the path of a JSON file; seed.lua) into this
-- one: the summary, or nil and what was wrong.
function Emulator:seed(world)
  self.timeline:run_due()
  if type(world) == "string" then return seed_mod.load_file(self, world) end
  return seed_mod.load(self, world)
end

-- GET /_emulator/health: alive, and how it is set up (nothing secret).
function Emulator:health()
  return {
    status = "ok", url = self:url(), started = self.started_ms, uptime_ms = core.now_ms() - self.started_ms,
    now = self.clock:now(), speed = self.clock.speed, operations = #ops.all(),
    zones = json.array { "public", table.unpack(ops.zone_names()) },
    strict = self.gateway.strict, throttle = self.throttle ~= nil, state = self.store ~= nil,
    recording = self.recorder ~= nil,
  }
end

---------------------------------------------------------------- requests

-- 2026-11-21T05:01:02.345Z 127.0.0.1 GET /api/v2/channels/ls-... 200 channel.get 0.3ms
local function log_line(self, req, status, op_id, started)
  local ms = (core.monotonic() - started) * 1000
  local now = core.now_ms()
  self.log_fn(string.format("%s.%03dZ %s %s %s %s %s %.1fms", os.date("!%Y-%m-%dT%H:%M:%S", now // 1000),
    now % 1000, req.peer or "-", req.method, req.target or req.path, tostring(status), op_id or "-", ms))
end

-- The request handler: status, headers, body (or "drop").
function Emulator:handle(req)
  local started = (self.log_fn or self.recorder) and core.monotonic()
  local status, headers, body, op_id
  if req.path:sub(1, #control.PREFIX) == control.PREFIX then
    status, headers, body = control.handle(self, req)
    op_id = "control"
  else
    status, headers, body, op_id = dispatch.service(self, req)
  end
  if started then
    if self.log_fn then log_line(self, req, status, op_id, started) end
    if self.recorder then
      local ok, err = pcall(self.recorder.write, self.recorder, req, status, headers, body, op_id,
        (core.monotonic() - started) * 1000)
      if not ok then self:log_error("--record: " .. tostring(err)) end
    end
  end
  return status, headers, body
end

-- Starts serving; returns the base URL, or nil and a message.
function Emulator:start(opts)
  opts = opts or {}
  if self.state_error then return nil, self.state_error end
  if self.server then return self.server:url() end
  local server, err = core.http_server {
    host = opts.host or "127.0.0.1", port = opts.port or 0, max_body = opts.max_body or 1024 * 1024,
    handler = function(req) return self:handle(req) end,
  }
  if not server then return nil, err end
  self.server = server
  self.callbacks:start()
  self.timeline:start()
  self.timeline:run_due()
  return server:url()
end

-- Lets a host's loop end while the emulator still serves (an in-process
-- emulator serves a script for as long as the script has work).
function Emulator:unref()
  if self.server then self.server:unref() end
end

function Emulator:url()
  return self.server and self.server:url() or nil
end

-- Stops serving, delivering and ticking; the state file is flushed and
-- closed. Idempotent.
function Emulator:stop()
  if self.server then
    self.server:close()
    self.server = nil
  end
  self.timeline:stop()
  self.callbacks:stop()
  self:persist()
  if self.store then
    self.store:close()
    self.store = nil
    self.model:track(false)
  end
  if self.recorder then
    self.recorder:close()
    self.recorder = nil
  end
end

---------------------------------------------------------------- state

-- The live world tables (channels, restreams, vods, records, snapshots,
-- clips, curtains, qualities, quality_sets, schedules, timers, events,
-- seq, meta), for tests to look at.
function Emulator:world()
  return self.model.data
end

function Emulator:now()
  return self.clock:now()
end

-- Moves the emulator clock forward and runs what became due.
function Emulator:advance(ms)
  self.clock:advance(ms)
  self.model:set_meta("clock_offset", self.clock.offset)
  self.timeline:run_due()
  self.timeline:wake()
  self:persist()
end

-- Back to a new account: no channels, events, callbacks or faults.
function Emulator:reset()
  self.callbacks:stop()
  self.callbacks:start()
  self.faults:clear()
  self.model:clear()
  self.clock.offset = 0
  presets.install(self.model)
  self.timeline:recompute()
  self.timeline:wake()
  self:persist()
end

-- Writes what changed to the state file, if there is one.
function Emulator:persist()
  local store = self.store
  if not store or not self.model:pending() then return end
  local ok, err = pcall(store.save, store, self.model:drain())
  if not ok then self:log_error("state file: " .. tostring(err)) end
end

-- Something worth a line in the request log (a callback given up on);
-- silent without a log function.
function Emulator:log_note(message)
  if self.log_fn then self.log_fn("emulator: " .. message) end
end

function Emulator:log_error(message)
  if self.log_fn then
    self.log_fn("emulator: " .. message)
  else
    io.stderr:write("livestation emulator: ", message, "\n")
  end
end

-- The simulated encoder and the service's own actions on a channel
-- (control API), each after the due transitions and persisted: the
-- channel and its kind, or nil, an http status and a message.
local function encoder_action(fn)
  return function(self, channel_id, opts)
    self.timeline:run_due()
    local ch, kind, message = fn(self, channel_id, opts)
    self:persist()
    return ch, kind, message
  end
end

-- Starts / stops a stream into a channel (opts: backup, width, height,
-- fps, video_bitrate, audio_bitrate).
Emulator.publish = encoder_action(encoder.publish)
Emulator.unpublish = encoder_action(encoder.unpublish)
-- New settings for a running stream (backup = true: the backup stream):
-- PUBLISH_OVER_THRESHOLD when it goes above the allowed bitrate.
Emulator.adjust = encoder_action(encoder.adjust)
-- The service ends a channel (opts.status FORCE_BLOCK or FORCE_DELETED):
-- STREAM_FINISH.
Emulator.finish = encoder_action(encoder.finish)

-- Gateway usage limits per access key (throttle.lua), or nil: none.
-- Returns true, or nil and what is wrong with the settings.
function Emulator:set_throttle(opts)
  if opts == nil or opts == false then
    self.throttle = nil
    return true
  end
  local t, err = throttle_mod.new(opts, function() return self.clock:now() end, core.monotonic)
  if not t then return nil, err end
  self.throttle = t
  return true
end

function Emulator:add_fault(rule)
  return self.faults:add(rule)
end

function Emulator:clear_faults()
  self.faults:clear()
end

---------------------------------------------------------------- dump

local SECRET = { password = true, streamPassword = true }

local function copy(v, key)
  if SECRET[key] and type(v) == "string" then return v:sub(1, 1) .. string.rep("*", #v - 1) end
  if type(v) ~= "table" then return v end
  local out = json.is_array(v) and json.array() or {}
  for k, x in pairs(v) do out[k] = copy(x, k) end
  return out
end

-- The whole world as JSON-able data (GET /_emulator/state).
function Emulator:dump()
  local w = self.model
  local out = {
    now = self.clock:now(), offset_ms = self.clock.offset, speed = self.clock.speed,
    callback_url = w:meta("callback_url"), sequences = copy(w.data.seq),
    faults = json.array(self.faults:list()), deliveries = json.array(copy(self.callbacks.log)),
    pending_callbacks = self.callbacks:pending(), events = json.array(copy(w:events())),
  }
  for bucket in pairs(world_mod.BUCKETS) do
    local list = json.array()
    for i, obj in ipairs(w:sorted(bucket)) do list[i] = copy(obj) end
    out[bucket] = list
  end
  return out
end

M.Emulator = Emulator
return M
