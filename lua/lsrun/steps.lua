-- `lsrun steps [--state FILE] [--json] [ID]`: the journal of durable
-- steps in a state file. Without ID, one line per workflow and job run
-- (steps done, failed, running); with ID, each step of that workflow or
-- run: its state, attempts, when it ended and what it returned (or why it
-- failed). Reads the store only; works whether or not a host runs on it.
-- Values under names that hold secrets (log.lua's policy: stream keys,
-- passwords, secret keys, tokens) show as "****".

local json = require "livestation.json"
local log = require "livestation.log"
local steps = require "livestation.schedule.steps"
local state_file = require "lsrun.state"
local when = require "livestation.schedule.when"
local zone = require "livestation.schedule.zone"

local M = {}

M.USAGE = "usage: lsrun steps [--state FILE] [--json] [WORKFLOW-OR-RUN]\n"
M.WIDTH = 72 -- of a result in the table

-- A copy of v with the values of secret names masked, at every depth.
local function masked(v)
  if type(v) ~= "table" then return v end
  local out = json.is_array(v) and json.array() or {}
  for k, x in pairs(v) do
    out[k] = (type(k) == "string" and log.is_secret_name(k) and type(x) ~= "table") and "****" or masked(x)
  end
  return out
end
M.masked = masked

local function outcome(rec)
  local s = rec.state
  if (rec.attempts or 1) > 1 then s = s .. " (attempt " .. rec.attempts .. ")" end
  return s
end

local function shown(rec)
  if rec.state == "failed" then return rec.error or "" end
  if rec.state ~= "done" then return "" end
  local text = json.encode(masked(rec.result))
  if #text > M.WIDTH then text = text:sub(1, M.WIDTH - 3) .. "..." end
  return text
end

-- The listing of every scope, as text.
function M.render_list(scopes)
  local rows = { { "WORKFLOW OR RUN", "KIND", "DONE", "FAILED", "RUNNING" } }
  for _, sc in ipairs(scopes) do
    local n = { done = 0, failed = 0, running = 0 }
    for _, r in ipairs(sc.steps) do n[r.state] = (n[r.state] or 0) + 1 end
    rows[#rows + 1] = { sc.id, sc.kind, tostring(n.done), tostring(n.failed), tostring(n.running) }
  end
  return state_file.columns(rows)
end

-- The steps of one scope, as text; times in zone z.
function M.render_steps(recs, z)
  z = z or zone.default()
  local rows = { { "STEP", "STATE", "ENDED", "RESULT" } }
  for _, r in ipairs(recs) do
    rows[#rows + 1] = { r.name, outcome(r), r.finished and when.iso(math.floor(r.finished), z) or "-", shown(r) }
  end
  return state_file.columns(rows)
end

-- The command: returns an exit status (0; 1 when the file cannot be read
-- or has no such workflow; 2 on a usage error).
function M.main(argv, out, err)
  out, err = out or io.stdout, err or io.stderr
  local o = state_file.options(argv, "steps", M.USAGE, err, true)
  if not o then return 2 end
  if o.help then out:write(M.USAGE) return 0 end
  local store, path = state_file.open(o.path, err)
  if not store then return 1 end
  local ok, scopes = pcall(steps.list, store)
  store:close()
  if not ok then err:write("lsrun: ", path, ": ", tostring(scopes), "\n") return 1 end
  if o.id then
    local found
    for _, sc in ipairs(scopes) do
      if sc.id == o.id then found = sc end
    end
    if not found then err:write("lsrun: no workflow or job run '", o.id, "' in ", path, "\n") return 1 end
    scopes = { found }
  end
  if o.json then
    for _, sc in ipairs(scopes) do
      for _, r in ipairs(sc.steps) do r.result = masked(r.result) end
      sc.steps = json.array(sc.steps)
    end
    out:write(json.encode(o.id and scopes[1] or json.array(scopes)), "\n")
  elseif o.id then
    out:write(M.render_steps(scopes[1].steps))
  elseif #scopes == 0 then
    out:write("no steps in ", path, "\n")
  else
    out:write(M.render_list(scopes))
  end
  return 0
end

return M
