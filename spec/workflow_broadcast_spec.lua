-- scheduled_broadcast.lua end to end against `lsrun emulator`: a whole
-- show, killed with kill -9 twice on the way and started again, ends with
-- one channel, one re-stream channel, one curtain content and one upload
-- of its recording; a run after the end does nothing; a show whose
-- encoder never comes says so loudly.

local w = require "helpers.workflow"

local SCRIPT = "scripts/scheduled_broadcast.lua"

local SHOW = [[
return {
  name = "spec_show",
  channel = { name = "spec_show", quality_set = "Default-720p", cdn = { profile_id = 1 } },
  zone = "Asia/Seoul",
  starts = "+4s",
  ends = "+10s",
  grace = "3s",
  upload = { bucket = "spec-recordings" },
  curtain = { at = "1s", length = "2s", files = { "spec-assets/break.png" } },
  restream = { targets = { { platform = "YOUTUBE", url = "rtmp://a.rtmp.youtube.com/live2", key = "k1" } } },
  at_end = "delete",
}
]]

local NO_ENCODER = [[
return {
  channel = { name = "silent_show", cdn = { profile_id = 1 } },
  starts = "+2s", ends = "+5s", grace = "1s",
  simulate_encoder = false,
  at_end = "stop",
}
]]

describe("scheduled_broadcast", function()
  local emu

  before_each(function() emu = w.emulator(5) end)
  after_each(function() w.cleanup() end)

  it("survives kill -9 twice and does every step exactly once", function()
    local dir = w.tmpdir()
    local cfg = w.write(dir .. "/show.lua", SHOW)

    -- killed while preparing, once the channel is asked for
    local run1 = w.script(emu, dir, "run1", SCRIPT, cfg)
    assert.truthy(run1:wait_line("channel ls%-", 15), run1:stdout() .. run1:stderr())
    run1:kill()
    -- killed in the finish, once recording has stopped
    local run2 = w.script(emu, dir, "run2", SCRIPT, cfg)
    assert.truthy(run2:wait_line("resuming at", 10), run2:stdout() .. run2:stderr())
    assert.truthy(run2:wait_line("recording stopped", 20), run2:stdout() .. run2:stderr())
    run2:kill()
    local run3 = w.script(emu, dir, "run3", SCRIPT, cfg)
    assert.equal(0, run3:wait(20), run3:stdout() .. run3:stderr())
    local out = run3:stdout()
    assert.matches("resuming at finish", out)
    assert.matches("== summary of spec_show =", out)
    assert.matches("problems%s+none", out)
    assert.matches("uploads%s+TRANSFER_FINISH https://kr%.object%.ncloudstorage%.com/spec%-recordings/", out)

    -- the world: one of each, all cleaned up
    local world = w.world(emu)
    local channels = w.select(world.channels, function(c) return c.channelName == "spec_show" end)
    assert.equal(1, #channels)
    assert.equal("DELETED", channels[1].status)
    local records = w.select(world.records, function(r) return r.channelId == channels[1].channelId end)
    assert.equal(1, #records)
    assert.equal("TRANSFER_FINISH", records[1].status)
    assert.equal("spec-recordings", records[1].uploadBucket)
    local restreams = w.select(world.restreams, function(c) return c.channelName == "spec_show_rs" end)
    assert.equal(1, #restreams)
    assert.equal("DELETED", restreams[1].status)
    assert.equal(1, #world.curtains)
    for _, op in ipairs { "channel.create", "restream.create", "curtain.content.create", "record.upload",
                          "curtain.start", "curtain.end", "channel.delete", "restream.delete" } do
      assert.equal(1, w.requests(emu, op, 200), op)
    end
    -- and through the API
    local ls = w.client(emu)
    local listed = assert(ls:call("channel.list", { channelName = "spec_show" }))
    assert.equal(1, #listed)

    -- started again after the end: the summary, nothing else
    local run4 = w.script(emu, dir, "run4", SCRIPT, cfg)
    assert.equal(0, run4:wait(10))
    assert.matches("show spec_show has already finished", run4:stdout())
    assert.equal(1, w.requests(emu, "channel.create"))
    assert.equal(1, w.requests(emu, "record.upload"))
  end)

  it("says loudly when the encoder does not publish", function()
    local dir = w.tmpdir()
    local run = w.script(emu, dir, "run", SCRIPT, w.write(dir .. "/silent.lua", NO_ENCODER))
    -- the show went to its end with a problem: status 3, not 0
    assert.equal(3, run:wait(20), run:stdout() .. run:stderr())
    local out = run:stdout()
    assert.matches("!!! NO STREAM: the encoder is not publishing to ls%-[%w%-]+, %d+s after the start; "
      .. "publish to rtmp://", out)
    assert.matches("!!! the encoder never published to ls%-", out)
    assert.matches("encoder%s+never published", out)
    assert.matches("!!! NO STREAM", run:stderr())
    local world = w.world(emu)
    local ch = w.select(world.channels, function(c) return c.channelName == "silent_show" end)
    assert.equal(1, #ch)
    assert.equal("BLOCK", ch[1].status)
  end)
end)
