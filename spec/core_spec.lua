-- The core seen from Lua: tasks (spawn, join, cancel, sleep, errors),
-- the HTTP server and client over real sockets, and that nothing is left
-- behind afterwards.

local core = require "livestation.core"

describe("tasks", function()
  local handler_calls
  before_each(function()
    handler_calls = {}
    core.set_error_handler(function(id, trace) handler_calls[#handler_calls + 1] = trace end)
  end)
  after_each(function()
    core.set_error_handler(nil)
    assert.equal(0, core.stats().tasks) -- no task left behind
  end)

  it("runs a function with arguments and joins its results", function()
    local t = core.spawn(function(a, b) return a + b, "x" end, 40, 2)
    assert.same({ true, 42, "x" }, { t:join() })
    assert.equal("done", t:status())
  end)

  it("sleeps without blocking other tasks", function()
    local order = {}
    local a = core.spawn(function() core.sleep(0.05) order[#order + 1] = "slow" end)
    local b = core.spawn(function() core.sleep(0.01) order[#order + 1] = "fast" end)
    a:join()
    b:join()
    assert.same({ "fast", "slow" }, order)
  end)

  it("reports a failing task with its traceback and ends only that task", function()
    local bad = core.spawn(function() error("boom") end)
    local good = core.spawn(function() core.sleep(0.01) return "fine" end)
    local ok, err = bad:join()
    assert.is_false(ok)
    assert.matches("boom", err)
    assert.same({ true, "fine" }, { good:join() })
    assert.equal(1, #handler_calls)
    assert.matches("stack traceback", handler_calls[1])
    assert.equal("failed", bad:status())
  end)

  it("cancels a waiting task and runs its to-be-closed variables", function()
    local closed = false
    local t = core.spawn(function()
      local _ <close> = setmetatable({}, { __close = function() closed = true end })
      core.sleep(10)
    end)
    core.spawn(function() core.sleep(0.01) end):join()
    assert.equal("waiting", t:status())
    assert.is_true(t:cancel())
    assert.equal("cancelled", t:status())
    assert.is_true(closed)
    assert.same({ false, "cancelled" }, { t:join() })
    assert.is_false(t:cancel())
  end)

  it("lets a task cancel itself", function()
    local after = false
    local t = core.spawn(function()
      core.current():cancel()
      after = true
    end)
    assert.same({ false, "cancelled" }, { t:join() })
    assert.is_false(after)
    assert.equal(0, #handler_calls)
  end)

  it("cancels a task waiting on HTTP", function()
    local srv = core.http_server { port = 0, handler = function() core.sleep(5) return 200 end }
    local t = core.spawn(function() return core.http_request { url = srv:url() } end)
    core.sleep(0.05)
    t:cancel()
    assert.equal("cancelled", t:status())
    srv:close()
  end)

  it("refuses to wait inside a nested coroutine of a task", function()
    local t = core.spawn(function()
      local co = coroutine.wrap(function() core.sleep(0.01) end)
      co()
    end)
    local ok, err = t:join()
    assert.is_false(ok)
    assert.matches("cannot wait here", err)
  end)

  it("joins from a task", function()
    local inner = core.spawn(function() core.sleep(0.01) return 7 end)
    local outer = core.spawn(function() local _, v = inner:join() return v * 6 end)
    assert.same({ true, 42 }, { outer:join() })
  end)

  it("runs the loop only while referenced tasks or servers are alive", function()
    local bg = core.spawn(function() core.sleep(10) end):unref()
    local srv = core.http_server { port = 0, handler = function() return 200 end }:unref()
    local child
    local fg = core.spawn(function()
      core.sleep(0.01)
      return "done"
    end)
    local inherits = core.spawn(function()
      child = core.spawn(function() core.sleep(10) end)
    end):unref()
    local started = core.monotonic()
    core.run()
    assert.is_true(core.monotonic() - started < 2)
    assert.equal("done", fg:status())
    assert.equal("waiting", bg:status())
    assert.equal("waiting", child:status(), "a task made by an unref'd task is unref'd too")
    bg:cancel()
    child:cancel()
    assert.equal("done", inherits:status())
    srv:close()
  end)

  it("validates its arguments", function()
    assert.has_error(function() core.spawn(42) end)
    assert.has_error(function() core.sleep(-1) end)
    assert.has_error(function() core.sleep(0 / 0) end, "bad argument #1 to 'sleep' (must be a number of seconds >= 0)")
  end)

  it("sleeps for an infinite or huge time until cancelled", function()
    local forever = core.spawn(function() core.sleep(math.huge) end)
    local huge = core.spawn(function() core.sleep(1e300) end)
    core.sleep(0.02)
    assert.equal("waiting", forever:status())
    assert.equal("waiting", huge:status())
    assert.is_true(forever:cancel())
    assert.is_true(huge:cancel())
  end)

  it("ends only the task whose error object has a failing __tostring", function()
    local bad = core.spawn(function()
      error(setmetatable({}, { __tostring = function() error("no text for you") end }))
    end)
    local good = core.spawn(function() core.sleep(0.01) return "fine" end)
    local ok, err = bad:join()
    assert.is_false(ok)
    assert.equal("table", type(err), "join gives the raw error value")
    assert.equal("failed", bad:status())
    assert.same({ true, "fine" }, { good:join() })
    assert.equal(1, #handler_calls)
    assert.matches("error object whose __tostring failed", handler_calls[1], 1, true)
  end)

  it("reports an error of a __close handler of a cancelled task; waiting there is refused", function()
    local t = core.spawn(function()
      local _ <close> = setmetatable({}, { __close = function() core.sleep(0.01) end })
      core.sleep(10)
    end)
    core.sleep(0.01)
    assert.is_true(t:cancel())
    assert.equal("cancelled", t:status())
    assert.same({ false, "cancelled" }, { t:join() })
    assert.equal(1, #handler_calls)
    assert.matches("error in __close of cancelled task", handler_calls[1], 1, true)
    assert.matches("cannot wait in a __close handler", handler_calls[1], 1, true)
  end)

  it("cancels re-entrantly: from its own __close handler and from two tasks", function()
    local victim, again
    local closes = 0
    victim = core.spawn(function()
      local _ <close> = setmetatable({}, { __close = function()
        closes = closes + 1
        again = victim:cancel()
      end })
      core.sleep(10)
    end)
    local results = {}
    local a = core.spawn(function() core.sleep(0.01) results[#results + 1] = victim:cancel() end)
    local b = core.spawn(function() core.sleep(0.01) results[#results + 1] = victim:cancel() end)
    a:join()
    b:join()
    assert.same({ true, false }, results)
    assert.is_false(again)
    assert.equal(1, closes)
    assert.equal("cancelled", victim:status())
    assert.equal(0, #handler_calls)
  end)
end)

describe("http", function()
  it("serves requests in tasks and answers many clients at once", function()
    local srv = core.http_server { port = 0, handler = function(req)
      core.sleep(0.05)
      return 201, { ["X-Echo"] = req.headers["x-ncp-region_code"] }, req.method .. " " .. req.target
    end }
    local started = core.monotonic()
    local tasks = {}
    for i = 1, 40 do
      tasks[i] = core.spawn(function()
        return core.http_request { method = "PUT", url = srv:url() .. "/p?i=" .. i,
          headers = { ["x-ncp-region_code"] = "KR" }, body = "{}" }
      end)
    end
    for i = 1, 40 do
      local _, resp = tasks[i]:join()
      assert.equal(201, resp.status)
      assert.equal("PUT /p?i=" .. i, resp.body)
      assert.equal("KR", resp.headers["x-echo"])
    end
    assert.is_true(core.monotonic() - started < 1.5, "requests overlap")
    srv:close()
  end)

  it("drops the connection when the handler says so", function()
    local srv = core.http_server { port = 0, handler = function() return "drop" end }
    local resp, err = core.http_request { url = srv:url() }
    assert.is_nil(resp)
    assert.equal("network", err.kind)
    assert.is_true(err.sent)
    srv:close()
  end)

  it("answers 500 when the handler fails", function()
    core.set_error_handler(function() end)
    local srv = core.http_server { port = 0, handler = function() error("oops") end }
    local resp = core.http_request { url = srv:url() }
    assert.equal(500, resp.status)
    srv:close()
    core.set_error_handler(nil)
  end)

  it("caps the size of a response", function()
    local srv = core.http_server { port = 0, handler = function() return 200, {}, string.rep("x", 5000) end }
    local resp, err = core.http_request { url = srv:url(), max_size = 1000 }
    assert.is_nil(resp)
    assert.equal("too_large", err.kind)
    srv:close()
  end)

  it("refuses a method that is not a plain word", function()
    assert.has_error(function()
      core.http_request { method = "GET / HTTP/1.1\r\nX:", url = "http://127.0.0.1:1/" }
    end, "http_request: method must be upper-case letters")
  end)

  it("refuses header values with line breaks", function()
    assert.has_error(function()
      core.http_request { url = "http://127.0.0.1:1/", headers = { X = "a\r\nEvil: 1" } }
    end)
  end)

  it("answers 500 and goes on serving when a handler's error cannot be printed", function()
    core.set_error_handler(function() end)
    local srv = core.http_server { port = 0, handler = function(req)
      if req.path == "/bad" then
        error(setmetatable({}, { __tostring = function() error("no text") end }))
      end
      return 200, {}, "ok"
    end }
    local t = core.spawn(function()
      local bad = core.http_request { url = srv:url() .. "/bad" }
      local good = core.http_request { url = srv:url() .. "/good" }
      return bad.status, good.status, good.body
    end)
    assert.same({ true, 500, 200, "ok" }, { t:join() })
    srv:close()
    core.set_error_handler(nil)
  end)

  it("closes cleanly while at its connection cap, a request in flight", function()
    local srv = core.http_server { port = 0, max_connections = 1,
      handler = function() core.sleep(5) return 200 end }
    local t = core.spawn(function() return core.http_request { url = srv:url(), timeout = 5 } end)
    core.sleep(0.1)
    srv:close() -- the listener goes first, then the connection at the cap
    local ok, resp, err = t:join()
    assert.is_true(ok)
    assert.is_true(resp == nil and err ~= nil or resp.status == 503)
    assert.equal(0, core.stats().servers)
  end)

  it("sends 60 headers from a task intact", function()
    local srv = core.http_server { port = 0, handler = function(req)
      local n = 0
      for k, v in pairs(req.headers) do
        if k:match("^x%-h%d+$") and v == "value-" .. k:sub(4) then n = n + 1 end
      end
      return 200, {}, tostring(n)
    end }
    local t = core.spawn(function()
      local h = {}
      for i = 1, 60 do h["X-H" .. i] = "value-" .. i end
      return core.http_request { url = srv:url(), headers = h }.body
    end)
    assert.same({ true, "60" }, { t:join() })
    srv:close()
  end)

  it("refuses a header table with a key that is not a name", function()
    assert.has_error(function()
      core.http_request { url = "http://127.0.0.1:1/", headers = { a = "1", [2] = "x", b = "2" } }
    end, "http_request: headers must map names to strings")
    assert.has_error(function()
      core.http_request { url = "http://127.0.0.1:1/", timeout = 0 / 0 }
    end, "http_request: timeout must be a number of seconds >= 0")
  end)

  it("leaves no server open", function()
    assert.equal(0, core.stats().servers)
  end)
end)

describe("sqlite", function()
  it("keeps rows in a WAL file and reports SQL errors", function()
    local path = os.tmpname()
    local db = assert(core.sqlite_open(path))
    assert.is_true(db:exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v)"))
    db:query("INSERT INTO kv VALUES (?, ?)", "a", 42)
    db:query("INSERT INTO kv VALUES (?, ?)", "b", 1.5)
    local rows = db:query("SELECT k, v FROM kv ORDER BY k")
    assert.same({ { k = "a", v = 42 }, { k = "b", v = 1.5 } }, rows)
    assert.equal("integer", math.type(rows[1].v))
    assert.equal("wal", db:query("PRAGMA journal_mode")[1].journal_mode)
    local none, err = db:query("SELECT nope FROM kv")
    assert.is_nil(none)
    assert.matches("no such column", err)
    db:close()
    os.remove(path)
  end)

  it("finalizes the statement of a bad bind, so close really closes the file", function()
    local path = os.tmpname()
    local db = assert(core.sqlite_open(path))
    assert.is_true(db:exec("CREATE TABLE t (a)"))
    db:query("INSERT INTO t VALUES (?)", 1)
    assert.has_error(function() db:query("SELECT * FROM t WHERE a = ?", {}) end,
      "bad argument #2 to 'query' (sqlite can bind nil, boolean, number or string)")
    db:close()
    -- the last connection of a WAL database removes the -wal file on close
    assert.is_nil(io.open(path .. "-wal"))
    assert.has_error(function() db:query("SELECT 1") end, "sqlite: database is closed")
    os.remove(path)
  end)
end)
