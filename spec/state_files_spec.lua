-- Files that hold state are created readable by their owner only: the
-- SQLite file and its -wal and -shm companions, for the scheduler's state
-- file, the emulator's --state file and the core binding itself, even
-- under a permissive umask.

local core = require "livestation.core"
local H = require "helpers.emulator"

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -m 700 " .. dir))
  return dir
end

local function modes(path)
  local out = {}
  for _, suffix in ipairs { "", "-wal", "-shm" } do
    out[suffix == "" and "db" or suffix:sub(2)] = core.file_mode(path .. suffix)
  end
  return out
end

local PRIVATE = { db = 384, wal = 384, shm = 384 } -- 0600

describe("state files", function()
  local dir
  before_each(function() dir = tmpdir() end)
  after_each(function() os.execute("rm -rf " .. dir) end)

  it("core.sqlite_open makes a new file, its -wal and -shm 0600", function()
    local db = assert(core.sqlite_open(dir .. "/core.db"))
    assert(db:exec("CREATE TABLE t (x); INSERT INTO t VALUES (1)"))
    assert.same(PRIVATE, modes(dir .. "/core.db"))
    db:close()
  end)

  it("the scheduler's state file and its companions are 0600", function()
    local store = assert(require("livestation.schedule.store_sqlite").open(dir .. "/state.db"))
    assert.same(PRIVATE, modes(dir .. "/state.db"))
    store:close()
  end)

  it("the emulator's --state file and its companions are 0600", function()
    local emu, url = H.start { state = dir .. "/world.db" }
    local ls = H.client(url)
    assert(ls:call("qualitySet.list", {}))
    assert.same(PRIVATE, modes(dir .. "/world.db"))
    emu:stop()
  end)

  it("the emulator's state file is 0600 from a process with umask 000 #foreign", function()
    local path = dir .. "/umask.db"
    assert(os.execute("umask 000 && ./lsrun emulator --port 0 --quiet --state " .. path ..
      " >/dev/null 2>&1 & echo $! >" .. dir .. "/pid"))
    local ok = false
    for _ = 1, 100 do
      if core.file_mode(path) and core.file_mode(path .. "-wal") then ok = true break end
      core.sleep(0.05)
    end
    local pid = io.open(dir .. "/pid"):read("l")
    local m = modes(path)
    os.execute("kill " .. pid)
    assert.is_true(ok, "the emulator made no state file")
    assert.equal(384, m.db)
    assert.equal(384, m.wal)
  end)

  it("an existing file keeps the mode its owner gave it", function()
    local path = dir .. "/shared.db"
    assert(io.open(path, "w")):close()
    assert(os.execute("chmod 640 " .. path))
    local db = assert(core.sqlite_open(path))
    db:close()
    assert.equal(416, core.file_mode(path)) -- 0640
  end)
end)
