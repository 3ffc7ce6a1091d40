-- HTTP dates, which the client reads to correct clock skew.

local httpdate = require "livestation.httpdate"

describe("httpdate", function()
  for _, case in ipairs {
    { 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
    { 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
    { 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
    { 1795237200, "Sat, 21 Nov 2026 05:00:00 GMT" },
  } do
    it("formats and parses " .. case[2], function()
      assert.equal(case[2], httpdate.format(case[1]))
      assert.equal(case[1], httpdate.parse(case[2]))
    end)
  end

  it("reads the obsolete RFC 850 and asctime forms", function()
    assert.equal(784111777, httpdate.parse("Sunday, 06-Nov-94 08:49:37 GMT"))
    assert.equal(784111777, httpdate.parse("Sun Nov  6 08:49:37 1994"))
  end)

  it("refuses what is not a date", function()
    assert.is_nil(httpdate.parse("yesterday"))
    assert.is_nil(httpdate.parse("Sun, 06 Foo 1994 08:49:37 GMT"))
    assert.is_nil(httpdate.parse(nil))
  end)
end)
