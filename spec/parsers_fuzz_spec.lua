-- Every parser against hostile input (cron, JSON, INI, config, times,
-- pattern, TZif, POSIX TZ, webhook payloads): linear time on long input, mutation
-- fuzzing from valid seeds (each input is either accepted or refused with a
-- message, never a crash, a hang or an error object that is not a string),
-- a differential check of the pattern matcher against a brute-force one,
-- and corrupt TZif files refused at load.
--
-- Seeded and bounded: the same inputs every run, a fixed count of each.

local cron = require "livestation.schedule.cron"
local tzif = require "livestation.schedule.tzif"
local zone = require "livestation.schedule.zone"
local tzrule = require "livestation.schedule.tzrule"
local json = require "livestation.json"
local pattern = require "livestation.pattern"
local credentials = require "livestation.credentials"
local webhook = require "livestation.schedule.webhook"
local config = require "livestation.config"
local time = require "livestation.time"

local ROUNDS = 400 -- mutations of each seed

---------------------------------------------------------------- helpers

-- A deterministic generator of its own, so the inputs do not depend on
-- what else in the suite used math.random.
local function rng(seed)
  local x = seed
  return function(n)
    x = (x * 1103515245 + 12345) % 2147483648
    return n and (x % n) + 1 or x
  end
end

local JUNK = { "\0", "\255", "\n", " ", "*", ",", "-", "/", "[", "]", "{", "}", "\"",
  "\\", "=", "#", "@", "9", "99999999999999999999", "-1", "0", "é", "가", "\t" }

