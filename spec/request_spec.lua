-- livestation.request: targets and bodies built from the real catalogue.

local cjson = require "cjson"
local json = require "livestation.json"
local request = require "livestation.request"

-- The repository's own API description, found from this file's path.
local ROOT = debug.getinfo(1, "S").source:gsub("^@", ""):match("^(.*)/spec/[^/]*$") or "."
local OPS_DIR = ROOT .. "/api/ops/"
local FILES = { "channel", "event", "quality_restream", "shortclip", "vod2live" }

-- The catalogue's operations by id, read straight from the JSON files.
local ops, all = {}, {}
for _, name in ipairs(FILES) do
  local f = assert(io.open(OPS_DIR .. name .. ".json"))
  local doc = cjson.decode(f:read("a"))
  f:close()
  for _, op in ipairs(doc.operations) do
    ops[op.id] = op
    all[#all + 1] = op
  end
end

local function build(id, params)
  return request.build(assert(ops[id], id), params)
end

describe("request.escape", function()
  local cases = {
    { "", "" },
    { "AZaz09-_.~", "AZaz09-_.~" },
    { "a b", "a%20b" },
    { "/?#[]@", "%2F%3F%23%5B%5D%40" },
    { "!$&'()*+,;=", "%21%24%26%27%28%29%2A%2B%2C%3B%3D" },
    { "100%", "100%25" },
    { "é채", "%C3%A9%EC%B1%84" },
    { "\0\n\127\255", "%00%0A%7F%FF" },
  }
  for _, c in ipairs(cases) do
    it(string.format("%q", c[1]), function()
      assert.are.equal(c[2], request.escape(c[1]))
    end)
  end
end)

describe("request.scalar", function()
  local cases = {
    { 6, "6" }, { 6.0, "6" }, { -0.0, "0" }, { -12.0, "-12" }, { 0.1, "0.1" },
    { 1 / 3, "0.3333333333333333" }, { 1700000000000.0, "1700000000000" },
    { true, "true" }, { false, "false" }, { "x y", "x y" },
  }
  for _, c in ipairs(cases) do
    it(string.format("%s (%s)", tostring(c[1]), math.type(c[1]) or type(c[1])), function()
      assert.are.equal(c[2], request.scalar(c[1]))
    end)
  end

  local bad = {
    { "table", {}, "request.scalar: a table cannot be a path or query value" },
    { "nil", nil, "request.scalar: a nil cannot be a path or query value" },
    { "null", json.null, "request.scalar: a null cannot be a path or query value" },
    { "NaN", 0 / 0, "request.scalar: a NaN or infinite number cannot be a path or query value" },
  }
  for _, c in ipairs(bad) do
    it("raises on " .. c[1], function()
      local ok, err = pcall(request.scalar, c[2])
      assert.is_false(ok)
      assert.matches(c[3], err, 1, true)
    end)
  end
end)

describe("request.build", function()
  local cases = {
    { "path and query", "channel.serviceUrls",
      { channelId = "ls-20240101000000-AbCdE", serviceUrlType = "GENERAL" },
      "GET", "/api/v2/channels/ls-20240101000000-AbCdE/serviceUrls?serviceUrlType=GENERAL", nil },
    { "path only", "channel.get", { channelId = "ls-1" },
      "GET", "/api/v2/channels/ls-1", nil },
    { "reserved and non-ASCII characters in the path", "channel.get", { channelId = "a/b c?d#é" },
      "GET", "/api/v2/channels/a%2Fb%20c%3Fd%23%C3%A9", nil },
    { "integral float in the path", "record.get", { channelId = "ls-1", recordId = 6.0 },
      "GET", "/api/v2/channels/ls-1/records/6", nil },
    { "query in catalogue order, floats as integers, absent skipped", "channel.list",
      { channelName = "내 채널 a&b=c", pageSizeNo = 20.0, pageNo = 6.0 },
      "GET", "/api/v2/channels?pageNo=6&pageSizeNo=20&channelName=%EB%82%B4%20%EC%B1%84%EB%84%90%20a%26b%3Dc", nil },
    { "no query params given", "channel.list", {},
      "GET", "/api/v2/channels", nil },
    { "false in the query", "channel.streamMetadata", { channelId = "ls-1", backup = false },
      "GET", "/api/v2/channels/ls-1/streamMetadata?backup=false", nil },
    { "POST with a query and no body params", "snapshot.create", { channelId = "ls-1", limitedDuration = 30.0 },
      "POST", "/api/v2/channels/ls-1/snapshot?limitedDuration=30", nil },
    { "DELETE with a body", "record.delete", { channelId = "ls-1", recordIds = { 1.0, 22 } },
      "DELETE", "/api/v2/channels/ls-1/records", '{"recordIds":[1,22]}' },
    { "empty array parameter", "record.delete", { channelId = "ls-1", recordIds = {} },
      "DELETE", "/api/v2/channels/ls-1/records", '{"recordIds":[]}' },
    { "body op with no body params given", "record.delete", { channelId = "ls-1" },
      "DELETE", "/api/v2/channels/ls-1/records", "{}" },
    { "PUT without body params", "channel.stop", { channelId = "ls-1" },
      "PUT", "/api/v2/channels/ls-1/off", nil },
    { "nested objects, false kept, floats as integers", "channel.create",
      { channelName = "ch", qualitySetId = 3.0, useDvr = false, timemachineMin = 360.0,
        cdn = { createCdn = false, cdnType = "CDN_PLUS", profileId = 1234.0, cdnInstanceNo = 5678 },
        record = { type = "AUTO_UPLOAD", format = "MP4", bucketName = "b", filePath = "/live" } },
      "POST", "/api/v2/channels",
      '{"cdn":{"cdnInstanceNo":5678,"cdnType":"CDN_PLUS","createCdn":false,"profileId":1234},' ..
      '"channelName":"ch","qualitySetId":3,"record":{"bucketName":"b","filePath":"/live",' ..
      '"format":"MP4","type":"AUTO_UPLOAD"},"timemachineMin":360,"useDvr":false}' },
    { "array of objects following the fields", "event.setNotification",
      { channelId = "ls-1", alertOn = false,
        notificationManagerList = { { managerNo = 7.0, notifyType = "EMAIL", emailAddress = "a@b.c" } } },
      "POST", "/api/v2/notification/ls-1/for-general-channel",
      '{"alertOn":false,"notificationManagerList":[{"emailAddress":"a@b.c","managerNo":7,"notifyType":"EMAIL"}]}' },
    { "empty array of objects", "vod.schedule.update", { scheduleId = 9.0, vodList = {} },
      "PUT", "/api/v2/vod/schedule/9", '{"vodList":[]}' },
    { "array of strings with a nested object", "channel.bulkChangeCdn",
      { cdn = { cdnInstanceNo = 1.0, profileId = 2 }, channelList = { "ls-1", "ls-2" } },
      "POST", "/api/v2/channels/cdnInfo",
      '{"cdn":{"cdnInstanceNo":1,"profileId":2},"channelList":["ls-1","ls-2"]}' },
    { "two-level nested object", "shortclip.create",
      { channelId = "ls-1", snapshotId = "77", startTime = 1.0, endTime = 2.0,
        shortclip = { output = { accessControl = "PRIVATE", bucketName = "b", filePath = "/c" } } },
      "POST", "/api/v2/channels/ls-1/77",
      '{"endTime":2,"shortclip":{"output":{"accessControl":"PRIVATE","bucketName":"b","filePath":"/c"}},"startTime":1}' },
  }
  for _, c in ipairs(cases) do
    it(c[1] .. " (" .. c[2] .. ")", function()
      local req = build(c[2], c[3])
      assert.are.equal(c[4], req.method)
      assert.are.equal(c[5], req.target)
      assert.are.equal(c[6], req.body)
      local path, query = c[5]:match("^([^?]*)%??(.*)$")
      assert.are.equal(path, req.path)
      assert.are.equal(query, req.query)
    end)
  end

  it("encodes an array nested in an object field as [] when empty", function()
    local op = {
      id = "test.nested", method = "POST", path = "/t",
      params = {
        { name = "o", ["in"] = "body", type = "object", required = true, fields = {
          { name = "list", ["in"] = "body", type = "array", required = true, items = "integer" },
          { name = "rows", ["in"] = "body", type = "array", required = false, items = "object", fields = {
            { name = "tags", ["in"] = "body", type = "array", required = false, items = "string" },
          } },
        } },
      },
    }
    local req = request.build(op, { o = { list = {}, rows = { { tags = {} }, {} } } })
    assert.are.equal('{"o":{"list":[],"rows":[{"tags":[]},{}]}}', req.body)
  end)

  it("never modifies the caller's tables", function()
    local ids = {}
    local list = { { managerNo = 7.0, notifyType = "SMS" } }
    local params = { channelId = "ls-1", recordIds = ids }
    build("record.delete", params)
    build("event.setNotification", { channelId = "ls-1", alertOn = true, notificationManagerList = list })
    assert.is_nil(getmetatable(ids))
    assert.is_nil(next(ids))
    assert.is_nil(getmetatable(list))
    assert.are.equal("float", math.type(list[1].managerNo))
    assert.are.same({ channelId = "ls-1", recordIds = {} }, params)
  end)

  local bad = {
    { "missing path parameter", "channel.get", {},
      "request.build: channel.get: missing path parameter 'channelId'" },
    { "table in the query", "channel.list", { pageNo = { 1 } },
      "request.build: channel.list: parameter 'pageNo': a table cannot be a path or query value" },
    { "NaN in the body", "record.delete", { channelId = "ls-1", recordIds = { 0 / 0 } },
      "json.encode: NaN cannot be encoded at body.recordIds[1]" },
    { "sparse array in the body", "record.delete", { channelId = "ls-1", recordIds = { 1, nil, 3 } },
      "json.encode: sparse array at body.recordIds" },
  }
  for _, c in ipairs(bad) do
    it("raises on " .. c[1], function()
      local ok, err = pcall(build, c[2], c[3])
      assert.is_false(ok)
      assert.are.equal(c[4], err)
    end)
  end

  it("builds every catalogue operation from its path parameters alone", function()
    assert.is_true(#all >= 70)
    for _, op in ipairs(all) do
      local params, has_body = {}, false
      for _, p in ipairs(op.params or {}) do
        if p["in"] == "path" then params[p.name] = "x" end
        if p["in"] == "body" then has_body = true end
      end
      local req = request.build(op, params)
      assert.are.equal(op.method, req.method)
      assert.is_nil(req.target:find("[{}]"), op.id)
      assert.are.equal("", req.query, op.id)
      assert.are.equal(has_body and "{}" or nil, req.body, op.id)
    end
  end)
end)
