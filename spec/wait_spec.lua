-- Waiters and pagination against the independent gateway.

local gateway = require "helpers.gateway"
local json = require "livestation.json"

local CH = "ls-20240101000000-AbCdE"

local function channel(status)
  return json.encode { content = { channelId = CH, channelStatus = status } }
end

describe("ls:wait", function()
  local gw
  after_each(function() if gw then gw.close() gw = nil end end)

  it("polls until the channel is READY", function()
    local states = { "CREATING", "CREATING", "READY" }
    gw = gateway.start { respond = function(_, i) return 200, gateway.JSON, channel(states[i]) end }
    local c, err = gateway.client(gw):wait("channel_ready", { channelId = CH }, { interval = 0.01 })
    assert.is_nil(err)
    assert.equal("READY", c.channelStatus)
    assert.equal(3, #gw.requests)
  end)

  it("accepts the older PUBLISH spelling for publishing", function()
    gw = gateway.start { respond = function() return 200, gateway.JSON, channel("PUBLISH") end }
    local c = gateway.client(gw):wait("channel_publishing", { channelId = CH }, { interval = 0.01 })
    assert.equal("PUBLISH", c.channelStatus)
  end)

  it("gives up at once on a state that cannot lead there", function()
    gw = gateway.start { respond = function() return 200, gateway.JSON, channel("DELETED") end }
    local c, err = gateway.client(gw):wait("channel_ready", { channelId = CH }, { interval = 0.01 })
    assert.is_nil(c)
    assert.matches("channel is DELETED", err.message)
    assert.equal(1, #gw.requests)
  end)

  it("waits its whole timeout, polling once more at the end", function()
    local core = require "livestation.core"
    gw = gateway.start { respond = function() return 200, gateway.JSON, channel("CREATING") end }
    -- each look is stamped where the client sees the answer, so a machine
    -- that stalls can only make a look later, never earlier
    local looks = {}
    local started = core.monotonic()
    local _, err = gateway.client(gw):wait("channel.get", { channelId = CH },
      { interval = 0.4, max_interval = 5, timeout = 1.0,
        ["until"] = function() looks[#looks + 1] = core.monotonic(); return false, "CREATING" end })
    local took = core.monotonic() - started
    assert.equal("timeout", err.kind)
    -- the last look starts at the deadline and may take up to LOOK_GRACE
    assert.is_true(took >= 1.0 and took < 1.0 + 2 + 0.5, "took " .. took)
    assert.is_true(looks[#looks] - started >= 1.0 - 0.02, "last look too early")
    assert.matches("last seen: CREATING$", err.message)
  end)

  it("times out with the last state seen", function()
    gw = gateway.start { respond = function() return 200, gateway.JSON, channel("CREATING") end }
    -- a timeout long enough for a first look on a loaded machine
    local _, err = gateway.client(gw):wait("channel_ready", { channelId = CH },
      { interval = 0.05, timeout = 2 })
    assert.equal("timeout", err.kind)
    assert.matches("last seen: CREATING", err.message)
  end)

  it("gives the look taken at the deadline time to come back", function()
    local core = require "livestation.core"
    local started
    gw = gateway.start { respond = function()
      -- the look at the deadline takes 0.3 s to answer
      if core.monotonic() - started >= 0.45 then core.sleep(0.3) end
      return 200, gateway.JSON, channel("CREATING")
    end }
    local looks = 0
    started = core.monotonic()
    local _, err = gateway.client(gw):wait("channel.get", { channelId = CH },
      { interval = 0.2, timeout = 0.5, ["until"] = function() looks = looks + 1; return false, "CREATING" end })
    assert.equal("timeout", err.kind)
    assert.matches("last seen: CREATING$", err.message)
    -- the look at the deadline came back although the deadline had passed
    assert.is_true(core.monotonic() - started >= 0.5 + 0.25)
    assert.is_true(looks >= 2, "looks: " .. looks)
  end)

  it("names the failure of the last look after the last state seen", function()
    local n = 0
    gw = gateway.start { respond = function()
      n = n + 1
      if n == 1 then return 200, gateway.JSON, channel("CREATING") end
      return 503, gateway.JSON, '{"errorCode":"250016","message":"Server error"}'
    end }
    local client = gateway.client(gw)
    local _, err = client:wait("channel_ready", { channelId = CH }, { interval = 0.05, timeout = 0.4 })
    assert.equal("timeout", err.kind)
    assert.matches("last seen: CREATING; the last look failed: ", err.message)
  end)

  it("waits for a recording upload, keyed by record id", function()
    local states = { "TRANSFER", "TRANSFER_FINISH" }
    gw = gateway.start { respond = function(_, i)
      return 200, gateway.JSON, json.encode { content = { ["1001"] = { status = states[i] } } }
    end }
    local c = gateway.client(gw):wait("record_uploaded", { channelId = CH, recordId = 1001 }, { interval = 0.01 })
    assert.equal("TRANSFER_FINISH", c["1001"].status)
  end)

  it("fails when a short clip fails", function()
    gw = gateway.start { respond = function()
      return 200, gateway.JSON, json.encode { content = { shortclip = { status = "UPLOAD_FAIL" } } }
    end }
    local _, err = gateway.client(gw):wait("shortclip_completed", { channelId = CH, id = "5" }, { interval = 0.01 })
    assert.matches("UPLOAD_FAIL", err.message)
  end)

  it("stops on an error that retrying cannot fix", function()
    gw = gateway.start { respond = function()
      return 404, gateway.JSON, '{"error":{"errorCode":250100,"message":"Channel is not found"}}'
    end }
    local _, err = gateway.client(gw):wait("channel_ready", { channelId = CH }, { interval = 0.01 })
    assert.equal(250100, err.code)
  end)

  it("waits on any operation with a condition", function()
    local n = 0
    gw = gateway.start { respond = function() n = n + 1 return 200, gateway.JSON, channel(n > 1 and "BLOCK" or "READY") end }
    local c = gateway.client(gw):wait("channel.get", { channelId = CH },
      { interval = 0.01, ["until"] = function(x) return x.channelStatus == "BLOCK" end })
    assert.equal("BLOCK", c.channelStatus)
  end)

  it("names the waiters when given an unknown one", function()
    gw = gateway.start()
    assert.has_error(function() gateway.client(gw):wait("channel_redy", {}) end)
  end)
end)

describe("pagination", function()
  local gw
  after_each(function() if gw then gw.close() gw = nil end end)

  it("walks every page and every item", function()
    local all = {}
    for i = 1, 5 do all[i] = { channelId = "c" .. i } end
    gw = gateway.start { respond = function(rec)
      local q = gateway.parse_query(rec.query)
      local page, size = tonumber(q.pageNo), tonumber(q.pageSizeNo)
      local items = {}
      for i = (page - 1) * size + 1, math.min(#all, page * size) do items[#items + 1] = all[i] end
      return 200, gateway.JSON, json.encode { content = json.array(items), total = #all }
    end }
    local ls = gateway.client(gw)
    local ids = {}
    for item in ls:each("channel.list", { pageSizeNo = 2 }) do ids[#ids + 1] = item.channelId end
    assert.same({ "c1", "c2", "c3", "c4", "c5" }, ids)
    assert.equal(3, #gw.requests)
    local pages = 0
    for items, page, total in ls:pages("channel.list", { pageSizeNo = 5 }) do
      pages = pages + 1
      assert.equal(5, #items)
      assert.equal(1, page)
      assert.equal(5, total)
    end
    assert.equal(1, pages)
  end)

  it("raises the error object when a page fails", function()
    gw = gateway.start { respond = function()
      return 403, gateway.JSON, '{"error":{"errorCode":250010,"message":"no"}}'
    end }
    local ok, err = pcall(function() for _ in gateway.client(gw):each("channel.list", {}) do end end)
    assert.is_false(ok)
    assert.equal(250010, err.code)
  end)

  it("refuses an operation without pages", function()
    gw = gateway.start()
    assert.has_error(function() gateway.client(gw):pages("channel.get", {}) end)
  end)
end)
