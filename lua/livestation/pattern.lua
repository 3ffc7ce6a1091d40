-- Regular expressions of the operation table, matched on UTF-8 code points.
--
-- The catalogue's `pattern` values are regular expressions such as
-- ^[0-9A-Za-z_가-힣]+$ that Lua patterns cannot express (they work on
-- bytes, so a Hangul range is out of reach). This compiles the small subset
-- the catalogue uses and refuses everything else at compile time:
--
--   ^ at the start, $ at the end         anchors
--   a  가  \.  \-  \/                    literal code points (escaped
--                                        punctuation is literal too)
--   [a-z_가-힣]  [^0-9]                   bracket classes, ranges over code points
--   + * ? {m} {m,} {m,n}                 greedy quantifiers
--
-- Groups, alternation, '.', \d-style escapes, lazy or possessive
-- quantifiers and lookarounds raise an error naming the construct.

local M = {}

local format = string.format
local utf8_codes, utf8_char, utf8_len = utf8.codes, utf8.char, utf8.len
local huge = math.huge

-- Quantifier counts above this are refused: no catalogue limit is near it,
-- and it keeps a mistyped pattern from turning into a slow one.
local MAX_REPEAT = 1000

---------------------------------------------------------------- parsing

local function refuse(src, what, at)
  error(format("pattern: unsupported %s at position %d in %s", what, at, src), 0)
end

-- Code points of s as an array, or nil when s is not valid UTF-8.
local function code_points(s)
  if not utf8_len(s) then return nil end
  local cps, n = {}, 0
  for _, c in utf8_codes(s) do
    n = n + 1
    cps[n] = c
  end
  return cps, n
end

local function is_alnum(c)
  return (c >= 48 and c <= 57) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122)
end

local BACKSLASH, CARET, DOLLAR, LBRACKET, RBRACKET, HYPHEN =
  92, 94, 36, 91, 93, 45
local LBRACE, RBRACE, COMMA = 123, 125, 44
local STAR, PLUS, QUESTION = 42, 43, 63

-- Characters that mean something in full regular expressions; outside a
-- class they are refused unless escaped, so nothing is silently literal.
local SPECIAL = {
  [40] = "group '('", [41] = "group ')'", [124] = "alternation '|'", [46] = "wildcard '.'",
  [RBRACKET] = "']' outside a class", [RBRACE] = "'}' outside a quantifier",
  [CARET] = "'^' not at the start", [DOLLAR] = "'$' not at the end",
}

-- An escaped character: only ASCII punctuation, which stands for itself.
local function escaped(src, cps, i)
  local c = cps[i + 1]
  if c == nil then refuse(src, "trailing '\\'", i) end
  if c >= 128 or is_alnum(c) then
    refuse(src, "escape '\\" .. utf8_char(c) .. "'", i)
  end
  return c, i + 2
end

