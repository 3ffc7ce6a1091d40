-- The operation table API and the router over its 71 path templates.

local ops = require "livestation.ops"

-- Sample values that collide with no literal segment of any template.
local SAMPLE = {
  channelId = "ls-20240101000000-AbCdE", snapshotId = "4711", id = "88", recordId = "5",
  bucketName = "my-bucket", managerGroupNo = "0", qualityId = "12", qualitySetId = "13",
  platformId = "3699", contentId = "21", scheduleId = "1293",
}

local function fill(path)
  return (path:gsub("{([^}]+)}", function(name)
    return assert(SAMPLE[name], "no sample value for " .. name)
  end))
end

local function route(method, path)
  local op, a, b = ops.match(method, path)
  if type(op) == "table" then return op.id, a end
  return op, a, b
end

describe("ops", function()
  it("lists 71 operations in catalogue order", function()
    local all = ops.all()
    assert.are.equal(71, #all)
    assert.are.equal("channel.create", all[1].id)
    assert.are.equal("vod.schedule.delete", all[71].id)
  end)

  it("gets an operation by id, nil for an unknown one", function()
    assert.are.equal("GET", ops.get("channel.get").method)
    assert.is_nil(ops.get("channel.nope"))
    assert.is_nil(ops.get(nil))
  end)

  it("groups operations by section", function()
    local names, count = {}, 0
    for _, s in ipairs(ops.sections()) do
      names[#names + 1] = s.section
      count = count + #s.operations
      for _, op in ipairs(s.operations) do assert.are.equal(s.section, op.section) end
    end
    assert.are.same({ "channel", "event", "quality_restream", "shortclip", "vod2live" }, names)
    assert.are.equal(71, count)
    assert.are.equal(ops.get("channel.create"), ops.sections()[1].operations[1])
  end)

  it("precomputes path, query and body parameters", function()
    local op = ops.get("record.get")
    assert.are.same({ "channelId", "recordId" }, op.path_params)
    local names = {}
    for _, p in ipairs(ops.get("channel.list").query_params) do names[#names + 1] = p.name end
    assert.are.same({ "pageNo", "pageSizeNo", "channelStatus", "id", "channelName" }, names)
    names = {}
    for _, p in ipairs(ops.get("curtain.start").body_params) do names[#names + 1] = p.name end
    assert.are.same({ "contentId", "insertTime" }, names)
    assert.are.same({}, ops.get("channel.list").body_params)
    assert.are.same({}, ops.get("quality.list").path_params)
  end)

  it("finds a PARAM by name or dotted path", function()
    local op = ops.get("channel.create")
    assert.are.equal("integer", op.param("cdn.profileId").type)
    assert.are.equal("integer", op:param("cdn.profileId").type)
    assert.are.equal("channelName", op.by_name.channelName.name)
    assert.are.equal(op.by_name.useDvr, op.param("useDvr"))
    assert.is_nil(op.param("cdn.nope"))
    assert.is_nil(op.param("nope"))
    assert.are.equal("^/", ops.get("vod.schedule.create").param("vodList.filePath").pattern)
  end)

  describe("match", function()
    it("routes every template back to its operation", function()
      for _, op in ipairs(ops.all()) do
        local path = fill(op.path)
        local got, values = ops.match(op.method, path)
        assert.are.equal(op, got, op.id .. " " .. path)
        local want = {}
        for _, name in ipairs(op.path_params) do want[name] = SAMPLE[name] end
        assert.are.same(want, values)
      end
    end)

    it("prefers literal segments over placeholders", function()
      assert.are.equal("channel.bulkChangeCdn", route("POST", "/api/v2/channels/cdnInfo"))
      assert.are.equal("vod.channel.bulkChangeCdn", route("POST", "/api/v2/vod/channels/cdnInfo"))
      assert.are.equal("channel.changeCdn", route("POST", "/api/v2/channels/ls-1/cdnInfo"))
      assert.are.equal("snapshot.create", route("POST", "/api/v2/channels/ls-1/snapshot"))
      assert.are.equal("snapshot.get", route("GET", "/api/v2/channels/ls-1/snapshot/9"))
      assert.are.equal("shortclip.get", route("GET", "/api/v2/channels/ls-1/shortclip/9"))
      assert.are.equal("record.get", route("GET", "/api/v2/channels/ls-1/records/9"))
      assert.are.equal("curtain.start", route("POST", "/api/v2/channels/ls-1/curtain/insert"))
      assert.are.equal("channel.serviceUrls", route("GET", "/api/v2/channels/ls-1/serviceUrls"))
      local id, values = route("POST", "/api/v2/channels/ls-1/4711")
      assert.are.equal("shortclip.create", id)
      assert.are.same({ channelId = "ls-1", snapshotId = "4711" }, values)
      id, values = route("GET", "/api/v2/channels/ls-1/4711/shortclips")
      assert.are.equal("shortclip.list", id)
      assert.are.same({ channelId = "ls-1", snapshotId = "4711" }, values)
    end)

    it("falls back to a placeholder where the literal leads to no template", function()
      local id, values = route("GET", "/api/v2/channels/cdnInfo/events")
      assert.are.equal("event.channel.list", id)
      assert.are.same({ channelId = "cdnInfo" }, values)
      id, values = route("GET", "/api/v2/channels/ls-1/snapshot/shortclips")
      assert.are.equal("snapshot.get", id)
      assert.are.same({ channelId = "ls-1", snapshotId = "shortclips" }, values)
    end)

    it("tells a known path with another method from an unknown path", function()
      assert.are.same({ nil, "method", { "POST" } }, { route("GET", "/api/v2/channels/cdnInfo") })
      assert.are.same({ nil, "method", { "POST" } }, { route("DELETE", "/api/v2/vod/channels/cdnInfo") })
      assert.are.same({ nil, "method", { "PUT" } }, { route("POST", "/api/v2/channels/ls-1/off") })
      assert.are.same({ nil, "method", { "DELETE", "GET" } }, { route("POST", "/api/v2/channels/ls-1/records") })
      assert.are.same({ nil, "method", { "DELETE", "GET", "PUT" } }, { route("POST", "/api/v2/channels/ls-1") })
      assert.are.same({ nil, "method", { "GET", "POST" } }, { route("PUT", "/api/v2/channels") })
      assert.are.same({ nil, "path" }, { route("GET", "/api/v1/channels") })
      assert.are.same({ nil, "path" }, { route("GET", "/api/v2/channels/ls-1/4711/shortclips/x") })
      assert.are.same({ nil, "path" }, { route("GET", "/api/v2/channels/") })
      assert.are.same({ nil, "path" }, { route("GET", "/api/v2//ls-1") })
      assert.are.same({ nil, "path" }, { route("GET", "api/v2/channels") })
      assert.are.same({ nil, "path" }, { route("GET", "") })
    end)

    it("percent-decodes placeholder values and ignores the query string", function()
      assert.are.same({ "channel.get", { channelId = "a b/c" } }, { route("GET", "/api/v2/channels/a%20b%2Fc") })
      assert.are.same({ "channel.get", { channelId = "%zz" } }, { route("GET", "/api/v2/channels/%zz") })
      assert.are.same({ "channel.serviceUrls", { channelId = "ls-1" } },
        { route("GET", "/api/v2/channels/ls-1/serviceUrls?serviceUrlType=GENERAL") })
      assert.are.same({ "channel.list", {} }, { route("GET", "/api/v2/channels?pageNo=1") })
    end)

    it("accepts the method in any case and raises on misuse", function()
      assert.are.equal("channel.get", route("get", "/api/v2/channels/ls-1"))
      assert.has_error(function() ops.match(nil, "/api/v2/channels") end,
        "ops.match: expected method and path strings")
    end)
  end)
end)
