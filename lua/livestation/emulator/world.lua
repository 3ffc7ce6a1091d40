-- The emulator's world: every resource Live Station keeps, as plain
-- tables in named buckets, plus id sequences, the default callback
-- endpoint and the event journal.
--
-- Objects are JSON-able data (string-keyed maps, dense arrays) so the
-- store can keep them. Code that changes an object calls world:touch(obj);
-- the store then writes just what changed (drain()).

local M = {}

-- Buckets and whether their ids are integers (else strings).
M.BUCKETS = {
  channels = false, restreams = false, vods = false,
  records = true, snapshots = true, clips = true, curtains = true,
  qualities = true, quality_sets = true, schedules = true, timers = true,
}

-- Where each sequence starts (ids look like the service's: large, distinct).
local SEQ_START = {
  instance = 21480000, cdn = 7730000, record = 4100, snapshot = 1200, clip = 5300,
  curtain = 310, quality = 3001, quality_set = 501, schedule = 1280, platform = 3690,
  event = 1, timer = 1,
}

local World = {}
World.__index = World

function M.new()
  local self = setmetatable({}, World)
  self:clear()
  return self
end

-- Empties everything (the presets are added back by the caller).
function World:clear()
  self.data = { seq = {}, meta = {}, events = {} }
  for name in pairs(M.BUCKETS) do self.data[name] = {} end
  self.where = setmetatable({}, { __mode = "k" }) -- object -> {bucket, id}
  self.dirty = {}      -- bucket -> id -> true
  self.removed = {}    -- bucket -> id -> true
  self.meta_dirty = false
  self.events_saved = 0 -- events[1..events_saved] are in the store
  self.cleared = true   -- the store must drop what it has
end

-- Persistence is off unless a store asks for change tracking.
function World:track(on)
  self.tracking = on
end

function World:get(bucket, id)
  return self.data[bucket][id]
end

function World:all(bucket)
  return self.data[bucket]
end

function World:touch(obj)
  if not self.tracking then return end
  local w = self.where[obj]
  if not w then return end
  local d = self.dirty[w[1]]
  if not d then
    d = {}
    self.dirty[w[1]] = d
  end
  d[w[2]] = true
end

function World:put(bucket, id, obj)
  self.data[bucket][id] = obj
  self.where[obj] = { bucket, id }
  self:touch(obj)
  return obj
end

function World:remove(bucket, id)
  local obj = self.data[bucket][id]
  if obj == nil then return end
  self.data[bucket][id] = nil
  self.where[obj] = nil
  if self.tracking then
    local r = self.removed[bucket] or {}
    self.removed[bucket] = r
    r[id] = true
    if self.dirty[bucket] then self.dirty[bucket][id] = nil end
  end
end

-- The next id of a sequence.
function World:next_id(name)
  local seq = self.data.seq
  local v = seq[name] or SEQ_START[name] or 1
  seq[name] = v + 1
  self.meta_dirty = true
  return v
end

function World:meta(key)
  return self.data.meta[key]
end

function World:set_meta(key, value)
  self.data.meta[key] = value
  self.meta_dirty = true
end

function World:add_event(ev)
  local events = self.data.events
  events[#events + 1] = ev
end

function World:events()
  return self.data.events
end

-- Everything changed since the last drain, for the store:
-- { cleared=bool, puts={{bucket,id,obj}}, removes={{bucket,id}}, events={...}, meta=tbl|nil }
function World:drain()
  local out = { cleared = self.cleared, puts = {}, removes = {}, events = {} }
  for bucket, ids in pairs(self.dirty) do
    for id in pairs(ids) do
      local obj = self.data[bucket][id]
      if obj ~= nil then out.puts[#out.puts + 1] = { bucket, id, obj } end
    end
  end
  for bucket, ids in pairs(self.removed) do
    for id in pairs(ids) do out.removes[#out.removes + 1] = { bucket, id } end
  end
  local events = self.data.events
  for i = self.events_saved + 1, #events do out.events[#out.events + 1] = events[i] end
  self.events_saved = #events
  if self.meta_dirty or self.cleared then
    out.meta = { seq = self.data.seq, meta = self.data.meta }
  end
  self.dirty, self.removed, self.meta_dirty, self.cleared = {}, {}, false, false
  return out
end

function World:pending()
  return self.cleared or self.meta_dirty or next(self.dirty) ~= nil or next(self.removed) ~= nil
    or #self.data.events > self.events_saved
end

-- Replaces the world with what a store loaded (see store.lua).
function World:load(loaded)
  self:clear()
  self.cleared = false
  self.data.seq = loaded.seq or {}
  self.data.meta = loaded.meta or {}
  for bucket, objs in pairs(loaded.buckets) do
    for id, obj in pairs(objs) do
      self.data[bucket][id] = obj
      self.where[obj] = { bucket, id }
    end
  end
  self.data.events = loaded.events or {}
  self.events_saved = #self.data.events
end

-- Objects of a bucket in creation order: integer ids only grow, and
-- channels carry an instanceNo taken from one growing sequence.
function World:sorted(bucket, filter)
  local list = {}
  for _, obj in pairs(self.data[bucket]) do
    if not filter or filter(obj) then list[#list + 1] = obj end
  end
  local key = M.BUCKETS[bucket] and "id" or "instanceNo"
  table.sort(list, function(a, b) return a[key] < b[key] end)
  return list
end

return M
