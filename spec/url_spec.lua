-- The one percent-encoding and query-string module.
local url = require "livestation.url"

describe("url", function()
  it("escapes every byte outside RFC 3986 unreserved, upper-case hex", function()
    assert.are.equal("a-b_c.d~e", url.escape("a-b_c.d~e"))
    assert.are.equal("a%20b%2Bc%2F%25%3D%26", url.escape("a b+c/%=&"))
    assert.are.equal("%EA%B0%80%00", url.escape("\234\176\128\0"))
  end)

  it("refuses what is not a string, naming itself", function()
    assert.has_error(function() url.escape(5) end, "url.escape: expected a string, got number")
  end)

  it("unescapes %XX, leaves a stray % and a + as they are", function()
    assert.are.equal("a b", url.unescape("a%20b"))
    assert.are.equal("100%", url.unescape("100%"))
    assert.are.equal("%zz%4", url.unescape("%zz%4"))
    assert.are.equal("a+b", url.unescape("a+b"))
    assert.are.equal("\0/", url.unescape("%00%2f"))
  end)

  it("round-trips any byte string", function()
    local all = {}
    for b = 0, 255 do all[#all + 1] = string.char(b) end
    local s = table.concat(all)
    assert.are.equal(s, url.unescape(url.escape(s)))
  end)

  it("parses a query: + is a space, the first of repeated names wins", function()
    assert.are.same({ a = "1", b = "x y", c = "", ["d e"] = "&" },
      url.parse_query("a=1&b=x+y&c&d+e=%26&a=2"))
  end)

  it("drops empty names and empty pairs, and takes nil or '' as no query", function()
    assert.are.same({ k = "v" }, url.parse_query("&&=x&k=v&"))
    assert.are.same({}, url.parse_query(nil))
    assert.are.same({}, url.parse_query(""))
  end)

  it("keeps '=' inside a value", function()
    assert.are.same({ sig = "a=b=" }, url.parse_query("sig=a=b="))
  end)
end)
