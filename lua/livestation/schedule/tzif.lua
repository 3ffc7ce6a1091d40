-- TZif files (RFC 8536), as found under /usr/share/zoneinfo: the table of
-- transitions and local time types, plus the version 2+ footer (a POSIX
-- TZ string) for instants past the table. Leap second records are read
-- past and ignored: we count POSIX seconds.

local M = {}

local unpack = string.unpack

-- Reads a header at pos; returns the six counts and the next position.
local function header(data, pos)
  if data:sub(pos, pos + 3) ~= "TZif" then return nil end
  local version = data:sub(pos + 4, pos + 4)
  local isut, isstd, leap, time, typ, char = unpack(">I4I4I4I4I4I4", data, pos + 20)
  return {
    version = version == "\0" and 1 or tonumber(version) or 1,
    isutcnt = isut, isstdcnt = isstd, leapcnt = leap,
    timecnt = time, typecnt = typ, charcnt = char,
  }, pos + 44
end

local function block_size(h, tsize)
  return h.timecnt * tsize + h.timecnt + h.typecnt * 6 + h.charcnt
    + h.leapcnt * (tsize + 4) + h.isstdcnt + h.isutcnt
end

-- Reads one data block of transition size tsize (4 or 8) at pos.
local function data_block(data, h, pos, tsize)
  local tfmt = tsize == 8 and ">i8" or ">i4"
  local z = { times = {}, idx = {}, types = {} }
  for i = 1, h.timecnt do
    z.times[i], pos = unpack(tfmt, data, pos)
  end
  for i = 1, h.timecnt do
    z.idx[i], pos = unpack("B", data, pos)
    z.idx[i] = z.idx[i] + 1
  end
  local raw = {}
  for i = 1, h.typecnt do
    local off, dst, ai
    off, dst, ai, pos = unpack(">i4BB", data, pos)
    raw[i] = { off = off, dst = dst ~= 0, ai = ai }
  end
  local chars = data:sub(pos, pos + h.charcnt - 1)
  for i, t in ipairs(raw) do
    z.types[i] = { off = t.off, dst = t.dst, abbr = chars:match("^[^%z]*", t.ai + 1) or "" }
  end
  return z, pos + h.charcnt
end

-- Parses the bytes of a TZif file. Returns {times, idx, types, footer}
-- (times ascending, idx[i] the 1-based type after times[i]) or nil, message.
function M.parse(data)
  if type(data) ~= "string" or #data < 44 then return nil, "not a TZif file" end
  local ok, z, err = pcall(function()
    local h, pos = header(data, 1)
    if not h then return nil, "not a TZif file" end
    if h.version < 2 then
      return (data_block(data, h, pos, 4))
    end
    local h2, pos2 = header(data, pos + block_size(h, 4))
    if not h2 then return nil, "bad TZif version 2 header" end
    local zone, after = data_block(data, h2, pos2, 8)
    after = after + h2.leapcnt * 12 + h2.isstdcnt + h2.isutcnt
    zone.footer = data:match("^\n([^\n]*)\n", after)
    if zone.footer == "" then zone.footer = nil end
    return zone
  end)
  if not ok then return nil, "truncated TZif file" end
  if not z then return nil, err end
  if #z.types == 0 then return nil, "TZif file has no local time types" end
  return z
end

return M
