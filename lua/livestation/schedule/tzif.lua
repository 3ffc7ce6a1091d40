-- TZif files (RFC 8536), as found under /usr/share/zoneinfo: the table of
-- transitions and local time types, plus the version 2+ footer (a POSIX
-- TZ string) for instants past the table. Leap second records are read
-- past and ignored: we count POSIX seconds.

local M = {}

local unpack = string.unpack

-- Reads a header at pos; returns the six counts and the next position,
-- or nil, message when the header is not one RFC 8536 allows.
local function header(data, pos)
  if #data < pos + 43 then return nil, "truncated TZif header" end
  if data:sub(pos, pos + 3) ~= "TZif" then return nil, "not a TZif file" end
  local v = data:sub(pos + 4, pos + 4)
  local version = v == "\0" and 1 or (v:match("^[234]$") and tonumber(v))
  if not version then return nil, "unknown TZif version" end
  local isut, isstd, leap, time, typ, char = unpack(">I4I4I4I4I4I4", data, pos + 20)
  if typ == 0 then return nil, "TZif file has no local time types" end
  if typ > 256 then return nil, "TZif file has more than 256 local time types" end
  if (isut ~= 0 and isut ~= typ) or (isstd ~= 0 and isstd ~= typ) then
    return nil, "TZif indicator counts do not match the type count"
  end
  return {
    version = version,
    isutcnt = isut, isstdcnt = isstd, leapcnt = leap,
    timecnt = time, typecnt = typ, charcnt = char,
  }, pos + 44
end

local function block_size(h, tsize)
  return h.timecnt * tsize + h.timecnt + h.typecnt * 6 + h.charcnt
    + h.leapcnt * (tsize + 4) + h.isstdcnt + h.isutcnt
end

-- The widest offset RFC 8536 allows is under a day either way; a type
-- outside that range means the file is corrupt.
local MAX_OFFSET = 25 * 3600

-- Reads one data block of transition size tsize (4 or 8) at pos, after
-- checking that the whole block is present, so corrupt counts cannot make
-- the loops below run past the data. Returns the zone or nil, message.
local function data_block(data, h, pos, tsize)
  if pos + block_size(h, tsize) - 1 > #data then return nil, "truncated TZif file" end
  local tfmt = tsize == 8 and ">i8" or ">i4"
  local z = { times = {}, idx = {}, types = {} }
  local prev
  for i = 1, h.timecnt do
    local t
    t, pos = unpack(tfmt, data, pos)
    if prev and t <= prev then return nil, "TZif transition times are not ascending" end
    z.times[i], prev = t, t
  end
  for i = 1, h.timecnt do
    local ix
    ix, pos = unpack("B", data, pos)
    if ix >= h.typecnt then return nil, "TZif transition names a missing local time type" end
    z.idx[i] = ix + 1
  end
  local raw = {}
  for i = 1, h.typecnt do
    local off, dst, ai
    off, dst, ai, pos = unpack(">i4BB", data, pos)
    if off < -MAX_OFFSET or off > MAX_OFFSET then return nil, "TZif offset out of range" end
    if dst > 1 then return nil, "TZif daylight flag is not 0 or 1" end
    if ai >= h.charcnt then return nil, "TZif abbreviation index out of range" end
    raw[i] = { off = off, dst = dst ~= 0, ai = ai }
  end
  local chars = data:sub(pos, pos + h.charcnt - 1)
  for i, t in ipairs(raw) do
    z.types[i] = { off = t.off, dst = t.dst, abbr = chars:match("^[^%z]*", t.ai + 1) or "" }
  end
  -- leap second records and the indicators are read past
  return z, pos + h.charcnt + h.leapcnt * (tsize + 4) + h.isstdcnt + h.isutcnt
end

-- Parses the bytes of a TZif file. Returns {times, idx, types, footer}
-- (times ascending, idx[i] the 1-based type after times[i]) or nil,
-- message. A corrupt file is refused here, at load, never later in use.
function M.parse(data)
  if type(data) ~= "string" or #data < 44 then return nil, "not a TZif file" end
  local h, pos = header(data, 1)
  if not h then return nil, pos end
  if h.version < 2 then return data_block(data, h, pos, 4) end
  if pos + block_size(h, 4) - 1 > #data then return nil, "truncated TZif file" end
  local h2, pos2 = header(data, pos + block_size(h, 4))
  if not h2 then return nil, "bad TZif version 2 header" end
  local zone, after = data_block(data, h2, pos2, 8)
  if not zone then return nil, after end
  local footer = data:match("^\n([^\n]*)\n", after)
  if not footer then return nil, "TZif footer missing or not on its own line" end
  if footer ~= "" then zone.footer = footer end
  return zone
end

return M
