-- Time zones from the system tzdata: zone.load("Asia/Seoul") reads
-- $TZDIR or /usr/share/zoneinfo; zone.default() is the host's zone (TZ,
-- else /etc/localtime, else UTC). A zone maps instants to wall-clock
-- readings and back, including the gaps and folds of daylight saving.

local civil = require "livestation.civil"
local tzif = require "livestation.schedule.tzif"
local tzrule = require "livestation.schedule.tzrule"

local M = {}

local Zone = {}
Zone.__index = Zone

function Zone:__tostring()
  return "zone " .. self.name
end

-- offset (s east of UTC), is_dst, abbreviation at UTC instant t.
function Zone:info(t)
  local z = self.table
  if not z then return tzrule.info_at(self.rule, t) end
  local times = z.times
  local n = #times
  if n == 0 or t < times[1] then
    if n == 0 and self.rule then return tzrule.info_at(self.rule, t) end
    local ty = z.types[1]
    return ty.off, ty.dst, ty.abbr
  end
  if t >= times[n] and self.rule then return tzrule.info_at(self.rule, t) end
  local lo, hi = 1, n -- last i with times[i] <= t
  while lo < hi do
    local mid = (lo + hi + 1) // 2
    if times[mid] <= t then lo = mid else hi = mid - 1 end
  end
  local ty = z.types[z.idx[lo]]
  return ty.off, ty.dst, ty.abbr
end

function Zone:offset(t)
  return (self:info(t))
end

-- os.date("*t")-style fields of instant t in this zone, plus
-- utc_offset (s) and abbr.
function Zone:to_local(t)
  local off, dst, abbr = self:info(t)
  local f = civil.from_seconds(t + off)
  f.isdst, f.utc_offset, f.abbr = dst, off, abbr
  return f
end

-- The instants whose wall-clock reading is local seconds ls, ascending:
-- none in a gap (the clock jumped over it), two in a fold (it was read
-- twice), else one.
function Zone:from_local(ls)
  local offs, seen = {}, {}
  -- transitions are days apart: the offsets a day either side cover ls
  for _, probe in ipairs { ls - 86400, ls, ls + 86400 } do
    local o = self:offset(probe)
    if not seen[o] then seen[o] = true; offs[#offs + 1] = o end
  end
  local out = {}
  for _, o in ipairs(offs) do
    local t = ls - o
    if self:offset(t) == o then out[#out + 1] = t end
  end
  table.sort(out)
  return out
end

local cache = {}

local function zoneinfo_dir()
  return os.getenv("TZDIR") or "/usr/share/zoneinfo"
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("a")
  f:close()
  return data
end

local function from_tzif(name, data)
  local z, err = tzif.parse(data)
  if not z then return nil, name .. ": " .. err end
  local rule
  if z.footer then
    rule, err = tzrule.parse(z.footer)
    if not rule then return nil, name .. ": bad TZif footer: " .. err end
  end
  return setmetatable({ name = name, table = z, rule = rule }, Zone)
end

-- A zone made from a POSIX TZ string.
function M.posix(s)
  local rule, err = tzrule.parse(s)
  if not rule then return nil, err end
  return setmetatable({ name = s, rule = rule }, Zone)
end

-- A zone that is always `offset` seconds east of UTC.
function M.fixed(offset, name)
  local rule = { std_name = name or "UTC", std_off = offset }
  return setmetatable({ name = name or "UTC", rule = rule }, Zone)
end

M.utc = M.fixed(0, "UTC")

-- Loads a zone by IANA name ("Asia/Seoul"), absolute TZif path, or POSIX
-- TZ string ("KST-9"). Returns the zone or nil, message.
function M.load(name)
  if type(name) ~= "string" or name == "" then return nil, "time zone name expected" end
  name = name:gsub("^:", "")
  local z = cache[name]
  if z then return z end
  local data
  if name:sub(1, 1) == "/" then
    data = read_file(name)
  elseif name:match("^[%w_+%-]+[%w_+%-/]*$") and not name:find("..", 1, true) then
    data = read_file(zoneinfo_dir() .. "/" .. name)
  end
  local err
  if data then
    z, err = from_tzif(name, data)
  else
    z = M.posix(name)
    if not z then err = "unknown time zone '" .. name .. "'" end
  end
  if z then cache[name] = z end
  return z, err
end

-- The name /etc/timezone gives the local zone, if any.
local function local_name()
  local s = read_file("/etc/timezone")
  return s and s:match("^%s*(%S+)") or "localtime"
end

local default_zone

-- The host's zone: TZ ("" is UTC), else /etc/localtime, else UTC.
function M.default()
  if default_zone then return default_zone end
  local tz = os.getenv("TZ")
  local z
  if tz == "" then
    z = M.utc
  elseif tz then
    z = M.load(tz)
  else
    local data = read_file("/etc/localtime")
    z = data and from_tzif(local_name(), data)
  end
  default_zone = z or M.utc
  return default_zone
end

-- zone, or the zone named by a string, or the default when nil. Raises
-- on an unknown name (a misuse).
function M.resolve(tz, level)
  if tz == nil then return M.default() end
  if getmetatable(tz) == Zone then return tz end
  local z, err = M.load(tz)
  if not z then error(err, (level or 1) + 1) end
  return z
end

return M
