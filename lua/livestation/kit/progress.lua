-- Progress lines for people watching a workflow: the wall-clock time in
-- the workflow's zone, then what happened.
--
--   [19:00:02] channel ls-20261122-abcde READY
--   [19:00:35] !!! the encoder is NOT publishing (35s after the start)
--
-- and a summary table at the end. Lines go to stdout and are flushed at
-- once, so a log file or a pipe shows them as they happen.

local time = require("livestation").time

local M = {}

local Progress = {}
Progress.__index = Progress

-- new{zone = z, out = file (default io.stdout), now = fn (epoch seconds;
-- default os.time, the emulator's clock when a workflow moves it)}
function M.new(o)
  o = o or {}
  return setmetatable({ zone = o.zone, out = o.out or io.stdout, now = o.now or os.time }, Progress)
end

function Progress:line(text)
  self.out:write("[", time.clock(self.now(), self.zone), "] ", text, "\n")
  self.out:flush()
end

function Progress:say(fmt, ...)
  self:line(select("#", ...) > 0 and string.format(fmt, ...) or fmt)
end

-- Something people must act on: marked, and copied to stderr.
function Progress:loud(fmt, ...)
  local text = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  self:line("!!! " .. text)
  io.stderr:write("!!! ", text, "\n")
  io.stderr:flush()
end

-- A loud line that is also kept in workflow j's "problems" value, for the
-- summary (and for a restart's summary).
function Progress:problem(j, fmt, ...)
  local text = string.format(fmt, ...)
  self:loud("%s", text)
  j:update("problems", function(list)
    list = list or {}
    list[#list + 1] = time.clock(self.now(), self.zone) .. " " .. text
    return list
  end)
end

-- A workflow that cannot go on: says why and how to go on, exits 1.
function Progress:stopped(err)
  self:loud("stopped: %s", tostring(err))
  self:say("run the same command again to go on from there")
  io.stdout:flush()
  os.exit(1)
end

-- The end of a run that went to its end: exit status 3 when workflow j
-- reported problems on the way (they are in the summary, and went to
-- stderr as they happened), so cron, systemd and shell scripts see them;
-- otherwise it returns, and the status is 0.
M.PROBLEMS_STATUS = 3

function Progress:finish(j)
  local problems = j:get("problems")
  if problems and #problems > 0 then
    io.stdout:flush()
    os.exit(M.PROBLEMS_STATUS)
  end
end

-- A titled two-column table: rows = { {label, text}, ... }.
function Progress:summary(title, rows)
  local width = 0
  for _, r in ipairs(rows) do width = math.max(width, #r[1]) end
  local out = self.out
  out:write("\n== ", title, " ", string.rep("=", math.max(3, 60 - #title)), "\n")
  for _, r in ipairs(rows) do
    local label = r[1] .. string.rep(" ", width - #r[1])
    local lines = type(r[2]) == "table" and r[2] or { tostring(r[2]) }
    if #lines == 0 then lines = { "-" } end
    for i, l in ipairs(lines) do
      out:write("  ", i == 1 and label or string.rep(" ", width), "  ", l, "\n")
    end
  end
  out:write("\n")
  out:flush()
end

-- Shortens a secret for display: "1a2b...9z (32 characters)".
function M.mask(s)
  if type(s) ~= "string" or #s < 8 then return "****" end
  return s:sub(1, 4) .. "..." .. s:sub(-2) .. " (" .. #s .. " characters)"
end

return M
