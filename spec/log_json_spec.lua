-- Structured logs: --log-format json / LIVESTATION_LOG_FORMAT give one
-- JSON object a line with stable keys and no secret; lines written to the
-- journal's stream carry its priority prefix.

local cjson = require "cjson"
local log = require "livestation.log"
local wf = require "helpers.workflow"

local T0 = 1700000000123

describe("log.set_format('json')", function()
  local lines

  before_each(function()
    lines = {}
    log.set_sink(function(line) lines[#lines + 1] = line end)
    log.set_clock(function() return T0 end)
    log.set_level("debug")
    log.set_format("json")
  end)

  after_each(function()
    log.set_sink(nil)
    log.set_clock(nil)
    log.set_level("warn")
    log.set_format("text")
  end)

  it("writes one object a line with time, level, message and the fields", function()
    log.error("job run", { job = "clip", run = "r3", op = "channel.get", status = 404,
      trace_id = "abc", ms = 1.5, ok = false, body = { a = { 1, 2 } } })
    assert.equal(1, #lines)
    local v = cjson.decode(lines[1])
    assert.same({ time = "2023-11-14T22:13:20.123Z", level = "error", message = "job run", job = "clip",
      run = "r3", op = "channel.get", status = 404, trace_id = "abc", ms = 1.5, ok = false,
      body = { a = { 1, 2 } } }, v)
    assert.matches('^{"time":"2023%-11%-14T22:13:20%.123Z","level":"error","message":"job run",', lines[1])
  end)

  it("keeps its own keys: a field named like one is renamed", function()
    log.info("m", { level = "x", time = 1, message = "y" })
    local v = cjson.decode(lines[1])
    assert.same({ "info", "m", "x", 1, "y" }, { v.level, v.message, v.field_level, v.field_time, v.field_message })
  end)

  it("stays one line whatever the message holds", function()
    log.warn('two\nlines "quoted" \\ \0 \127', { v = "x\ny" })
    assert.equal(1, #lines)
    assert.falsy(lines[1]:find("\n"))
    assert.equal('two\nlines "quoted" \\ \0 \127', cjson.decode(lines[1]).message)
  end)

  it("masks every registered secret, however a string carried it", function()
    local secret = 'Sk"\\y/+ \n=z%' .. "\1"
    log.redact(secret)
    log.error("failed: " .. secret, { key = secret, nested = { list = { "a" .. secret .. "b" } },
      url = "https://x/?k=" .. secret:gsub("[^%w]", function(c) return string.format("%%%02X", c:byte()) end) })
    local line = lines[1]
    local v = cjson.decode(line)
    assert.equal("failed: [REDACTED]", v.message)
    assert.equal("[REDACTED]", v.key)
    assert.equal("a[REDACTED]b", v.nested.list[1])
    assert.equal("https://x/?k=[REDACTED]", v.url)
    assert.falsy(line:find("Sk", 1, true))
  end)

  it("cuts out values named as secrets, whatever their type, and stays JSON", function()
    log.info("named", { password = 1234, secret_key = true, body = { streamKey = 99, inner = { token = "t0k" } },
      text = '{"streamKey":"abc-def"}' })
    local v = cjson.decode(lines[1])
    assert.equal("[REDACTED]", v.password)
    assert.equal("[REDACTED]", v.secret_key)
    assert.equal("[REDACTED]", v.body.streamKey)
    assert.equal("[REDACTED]", v.body.inner.token)
    assert.falsy(v.text:find("abc-def", 1, true))
  end)

  it("refuses an unknown format", function()
    assert.has_error(function() log.set_format("xml") end,
      "log.set_format: unknown format 'xml' (text, json)")
  end)
end)

describe("lsrun's log format", function()
  after_each(function() wf.cleanup() end)

  -- A failing job that calls the API, against the in-process emulator.
  local SCRIPT = [[
local l = require "livestation"
local ls = l.new {}
l.every(0.1, function() assert(ls:call("channel.get", { channelId = "ls-gone" })) end, { name = "gone" })
l.sleep(0.35)
os.exit(0)
]]

  local function each_json(text)
    local out = {}
    for line in text:gmatch("[^\n]+") do out[#out + 1] = assert(cjson.decode(line)) end
    return out
  end

  it("--log-format json: every line parses, API calls carry job, run, op, status, trace_id; no secret", function()
    local dir = wf.tmpdir()
    local script = wf.write(dir .. "/s.lua", SCRIPT)
    -- a state file of its own: the named job must not journal into the checkout's
    local p = wf.spawn(dir, "json", "./lsrun --emulator --state " .. wf.quote(dir .. "/state.db") ..
      " --log debug --log-format json " .. wf.quote(script))
    p:wait(20)
    local err = p:stderr()
    assert.falsy(err:find(wf.SECRET_KEY, 1, true))
    local objs = each_json(err)
    local call, run
    for _, o in ipairs(objs) do
      assert.is_string(o.time)
      assert.is_string(o.level)
      assert.is_string(o.message)
      if o.message == "call" and o.status == 404 then call = call or o end
      if o.message == "job run" and o.outcome == "failed" then run = run or o end
    end
    assert(call, "no call line")
    assert(run, "no job run line")
    assert.equal("gone", call.job)
    assert.equal("channel.get", call.op)
    assert.matches("^%x+$", call.trace_id)
    assert.equal(call.run, run.run)
    assert.equal(call.trace_id, run.trace_id)
    assert.equal("error", run.level)
  end)

  it("LIVESTATION_LOG_FORMAT=json does the same; an unknown format is a usage error", function()
    local dir = wf.tmpdir()
    local p = wf.spawn(dir, "env", "./lsrun -e 'require(\"livestation.log\").warn(\"hello\", {n = 1})'",
      { LIVESTATION_LOG_FORMAT = "json" })
    assert.equal(0, p:wait(20))
    local v = cjson.decode((p:stderr():gsub("\n$", "")))
    assert.same({ "warn", "hello", 1 }, { v.level, v.message, v.n })
    p = wf.spawn(dir, "bad", "./lsrun --log-format xml -e 'print(1)'")
    assert.equal(2, p:wait(20))
    assert.matches("unknown log format 'xml'", p:stderr())
  end)

  -- JOURNAL_STREAM names the stream as device:inode; here it is the file
  -- stderr goes to, as systemd's is the socket it hands the service.
  local function stream_id(path)
    local f = assert(io.popen("stat -c '%d:%i' " .. wf.quote(path)))
    local id = f:read("l")
    f:close()
    return id
  end

  local LEVELS = [[-e 'local log = require "livestation.log"
log.error("e1") log.warn("w1") log.info("i1") log.debug("d1")']]

  it("prefixes each line with the journal's priority when stderr is the journal stream", function()
    local dir = wf.tmpdir()
    local errfile = dir .. "/stream.log"
    wf.write(errfile, "")
    local cmd = "sh -c " .. wf.quote("exec ./lsrun --log debug " .. LEVELS .. " 2>>" .. wf.quote(errfile))
    local p = wf.spawn(dir, "journal", cmd, { JOURNAL_STREAM = stream_id(errfile) })
    assert.equal(0, p:wait(20))
    local got = {}
    for line in wf.slurp(errfile):gmatch("[^\n]+") do
      got[#got + 1] = (line:match("^<%d>") or "") .. (line:match("%u+%s+%w+$") or line)
    end
    assert.same({ "<3>ERROR e1", "<4>WARN  w1", "<6>INFO  i1", "<7>DEBUG d1" }, got)
  end)

  it("writes no prefix when JOURNAL_STREAM names another stream", function()
    local dir = wf.tmpdir()
    local other = wf.write(dir .. "/other", "")
    local p = wf.spawn(dir, "nojournal", "./lsrun --log debug " .. LEVELS, { JOURNAL_STREAM = stream_id(other) })
    assert.equal(0, p:wait(20))
    assert.matches("^%d%d%d%d%-", p:stderr())
    assert.falsy(p:stderr():find("<%d>"))
  end)
end)
