-- The Lua Language Server annotations (tools/gen_meta.lua, built by make
-- into build/meta/livestation.lua): current with the operation table, valid
-- Lua, and complete: every operation a function of its group's class,
-- every parameter (nested ones too) a field of the operation's parameter
-- class with the table's type and requiredness, and a declared result.

local ops = require "livestation.ops"
local shell = require "helpers.shell"


local function generate()
  local p = assert(io.popen("lua5.4 tools/gen_meta.lua"))
  local text = p:read("a")
  assert(p:close())
  return text
end

-- { [class] = { fields = { [name] = { type =, optional = } }, functions = { [name] = lines } } }
local function parse(text)
  local classes, current, doc = {}, nil, {}
  local vars = {}
  for line in text:gmatch("[^\n]*") do
    local class = line:match("^%-%-%-@class ([%w_.]+)")
    if class then
      current = { fields = {}, functions = {} }
      classes[class] = current
    end
    local name, opt, ftype = line:match("^%-%-%-@field ([%w_]+)(%??) (%S+)")
    if name and current then current.fields[name] = { type = ftype, optional = opt == "?" } end
    local var = line:match("^local ([%w_]+) = {}$")
    if var and current then vars[var] = current end
    if line:match("^%-%-%-") then
      doc[#doc + 1] = line
    else
      local owner, fname = line:match("^function ([%w_]+)[.:]([%w_]+)%(")
      if not owner then owner, fname = line:match('^([%w_]+)%["([%w_]+)"%] = function%(') end
      if owner and vars[owner] then vars[owner].functions[fname] = doc end
      doc = {}
    end
  end
  return classes
end

local EXPECTED_TYPE = { string = "string", integer = "integer", number = "number", boolean = "boolean" }

describe("editor annotations", function()
  local text, classes

  lazy_setup(function()
    text = shell.read("build/meta/livestation.lua")
    classes = parse(text)
  end)

  it("are what the generator makes of the table today", function()
    assert.equal(generate(), text)
  end)

  it("are a meta file of valid Lua", function()
    assert.matches("^%-%-%-@meta livestation\n", text)
    assert.is_function(load(text, "=meta"))
  end)

  it("give every operation a function of its group with params, content, err and meta", function()
    for _, op in ipairs(ops.all()) do
      local group, name = op.id:match("^(.+)%.([^.]+)$")
      local cls = classes["livestation.ops." .. group]
      assert.is_table(cls, "no class for group " .. group)
      local doc = cls.functions[name]
      assert.is_table(doc, "no function for " .. op.id)
      local joined = table.concat(doc, "\n")
      assert.truthy(joined:find("@param params%??%s+livestation%.params%." .. op.id:gsub("%.", "%%.") .. "\n"),
        op.id .. " params")
      assert.matches("@return %S+%? content", joined)
      assert.matches("@return livestation%.Error%? err", joined)
      assert.matches("@return livestation%.Meta%? meta", joined)
    end
  end)

  it("reach every group from the client: ls.channel, ls.vod.schedule", function()
    local client = classes["livestation.Client"]
    assert.equal("livestation.ops.channel", client.fields.channel.type)
    assert.equal("livestation.ops.vod.schedule", classes["livestation.ops.vod"].fields.schedule.type)
    assert.equal("livestation.ops.curtain.content", classes["livestation.ops.curtain"].fields.content.type)
  end)

  it("list every parameter with its type and whether it is required", function()
    local count = 0
    local function check(cls_name, params)
      local cls = classes[cls_name]
      assert.is_table(cls, "no class " .. cls_name)
      for _, p in ipairs(params) do
        local f = cls.fields[p.name]
        assert.is_table(f, cls_name .. " lacks " .. p.name)
        assert.equal(p.required ~= true, f.optional, cls_name .. "." .. p.name .. " requiredness")
        if p.type == "string" and p.enum then
          assert.equal('"' .. tostring(p.enum[1]) .. '"', f.type:match('^"[^"]*"'), p.name)
        elseif EXPECTED_TYPE[p.type] then
          assert.equal(EXPECTED_TYPE[p.type], f.type, cls_name .. "." .. p.name)
        elseif p.type == "object" and p.fields then
          assert.equal(cls_name .. "." .. p.name, f.type)
          check(f.type, p.fields)
        elseif p.type == "array" and p.fields then
          assert.equal(cls_name .. "." .. p.name .. "[]", f.type)
          check(cls_name .. "." .. p.name, p.fields)
        end
        count = count + 1
      end
    end
    for _, op in ipairs(ops.all()) do check("livestation.params." .. op.id, op.params) end
    assert.is_true(count > 100)
  end)

  it("know what channel.create returns", function()
    local doc = table.concat(classes["livestation.ops.channel"].functions.create, "\n")
    assert.matches("@return livestation%.result%.channel%.create%? content", doc)
    local result = classes["livestation.result.channel.create"]
    assert.equal("string", result.fields.channelId.type)
    assert.equal("string", result.fields.streamKey.type)
    assert.matches('"READY"', result.fields.channelStatus.type)
    -- and a list's items
    doc = table.concat(classes["livestation.ops.channel"].functions.list, "\n")
    assert.matches("@return livestation%.result%.channel%.list%[%]%? content", doc)
    assert.is_table(classes["livestation.result.channel.list"].fields.channelId)
  end)
end)