-- One random edit of s: flip a byte, insert junk, delete or duplicate a
-- span, or blow a span up into a long run.
local function mutate(s, r)
  local n = #s
  local op = r(6)
  local i = r(n + 1)
  if op == 1 and n > 0 then
    local b = s:byte(math.min(i, n)) ~ (1 << (r(8) - 1))
    return s:sub(1, i - 1) .. string.char(b) .. s:sub(i + 1)
  elseif op == 2 then
    return s:sub(1, i - 1) .. JUNK[r(#JUNK)] .. s:sub(i)
  elseif op == 3 then
    return s:sub(1, i - 1) .. s:sub(i + r(8))
  elseif op == 4 then
    local j = math.min(n, i + r(16))
    return s:sub(1, j) .. s:sub(i, j) .. s:sub(j + 1)
  elseif op == 5 then
    return s:sub(1, i - 1) .. string.rep(JUNK[r(#JUNK)], r(2000)) .. s:sub(i)
  end
  return s:sub(1, r(n + 1) - 1)
end

-- Calls fn(input) for each mutant of each seed; fn raises on a broken
-- promise, and the failing input is named.
local function fuzz(seeds, seed, fn)
  local r = rng(seed)
  for _, s in ipairs(seeds) do
    local cur = s
    for _ = 1, ROUNDS do
      cur = mutate(r(4) == 1 and s or cur, r)
      if #cur > 200000 then cur = s end
      local ok, err = pcall(fn, cur)
      if not ok then
        error(string.format("input %q: %s", cur:sub(1, 200), tostring(err)), 0)
      end
    end
  end
end

-- A result or nil, message: the two shapes a parser may answer with.
local function answered(v, msg)
  if v == nil then
    assert(type(msg) == "string" and #msg > 0, "refused without a message")
  end
  return v
end

-- CPU seconds fn takes; pathological (quadratic) input takes minutes, so a
-- bound of a few seconds separates linear from not, even on a busy machine.
local function cpu(fn)
  local t = os.clock()
  fn()
  return os.clock() - t
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

---------------------------------------------------------------- linear time

describe("parsers on long input", function()
  local run = string.rep(" ", 300000)

  it("cron trims and splits in linear time", function()
    local secs = cpu(function()
      assert.is_nil((cron.parse("*" .. run .. "x")))
      assert.is_truthy(cron.parse(run .. "* * * * *" .. run))
      assert.is_truthy(cron.parse(string.rep("1,", 150000) .. "1 * * * *"))
    end)
    assert.is_true(secs < 3, "cron took " .. secs .. " s")
  end)

  it("the INI reader trims keys, values and section names in linear time", function()
    local home = os.tmpname()
    os.remove(home)
    assert(os.execute("mkdir -p " .. home .. "/.ncloud"))
    local f = assert(io.open(home .. "/.ncloud/configure", "w"))
    f:write("[", run, "DEFAULT", run, "x]\n", "ncloud_access_key_id", run, "=", run, "AK", run, "\n")
    f:write("[DEFAULT]\nncloud_access_key_id = AK\nncloud_secret_access_key = SK", run, "\n")
    f:close()
    local creds
    local secs = cpu(function()
      creds = credentials.resolve({}, { getenv = function() return nil end, home = home })
    end)
    os.execute("rm -rf " .. home)
    assert.is_true(secs < 3, "the INI reader took " .. secs .. " s")
    assert.are.equal("AK", creds.access_key)
  end)

  it("the pattern matcher is linear in the subject, anchored or not", function()
    local subject = string.rep("a", 200000)
    local secs = cpu(function()
      assert.is_false(pattern.compile("[a-z]+b"):match(subject))
      assert.is_false(pattern.compile("^[0-9A-Za-z_가-힣]+$"):match(subject .. "!"))
      assert.is_false(pattern.compile("a*a*a*a*a*c"):match(subject))
      assert.is_true(pattern.compile("a{3,20}$"):match(subject))
    end)
    assert.is_true(secs < 5, "pattern matching took " .. secs .. " s")
  end)

  it("a webhook body of deep nesting or a long run is refused, not a crash", function()
    assert.is_nil((webhook.parse(string.rep("[", 100000))))
    assert.is_nil((webhook.parse('{"id":1,"event":"' .. string.rep("A", 300000) .. '"}')))
  end)
end)

---------------------------------------------------------------- pattern

-- The reference: try every split of the subject over the atoms. Exponential,
-- so only for short subjects, but obviously right.
local function brute(p, s)
  local cps = {}
  for _, c in utf8.codes(s) do cps[#cps + 1] = c end
  local n = #cps
  local function in_atom(atom, c)
    local r = atom.ranges
    for k = 1, #r, 2 do
      if c >= r[k] and c <= r[k + 1] then return not atom.negate end
    end
    return atom.negate
  end
  local function try(k, pos)
    if k > #p.atoms then return not p.anchor_end or pos == n + 1 end
    local atom = p.atoms[k]
    local c = 0
    while true do
      if c >= atom.min and try(k + 1, pos + c) then return true end
      if c >= atom.max or pos + c > n or not in_atom(atom, cps[pos + c]) then return false end
      c = c + 1
    end
  end
  if p.anchor_start then return try(1, 1) end
  for start = 1, n + 1 do
    if try(1, start) then return true end
  end
  return false
end

describe("pattern matcher", function()
  it("agrees with a brute-force matcher on 3,000 random patterns and subjects", function()
    local r = rng(7)
    local atoms = { "a", "b", "[ab]", "[^a]", "[a-c]", "가", "[가-힣]", "\\-" }
    local quants = { "", "", "*", "+", "?", "{2}", "{1,3}", "{0,}", "{2,}" }
    local letters = { "a", "b", "c", "-", "가", "힣" }
    for _ = 1, 3000 do
      local src = (r(2) == 1 and "^" or "")
      for _ = 1, r(4) do src = src .. atoms[r(#atoms)] .. quants[r(#quants)] end
      src = src .. (r(2) == 1 and "$" or "")
      local subject = {}
      for i = 1, r(8) - 1 do subject[i] = letters[r(#letters)] end
      subject = table.concat(subject)
      local m = pattern.compile(src)
      assert(m:match(subject) == brute(m, subject),
        string.format("%s on %q: matcher says %s", src, subject, tostring(m:match(subject))))
    end
  end)

  it("refuses unsupported or malformed patterns with a message", function()
    local r = rng(11)
    fuzz({ "^[0-9A-Za-z_가-힣]+$", "^[A-Za-z0-9-]{3,20}$", "^[0-9]{14}$" }, 3, function(src)
      local ok, m = pcall(pattern.compile, src)
      if ok then
        assert(type(m:match("abc" .. r(100))) == "boolean")
      else
        assert(type(m) == "string" and m:find("^pattern: "), "error was " .. tostring(m))
      end
    end)
  end)
end)

---------------------------------------------------------------- cron, JSON, webhooks, INI

describe("mutation fuzzing", function()
  it("cron answers every mutant with a spec or a message", function()
    fuzz({ "*/5 * * * *", "0 30 9 * * MON-FRI", "@daily", "0 0 1,15 JAN-DEC/2 SUN#2" }, 17,
      function(s)
        local spec = answered(cron.parse(s))
        if spec then -- a spec that parsed must also compute a next time
          local nxt = cron.next and cron.next(spec, 1767225600)
          assert(nxt == nil or math.type(nxt) == "integer" or type(nxt) == "number")
        end
      end)
  end)

  it("JSON decoding never raises and names what is wrong", function()
    fuzz({ '{"content":[{"channelId":"ls-1","n":6,"a":[],"b":{}}],"total":1}',
           '[1,2.5,"x\\u00e9",true,false,null,[[]]]', '"\\ud83d\\ude00"' }, 19,
      function(s)
        local v, err = json.decode(s)
        answered(v, err)
      end)
  end)

  it("webhook payloads are parsed or refused with a reason", function()
    fuzz({ '{"id":123,"logLevel":"INFO","channelId":"ls-1","event":"PUBLISH_START","timestamp":1700000000000}',
           '{"id":"abc-1","event":"STREAM_FINISH"}' }, 23,
      function(s)
        local ev = answered(webhook.parse(s))
        if ev then
          assert(type(ev.key) == "string" and type(ev.event) == "string")
        end
      end)
  end)

  it("the credentials file gives keys or a clear error, never a crash", function()
    local home = os.tmpname()
    os.remove(home)
    assert(os.execute("mkdir -p " .. home .. "/.ncloud"))
    local path = home .. "/.ncloud/configure"
    local ok, err = pcall(fuzz, {
      -- the secret holds '-' and '.', which no os.tmpname() path does:
      -- the home directory named in a message cannot look like it
      "[DEFAULT]\nncloud_access_key_id = AK\nncloud_secret_access_key = \"SK-9.x\"\n",
      "; c\n[p1]\nNCLOUD_ACCESS_KEY_ID=a\nncloud_secret_access_key=b\n[DEFAULT]\n",
    }, 29, function(s)
      local f = assert(io.open(path, "wb"))
      f:write(s)
      f:close()
      local c, e = credentials.resolve({}, { getenv = function() return nil end, home = home })
      if c then
        assert(type(c.access_key) == "string" and type(c.secret_key) == "string")
      else
        assert(e ~= nil and tostring(e) ~= "", "refused without a message")
        assert(not tostring(e):find("SK-9.x", 1, true), "the secret is in the message: " .. tostring(e))
      end
    end)
    os.execute("rm -rf " .. home)
    assert(ok, err)
  end)
end)

describe("mutation fuzzing of configs and times", function()
  local T = config.types
  local SHOW = T.record {
    name = T.name {}, starts = T.time {}, grace = T.duration { default = "2m" },
    tz = T.zone { default = "Asia/Seoul" }, retries = T.integer { default = 3 },
    outputs = T.list(T.record { url = T.rtmp_url {}, enabled = T.boolean { default = true } },
      { default = {} }),
  }

  it("a JSON config is checked or refused with one line per problem", function()
    local path = os.tmpname() .. ".json"
    local ok, err = pcall(fuzz, {
      '{"name":"news","starts":"2030-01-01T19:00:00+09:00","grace":"90s","tz":"UTC",' ..
      '"outputs":[{"url":"rtmp://127.0.0.1/live/x","enabled":false}]}',
    }, 41, function(text)
      local f = assert(io.open(path, "wb"))
      f:write(text)
      f:close()
      local cfg, problems = config.load(path, SHOW)
      if cfg then
        assert(type(cfg.name) == "string" and type(cfg.grace) == "number")
      else
        assert(type(problems) == "table" and #problems >= 1, "refused without problems")
        for _, p in ipairs(problems) do assert(type(p) == "string" and #p > 0) end
      end
    end)
    os.remove(path)
    assert(ok, err)
  end)

  it("times, durations and KST values are parsed or refused with a message", function()
    fuzz({ "2026-11-22T19:00:00.250+09:00", "2026-11-22T10:00:00Z", "2026-11-22T19:00" }, 43,
      function(s)
        local t = answered(time.parse(s, "Asia/Seoul"))
        if t then assert(type(time.format(t, "UTC")) == "string") end
      end)
    fuzz({ "1h30m", "90s", "2d", "0.5s" }, 47, function(s)
      local d = answered(time.duration(s))
      if d then assert(type(d) == "number" and d == d) end
    end)
    fuzz({ "20261122190000" }, 53, function(s)
      answered(time.from_kst(s))
    end)
  end)
end)

---------------------------------------------------------------- TZif

describe("TZif files", function()
  local ny = read((os.getenv("TZDIR") or "/usr/share/zoneinfo") .. "/America/New_York")

  -- Where the version 2 block starts (its header), and its counts: that is
  -- the block a reader of version 2+ files uses.
  local function v2()
    local c = { string.unpack(">I4I4I4I4I4I4", ny, 21) } -- isut isstd leap time type char
    local v1 = c[4] * 5 + c[5] * 6 + c[6] + c[3] * 8 + c[2] + c[1]
    local at = 45 + v1
    return at, { string.unpack(">I4I4I4I4I4I4", ny, at + 20) }
  end

  -- The zone from data, or nil, message; a loaded zone must then answer
  -- for instants far apart, quickly.
  local function load_and_use(data)
    local path = os.tmpname()
    local f = assert(io.open(path, "wb"))
    f:write(data)
    f:close()
    local z, err = zone.load(path)
    os.remove(path)
    if not z then return nil, err end
    for _, t in ipairs { -2^40, -1e9, 0, 1.7e9, 4.1e9, 2^40 } do
      local off = z:offset(math.floor(t))
      assert(math.type(off) == "integer", "offset is not an integer")
      assert(#z:from_local(1.7e9) <= 2)
    end
    return z
  end

  it("corrupt files are refused at load with a clear error", function()
    local bad = {
      -- more transitions announced than the file holds
      { ny:sub(1, 32) .. string.pack(">I4", 0x7fffffff) .. ny:sub(37), "truncated TZif file" },
      -- an unknown version
      { "TZif9" .. ny:sub(6), "unknown TZif version" },
      -- the same in the version 2 header
      { (function()
          local at = v2()
          return ny:sub(1, at + 31) .. string.pack(">I4", 0x7fffffff) .. ny:sub(at + 36)
        end)(), "truncated TZif file" },
      -- a transition that names a type past the table
      { (function()
          local at, c = v2()
          local idx = at + 44 + c[4] * 8 -- the first type index of the v2 block
          return ny:sub(1, idx - 1) .. "\200" .. ny:sub(idx + 1)
        end)(), "TZif transition names a missing local time type" },
      -- a footer that is not a POSIX TZ string
      { ny:gsub("\nEST5EDT,M3.2.0,M11.1.0\n$", "\nEST5EDT,M13.2.0,M11.1.0\n"), "bad TZif footer" },
    }
    for _, case in ipairs(bad) do
      local z, err = load_and_use(case[1])
      assert.is_nil(z)
      assert.is_truthy(err:find(case[2], 1, true), err)
    end
  end)

  it("descending transition times are refused", function()
    local hdr, c = v2()
    local at = hdr + 44 -- the first v2 transition time
    local second = ny:sub(at + 8, at + 15)
    local data = ny:sub(1, at - 1) .. second .. second .. ny:sub(at + 16)
    assert(c[4] > 2)
    local z, err = tzif.parse(data)
    assert.is_nil(z)
    assert.are.equal("TZif transition times are not ascending", err)
  end)

  it("every mutant of a real file is refused or answers sanely and quickly", function()
    local secs = cpu(function()
      fuzz({ ny }, 31, function(data)
        answered(load_and_use(data))
      end)
    end)
    assert.is_true(secs < 20, "TZif fuzzing took " .. secs .. " s")
  end)

  it("POSIX TZ strings are parsed or refused", function()
    fuzz({ "EST5EDT,M3.2.0,M11.1.0", "<+0330>-3:30", "AEST-10AEDT,M10.1.0,M4.1.0/3" }, 37,
      function(s)
        local r = answered(tzrule.parse(s))
        if r then assert(math.type(tzrule.info_at(r, 1700000000)) == "integer") end
      end)
  end)
end)
