-- Percent-encoding and query strings: the one implementation the client
-- (request targets it signs), the emulator (paths, queries, signatures it
-- checks) and the webhook receiver share.
--
--   url.escape("a b")            --> "a%20b"  (RFC 3986 unreserved kept)
--   url.unescape("a%20b")        --> "a b"    (a stray '%' stays as it is)
--   url.parse_query("a=1&b=x+y") --> { a = "1", b = "x y" }

local M = {}

local type = type

-- core.url_escape, from the C module on first use: the tools that only
-- read the operation table (make catalogue, the editor annotations) run
-- on a plain lua5.4 without it.
local url_escape

-- Percent-encodes every byte outside RFC 3986 unreserved characters, with
-- upper-case hex digits (what the gateway signs), in C.
function M.escape(s)
  if type(s) ~= "string" then
    error("url.escape: expected a string, got " .. type(s), 2)
  end
  url_escape = url_escape or require("livestation.core").url_escape
  return url_escape(s)
end

local function hex(h) return string.char(tonumber(h, 16)) end

-- %XX escapes decoded; a '%' not followed by two hex digits stays as it
-- is. '+' stays '+' (in a path it is a plus).
function M.unescape(s)
  if not s:find("%", 1, true) then return s end
  return (s:gsub("%%(%x%x)", hex))
end

-- A name or value of a query string: '+' is a space, then %XX decoded.
local function unescape_form(s)
  if s:find("+", 1, true) then s = s:gsub("+", " ") end
  return M.unescape(s)
end
M.unescape_form = unescape_form

-- name -> value of a raw query string (without the '?'); the first of
-- repeated names wins, empty names are dropped, nil or "" gives {}.
function M.parse_query(q)
  local t = {}
  if q == nil or q == "" then return t end
  for pair in q:gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    k = unescape_form(k)
    if k ~= "" and t[k] == nil then t[k] = unescape_form(v) end
  end
  return t
end

return M
