-- A workflow as a user writes it (spec/fixtures/user_channels.lua, 28
-- lines: livestation.step, livestation.time, livestation.config) killed
-- with kill -9 at random points against a Live Station that outlives it
-- (lsrun emulator with its own state file): the last run finishes, every
-- channel exists once, and every step is done.

local core = require "livestation.core"
local json = require "livestation.json"
local shell = require "helpers.shell"
local w = require "helpers.workflow"

local SCRIPT = "spec/fixtures/user_channels.lua"
local NAMES = { "show_a", "show_b", "show_c" }

describe("a user's workflow under kill -9", function()
  after_each(function() w.cleanup() end)

  it("survives kill -9 at any point: each channel made once, every step done", function()
    local emu = w.emulator(20)
    local dir = w.tmpdir()
    local cfg = w.write(dir .. "/channels.lua",
      'return { names = { "' .. table.concat(NAMES, '", "') .. '" }, ready_within = "30s" }')
    local seed = os.time()
    math.randomseed(seed)
    for i = 1, 12 do
      local p = w.script(emu, dir, "run" .. i, SCRIPT, cfg)
      core.sleep(0.02 + math.random() * 0.25)
      p:kill(9)
    end
    local last = w.script(emu, dir, "last", SCRIPT, cfg)
    assert.equal(0, last:wait(60), "seed " .. seed .. ": " .. last:stderr())
    assert.matches("^all ready at %d%d%d%d%-%d%d%-%d%dT[%d:.]+Z\n$", last:stdout())

    -- Live Station's side: one channel per name, READY
    local ls = w.client(emu)
    local count = {}
    for ch in ls:each("channel.list", {}) do
      if ch.channelStatus ~= "DELETED" then
        count[ch.channelName] = (count[ch.channelName] or 0) + 1
        assert.equal("READY", ch.channelStatus)
      end
    end
    for _, name in ipairs(NAMES) do assert.equal(1, count[name], "seed " .. seed .. ": channels " .. name) end

    -- the journal: every step done, with what it returned
    local status, out = shell.run("./lsrun --state " .. shell.q(dir .. "/state.db")
      .. " steps --json 'channels:show_a,show_b,show_c'")
    assert.equal(0, status)
    local got = {}
    for _, r in ipairs(json.decode(out).steps) do
      assert.equal("done", r.state, r.name)
      got[#got + 1] = r.name
    end
    assert.same({ "quality set", "create show_a", "ready show_a", "create show_b", "ready show_b",
      "create show_c", "ready show_c", "done" }, got)
  end)

  it("checks its config with every problem at once", function()
    local dir = w.tmpdir()
    local cfg = w.write(dir .. "/bad.lua", 'return { names = { "x" }, redy_within = "soon", zone = "Mars/Base" }')
    local status, out, err = shell.run("./lsrun " .. SCRIPT .. " --check " .. shell.q(cfg))
    assert.equal(2, status)
    assert.equal("", out)
    local prefix = cfg .. ": "
    assert.equal(prefix .. 'redy_within: unknown setting; did you mean "ready_within"?\n'
      .. prefix .. 'names[1]: expected a name of 3 to 20 letters (English or Hangul), digits or _, got "x"\n'
      .. prefix .. 'zone: expected a time zone such as "Asia/Seoul", got "Mars/Base"\n', err)
  end)
end)
