-- livestation.json: exact text out, exact values in, exact errors.

local json = require "livestation.json"

describe("json.encode", function()
  local cases = {
    { "integer", 6, "6" },
    { "negative integer", -42, "-42" },
    { "largest integer", math.maxinteger, "9223372036854775807" },
    { "integral float", 6.0, "6" },
    { "negative zero", -0.0, "0" },
    { "big integral float", 2.0 ^ 60, "1152921504606846976" },
    { "integral float beyond int64", 1e20, "1e+20" },
    { "tenth", 0.1, "0.1" },
    { "third", 1 / 3, "0.3333333333333333" },
    { "needs 17 digits", 0.30000000000000004, "0.30000000000000004" },
    { "small", 1.5e-7, "1.5e-07" },
    { "true", true, "true" },
    { "false", false, "false" },
    { "null", json.null, "null" },
    { "string", "abc", '"abc"' },
    { "quote and backslash", 'a"b\\c', '"a\\"b\\\\c"' },
    { "short escapes", "\b\f\n\r\t", '"\\b\\f\\n\\r\\t"' },
    { "other control characters", "\0\1\31", '"\\u0000\\u0001\\u001F"' },
    { "DEL and slash kept", "\127/", '"\127/"' },
    { "UTF-8 kept", "채널 é", '"채널 é"' },
    { "empty table is an object", {}, "{}" },
    { "marked empty array", json.array(), "[]" },
    { "marked array", json.array { 1, 2 }, "[1,2]" },
    { "sequence", { 1, "a", false }, '[1,"a",false]' },
    { "keys sorted", { b = 1, a = 2, C = 3 }, '{"C":3,"a":2,"b":1}' },
    { "false kept in object", { on = false }, '{"on":false}' },
    { "null in array", { 1, json.null, 3 }, "[1,null,3]" },
    { "nested integral floats", { a = { b = { 6.0, 7.5 } } }, '{"a":{"b":[6,7.5]}}' },
    { "escaped key", { ['k"'] = 1 }, '{"k\\"":1}' },
    { "shared table (no cycle)", (function() local s = { 1 } return { s, s } end)(), "[[1],[1]]" },
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      assert.are.equal(c[3], json.encode(c[2]))
    end)
  end

  local function cyclic()
    local t = { cdn = {} }
    t.cdn.back = t
    return t
  end

  local failures = {
    { "NaN", { x = 0 / 0 }, "json.encode: NaN cannot be encoded at body.x" },
    { "infinity", { x = { math.huge } }, "json.encode: an infinite number cannot be encoded at body.x[1]" },
    { "minus infinity", -math.huge, "json.encode: an infinite number cannot be encoded at body" },
    { "sparse array", { cdn = { 1, 2, { 1, nil, 3 } } }, "json.encode: sparse array at body.cdn[3]" },
    { "marked sparse array", { a = json.array { [2] = 1 } }, "json.encode: sparse array at body.a" },
    { "mixed keys", { cdn = { 1, x = 2 } }, "json.encode: integer and string keys mixed in one table at body.cdn" },
    { "boolean key", { cdn = { [true] = 1 } }, "json.encode: non-string key true in an object at body.cdn" },
    { "float key", { [1.5] = 1 }, "json.encode: non-string key 1.5 in an object at body" },
    { "function", { cdn = { 1, print } }, "json.encode: cannot encode a function at body.cdn[2]" },
    { "cycle", cyclic(), "json.encode: cycle at body.cdn.back" },
    { "invalid UTF-8", { ["a b"] = "\255" }, 'json.encode: invalid UTF-8 in a string at body["a b"]' },
  }
  for _, c in ipairs(failures) do
    it("raises on " .. c[1], function()
      local ok, err = pcall(json.encode, c[2], "body")
      assert.is_false(ok)
      assert.are.equal(c[3], err)
    end)
  end

  it("names the root 'value' by default", function()
    local ok, err = pcall(json.encode, { f = print })
    assert.is_false(ok)
    assert.are.equal("json.encode: cannot encode a function at value.f", err)
  end)

  it("works again after an error", function()
    pcall(json.encode, { x = 0 / 0 })
    assert.are.equal('{"a":[1]}', json.encode { a = { 1 } })
  end)

  it("does not modify what it encodes", function()
    local t = { a = 6.0, b = {} }
    json.encode(t)
    assert.are.equal("float", math.type(t.a))
    assert.is_nil(getmetatable(t.b))
  end)
end)

