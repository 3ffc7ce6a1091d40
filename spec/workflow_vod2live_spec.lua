-- vod2live_programme.lua end to end against `lsrun emulator`: a
-- programme of two blocks, killed with kill -9 once the first schedule
-- is registered and started again: one channel, one schedule per block,
-- each verified on air, the channel terminated at the end. The script
-- moves the emulator's clock to each start.

local w = require "helpers.workflow"

local SCRIPT = "scripts/vod2live_programme.lua"

local LIST = [[
return {
  channel = { name = "spec_movies", cdn = { profile_id = 1 } },
  zone = "Asia/Seoul",
  programme = {
    { at = "+12m", files = { "spec-vods/a.mp4", { bucket = "spec-vods", path = "/b.mp4" } } },
    { at = "+45m", files = { "spec-vods/c.mp4" } },
  },
  at_end = "delete",
}
]]

describe("vod2live_programme", function()
  local emu

  before_each(function() emu = w.emulator(10) end)
  after_each(function() w.cleanup() end)

  it("registers, verifies and ends each block once across kill -9", function()
    local dir = w.tmpdir()
    local cfg = w.write(dir .. "/programme.lua", LIST)
    local run1 = w.script(emu, dir, "run1", SCRIPT, cfg)
    assert.truthy(run1:wait_line("block 1: schedule %d+ registered", 15), run1:stdout() .. run1:stderr())
    run1:kill()
    local run2 = w.script(emu, dir, "run2", SCRIPT, cfg)
    assert.equal(0, run2:wait(20), run2:stdout() .. run2:stderr())

    local out = run2:stdout()
    assert.matches("block 1 ON AIR, verified: channel PUBLISHING, playback URL, PUBLISH_START event", out)
    assert.matches("block 2 ON AIR, verified: channel PUBLISHING, playback URL, PUBLISH_START event", out)
    assert.matches("watch at https://[%w.]+/live/video/ls%-[%w%-]+/playlist%.m3u8", out)
    assert.matches("== programme of spec_movies =", out)

    local world = w.world(emu)
    local vods = w.select(world.vods, function(c) return c.channelName == "spec_movies" end)
    assert.equal(1, #vods)
    assert.equal("DELETED", vods[1].status)
    local schedules = w.select(world.schedules, function(s) return s.channelId == vods[1].channelId end)
    assert.equal(2, #schedules)
    for _, s in ipairs(schedules) do assert.equal("FINISH", s.status) end
    assert.equal(2, #schedules[1].vodList)
    assert.equal("/b.mp4", schedules[1].vodList[2].filePath)
    assert.equal(1, w.requests(emu, "vod.channel.create", 200))
    assert.equal(2, w.requests(emu, "vod.schedule.create", 200))
  end)
end)
