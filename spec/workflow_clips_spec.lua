-- auto_clips.lua end to end against `lsrun emulator`: clips while a
-- channel publishes, polled, with a kill -9 while a clip is being made
-- and a restart that finishes that clip instead of making another; and
-- driven by webhook callbacks, with a failed clip tried again.

local w = require "helpers.workflow"

local SCRIPT = "scripts/auto_clips.lua"

local function config(extra)
  return string.format([[
return {
  channel = "spec_clips",
  every = "2s",
  length = "1s",
  bucket = "spec-clips",
  path = "/auto",
  poll = "0.5s",
  retry_backoff = "0.3s",
  %s
}
]], extra or "")
end

-- Clip ids in "clip N COMPLETED" lines.
local function completed(text)
  local ids = {}
  for id in text:gmatch("clip (%d+) COMPLETED") do ids[#ids + 1] = tonumber(id) end
  return ids
end

local function clips_of(emu, channel_id)
  return w.select(w.world(emu).clips, function(c) return c.channelId == channel_id end)
end

describe("auto_clips", function()
  local emu

  before_each(function() emu = w.emulator(4) end)
  after_each(function() w.cleanup() end)

  it("makes no second clip of a moment after kill -9", function()
    local dir = w.tmpdir()
    local cfg = w.write(dir .. "/clips.lua", config())
    local ch = w.live_channel(emu, "spec_clips")
    w.control(emu, "POST", "channels/" .. ch.channelId .. "/publish")

    local run1 = w.script(emu, dir, "run1", SCRIPT, cfg)
    -- kill while a clip exists but is not finished (the journal says so)
    local caught = w.wait_for(function()
      for _, rec in pairs(w.state_values(dir, "clip%.")) do
        if rec.clip and not rec.done then return rec end
      end
    end, 15)
    assert.truthy(caught, run1:stdout() .. run1:stderr())
    run1:kill()

    local run2 = w.script(emu, dir, "run2", SCRIPT, cfg)
    assert.truthy(run2:wait_line("still " .. w.esc(ch.channelId) .. " publishing", 10), run2:stdout() .. run2:stderr())
    assert.truthy(w.wait_for(function() return #completed(run2:stdout()) >= 2 end, 15), run2:stdout())
    w.control(emu, "DELETE", "channels/" .. ch.channelId .. "/publish")
    assert.equal(0, run2:wait(15), run2:stdout() .. run2:stderr())

    -- the clip being made at the kill was finished by the second run
    local done2 = completed(run2:stdout())
    assert.truthy(tostring(caught.clip) == tostring(done2[1]), "clip " .. tostring(caught.clip))
    -- one clip per snapshot, each reported once, all in the bucket
    local clips = clips_of(emu, ch.channelId)
    local per_snapshot, reported = {}, {}
    for _, id in ipairs(completed(run1:stdout() .. run2:stdout())) do
      assert.is_nil(reported[id], "clip " .. id .. " reported twice")
      reported[id] = true
    end
    for _, c in ipairs(clips) do
      assert.is_nil(per_snapshot[c.snapshotId], "two clips of snapshot " .. c.snapshotId)
      per_snapshot[c.snapshotId] = true
      assert.equal("COMPLETED", c.status)
      assert.equal("spec-clips", c.output.bucketName)
      assert.truthy(reported[c.id], "clip " .. c.id .. " not reported")
    end
    assert.equal(#clips, #completed(run1:stdout() .. run2:stdout()))
    assert.equal(#clips, w.requests(emu, "shortclip.create", 200))
    assert.matches("== clips of spec_clips =", run2:stdout())
    assert.matches("the broadcast ended: no more clips", run2:stdout())
  end)

  it("follows PUBLISH_START and PUBLISH_END callbacks and retries a failed clip", function()
    local dir = w.tmpdir()
    local cfg = w.write(dir .. "/clips.lua", config('webhook = { token = "s3cret-token" },'))
    local ch = w.live_channel(emu, "spec_clips")
    w.control(emu, "POST", "faults", { operation = "shortclip.create", status = 500, count = 1 })

    local run = w.script(emu, dir, "run", SCRIPT, cfg)
    assert.truthy(run:wait_line("webhook listening at http://127%.0%.0%.1:%d+/livestation", 10),
      run:stdout() .. run:stderr())
    assert.truthy(run:wait_line("waiting for channel", 5))
    w.control(emu, "POST", "channels/" .. ch.channelId .. "/publish")
    assert.truthy(run:wait_line("channel " .. w.esc(ch.channelId) .. " publishing since", 10), run:stdout())
    assert.truthy(w.wait_for(function() return #completed(run:stdout()) >= 2 end, 15), run:stdout())
    w.control(emu, "DELETE", "channels/" .. ch.channelId .. "/publish")
    assert.equal(0, run:wait(10), run:stdout() .. run:stderr())

    local out = run:stdout()
    assert.matches("clip of %d%d:%d%d:%d%d failed: shortclip%.create: ", out)
    assert.matches("clip of %d%d:%d%d:%d%d: attempt 2", out)
    assert.equal(#clips_of(emu, ch.channelId), #completed(out))
    -- the callbacks reached the script's webhook, token and all
    local world = w.world(emu)
    local delivered = w.select(world.deliveries, function(d)
      return d.ok and d.url:find("token=s3cret%-token") and (d.event == "PUBLISH_START" or d.event == "PUBLISH_END")
    end)
    assert.equal(2, #delivered)
  end)
end)
