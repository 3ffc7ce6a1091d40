-- restream_fanout.lua end to end against `lsrun emulator`: a re-stream
-- to two platforms, one of which refuses the stream, killed with kill -9
-- while it watches and started again: one channel, watched to the end,
-- terminated once, and a run after the end does nothing.

local w = require "helpers.workflow"

local SCRIPT = "scripts/restream_fanout.lua"

local FANOUT = [[
return {
  name = "spec_fanout",
  targets = {
    { platform = "YOUTUBE", url = "rtmp://a.rtmp.youtube.com/live2", key = "yt-key" },
    { platform = "CUSTOM", url = "rtmp://fail.example.com/live", key = "custom-key" },
  },
  starts = "+1s",
  ends = "+6s",
  grace = "3s",
  watch = "0.5s",
}
]]

describe("restream_fanout", function()
  local emu

  before_each(function() emu = w.emulator(5) end)
  after_each(function() w.cleanup() end)

  it("watches every platform, survives kill -9 and cleans up once", function()
    local dir = w.tmpdir()
    local cfg = w.write(dir .. "/fanout.lua", FANOUT)
    local run1 = w.script(emu, dir, "run1", SCRIPT, cfg)
    assert.truthy(run1:wait_line("YOUTUBE PUBLISHING", 15), run1:stdout() .. run1:stderr())
    run1:kill()
    local run2 = w.script(emu, dir, "run2", SCRIPT, cfg)
    -- it went to its end, and a platform refused the stream: status 3
    assert.equal(3, run2:wait(20), run2:stdout() .. run2:stderr())

    local out = run1:stdout() .. run2:stdout()
    assert.matches("created re%-stream channel ls%-[%w%-]+ %(spec_fanout%), READY, 2 target%(s%)", out)
    assert.matches("!!! CUSTOM FAILED: rtmp://fail%.example%.com/live does not take the stream", out)
    assert.matches("simulated encoder stopped", run2:stdout())
    assert.matches("the stream stopped", run2:stdout())
    assert.matches("targets%s+YOUTUBE: [%d.]+ MB sent in %d+s %(PUBLISHING%)", run2:stdout())
    assert.matches("CUSTOM: nothing sent %(FAIL%)", run2:stdout())
    assert.matches("problems%s+%d%d:%d%d:%d%d CUSTOM FAILED", run2:stdout())

    local channels = w.select(w.world(emu).restreams, function(c) return c.channelName == "spec_fanout" end)
    assert.equal(1, #channels)
    assert.equal("DELETED", channels[1].status)
    assert.equal(1, w.requests(emu, "restream.create", 200))
    assert.equal(1, w.requests(emu, "restream.delete", 200))

    local run3 = w.script(emu, dir, "run3", SCRIPT, cfg)
    assert.equal(3, run3:wait(10))
    assert.matches("re%-stream spec_fanout has already finished", run3:stdout())
    assert.equal(1, w.requests(emu, "restream.create"))
  end)
end)