-- Parses a bracket class starting at cps[i] == '['. Returns the atom and
-- the index after ']'.
local function parse_class(src, cps, i)
  local start = i
  local atom = { ranges = {}, negate = false }
  i = i + 1
  if cps[i] == CARET then
    atom.negate = true
    i = i + 1
  end
  if cps[i] == RBRACKET then refuse(src, "empty class or leading ']'", i) end
  local ranges = atom.ranges
  while true do
    local c = cps[i]
    if c == nil then refuse(src, "unterminated class", start) end
    if c == RBRACKET then break end
    if c == LBRACKET then refuse(src, "'[' inside a class", i) end
    if c == 38 and cps[i + 1] == 38 then refuse(src, "class intersection '&&'", i) end
    local lo
    if c == BACKSLASH then lo, i = escaped(src, cps, i) else lo, i = c, i + 1 end
    local hi = lo
    -- a '-' between two characters makes a range; first or last it is literal
    if cps[i] == HYPHEN and cps[i + 1] ~= nil and cps[i + 1] ~= RBRACKET then
      local c2 = cps[i + 1]
      if c2 == LBRACKET then refuse(src, "'[' inside a class", i + 1) end
      if c2 == BACKSLASH then hi, i = escaped(src, cps, i + 1) else hi, i = c2, i + 2 end
      if hi < lo then refuse(src, "reversed range", i - 1) end
    end
    ranges[#ranges + 1] = lo
    ranges[#ranges + 1] = hi
  end
  return atom, i + 1
end

local function parse_int(src, cps, i)
  local v, start = 0, i
  while cps[i] and cps[i] >= 48 and cps[i] <= 57 do
    v = v * 10 + (cps[i] - 48)
    if v > MAX_REPEAT then refuse(src, "repeat count above " .. MAX_REPEAT, start) end
    i = i + 1
  end
  if i == start then return nil, i end
  return v, i
end

-- Parses a quantifier at cps[i] (if any). Returns min, max, next index.
local function parse_quantifier(src, cps, i)
  local c = cps[i]
  local min, max
  if c == STAR then
    min, max, i = 0, huge, i + 1
  elseif c == PLUS then
    min, max, i = 1, huge, i + 1
  elseif c == QUESTION then
    min, max, i = 0, 1, i + 1
  elseif c == LBRACE then
    local start = i
    min, i = parse_int(src, cps, i + 1)
    if not min then refuse(src, "quantifier", start) end
    if cps[i] == COMMA then
      max, i = parse_int(src, cps, i + 1)
      max = max or huge
    else
      max = min
    end
    if cps[i] ~= RBRACE then refuse(src, "quantifier", start) end
    if max < min then refuse(src, "quantifier {m,n} with n < m", start) end
    i = i + 1
  else
    return 1, 1, i
  end
  local after = cps[i]
  if after == STAR or after == PLUS or after == QUESTION or after == LBRACE then
    refuse(src, "lazy, possessive or stacked quantifier", i)
  end
  return min, max, i
end

local function parse(src)
  local cps, n = code_points(src)
  if not cps then error("pattern: not valid UTF-8: " .. src, 0) end
  local p = { source = src, atoms = {}, anchor_start = false, anchor_end = false }
  local i = 1
  if cps[1] == CARET then
    p.anchor_start = true
    i = 2
  end
  while i <= n do
    local c = cps[i]
    local atom
    if c == DOLLAR and i == n then
      p.anchor_end = true
      break
    elseif c == LBRACKET then
      atom, i = parse_class(src, cps, i)
    elseif c == BACKSLASH then
      local lit
      lit, i = escaped(src, cps, i)
      atom = { ranges = { lit, lit }, negate = false }
    elseif c == STAR or c == PLUS or c == QUESTION or c == LBRACE then
      refuse(src, "quantifier with nothing to repeat", i)
    elseif SPECIAL[c] then
      refuse(src, SPECIAL[c], i)
    else
      atom = { ranges = { c, c }, negate = false }
      i = i + 1
    end
    atom.min, atom.max, i = parse_quantifier(src, cps, i)
    p.atoms[#p.atoms + 1] = atom
  end
  return p
end

---------------------------------------------------------------- matching

local function in_atom(atom, c)
  local r = atom.ranges
  for k = 1, #r, 2 do
    if c >= r[k] and c <= r[k + 1] then return not atom.negate end
  end
  return atom.negate
end

local Matcher = {}
Matcher.__index = Matcher
Matcher.__name = "livestation.pattern"

function Matcher.__tostring(m)
  return "pattern " .. m.source
end

-- The states of the matcher: (atom k, code points of it matched so far).
-- Past an unbounded atom's minimum the count no longer matters, so it is
-- capped there; a bounded atom keeps every count up to its maximum.
local function states_of(atoms)
  local base, total = {}, 0
  for k, atom in ipairs(atoms) do
    atom.cap = atom.max == huge and atom.min or atom.max
    base[k] = total
    total = total + atom.cap + 1
  end
  base[#atoms + 1] = total -- the accepting state
  return base, total + 1
end

-- True when s matches. The atoms are simulated as a set of states moved
-- forward one code point at a time (Thompson's construction), so the cost
-- is bounded by states x length: linear in s, however it is built.
function Matcher:match(s)
  if type(s) ~= "string" then
    error("pattern:match: expected a string, got " .. type(s), 2)
  end
  local cps, n = code_points(s)
  if not cps then return false end
  local atoms, natoms = self.atoms, #self.atoms
  local base, nstates = self.base, self.nstates
  local accept = base[natoms + 1]
  local cur, nxt = {}, {}

  -- adds (k, c) and every state reachable from it without reading
  local function add(set, k, c)
    while true do
      if k > natoms then set[accept] = true return end
      local id = base[k] + c
      if set[id] then return end
      set[id] = true
      if c < atoms[k].min then return end
      k, c = k + 1, 0
    end
  end

  add(cur, 1, 0)
  for pos = 1, n do
    if cur[accept] and not self.anchor_end then return true end
    local x = cps[pos]
    local any = false
    for k = 1, natoms do
      local atom, b = atoms[k], base[k]
      for c = 0, atom.cap do
        if cur[b + c] and in_atom(atom, x) and c < atom.max then
          add(nxt, k, c < atom.cap and c + 1 or c)
          any = true
        end
      end
    end
    if not self.anchor_start then add(nxt, 1, 0) any = true end
    if not any then return false end
    cur, nxt = nxt, cur
    for id in pairs(nxt) do nxt[id] = nil end
  end
  return cur[accept] == true
end

-- Compiles a pattern; raises on anything outside the supported subset.
function M.compile(src)
  if type(src) ~= "string" then
    error("pattern.compile: expected a string, got " .. type(src), 2)
  end
  local p = parse(src)
  p.base, p.nstates = states_of(p.atoms)
  return setmetatable(p, Matcher)
end

local cache = {}

-- Compiled once per source text: the catalogue has a handful of patterns.
function M.get(src)
  local m = cache[src]
  if not m then
    m = M.compile(src)
    cache[src] = m
  end
  return m
end

function M.test(src, s)
  return M.get(src):match(s)
end

return M
