-- The financial zone (api/zones.json) end to end: a client with
-- zone = "fin" signs and sends to /api/fin-v2 with region FKR, checks the
-- zone's own parameter rules (CDN+ instead of Global Edge, no LL_HLS), and
-- the emulator serves the zone apart from the public service.

local H = require "helpers.emulator"
local ops = require "livestation.ops"

local FIN_CHANNEL = H.merge(H.CHANNEL, { channelName = "fin_show",
  cdn = { cdnType = "CDN_PLUS", cdnInstanceNo = 5521 } })

describe("financial zone", function()
  local emu, url, fin, pub
  local lines = {}

  before_each(function()
    lines = {}
    emu, url = H.start { log = function(l) lines[#lines + 1] = l end }
    fin = require("livestation").new { endpoint = url, access_key = H.AK, secret_key = H.SK, zone = "fin",
      backoff = 0.01 }
    pub = H.client(url)
  end)
  after_each(function() emu:stop() end)

  it("is described in api/zones.json: prefix, region, documented operations", function()
    local z = ops.zone("fin")
    assert.equal("FKR", z.region)
    assert.equal("/api/fin-v2/", z.pathPrefix.to)
    assert.equal("/api/fin-v2/channels", ops.in_zone("channel.create", "fin").path)
    assert.same({ "CDN_PLUS" }, ops.in_zone("channel.create", "fin").param("cdn.cdnType").enum)
    assert.same({ "GLOBAL_EDGE" }, ops.get("channel.create").param("cdn.cdnType").enum)
  end)

  it("creates, lists and reads a channel on CDN+ through /api/fin-v2 with region FKR", function()
    assert.equal("FKR", fin.region)
    local ch, err = fin:call("channel.create", FIN_CHANNEL)
    assert.is_nil(err)
    assert.equal("CDN_PLUS", ch.cdn.cdnType)
    assert.equal("5521", ch.cdn.instanceNo)
    assert.matches("%.cdn%.ntruss%.com$", ch.cdn.cdnDomain)
    emu:advance(60000)
    local list = assert(fin:call("channel.list", {}))
    assert.equal(1, #list)
    assert.equal("READY", assert(fin.channel.get { channelId = ch.channelId }).channelStatus)
    local seen = false
    for _, l in ipairs(lines) do
      if l:find("POST /api/fin-v2/channels 200 channel.create", 1, true) then seen = true end
    end
    assert.is_true(seen, "no request to /api/fin-v2/channels in the log")
  end)

  it("keeps the zones apart", function()
    local ch = assert(fin:call("channel.create", FIN_CHANNEL))
    local public = assert(pub:call("channel.create", H.CHANNEL))
    emu:advance(60000)
    local _, err = pub:call("channel.get", { channelId = ch.channelId })
    H.assert_api_error(err, 250100)
    _, err = fin:call("channel.get", { channelId = public.channelId })
    H.assert_api_error(err, 250100)
    assert.equal(1, #assert(pub:call("channel.list", {})))
    assert.equal(ch.channelId, assert(fin:call("channel.list", {}))[1].channelId)
  end)

  it("checks the zone's rules in the client before sending", function()
    local _, err = fin:call("channel.create", H.CHANNEL) -- a Global Edge
    assert.equal("validation", err.kind)
    assert.equal(250120, err.code)
    _, err = fin:call("channel.create", H.merge(FIN_CHANNEL, { outputProtocol = "LL_HLS" }))
    assert.equal(250002, err.code)
    _, err = fin:call("channel.create", H.merge(FIN_CHANNEL, { cdn = { cdnType = "CDN_PLUS" } }))
    assert.equal(250119, err.code)
    assert.is_nil(next(emu:world().channels))
  end)

  it("answers the zone's codes to requests sent by hand", function()
    local status, body = H.request(url, "POST", "/api/fin-v2/channels", H.CHANNEL, { region = "FKR" })
    H.assert_ls_error(status, body, 250120)
    status, body = H.request(url, "GET", "/api/fin-v2/channels", nil, { region = "KR" })
    H.assert_ls_error(status, body, 250019, "KR")
    status, body = H.request(url, "GET", "/api/v2/channels", nil, { region = "FKR" })
    H.assert_ls_error(status, body, 250019, "FKR")
    status = H.request(url, "GET", "/api/fin-v2/channels", nil, { region = "FKR" })
    assert.equal(200, status)
  end)

  it("serves VOD2LIVE channels on CDN+ too", function()
    local vod = assert(fin:call("vod.channel.create", { channelName = "fin_vod", qualitySetId = 1,
      drmEnabledYn = false, cdn = { cdnType = "CDN_PLUS", cdnInstanceNo = 77 } }))
    assert.equal("CDN_PLUS", vod.cdn.cdnType)
    assert.equal(1, #assert(fin:call("vod.channel.list", {})))
    assert.equal(0, #assert(pub:call("vod.channel.list", {})))
  end)

  it("keeps a channel's zone in the state file", function()
    local state = os.tmpname() .. ".db"
    finally(function() for _, x in ipairs { "", "-wal", "-shm" } do os.remove(state .. x) end end)
    local first, furl = H.start { state = state }
    local c = require("livestation").new { endpoint = furl, access_key = H.AK, secret_key = H.SK, zone = "fin" }
    local ch = assert(c:call("channel.create", FIN_CHANNEL))
    first:stop()
    local again, aurl = H.start { state = state }
    finally(function() again:stop() end)
    c = require("livestation").new { endpoint = aurl, access_key = H.AK, secret_key = H.SK, zone = "fin" }
    assert.equal(ch.channelId, assert(c:call("channel.list", {}))[1].channelId)
    assert.equal(0, #assert(H.client(aurl):call("channel.list", {})))
  end)

  it("is chosen by LIVESTATION_ZONE too, for lsrun call", function()
    emu:stop()
    -- a separate process serves: lsrun call blocks this one while it runs
    local p = assert(io.popen("sh -c 'echo $$; exec ./lsrun emulator --port 0 --quiet 2>/dev/null'"))
    local pid, eurl = p:read("l"), p:read("l")
    finally(function()
      os.execute("kill -TERM " .. pid)
      p:close()
    end)
    local env = "LIVESTATION_ENDPOINT=" .. eurl .. " NCLOUD_ACCESS_KEY_ID=" .. H.AK
      .. " NCLOUD_SECRET_ACCESS_KEY=" .. H.SK
    local c = io.popen(env .. " LIVESTATION_ZONE=fin ./lsrun call channel.create --body "
      .. "'{\"channelName\":\"cli_fin\",\"qualitySetId\":1,\"useDvr\":false,\"record\":{\"type\":\"NO_RECORD\"},"
      .. "\"cdn\":{\"cdnType\":\"CDN_PLUS\",\"cdnInstanceNo\":3}}' 2>&1")
    local out = c:read("a")
    c:close()
    assert.matches('"cdnType": *"CDN_PLUS"', out)
    local status, body = H.request(eurl, "GET", "/api/fin-v2/channels", nil, { region = "FKR" })
    assert.equal(200, status)
    assert.equal("cli_fin", body.content[1].channelName)
    emu = { stop = function() end }
  end)

  it("refuses an unknown zone by name", function()
    assert.error_matches(function()
      require("livestation").new { endpoint = url, access_key = H.AK, secret_key = H.SK, zone = "gov" }
    end, "unknown zone 'gov'")
  end)
end)
