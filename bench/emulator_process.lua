-- `lsrun emulator` as a process of its own on 127.0.0.1, for benchmarks
-- that must not measure it with themselves. Run from the repository root:
--
--   local url, stop = dofile("bench/emulator_process.lua").start()

local core = require "livestation.core"

local M = {}

-- Starts the emulator; returns its base URL and a function that stops it.
function M.start()
  local urlfile = os.tmpname()
  os.execute("./lsrun emulator --port 0 --quiet >" .. urlfile .. " 2>/dev/null & echo $! >" .. urlfile .. ".pid")
  local url
  for _ = 1, 200 do
    local f = io.open(urlfile)
    url = f and f:read("l")
    if f then f:close() end
    if url and url:match("^http") then break end
    core.sleep(0.02)
  end
  local pidf = io.open(urlfile .. ".pid")
  local pid = pidf:read("l")
  pidf:close()
  os.remove(urlfile)
  os.remove(urlfile .. ".pid")
  if not (url and url:match("^http://127%.0%.0%.1:")) then
    os.execute("kill " .. pid .. " 2>/dev/null") -- a half-started emulator is not left behind
    error("the emulator did not start on 127.0.0.1", 0)
  end
  return url, function() os.execute("kill " .. pid) end
end

return M
