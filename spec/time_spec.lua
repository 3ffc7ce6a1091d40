-- livestation.time: the public times, durations and KST values.
local livestation = require "livestation"
local time = livestation.time

describe("livestation.time", function()
  local T = 1795341600 -- 2026-11-22T10:00:00Z

  it("parses ISO-8601 with an offset, Z, or in a named zone", function()
    assert.are.equal(T, time.parse("2026-11-22T19:00:00+09:00"))
    assert.are.equal(T, time.parse("2026-11-22T10:00:00Z"))
    assert.are.equal(T, time.parse("2026-11-22T05:00:00-0500"))
    assert.are.equal(T, time.parse("2026-11-22T19:00:00", "Asia/Seoul"))
    assert.are.equal(T, time.parse("2026-11-22T19:00", "Asia/Seoul"))
    assert.are.equal(T + 0.25, time.parse("2026-11-22T10:00:00.250Z"))
  end)

  it("says what is wrong with a bad time or zone", function()
    assert.are.same({ nil, "not an ISO-8601 time: '2026-13-01T00:00:00Z'" },
      { time.parse("2026-13-01T00:00:00Z") })
    assert.are.same({ nil, "not an ISO-8601 time: '2026-02-30'" }, { time.parse("2026-02-30") })
    assert.are.same({ nil, "not an ISO-8601 time: a number" }, { time.parse(5) })
    assert.are.same({ nil, "unknown time zone 'Mars/Olympus'" }, { time.parse("2026-11-22", "Mars/Olympus") })
    assert.are.same({ nil, "2026-03-08T02:30:00 does not exist in America/New_York (skipped by a daylight saving change)" },
      { time.parse("2026-03-08T02:30:00", "America/New_York") })
  end)

  it("formats in a zone from tzdata, daylight saving included", function()
    assert.are.equal("2026-11-22T19:00:00+09:00", time.format(T, "Asia/Seoul"))
    assert.are.equal("2026-11-22T10:00:00Z", time.format(T, "UTC"))
    assert.are.equal("2026-11-22T05:00:00-05:00", time.format(T, "America/New_York"))
    assert.are.equal("2026-07-01T06:00:00-04:00", time.format(time.parse("2026-07-01T10:00:00Z"), "America/New_York"))
    assert.are.equal("2026-11-22T10:00:00.250Z", time.format(T + 0.25, "UTC"))
    assert.are.equal("19:00:00", time.clock(T, time.zone("Asia/Seoul")))
    assert.has_error(function() time.format("soon") end, "time.format: expected epoch seconds")
  end)

  it("reads durations and writes spans", function()
    assert.are.equal(90, time.duration("90s"))
    assert.are.equal(5400, time.duration("1h30m"))
    assert.are.equal(5400, time.duration("1.5h"))
    assert.are.equal(0.25, time.duration("250ms"))
    assert.are.equal(172800, time.duration("2d"))
    assert.are.equal(12, time.duration(12))
    assert.are.same({ nil, "not a duration: '90 parsecs' (write it as 90s, 5m, 1h30m, 250ms or 2d)" },
      { time.duration("90 parsecs") })
    assert.are.same({ nil, "not a number of seconds >= 0" }, { time.duration(-1) })
    assert.are.same({ nil, "empty duration" }, { time.duration("") })
    assert.are.equal("1h30m", time.span(5400))
    assert.are.equal("3m05s", time.span(185))
    assert.are.equal("0.4s", time.span(0.4))
  end)

  it("resolves config times: ISO, epoch seconds, +duration after an anchor", function()
    assert.are.equal(T + 600, time.resolve("+10m", nil, T))
    assert.are.equal(T, time.resolve(T))
    assert.are.equal(T, time.resolve("2026-11-22T19:00:00", "Asia/Seoul"))
    assert.is_true(time.is_relative(" +5m"))
    assert.is_false(time.is_relative("2026-11-22"))
  end)

  it("writes and reads the API's KST wall-clock values", function()
    assert.are.equal("20261122190000", time.kst(T))
    assert.are.equal(T, time.from_kst("20261122190000"))
    assert.are.equal(T, time.from_kst(20261122190000))
    assert.are.same({ nil, "not a KST time (yyyyMMddHHmmss): '20260231000000'" }, { time.from_kst("20260231000000") })
    assert.are.same({ nil, "not a KST time (yyyyMMddHHmmss): '2026-11-22'" }, { time.from_kst("2026-11-22") })
  end)

  it("reads API times in either form, as the reference's own example pairs them", function()
    -- vod2live.json: request 20250820190000 (KST) comes back as 1755684000000
    assert.are.equal(1755684000, time.from_kst("20250820190000"))
    assert.are.equal(1755684000, time.from_api(1755684000000))
    assert.are.equal(1755684000, time.from_api("20250820190000"))
    assert.are.equal(1755684000.5, time.from_api(1755684000500))
    assert.are.same({ nil, "not an API time: 'soon'" }, { time.from_api("soon") })
  end)
end)
