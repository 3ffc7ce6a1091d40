-- `lsrun --emulator --state FILE` twice resumes a workflow as it would
-- against the cloud: the in-process emulator's port changes with every
-- run, but workflow names use ls.site ("emulator"), and its world is kept
-- beside the state file (FILE.emulator), so the second run finds its
-- steps done and its channel still there.

local core = require "livestation.core"

local SCRIPT = [[
local livestation = require "livestation"
local ls = livestation.new {}
-- the name the shipped workflows build: what, and on which Live Station
livestation.workflow("resume_show@" .. ls.site)
local created = 0
local id = livestation.step("channel", function()
  created = created + 1
  return assert(ls:call("channel.create", {
    channelName = "resume_show", qualitySetId = 1, useDvr = false, record = { type = "NO_RECORD" },
    cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" },
  })).channelId
end)
local ch = assert(ls:wait("channel_ready", { channelId = id }, { timeout = 10 }))
local n = #assert(ls:call("channel.list", {}))
print(ls.site, ls.endpoint, id, ch.channelStatus, created, n)
]]

local shell = require "helpers.shell"
local q = shell.q

local function run(cmd)
  local status, out, err = shell.run(cmd)
  return status == 0, status, out .. err
end

describe("lsrun --emulator --state FILE", function()
  local dir

  before_each(function()
    dir = shell.tmpdir()
  end)
  after_each(function() shell.rm_rf(dir) end)

  it("resumes a workflow on a second run, on another port", function()
    local script, state = dir .. "/show.lua", dir .. "/state.db"
    shell.write(script, SCRIPT)
    local cmd = "env -u LIVESTATION_STATE ./lsrun --emulator --speed 50 --state " .. q(state) .. " " .. q(script)
    local ok, code, first = run(cmd)
    assert.is_true(ok, tostring(code) .. ": " .. first)
    local site, url1, id1, status1, created1, n1 = first:match("^(%S+)\t(%S+)\t(%S+)\t(%S+)\t(%d+)\t(%d+)\n$")
    assert.equal("emulator", site, first)
    assert.equal("READY", status1)
    assert.equal("1", created1)
    assert.equal("1", n1)
    local second
    ok, code, second = run(cmd)
    assert.is_true(ok, tostring(code) .. ": " .. second)
    local _, url2, id2, status2, created2, n2 = second:match("^(%S+)\t(%S+)\t(%S+)\t(%S+)\t(%d+)\t(%d+)\n$")
    assert.are_not.equal(url1, url2) -- a new port, the same Live Station
    assert.equal(id1, id2)
    assert.equal("READY", status2)
    assert.equal("0", created2)      -- the step was done: not run again
    assert.equal("1", n2)            -- and no second channel
    -- the emulator's world sits beside the state file, owner-only
    assert.equal(tonumber("600", 8), core.file_mode(state .. ".emulator"))
  end)

  it("keeps a run without --state in memory, as before", function()
    local script = dir .. "/show.lua"
    shell.write(script, SCRIPT)
    local ok, code, out = run("cd " .. q(dir) .. " && env -u LIVESTATION_STATE " .. q(os.getenv("PWD") .. "/lsrun")
      .. " --emulator --speed 50 show.lua")
    assert.is_true(ok, tostring(code) .. ": " .. out)
    assert.is_nil(io.open(dir .. "/livestation-state.db.emulator"))
  end)

  it("names a cloud endpoint by its host, a zone after a slash", function()
    local livestation = require "livestation"
    local base = { access_key = "AKAKAKAKAKAKAKAKAKAK", secret_key = "SKSKSKSKSKSKSKSKSKSKSKSKSKSKSKSKSKSKSKSK" }
    local function site(extra)
      local o = {}
      for k, v in pairs(base) do o[k] = v end
      for k, v in pairs(extra) do o[k] = v end
      return livestation.new(o).site
    end
    assert.equal("livestation.apigw.ntruss.com", site { endpoint = "https://livestation.apigw.ntruss.com" })
    assert.equal("livestation.apigw.ntruss.com/fin", site { endpoint = "https://livestation.apigw.ntruss.com",
      zone = "fin" })
    assert.equal("127.0.0.1:8080", site { endpoint = "http://127.0.0.1:8080" })
    assert.equal("staging", site { endpoint = "http://127.0.0.1:8080", site = "staging" })
  end)

  it("is what the shipped workflows name themselves by", function()
    for _, name in ipairs { "auto_clips", "restream_fanout", "scheduled_broadcast", "vod2live_programme" } do
      local text = assert(io.open("scripts/" .. name .. ".lua")):read("a")
      assert.matches("local host = ls.site\n", text, 1, true)
      assert.is_nil(text:find("ls.endpoint:match", 1, true), name)
    end
  end)
end)
