-- lsrun as people run it: scripts, -e, exit statuses, the call/ops/help
-- commands, --dry-run, and a debug run whose whole output must not hold
-- the secret key. The gateway runs as a process of its own.

local json = require "livestation.json"
local gateway = require "helpers.gateway"

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function tmp()
  return os.tmpname()
end

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- run(args, env) -> status, stdout, stderr
local function run(args, env)
  local out, err = tmp(), tmp()
  local prefix = "env -u NCLOUD_ACCESS_KEY_ID -u NCLOUD_SECRET_ACCESS_KEY -u NCLOUD_ACCESS_KEY " ..
    "-u NCLOUD_SECRET_KEY -u LIVESTATION_ENDPOINT -u LIVESTATION_LOG HOME=/nonexistent "
  for k, v in pairs(env or {}) do prefix = prefix .. k .. "=" .. sh_quote(v) .. " " end
  local ok, _, code = os.execute(prefix .. "./lsrun " .. args .. " >" .. out .. " 2>" .. err .. " </dev/null")
  local o, e = slurp(out), slurp(err)
  os.remove(out)
  os.remove(err)
  return ok and 0 or code, o, e
end

local function write_script(text)
  local path = tmp() .. ".lua"
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

describe("lsrun", function()
  it("prints its version and help", function()
    local status, out = run("--version")
    assert.equal(0, status)
    assert.matches("^lsrun %d+%.%d+%.%d+\n$", out)
    status, out = run("--help")
    assert.equal(0, status)
    assert.matches("usage: lsrun", out)
    -- the emulator's many options are its own help's; this one points there
    assert.matches("lsrun emulator %[%-%-port N%] %[%.%.%.%] +serve a local Live Station %(lsrun emulator %-%-help%)", out)
    status, out = run("emulator --help")
    assert.equal(0, status)
    assert.matches("%-%-lenient%-signature", out)
    -- jobs and steps: the arguments lsrun --help shows are those each command's own usage shows
    local _, help = run("--help")
    for _, cmd in ipairs { "jobs", "steps" } do
      local _, _, err = run(cmd .. " --bogus")
      local own = assert(err:match("usage: lsrun " .. cmd .. " ([^\n]+)"))
      assert.truthy(help:find("lsrun " .. cmd .. " " .. own .. "  ", 1, true), cmd .. ": " .. own)
    end
  end)

  it("exits 2 on a usage error", function()
    local status, _, err = run("--bogus")
    assert.equal(2, status)
    assert.matches("lsrun: unknown option %-%-bogus", err)
    status = run("")
    assert.equal(2, status)
  end)

  it("runs a script with its arguments in arg and ...", function()
    local path = tmp() .. ".lua"
    local f = assert(io.open(path, "w"))
    f:write(string.format([[
      local a, b = ...
      io.write(arg[0] == %q and "ok " or "no ", arg[1], " ", b, " ", #arg, "\n")
    ]], path))
    f:close()
    local status, out = run(path .. " one two")
    assert.equal(0, status)
    assert.equal("ok one two 2\n", out)
    os.remove(path)
  end)

  it("runs -e code, with tasks", function()
    local status, out = run([[-e "local l = require 'livestation'
      local t = l.spawn(function() l.sleep(0.01) return 5 end)
      print(select(2, t:join()))"]])
    assert.equal(0, status)
    assert.equal("5\n", out)
  end)

  -- the fast start: what -e '' holds, and libcurl opened by the first
  -- transfer (the figures are in make bench)
  it("starts without libcurl, libpq, the operation table or the scheduler", function()
    local script = write_script([[
      local core = require "livestation.core"
      local function maps() local f = io.open("/proc/self/maps") local s = f:read("a") f:close() return s end
      print(maps():find("libcurl", 1, true) and "curl at start" or "no curl at start",
        maps():find("libpq", 1, true) and "pq at start" or "no pq at start")
      print(package.loaded["livestation.catalogue"] and "table" or "no table",
        package.loaded["livestation.schedule"] and "scheduler" or "no scheduler")
      local srv = assert(core.http_server { port = 0, handler = function() return 200, {}, "hi" end })
      local resp = assert(core.http_request { method = "GET", url = srv:url() .. "/", timeout = 5 })
      srv:close()
      print(resp.status, resp.body, maps():find("libcurl", 1, true) and "curl after" or "no curl after")
    ]])
    local status, out, err = run(script)
    os.remove(script)
    assert.equal(0, status, err)
    assert.equal("no curl at start\tno pq at start\nno table\tno scheduler\n200\thi\tcurl after\n", out)
  end)

  it("exits 1 with the message and a traceback when the script fails", function()
    local path = write_script("local function f() error('broken on purpose') end\nf()\n")
    local status, _, err = run(path)
    assert.equal(1, status)
    assert.matches("lsrun: .*broken on purpose", err)
    assert.matches("stack traceback", err)
    os.remove(path)
  end)

  it("exits 1 when a script cannot be loaded", function()
    local status, _, err = run("/nonexistent/script.lua")
    assert.equal(1, status)
    assert.matches("cannot open", err)
    local path = write_script("x = = 1")
    status, _, err = run(path)
    assert.equal(1, status)
    assert.matches("lsrun: ", err)
    os.remove(path)
  end)

  it("lists the operations by group", function()
    local status, out = run("ops")
    assert.equal(0, status)
    local n = 0
    for line in out:gmatch("[^\n]+") do
      if line:match("^  %S+%s+[A-Z]+%s+/api/v2/") then n = n + 1 end
    end
    assert.equal(71, n)
    assert.matches("\nchannel\n", "\n" .. out)
    assert.matches("vod%.schedule%.create%s+POST%s+/api/v2/vod/schedule", out)
  end)

  it("shows an operation's parameters", function()
    local status, out = run("help channel.create")
    assert.equal(0, status)
    assert.matches("POST /api/v2/channels", out)
    assert.matches("channelName%s+string%s+body%s+required%s+length 3..20", out)
    assert.matches("cdn%.profileId%s+integer%s+body%s+required", out)
    assert.matches("timemachineMin%s+integer%s+body%s+conditional", out)
    status = run("help channel.nope")
    assert.equal(2, status)
  end)

  -- usage and "did you mean" for a missing or mistyped operation
  it("suggests the command a mistyped word was meant to be, when no such script exists", function()
    local status, out, err = run("job")
    assert.equal(2, status)
    assert.equal("", out)
    assert.matches("^lsrun: no command or script 'job'; did you mean the command 'jobs'%?\n", err)
    status, _, err = run("emulater")
    assert.equal(2, status)
    assert.matches("did you mean the command 'emulator'%?", err)
    -- a real file of that name is a script, and a far word stays a missing script
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir))
    local f = assert(io.open(dir .. "/job", "w"))
    f:write('print("the job script")\n')
    f:close()
    local o = tmp()
    local pwd = io.popen("pwd")
    local here = pwd:read("l")
    pwd:close()
    local ok = os.execute("cd " .. dir .. " && " .. here .. "/lsrun job >" .. o .. " 2>&1")
    local printed = slurp(o)
    os.remove(o)
    os.execute("rm -rf " .. dir)
    assert.is_true(ok)
    assert.equal("the job script\n", printed)
    status, _, err = run("nothing_like_it")
    assert.equal(1, status)
    assert.matches("cannot open nothing_like_it", err)
  end)

  it("ops and help refuse words they would ignore", function()
    local status, out, err = run("ops channel")
    assert.equal(2, status)
    assert.equal("", out)
    assert.matches("^lsrun: ops: unexpected argument 'channel'\n", err)
    status, out, err = run("help channel.get channel.list")
    assert.equal(2, status)
    assert.equal("", out)
    assert.matches("^lsrun: help: unexpected argument 'channel.list'\n", err)
  end)

  it("help: prints the usage when no operation is given", function()
    local status, out = run("help")
    assert.equal(0, status)
    assert.matches("^usage: lsrun", out)
    assert.matches("lsrun help OP", out)
  end)

  it("help: suggests the operation a mistyped id was meant to be", function()
    local status, out, err = run("help shortclp.create")
    assert.equal(2, status)
    assert.equal("", out)
    assert.equal("lsrun help: unknown operation 'shortclp.create'; did you mean 'shortclip.create'? " ..
      "(lsrun ops lists them)\n", err)
    status, _, err = run("help zzzzzzzzzz")
    assert.equal(2, status)
    assert.equal("lsrun help: unknown operation 'zzzzzzzzzz' (lsrun ops lists them)\n", err)
  end)

  it("call: asks which operation, with the usage, when none is given", function()
    local status, out, err = run("call")
    assert.equal(2, status)
    assert.equal("", out)
    assert.matches("^lsrun call: which operation%? %(lsrun ops lists them%)\nusage: lsrun %[options%] call OP", err)
    assert.is_nil(err:find("nil", 1, true))
  end)

  it("call: prints its usage for --help", function()
    local status, out = run("call --help")
    assert.equal(0, status)
    assert.matches("^usage: lsrun %[options%] call OP %[name=value %.%.%.%] %[%-%-body JSON%]", out)
  end)

  it("call: suggests the operation a mistyped id was meant to be, and sends nothing", function()
    local status, out, err = run("--dry-run call chanel.get channelId=ls-1")
    assert.equal(2, status)
    assert.equal("", out)
    assert.equal("lsrun call: unknown operation 'chanel.get'; did you mean 'channel.get'? (lsrun ops lists them)\n", err)
  end)

  it("call: says so when nothing comes close", function()
    local status, _, err = run("call " .. sh_quote("nothing.like.it.at.all"))
    assert.equal(2, status)
    assert.equal("lsrun call: unknown operation 'nothing.like.it.at.all' (lsrun ops lists them)\n", err)
  end)

  it("prints what it would send with --dry-run, and sends nothing", function()
    local status, out = run("--dry-run call channel.get channelId=ls-20240101000000-AbCdE",
      { LIVESTATION_ENDPOINT = "http://127.0.0.1:1" })
    assert.equal(0, status)
    assert.matches("GET http://127.0.0.1:1/api/v2/channels/ls%-20240101000000%-AbCdE\n", out)
    assert.matches("x%-ncp%-apigw%-signature%-v2: ", out)
    assert.matches("Content%-Type: application/json", out)
  end)

  it("rejects bad values for call before sending anything", function()
    local status, _, err = run("call channel.list pageNo=abc")
    assert.equal(2, status)
    assert.matches("pageNo: 'abc' is not a number", err)
    status, _, err = run("call channel.nope")
    assert.equal(2, status)
    assert.matches("unknown operation", err)
  end)

  it("call: says in one line that no keys were found, with no traceback", function()
    local status, out, err = run("call channel.get channelId=ls-20240101000000-AbCdE")
    assert.equal(2, status)
    assert.equal("", out)
    assert.matches("^lsrun call: validation error: no credentials found: .*NCLOUD_ACCESS_KEY_ID", err)
    assert.not_matches("traceback", err)
    assert.not_matches("%.lua:%d+:", err)
    assert.equal(1, select(2, err:gsub("\n", "")))
    status, out, err = run("call channel.list", { LIVESTATION_ZONE = "mars",
      NCLOUD_ACCESS_KEY_ID = "AK", NCLOUD_SECRET_ACCESS_KEY = "S3CRETS3CRET" })
    assert.equal(2, status)
    assert.matches("^lsrun call: livestation.new: unknown zone 'mars'", err)
    assert.not_matches("traceback", err)
    assert.not_matches("S3CRET", err)
  end)

  it("make demo starts from nothing: it removes every file a run with --emulator --state leaves", function()
    local rm
    local p = assert(io.popen("make -s -n demo 2>/dev/null"))
    for line in p:lines() do
      if line:match("^rm %-f .*demo%-state%.db") then rm = line end
    end
    p:close()
    assert.is_string(rm)
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir .. "/build"))
    local status = run("--emulator --state " .. dir .. "/build/demo-state.db -e " ..
      sh_quote('require("livestation").state.set("k", 1)'))
    assert.equal(0, status)
    local function listing()
      local l = io.popen("ls -A " .. dir .. "/build")
      local s = l:read("a")
      l:close()
      return s
    end
    assert.matches("demo%-state%.db\n", listing())
    assert.matches("demo%-state%.db%.emulator", listing())
    assert(os.execute("cd " .. dir .. " && " .. rm))
    assert.equal("", listing())
    os.execute("rm -rf " .. dir)
  end)

  it("an lsrun away from its checkout uses the lua/livestation of LIVESTATION_HOME", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir .. "/bin " .. dir .. "/home && cp lsrun " .. dir ..
      "/bin/ && cp -r lua " .. dir .. "/home/"))
    local out = tmp()
    local ok = os.execute("LIVESTATION_HOME=" .. dir .. "/home " .. dir .. "/bin/lsrun -e " ..
      sh_quote('print(package.searchpath("livestation", package.path))') .. " >" .. out)
    local printed = slurp(out)
    os.remove(out)
    os.execute("rm -rf " .. dir)
    assert.is_true(ok)
    assert.equal(dir .. "/home/lua/livestation/init.lua\n", printed)
  end)

  it("works from a plain lua5.4 with LUA_PATH and LUA_CPATH", function()
    local cmd = [[cd "$PWD" && LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/?.so;;" ]] ..
      [[lua5.4 -e "local l = require 'livestation'
        local t = l.spawn(function() l.sleep(0.01) return 'from a task' end)
        local ok, v = t:join() print(v, #l.ops.all())" 2>&1]]
    local p = assert(io.popen(cmd))
    local out = p:read("a")
    p:close()
    assert.equal("from a task\t71\n", out)
  end)

  describe("against a gateway", function()
    local pid, url, logfile
    setup(function()
      logfile = tmp()
      local urlfile = tmp()
      os.execute("./lsrun spec/helpers/gateway_main.lua " .. logfile .. " >" .. urlfile ..
        " 2>/dev/null & echo $! >" .. urlfile .. ".pid")
      for _ = 1, 200 do
        url = slurp(urlfile):match("^(http://[^\n]+)\n")
        if url then break end
        os.execute("sleep 0.02")
      end
      pid = slurp(urlfile .. ".pid"):match("%d+")
      os.remove(urlfile)
      os.remove(urlfile .. ".pid")
      assert(url, "gateway did not start")
    end)
    teardown(function()
      if pid then os.execute("kill " .. pid) end
      os.remove(logfile)
    end)

    local env = function(extra)
      local e = { LIVESTATION_ENDPOINT = url, NCLOUD_ACCESS_KEY_ID = gateway.ACCESS_KEY,
        NCLOUD_SECRET_ACCESS_KEY = gateway.SECRET_KEY }
      for k, v in pairs(extra or {}) do e[k] = v end
      return e
    end

    it("calls an operation and prints the result as JSON", function()
      local status, out = run("call channel.get channelId=ls-20240101000000-AbCdE", env())
      assert.equal(0, status)
      local v = json.decode(out)
      assert.equal("READY", v.channelStatus)
      assert.equal(6, v.instanceNo)
      local last = json.decode(slurp(logfile):match("([^\n]+)\n$"))
      assert.is_true(last.signature_ok)
      assert.equal("/api/v2/channels/ls-20240101000000-AbCdE", last.target)
    end)

    it("builds bodies from name=value, dotted names and --body", function()
      local status = run("call channel.create channelName=한국어_채널 qualitySetId=3 useDvr=false " ..
        "cdn.createCdn=true cdn.cdnType=GLOBAL_EDGE cdn.profileId=1 cdn.regionType=KOREA " ..
        [[--body '{"record":{"type":"NO_RECORD"}}']], env())
      assert.equal(0, status)
      local last = json.decode(slurp(logfile):match("([^\n]+)\n$"))
      local body = json.decode(last.body)
      assert.equal("한국어_채널", body.channelName)
      assert.is_false(body.useDvr)
      assert.equal(1, body.cdn.profileId)
      assert.equal("NO_RECORD", body.record.type)
    end)

    it("prints the error as JSON on stderr and exits 1", function()
      local status, out, err = run("call channel.get channelId=ls-fail", env())
      assert.equal(1, status)
      assert.equal("", out)
      local e = json.decode(err).error
      assert.equal("api", e.kind)
      assert.equal(250100, e.code)
      assert.equal(404, e.status)
      assert.equal("channel.get", e.operation)
    end)

    it("never writes the secret key, even at debug level", function()
      local path = write_script([[
        local livestation = require "livestation"
        local ls = livestation.new{}
        ls:call("channel.get", { channelId = "ls-20240101000000-AbCdE" })
        ls:call("channel.get", { channelId = "ls-fail" })
        print(tostring(ls))
        local ok, err = pcall(error, ls)
        error("script ends badly on purpose")
      ]])
      local status, out, err = run("--log debug " .. path, env())
      assert.equal(1, status)
      local all = out .. err
      assert.matches("DEBUG", all)
      assert.matches("channel.get", all)
      assert.is_nil(all:find(gateway.SECRET_KEY, 1, true))
      assert.is_nil(all:find(gateway.SECRET_KEY:sub(1, 20), 1, true))
      assert.is_nil(all:find(gateway.ACCESS_KEY, 1, true), "the access key appears only masked")
      os.remove(path)
    end)
  end)
end)
