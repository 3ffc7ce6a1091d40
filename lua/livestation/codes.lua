-- The service's error codes: each code's HTTP status, name and message
-- template (errors.json through the catalogue). Data, not error objects:
-- the client's errors.lua builds its objects from it and the emulator
-- answers with it, so the two cannot drift.

local M = {}

-- Live Station does not document the HTTP status of its error codes beyond
-- 250013. This is the mapping COMMON.md §c suggests.
M.STATUS_DEFAULT = 400
M.STATUS = {
  [250004] = 404, [250100] = 404, [250123] = 404, [250300] = 404, [250301] = 404,
  [250501] = 404, [250701] = 404, [250702] = 404, [250705] = 404,
  [250010] = 403, [250015] = 403,
  [250006] = 401, [250017] = 401,
  [250000] = 500, [250009] = 500, [250016] = 500,
  [250013] = 200,
}

function M.http_status(code)
  return M.STATUS[code] or M.STATUS_DEFAULT
end

-- The catalogue is large: read only when a message or name is wanted.
local function entry(code)
  return require("livestation.catalogue").errors[code]
end

-- Fills a Live Station message template ({0}, {1}, ...) from errors.json.
function M.message(code, ...)
  local e = entry(code)
  if not e then return "error " .. tostring(code) end
  local args = table.pack(...)
  return (e.message:gsub("{(%d+)}", function(i)
    local v = args[tonumber(i) + 1]
    return v ~= nil and tostring(v) or ""
  end))
end

-- The code's errorName, or nil when errors.json gives none.
function M.name(code)
  local e = entry(code)
  return e and e.name or nil
end

return M
