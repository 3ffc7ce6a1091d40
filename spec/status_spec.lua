-- lsrun --status: /metrics through a strict parser of the text format,
-- counters that move as jobs run, /healthz and its 503, the page's
-- escaping and secrets, the token for a non-loopback address. lsrun runs
-- as a process of its own; requests go through real sockets.

local core = require "livestation.core"
local prom = require "helpers.prom"
local wf = require "helpers.workflow"

local HOOK_TOKEN = "hook-token-9f8e7d"

local function get(url, headers, method, timeout)
  local resp, err = core.http_request { method = method or "GET", url = url, headers = headers or {},
    timeout = timeout or 10, body = method == "POST" and "x" or nil }
  assert(resp, err and err.message)
  return resp
end

-- Starts the fixture service; returns proc, status url, webhook url.
local function start_service(extra, env)
  local dir = wf.tmpdir()
  local proc = wf.spawn(dir, "svc", "./lsrun --emulator --log info --state " .. wf.quote(dir .. "/state.db") ..
    " " .. (extra or "--status 127.0.0.1:0") .. " spec/fixtures/status_service.lua", env)
  local url = wf.wait_for(function()
    return proc:stderr():match("status server listening url=(http://[%d.:]+)")
  end, 15)
  assert(url, "no status server: " .. proc:stderr())
  local hook = proc:wait_line("^webhook ", 15)
  assert(hook, "no webhook: " .. proc:stderr())
  return proc, url, hook:match("^webhook (%S+)")
end

local function post_event(hook, id, event, token)
  return core.http_request { method = "POST", url = hook .. "?token=" .. (token or HOOK_TOKEN),
    headers = { ["content-type"] = "application/json" }, timeout = 10,
    body = string.format('{"id":%d,"event":"%s","channelId":"ls-1","timestamp":1}', id, event) }
end

local function scrape(url)
  local resp = get(url .. "/metrics")
  assert.equal(200, resp.status)
  assert.matches("^text/plain; version=0.0.4", resp.headers["content-type"])
  return prom.parse(resp.body), resp.body
end

