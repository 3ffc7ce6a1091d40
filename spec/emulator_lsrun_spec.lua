-- `lsrun emulator` as its own process: the base URL on the first line of
-- standard output, a log line per request on standard error, a clean stop
-- on SIGTERM, and --state across two runs.

local H = require "helpers.emulator"

local function start(args, log)
  local p = assert(io.popen("sh -c 'echo $$; exec ./lsrun emulator --port 0 " .. args .. " 2>" .. log .. "'", "r"))
  local pid = assert(p:read("l"))
  local url = assert(p:read("l"))
  return p, pid, url
end

local function stop(p, pid)
  os.execute("kill -TERM " .. pid)
  local rest = p:read("a")
  local ok, how, code = p:close()
  return ok, how, code, rest
end

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

describe("lsrun emulator", function()
  local log, state

  before_each(function()
    log = os.tmpname()
    state = os.tmpname()
    os.remove(state)
    state = state .. ".db"
  end)
  after_each(function()
    os.remove(log)
    for _, suffix in ipairs { "", "-wal", "-shm" } do os.remove(state .. suffix) end
  end)

  it("prints its URL first, logs each request, and stops on SIGTERM", function()
    local p, pid, url = start("--speed 100", log)
    assert.matches("^http://127%.0%.0%.1:%d+$", url)
    local status, body = H.request(url, "POST", "/api/v2/channels", H.CHANNEL)
    assert.equal(200, status)
    assert.equal("CREATING", body.content.channelStatus)
    assert.equal(401, (H.request(url, "GET", "/api/v2/channels", nil, { secret_key = "wrong" })))
    local ok, how, code, rest = stop(p, pid)
    assert.is_true(ok, tostring(how) .. " " .. tostring(code))
    assert.equal(0, code)
    assert.equal("", rest)
    local text = read(log)
    assert.matches("POST /api/v2/channels 200 channel%.create", text)
    assert.matches("GET /api/v2/channels 401", text)
    assert.is_nil(text:find(H.SK, 1, true))
  end)

  it("keeps its world in --state across runs", function()
    local p, pid, url = start("--state " .. state, log)
    local _, body = H.request(url, "POST", "/api/v2/channels", H.CHANNEL)
    local id = body.content.channelId
    assert.is_true((stop(p, pid)))
    p, pid, url = start("--state " .. state, log)
    local status, got = H.request(url, "GET", "/api/v2/channels/" .. id)
    assert.is_true((stop(p, pid)))
    assert.equal(200, status)
    assert.equal(body.content.streamKey, got.content.streamKey)
  end)
end)
