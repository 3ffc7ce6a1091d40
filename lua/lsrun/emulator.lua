-- `lsrun emulator`: serves the local Live Station on its own. Prints the
-- base URL as the first line of standard output, logs a line per request
-- on stderr, and stops cleanly on SIGTERM or SIGINT. main returns an exit
-- status, or a plan (host.lua) for lsrun.c to run the loop.

local core = require "livestation.core"

local M = {}

local USAGE = [==[
usage: lsrun emulator [--host 127.0.0.1] [--port N] [--access-key K] [--secret-key S]
                      [--speed F] [--state FILE] [--lenient-signature] [--strict]
                      [--throttle RPS[/BURST]] [--day-quota N] [--seed FILE]
                      [--record FILE] [--env] [--quiet]
]==]

local function usage_error(msg)
  io.stderr:write("lsrun emulator: ", msg, "\n", USAGE)
  return 2
end

local OPTIONS = {
  ["--host"] = "host", ["--port"] = "port", ["--access-key"] = "access_key",
  ["--secret-key"] = "secret_key", ["--speed"] = "speed", ["--state"] = "state",
  ["--throttle"] = "throttle", ["--day-quota"] = "day_quota", ["--seed"] = "seed", ["--record"] = "record",
}

function M.parse(args)
  local o = { host = "127.0.0.1", port = "0" }
  local i = 1
  while i <= #args do
    local a = args[i]
    local name, inline = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if name == "--help" or name == "-h" then
      o.help = true
    elseif name == "--lenient-signature" then
      o.lenient_signature = true
    elseif name == "--strict" then
      o.strict = true
    elseif name == "--quiet" then
      o.quiet = true
    elseif name == "--env" then
      o.env = true
    elseif OPTIONS[name] then
      local v = inline
      if v == nil then
        i = i + 1
        v = args[i]
      end
      if v == nil then return nil, name .. " needs a value" end
      o[OPTIONS[name]] = v
    else
      return nil, "unknown option " .. a
    end
    i = i + 1
  end
  local port = math.tointeger(tonumber(o.port))
  if not port or port < 0 or port > 65535 then return nil, "--port must be 0..65535" end
  o.port = port
  if o.speed ~= nil then
    local s = tonumber(o.speed)
    if not s or s <= 0 then return nil, "--speed must be a positive number" end
    o.speed = s
  end
  if o.throttle ~= nil or o.day_quota ~= nil then
    local t = {}
    if o.throttle ~= nil then
      local rps, burst = o.throttle:match("^([%d.]+)/?(%d*)$")
      t.rps = tonumber(rps)
      if not t.rps then return nil, "--throttle: RPS or RPS/BURST, e.g. 10 or 10/20" end
      t.burst = burst ~= "" and math.tointeger(tonumber(burst)) or nil
    end
    if o.day_quota ~= nil then t.day_quota = math.tointeger(tonumber(o.day_quota)) or -1 end
    local ok, terr = require("livestation.emulator.throttle").config(t)
    if not ok then return nil, terr end
    o.throttle = t
  end
  return o
end

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- The shell lines that point our tools and NCP SDKs at the emulator
-- (COMMON.md §d: the variables each of them reads).
function M.env_lines(url, access_key, secret_key, region)
  local vars = {
    { "LIVESTATION_ENDPOINT", url }, { "NCLOUD_API_GW", url },
    { "NCLOUD_ACCESS_KEY_ID", access_key }, { "NCLOUD_SECRET_ACCESS_KEY", secret_key },
    { "NCLOUD_ACCESS_KEY", access_key }, { "NCLOUD_SECRET_KEY", secret_key },
    { "NCLOUD_REGION", region or "KR" },
  }
  local lines = {}
  for i, v in ipairs(vars) do lines[i] = "export " .. v[1] .. "=" .. sh_quote(v[2]) end
  return table.concat(lines, "\n") .. "\n"
end

function M.main(args)
  local o, err = M.parse(args)
  if not o then return usage_error(err) end
  if o.help then io.stdout:write(USAGE) return 0 end
  local emulator = require "livestation.emulator"
  local emu = emulator.new {
    access_key = o.access_key, secret_key = o.secret_key, speed = o.speed, state = o.state,
    lenient_signature = o.lenient_signature, strict = o.strict, throttle = o.throttle,
    seed = o.seed, record = o.record,
    log = not o.quiet and function(line) io.stderr:write(line, "\n") end or nil,
  }
  local url, serr = emu:start { host = o.host, port = o.port }
  if not url then
    io.stderr:write("lsrun emulator: ", tostring(serr), "\n")
    return 1
  end
  if o.env then
    io.stdout:write(M.env_lines(url, o.access_key or emulator.DEFAULT_ACCESS_KEY,
      o.secret_key or emulator.DEFAULT_SECRET_KEY))
  else
    io.stdout:write(url, "\n")
  end
  io.stdout:flush()
  local function stop(name)
    io.stderr:write("lsrun emulator: SIG", name, ", stopping\n")
    emu:stop()
  end
  local term = core.on_signal("TERM", stop)
  local int = core.on_signal("INT", stop)
  -- lsrun.c runs the loop while the emulator serves
  return {
    start = function() return nil end,
    finish = function()
      term:close()
      int:close()
      return 0
    end,
  }
end

return M
