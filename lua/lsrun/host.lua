-- lsrun's command line. main(argv) parses the options and answers with
-- an exit status (0 success, 1 a script or call failed, 2 a usage error)
-- or a plan that lsrun.c carries out through the embedding API:
--
--   plan.script, plan.args   loaded and queued by ls_runtime_spawn_file
--   plan.code                (-e) by ls_runtime_spawn_string
--   plan:start()             emulator, state file, signals; nil or a status
--   ls_runtime_run()         the loop, until no task or server is left
--   plan:finish(failed)      the exit status

local core = require "livestation.core"

-- Loaded when a command needs them, not at start: `lsrun -e CODE` and a
-- script that never calls the API start in the time Lua itself takes.
local function load_client() return require "livestation.client" end
local function load_log() return require "livestation.log" end

local M = {}

M.USAGE = [[
usage: lsrun [options] SCRIPT [ARGS...]   run a Lua script
       lsrun [options] -e CODE            run a chunk of Lua
       lsrun [options] call OP [name=value ...] [--body JSON]
       lsrun ops                          list every operation by group
       lsrun help OP                      what an operation takes and returns, with an example
       lsrun jobs [--state FILE|URL] [--json] [JOB]  named jobs: last and next run, outcome
       lsrun steps [--state FILE] [--json] [WORKFLOW-OR-RUN]  durable steps: what each returned
       lsrun emulator [--port N] [...]    serve a local Live Station (lsrun emulator --help)
options:
  --emulator     run against an in-process Live Station emulator
  --speed F      with --emulator: the emulator's processing delays F times shorter
  --state FILE   where named jobs, state and webhook events persist
                 (default $LIVESTATION_STATE, else ./livestation-state.db)
  --grace S      on SIGTERM/SIGINT, seconds running jobs get to finish (default 10)
  --dry-run      print each request (method, URL, headers, body) instead of sending it
  --log LEVEL    error, warn, info or debug (default warn, or $LIVESTATION_LOG)
  --log-format F text or json, one object a line (default $LIVESTATION_LOG_FORMAT, else text)
  --status ADDR  serve /metrics, /healthz and a status page on HOST:PORT (127.0.0.1:9101;
                 default $LIVESTATION_STATUS, else none); any address but
                 loopback needs $LIVESTATION_STATUS_TOKEN
  -v             the same as --log info
  --version      print the version and exit
  --help         print this help and exit
]]

local function usage_error(msg)
  io.stderr:write("lsrun: ", msg, "\n", "try 'lsrun --help'\n")
  return 2
end

