-- The quick yes of validate.check (one loop for operations whose
-- parameters are all top-level scalars) must never accept what the full
-- walk refuses: on random parameters for every operation of every zone,
-- validate.check and validate.check_walk give the same answer and the
-- same problem.

local ops = require "livestation.ops"
local validate = require "livestation.validate"
local json = require "livestation.json"

local function every_op()
  local list = {}
  for _, op in ipairs(ops.all()) do list[#list + 1] = op end
  for _, zone in ipairs(ops.zone_names()) do
    for _, op in ipairs(ops.all()) do
      local z = ops.in_zone(op.id, zone)
      if z and z ~= op then list[#list + 1] = z end
    end
  end
  return list
end

-- Values around what a parameter declares: its enum, its bounds and one
-- past them, lengths at and past its limits, other types, null, NaN.
local function candidates(p)
  local c = { json.null, true, false, 0, 1, -1, 1.5, 6.0, 0 / 0, math.huge, 2 ^ 53, "", "a", "ls-1",
    "20250820190000", "\255", {}, { 1 }, "12", "-3", "https://example.com/a.mp4" }
  for _, v in ipairs(p.enum or {}) do c[#c + 1] = v end
  for _, b in ipairs { p.min or false, p.max or false } do
    if b then
      c[#c + 1] = b
      c[#c + 1] = b - 1
      c[#c + 1] = b + 1
      c[#c + 1] = b + 0.5
    end
  end
  for _, n in ipairs { p.minLength or false, p.maxLength or false } do
    if n then
      c[#c + 1] = string.rep("x", n)
      c[#c + 1] = string.rep("x", n + 1)
      if n > 0 then c[#c + 1] = string.rep("x", n - 1) end
      c[#c + 1] = string.rep("\u{e9}", n)
    end
  end
  return c
end

local function random_params(op)
  local params = {}
  for _, p in ipairs(op.params) do
    if math.random() < 0.8 then
      local c = candidates(p)
      params[p.name] = c[math.random(#c)]
    end
  end
  if math.random() < 0.1 then params.notAParameter = "x" end
  if math.random() < 0.05 then params[1] = "x" end
  return params
end

describe("validate.check's quick yes", function()
  it("answers as the full walk does, on random parameters for every operation", function()
    math.randomseed(17)
    local accepted, compared = 0, 0
    for _, op in ipairs(every_op()) do
      for _ = 1, 300 do
        local params = random_params(op)
        local ok1, p1 = validate.check(op, params)
        local ok2, p2 = validate.check_walk(op, params)
        compared = compared + 1
        if ok1 ~= ok2 then
          local names = {}
          for k, v in pairs(params) do names[#names + 1] = tostring(k) .. "=" .. string.format("%q", tostring(v)) end
          error(op.id .. ": quick " .. tostring(ok1) .. ", walk " .. tostring(ok2) .. ": " .. table.concat(names, " "))
        end
        assert.are.same(p2, p1)
        if ok1 then accepted = accepted + 1 end
      end
    end
    -- both answers were seen often enough to mean something
    assert.is_true(accepted > 500, "accepted: " .. accepted)
    assert.is_true(compared - accepted > 500, "refused: " .. (compared - accepted))
  end)

  it("accepts the plain calls it is for, and refuses what they get wrong", function()
    local get = ops.get("channel.get")
    assert.is_true(validate.check(get, { channelId = "ls-20250101000000-abcde" }))
    local ok, problem = validate.check(get, { channelId = 12.5 })
    assert.is_nil(ok)
    assert.are.equal("channelId", problem.param)
    ok, problem = validate.check(get, {})
    assert.is_nil(ok)
    assert.are.equal("required", problem.rule)
    ok, problem = validate.check(get, { channelId = "ls-1", channelID = "ls-1" })
    assert.is_nil(ok)
    assert.are.equal("unknown", problem.rule)
    ok, problem = validate.check(get, { channelId = json.null })
    assert.is_nil(ok)
    assert.are.equal("required", problem.rule)
  end)
end)
