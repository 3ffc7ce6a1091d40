-- Running commands from specs: run(cmd) -> exit status, stdout, stderr,
-- with the command given to /bin/sh as it is; q(s) quotes a word for it;
-- files read and written whole, temporary directories.

local M = {}

function M.q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- The whole of a file, or "" when it cannot be read.
function M.read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function slurp(path)
  local s = M.read(path)
  os.remove(path)
  return s
end

function M.run(cmd)
  local out, err = os.tmpname(), os.tmpname()
  local ok, how, code = os.execute("{ " .. cmd .. "\n} >" .. out .. " 2>" .. err .. " </dev/null")
  if how == "signal" then code = 128 + code end
  return ok and 0 or code, slurp(out), slurp(err)
end

-- A fresh directory under /tmp; the caller removes it (rm_rf).
function M.tmpdir()
  local status, out = M.run("mktemp -d")
  assert(status == 0, "mktemp -d failed")
  return (out:gsub("%s+$", ""))
end

function M.rm_rf(dir)
  if dir and dir:match("^/tmp/.") then os.execute("rm -rf " .. M.q(dir)) end
end

function M.write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

return M
