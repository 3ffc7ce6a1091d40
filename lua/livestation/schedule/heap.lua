-- A binary min-heap of entries ordered by (at, seq): the earliest
-- deadline first, ties in insertion order.

local M = {}

local Heap = {}
Heap.__index = Heap

function M.new()
  return setmetatable({ n = 0, seq = 0 }, Heap)
end

local function less(a, b)
  return a.at < b.at or (a.at == b.at and a.seq < b.seq)
end

function Heap:push(e)
  self.seq = self.seq + 1
  e.seq = self.seq
  local n = self.n + 1
  self.n = n
  self[n] = e
  while n > 1 do -- sift up
    local p = n // 2
    if not less(self[n], self[p]) then break end
    self[n], self[p] = self[p], self[n]
    n = p
  end
  return e
end

function Heap:peek()
  return self[1]
end

function Heap:pop()
  local n = self.n
  if n == 0 then return nil end
  local top = self[1]
  self[1] = self[n]
  self[n] = nil
  n = n - 1
  self.n = n
  local i = 1
  while true do -- sift down
    local l, r, m = 2 * i, 2 * i + 1, i
    if l <= n and less(self[l], self[m]) then m = l end
    if r <= n and less(self[r], self[m]) then m = r end
    if m == i then break end
    self[i], self[m] = self[m], self[i]
    i = m
  end
  return top
end

function Heap:size()
  return self.n
end

return M
