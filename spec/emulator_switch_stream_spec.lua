-- channel.switchStream (PUT /api/v2/channels/{channelId}/switch-stream)
-- end to end through the client: only while PUBLISHING, between the main
-- and the backup stream of a failover channel, answering the channel and
-- raising the event of the stream now on air.

local H = require "helpers.emulator"

local codes, count = H.event_codes, H.count

describe("channel.switchStream", function()
  local emu, url, ls

  before_each(function()
    emu, url = H.start()
    ls = H.client(url)
  end)
  after_each(function() emu:stop() end)

  it("switches a publishing failover channel to its backup and back", function()
    local id = H.ready_channel(emu, ls, { isStreamFailOver = true })
    assert(emu:publish(id))
    assert(emu:publish(id, { backup = true }))
    local ch, err = ls.channel.switchStream { channelId = id }
    assert.is_nil(err)
    assert.equal(id, ch.channelId)
    assert.equal("PUBLISHING", ch.channelStatus)
    assert.equal("backup", emu:world().channels[id].ingest.active)
    local before = codes(ls, id)
    assert.equal("RTMP_BACKUP_STREAM_ENABLED", before[1])
    ch = assert(ls:call("channel.switchStream", { channelId = id }))
    assert.equal("main", emu:world().channels[id].ingest.active)
    local after = codes(ls, id)
    assert.equal("RTMP_MAIN_STREAM_ENABLED", after[1])
    assert.equal(count(before, "RTMP_MAIN_STREAM_ENABLED") + 1, count(after, "RTMP_MAIN_STREAM_ENABLED"))
    H.assert_shape(require("livestation.ops").get("channel.switchStream"), { content = ch })
  end)

  it("refuses a channel that is not publishing (250134)", function()
    local id = H.ready_channel(emu, ls, { isStreamFailOver = true })
    local _, err = ls.channel.switchStream { channelId = id }
    H.assert_api_error(err, 250134)
    assert.equal("READY", emu:world().channels[id].status)
  end)

  it("refuses when there is no other stream (250005)", function()
    local id = H.ready_channel(emu, ls, { isStreamFailOver = true })
    assert(emu:publish(id))
    local _, err = ls.channel.switchStream { channelId = id }
    H.assert_api_error(err, 250005, "Backup stream")
    local plain = H.ready_channel(emu, ls, { channelName = "no_backup" })
    assert(emu:publish(plain))
    _, err = ls.channel.switchStream { channelId = plain }
    H.assert_api_error(err, 250005, "Backup stream")
    assert.equal("main", emu:world().channels[plain].ingest.active)
  end)

  it("answers 250100 for an unknown channel", function()
    local _, err = ls.channel.switchStream { channelId = "ls-20990101000000-zzzzz" }
    H.assert_api_error(err, 250100)
  end)
end)
