-- The README's clients of the emulator in other languages (curl and
-- openssl, Python with requests, Node.js with fetch), taken out of the
-- README as written and run against `lsrun emulator` in its own process
-- on 127.0.0.1, whenever the interpreter is installed. Each must list the
-- quality sets and create its channel, which the spec then finds.

local H = require "helpers.emulator"
local shell = require "helpers.shell"
local read, write = shell.read, shell.write

-- The fenced block right after `<!-- example: NAME -->`.
local function example(name)
  local text = read("README.md")
  local at = assert(text:find("<!-- example: " .. name .. " -->", 1, true), "no example " .. name .. " in README.md")
  local code = text:match("^%s*```[%w]*\n(.-\n)```", at + #name + 18)
  return assert(code, "no code block after example " .. name)
end

local function has(cmd)
  return os.execute(cmd .. " >/dev/null 2>&1") == true
end

-- success, a description for failures, and standard output (Node 18
-- may print an ExperimentalWarning for fetch on standard error)
local function run(cmd)
  local status, out, err = shell.run(cmd)
  return status == 0, "exit " .. tostring(status) .. ": " .. out .. err, out
end

describe("README examples in other languages #foreign", function()
  local pid, url, envfile, dir

  setup(function()
    dir = shell.tmpdir()
    envfile = dir .. "/emu.env"
    -- the emulator prints the shell lines of --env; the examples read them
    assert(os.execute("./lsrun emulator --port 0 --quiet --env > " .. envfile .. " 2>/dev/null & echo $! > "
      .. dir .. "/pid"))
    for _ = 1, 300 do
      local text = read(envfile)
      url = text:match("LIVESTATION_ENDPOINT='([^']+)'")
      if url and text:find("NCLOUD_REGION", 1, true) then break end
      os.execute("sleep 0.02")
    end
    pid = read(dir .. "/pid"):match("%d+")
    assert.matches("^http://127%.0%.0%.1:%d+$", url)
  end)

  teardown(function()
    if pid then os.execute("kill -TERM " .. pid) end
    shell.rm_rf(dir)
  end)

  local function channel_named(name)
    local status, body = H.request(url, "GET", "/api/v2/channels?channelName=" .. name)
    assert.equal(200, status)
    return body.content[1]
  end

  it("runs the curl example", function()
    if not (has("command -v curl") and has("command -v openssl")) then
      pending("curl or openssl is not installed")
      return
    end
    write(dir .. "/call.sh", example("emulator-curl"))
    local ok, why, out = run(". " .. envfile .. " && sh " .. dir .. "/call.sh")
    assert.is_true(ok, why)
    assert.matches('"genType":"SYSTEM"', out)
    assert.matches('"channelName":"curl_show"', out)
    assert.matches('^{[^\n]*"genType":"SYSTEM"[^\n]*}\n{[^\n]*"curl_show"[^\n]*}\n$', out)
    assert.equal("CREATING", channel_named("curl_show").channelStatus)
  end)

  it("runs the Python example", function()
    if not has("python3 -c 'import requests'") then
      pending("python3 with requests is not installed")
      return
    end
    write(dir .. "/example.py", example("emulator-python"))
    local ok, why, out = run(". " .. envfile .. " && python3 " .. dir .. "/example.py")
    assert.is_true(ok, why)
    local ch = channel_named("python_show")
    assert.equal(ch.channelId .. " CREATING\n", out)
  end)

  it("runs the Node.js example", function()
    if not has("node -e 'if (typeof fetch !== \"function\") process.exit(1)'") then
      pending("node with fetch is not installed")
      return
    end
    write(dir .. "/example.js", example("emulator-node"))
    local ok, why, out = run(". " .. envfile .. " && node " .. dir .. "/example.js")
    assert.is_true(ok, why)
    local ch = channel_named("node_show")
    assert.equal(ch.channelId .. " CREATING\n", out)
  end)

  it("points nowhere but the emulator on 127.0.0.1", function()
    for _, name in ipairs { "curl", "python", "node" } do
      local code = example("emulator-" .. name)
      for host in code:gmatch("https?://([%w%.%-]+)") do assert.equal("127.0.0.1", host, name) end
    end
  end)
end)

-- GitHub's anchor of a heading: lower case, punctuation dropped, spaces
-- to hyphens.
local function anchor(heading)
  return (heading:lower():gsub("[^%w%- _\128-\255]", ""):gsub(" ", "-"))
end

describe("the README's own links", function()
  it("opens with make demo and make test, then lists every top-level section", function()
    local text = read("README.md")
    local first = text:match("```sh\n(.-)```")
    assert.matches("^make demo ", first)
    assert.matches("\nmake test ", first)
    local sections, code = {}, false
    for line in text:gmatch("[^\n]*") do
      if line:match("^```") then code = not code end
      local h = not code and line:match("^## (.*)")
      if h and h ~= "Contents" then sections[#sections + 1] = h end
    end
    local listed = {}
    for title, target in text:match("## Contents\n(.-)\n## "):gmatch("%- %[(.-)%]%(#(.-)%)") do
      listed[#listed + 1] = title
      assert.equal(anchor(title), target)
    end
    assert.same(sections, listed)
  end)

  it("links only to headings it has", function()
    local text = read("README.md")
    local anchors, code = {}, false
    for line in text:gmatch("[^\n]*") do
      if line:match("^```") then code = not code end
      local h = not code and line:match("^#+ (.*)")
      if h then anchors[anchor(h)] = true end
    end
    for target in text:gmatch("%]%(#([^)]+)%)") do
      assert.is_true(anchors[target] == true, "README.md links to #" .. target .. ", which no heading has")
    end
  end)
end)

describe("the README's config example", function()
  it("passes config.from_args a usage line it prints once, after \"usage: \"", function()
    local usage = read("README.md"):match('config%.from_args%(arg, SHOW, "([^"]+)"')
    assert.is_string(usage)
    local dir = shell.tmpdir()
    write(dir .. "/show.lua", 'local config = require("livestation").config\n' ..
      'config.from_args(arg, config.types.record {}, ' .. string.format("%q", usage) .. ')\n')
    local status, out, err = shell.run("./lsrun " .. dir .. "/show.lua")
    assert.equal(2, status)
    assert.equal("", out)
    assert.equal("usage: " .. usage .. "\n", err)
    assert.not_matches("usage: usage:", err)
  end)
end)
