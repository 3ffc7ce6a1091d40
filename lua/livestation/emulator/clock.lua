-- The emulator's clock: wall time plus an offset that /_emulator/clock
-- moves forward, and the speed factor that shortens processing delays.
--
-- Two kinds of durations exist. Documented ones (a snapshot lives one
-- hour, a curtain stays insertTime minutes, a schedule starts at its
-- startTime) run on this clock unscaled, so a test reaches them by
-- advancing it. Undocumented processing delays (provisioning, encoding,
-- transfers) are divided by the speed, so --speed 10 makes them ten
-- times shorter.

local core = require "livestation.core"

local M = {}

local Clock = {}
Clock.__index = Clock

local now_ms, floor = core.now_ms, math.floor

function M.new(speed)
  speed = speed or 1
  assert(type(speed) == "number" and speed > 0, "emulator: speed must be a positive number")
  return setmetatable({ offset = 0, speed = speed }, Clock)
end

-- Emulator time in integer milliseconds since the epoch. While a timer
-- runs, time reads as the moment it was due, so what it schedules in turn
-- is timed from then, not from a clock that has jumped far ahead.
function Clock:now()
  return self.at or floor(now_ms()) + self.offset
end

-- Runs fn(...) with the clock reading `at`.
function Clock:during(at, fn, ...)
  local saved = self.at
  self.at = at
  local ok, err = pcall(fn, ...)
  self.at = saved
  if not ok then error(err, 0) end
end

function Clock:advance(ms)
  assert(ms >= 0, "the clock only moves forward")
  self.offset = self.offset + floor(ms)
end

-- A processing delay of `ms` at speed 1, in emulator milliseconds.
function Clock:delay(ms)
  return floor(ms / self.speed)
end

-- Real seconds from now until emulator time `at` (never negative).
function Clock:seconds_until(at)
  local d = (at - self:now()) / 1000
  return d > 0 and d or 0
end

return M
