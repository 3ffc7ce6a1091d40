-- Stream keys, re-stream platform keys and passwords never reach a log
-- line, at any level, request and response bodies included; redacting a
-- short token leaves unrelated words alone.

local log = require "livestation.log"
local H = require "helpers.emulator"

local PLATFORM_KEY = "plat-key-Zq81"
local PLATFORM_PASSWORD = "pw-Hx2"
local NEW_KEY = "newkey-Ab7"
local NEW_PASSWORD = "np-Qe3"

describe("secrets in log lines", function()
  local lines

  before_each(function()
    lines = {}
    log.set_sink(function(line) lines[#lines + 1] = line end)
  end)

  after_each(function()
    log.set_sink(nil)
    log.set_level("warn")
  end)

  for _, level in ipairs { "debug", "info", "warn", "error" } do
    it("a re-stream day at " .. level .. " level shows no stream key or password", function()
      log.set_level(level)
      local emu, url = H.start()
      local ls = H.client(url)
      local rs = assert(ls:call("restream.create", { channelName = "secret_spec", planType = "STANDARD",
        restream = { { targetName = "CUSTOM", rtmpUrl = "rtmp://rtmp.example.com/app",
          streamKey = PLATFORM_KEY, id = "user", password = PLATFORM_PASSWORD } } }))
      local got = assert(ls:call("restream.get", { channelId = rs.channelId }))
      local platforms = assert(ls:call("restream.platforms", { channelId = rs.channelId }))
      assert(ls:call("restream.updatePlatform", { channelId = rs.channelId, platformId = platforms[1].platId,
        rtmpUrl = "rtmp://rtmp.example.com/app", streamKey = NEW_KEY, streamId = "me", streamPassword = NEW_PASSWORD }))
      local qs = assert(ls:call("qualitySet.list", {}))
      local ch = assert(ls:call("channel.create", { channelName = "secret_live", qualitySetId = qs[1].id,
        useDvr = false, immediateOnAir = false, record = { type = "NO_RECORD" },
        cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } }))
      local full = assert(ls:call("channel.get", { channelId = ch.channelId }))
      emu:stop()
      local secrets = { PLATFORM_KEY, PLATFORM_PASSWORD, NEW_KEY, NEW_PASSWORD, got.streamKey, full.streamKey }
      assert.is_string(full.streamKey)
      local text = table.concat(lines, "\n")
      for _, s in ipairs(secrets) do
        if s then assert.is_nil(text:find(s, 1, true), "a log line shows " .. s) end
      end
      if level == "debug" then
        -- the bodies are there, with the secrets cut out
        assert.matches('\\"streamKey\\":\\"%[REDACTED%]\\"', text)
        assert.matches('\\"password\\":\\"%[REDACTED%]\\"', text)
        assert.matches('\\"streamPassword\\":\\"%[REDACTED%]\\"', text)
        assert.matches("secret_live", text)
      end
    end)
  end

  it("masks named values in every form a line carries them", function()
    log.set_level("info")
    log.info('raw {"backupStreamKey":"bk1","n":{"token":123},"name":"shown"}', {
      url = "/x?streamKey=zz9&a=1", password = "a b", body = '{"streamKey":"s\\"k","keep":"kept"}' })
    local line = lines[1]
    for _, s in ipairs { "bk1", "123", "zz9", "a b", 's\\"k', "s\\\\\\\"k" } do
      assert.is_nil(line:find(s, 1, true), s)
    end
    assert.matches("shown", line)
    assert.matches("a=1", line, 1, true)
    assert.matches("kept", line)
  end)

  it("masks them in JSON lines too", function()
    log.set_level("debug")
    log.set_format("json")
    local ok, e = pcall(function()
      log.debug("request", { password = "pw9", body = '{"streamKey":"sk\\"9","keep":"kept"}',
        url = "/x?streamKey=zz9&a=1" })
    end)
    log.set_format("text")
    assert(ok, e)
    for _, s in ipairs { "pw9", "sk", "zz9" } do
      assert.is_nil(lines[1]:find(s, 1, true), s .. " in " .. lines[1])
    end
    assert.matches("kept", lines[1])
    assert.is_table(require("livestation.json").decode(lines[1]))
  end)

  it("keeps them out of an error that quotes an unexpected body", function()
    local gateway = require "helpers.gateway"
    local gw = gateway.start { respond = function()
      return 502, { ["Content-Type"] = "text/plain" }, 'upstream said {"streamKey":"leak-9Zx","password":"pw-Qq1"}'
    end }
    local _, err = gateway.client(gw, { attempts = 1 }):call("channel.get", { channelId = "ls-20240101000000-AbCdE" })
    gw.close()
    assert.matches("upstream said", err.message)
    assert.is_nil(tostring(err):find("leak-9Zx", 1, true))
    assert.is_nil(tostring(err):find("pw-Qq1", 1, true))
  end)

  it("redacts a short webhook token only where it stands alone", function()
    log.set_level("info")
    log.redact("tok")
    log.info("stock tokens tok", { url = "/hook?token=tok", path = "/tok/x", word = "atoka" })
    assert.equal(1, #lines)
    assert.matches("stock tokens %[REDACTED%]", lines[1])
    assert.matches("path=/%[REDACTED%]/x", lines[1])
    assert.matches("word=atoka", lines[1])
    assert.is_nil(lines[1]:find("=tok", 1, true))
  end)
end)
