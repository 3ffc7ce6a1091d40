-- Every one of the 71 operations, called through ls:call with realistic
-- parameters, arrives at an independent gateway with a valid signature and
-- exactly the method, path, query and JSON body the catalogue specifies.
-- The expectations are computed here from the catalogue with code of the
-- spec's own (encoding, JSON decoding through cjson directly).

local cjson = require "cjson"
local ops = require "livestation.ops"
local gateway = require "helpers.gateway"
local fixtures = require "fixtures.operations"

local function escape(s)
  return (s:gsub("[^A-Za-z0-9%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function render(v) -- how a path or query value must look on the wire
  if type(v) == "number" then
    local i = math.tointeger(v)
    return i and string.format("%d", i) or tostring(v)
  end
  return tostring(v)
end

-- cjson floats and our Lua values compared by value, integers exactly.
local function normalize(v)
  if type(v) == "table" then
    local t = {}
    for k, x in pairs(v) do t[k] = normalize(x) end
    return t
  elseif type(v) == "number" then
    return math.tointeger(v) or v
  end
  return v
end

describe("every operation", function()
  local gw, ls
  setup(function()
    gw = gateway.start { respond = function() return 200, gateway.JSON, '{"content":{}}' end }
    ls = gateway.client(gw)
  end)
  teardown(function() gw.close() end)

  it("has a fixture for each of the 71 operations", function()
    local seen = {}
    for _, f in ipairs(fixtures) do seen[f[1]] = true end
    local missing = {}
    for _, op in ipairs(ops.all()) do
      if not seen[op.id] then missing[#missing + 1] = op.id end
    end
    assert.same({}, missing)
    assert.equal(71, #ops.all())
  end)

  for _, f in ipairs(fixtures) do
    local id, params = f[1], f[2]
    it(id .. " arrives as the catalogue says", function()
      local op = assert(ops.get(id))
      local before = #gw.requests
      local _, err = ls:call(id, params)
      assert.is_nil(err, err and tostring(err))
      assert.equal(before + 1, #gw.requests)
      local r = gw.last()
      assert.is_true(r.signature_ok, "signature")
      assert.equal(op.method, r.method)
      -- path
      local path = op.path:gsub("{(%w+)}", function(name) return escape(render(params[name])) end)
      assert.equal(path, r.path)
      -- query: exactly the query parameters given, rendered
      local want_q, want_body, has_body = {}, {}, false
      for _, p in ipairs(op.params) do
        if p["in"] == "query" and params[p.name] ~= nil then want_q[p.name] = render(params[p.name]) end
        if p["in"] == "body" then
          has_body = true
          want_body[p.name] = params[p.name]
        end
      end
      assert.same(want_q, gateway.parse_query(r.query))
      assert.equal(r.path .. (r.query ~= "" and ("?" .. r.query) or ""), r.target)
      -- body: exactly the body parameters, integral numbers as integers
      if has_body then
        assert.equal("application/json", r.headers["content-type"])
        assert.same(normalize(want_body), normalize(cjson.decode(r.body)))
        assert.not_matches("%d%.0[,}%]]", r.body)
      else
        assert.equal("", r.body)
      end
    end)
  end
end)
