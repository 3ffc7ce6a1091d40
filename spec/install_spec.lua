-- make install into a temporary prefix, then everything a user does with
-- it from a directory outside the checkout: the installed lsrun runs a
-- script, a plain lua5.4 requires the module, the README's C embedding
-- example compiles with pkg-config and runs, bash completes from the
-- installed table; a DESTDIR staging of /usr/local lands where lua5.4
-- looks by default; make uninstall leaves nothing behind.
-- #foreign: it runs make, cc and bash, which the sanitizer run leaves out.

local shell = require "helpers.shell"
local q, run = shell.q, shell.run

local checkout = assert(os.getenv("PWD"))
-- make runs as if typed in a shell, not as a child of the make running us
local MAKE = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C " .. q(checkout) .. " "

-- the environment of someone who never set anything up
local CLEAN_ENV = "env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent "

local JOB = [[
local livestation = require "livestation"
local emulator = require "livestation.emulator"
local emu = emulator.new {}
local url = assert(emu:start { host = "127.0.0.1", port = 0 })
local ls = livestation.new { endpoint = url, access_key = emulator.DEFAULT_ACCESS_KEY,
  secret_key = emulator.DEFAULT_SECRET_KEY, region = "KR" }
local created, err = ls.channel.create {
  channelName = "install_check", qualitySetId = 4, useDvr = false,
  cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 123, regionType = "KOREA" },
  record = { type = "NO_RECORD" },
}
assert(created, tostring(err))
local got = assert(ls:call("channel.get", { channelId = created.channelId }))
emu:stop()
local has_host, host = pcall(require, "myhost")
print(got.channelName, package.searchpath("livestation", package.path),
  has_host and host.greet("C") or "no host module", ...)
]]

