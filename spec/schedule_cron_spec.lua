-- Cron expressions: every form parses, errors are exact, and next-fire
-- times are right in Asia/Seoul and across both daylight-saving
-- transitions of America/New_York and Europe/Berlin.

local civil = require "livestation.civil"
local cron = require "livestation.schedule.cron"
local when = require "livestation.schedule.when"
local zone = require "livestation.schedule.zone"

local seoul, ny, berlin
setup(function()
  seoul = assert(zone.load("Asia/Seoul"))
  ny = assert(zone.load("America/New_York"))
  berlin = assert(zone.load("Europe/Berlin"))
end)

-- The next n fire times of expr after `from` (ISO text), as ISO text in z.
local function fires(expr, z, from, n)
  local spec = assert(cron.parse(expr))
  local t = assert(when.parse(from, z))
  local out = {}
  for _ = 1, n do
    t = cron.next_time(spec, t, z)
    if not t then break end
    out[#out + 1] = when.iso(t, z)
  end
  return out
end

describe("cron parsing", function()
  it("accepts five fields, or six with seconds first", function()
    local s5 = assert(cron.parse("30 9 * * *"))
    assert.same({ 0 }, s5.secs)
    assert.same({ 30 }, s5.mins)
    local s6 = assert(cron.parse("15 30 9 * * *"))
    assert.same({ 15 }, s6.secs)
  end)

  it("reads lists, ranges, steps and names", function()
    local s = assert(cron.parse("0 0,30 8-10,20 1-31/10 JAN,jul mon-FRI"))
    assert.same({ 0, 30 }, s.mins)
    assert.same({ 8, 9, 10, 20 }, s.hours)
    assert.same({ [1] = true, [11] = true, [21] = true, [31] = true }, s.dom)
    assert.same({ [1] = true, [7] = true }, s.mon)
    assert.same({ [1] = true, [2] = true, [3] = true, [4] = true, [5] = true }, s.dow)
    assert.same({ 5, 20, 35, 50 }, assert(cron.parse("5/15 * * * *")).mins)
    assert.same({ [0] = true }, assert(cron.parse("0 0 * * 7")).dow)
    assert.same({ [0] = true, [5] = true, [6] = true }, assert(cron.parse("0 0 * * 5-7")).dow)
  end)

  it("knows the aliases", function()
    for alias, expr in pairs { ["@yearly"] = "0 0 1 1 *", ["@annually"] = "0 0 1 1 *",
        ["@monthly"] = "0 0 1 * *", ["@weekly"] = "0 0 * * 0", ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *", ["@hourly"] = "0 * * * *" } do
      local a, b = assert(cron.parse(alias)), assert(cron.parse(expr))
      a.expr, b.expr = nil, nil
      assert.same(b, a, alias)
    end
  end)

  it("refuses bad expressions with exact messages", function()
    local cases = {
      ["* * * *"] = "cron: expected 5 or 6 fields, got 4 in '* * * *'",
      ["60 * * * *"] = "cron: bad minute field '60': out of range 0-59",
      ["* 24 * * *"] = "cron: bad hour field '24': out of range 0-23",
      ["* * 0 * *"] = "cron: bad day of month field '0': out of range 1-31",
      ["* * * 13 *"] = "cron: bad month field '13': out of range 1-12",
      ["* * * * 8"] = "cron: bad day of week field '8': out of range 0-7",
      ["* * * * L"] = "cron: bad day of week field 'L'",
      ["*/0 * * * *"] = "cron: bad minute field '*/0': step must be positive",
      ["5-1 * * * *"] = "cron: bad minute field '5-1': out of range 0-59",
      ["1,,2 * * * *"] = "cron: bad minute field '1,,2'",
      ["* * * foo *"] = "cron: bad month field 'foo'",
      ["61 * * * * *"] = "cron: bad second field '61': out of range 0-59",
      ["@reboot"] = "cron: unknown alias '@reboot'",
    }
    for expr, msg in pairs(cases) do
      assert.same({ nil, msg }, { cron.parse(expr) }, expr)
    end
  end)
end)

describe("cron next-fire in Asia/Seoul", function()
  it("five and six fields", function()
    assert.same({ "2026-11-22T09:30:00+09:00", "2026-11-23T09:30:00+09:00" },
      fires("30 9 * * *", seoul, "2026-11-22T09:00:00+09:00", 2))
    assert.same({ "2026-11-22T09:30:15+09:00", "2026-11-23T09:30:15+09:00" },
      fires("15 30 9 * * *", seoul, "2026-11-22T09:30:00+09:00", 2))
    assert.same({ "2026-11-22T09:00:15+09:00", "2026-11-22T09:00:30+09:00", "2026-11-22T09:00:45+09:00",
                  "2026-11-22T09:01:00+09:00" },
      fires("*/15 * * * * *", seoul, "2026-11-22T09:00:00+09:00", 4))
  end)

  it("lists, ranges and steps", function()
    assert.same({ "2026-11-22T12:00:00+09:00", "2026-11-22T18:00:00+09:00", "2026-11-23T09:00:00+09:00" },
      fires("0 9,12,18 * * *", seoul, "2026-11-22T10:00:00+09:00", 3))
    assert.same({ "2026-11-22T10:00:00+09:00", "2026-11-22T11:00:00+09:00", "2026-11-23T09:00:00+09:00" },
      fires("0 9-11 * * *", seoul, "2026-11-22T09:00:00+09:00", 3))
    assert.same({ "2026-11-22T09:20:00+09:00", "2026-11-22T09:40:00+09:00", "2026-11-22T10:00:00+09:00" },
      fires("*/20 * * * *", seoul, "2026-11-22T09:00:00+09:00", 3))
    assert.same({ "2026-11-22T12:00:00+09:00", "2026-11-22T16:00:00+09:00", "2026-11-23T08:00:00+09:00" },
      fires("0 8-18/4 * * *", seoul, "2026-11-22T09:00:00+09:00", 3))
    assert.same({ "2026-11-22T09:05:00+09:00", "2026-11-22T09:20:00+09:00" },
      fires("5/15 * * * *", seoul, "2026-11-22T09:00:00+09:00", 2))
  end)

  it("month and day names", function()
    assert.same({ "2027-01-01T00:00:00+09:00", "2027-07-01T00:00:00+09:00" },
      fires("0 0 1 jan,JUL *", seoul, "2026-11-22T00:00:00+09:00", 2))
    -- 2026-11-22 is a Sunday
    assert.same({ "2026-11-23T09:00:00+09:00", "2026-11-24T09:00:00+09:00", "2026-11-27T09:00:00+09:00",
                  "2026-11-30T09:00:00+09:00" },
      fires("0 9 * * MON,tue,fri", seoul, "2026-11-22T12:00:00+09:00", 4))
    assert.same({ "2026-11-29T09:00:00+09:00" }, fires("0 9 * * sun", seoul, "2026-11-22T12:00:00+09:00", 1))
    assert.same({ "2026-11-29T09:00:00+09:00" }, fires("0 9 * * 7", seoul, "2026-11-22T12:00:00+09:00", 1))
  end)

  it("aliases", function()
    local from = "2026-11-22T12:34:56+09:00"
    assert.same({ "2027-01-01T00:00:00+09:00" }, fires("@yearly", seoul, from, 1))
    assert.same({ "2027-01-01T00:00:00+09:00" }, fires("@annually", seoul, from, 1))
    assert.same({ "2026-12-01T00:00:00+09:00" }, fires("@monthly", seoul, from, 1))
    assert.same({ "2026-11-29T00:00:00+09:00" }, fires("@weekly", seoul, from, 1))
    assert.same({ "2026-11-23T00:00:00+09:00" }, fires("@daily", seoul, from, 1))
    assert.same({ "2026-11-23T00:00:00+09:00" }, fires("@midnight", seoul, from, 1))
    assert.same({ "2026-11-22T13:00:00+09:00" }, fires("@hourly", seoul, from, 1))
  end)

  it("day of month OR day of week when both are restricted", function()
    -- the 13th, or any Friday (2026-11-27 and 2026-12-04 are Fridays)
    assert.same({ "2026-11-27T00:00:00+09:00", "2026-12-04T00:00:00+09:00", "2026-12-11T00:00:00+09:00",
                  "2026-12-13T00:00:00+09:00" },
      fires("0 0 13 * fri", seoul, "2026-11-22T00:00:00+09:00", 4))
    -- a field starting with * does not restrict: odd days that are Mondays
    assert.same({ "2026-11-23T00:00:00+09:00", "2026-12-07T00:00:00+09:00" },
      fires("0 0 */2 * mon", seoul, "2026-11-22T00:00:00+09:00", 2))
  end)

  it("February 29th, and an expression that never fires", function()
    assert.same({ "2028-02-29T00:00:00+09:00", "2032-02-29T00:00:00+09:00" },
      fires("0 0 29 2 *", seoul, "2026-11-22T00:00:00+09:00", 2))
    assert.same({}, fires("0 0 30 2 *", seoul, "2026-11-22T00:00:00+09:00", 1))
  end)

  it("is strictly after the given time, fractions included", function()
    local spec = assert(cron.parse("* * * * * *"))
    assert.equal(11, cron.next_time(spec, 10, seoul))
    assert.equal(11, cron.next_time(spec, 10.5, seoul))
  end)
end)

describe("cron next-fire across daylight saving", function()
  it("skips a time that does not exist (New York, spring forward)", function()
    assert.same({ "2026-03-07T02:30:00-05:00", "2026-03-09T02:30:00-04:00" },
      fires("30 2 * * *", ny, "2026-03-07T00:00:00-05:00", 2))
    assert.same({ "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00" },
      fires("*/30 * * * *", ny, "2026-03-08T01:00:00-05:00", 3))
  end)

  it("fires a repeated time once (New York, fall back)", function()
    assert.same({ "2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00" },
      fires("30 1 * * *", ny, "2026-10-31T00:00:00-04:00", 3))
    assert.same({ "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00" },
      fires("*/30 * * * *", ny, "2026-11-01T00:59:00-04:00", 3))
    -- asked from inside the second pass of the fold: no repeat
    assert.same({ "2026-11-01T02:00:00-05:00" }, fires("*/30 * * * *", ny, "2026-11-01T01:10:00-05:00", 1))
    -- hourly: 01:00 EDT fires, 01:00 EST does not
    assert.same({ "2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00" },
      fires("@hourly", ny, "2026-11-01T00:30:00-04:00", 2))
  end)

  it("handles both Berlin transitions", function()
    assert.same({ "2026-03-28T02:30:00+01:00", "2026-03-30T02:30:00+02:00" },
      fires("30 2 * * *", berlin, "2026-03-28T00:00:00+01:00", 2))
    assert.same({ "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00" },
      fires("30 2 * * *", berlin, "2026-10-25T00:00:00+02:00", 2))
    assert.same({ "2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T03:00:00+01:00" },
      fires("0,30 * * * *", berlin, "2026-10-25T01:45:00+02:00", 3))
  end)

  -- A slow, obvious reference: walk minute by minute; an instant fires
  -- when its reading matches and it is that reading's first occurrence.
  local function reference_next(spec, after, z)
    local t = (after // 60 + 1) * 60
    for _ = 1, 60 * 24 * 20 do
      local f = z:to_local(t)
      local wd = civil.weekday(civil.days_from_civil(f.year, f.month, f.day))
      local dom, dow = spec.dom[f.day] or false, spec.dow[wd] or false
      local day
      if spec.dom_star or spec.dow_star then day = dom and dow else day = dom or dow end
      if spec.sec[0] and spec.min[f.min] and spec.hour[f.hour] and spec.mon[f.month] and day then
        local first = z:from_local(civil.to_seconds(f.year, f.month, f.day, f.hour, f.min, 0))[1]
        if first == t then return t end
      end
      t = t + 60
    end
    return nil
  end

  it("agrees with a minute-by-minute walk around every transition", function()
    local exprs = { "*/7 * * * *", "0,15,30,45 1-3 * * *", "30 2 * * *", "0 1 * * *", "59 1 * * sun",
                    "0 0,2 * * *", "*/20 0-4 8,1 * *", "0 3 25-31 3,10 0", "45 * * * *", "0 2 * mar,nov 0" }
    local points = { { ny, "2026-03-07T22:00:00-05:00" }, { ny, "2026-10-31T22:00:00-04:00" },
                     { berlin, "2026-03-28T22:00:00+01:00" }, { berlin, "2026-10-24T22:00:00+02:00" } }
    local checked = 0
    for _, e in ipairs(exprs) do
      local spec = assert(cron.parse(e))
      for _, p in ipairs(points) do
        local z = p[1]
        local t = assert(when.parse(p[2], z))
        for _ = 1, 12 do
          local got = cron.next_time(spec, t, z)
          local want = reference_next(spec, t, z)
          if not want then -- beyond the walk's 20 days
            assert.is_true(got == nil or got > t + 86400 * 19)
            break
          end
          assert.equal(want and when.iso(want, z), got and when.iso(got, z), e .. " after " .. when.iso(t, z))
          checked = checked + 1
          if not got then break end
          t = got
        end
      end
    end
    assert.is_true(checked > 400)
  end)
end)
