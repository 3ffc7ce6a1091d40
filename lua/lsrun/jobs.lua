-- `lsrun jobs [--state FILE|URL] [--json] [JOB]`: each named job in a
-- store with its schedule, last run, outcome and next run (and, on a
-- store several hosts share, the host that ran it), for people on call;
-- with JOB, every run of that job and the host of each. Reads only;
-- works whether or not hosts are running on the store.

local json = require "livestation.json"
local state_file = require "lsrun.state"
local when = require "livestation.schedule.when"
local zone = require "livestation.schedule.zone"

local M = {}

M.USAGE = "usage: lsrun jobs [--state FILE|URL] [--json] [JOB]\n"

local function schedule_text(row, z)
  if row.kind == "at" then return "at " .. when.iso(tonumber(row.spec) / 1000, z) end
  if row.kind == "every" then return string.format("every %gs", tonumber(row.spec) / 1000) end
  return string.format("cron '%s' %s", row.spec, row.tz or "")
end

-- One table per named job: name, schedule, last (the latest attempt:
-- scheduled, started, finished, outcome, attempt, detail) and next (epoch
-- seconds or nil). Returns the list or nil, message.
function M.collect(store, z)
  z = z or zone.default()
  local rows, err = store:jobs()
  if not rows then return nil, err end
  local out = {}
  for _, row in ipairs(rows) do
    local last = store:last_run(row.name)
    out[#out + 1] = {
      name = row.name, kind = row.kind, schedule = schedule_text(row, z), tz = row.tz,
      next = row.next_ms and row.next_ms / 1000 or nil,
      last = last and {
        scheduled = last.scheduled_ms / 1000, started = last.started, finished = last.finished,
        outcome = last.outcome, attempt = last.attempt, detail = last.detail, host = last.host,
      } or nil,
    }
  end
  return out
end

local function outcome_text(last)
  local s = last.outcome
  if last.attempt > 1 then s = s .. " (attempt " .. last.attempt .. ")" end
  if last.detail and last.outcome ~= "ok" then s = s .. ": " .. last.detail end
  return s
end

-- The listing as aligned text lines; times in each job's zone (a cron
-- job's tz), else in z (default the host's).
function M.render(jobs, z)
  z = z or zone.default()
  local hosts = false -- a column only where hosts share the store
  for _, j in ipairs(jobs) do if j.last and j.last.host then hosts = true end end
  local lines = { { "JOB", "SCHEDULE", "LAST RUN", "NEXT RUN", "OUTCOME" } }
  if hosts then table.insert(lines[1], 5, "HOST") end
  for _, j in ipairs(jobs) do
    local jz = j.tz and zone.load(j.tz) or z
    local l = {
      j.name, j.schedule,
      j.last and when.iso(j.last.scheduled, jz) or "-",
      j.next and when.iso(j.next, jz) or "-",
      j.last and outcome_text(j.last) or "-",
    }
    if hosts then table.insert(l, 5, j.last and j.last.host or "-") end
    lines[#lines + 1] = l
  end
  return state_file.columns(lines)
end

-- Every run of one job, oldest first: scheduled, attempt, outcome,
-- started, finished, host (nil on a file of one host), detail.
function M.collect_runs(store, name)
  local rows, err = store:runs(name)
  if not rows then return nil, err end
  local out = {}
  for i, r in ipairs(rows) do
    out[i] = { scheduled = r.scheduled_ms / 1000, attempt = r.attempt, outcome = r.outcome,
               started = r.started, finished = r.finished, host = r.host, detail = r.detail }
  end
  return out
end

function M.render_runs(runs, z)
  z = z or zone.default()
  local lines = { { "SCHEDULED", "ATTEMPT", "HOST", "OUTCOME" } }
  for _, r in ipairs(runs) do
    lines[#lines + 1] = { when.iso(r.scheduled, z), tostring(r.attempt), r.host or "-",
                          outcome_text { outcome = r.outcome, attempt = 1, detail = r.detail } }
  end
  return state_file.columns(lines)
end

-- The command: returns an exit status (0, 1 when the file cannot be read,
-- 2 on a usage error).
function M.main(argv, out, err)
  out, err = out or io.stdout, err or io.stderr
  local o = state_file.options(argv, "jobs", M.USAGE, err, true)
  if not o then return 2 end
  if o.help then out:write(M.USAGE) return 0 end
  local path, as_json = o.path, o.json
  local store
  store, path = state_file.open(path, err)
  if not store then return 1 end
  if o.id then
    local runs, rerr = M.collect_runs(store, o.id)
    store:close()
    if not runs then err:write("lsrun: ", path, ": ", rerr, "\n") return 1 end
    if as_json then out:write(json.encode(json.array(runs)), "\n")
    elseif #runs == 0 then out:write("no runs of ", o.id, " in ", path, "\n")
    else out:write(M.render_runs(runs)) end
    return 0
  end
  local jobs, cerr = M.collect(store)
  store:close()
  if not jobs then err:write("lsrun: ", path, ": ", cerr, "\n") return 1 end
  if as_json then
    out:write(json.encode(json.array(jobs)), "\n")
  elseif #jobs == 0 then
    out:write("no named jobs in ", path, "\n")
  else
    out:write(M.render(jobs))
  end
  return 0
end

return M
