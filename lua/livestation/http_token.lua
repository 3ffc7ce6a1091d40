-- The token check of the HTTP servers a host opens (webhook receiver,
-- status server): the token comes as ?token= in the URL, an
-- X-Livestation-Token header or "Authorization: Bearer TOKEN", and is
-- compared in constant time.

local url = require "livestation.url"

local M = {}

-- The value of name in a query string, percent-decoded, or nil.
function M.query_param(query, name)
  return url.parse_query(query)[name]
end

-- Compares without stopping at the first difference.
function M.same(a, b)
  if type(a) ~= "string" or type(b) ~= "string" or #a ~= #b then return false end
  local diff = 0
  for i = 1, #a do diff = diff | (a:byte(i) ~ b:byte(i)) end
  return diff == 0
end

-- True when req (core.http_server's request table) carries token.
function M.authorized(req, token)
  local h = req.headers
  local bearer = h["authorization"] and h["authorization"]:match("^[Bb]earer%s+(.+)$")
  return M.same(M.query_param(req.query, "token"), token) or M.same(h["x-livestation-token"], token)
    or M.same(bearer, token)
end

return M