-- --dry-run: requests are printed, never sent; the answer is an empty
-- success so the script goes on.
local function dry_run_transport(req)
  local out = { req.method .. " " .. req.url }
  local names = {}
  for k in pairs(req.headers) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do
    local v = req.headers[k]
    if k == "x-ncp-iam-access-key" then v = load_log().mask(v) end
    out[#out + 1] = "  " .. k .. ": " .. v
  end
  if req.body then out[#out + 1] = "  " .. req.body end
  io.stdout:write(table.concat(out, "\n"), "\n\n")
  io.stdout:flush()
  return { status = 200, headers = { ["x-ncp-trace-id"] = "dry-run" }, body = '{"content":{}}' }
end

local function use_dry_run()
  local client = load_client()
  client.transport = dry_run_transport
  -- keys are needed to sign, not to send: placeholders when none are set
  local creds = require("livestation.credentials").resolve({}, { file_mode = core.file_mode,
    warn = function() end })
  if not creds then
    client.defaults.access_key = "DRYRUNACCESSKEY00001"
    client.defaults.secret_key = "dry-run-secret-never-sent"
  end
end

-- Starts the in-process emulator; livestation.new{} then reaches it with
-- no settings. With a state file (--state or LIVESTATION_STATE) the
-- emulator's world is kept beside it, in FILE.emulator, so a second run
-- resumes against the same channels, as against the cloud; its port
-- changes, so clients name it "emulator" (ls.site), not by its address.
-- Returns the emulator, or nil and a message.
local function use_emulator(speed, state)
  local emulator = require "livestation.emulator"
  local client = load_client()
  if state == nil or state == "" then state = os.getenv("LIVESTATION_STATE") end
  local emu = emulator.new { speed = speed, state = state and state ~= "" and (state .. ".emulator") or nil }
  local url, err = emu:start { host = "127.0.0.1", port = 0 }
  if not url then return nil, "--emulator: " .. tostring(err) end
  -- the emulator serves the script for as long as the script has work
  -- (tasks, jobs, webhooks); it does not itself keep lsrun running
  emu:unref()
  client.defaults.endpoint = url
  client.defaults.access_key = emulator.DEFAULT_ACCESS_KEY
  client.defaults.secret_key = emulator.DEFAULT_SECRET_KEY
  client.defaults.region = "KR"
  client.defaults.site = "emulator"
  return emu
end

local function report_task_error(id, trace)
  io.stderr:write("lsrun: ", trace, "\n")
  io.stderr:flush()
end

local Plan = {}
Plan.__index = Plan

-- A plan for lsrun.c. o: the options (emulator, speed, state, grace);
-- task: a function to run as the main task instead of a script.
local function plan_of(o, fields)
  fields.o = o
  return setmetatable(fields, Plan)
end

-- Before the loop: the emulator (with --emulator), the state file, the
-- signal handlers and systemd's notifications (service.lua), the status
-- server (--status). Returns nil, or the exit status when the host cannot
-- start.
function Plan:start()
  local o = self.o
  if o.emulator then
    local emu, err = use_emulator(o.speed, o.state)
    if not emu then
      io.stderr:write("lsrun: ", err, "\n")
      return 2
    end
    self.emu = emu
  end
  local service = require "livestation.schedule.service"
  local ok, err = pcall(service.start, { state = o.state, grace = o.grace })
  if not ok then
    io.stderr:write("lsrun: ", tostring(err), "\n")
    return 2
  end
  local address = o.status or os.getenv("LIVESTATION_STATUS")
  if address and address ~= "" then
    self.status_server, err = require("livestation.status").start { address = address,
      token = os.getenv("LIVESTATION_STATUS_TOKEN") }
    if not self.status_server then
      io.stderr:write("lsrun: ", tostring(err), "\n")
      return 2
    end
  end
  core.set_error_handler(report_task_error)
  if self.task then core.spawn(self.task) end
  return nil
end

-- After the loop: failed is the number of tasks that failed. Returns the
-- exit status: 1 when a task, a job run or an event handler failed.
function Plan:finish(failed)
  if self.emu then self.emu:stop() end
  if self.status_server then self.status_server:close() end
  local service = require "livestation.schedule.service"
  local failures, kept = service.finish()
  local by_signal = service.signal_status()
  if by_signal then
    -- stopped by SIGINT/SIGTERM: 130/143 as shells expect, and how to go on
    if kept then
      -- a database URL's password is shown as ***, never in full
      local redact = require("livestation.schedule.store_pg").redact_url
      local words = { "lsrun" }
      for _, a in ipairs(self.o.argv or {}) do
        a = redact(a)
        words[#words + 1] = a:match("^[%w%-_./=:,@+]+$") and a or "'" .. a:gsub("'", "'\\''") .. "'"
      end
      io.stderr:write("lsrun: stopped by SIG", service.signalled(), "; its state is kept in ",
        redact(kept), "; to resume, run again: ", table.concat(words, " "), "\n")
    end
    return by_signal
  end
  local status = (failed > 0 or failures > 0) and 1 or 0
  if self.status then return status ~= 0 and self.status == 0 and status or self.status end
  return status
end

local function parse_options(argv)
  local o = { i = 1 }
  while o.i <= #argv do
    local a = argv[o.i]
    if a == "--emulator" then o.emulator = true
    elseif a == "--dry-run" then o.dry_run = true
    elseif a == "--speed" then
      o.i = o.i + 1
      o.speed = tonumber(argv[o.i])
      if not o.speed or o.speed <= 0 then return nil, "--speed needs a positive number" end
    elseif a == "--state" then
      o.i = o.i + 1
      o.state = argv[o.i]
      if not o.state then return nil, "--state needs a file" end
    elseif a == "--grace" then
      o.i = o.i + 1
      o.grace = tonumber(argv[o.i])
      if not o.grace or o.grace < 0 then return nil, "--grace needs a number of seconds" end
    elseif a == "--status" then
      o.i = o.i + 1
      o.status = argv[o.i]
      if not o.status then return nil, "--status needs HOST:PORT" end
    elseif a == "--log-format" then
      o.i = o.i + 1
      o.log_format = argv[o.i]
      if not o.log_format then return nil, "--log-format needs text or json" end
    elseif a == "-v" then o.log = "info"
    elseif a == "--log" then
      o.i = o.i + 1
      o.log = argv[o.i]
      if not o.log then return nil, "--log needs a level" end
    elseif a == "--version" then o.version = true
    elseif a == "--help" or a == "-h" then o.help = true
    elseif a == "-e" then
      o.i = o.i + 1
      o.code = argv[o.i]
      if not o.code then return nil, "-e needs a chunk of code" end
      o.i = o.i + 1
      return o
    elseif a == "--" then
      o.i = o.i + 1
      return o
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return nil, "unknown option " .. a
    else
      return o
    end
    o.i = o.i + 1
  end
  return o
end

local COMMANDS = { call = true, ops = true, help = true, emulator = true, jobs = true, steps = true }

function M.main(argv)
  local o, err = parse_options(argv)
  if not o then return usage_error(err) end
  o.argv = argv
  if o.help then io.stdout:write(M.USAGE) return 0 end
  if o.version then io.stdout:write("lsrun ", core.version, "\n") return 0 end
  if o.log then
    local ok = pcall(load_log().set_level, o.log)
    if not ok then return usage_error("unknown log level '" .. o.log .. "'") end
  end
  if o.log_format then
    local ok = pcall(load_log().set_format, o.log_format)
    if not ok then return usage_error("unknown log format '" .. o.log_format .. "' (text or json)") end
  end
  local rest = { table.unpack(argv, o.i) }
  local cmd = not o.code and rest[1]
  if cmd and COMMANDS[cmd] and not rest[1]:find("[/.]") then
    table.remove(rest, 1)
    local operations = require "lsrun.operations"
    -- "lsrun help channel.get channel.list" would show one and drop one
    if (cmd == "ops" and rest[1]) or (cmd == "help" and rest[2]) then
      return usage_error(cmd .. ": unexpected argument '" .. rest[cmd == "ops" and 1 or 2] .. "'")
    end
    if cmd == "ops" then return operations.list(io.stdout) end
    if cmd == "help" and not rest[1] then io.stdout:write(M.USAGE) return 0 end
    if cmd == "help" then return operations.help(rest[1], io.stdout, io.stderr) end
    if cmd == "emulator" then return require("lsrun.emulator").main(rest) end
    if cmd == "jobs" or cmd == "steps" then
      if o.state then
        table.insert(rest, 1, o.state)
        table.insert(rest, 1, "--state")
      end
      return require("lsrun." .. cmd).main(rest)
    end
    if o.dry_run then use_dry_run() end
    local plan = plan_of(o, { status = 2 })
    plan.task = function()
      plan.status = operations.call(function() return load_client().new {} end, rest, io.stdout, io.stderr)
    end
    return plan
  end
  if o.dry_run then use_dry_run() end
  if o.code then
    _G.arg = { [0] = "(command line)", table.unpack(rest) }
    return plan_of(o, { code = o.code })
  end
  if not rest[1] then return usage_error("no script given") end
  -- "lsrun job": a command mistyped, not a script that is missing
  local word = rest[1]
  local file = not word:find("[/.]") and io.open(word, "r")
  if file then file:close() end
  if not word:find("[/.]") and not file then
    local names = {}
    for name in pairs(COMMANDS) do names[#names + 1] = name end
    table.sort(names)
    local near = require("livestation.spelling").closest(word, names, 2)
    if near then
      return usage_error(string.format("no command or script '%s'; did you mean the command '%s'?", word, near))
    end
  end
  return plan_of(o, { script = rest[1], args = { table.unpack(rest, 2) } })
end

return M
