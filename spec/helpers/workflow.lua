-- Helpers for the workflow specs: the emulator and the scripts run as
-- child processes (`lsrun emulator`, `lsrun SCRIPT CONFIG`), so a spec can
-- kill -9 a script and start it again; their output is read from files,
-- the world from the API and /_emulator/state, and the script's own state
-- file (SQLite) to pick the moment of a kill.

local core = require "livestation.core"
local json = require "livestation.json"
local emulator = require "livestation.emulator"

local M = {}

M.ACCESS_KEY = emulator.DEFAULT_ACCESS_KEY
M.SECRET_KEY = emulator.DEFAULT_SECRET_KEY

local made = {}     -- temporary directories
local children = {} -- processes still to stop

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
M.quote = q

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end
M.slurp = slurp

-- A fresh temporary directory (removed by cleanup).
function M.tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir)))
  made[#made + 1] = dir
  return dir
end

function M.write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

-- Waits (running the loop) until pred() is true; false after timeout s.
function M.wait_for(pred, timeout)
  local deadline = core.monotonic() + (timeout or 10)
  while true do
    local v = pred()
    if v then return v end
    if core.monotonic() > deadline then return false end
    core.sleep(0.05)
  end
end

---------------------------------------------------------------- processes

local Proc = {}
Proc.__index = Proc

-- Starts argv (a shell-quoted command) in the background with env;
-- stdout and stderr go to files in dir.
function M.spawn(dir, tag, command, env)
  local p = setmetatable({ out = dir .. "/" .. tag .. ".out", err = dir .. "/" .. tag .. ".err",
    pidfile = dir .. "/" .. tag .. ".pid", rcfile = dir .. "/" .. tag .. ".rc" }, Proc)
  for _, f in ipairs { p.out, p.err, p.pidfile, p.rcfile } do os.remove(f) end
  local prefix = "env -u NCLOUD_ACCESS_KEY -u NCLOUD_SECRET_KEY -u NCLOUD_PROFILE -u LIVESTATION_LOG "
    .. "-u LIVESTATION_STATE HOME=/nonexistent TZ=UTC "
  for k, v in pairs(env or {}) do prefix = prefix .. k .. "=" .. q(v) .. " " end
  local cmd = string.format("(%s%s >%s 2>%s </dev/null & echo $! >%s; wait $!; echo $? >%s) >/dev/null 2>&1 &",
    prefix, command, q(p.out), q(p.err), q(p.pidfile), q(p.rcfile))
  assert(os.execute(cmd))
  assert(M.wait_for(function() return slurp(p.pidfile):match("%d+") end, 10), "no pid for " .. tag)
  p.pid = tonumber(slurp(p.pidfile):match("%d+"))
  children[#children + 1] = p
  return p
end

function Proc:stdout() return slurp(self.out) end
function Proc:stderr() return slurp(self.err) end

-- The exit status once the process ended, else nil.
function Proc:status()
  local rc = slurp(self.rcfile):match("%d+")
  return rc and tonumber(rc)
end

-- Waits for the end; returns the exit status (nil on timeout).
function Proc:wait(timeout)
  local ok = M.wait_for(function() return self:status() ~= nil end, timeout or 30)
  return ok and self:status() or nil
end

-- Waits until stdout has a line matching pattern; returns the line.
function Proc:wait_line(pattern, timeout)
  return M.wait_for(function()
    for line in self:stdout():gmatch("[^\n]+") do
      if line:find(pattern) then return line end
    end
    return self:status() ~= nil and false or nil
  end, timeout or 20)
end

function Proc:kill(signal)
  if self:status() == nil then os.execute("kill -" .. (signal or "9") .. " " .. self.pid .. " 2>/dev/null") end
  self:wait(10)
end

-- Stops every child still running and removes the temporary files.
function M.cleanup()
  for _, p in ipairs(children) do p:kill() end
  children = {}
  for _, dir in ipairs(made) do os.execute("rm -rf " .. q(dir)) end
  made = {}
end

---------------------------------------------------------------- emulator

-- Starts `lsrun emulator` with a state file; returns {url, proc, dir}.
function M.emulator(speed)
  local dir = M.tmpdir()
  local proc = M.spawn(dir, "emulator", "./lsrun emulator --port 0 --state " .. q(dir .. "/emulator.db")
    .. " --speed " .. tostring(speed or 5))
  local url = M.wait_for(function() return proc:stdout():match("^(http://[^\n]+)\n") end, 10)
  assert(url, "the emulator did not start: " .. proc:stderr())
  return { url = url, proc = proc, dir = dir }
end

-- The API client of the emulator, for checks.
function M.client(emu)
  return require("livestation").new { endpoint = emu.url, access_key = M.ACCESS_KEY,
    secret_key = M.SECRET_KEY, region = "KR", backoff = 0.01 }
end

-- The control API: decoded answer.
function M.control(emu, method, path, body)
  local resp = assert(core.http_request { method = method, url = emu.url .. "/_emulator/" .. path,
    body = body and json.encode(body), headers = { ["Content-Type"] = "application/json" }, timeout = 10 })
  return json.decode(resp.body ~= "" and resp.body or "{}"), resp.status
end

function M.world(emu)
  return (M.control(emu, "GET", "state"))
end

-- How many requests for operation op the emulator answered with status.
function M.requests(emu, op, status)
  local n = 0
  for line in emu.proc:stderr():gmatch("[^\n]+") do
    local st, id = line:match(" (%d%d%d) (%S+) [%d.]+ms$")
    if id == op and (status == nil or tonumber(st) == status) then n = n + 1 end
  end
  return n
end

-- Objects of a world bucket for which pred(obj) is true.
function M.select(list, pred)
  local out = {}
  for _, x in ipairs(list or {}) do
    if pred(x) then out[#out + 1] = x end
  end
  return out
end

---------------------------------------------------------------- scripts

-- Runs `lsrun SCRIPT CONFIG` against emu with its own state file.
function M.script(emu, dir, tag, script, config_path)
  return M.spawn(dir, tag, "./lsrun " .. q(script) .. " " .. q(config_path), {
    LIVESTATION_ENDPOINT = emu.url, NCLOUD_ACCESS_KEY_ID = M.ACCESS_KEY,
    NCLOUD_SECRET_ACCESS_KEY = M.SECRET_KEY, LIVESTATION_STATE = dir .. "/state.db",
  })
end

-- Values in the script's state file whose key matches the Lua pattern.
function M.state_values(dir, key_pattern)
  local f = io.open(dir .. "/state.db")
  if not f then return {} end
  f:close()
  local db = core.sqlite_open(dir .. "/state.db")
  if not db then return {} end
  local rows = db:query("SELECT key, value FROM kv") or {}
  db:close()
  local out = {}
  for _, r in ipairs(rows) do
    if r.key:find(key_pattern) then out[r.key] = json.decode(r.value) end
  end
  return out
end

-- A live channel made through the API, READY (for scripts that watch one).
function M.live_channel(emu, name)
  local ls = M.client(emu)
  local ch = assert(ls:call("channel.create", {
    channelName = name, qualitySetId = 1, useDvr = true, timemachineMin = 360, immediateOnAir = true,
    cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" },
    record = { type = "MANUAL_UPLOAD" },
  }))
  return assert(ls:wait("channel_ready", { channelId = ch.channelId }, { interval = 0.2, timeout = 20 }))
end

-- text as a Lua pattern that matches it literally.
function M.esc(text)
  return (text:gsub("%p", "%%%0"))
end

-- Lines of text matching a Lua pattern.
function M.lines(text, pattern)
  local out = {}
  for line in text:gmatch("[^\n]+") do
    if line:find(pattern) then out[#out + 1] = line end
  end
  return out
end

return M