describe("the strict exposition parser", function()
  local good = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\n" ..
    "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
  it("accepts a well-formed exposition", function()
    local f = prom.parse(good)
    assert.equal(2, prom.value(f, "a_total", { x = "1" }))
    assert.equal(2, prom.value(f, "h_count"))
  end)
  local bad = {
    { "no newline at the end", good:sub(1, -2) },
    { "a sample before TYPE", "a_total 1\n# TYPE a_total counter\n" },
    { "a bad label escape", "# TYPE a gauge\na{x=\"\\t\"} 1\n" },
    { "a bad metric name", "# TYPE 1a gauge\n1a 1\n" },
    { "a duplicate series", "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n" },
    { "a family split in two", "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n" },
    { "buckets that go down", "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n" },
    { "+Inf that is not _count", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n" },
    { "no +Inf bucket", "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n" },
    { "a negative counter", "# TYPE a_total counter\na_total -1\n" },
    { "a bad value", "# TYPE a gauge\na one\n" },
  }
  for _, c in ipairs(bad) do
    it("refuses " .. c[1], function()
      assert.has_error(function() prom.parse(c[2]) end)
    end)
  end
end)

describe("lsrun --status", function()
  local proc, url, hook

  setup(function()
    proc, url, hook = start_service()
  end)

  teardown(function()
    if proc then proc:kill("TERM") end
    wf.cleanup()
  end)

  it("serves metrics a strict parser accepts, and the counters move as jobs run", function()
    assert(wf.wait_for(function()
      return prom.value(scrape(url), "livestation_job_runs_total", { job = "broken", outcome = "failed" })
    end, 10), "no failed run counted")
    local f1 = scrape(url)
    local failed1 = prom.value(f1, "livestation_job_runs_total", { job = "broken", outcome = "failed" })
    local calls1 = prom.value(f1, "livestation_api_calls_total", { op = "channel.get", status_class = "4xx" })
    assert.is_true(calls1 >= failed1)
    -- every final outcome is one observation of each histogram
    assert.equal(failed1, prom.value(f1, "livestation_job_duration_seconds_count", { job = "broken" }))
    assert.equal(failed1, prom.value(f1, "livestation_job_lateness_seconds_count", { job = "broken" }))
    assert.equal(1, prom.value(f1, "livestation_job_runs_due_next_hour", { job = "hourly" }))
    local due = prom.value(f1, "livestation_job_runs_due_next_hour", { job = "<b>tick</b>" })
    -- every 0.25 s: 14400 an hour, one more when the scrape finds a run late
    assert.is_true(due >= 14399 and due <= 14401, "due: " .. tostring(due))
    assert.equal(0, prom.value(f1, "livestation_api_calls_in_flight"))
    assert(wf.wait_for(function()
      local f2 = scrape(url)
      return prom.value(f2, "livestation_job_runs_total", { job = "broken", outcome = "failed" }) >= failed1 + 2
        and prom.value(f2, "livestation_api_calls_total", { op = "channel.get", status_class = "4xx" }) > calls1
    end, 10), "the counters did not move")
  end)

  it("counts API calls that fail on the network and their retries", function()
    local f = wf.wait_for(function()
      local f = scrape(url)
      return (prom.value(f, "livestation_api_retries_total", { op = "channel.get" }) or 0) >= 1 and f
    end, 10)
    assert(f, "no retry counted")
    assert.is_true(prom.value(f, "livestation_api_calls_total", { op = "channel.get", status_class = "network" }) >= 2)
    assert.is_true(prom.value(f, "livestation_job_runs_total", { job = "unreachable", outcome = "failed" }) >= 1)
  end)

  it("counts webhook events received, duplicates, rejections and handling", function()
    assert.equal(200, post_event(hook, 501, "PUBLISH_START").status)
    assert.equal(200, post_event(hook, 501, "PUBLISH_START").status)
    assert.equal(401, post_event(hook, 502, "PUBLISH_START", "wrong").status)
    assert(wf.wait_for(function()
      local f = scrape(url)
      return prom.value(f, "livestation_webhook_events_handled_total",
        { event = "PUBLISH_START", outcome = "ignored" }) == 1 and f
    end, 10), "the event was not handled")
    local f = scrape(url)
    assert.equal(1, prom.value(f, "livestation_webhook_events_received_total",
      { event = "PUBLISH_START", result = "stored" }))
    assert.equal(1, prom.value(f, "livestation_webhook_events_received_total",
      { event = "PUBLISH_START", result = "duplicate" }))
    assert.equal(1, prom.value(f, "livestation_webhook_requests_rejected_total", { status = "401" }))
  end)

  it("says 200 on /healthz while the loop turns and the store answers", function()
    local resp = get(url .. "/healthz")
    assert.equal(200, resp.status)
    assert.matches("^ok\nloop: ok", resp.body)
    assert.matches("store: ok", resp.body)
  end)

  it("serves an escaped page that holds no secret and fetches nothing else", function()
    local resp = get(url .. "/")
    assert.equal(200, resp.status)
    assert.matches("^text/html", resp.headers["content-type"])
    assert.matches("default%-src 'none'", resp.headers["content-security-policy"])
    local page = resp.body
    assert.truthy(page:find("&lt;b&gt;tick&lt;/b&gt;", 1, true))
    assert.falsy(page:find("<b>tick", 1, true))
    assert.truthy(page:find("Channel is not found", 1, true))
    assert(wf.wait_for(function() return get(url .. "/").body:find('class="failure" data-job="leaky"', 1, true) end, 10))
    page = get(url .. "/").body
    assert.truthy(page:find("[REDACTED]", 1, true))
    assert.falsy(page:find("sk-live-0042", 1, true))
    assert.falsy(page:find(HOOK_TOKEN, 1, true))
    assert.falsy(page:find(wf.SECRET_KEY, 1, true))
    assert.falsy(page:find("src=", 1, true))
    assert.falsy(page:find("https?://"))
    assert.truthy(page:find('<meta http-equiv="refresh" content="5">', 1, true))
  end)

  it("answers 405 to other methods and 404 to other paths", function()
    assert.equal(405, get(url .. "/metrics", nil, "POST").status)
    assert.equal(404, get(url .. "/nothing").status)
  end)

  it("says 503 with the reason when the state store fails, and counts store errors", function()
    local before = prom.value(scrape(url), "livestation_state_store_errors_total", { backend = "sqlite" }) or 0
    assert.equal(200, post_event(hook, 900, "BREAK_STORE").status)
    local resp = wf.wait_for(function()
      local r = get(url .. "/healthz")
      return r.status == 503 and r
    end, 10)
    assert(resp, "healthz stayed 200")
    assert.matches("^unhealthy: state store: .*no such table: meta", resp.body)
    local after = prom.value(scrape(url), "livestation_state_store_errors_total", { backend = "sqlite" })
    assert.is_true(after > before)
    assert.equal(200, get(url .. "/").status) -- the page still renders, with the reason
  end)
end)

describe("/healthz and a stalled loop", function()
  local heartbeat = require "livestation.heartbeat"
  local status = require "livestation.status"
  local schedule = require "livestation.schedule"

  it("says 503 when the loop has not turned for STALL_AFTER seconds", function()
    local S = schedule.new { state = os.tmpname() }
    local saved = status.STALL_AFTER
    status.STALL_AFTER = 0.3
    heartbeat.start(0.05)
    core.sleep(0.1)
    local code = status.health { scheduler = S }
    -- Lua that never yields: the heartbeat cannot run
    local t = core.monotonic() + 0.5
    while core.monotonic() < t do end
    local stalled, body = status.health { scheduler = S }
    core.sleep(0.2) -- the loop turns again
    local after = status.health { scheduler = S }
    status.STALL_AFTER = saved
    heartbeat.stop()
    S.close()
    assert.equal(200, code)
    assert.equal(503, stalled)
    assert.matches("^unhealthy: event loop stalled: last turn %d%.%ds ago\n", body)
    assert.equal(200, after)
  end)
end)

describe("lsrun --status on a wider address", function()
  after_each(function() wf.cleanup() end)

  it("refuses to start without a token", function()
    local dir = wf.tmpdir()
    local p = wf.spawn(dir, "open", "./lsrun --status 0.0.0.0:0 -e 'print(1)'")
    assert.equal(2, p:wait(15))
    assert.matches("needs a token %(set LIVESTATION_STATUS_TOKEN%)", p:stderr())
    p = wf.spawn(dir, "bad", "./lsrun --status nonsense -e 'print(1)'")
    assert.equal(2, p:wait(15))
    assert.matches("is not HOST:PORT", p:stderr())
  end)

  it("asks for the token as a bearer header or ?token=, and never logs it", function()
    local token = "status-token-5b1c9a"
    local proc, url = start_service("--status 0.0.0.0:0", { LIVESTATION_STATUS_TOKEN = token })
    url = url:gsub("0%.0%.0%.0", "127.0.0.1")
    assert.equal(401, get(url .. "/metrics").status)
    assert.equal(401, get(url .. "/metrics", { Authorization = "Bearer wrong" }).status)
    assert.equal(200, get(url .. "/metrics", { Authorization = "Bearer " .. token }).status)
    assert.equal(200, get(url .. "/?token=" .. token).status)
    assert.falsy(get(url .. "/?token=" .. token).body:find(token, 1, true))
    proc:kill("TERM")
    assert.falsy(proc:stderr():find(token, 1, true))
  end)
end)
