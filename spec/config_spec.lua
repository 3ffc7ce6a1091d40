-- livestation.config: every problem at once, with its path and a "did you mean".
local livestation = require "livestation"
local config = livestation.config
local T = config.types

local SHOW = T.record({
  name = T.name {},
  starts = T.time {},
  ends = T.time {},
  grace = T.duration { default = "2m", max = 600 },
  zone = T.zone { optional = true },
  record = T.record({ format = T.enum({ "MP4", "HLS" }, { default = "MP4" }) }, { default = {} }),
  targets = T.list(T.record { url = T.rtmp_url {}, key = T.string {} }, { min = 1 }),
}, { check = function(c, add)
  local z = livestation.time.zone(c.zone)
  if livestation.time.resolve(c.ends, z) <= livestation.time.resolve(c.starts, z) then
    add("ends", "must be after starts")
  end
end })

local GOOD = {
  name = "evening_news", starts = "2026-11-22T19:00:00+09:00", ends = "2026-11-22T20:00:00+09:00",
  targets = { { url = "rtmp://a.example/live", key = "k" } },
}

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = type(v) == "table" and copy(v) or v end
  return out
end

describe("livestation.config", function()
  it("fills defaults and normalises values", function()
    local cfg, problems = config.check(SHOW, GOOD)
    assert.are.same({}, problems)
    assert.are.equal(120, cfg.grace)
    assert.are.equal("MP4", cfg.record.format)
    assert.are.equal("evening_news", cfg.name)
  end)

  it("reports every problem at once, each with its path", function()
    local raw = copy(GOOD)
    raw.name = "x"
    raw.grace = "1 fortnight"
    raw.record = { format = "AVI" }
    raw.targets = { { url = "http://nope", key = "k" }, { key = 5 } }
    raw.starts = nil
    local cfg, problems = config.check(SHOW, raw)
    assert.is_nil(cfg)
    assert.are.same({
      "grace: expected a duration such as \"90s\", \"5m\" or \"1h30m\", got \"1 fortnight\"",
      "name: expected a name of 3 to 20 letters (English or Hangul), digits or _, got \"x\"",
      "record.format: expected one of \"MP4\", \"HLS\", got \"AVI\"",
      "starts: required: a time such as \"2026-11-22T19:00:00\", \"2026-11-22T19:00:00+09:00\", "
        .. "\"+10m\" (from the first start) or epoch seconds",
      "targets[1].url: expected an RTMP URL (\"rtmp://...\" or \"rtmps://...\"), got \"http://nope\"",
      "targets[2].key: expected a text, got 5",
      "targets[2].url: required: an RTMP URL (\"rtmp://...\" or \"rtmps://...\")",
    }, problems)
  end)

  it("suggests the setting a mistyped name meant", function()
    local raw = copy(GOOD)
    raw.grcae = "1m"
    raw.record = { fromat = "HLS" }
    raw.zzz = 1
    local _, problems = config.check(SHOW, raw)
    assert.are.same({
      'grcae: unknown setting; did you mean "grace"?',
      "zzz: unknown setting (known here: ends, grace, name, record, starts, targets, zone)",
      'record.fromat: unknown setting; did you mean "format"?',
    }, problems)
  end)

  it("runs checks across settings even when another setting is wrong", function()
    local raw = copy(GOOD)
    raw.ends = "2026-11-22T18:00:00+09:00"
    raw.grace = "2h"
    local _, problems = config.check(SHOW, raw)
    assert.are.same({ 'grace: must be at most 10m00s, got "2h"', "ends: must be after starts" }, problems)
  end)

  it("skips a check across settings that needs a setting that is wrong", function()
    local raw = copy(GOOD)
    raw.ends = "yesterday"
    local _, problems = config.check(SHOW, raw)
    assert.are.equal(1, #problems)
    assert.matches("^ends: expected a time", problems[1])
  end)

  it("says what the whole value should be", function()
    local _, problems = config.check(SHOW, "show")
    assert.are.same({ 'expected a table of settings, got "show"' }, problems)
  end)
end)
