-- "Did you mean": the one edit distance (Levenshtein, on bytes) behind
-- every suggestion for a mistyped name: operation ids, config keys, help
-- topics.

local M = {}

local min = math.min

-- The number of single-byte insertions, deletions, substitutions and
-- swaps of two neighbours that turn a into b (optimal string alignment:
-- "grcae" is one swap from "grace").
function M.distance(a, b)
  local rows = { [0] = {} }
  for j = 0, #b do rows[0][j] = j end
  for i = 1, #a do
    local cur, prev = { [0] = i }, rows[i - 1]
    local ai = a:byte(i)
    for j = 1, #b do
      local bj = b:byte(j)
      local d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai == bj and 0 or 1))
      if i > 1 and j > 1 and ai == b:byte(j - 1) and a:byte(i - 1) == bj then
        d = min(d, rows[i - 2][j - 2] + 1)
      end
      cur[j] = d
    end
    rows[i] = cur
    rows[i - 2] = i > 2 and nil or rows[i - 2] -- two rows back is all a swap needs
  end
  return rows[#a][#b]
end

-- The candidate closest to word, ignoring case, when it is within reach:
-- `within` is a distance, or a function(candidate) giving one. Ties go
-- to the earlier candidate. Returns the candidate or nil.
function M.closest(word, candidates, within)
  local lw = word:lower()
  local best, best_d
  for _, c in ipairs(candidates) do
    local limit = type(within) == "function" and within(c) or within
    local d = M.distance(lw, c:lower())
    if d <= limit and (not best_d or d < best_d) then best, best_d = c, d end
  end
  return best
end

return M
