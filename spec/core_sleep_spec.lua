-- core.sleep counts from when it is called, even after Lua that kept the
-- loop from turning (the loop's cached clock is then stale).

local core = require "livestation.core"

describe("core.sleep after a long computation", function()
  it("sleeps its whole time, in a task and from plain code", function()
    local function busy_then_sleep()
      local t = core.monotonic() + 0.3
      while core.monotonic() < t do end
      local start = core.monotonic()
      core.sleep(0.2)
      return core.monotonic() - start
    end
    local task = core.spawn(function()
      core.sleep(0.01) -- inside the loop, where its clock is cached
      return busy_then_sleep()
    end)
    local joined, slept = task:join()
    assert.is_true(joined)
    assert.is_true(slept >= 0.19, string.format("slept %.3f s", slept))
    assert.is_true(busy_then_sleep() >= 0.19)
  end)
end)
