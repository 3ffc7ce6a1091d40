-- Calendar arithmetic, the TZif reader and POSIX TZ rules, zones (gaps
-- and folds) and the time forms `at` accepts.

local civil = require "livestation.civil"
local tzif = require "livestation.schedule.tzif"
local tzrule = require "livestation.schedule.tzrule"
local when = require "livestation.schedule.when"
local zone = require "livestation.schedule.zone"

local function utc(text) return assert(when.parse_iso(text, zone.utc)) end

describe("civil", function()
  it("counts days from the epoch both ways, leap years included", function()
    assert.equal(0, civil.days_from_civil(1970, 1, 1))
    assert.equal(-1, civil.days_from_civil(1969, 12, 31))
    assert.equal(20454, civil.days_from_civil(2026, 1, 1))
    for _, z in ipairs { -800000, -1, 0, 59, 11016, 20454, 47540, 2932896 } do
      local y, m, d = civil.civil_from_days(z)
      assert.equal(z, civil.days_from_civil(y, m, d))
    end
    assert.same({ 2000, 2, 29 }, { civil.civil_from_days(civil.days_from_civil(2000, 2, 29)) })
    assert.is_true(civil.is_leap(2000))
    assert.is_false(civil.is_leap(2100))
    assert.equal(29, civil.days_in_month(2028, 2))
    assert.equal(28, civil.days_in_month(2100, 2))
  end)

  it("carries out-of-range months and days like os.time", function()
    assert.equal(civil.to_seconds(2027, 1, 1, 0, 0, 0), civil.to_seconds(2026, 13, 1, 0, 0, 0))
    assert.equal(civil.to_seconds(2026, 3, 1, 0, 0, 0), civil.to_seconds(2026, 2, 29, 0, 0, 0))
  end)

  it("gives weekdays with Sunday as 0", function()
    assert.equal(4, civil.weekday(0)) -- 1970-01-01, a Thursday
    assert.equal(0, civil.weekday(civil.days_from_civil(2026, 11, 22)))
    local f = civil.from_seconds(utc("2026-11-22T19:05:07Z"))
    assert.same({ 2026, 11, 22, 19, 5, 7, 1, 326 },
      { f.year, f.month, f.day, f.hour, f.min, f.sec, f.wday, f.yday })
  end)
end)

