-- The state store that lsrun's read-only commands (jobs, steps) look at:
-- the one named by --state, else the default. A file that is not there
-- is an error, never created by looking.

local store_mod = require "livestation.schedule.store"

local M = {}

-- The open store and its location, or nil after writing why to err.
function M.open(path, err)
  path = path or store_mod.default_path()
  if not store_mod.is_postgres(path) then
    local f = io.open(path, "rb")
    if not f then
      err:write("lsrun: no state file at ", path, "\n")
      return nil
    end
    f:close()
  end
  local store, oerr = store_mod.open(path)
  if not store then err:write("lsrun: ", oerr, "\n") return nil end
  return store, path
end

return M
