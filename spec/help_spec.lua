-- lsrun help OP: every operation's help shows what it takes and returns
-- with an example, without the notes on how the reference was read. (The
-- usage and "did you mean" of lsrun help and lsrun call are in
-- lsrun_spec.lua, run as a process.)

local ops = require "livestation.ops"
local json = require "livestation.json"
local help = require "lsrun.help"

-- An in-memory file for help.main.
local function buffer()
  local b = { parts = {} }
  function b:write(...)
    for i = 1, select("#", ...) do self.parts[#self.parts + 1] = tostring(select(i, ...)) end
    return self
  end
  function b:text() return table.concat(self.parts) end
  return b
end

local function help_of(id)
  local out, err = buffer(), buffer()
  local status = help.main(id, out, err)
  return status, out:text(), err:text()
end

-- Remarks about the reference that must stay in api/.
local REFERENCE_WORDS = { "%f[%a]older%f[%A]", "%f[%a]newest%f[%A]", "%f[%a]tables?%f[%A]",
  "UNCONFIRMED", "client code", "%f[%a]reference%f[%A]", "NOT DOCUMENTED", "inferred", "cut off",
  "retrieved", "readable" }

-- The example block after "example result:", decoded.
local function example_of(text)
  local block = text:match("example result:\n(.-)\n\n") or text:match("example result:\n(.*)$")
  if not block then return nil end
  return json.decode(block)
end

describe("lsrun help", function()
  it("describes every operation: parameters, what it returns and an example", function()
    for _, op in ipairs(ops.all()) do
      local status, out = help_of(op.id)
      assert.equal(0, status, op.id)
      assert.matches(op.method .. " " .. op.path:gsub("%p", "%%%0"), out, 1, false, op.id)
      assert.matches("\n  returns: ", out, 1, false, op.id)
      for _, w in ipairs(REFERENCE_WORDS) do
        assert.is_nil(out:find(w), op.id .. " help mentions " .. w .. ":\n" .. out)
      end
      local content
      for _, f in ipairs(op.response.fields) do
        if f.name == "content" then content = f end
      end
      if op.response.shape ~= "empty" and content then
        local ex = example_of(out)
        assert.is_table(ex, op.id .. ": no example that parses as JSON")
        local item = content.type == "array" and ex[1] or ex
        for _, f in ipairs(content.fields or {}) do
          if not f.name:match("^{") then
            assert.is_not_nil(item[f.name], op.id .. ": the example lacks " .. f.name)
          end
        end
      end
    end
  end)

  it("shows the result of snapshot.create and shortclip.create, member by member", function()
    local _, out = help_of("snapshot.create")
    assert.matches("returns: an object", out)
    assert.matches("\n      snapshotId%s+integer%s+snapshot id", out)
    assert.equal("CREATING", example_of(out).channelStatus)
    assert.equal(0, example_of(out).snapshot.snapshotId)
    _, out = help_of("shortclip.create")
    assert.matches("\n      status%s+string%s+processing status; one of CREATING|", out)
    assert.equal("PRIVATE", example_of(out).shortclip.output.accessControl)
    _, out = help_of("channel.list")
    assert.matches("returns: a list %(the response's content%); meta.total", out)
    assert.is_table(example_of(out)[1])
  end)

  it("matches what the README shows for the calls the workflows use", function()
    local f = assert(io.open("README.md", "rb"))
    local readme = f:read("a")
    f:close()
    local n = 0
    for id, block in readme:gmatch("```text\n# lsrun help (%S+): what it returns\n(.-)\n```") do
      local _, out = help_of(id)
      local returns = out:match("\n(  returns:.-)\n\n")
      assert.equal(returns, block, "README's block for " .. id .. " differs from lsrun help")
      n = n + 1
    end
    assert.is_true(n >= 2, "the README shows what snapshot.create and shortclip.create return")
    assert.matches("# lsrun help snapshot.create:", readme)
    assert.matches("# lsrun help shortclip.create:", readme)
  end)

  it("keeps the user's words and drops the notes on the reference", function()
    assert.equal("channel state", help.user_text("channel state (older tables wrote PUBLISH instead of PUBLISHING)"))
    assert.equal("time machine (DVR) on", help.user_text("time machine (DVR) on; newest tables spell it useDVR, older ones useDvr"))
    assert.equal("ingest redundancy on",
      help.user_text("UNCONFIRMED in the tables read (seen in client code): ingest redundancy on"))
    assert.equal("folder path inside the bucket, starts with /",
      help.user_text("folder path inside the bucket, starts with /"))
    assert.is_nil(help.user_text("listed only on the older page"))
    assert.is_nil(help.user_text(nil))
    assert.equal("channel the snapshot was taken from", help.user_text("channel the snapshot was taken from"))
  end)
end)
