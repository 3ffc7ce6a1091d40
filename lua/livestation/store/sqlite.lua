-- The one SQLite file module: opens a file in WAL mode, applies a schema,
-- and runs statements and transactions on it. The scheduler's state file
-- and the emulator's world both live on it; what they keep, and their
-- SQL, stays with them.
--
--   local db = assert(sqlite.open(path, SCHEMA, "state file"))
--   db:query("SELECT * FROM t WHERE k = ?", k)   -- rows, or nil, message
--   db:transaction(function(db) ... end)          -- BEGIN IMMEDIATE .. COMMIT

local core = require "livestation.core"

local M = {}

local Db = {}
Db.__index = Db

-- Opens (creating if needed) the file at path and runs schema (CREATE ...
-- IF NOT EXISTS statements). `what` names the file in errors. Returns the
-- handle or nil, message.
function M.open(path, schema, what)
  what = what or "database"
  local db, err = core.sqlite_open(path)
  if not db then return nil, what .. " " .. path .. ": " .. tostring(err) end
  if schema then
    local ok, serr = db:exec(schema)
    if not ok then
      db:close()
      return nil, what .. " " .. path .. ": " .. tostring(serr)
    end
  end
  return setmetatable({ db = db, path = path, what = what }, Db)
end

-- Binds ... to the ? of sql; rows (array of {column = value}) or nil,
-- message. Never raises.
function Db:query(sql, ...)
  if not self.db then return nil, self.what .. " is closed" end
  return self.db:query(sql, ...)
end

function Db:exec(sql)
  if not self.db then return nil, self.what .. " is closed" end
  return self.db:exec(sql)
end

-- Rows changed by the last statement; the rowid of the last insert.
function Db:changes() return self.db:changes() end
function Db:last_insert_id() return self.db:last_insert_id() end

-- Runs fn(db, ...) inside one IMMEDIATE transaction: committed when fn
-- returns (its results are returned), rolled back and the error raised
-- again when it raises. nil, message when the transaction cannot begin or
-- commit.
function Db:transaction(fn, ...)
  local ok, err = self:exec("BEGIN IMMEDIATE")
  if not ok then return nil, err end
  local results = table.pack(pcall(fn, self, ...))
  if not results[1] then
    self.db:exec("ROLLBACK")
    error(results[2], 0)
  end
  ok, err = self.db:exec("COMMIT")
  if not ok then
    self.db:exec("ROLLBACK")
    return nil, err
  end
  return table.unpack(results, 2, results.n)
end

function Db:is_open()
  return self.db ~= nil
end

function Db:close()
  if self.db then self.db:close() end
  self.db = nil
end

return M
