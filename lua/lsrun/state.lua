-- What lsrun's read-only commands (jobs, steps) share: their options
-- (--state FILE, --json, --help, and for some one name), aligned columns
-- and the state store they look at: the one named by --state, else the default. A file
-- that is not there is an error, never created by looking.

local store_mod = require "livestation.schedule.store"

local M = {}

-- The options of command `name`: {path, json, help, id}; takes_id lets
-- one word that is not an option through as id. nil after writing the
-- usage error to err.
function M.options(argv, name, usage, err, takes_id)
  local o = {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--state" then
      i = i + 1
      o.path = argv[i]
      if not o.path then err:write("lsrun: --state needs a file\n", usage) return nil end
    elseif a == "--json" then
      o.json = true
    elseif a == "--help" or a == "-h" then
      o.help = true
    elseif a:sub(1, 1) == "-" or not takes_id or o.id then
      err:write("lsrun: ", name, ": unexpected argument '", a, "'\n", usage)
      return nil
    else
      o.id = a
    end
    i = i + 1
  end
  return o
end

-- Rows of text cells as aligned lines: every column but the last padded
-- to its widest cell, two spaces between, no trailing space.
function M.columns(rows)
  local width = {}
  for _, r in ipairs(rows) do
    for i = 1, #r - 1 do width[i] = math.max(width[i] or 0, #r[i]) end
  end
  local out = {}
  for _, r in ipairs(rows) do
    local parts = {}
    for i = 1, #r - 1 do parts[i] = r[i] .. string.rep(" ", width[i] - #r[i]) end
    parts[#r] = r[#r]
    out[#out + 1] = (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  return table.concat(out, "\n") .. "\n"
end

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
  return store, store.display or path -- a database URL without its password
end

return M
