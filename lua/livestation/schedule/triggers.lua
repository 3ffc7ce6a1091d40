-- What decides when a job is due: next(after_ms) is the first scheduled
-- time strictly after after_ms (epoch milliseconds), or nil when there is
-- none. `spec` and `tz` identify the schedule in the journal: a named
-- job whose stored spec differs starts a new schedule.

local cron = require "livestation.schedule.cron"
local when = require "livestation.schedule.when"

local M = {}

-- A single time.
function M.at(ms, z)
  return {
    kind = "at", spec = string.format("%d", ms), tz = nil, at_ms = ms, zone = z,
    label = "at " .. when.iso(ms / 1000, z),
    next = function(self, after)
      if self.at_ms > after then return self.at_ms end
      return nil
    end,
  }
end

-- Every interval_ms, counted from the anchor (set when the job is
-- registered, kept across restarts for named jobs) so runs never drift.
function M.every(interval_ms, z)
  return {
    kind = "every", spec = string.format("%d", interval_ms), interval = interval_ms,
    anchor = nil, zone = z,
    label = "every " .. string.format("%g", interval_ms / 1000) .. "s",
    next = function(self, after)
      local a, iv = self.anchor, self.interval
      if after < a then return a + iv end
      return a + ((after - a) // iv + 1) * iv
    end,
  }
end

-- A parsed cron expression in zone z.
function M.cron(spec, z)
  return {
    kind = "cron", spec = spec.expr, tz = z.name, cron = spec, zone = z,
    label = "cron '" .. spec.expr .. "' " .. z.name,
    next = function(self, after)
      local t = cron.next_time(self.cron, after // 1000, self.zone)
      return t and t * 1000 or nil
    end,
  }
end

return M
