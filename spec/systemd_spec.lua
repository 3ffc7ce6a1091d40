-- lsrun under systemd (Type=notify): READY=1 once the loop turns,
-- WATCHDOG=1 from the loop, STOPPING=1 at the end, against a stand-in
-- notify socket (build/notify_sink). A loop wedged by Lua that never
-- yields stops the pings: that is what lets systemd restart it.

local wf = require "helpers.workflow"

-- Starts the sink on name (a path, or "@name" for the abstract
-- namespace); returns its process once it listens.
local function sink(dir, name, seconds)
  local p = wf.spawn(dir, "sink", "build/notify_sink " .. wf.quote(name) .. " " .. (seconds or 20))
  assert(p:wait_line("^bound$", 10), "the sink did not bind: " .. p:stderr())
  return p
end

-- The sink's datagrams: { {ms = n, msg = "READY=1|STATUS=running"}, ... }
local function messages(p)
  local out = {}
  for ms, msg in p:stdout():gmatch("(%d+) ([^\n]*)\n") do out[#out + 1] = { ms = tonumber(ms), msg = msg } end
  return out
end

local function pings(list)
  local out = {}
  for _, m in ipairs(list) do
    if m.msg:find("WATCHDOG=1", 1, true) then out[#out + 1] = m.ms end
  end
  return out
end

-- Runs for 1 s, wedges the loop for 1.5 s in Lua that never yields, then
-- runs 1 s more.
local WEDGE = [[
local l = require "livestation"
l.sleep(1)
local t = l.now() + 1.5
while l.now() < t do end
l.sleep(1)
]]

describe("lsrun and systemd's notify socket", function()
  after_each(function() wf.cleanup() end)

  it("says READY=1, pings the watchdog from the loop, stops pinging while it is wedged, says STOPPING=1", function()
    local dir = wf.tmpdir()
    local socket = dir .. "/notify"
    local s = sink(dir, socket)
    local script = wf.write(dir .. "/wedge.lua", WEDGE)
    local p = wf.spawn(dir, "lsrun", "./lsrun " .. wf.quote(script),
      { NOTIFY_SOCKET = socket, WATCHDOG_USEC = "200000" })
    assert.equal(0, p:wait(20), p:stderr())
    assert.is_truthy(s:wait(10))
    local list = messages(s)
    assert.matches("^READY=1", list[1].msg)
    assert.matches("STOPPING=1", list[#list].msg)
    local ms = pings(list)
    -- 3.5 s at one ping per 0.1 s, less the wedge (a loaded machine may
    -- lose a few)
    assert.is_true(#ms >= 8, "pings: " .. #ms)
    local widest, before, after = 0, 0, 0
    for i = 2, #ms do
      local gap = ms[i] - ms[i - 1]
      if gap > widest then widest, before, after = gap, i - 1, #ms - i + 1 end
    end
    assert.is_true(widest >= 1300, "the widest gap between pings was " .. widest .. " ms")
    assert.is_true(before >= 3 and after >= 3, string.format("pings before %d, after %d", before, after))
    -- outside the wedge the pings come about every 0.1 s, well inside the
    -- 0.2 s watchdog on an idle machine; here only far from the wedge's gap
    for i = 2, before do assert.is_true(ms[i] - ms[i - 1] <= 1000, "gap " .. (ms[i] - ms[i - 1])) end
  end)

  it("says STOPPING=1 as soon as SIGTERM asks it to stop", function()
    local dir = wf.tmpdir()
    local socket = dir .. "/notify"
    local s = sink(dir, socket)
    local p = wf.spawn(dir, "lsrun", "./lsrun --grace 1 -e 'local l = require \"livestation\" " ..
      "l.every(60, function() end) print(\"up\") io.stdout:flush() l.sleep(30)'", { NOTIFY_SOCKET = socket })
    assert(p:wait_line("^up$", 10))
    assert(wf.wait_for(function() return s:stdout():find("READY=1", 1, true) end, 10))
    p:kill("TERM")
    assert.is_truthy(s:wait(10))
    local list = messages(s)
    assert.matches("STOPPING=1", list[#list].msg)
  end)

  it("speaks to an abstract socket ('@' name)", function()
    local dir = wf.tmpdir()
    local name = "@livestation-spec-" .. tostring(os.time()) .. "-" .. tostring(math.random(1e9))
    local s = sink(dir, name)
    local p = wf.spawn(dir, "lsrun", "./lsrun -e 'require(\"livestation\").sleep(0.3)'",
      { NOTIFY_SOCKET = name, WATCHDOG_USEC = "100000" })
    assert.equal(0, p:wait(20), p:stderr())
    assert.is_truthy(s:wait(10))
    local list = messages(s)
    assert.matches("^READY=1", list[1].msg)
    assert.is_true(#pings(list) >= 2)
    assert.matches("STOPPING=1", list[#list].msg)
  end)

  it("does not ping for another process (WATCHDOG_PID), and sends nothing without NOTIFY_SOCKET", function()
    local dir = wf.tmpdir()
    local socket = dir .. "/notify"
    local s = sink(dir, socket)
    local p = wf.spawn(dir, "lsrun", "./lsrun -e 'require(\"livestation\").sleep(0.5)'",
      { NOTIFY_SOCKET = socket, WATCHDOG_USEC = "100000", WATCHDOG_PID = "1" })
    assert.equal(0, p:wait(20), p:stderr())
    assert.is_truthy(s:wait(10))
    local list = messages(s)
    assert.matches("^READY=1", list[1].msg)
    assert.equal(0, #pings(list))
    -- without NOTIFY_SOCKET: the same run, no datagram, no complaint
    local s2 = wf.spawn(dir, "sink2", "build/notify_sink " .. wf.quote(dir .. "/n2") .. " 2")
    assert(s2:wait_line("^bound$", 10))
    local p2 = wf.spawn(dir, "plain", "./lsrun -e 'require(\"livestation\").sleep(0.3)'",
      { WATCHDOG_USEC = "100000" })
    assert.equal(0, p2:wait(20))
    assert.equal("", p2:stderr())
    assert.is_truthy(s2:wait(10))
    assert.equal("bound\n", s2:stdout())
  end)

  it("names a notify socket it cannot reach, once, and runs on", function()
    local dir = wf.tmpdir()
    local p = wf.spawn(dir, "lsrun", "./lsrun -e 'require(\"livestation\").sleep(0.5)'",
      { NOTIFY_SOCKET = dir .. "/nobody-listens", WATCHDOG_USEC = "100000" })
    assert.equal(0, p:wait(20))
    local err = p:stderr()
    local _, n = err:gsub("systemd notify failed", "")
    assert.equal(1, n, err)
  end)
end)

describe("the example systemd unit", function()
  local unit = wf.slurp("dist/systemd/lsrun@.service")

  local function setting(name)
    return unit:match("\n" .. name .. "=([^\n]*)")
  end

  it("asks for notify and a watchdog, restarts on failure, serves the status on loopback", function()
    assert.equal("notify", setting("Type"))
    assert.matches("^%d+s$", setting("WatchdogSec"))
    assert.equal("on-failure", setting("Restart")) -- a watchdog timeout is a failure
    assert.equal("main", setting("NotifyAccess"))
    assert.equal("LIVESTATION_STATUS=127.0.0.1:9101", unit:match("\nEnvironment=(LIVESTATION_STATUS=[^\n]*)"))
  end)

  it("its command line, started as systemd starts it, says READY, pings and serves /healthz", function()
    local dir = wf.tmpdir()
    local s = sink(dir, dir .. "/notify")
    wf.write(dir .. "/demo.lua", "local l = require 'livestation'\n" ..
      "local job = l.every(0.1, function() end, { name = 'tick' })\nl.sleep(1.5)\njob.cancel()\n")
    local exec = setting("ExecStart"):gsub("%%i", "demo")
      :gsub("/usr/local/bin/lsrun", "./lsrun"):gsub("/var/lib/livestation/demo", dir)
      :gsub("/etc/livestation/", dir .. "/")
    local env = { NOTIFY_SOCKET = dir .. "/notify", LIVESTATION_LOG = "info",
      -- systemd passes half of nothing: WATCHDOG_USEC is WatchdogSec= in microseconds
      WATCHDOG_USEC = tostring(math.tointeger(tonumber(setting("WatchdogSec"):match("%d+")) * 1000000)),
      LIVESTATION_STATUS = "127.0.0.1:0" } -- as NAME.env may override; tests take any free port
    local p = wf.spawn(dir, "unit", exec, env)
    local url = wf.wait_for(function() return p:stderr():match("status server listening url=(http://[%d.:]+)") end, 15)
    assert(url, p:stderr())
    local resp = require("livestation.core").http_request { url = url .. "/healthz", timeout = 10 }
    assert.equal(200, resp.status)
    assert.equal(0, p:wait(20), p:stderr())
    assert.is_truthy(s:wait(10))
    local list = messages(s)
    assert.matches("^READY=1", list[1].msg)
    assert.is_true(#pings(list) >= 1)
    assert.matches("STOPPING=1", list[#list].msg)
  end)
end)