describe("json.decode", function()
  local cases = {
    { "integers come back as integers", "[6, 6.0, 1e2, -3]", { 6, 6, 100, -3 } },
    { "fractions stay floats", "[1.5, 0.1]", { 1.5, 0.1 } },
    { "null dropped from objects", '{"a":null,"b":1}', { b = 1 } },
    { "null kept in arrays", "[1,null,2]", { 1, json.null, 2 } },
    { "false kept", '{"on":false}', { on = false } },
    { "nested", '{"a":{"b":[{"c":2.0}]}}', { a = { b = { { c = 2 } } } } },
    { "brackets inside strings", '{"s":"[] \\"[]\\"","t":[]}', { s = '[] "[]"', t = {} } },
    { "escaped backslash before quote", '["a\\\\",[]]', { "a\\", {} } },
    { "every escape", '["\\"\\\\\\/\\b\\f\\n\\r\\t"]', { '"\\/\b\f\n\r\t' } },
    { "\\u escapes of one to three bytes, and a NUL", '["\\u0041\\u00e9\\u20AC\\u0000"]', { "A\u{e9}\u{20ac}\0" } },
    { "a surrogate pair", '["\\ud83d\\ude00"]', { "\u{1f600}" } },
    { "raw UTF-8 of every length", '["\u{7f}\u{7ff}\u{ffff}\u{10ffff}"]', { "\u{7f}\u{7ff}\u{ffff}\u{10ffff}" } },
    { "blanks everywhere", ' \t\r\n{ "a" : [ 1 , true , false , null ] } \n', { a = { 1, true, false, json.null } } },
    { "top-level scalars", '"s"', "s" },
    { "exponents", "[1E2, 2e-1, -0.5e+1]", { 100, 0.2, -5 } },
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      local v, err = json.decode(c[2])
      assert.is_nil(err)
      assert.are.same(c[3], v)
    end)
  end

  it("reads escaped, non-ASCII and long member names", function()
    assert.are.same({ ["a\"b"] = 1, ["\u{e9}t\u{e9}"] = 2, [string.rep("n", 40)] = 3 },
      json.decode('{"a\\"b":1,"\u{e9}t\u{e9}":2,"' .. string.rep("n", 40) .. '":3}'))
  end)

  it("turns integral numbers into Lua integers at every depth", function()
    local v = json.decode('{"a":[{"n":6.0}],"m":1700000000000}')
    assert.are.equal("integer", math.type(v.a[1].n))
    assert.are.equal("integer", math.type(v.m))
    assert.are.equal("integer", math.type(json.decode("6.0")))
  end)

  it("drops null from objects at every depth, keeps fractions and negative integers", function()
    local v = json.decode('{"a":{"b":null,"c":[null,{"d":null,"e":-3.0,"f":0.5}]},"g":null}')
    assert.are.same({ a = { c = { json.null, { e = -3, f = 0.5 } } } }, v)
    assert.are.equal("integer", math.type(v.a.c[2].e))
    assert.are.equal("float", math.type(v.a.c[2].f))
    assert.is_true(json.is_array(v.a.c))
  end)

  it("walks deeply nested answers", function()
    local depth = 900 -- below lua-cjson's own nesting limit
    local v = assert(json.decode(string.rep("[", depth) .. "1.0" .. string.rep("]", depth)))
    for _ = 1, depth do
      assert.is_true(json.is_array(v))
      v = v[1]
    end
    assert.are.equal("integer", math.type(v))
  end)

  it("keeps integer literals exact up to 64 bits, and integral floats beyond 2^53 as floats", function()
    assert.are.equal(9007199254740993, json.decode("[9007199254740993]")[1])
    assert.are.equal(math.maxinteger, json.decode("[9223372036854775807]")[1])
    assert.are.equal(math.mininteger, json.decode("[-9223372036854775808]")[1])
    assert.are.equal("float", math.type(json.decode("[9223372036854775808]")[1]))
    assert.are.equal("float", math.type(json.decode("[9007199254740992.0]")[1]))
    assert.are.equal("integer", math.type(json.decode("[9007199254740991.0]")[1]))
    assert.are.equal("integer", math.type(json.decode("[1e3]")[1]))
  end)

  it("keeps empty arrays and objects apart", function()
    local v = json.decode('{"list":[],"obj":{},"deep":[[ ]]}')
    assert.is_true(json.is_array(v.list))
    assert.is_false(json.is_array(v.obj))
    assert.is_true(json.is_array(v.deep[1]))
    assert.are.equal('{"deep":[[]],"list":[],"obj":{}}', json.encode(v))
  end)

  it("drops a null member, and a later null removes an earlier value", function()
    assert.are.equal('{"b":[null,{}]}', json.encode(json.decode('{"a":null,"b":[null,{"c":null}]}')))
    assert.are.equal("{}", json.encode(json.decode('{"a":1,"a":null}')))
    assert.are.equal('{"a":2}', json.encode(json.decode('{"a":null,"a":2}')))
  end)

  it("builds arrays and objects longer than the Lua stack holds at once", function()
    local items, members = {}, {}
    for i = 1, 100000 do items[i] = tostring(i) members[i] = '"k' .. i .. '":' .. i end
    local a = assert(json.decode("[" .. table.concat(items, ",") .. "]"))
    assert.are.equal(100000, #a)
    assert.are.equal(77777, a[77777])
    local o = assert(json.decode("{" .. table.concat(members, ",") .. "}"))
    assert.are.equal(99999, o.k99999)
  end)

  it("gives a top-level null as json.null", function()
    assert.are.equal(json.null, json.decode("null"))
  end)

  local bad = {
    { "not a string", nil, "json.decode: expected a string, got nil" },
    { "empty", "", "json.decode: unexpected end of the text" },
    { "only blanks", " \n\t", "json.decode: unexpected end of the text" },
    { "truncated", '{"a":', "json.decode: unexpected end of the text" },
    { "an unterminated string", '["abc', "json.decode: unexpected end of the text" },
    { "NaN", "[NaN]", "json.decode: unexpected 'N' at byte 2" },
    { "error after an empty array", '{"a":[],"b":x}', "json.decode: unexpected 'x' at byte 13" },
    { "trailing text", '[1] x', "json.decode: text after the value at byte 5" },
    { "a trailing comma in an array", "[1,]", "json.decode: unexpected ']' at byte 4" },
    { "a trailing comma in an object", '{"a":1,}', "json.decode: unexpected '}' at byte 8" },
    { "a name that is not a string", "{a:1}", "json.decode: unexpected 'a' at byte 2" },
    { "a missing colon", '{"a" 1}', "json.decode: unexpected '1' at byte 6" },
    { "a leading zero", "[01]", "json.decode: unexpected '1' at byte 3" },
    { "a plus sign", "[+1]", "json.decode: unexpected '+' at byte 2" },
    { "a point without digits", "[1.]", "json.decode: an invalid number at byte 2" },
    { "an exponent without digits", "[1e+]", "json.decode: an invalid number at byte 2" },
    { "a lone minus", "[-]", "json.decode: an invalid number at byte 2" },
    { "a misspelt literal", "[tru]", "json.decode: unexpected ']' at byte 5" },
    { "a literal cut short", "nul", "json.decode: unexpected end of the text" },
    { "a control byte", "[\1]", "json.decode: unexpected byte 0x01 at byte 2" },
    { "a raw line break in a string", '["a\nb"]', "json.decode: a control character in a string at byte 4" },
    { "an unknown escape", '["\\x"]', "json.decode: an invalid escape at byte 3" },
    { "a short \\u escape", '["\\u12"]', "json.decode: an invalid \\u escape at byte 3" },
    { "a bad UTF-8 byte", '["\255"]', "json.decode: a string that is not valid UTF-8 at byte 3" },
    { "an escaped lone low surrogate", '["\\udc00"]', "json.decode: an escaped lone surrogate at byte 3" },
    { "an escaped high surrogate alone", '["\\ud800x"]', "json.decode: an escaped lone surrogate at byte 3" },
    { "a high surrogate before a non-surrogate", '["\\ud800\\u0041"]',
      "json.decode: an escaped lone surrogate at byte 3" },
    { "a raw surrogate", '["\237\160\128"]', "json.decode: a string that is not valid UTF-8 at byte 3" },
    { "an overlong form", '["\192\128"]', "json.decode: a string that is not valid UTF-8 at byte 3" },
    { "a code point past U+10FFFF", '["\244\144\128\128"]', "json.decode: a string that is not valid UTF-8 at byte 3" },
    { "a sequence cut by the quote", '["\226\130"]', "json.decode: a string that is not valid UTF-8 at byte 3" },
    { "an unterminated string after the value", '"a" "b', "json.decode: text after the value at byte 5" },
    { "nesting past 1000", string.rep("[", 1001) .. string.rep("]", 1001),
      "json.decode: more than 1000 nested arrays and objects" },
  }
  for _, c in ipairs(bad) do
    it("returns nil and a message for " .. c[1], function()
      local v, err = json.decode(c[2])
      assert.is_nil(v)
      assert.are.equal(c[3], err)
    end)
  end

  it("round-trips what it encodes", function()
    local t = { a = { 1, 2.5, "x" }, b = { c = false }, d = json.array() }
    assert.are.equal(json.encode(t), json.encode(json.decode(json.encode(t))))
  end)
end)

describe("json.array and json.is_array", function()
  it("marks and returns the same table", function()
    local t = {}
    assert.are.equal(t, json.array(t))
    assert.is_true(json.is_array(t))
  end)

  it("refuses a table with another metatable", function()
    local ok, err = pcall(json.array, setmetatable({}, {}))
    assert.is_false(ok)
    assert.matches("json.array: the table already has a metatable", err, 1, true)
  end)

  local cases = {
    { "non-empty sequence", { 1, 2 }, true },
    { "empty unmarked table", {}, false },
    { "object", { a = 1 }, false },
    { "sparse", { [1] = 1, [3] = 3 }, false },
    { "mixed", { 1, a = 2 }, false },
    { "a string", "[]", false },
  }
  for _, c in ipairs(cases) do
    it("is_array: " .. c[1], function()
      assert.are.equal(c[3], json.is_array(c[2]))
    end)
  end
end)

describe("json.number", function()
  local cases = { { 6.0, "6" }, { 6, "6" }, { 0.1, "0.1" }, { 2.5e-3, "0.0025" }, { -7.0, "-7" } }
  for _, c in ipairs(cases) do
    it(tostring(c[1]) .. " -> " .. c[2], function()
      assert.are.equal(c[2], json.number(c[1]))
    end)
  end

  it("raises on NaN", function()
    local ok, err = pcall(json.number, 0 / 0)
    assert.is_false(ok)
    assert.matches("json.number: NaN cannot be encoded", err, 1, true)
  end)
end)

describe("json.decode against lua-cjson", function()
  local cjson = require "cjson"

  -- Random JSON text: objects, arrays, strings with escapes and UTF-8,
  -- integers and fractions, in random layout.
  local function gen(depth)
    local r = math.random(depth > 3 and 6 or 8)
    if r == 1 then return tostring(math.random(-2 ^ 40, 2 ^ 40))
    elseif r == 2 then return string.format("%.6g", (math.random() - 0.5) * 10 ^ math.random(-5, 12))
    elseif r == 3 then
      local parts = {}
      for i = 1, math.random(0, 6) do
        parts[i] = ({ "a", "\\n", "\\\"", "\\u00e9", "\\ud83d\\ude00", "\xed\x95\x9c", " ", "\\/", "z9" })[math.random(9)]
      end
      return '"' .. table.concat(parts) .. '"'
    elseif r == 4 then return ({ "true", "false", "null" })[math.random(3)]
    elseif r == 5 then return tostring(math.random(0, 10)) .. ".0"
    elseif r == 6 then return '"x"'
    elseif r == 7 then
      local items = {}
      for i = 1, math.random(0, 5) do items[i] = gen(depth + 1) end
      return "[" .. table.concat(items, math.random(2) == 1 and "," or " , ") .. "]"
    else
      local items = {}
      for i = 1, math.random(0, 5) do items[i] = '"k' .. math.random(8) .. '":' .. gen(depth + 1) end
      return "{" .. table.concat(items, ",\n ") .. "}"
    end
  end

  -- What ours should give for what cjson gives: integral floats within
  -- 2^53 as integers, null dropped from objects.
  local function same(ours, theirs)
    if type(theirs) == "number" then
      return ours == theirs and (math.type(ours) == "integer") == (theirs == math.floor(theirs))
    end
    if theirs == cjson.null then return ours == json.null end
    if type(theirs) ~= "table" then return ours == theirs end
    if type(ours) ~= "table" then return false end
    local n = 0
    for k, v in pairs(theirs) do
      if v ~= cjson.null or type(k) == "number" then
        n = n + 1
        if not same(ours[k], v) then return false end
      end
    end
    for _ in pairs(ours) do n = n - 1 end
    return n == 0
  end

  it("gives the same values on 3,000 random documents", function()
    math.randomseed(8)
    for _ = 1, 3000 do
      local s = gen(0)
      local ours, err = json.decode(s)
      assert.is_nil(err, s)
      assert.is_true(same(ours, cjson.decode(s)), s)
    end
  end)

  it("refuses what lua-cjson refuses, on 3,000 mutants", function()
    math.randomseed(9)
    local refused = 0
    for _ = 1, 3000 do
      local s = gen(0)
      local i = math.random(#s)
      s = s:sub(1, i - 1) .. string.char(math.random(32, 126)) .. s:sub(i + 1)
      if not pcall(cjson.decode, s) and not s:find("\\u", 1, true) then
        refused = refused + 1
        local v, err = json.decode(s)
        assert.is_nil(v, s)
        assert.matches("^json.decode: ", err)
      end
    end
    assert.is_true(refused > 100, "mutants refused: " .. refused)
  end)
end)
