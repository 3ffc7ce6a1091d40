-- livestation.log: line format, levels, redaction, masking.

local log = require "livestation.log"

local T0 = 1700000000123 -- 2023-11-14T22:13:20.123Z
local STAMP = "2023-11-14T22:13:20.123Z"

describe("log", function()
  local lines

  before_each(function()
    lines = {}
    log.set_sink(function(line) lines[#lines + 1] = line end)
    log.set_clock(function() return T0 end)
    log.set_level("debug")
  end)

  after_each(function()
    log.set_sink(nil)
    log.set_clock(nil)
    log.set_level("warn")
  end)

  describe("lines", function()
    local cases = {
      { "info", "hello", nil, STAMP .. " INFO  hello" },
      { "warn", "careful", nil, STAMP .. " WARN  careful" },
      { "error", "broken", nil, STAMP .. " ERROR broken" },
      { "debug", "detail", nil, STAMP .. " DEBUG detail" },
      { "info", "call", { op = "channel.get", status = 200, ms = 12 },
        STAMP .. " INFO  call ms=12 op=channel.get status=200" },
      { "info", "values", { s = "two words", e = "", q = 'say "hi"', eq = "a=b", f = 6.0, g = 0.5, b = false },
        STAMP .. ' INFO  values b=false e="" eq="a=b" f=6 g=0.5 q="say \\"hi\\"" s="two words"' },
      { "info", "table field", { body = { a = { 1, 2 } } }, STAMP .. ' INFO  table field body="{\\"a\\":[1,2]}"' },
      { "info", "multi\nline\tmessage", { v = "x\ny" }, STAMP .. ' INFO  multi\\nline\\tmessage v="x\\ny"' },
      { "info", 42, nil, STAMP .. " INFO  42" },
    }
    for _, c in ipairs(cases) do
      it(c[1] .. ": " .. tostring(c[2]):gsub("%c", " "), function()
        log[c[1]](c[2], c[3])
        assert.are.same({ c[4] }, lines)
      end)
    end

    local stamps = {
      { 0, "1970-01-01T00:00:00.000Z" },
      { 1700000000005, "2023-11-14T22:13:20.005Z" },
      { 1795236196999, "2026-11-21T04:43:16.999Z" },
    }
    for _, c in ipairs(stamps) do
      it("timestamp " .. c[2], function()
        log.set_clock(function() return c[1] end)
        log.warn("x")
        assert.are.same({ c[2] .. " WARN  x" }, lines)
      end)
    end

    it("uses a real clock by default", function()
      log.set_clock(nil)
      log.warn("now")
      assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ WARN  now$", lines[1])
      local year = tonumber(lines[1]:sub(1, 4))
      assert.is_true(year >= 2024)
    end)
  end)

  describe("levels", function()
    local cases = {
      { "error", { "error" } },
      { "warn", { "error", "warn" } },
      { "info", { "error", "warn", "info" } },
      { "debug", { "error", "warn", "info", "debug" } },
      { "INFO", { "error", "warn", "info" } },
    }
    for _, c in ipairs(cases) do
      it("at " .. c[1], function()
        log.set_level(c[1])
        local enabled = {}
        for _, name in ipairs { "error", "warn", "info", "debug" } do
          log[name](name)
          if log.enabled(name) then enabled[#enabled + 1] = name end
        end
        assert.are.same(c[2], enabled)
        assert.are.equal(#c[2], #lines)
        for i, name in ipairs(c[2]) do
          assert.are.equal(name, lines[i]:match("^%S+ (%u+)"):lower())
        end
        assert.are.equal(c[1]:lower(), log.level())
      end)
    end

    it("rejects an unknown level", function()
      local ok, err = pcall(log.set_level, "verbose")
      assert.is_false(ok)
      assert.matches("log.set_level: unknown level 'verbose' (error, warn, info, debug)", err, 1, true)
      assert.are.equal("debug", log.level())
      assert.is_false(pcall(log.enabled, "loud"))
    end)

    -- The default comes from the environment when the module loads, so it
    -- is checked in a fresh interpreter.
    local defaults = { { nil, "warn" }, { "debug", "debug" }, { "ERROR", "error" }, { "nonsense", "warn" } }
    for _, c in ipairs(defaults) do
      it("defaults to " .. c[2] .. " with LIVESTATION_LOG=" .. tostring(c[1]), function()
        local cmd = string.format(
          "%s lua5.4 -e 'package.path=\"./lua/?.lua;\"..package.path; io.write(require(\"livestation.log\").level())'",
          c[1] and ("env LIVESTATION_LOG=" .. c[1]) or "env -u LIVESTATION_LOG")
        local p = assert(io.popen(cmd))
        local out = p:read("a")
        p:close()
        assert.are.equal(c[2], out)
      end)
    end
  end)

  describe("sinks", function()
    it("set_sink returns the previous sink and nil restores stderr", function()
      local mine = function() end
      log.set_sink(mine)
      assert.are.equal(mine, log.set_sink(nil))
      local default = log.set_sink(mine)
      assert.are_not.equal(mine, default)
      assert.are.equal("function", type(default))
    end)

    it("writes nothing below the level", function()
      log.set_level("error")
      log.warn("hidden", { a = 1 })
      log.info("hidden")
      assert.are.same({}, lines)
    end)
  end)

  describe("redaction", function()
    local SECRET = "NCPTESTSECRETKEY00000000000000000000SK01"
    local MAGIC = "s3cr%t.+(x)/y z"

    setup(function()
      log.redact(SECRET)
      log.redact(MAGIC)
      log.redact("")
      log.redact(nil)
    end)

    local cases = {
      { "start of a line", function() log.info(SECRET .. " is the key") end, STAMP .. " INFO  [REDACTED] is the key" },
      { "middle of a line", function() log.info("key " .. SECRET .. " here") end, STAMP .. " INFO  key [REDACTED] here" },
      { "end of a line", function() log.info("x", { k = SECRET }) end, STAMP .. " INFO  x k=[REDACTED]" },
      { "twice", function() log.info(SECRET .. SECRET) end, STAMP .. " INFO  [REDACTED][REDACTED]" },
      { "in a field name", function() log.info("x", { [SECRET] = 1 }) end, STAMP .. " INFO  x [REDACTED]=1" },
      { "in a table field", function() log.info("x", { body = { key = SECRET } }) end,
        STAMP .. ' INFO  x body="{\\"key\\":\\"[REDACTED]\\"}"' },
      { "Lua pattern characters matched as plain text", function() log.info("a " .. MAGIC .. " b") end,
        STAMP .. " INFO  a [REDACTED] b" },
      { "pattern look-alike not matched", function() log.info("s3cr%tA+(x)/y z") end,
        STAMP .. " INFO  s3cr%tA+(x)/y z" },
      { "percent-encoded upper case", function() log.info("GET /?k=s3cr%25t.%2B%28x%29%2Fy%20z&n=1") end,
        STAMP .. " INFO  GET /?k=[REDACTED]&n=1" },
      { "percent-encoded lower case", function() log.info("u", { url = "/?k=s3cr%25t.%2b%28x%29%2fy%20z" }) end,
        STAMP .. ' INFO  u url="/?k=[REDACTED]"' },
      { "quoted in a field", function() log.info("u", { v = "<" .. MAGIC .. ">" }) end,
        STAMP .. ' INFO  u v="<[REDACTED]>"' },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        c[2]()
        assert.are.same({ c[3] }, lines)
        assert.is_nil(lines[1]:find(SECRET, 1, true))
        assert.is_nil(lines[1]:find(MAGIC, 1, true))
      end)
    end
  end)

  describe("mask", function()
    local cases = {
      { "NCPTESTACCESSKEY0001", "NCPT****01" },
      { "ABCDEFGHIJKL", "ABCD****KL" },
      { "ABCDEFGHIJK", "****" },
      { "", "****" },
      { nil, "****" },
      { 12345, "****" },
    }
    for _, c in ipairs(cases) do
      it(tostring(c[1]) .. " -> " .. c[2], function()
        assert.are.equal(c[2], log.mask(c[1]))
      end)
    end
  end)
end)
