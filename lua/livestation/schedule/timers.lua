-- Timers on one task: a heap of deadlines and a single "ticker" task that
-- sleeps until the earliest one, so ten thousand idle jobs cost one
-- sleeping task. The ticker lives only while timers are pending; it keeps
-- the host's loop going exactly as long as there is something to wait for.
--
-- Callbacks run on the ticker and must not wait: they start tasks.

local core = require "livestation.core"
local heap = require "livestation.schedule.heap"
local log = require "livestation.log"

local M = {}

M.MAX_SLEEP = 30 -- seconds; re-reading the wall clock follows clock steps

-- The default clock: wall-clock milliseconds and the core's sleep.
M.real_clock = { now_ms = core.now_ms, sleep = core.sleep }

local Timers = {}
Timers.__index = Timers

function M.new(clock)
  return setmetatable({
    clock = clock or M.real_clock,
    heap = heap.new(),
    live = 0,          -- entries not cancelled
    ticker = nil,      -- the task, while one runs
    deadline = nil,    -- what it sleeps until (ms)
    in_tick = false,
  }, Timers)
end

local function fire(self, e)
  local ok, err = pcall(e.fn, e)
  if not ok then log.error("timer callback failed", { error = tostring(err) }) end
end

local function tick(self)
  local h = self.heap
  while true do
    local now = self.clock.now_ms()
    self.in_tick = true
    while true do
      local top = h:peek()
      if not top or top.at > now then break end
      h:pop()
      if not top.cancelled then
        top.cancelled = true
        self.live = self.live - 1
        fire(self, top)
      end
    end
    self.in_tick = false
    while h:peek() and h:peek().cancelled do h:pop() end
    local top = h:peek()
    if self.live == 0 or not top then
      self.ticker, self.deadline = nil, nil
      return
    end
    self.deadline = top.at
    local wait = math.min((top.at - now) / 1000, M.MAX_SLEEP)
    self.clock.sleep(wait > 0 and wait or 0)
  end
end

-- (Re)starts the ticker when nothing sleeps until at_ms or earlier.
local function arm(self, at_ms)
  if self.in_tick then return end -- the ticker looks again before sleeping
  if self.ticker then
    if self.deadline and self.deadline <= at_ms then return end
    self.ticker:cancel()
  end
  self.deadline = at_ms
  self.ticker = core.spawn(tick, self)
end

-- Calls fn(entry) at at_ms (epoch milliseconds); returns the entry.
function Timers:add(at_ms, fn, data)
  local e = self.heap:push({ at = at_ms, fn = fn, data = data })
  self.live = self.live + 1
  arm(self, at_ms)
  return e
end

function Timers:cancel(e)
  if not e or e.cancelled then return false end
  e.cancelled = true
  self.live = self.live - 1
  if self.live == 0 and self.ticker and not self.in_tick then
    self.ticker:cancel() -- nothing left: let the loop end
    self.ticker, self.deadline = nil, nil
  end
  return true
end

function Timers:count()
  return self.live
end

-- Drops every timer and stops the ticker.
function Timers:close()
  while self.heap:pop() do end
  self.live = 0
  if self.ticker and not self.in_tick then self.ticker:cancel() end
  self.ticker, self.deadline = nil, nil
end

return M
