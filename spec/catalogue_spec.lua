-- The generated catalogue: its shape, its agreement with the API
-- specification it is generated from, and the patterns it holds.

local catalogue = require "livestation.catalogue"
local docs = require "livestation.catalogue_docs"
local ops = require "livestation.ops"
local pattern = require "livestation.pattern"

-- The repository root, from this file's own path.
local function repo_root()
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/[^/]*$")
  return dir or "."
end

local ROOT = repo_root()
local API_DIR = ROOT .. "/api"

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- The interpreter running this spec (busted is started by one).
local function lua_bin()
  local i = -1
  while arg and arg[i - 1] do i = i - 1 end
  return arg and arg[i] or "lua5.4"
end

local function run(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- An operation as the description has it: the call table's fields and
-- the documentation table's, together.
local function merged(op)
  local d, m = docs.operations[op.id] or {}, {}
  for k, v in pairs(op) do m[k] = v end
  for k, v in pairs(d) do if k ~= "params" then m[k] = v end end
  m.params = ops.documented_params(op)
  return m
end

local function all_ops()
  local list = {}
  for _, s in ipairs(catalogue.sections) do
    for _, op in ipairs(s.operations) do list[#list + 1] = merged(op) end
  end
  return list
end

local function each_param(params, fn, prefix)
  for _, p in ipairs(params or {}) do
    fn(p, (prefix or "") .. p.name)
    each_param(p.fields, fn, (prefix or "") .. p.name .. ".")
  end
end

describe("catalogue", function()
  it("has 71 operations with unique ids, a method and a path", function()
    local ops, seen = all_ops(), {}
    assert.are.equal(71, #ops)
    for _, op in ipairs(ops) do
      assert.is_nil(seen[op.id], "duplicate id " .. tostring(op.id))
      seen[op.id] = true
      assert.is_truthy(({ GET = 1, POST = 1, PUT = 1, DELETE = 1 })[op.method], op.id)
      assert.is_truthy(op.path:match("^/api/v2/"), op.id)
      assert.is_string(op.title, op.id)
      assert.is_string(op.source, op.id)
    end
  end)

  it("keeps sections in file order with their file names", function()
    local names = {}
    for _, s in ipairs(catalogue.sections) do names[#names + 1] = s.section .. "@" .. s.file end
    assert.are.same({ "channel@channel.json", "event@event.json",
      "quality_restream@quality_restream.json", "shortclip@shortclip.json",
      "vod2live@vod2live.json" }, names)
    assert.are.equal("channel.create", catalogue.sections[1].operations[1].id)
  end)

  it("gives every PARAM name, in, type and required", function()
    for _, op in ipairs(all_ops()) do
      each_param(op.params, function(p, path)
        assert.is_string(p.name, op.id .. " " .. path)
        assert.is_truthy(({ path = 1, query = 1, body = 1 })[p["in"]], op.id .. " " .. path)
        assert.is_truthy(({ string = 1, integer = 1, number = 1, boolean = 1, object = 1, array = 1 })[p.type],
          op.id .. " " .. path)
        assert.is_truthy(p.required == true or p.required == false or p.required == "conditional",
          op.id .. " " .. path)
        if p.required == "conditional" then assert.is_string(p.when, op.id .. " " .. path) end
      end)
    end
  end)

  it("names every path placeholder as a path PARAM", function()
    for _, op in ipairs(all_ops()) do
      for name in op.path:gmatch("{([^}]+)}") do
        local found
        for _, p in ipairs(op.params) do
          if p.name == name and p["in"] == "path" then found = true end
        end
        assert.is_true(found, op.id .. " {" .. name .. "}")
      end
    end
  end)

  it("writes integral numbers as integers everywhere", function()
    local floats = {}
    local function walk(v, where)
      if type(v) == "number" and math.type(v) == "float" and v == math.floor(v) then
        floats[#floats + 1] = where
      elseif type(v) == "table" then
        for k, x in pairs(v) do walk(x, where .. "." .. tostring(k)) end
      end
    end
    walk(catalogue, "catalogue")
    walk(docs, "catalogue_docs")
    assert.are.same({}, floats)
    local create = catalogue.sections[1].operations[1]
    assert.are.equal("integer", math.type(create.params[1].minLength))
  end)

  it("keys errors by integer code and leaves null out", function()
    assert.are.equal("EXCEPTION", catalogue.errors[250000].name)
    assert.is_nil(catalogue.errors[250000].http)
    assert.are.equal(200, catalogue.errors[250013].http)
    assert.are.equal("Invalid parameter type.{0} can not convert to type {1}.", catalogue.errors[250021].message)
    assert.are.equal("OPEN_API_PARAM_TYPE_ERROR", catalogue.errors[250021].name)
    assert.are.equal("OPEN_API_INVALID_REGION_CODE", catalogue.errors[250020].name)
    assert.is_nil(catalogue.errors["250000"])
    for code in pairs(catalogue.errors) do assert.are.equal("integer", math.type(code)) end
    assert.are.equal(401, docs.gateway_errors["200"].http)
  end)

  it("names every code the public error table names (250000-250021)", function()
    for code = 250000, 250021 do
      assert.is_string(catalogue.errors[code].name, tostring(code))
      assert.is_truthy(catalogue.errors[code].name:match("^[A-Z_]+$"), tostring(code))
    end
  end)

  it("follows the service's error messages where the reference contradicts itself", function()
    local create
    for _, op in ipairs(all_ops()) do if op.id == "quality.create" then create = op end end
    local video = {}
    for _, p in ipairs(create.params) do
      if p.name == "video" then for _, f in ipairs(p.fields) do video[f.name] = f end end
    end
    assert.are.same({ 10, 15, 23.97, 24, 29.97, 30, 50, 60 }, video.fps.enum)
    assert.are.equal(20000000, video.bitrate.max)
    assert.are.same({ "FIX" }, video.orientation.enum)
  end)

  it("carries the callback payload", function()
    local names = {}
    for _, f in ipairs(docs.callback_payload.fields) do names[#names + 1] = f.name end
    assert.are.same({ "id", "logLevel", "channelId", "event", "timestamp" }, names)
    assert.are.equal("STREAM_RESERVE", docs.callback_payload.eventTypes[1].name)
  end)

  it("keeps UTF-8 readable in the generated source", function()
    local text = read(ROOT .. "/lua/livestation/catalogue.lua")
    assert.is_truthy(text:find("^[0-9A-Za-z_가-힣]+$", 1, true))
  end)

  it("compiles every pattern it holds", function()
    local count = 0
    for _, op in ipairs(all_ops()) do
      each_param(op.params, function(p, path)
        if p.pattern then
          local ok, m = pcall(pattern.compile, p.pattern)
          assert.is_true(ok, op.id .. " " .. path .. ": " .. tostring(m))
          count = count + 1
        end
      end)
    end
    assert.is_true(count >= 6)
  end)

  describe("generation", function()
    local have_api = exists(API_DIR .. "/errors.json")

    if not have_api then
      pending("the API specification folder is not beside the checkout (" .. API_DIR .. ")")
      return
    end

    local gen = lua_bin() .. " " .. shell_quote(ROOT .. "/tools/gen_catalogue.lua")

    it("matches the committed catalogue.lua", function()
      local out, ok = run(gen .. " " .. shell_quote(API_DIR))
      assert.is_true(ok)
      assert.is_true(out == read(ROOT .. "/lua/livestation/catalogue.lua"),
        "catalogue.lua is stale: regenerate with make catalogue")
    end)

    it("matches the committed catalogue_docs.lua", function()
      local out, ok = run(gen .. " --docs " .. shell_quote(API_DIR))
      assert.is_true(ok)
      assert.is_true(out == read(ROOT .. "/lua/livestation/catalogue_docs.lua"),
        "catalogue_docs.lua is stale: regenerate with make catalogue")
    end)

    it("keeps prose, provenance and response shapes out of the call table", function()
      local text = read(ROOT .. "/lua/livestation/catalogue.lua")
      for _, word in ipairs { "summary", "notes", "response", "title", "source", "http_basis", "when",
        "description", "callback_payload", "gateway_errors" } do
        assert.is_nil(text:find("\n%s*" .. word .. " = "), word)
      end
      assert.is_true(#text * 4 < #read(ROOT .. "/lua/livestation/catalogue_docs.lua"))
    end)

    it("reads LIVESTATION_API_DIR when no folder is given", function()
      local out, ok = run("LIVESTATION_API_DIR=" .. shell_quote(API_DIR) .. " " .. gen)
      assert.is_true(ok)
      assert.is_true(out == read(ROOT .. "/lua/livestation/catalogue.lua"))
    end)

    it("make catalogue leaves both tables untouched when generation fails", function()
      local dir = os.tmpname()
      os.remove(dir)
      assert.is_true(os.execute("mkdir -p " .. shell_quote(dir .. "/api/ops")))
      assert.is_true(os.execute("cp " .. shell_quote(API_DIR .. "/ops/channel.json") .. " " .. shell_quote(dir .. "/api/ops/")))
      local f = assert(io.open(dir .. "/api/errors.json", "w"))
      f:write('{"250000": {"name": "EXCEPTION", ') -- cut short
      f:close()
      for _, name in ipairs { "catalogue.lua", "catalogue_docs.lua" } do
        f = assert(io.open(dir .. "/" .. name, "w"))
        f:write("old " .. name)
        f:close()
      end
      local out, ok = run("make -s -C " .. shell_quote(ROOT) .. " catalogue API=" .. shell_quote(dir .. "/api") ..
        " CAT=" .. shell_quote(dir .. "/catalogue") .. " 2>&1")
      assert.is_falsy(ok)
      assert.matches("gen_catalogue: .*errors%.json", out)
      assert.are.equal("old catalogue.lua", read(dir .. "/catalogue.lua"))
      assert.are.equal("old catalogue_docs.lua", read(dir .. "/catalogue_docs.lua"))
      assert.is_false(exists(dir .. "/catalogue.lua.tmp"))
      assert.is_false(exists(dir .. "/catalogue_docs.lua.tmp"))
      os.execute("rm -rf " .. shell_quote(dir))
    end)

    it("fails with a message on a folder without operations", function()
      local out, ok = run(gen .. " /nonexistent-livestation-api 2>&1")
      assert.is_falsy(ok)
      assert.are.equal("gen_catalogue: no ops/*.json under /nonexistent-livestation-api\n", out)
    end)

    it("keeps every member of every operation", function()
      local cjson = require "cjson"
      -- JSON with null left out and integral numbers as integers
      local function norm(v)
        if type(v) == "number" then return math.tointeger(v) or v end
        if type(v) ~= "table" then return v end
        local out = {}
        for k, x in pairs(v) do
          if x ~= cjson.null then out[k] = norm(x) end
        end
        return out
      end
      for _, section in ipairs(catalogue.sections) do
        local doc = cjson.decode(read(API_DIR .. "/ops/" .. section.file))
        local ops = {}
        for i, op in ipairs(section.operations) do ops[i] = merged(op) end
        assert.are.same(norm(doc.operations), ops)
      end
      local errs = cjson.decode(read(API_DIR .. "/errors.json"))
      for key, e in pairs(errs) do
        if key ~= "apigw" then
          local code, both = math.tointeger(tonumber(key)), {}
          for k, v in pairs(catalogue.errors[code]) do both[k] = v end
          for k, v in pairs(docs.errors[code] or {}) do both[k] = v end
          assert.are.same(norm(e), both, key)
        end
      end
      assert.are.same(norm(errs.apigw), docs.gateway_errors)
    end)
  end)
end)
