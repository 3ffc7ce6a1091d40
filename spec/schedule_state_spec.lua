-- The persistent key/value state: JSON values, atomic update, and the
-- same values after the file is closed and opened again.

local core = require "livestation.core"
local h = require "helpers.schedule"
local schedule = require "livestation.schedule"

-- The same specs for each store: a file, and the shared PostgreSQL.
local function suite(backend)
  local path, S

  before_each(function()
    path = h.tmp_state()
    S = schedule.new { state = path }
  end)

  after_each(function()
    S.close()
    h.cleanup()
    assert.equal(0, core.stats().tasks)
  end)

  describe("state", function()
    it("stores JSON values and gives them back", function()
      local st = S.state
      assert.is_nil(st.get("missing"))
      assert.is_true(st.set("n", 42))
      assert.is_true(st.set("clip", { id = "sc-1", sizes = { 720, 1080 }, ok = true }))
      assert.equal(42, st.get("n"))
      assert.equal("integer", math.type(st.get("n")))
      assert.same({ id = "sc-1", sizes = { 720, 1080 }, ok = true }, st.get("clip"))
      assert.is_true(st.set("n", "text"))
      assert.equal("text", st.get("n"))
      assert.is_true(st.delete("n"))
      assert.is_false(st.delete("n"))
      assert.is_true(st.set("clip", nil))
      assert.is_nil(st.get("clip"))
    end)

    it("keeps values across a restart", function()
      S.state.set("done:2026-11-22", true)
      S.close()
      S = schedule.new { state = path }
      assert.is_true(S.state.get("done:2026-11-22"))
    end)

    it("lists keys, all or by prefix", function()
      for _, k in ipairs { "b:2", "a", "b:1", "c" } do S.state.set(k, 1) end
      assert.same({ "a", "b:1", "b:2", "c" }, S.state.keys())
      assert.same({ "b:1", "b:2" }, S.state.keys("b:"))
    end)

    it("updates atomically, and an error rolls back", function()
      assert.equal(1, S.state.update("count", function(n) return (n or 0) + 1 end))
      assert.equal(2, S.state.update("count", function(n) return n + 1 end))
      assert.has_error(function()
        S.state.update("count", function(n) S.state.set("other", 1) error("no") end)
      end, "no")
      assert.equal(2, S.state.get("count"))
      assert.is_nil(S.state.get("other"))
      assert.is_nil(S.state.update("count", function() return nil end))
      assert.is_nil(S.state.get("count"))
    end)

    it("does not let another task in during an update", function()
      local tasks = {}
      for i = 1, 20 do
        tasks[i] = core.spawn(function()
          for _ = 1, 10 do
            S.state.update("n", function(n) return (n or 0) + 1 end)
            core.sleep(0)
          end
        end)
      end
      for _, t in ipairs(tasks) do assert.is_true((t:join())) end
      assert.equal(200, S.state.get("n"))
      core.set_error_handler(function() end) -- the failure below is expected
      local ok, err = core.spawn(function()
        return S.state.update("n", function(n) core.sleep(0.01) return n end)
      end):join()
      core.set_error_handler(nil)
      assert.is_false(ok)
      assert.matches("cannot wait here", tostring(err))
      assert.equal(200, S.state.get("n"))
    end)

    it("refuses misuse", function()
      assert.has_error(function() S.state.get(1) end, "state.get: key must be a non-empty string")
      assert.has_error(function() S.state.set("", 1) end, "state.set: key must be a non-empty string")
      assert.has_error(function() S.state.update("k", 1) end, "state.update: fn must be a function")
      assert.has_error(function() S.state.set("k", function() end) end)
    end)

    it("is shared by the module's default scheduler", function()
      local prev = schedule.set_default(S)
      schedule.state.set("via_module", { 1, 2 })
      assert.same({ 1, 2 }, S.state.get("via_module"))
      assert.equal(path, schedule.state_file())
      schedule.set_default(prev)
    end)
  end)
end

h.each_backend(suite)
