-- "Did you mean": the one edit distance (Levenshtein, on bytes) behind
-- every suggestion for a mistyped name: operation ids, config keys, help
-- topics.

local M = {}

local min = math.min

-- The number of single-byte insertions, deletions and substitutions that
-- turn a into b.
function M.distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    local ai = a:byte(i)
    for j = 1, #b do
      local cost = ai == b:byte(j) and 0 or 1
      cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
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
