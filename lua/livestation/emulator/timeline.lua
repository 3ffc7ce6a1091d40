-- Timed transitions: "at emulator time T, do KIND to REF". Timers are
-- data in the world (bucket "timers") so they survive a restart; what
-- each kind does is a function registered by the resource handlers.
--
-- Due timers run from three places: a ticker task that sleeps until the
-- next one is due (alive only while timers are pending), the start of
-- every request (so a read never sees a state that should have moved on)
-- and /_emulator/clock after the clock jumps.

local core = require "livestation.core"

local M = {}

local Timeline = {}
Timeline.__index = Timeline

function M.new(emu)
  -- no ticker until start(): an emulator used only through handle() moves
  -- on when it is called or its clock is advanced
  return setmetatable({ emu = emu, kinds = {}, next_due = nil, ticker = nil, stopped = true }, Timeline)
end

-- Registers what a kind of timer does: fn(emu, timer).
function Timeline:on(kind, fn)
  self.kinds[kind] = fn
end

function Timeline:recompute()
  local nd
  for _, t in pairs(self.emu.model:all("timers")) do
    if not nd or t.due < nd then nd = t.due end
  end
  self.next_due = nd
end

-- Schedules kind at emulator time `due`; fields (ref, ...) ride along.
function Timeline:at(due, kind, fields)
  assert(self.kinds[kind], "timeline: unknown timer kind " .. tostring(kind))
  local w = self.emu.model
  local t = { id = w:next_id("timer"), due = math.floor(due), kind = kind }
  for k, v in pairs(fields or {}) do t[k] = v end
  w:put("timers", t.id, t)
  if not self.next_due or t.due < self.next_due then
    self.next_due = t.due
    self:wake()
  end
  return t
end

-- Schedules kind after a processing delay (ms at speed 1, scaled).
function Timeline:after(ms, kind, fields)
  local clock = self.emu.clock
  return self:at(clock:now() + clock:delay(ms), kind, fields)
end

-- Drops the timers for which pred(timer) is true.
function Timeline:cancel(pred)
  local w = self.emu.model
  for id, t in pairs(w:all("timers")) do
    if pred(t) then w:remove("timers", id) end
  end
  self:recompute()
end

-- The earliest timer for which pick(timer) is true (ties in creation
-- order), or nil.
local function earliest(w, pick)
  local best
  for _, t in pairs(w:all("timers")) do
    if pick(t) and (not best or t.due < best.due or (t.due == best.due and t.id < best.id)) then best = t end
  end
  return best
end

-- Runs every timer due by now, earliest first (ties in creation order).
-- A timer's action may schedule more; those run too when already due.
function Timeline:run_due()
  local nd = self.next_due
  if not nd then return end
  local emu = self.emu
  local clock = emu.clock
  local now = clock:now()
  if nd > now then return end
  local w = emu.model
  while true do
    local best = earliest(w, function(t) return t.due <= now end)
    if not best then break end
    w:remove("timers", best.id)
    local fn = self.kinds[best.kind]
    if fn then
      local ok, err = pcall(clock.during, clock, best.due, fn, emu, best)
      if not ok then emu:log_error("timer " .. best.kind .. " failed: " .. tostring(err)) end
    end
  end
  self:recompute()
  emu:persist()
end

-- Runs at once, as if due now, every timer of the given kinds (a set),
-- including those their actions schedule: processing finished without
-- moving the clock (a seeded world starts settled).
function Timeline:settle(kinds)
  local emu = self.emu
  local w = emu.model
  while true do
    local best = earliest(w, function(t) return kinds[t.kind] end)
    if not best then break end
    w:remove("timers", best.id)
    local fn = self.kinds[best.kind]
    if fn then fn(emu, best) end
  end
  self:recompute()
end

local function tick(self)
  while self.next_due do
    local wait = self.emu.clock:seconds_until(self.next_due)
    if wait > 0 then core.sleep(wait) end
    self.in_tick = true
    local ok, err = pcall(self.run_due, self)
    self.in_tick = false
    if not ok then
      self.emu:log_error("timer failed: " .. tostring(err))
      self:recompute()
    end
  end
  self.ticker = nil
end

-- (Re)starts the ticker so it wakes for the earliest timer. Called when a
-- timer earlier than the planned wake-up appears or the clock jumps.
function Timeline:wake()
  if self.stopped or self.in_tick then return end
  if self.ticker then
    local old = self.ticker
    self.ticker = nil
    old:cancel() -- harmless when it already ended
  end
  if self.next_due then
    -- background work: the server, not the ticker, keeps a host running
    self.ticker = core.spawn(tick, self)
    self.ticker:unref()
  end
end

function Timeline:start()
  self.stopped = false
  self:recompute()
  self:wake()
end

function Timeline:stop()
  self.stopped = true
  local t = self.ticker
  self.ticker = nil
  if t then t:cancel() end
end

return M