-- The ```c block of the README's "Embedding in C" section.
local function readme_c_example()
  local text = shell.read(checkout .. "/README.md")
  local section = assert(text:match("\n## Embedding in C\n(.-)\n## "), "no Embedding in C section")
  return (assert(section:match("```c\n(.-)```"), "no C block in Embedding in C"))
end

-- The README's command that links liblivestation.a, on one line.
local function readme_static_link()
  local section = shell.read(checkout .. "/README.md"):match("\n## Embedding in C\n(.-)\n## ")
  local block = assert(section:match("```sh\n(cc host%.c .-)```"), "no static link command")
  return (block:gsub("\\\n%s*", ""):gsub("%s+$", ""))
end

local function files_under(dir)
  local _, out = run("find " .. q(dir) .. " ! -type d | sort")
  local list = {}
  for line in out:gmatch("[^\n]+") do list[#list + 1] = line end
  return list
end

describe("make install into a temporary prefix #foreign", function()
  local tmp, prefix, elsewhere
  local lua_env

  lazy_setup(function()
    tmp = shell.tmpdir()
    prefix = tmp .. "/prefix"
    elsewhere = tmp .. "/elsewhere"
    os.execute("mkdir -p " .. q(elsewhere))
    shell.write(elsewhere .. "/job.lua", JOB)
    local status, out, err = run(MAKE .. "install PREFIX=" .. q(prefix))
    assert(status == 0, "make install failed:\n" .. out .. err)
    lua_env = "LUA_PATH=" .. q(prefix .. "/share/lua/5.4/?.lua;" .. prefix .. "/share/lua/5.4/?/init.lua;;")
      .. " LUA_CPATH=" .. q(prefix .. "/lib/lua/5.4/?.so;;") .. " "
  end)

  lazy_teardown(function()
    shell.rm_rf(tmp)
  end)

  it("puts every piece in its place", function()
    for _, path in ipairs {
      "bin/lsrun", "lib/liblivestation.a", "lib/liblivestation.so.0.1.0", "include/livestation.h",
      "lib/pkgconfig/livestation.pc", "share/man/man1/lsrun.1",
      "share/bash-completion/completions/lsrun", "share/lua/5.4/livestation/init.lua",
      "share/lua/5.4/livestation/catalogue.lua", "share/lua/5.4/livestation/emulator/init.lua",
      "lib/lua/5.4/livestation/core.so", "share/livestation/meta/livestation.lua",
      "share/livestation/systemd/lsrun@.service", "share/livestation/scripts/scheduled_broadcast.lua",
      "share/livestation/scripts/examples/demo_broadcast.lua",
    } do
      assert.equal(0, (run("test -f " .. q(prefix .. "/" .. path))), path .. " is installed")
    end
    assert.equal(0, (run("test -x " .. q(prefix .. "/bin/lsrun"))))
    -- the man page and the unit name this install's paths
    assert.truthy(shell.read(prefix .. "/share/man/man1/lsrun.1")
      :find("\n.I " .. prefix .. "/share/livestation/meta\n", 1, true))
    assert.matches("\nExecStart=" .. prefix:gsub("%p", "%%%0") .. "/bin/lsrun ",
      shell.read(prefix .. "/share/livestation/systemd/lsrun@.service"))
  end)

  it("installs the shared library under its soname with the usual links", function()
    local _, out = run("readelf -d " .. q(prefix .. "/lib/liblivestation.so.0.1.0"))
    assert.matches("SONAME%)%s+Library soname: %[liblivestation%.so%.0%]", out)
    local _, link0 = run("readlink " .. q(prefix .. "/lib/liblivestation.so.0"))
    local _, link = run("readlink " .. q(prefix .. "/lib/liblivestation.so"))
    assert.equal("liblivestation.so.0.1.0\n", link0)
    assert.equal("liblivestation.so.0\n", link)
  end)

  it("the installed lsrun runs a script from outside the checkout with no settings", function()
    local status, out, err = run("cd " .. q(elsewhere) .. " && " .. CLEAN_ENV .. q(prefix .. "/bin/lsrun")
      .. " job.lua one two")
    assert.equal(0, status, err)
    local name, from, host, a, b = out:match("^(%S+)\t(%S+)\t([^\t]+)\t(%S+)\t(%S+)\n$")
    assert.equal("install_check", name)
    assert.equal(prefix .. "/share/livestation/lua/livestation/init.lua", from)
    assert.equal("no host module", host)
    assert.same({ "one", "two" }, { a, b })
    -- its commands read the installed table too
    status, out = run("cd / && " .. CLEAN_ENV .. q(prefix .. "/bin/lsrun") .. " ops")
    assert.equal(0, status)
    assert.matches("channel%.create", out)
    status, out, err = run("cd / && " .. CLEAN_ENV .. q(prefix .. "/bin/lsrun")
      .. " --emulator call channel.list")
    assert.equal(0, status, err)
    assert.matches("^%[", out)
  end)

  it("a plain lua5.4 requires the module from the prefix", function()
    local status, out, err = run("cd " .. q(elsewhere) .. " && " .. CLEAN_ENV .. lua_env .. "lua5.4 job.lua x")
    assert.equal(0, status, err)
    assert.equal("install_check\t" .. prefix .. "/share/lua/5.4/livestation/init.lua\tno host module\tx\n", out)
    _, out = run("cd / && " .. CLEAN_ENV .. lua_env
      .. [[lua5.4 -e 'print(package.searchpath("livestation.core", package.cpath))']])
    assert.equal(prefix .. "/lib/lua/5.4/livestation/core.so\n", out)
  end)

  it("compiles and runs the README's C embedding example with pkg-config", function()
    local dir = elsewhere
    shell.write(dir .. "/host.c", readme_c_example())
    local pc = "PKG_CONFIG_PATH=" .. q(prefix .. "/lib/pkgconfig") .. " "
    local status, out, err = run("cd " .. q(dir) .. " && " .. pc
      .. "cc -Wall -Wextra -Werror host.c -o host $(" .. pc .. "pkg-config --cflags --libs livestation)")
    assert.equal(0, status, out .. err)
    -- it links the shared library by its soname
    _, out = run("readelf -d " .. q(dir .. "/host"))
    assert.matches("NEEDED%)%s+Shared library: %[liblivestation%.so%.0%]", out)
    -- ls_runtime_new(NULL, ...) finds the installed module with no settings
    local ld = "LD_LIBRARY_PATH=" .. q(prefix .. "/lib") .. " "
    status, out, err = run("cd " .. q(dir) .. " && " .. CLEAN_ENV .. ld .. "./host p q")
    assert.equal(0, status, err)
    assert.equal("install_check\t" .. prefix .. "/share/livestation/lua/livestation/init.lua\thello, C\tp\tq\n",
      out)
    -- the library linked in, as the README shows
    local link = readme_static_link():gsub("PREFIX", prefix):gsub("pkg%-config", pc .. "pkg-config")
    status, out, err = run("cd " .. q(dir) .. " && " .. link .. " -o host-static")
    assert.equal(0, status, out .. err)
    _, out = run("readelf -d " .. q(dir .. "/host-static"))
    assert.falsy(out:find("liblivestation", 1, true))
    status, out, err = run("cd " .. q(dir) .. " && " .. CLEAN_ENV .. "./host-static s")
    assert.equal(0, status, err)
    assert.equal("install_check\t" .. prefix .. "/share/livestation/lua/livestation/init.lua\thello, C\ts\n", out)
    -- the example checks what spawn returns: no job.lua is an error, not a crash
    status, out, err = run("cd " .. q(tmp) .. " && " .. CLEAN_ENV .. ld .. q(dir .. "/host"))
    assert.equal(1, status)
    assert.matches("^host: cannot open job%.lua", err)
  end)

  it("man and bash-completion find the page and the completion where they look", function()
    local status, out, err = run(CLEAN_ENV .. "MANPATH=" .. q(prefix .. "/share/man") .. " man -w lsrun")
    assert.equal(0, status, err)
    assert.equal(prefix .. "/share/man/man1/lsrun.1\n", out)
    -- bash-completion loads completions on demand from XDG_DATA_DIRS
    status, out, err = run(CLEAN_ENV .. "XDG_DATA_DIRS=" .. q(prefix .. "/share") .. " bash -c "
      .. q("source /usr/share/bash-completion/bash_completion; __load_completion lsrun; complete -p lsrun"))
    assert.equal(0, status, err)
    assert.equal("complete -F _lsrun lsrun\n", out)
  end)

  it("bash completes operations and parameters from the installed lsrun", function()
    local completion = prefix .. "/share/bash-completion/completions/lsrun"
    local function complete(...)
      local words = { ... }
      local quoted = {}
      for i, w in ipairs(words) do quoted[i] = q(w) end
      local script = "source " .. q(completion) .. "\n"
        .. "COMP_WORDS=(" .. table.concat(quoted, " ") .. "); COMP_CWORD=" .. (#words - 1) .. "\n"
        .. "_lsrun lsrun " .. q(words[#words]) .. " " .. q(words[#words - 1]) .. "\n"
        .. "printf '%s\\n' \"${COMPREPLY[@]}\" | sort"
      -- in an empty directory: no file names among the answers
      local status, out, err = run("mkdir -p " .. q(tmp .. "/empty") .. " && cd " .. q(tmp .. "/empty")
        .. " && " .. CLEAN_ENV:gsub("PATH=", "PATH=" .. prefix .. "/bin:") .. "bash -c " .. q(script))
      assert.equal(0, status, err)
      return out
    end
    assert.equal("call\nemulator\nhelp\njobs\nops\nsteps\n", complete("lsrun", ""))
    assert.equal("channel.create\n", complete("lsrun", "call", "channel.cr"))
    assert.equal("vod.schedule.create\nvod.schedule.delete\nvod.schedule.get\nvod.schedule.update\n",
      complete("lsrun", "help", "vod.sch"))
    assert.equal("record.accessControl=\nrecord.bucketName=\nrecord.filePath=\n"
      .. "record.format=\nrecord.type=\nrecord=\n", complete("lsrun", "call", "channel.create", "rec"))
    assert.equal("HLS\nHLS,DASH\nLL_HLS\n", complete("lsrun", "call", "channel.create", "outputProtocol", "=", ""))
    assert.equal("AUTO_UPLOAD\n", complete("lsrun", "call", "channel.create", "record.type", "=", "A"))
    assert.equal("false\ntrue\n", complete("lsrun", "call", "channel.create", "useDvr", "="))
    assert.equal("debug\nerror\ninfo\nwarn\n", complete("lsrun", "--log", ""))
    assert.equal("\n", complete("lsrun", "call", "no.such.op", "")) -- no answers
  end)

  it("make uninstall leaves nothing behind", function()
    local status, out, err = run(MAKE .. "uninstall PREFIX=" .. q(prefix))
    assert.equal(0, status, out .. err)
    assert.same({}, files_under(prefix))
  end)
end)

describe("make install DESTDIR=... for /usr/local #foreign", function()
  local tmp, stage

  lazy_setup(function()
    tmp = shell.tmpdir()
    stage = tmp .. "/stage"
    local status, out, err = run(MAKE .. "install PREFIX=/usr/local DESTDIR=" .. q(stage))
    assert(status == 0, "make install failed:\n" .. out .. err)
  end)

  lazy_teardown(function()
    shell.rm_rf(tmp)
  end)

  it("stages the module where lua5.4 looks by default", function()
    local _, paths = run(CLEAN_ENV .. [[lua5.4 -e 'print(package.path) print(package.cpath)']])
    local lpath, cpath = paths:match("^([^\n]*)\n([^\n]*)\n$")
    local function found(path, name)
      for template in path:gmatch("[^;]+") do
        local file = template:gsub("%?", (name:gsub("%.", "/")))
        if file:sub(1, 1) == "/" and run("test -f " .. q(stage .. file)) == 0 then return file end
      end
    end
    assert.equal("/usr/local/share/lua/5.4/livestation/init.lua", found(lpath, "livestation"))
    assert.equal("/usr/local/lib/lua/5.4/livestation/core.so", found(cpath, "livestation.core"))
  end)

  it("a staged lsrun finds its tree beside its bin directory", function()
    local status, out, err = run("cd / && " .. CLEAN_ENV .. q(stage .. "/usr/local/bin/lsrun")
      .. [[ -e 'print(package.searchpath("livestation", package.path))']])
    assert.equal(0, status, err)
    -- the prefix it was built for wins when this machine has it installed
    local installed = run("test -f /usr/local/share/livestation/lua/livestation/init.lua") == 0
    assert.equal((installed and "" or stage) .. "/usr/local/share/livestation/lua/livestation/init.lua\n", out)
  end)

  it("make uninstall with the same DESTDIR removes it all", function()
    local status, out, err = run(MAKE .. "uninstall PREFIX=/usr/local DESTDIR=" .. q(stage))
    assert.equal(0, status, out .. err)
    assert.same({}, files_under(stage))
  end)
end)
