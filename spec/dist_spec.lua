-- What ships beside the code (dist/ and the rockspec) agrees with lsrun:
-- the man page renders cleanly and documents every command and option
-- lsrun --help lists, bash completion offers them, the example systemd
-- unit passes systemd-analyze and its command line runs, and the rockspec
-- lints and installs the module into a luarocks tree that lua5.4 loads.
-- #foreign: it runs groff, bash, systemd-analyze and luarocks.

local shell = require "helpers.shell"
local q, run = shell.q, shell.run

local checkout = assert(os.getenv("PWD"))
local CLEAN_ENV = "env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent "


-- The options (--name, -x) a help text lists.
local function options_in(help)
  local found, list = {}, {}
  for opt in help:gmatch("%f[%w-](%-%-?[%a][%w-]*)") do
    if not found[opt] then
      found[opt] = true
      list[#list + 1] = opt
    end
  end
  return list
end

local function help_of(args)
  local status, out = run("./lsrun " .. args)
  assert.equal(0, status)
  return out
end

describe("the man page lsrun(1) #foreign", function()
  it("renders with no warning", function()
    local status, out, err = run("groff -man -ww -z -Tutf8 dist/lsrun.1")
    assert.equal(0, status, out .. err)
    assert.equal("", err)
  end)

  it("documents every command and option of lsrun --help and lsrun emulator --help", function()
    local page = shell.read("dist/lsrun.1"):gsub("\\%-", "-")
    local usage = help_of("--help")
    for _, opt in ipairs(options_in(usage .. help_of("emulator --help"))) do
      assert.truthy(page:find(opt, 1, true), "lsrun(1) does not document " .. opt)
    end
    for line in usage:gmatch("[^\n]+") do
      local cmd = (line:match("lsrun (.*)") or ""):gsub("^%[options%] ", ""):match("^(%l+)%f[%s]")
      if cmd then assert.truthy(page:find("\n.B " .. cmd, 1, true) or page:find("\n.BI " .. cmd, 1, true),
        "lsrun(1) does not document the command " .. cmd) end
    end
  end)
end)

describe("the man page's environment #foreign", function()
  it("names every LIVESTATION_ and NCLOUD_ variable the code reads", function()
    local page = shell.read("dist/lsrun.1"):gsub("\\%-", "-")
    local p = assert(io.popen("grep -rhoE 'getenv\\(\"(LIVESTATION|NCLOUD)_[A-Z_]+' lua src"))
    local seen = 0
    for name in p:read("a"):gmatch('getenv%("([%u_]+)') do
      seen = seen + 1
      assert.truthy(page:find(name, 1, true), "lsrun(1) does not document " .. name)
    end
    p:close()
    assert.is_true(seen > 5)
  end)
end)

describe("bash completion #foreign", function()
  -- the words offered after `words` (the last one is being completed)
  local function complete(...)
    local words, quoted = { ... }, {}
    for i, w in ipairs(words) do quoted[i] = q(w) end
    local script = "source dist/lsrun.bash\n"
      .. "COMP_WORDS=(" .. table.concat(quoted, " ") .. "); COMP_CWORD=" .. (#words - 1) .. "\n"
      .. "_lsrun ./lsrun " .. q(words[#words]) .. " " .. q(words[#words - 1]) .. "\n"
      .. "printf '%s\\n' \"${COMPREPLY[@]}\""
    local status, out, err = run("bash -c " .. q(script))
    assert.equal(0, status, err)
    local set = {}
    for w in out:gmatch("[^\n]+") do set[w] = true end
    return set
  end

  it("offers every option of lsrun --help and lsrun emulator --help", function()
    local offered = complete("./lsrun", "-")
    local global = assert(help_of("--help"):match("\noptions:\n(.*)$"))
    for _, opt in ipairs(options_in(global)) do
      if opt ~= "-h" then assert.truthy(offered[opt], "completion does not offer " .. opt) end
    end
    offered = complete("./lsrun", "emulator", "-")
    for _, opt in ipairs(options_in(help_of("emulator --help"))) do
      if opt ~= "-h" then assert.truthy(offered[opt], "completion does not offer emulator " .. opt) end
    end
    assert.same({ ["--body"] = true }, complete("./lsrun", "call", "channel.list", "--"))
  end)

  it("offers every operation id of the table after call and help", function()
    local ops = require "livestation.ops"
    local offered = complete("./lsrun", "call", "")
    local n = 0
    for _, op in ipairs(ops.all()) do
      assert.truthy(offered[op.id], op.id)
      n = n + 1
    end
    local count = 0
    for _ in pairs(offered) do count = count + 1 end
    assert.equal(n, count)
    assert.truthy(complete("./lsrun", "-v", "help", "")["vod.schedule.create"])
  end)

  it("offers every parameter of an operation, nested ones by dotted name", function()
    local offered = complete("./lsrun", "call", "channel.create", "")
    for _, name in ipairs { "channelName=", "qualitySetId=", "cdn=", "cdn.profileId=", "record.type=",
      "useDvr=" } do
      assert.truthy(offered[name], name)
    end
    assert.falsy(offered["channelId="])
  end)
end)

describe("the example systemd unit #foreign", function()
  local unit = shell.read("dist/systemd/lsrun@.service")

  local function setting(name)
    return unit:match("\n" .. name .. "=([^\n]*)")
  end

  it("restarts on failure, keeps its state under /var/lib and logs to the journal", function()
    assert.equal("on-failure", setting("Restart"))
    assert.equal("2", setting("RestartPreventExitStatus")) -- lsrun's usage errors
    assert.equal("-/etc/livestation/%i.env", setting("EnvironmentFile"))
    assert.equal("livestation/%i", setting("StateDirectory"))
    assert.equal("journal", setting("StandardOutput"))
    assert.equal("journal", setting("StandardError"))
    local exec = setting("ExecStart")
    assert.matches("%-%-state /var/lib/livestation/%%i/state%.db ", exec)
  end)

  it("passes systemd-analyze verify", function()
    local tmp = shell.tmpdir()
    -- the unit as make install writes it, pointing at this checkout's lsrun
    local copy = unit:gsub("/usr/local/bin/lsrun", checkout .. "/lsrun")
      :gsub("/etc/livestation/", tmp .. "/")
    local bad = copy:gsub("Restart=on%-failure", "Restart=sometimes")
    shell.write(tmp .. "/lsrun@.service", copy)
    shell.write(tmp .. "/demo.lua", "print('hello')\n")
    local status, out, err = run("cd " .. q(tmp) .. " && systemd-analyze verify --man=no "
      .. q(tmp .. "/lsrun@demo.service"))
    -- and a unit with a mistake does not pass, so the check is real
    shell.write(tmp .. "/lsrun@.service", bad)
    local bad_status, _, bad_err = run("cd " .. q(tmp) .. " && systemd-analyze verify --man=no "
      .. q(tmp .. "/lsrun@demo.service"))
    shell.rm_rf(tmp)
    assert.equal(0, status, out .. err)
    assert.equal("", err)
    assert.matches("restart specifier", bad_err)
    assert.is_true(bad_status ~= 0 or bad_err ~= "")
  end)

  it("its command line runs a script that keeps state in the state directory", function()
    local tmp = shell.tmpdir()
    local exec = setting("ExecStart"):gsub("%%i", "demo")
      :gsub("/usr/local/bin/lsrun", checkout .. "/lsrun")
      :gsub("/var/lib/", tmp .. "/var/lib/"):gsub("/etc/livestation/", tmp .. "/")
    os.execute("mkdir -p " .. q(tmp .. "/var/lib/livestation/demo"))
    shell.write(tmp .. "/demo.lua", [[
local livestation = require "livestation"
livestation.state.update("runs", function(n) return (n or 0) + 1 end)
print(livestation.state.get("runs"))
]])
    local s1, out1, err1 = run("cd / && " .. CLEAN_ENV .. exec)
    local s2, out2 = run("cd / && " .. CLEAN_ENV .. exec)
    local db = run("test -f " .. q(tmp .. "/var/lib/livestation/demo/state.db"))
    shell.rm_rf(tmp)
    assert.equal(0, s1, err1)
    assert.equal(0, s2)
    assert.same({ "1\n", "2\n" }, { out1, out2 })
    assert.equal(0, db)
  end)
end)

describe("the luarocks rockspec #foreign", function()
  local rockspec = "livestation-0.1.0-1.rockspec"

  it("passes luarocks lint", function()
    local status, out, err = run("HOME=/nonexistent luarocks lint " .. rockspec)
    assert.equal(0, status, out .. err)
  end)

  it("builds and installs the module into a tree that lua5.4 loads, offline", function()
    local tmp = shell.tmpdir()
    local src, tree = tmp .. "/src", tmp .. "/tree"
    -- a copy of the sources with this build's objects, so nothing compiles twice
    local status, out, err = run("mkdir -p " .. q(src) .. " && tar cf - Makefile " .. rockspec
      .. " README.md src lua dist tools build livestation.so | tar xpf - -C " .. q(src)
      .. " && cd " .. q(src) .. " && HOME=" .. q(tmp) .. " luarocks make --lua-version 5.4 --deps-mode none"
      .. " --tree " .. q(tree) .. " " .. rockspec)
    local lua_env = "LUA_PATH=" .. q(tree .. "/share/lua/5.4/?.lua;" .. tree .. "/share/lua/5.4/?/init.lua;;")
      .. " LUA_CPATH=" .. q(tree .. "/lib/lua/5.4/?.so;;") .. " "
    local s2, out2, err2 = run("cd / && " .. CLEAN_ENV .. lua_env .. "lua5.4 -e " .. q([[
local livestation = require "livestation"
print(livestation.version, package.searchpath("livestation", package.path),
  package.searchpath("livestation.core", package.cpath), #livestation.ops.all())]]))
    local meta = run("test -f " .. q(tree .. "/lib/luarocks/rocks-5.4/livestation/0.1.0-1/meta/livestation.lua"))
    shell.rm_rf(tmp)
    assert.equal(0, status, out .. err)
    assert.equal(0, meta, "the rock holds the editor annotations")
    assert.equal(0, s2, err2)
    assert.equal(string.format("%s\t%s\t%s\t%d\n", require("livestation").version,
      tree .. "/share/lua/5.4/livestation/init.lua", tree .. "/lib/lua/5.4/livestation/core.so",
      #require("livestation.ops").all()), out2)
  end)
end)