describe("POSIX TZ rules", function()
  it("parses names, offsets and the three date forms", function()
    local r = assert(tzrule.parse("EST5EDT,M3.2.0,M11.1.0"))
    assert.same({ "EST", -18000, "EDT", -14400 }, { r.std_name, r.std_off, r.dst_name, r.dst_off })
    assert.same({ kind = "month", month = 3, week = 2, wday = 0, time = 7200 }, r.start)
    r = assert(tzrule.parse("<+09>-9"))
    assert.same({ "+09", 32400 }, { r.std_name, r.std_off })
    assert.is_nil(r.dst_name)
    r = assert(tzrule.parse("CET-1CEST,M3.5.0,M10.5.0/3"))
    assert.equal(10800, r["end"].time)
    r = assert(tzrule.parse("<-03>3<-02>,J60/-1:30,300/25"))
    assert.same({ "julian", 60, -5400 }, { r.start.kind, r.start.day, r.start.time })
    assert.same({ "zero", 300, 90000 }, { r["end"].kind, r["end"].day, r["end"].time })
    r = assert(tzrule.parse("IST-5:30"))
    assert.equal(19800, r.std_off)
  end)

  it("refuses what is not a TZ string", function()
    for _, s in ipairs { "", "E5", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,M11.1.0x" } do
      local r, err = tzrule.parse(s)
      assert.is_nil(r, s)
      assert.equal("not a POSIX TZ string: " .. s, err)
    end
  end)

  it("evaluates both hemispheres", function()
    local ny = assert(tzrule.parse("EST5EDT,M3.2.0,M11.1.0"))
    assert.same({ -18000, false, "EST" }, { tzrule.info_at(ny, utc("2100-03-14T06:59:59Z")) })
    assert.same({ -14400, true, "EDT" }, { tzrule.info_at(ny, utc("2100-03-14T07:00:00Z")) })
    local syd = assert(tzrule.parse("AEST-10AEDT,M10.1.0,M4.1.0/3"))
    assert.equal(39600, (tzrule.info_at(syd, utc("2100-01-15T00:00:00Z"))))
    assert.equal(36000, (tzrule.info_at(syd, utc("2100-07-15T00:00:00Z"))))
  end)
end)

-- A TZif v2 file with the given types, transitions and footer.
local function make_tzif(types, times, idx, footer)
  local chars = {}
  local packed_types = {}
  for _, t in ipairs(types) do
    packed_types[#packed_types + 1] = string.pack(">i4BB", t[1], t[2] and 1 or 0, #table.concat(chars))
    chars[#chars + 1] = t[3] .. "\0"
  end
  local ch = table.concat(chars)
  local function block(tfmt)
    local parts = {}
    for _, t in ipairs(times) do parts[#parts + 1] = string.pack(tfmt, t) end
    for _, i in ipairs(idx) do parts[#parts + 1] = string.pack("B", i) end
    return table.concat(parts) .. table.concat(packed_types) .. ch
  end
  local function head(version)
    return "TZif" .. version .. string.rep("\0", 15)
      .. string.pack(">I4I4I4I4I4I4", 0, 0, 0, #times, #types, #ch)
  end
  return head("2") .. block(">i4") .. head("2") .. block(">i8") .. "\n" .. footer .. "\n"
end

describe("TZif", function()
  it("reads types, transitions and the footer", function()
    local data = make_tzif({ { 3600, false, "AAA" }, { 7200, true, "BBB" } }, { 1000, 2000 }, { 1, 0 }, "AAA-1")
    local z = assert(tzif.parse(data))
    assert.same({ 1000, 2000 }, z.times)
    assert.same({ 2, 1 }, z.idx)
    assert.same({ off = 7200, dst = true, abbr = "BBB" }, z.types[2])
    assert.equal("AAA-1", z.footer)
  end)

  it("reads a version 1 file (no footer)", function()
    local data = make_tzif({ { -18000, false, "EST" } }, { 100 }, { 0 }, "")
    local v1 = "TZif\0" .. data:sub(6, 44 + 4 + 1 + 6 + 4)
    local z = assert(tzif.parse(v1))
    assert.same({ 100 }, z.times)
    assert.same({ off = -18000, dst = false, abbr = "EST" }, z.types[1])
    assert.is_nil(z.footer)
  end)

  it("refuses what is not TZif", function()
    assert.same({ nil, "not a TZif file" }, { tzif.parse("hello") })
    assert.same({ nil, "not a TZif file" }, { tzif.parse(string.rep("x", 60)) })
    local data = make_tzif({ { 0, false, "UTC" } }, { 1, 2, 3 }, { 0, 0, 0 }, "UTC0")
    assert.same({ nil, "bad TZif version 2 header" }, { tzif.parse(data:sub(1, 70)) })
    assert.same({ nil, "truncated TZif file" }, { tzif.parse(data:sub(1, #data - 15)) })
  end)

  it("uses the footer past the table (New York in 2100)", function()
    local ny = assert(zone.load("America/New_York"))
    assert.equal(-18000, ny:offset(utc("2100-03-14T06:59:59Z")))
    assert.equal(-14400, ny:offset(utc("2100-03-14T07:00:00Z")))
  end)
end)

describe("zones", function()
  local ny, berlin, seoul
  setup(function()
    ny = assert(zone.load("America/New_York"))
    berlin = assert(zone.load("Europe/Berlin"))
    seoul = assert(zone.load("Asia/Seoul"))
  end)

  it("load by name, path or POSIX string, and say why not", function()
    assert.equal(seoul, zone.load(":Asia/Seoul"))
    assert.equal(32400, assert(zone.load("/usr/share/zoneinfo/Asia/Seoul")):offset(0 + 1e9))
    assert.equal(32400, assert(zone.load("KST-9")):offset(1e9))
    assert.same({ nil, "unknown time zone 'Mars/Olympus'" }, { zone.load("Mars/Olympus") })
    assert.same({ nil, "unknown time zone '../etc/passwd'" }, { zone.load("../etc/passwd") })
    assert.has_error(function() zone.resolve("Nowhere/Land") end, "unknown time zone 'Nowhere/Land'")
  end)

  it("default to TZ, else /etc/localtime", function()
    local function default_in(tz)
      local env = tz and ("TZ='" .. tz .. "' ") or "env -u TZ "
      local p = io.popen(env .. [[lua5.4 -e 'package.path = "./lua/?.lua;" .. package.path
        local z = require("livestation.schedule.zone").default()
        io.write(z.name, " ", z:offset(1795000000))']])
      local out = p:read("a")
      p:close()
      return out
    end
    assert.equal("Asia/Seoul 32400", default_in("Asia/Seoul"))
    assert.equal("Asia/Seoul 32400", default_in(":Asia/Seoul"))
    assert.equal("KST-9 32400", default_in("KST-9"))
    assert.equal("UTC 0", default_in(""))
    local f = io.open("/etc/localtime", "rb")
    if f then
      f:close()
      assert.matches("^%S+ %-?%d+$", default_in(nil))
    end
  end)

  it("know both New York transitions of 2026", function()
    assert.same({ -18000, false, "EST" }, { ny:info(utc("2026-03-08T06:59:59Z")) })
    assert.same({ -14400, true, "EDT" }, { ny:info(utc("2026-03-08T07:00:00Z")) })
    assert.same({ -14400, true, "EDT" }, { ny:info(utc("2026-11-01T05:59:59Z")) })
    assert.same({ -18000, false, "EST" }, { ny:info(utc("2026-11-01T06:00:00Z")) })
  end)

  it("know both Berlin transitions of 2026 and Seoul's daylight time of 1988", function()
    assert.equal(3600, berlin:offset(utc("2026-03-29T00:59:59Z")))
    assert.equal(7200, berlin:offset(utc("2026-03-29T01:00:00Z")))
    assert.equal(7200, berlin:offset(utc("2026-10-25T00:59:59Z")))
    assert.equal(3600, berlin:offset(utc("2026-10-25T01:00:00Z")))
    assert.same({ 32400, false, "KST" }, { seoul:info(utc("1988-05-07T16:59:59Z")) })
    assert.same({ 36000, true, "KDT" }, { seoul:info(utc("1988-05-07T17:00:00Z")) })
    assert.equal(32400, seoul:offset(utc("2026-11-22T10:00:00Z")))
  end)

  it("map wall-clock readings to none, one or two instants", function()
    local gap = civil.to_seconds(2026, 3, 8, 2, 30, 0)
    assert.same({}, ny:from_local(gap))
    local fold = civil.to_seconds(2026, 11, 1, 1, 30, 0)
    assert.same({ utc("2026-11-01T05:30:00Z"), utc("2026-11-01T06:30:00Z") }, ny:from_local(fold))
    assert.same({ utc("2026-11-22T10:00:00Z") }, seoul:from_local(civil.to_seconds(2026, 11, 22, 19, 0, 0)))
    local f = ny:to_local(utc("2026-11-01T06:30:00Z"))
    assert.same({ 1, 30, false, "EST", -18000 }, { f.hour, f.min, f.isdst, f.abbr, f.utc_offset })
  end)
end)

describe("times for at", function()
  local ny, seoul
  setup(function()
    ny = assert(zone.load("America/New_York"))
    seoul = assert(zone.load("Asia/Seoul"))
  end)

  it("parse ISO-8601 with an offset, Z, a fraction or no offset", function()
    local t = utc("2026-11-22T10:00:00Z")
    assert.equal(t, when.parse("2026-11-22T19:00:00+09:00", ny))
    assert.equal(t, when.parse("2026-11-22T19:00:00+0900", ny))
    assert.equal(t, when.parse("2026-11-22T19:00:00+09", ny))
    assert.equal(t, when.parse("2026-11-22 10:00:00z", ny))
    assert.equal(t, when.parse("2026-11-22T19:00", seoul))
    assert.equal(t + 0.25, when.parse("2026-11-22T10:00:00.250Z", seoul))
    assert.equal(utc("2026-11-22T00:00:00Z"), when.parse("2026-11-22", zone.utc))
    assert.equal(1795000000, when.parse(1795000000, ny))
  end)

  it("refuse malformed text with a stable message", function()
    for _, s in ipairs { "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z",
                         "tomorrow", "2026-11-22T19:00:00+9", "2026-11-22T19:00:00 KST" } do
      assert.same({ nil, "not an ISO-8601 time: '" .. s .. "'" }, { when.parse(s, seoul) })
    end
    assert.same({ nil, "time must be epoch seconds, ISO-8601 text or a date table, got boolean" },
      { when.parse(true, seoul) })
  end)

  it("read date tables in a zone, as os.time does", function()
    assert.equal(utc("2026-11-22T10:00:00Z"), when.parse({ year = 2026, month = 11, day = 22, hour = 19 }, seoul))
    assert.equal(utc("2026-11-22T03:00:00Z"), when.parse({ year = 2026, month = 11, day = 22 }, seoul))
    assert.equal(utc("2026-11-01T05:30:00Z"), when.parse({ year = 2026, month = 11, day = 1, hour = 1, min = 30 }, ny))
    assert.equal(utc("2026-11-01T06:30:00Z"),
      when.parse({ year = 2026, month = 11, day = 1, hour = 1, min = 30, isdst = false }, ny))
    assert.same({ nil, "2026-03-08T02:30:00 does not exist in America/New_York (skipped by a daylight saving change)" },
      { when.parse({ year = 2026, month = 3, day = 8, hour = 2, min = 30 }, ny) })
    assert.same({ nil, "time table: field 'day' missing or not an integer" },
      { when.parse({ year = 2026, month = 3 }, ny) })
  end)

  it("format instants as ISO-8601 in a zone", function()
    local t = utc("2026-11-22T10:00:00Z")
    assert.equal("2026-11-22T19:00:00+09:00", when.iso(t, seoul))
    assert.equal("2026-11-22T05:00:00-05:00", when.iso(t, ny))
    assert.equal("2026-11-22T10:00:00.125Z", when.iso(t + 0.125, zone.utc))
  end)
end)
