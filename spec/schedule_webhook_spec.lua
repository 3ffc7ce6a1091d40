-- Webhooks end to end: the emulator's callbacks reach on() handlers once
-- per event id; duplicates (also across a restart) are acknowledged and
-- not delivered again; bad requests get 404/405/401/400 and a log line;
-- an event is stored before it is acknowledged and delivered again when
-- its handlers were cut short.

local core = require "livestation.core"
local E = require "helpers.emulator"
local h = require "helpers.schedule"
local json = require "livestation.json"
local schedule = require "livestation.schedule"

local TOKEN = "s3cret-t0ken"

-- The same specs for each store: a file, and the shared PostgreSQL.
local function suite(backend)
  local path, S, lines, restore_log

  before_each(function()
    lines, restore_log = h.capture_log("info")
    path = h.tmp_state()
    S = schedule.new { state = path }
  end)

  after_each(function()
    S.close()
    restore_log()
    h.cleanup()
    assert.equal(0, core.stats().tasks)
    assert.equal(0, core.stats().servers)
  end)

  local function post(url, body, headers)
    local resp = assert(core.http_request { method = "POST", url = url,
      body = type(body) == "table" and json.encode(body) or body,
      headers = headers or { ["Content-Type"] = "application/json" }, timeout = 5 })
    return resp.status, resp.body
  end

  local function payload(id, event)
    return { id = id, logLevel = "INFO", channelId = "ls-20261122000000-abcDE",
             event = event or "PUBLISH_START", timestamp = 1795237926123 }
  end

  local function inbox_row(id)
    return h.sql(path, "SELECT * FROM inbox WHERE id = ?", tostring(id))[1]
  end

  describe("webhook with the emulator", function()
    it("delivers each Live Station event to its handlers once", function()
      local emu, url = E.start()
      finally(function() emu:stop() end)
      local recv = assert(S.webhook { path = "/livestation/events", token = TOKEN })
      assert.matches("^http://127%.0%.0%.1:%d+/livestation/events$", recv.url())
      local seen, all = {}, {}
      S.on("STREAM_RESERVE", function(ev) seen[#seen + 1] = ev end)
      S.on("*", function(ev) all[#all + 1] = ev.event end)
      local ls = E.client(url)
      assert(ls:call("callback.register", { callbackUrl = recv.url() .. "?token=" .. TOKEN }))
      local id = E.ready_channel(emu, ls)
      assert.is_true(h.wait_until(function() return #seen == 1 end, 5))
      local ev = seen[1]
      assert.equal("STREAM_RESERVE", ev.event)
      assert.equal("INFO", ev.logLevel)
      assert.equal(id, ev.channelId)
      assert.equal("integer", math.type(ev.id))
      assert.equal("integer", math.type(ev.timestamp))
      -- the encoder starts: PUBLISH_START comes through the "*" handler
      E.control(url, "POST", "channels/" .. id .. "/publish")
      assert.is_true(h.wait_until(function()
        for _, e in ipairs(all) do if e == "PUBLISH_START" then return true end end
      end, 5))
      assert.is_true(h.wait_until(function() return emu.callbacks:pending() == 0 end, 5))
      -- every callback the emulator made was acknowledged, and each id delivered once
      local ids = {}
      for _, d in ipairs(emu.callbacks.log) do
        assert.is_true(d.ok, "callback " .. tostring(d.id) .. " not acknowledged")
        ids[d.id] = true
      end
      local n = 0
      for cid in pairs(ids) do
        n = n + 1
        assert.is_true(h.wait_until(function() return inbox_row(cid).state == "done" end, 2))
      end
      assert.equal(n, #all)
      assert.equal(1, #seen)
      for _, l in ipairs(lines) do assert.is_nil(l:find(TOKEN, 1, true), "token in a log line") end
    end)
  end)

  describe("webhook receiver", function()
    local recv, delivered

    before_each(function()
      recv = assert(S.webhook { path = "/hook", token = TOKEN })
      delivered = {}
      S.on("PUBLISH_START", function(ev) delivered[#delivered + 1] = ev end)
    end)

    local function url(extra) return recv.url() .. (extra or ("?token=" .. TOKEN)) end

    it("answers 2xx only once the event is stored", function()
      local status, body = post(url(), payload(1234))
      assert.equal(200, status)
      assert.equal('{"ok":true}', body)
      local row = inbox_row(1234) -- already there when the answer came
      assert.same({ "PUBLISH_START", "ls-20261122000000-abcDE" }, { row.event, row.channel_id })
      assert.is_true(h.wait_until(function() return #delivered == 1 end, 2))
      assert.is_true(h.wait_until(function() return inbox_row(1234).state == "done" end, 2))
    end)

    it("acknowledges duplicates without delivering them again, also after a restart", function()
      assert.equal(200, (post(url(), payload(7))))
      local status, body = post(url(), payload(7))
      assert.equal(200, status)
      assert.equal('{"ok":true,"duplicate":true}', body)
      -- the same id as a string (older pages) is the same event
      assert.equal('{"ok":true,"duplicate":true}', select(2, post(url(), payload("7"))))
      assert.is_true(h.wait_until(function() return #delivered == 1 end, 2))
      S.close()
      S = schedule.new { state = path }
      recv = assert(S.webhook { path = "/hook", token = TOKEN })
      local again = 0
      S.on("*", function() again = again + 1 end)
      assert.equal('{"ok":true,"duplicate":true}', select(2, post(url(), payload(7))))
      assert.equal(200, (post(url(), payload(8))))
      assert.is_true(h.wait_until(function() return again == 1 end, 2))
      core.sleep(0.05)
      assert.equal(1, again)
      assert.equal(3, #h.grep(lines, "webhook: duplicate event", "id=7"))
    end)

    it("accepts the token as a header too", function()
      assert.equal(200, (post(recv.url(), payload(21), { ["X-Livestation-Token"] = TOKEN })))
      assert.equal(200, (post(recv.url(), payload(22), { Authorization = "Bearer " .. TOKEN })))
    end)

    it("answers a wrong path, method or token, or a malformed body, and logs each", function()
      local base = recv.url():match("^(http://[^/]+)")
      local cases = {
        { base .. "/other?token=" .. TOKEN, payload(1), 404, "wrong path" },
        { url(""), payload(1), 401, "wrong or missing token" },
        { url("?token=nope"), payload(1), 401, "wrong or missing token" },
        { url(), "{not json", 400, "malformed body" },
        { url(), "[1,2]", 400, "malformed body" },
        { url(), { logLevel = "INFO", event = "PUBLISH_START" }, 400, "malformed body" },
        { url(), { id = 1.5, event = "PUBLISH_START" }, 400, "malformed body" },
        { url(), { id = 3 }, 400, "malformed body" },
        { url(), { id = 3, event = "PUBLISH_START", timestamp = "soon" }, 400, "malformed body" },
      }
      for _, c in ipairs(cases) do
        local status = post(c[1], c[2])
        assert.equal(c[3], status, c[4])
        assert.is_true(#h.grep(lines, "WARN", "webhook: " .. c[4], "status=" .. c[3]) >= 1, c[4])
      end
      local resp = assert(core.http_request { method = "GET", url = url(), timeout = 5 })
      assert.equal(405, resp.status)
      assert.equal(1, #h.grep(lines, "webhook: method not allowed", "status=405"))
      local _, body = post(url(), { id = 3 })
      assert.equal("bad request: event missing or not an event code\n", body)
      resp = assert(core.http_request { method = "POST", url = url(), body = string.rep("x", 70 * 1024), timeout = 5 })
      assert.equal(413, resp.status) -- over the body limit
      assert.equal(0, #delivered)
      for _, l in ipairs(lines) do assert.is_nil(l:find(TOKEN, 1, true), "token in a log line") end
    end)

    it("runs each handler in its own task, with its own copy of the event", function()
      local order = {}
      S.on("PUBLISH_START", function(ev)
        ev.event = "changed"
        core.sleep(0.1)
        order[#order + 1] = "slow"
      end)
      S.on("PUBLISH_START", function(ev)
        order[#order + 1] = "fast:" .. ev.event
      end)
      assert.equal(200, (post(url(), payload(31))))
      assert.is_true(h.wait_until(function() return #order == 2 end, 2))
      assert.same({ "fast:PUBLISH_START", "slow" }, order)
    end)

    it("marks events nobody handles as ignored, and failed handlers as failed", function()
      assert.equal(200, (post(url(), payload(41, "THUMBNAIL_CREATE"))))
      assert.is_true(h.wait_until(function() return inbox_row(41).state == "ignored" end, 2))
      S.on("ONAIR_START", function() error("handler broke") end)
      assert.equal(200, (post(url(), payload(42, "ONAIR_START"))))
      assert.is_true(h.wait_until(function() return inbox_row(42).state == "failed" end, 2))
      assert.equal(1, S.failures())
      assert.equal(1, #h.grep(lines, "ERROR", "webhook handler failed", "handler broke"))
    end)

    it("delivers again an event whose handlers a restart cut short, a bounded number of times", function()
      local started = 0
      S.on("ONAIR_END", function() started = started + 1 core.sleep(30) end)
      assert.equal(200, (post(url(), payload(51, "ONAIR_END"))))
      assert.is_true(h.wait_until(function() return started == 1 end, 2))
      for attempt = 2, 4 do
        S.close() -- the host stops while the handler runs
        S = schedule.new { state = path }
        local got
        S.on("ONAIR_END", function(ev) got = ev if attempt < 4 then core.sleep(30) end end)
        recv = assert(S.webhook { path = "/hook", token = TOKEN })
        if attempt <= 3 then
          assert.is_true(h.wait_until(function() return got end, 2))
          assert.equal(51, got.id)
          assert.equal(attempt, inbox_row(51).attempts)
        else
          core.sleep(0.1)
          assert.is_nil(got)
          assert.equal("failed", inbox_row(51).state)
          assert.equal(1, #h.grep(lines, "webhook event not delivered again", "id=51"))
        end
      end
    end)

    it("refuses misuse", function()
      assert.has_error(function() S.webhook { path = "hook" } end, "webhook: path must start with '/'")
      assert.has_error(function() S.webhook { token = "" } end, "webhook: token must be a non-empty string")
      assert.has_error(function() S.on("", function() end) end, "on: event must be an event code or '*'")
      assert.has_error(function() S.on("X", nil) end, "on: fn must be a function")
      local port = recv.port()
      local r, err = S.webhook { port = port }
      assert.is_nil(r)
      assert.equal("webhook: cannot listen on 127.0.0.1:" .. port, err)
    end)
  end)
end

h.each_backend(suite)
