-- Live channels for the workflows: the quality set named in a config,
-- finding a channel by name (so a workflow started again reuses what it
-- made instead of making a second one), creating it from config
-- settings, and the playback URL to show people.

local M = {}

local GONE = { DELETED = true, FORCE_DELETED = true }

-- Raises err as one readable line; returns content otherwise.
function M.must(content, err)
  if content == nil then error(tostring(err), 0) end
  return content
end

-- content, or true when the call failed with one of codes (Live Station
-- saying it is already so: "already recording", ...); raises otherwise.
function M.tolerate(codes, content, err)
  if content ~= nil then return content end
  for _, c in ipairs(codes) do
    if err.code == c then return true end
  end
  error(tostring(err), 0)
end

-- Options for ls:wait: polls every 1 s, then up to every 5 s, for at
-- most timeout seconds (1 at least); extra fields (until) added.
function M.wait_opts(timeout, extra)
  local o = { interval = 1, max_interval = 5, timeout = math.max(1, timeout) }
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- The id and name of the quality set `want` (a name or an id; nil: the
-- first set of the account). Raises when there is no such set.
function M.quality_set(ls, want)
  local sets = M.must(ls:call("qualitySet.list", {}))
  local names = {}
  for _, s in ipairs(sets) do
    if want == nil or s.id == want or s.name == want then return s.id, s.name end
    names[#names + 1] = string.format("%s (%d)", s.name, s.id)
  end
  error(string.format("quality set %s not found; the account has: %s", tostring(want),
    table.concat(names, ", ")), 0)
end

-- The live channel called name that is not terminated (the newest when
-- there are several), or nil.
function M.find(ls, name)
  local found
  for ch in ls:each("channel.list", { channelName = name }) do
    if ch.channelName == name and not GONE[ch.channelStatus] then
      if not found or (ch.createdTime or 0) > (found.createdTime or 0) then found = ch end
    end
  end
  return found
end

-- channel.create parameters from a config's channel table (c) and the
-- recording wanted (rec: false or {format = }).
function M.create_params(c, quality_set_id, rec)
  local cdn
  if c.cdn.instance_no then
    cdn = { createCdn = false, cdnType = "GLOBAL_EDGE", profileId = c.cdn.profile_id,
            cdnInstanceNo = c.cdn.instance_no, cdnDomain = c.cdn.domain, regionType = c.cdn.region }
  else
    cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = c.cdn.profile_id,
            regionType = c.cdn.region }
  end
  return {
    channelName = c.name, qualitySetId = quality_set_id, outputProtocol = c.protocol,
    useDvr = c.dvr, timemachineMin = c.dvr and 360 or nil,
    -- recording starts with the stream when DVR allows it; else record.start
    immediateOnAir = c.dvr and rec ~= false or false,
    isStreamFailOver = c.failover or nil,
    cdn = cdn,
    record = rec and { type = "MANUAL_UPLOAD", format = rec.format } or { type = "NO_RECORD" },
  }
end

-- The channel called params.channelName, made when there is none.
-- Returns the channel and whether it was reused.
function M.ensure(ls, params)
  local ch = M.find(ls, params.channelName)
  if ch then return ch, true end
  return M.must(ls:call("channel.create", params)), false
end

-- The playback URL people open (the ABR playlist), or nil.
function M.playback_url(ls, op, channel_id)
  local urls = ls:call(op or "channel.serviceUrls", { channelId = channel_id, serviceUrlType = "GENERAL" })
  if type(urls) ~= "table" then return nil end
  local first
  for _, u in ipairs(urls) do
    first = first or u.url
    if u.name == "ABR" then return u.url end
  end
  return first
end

-- Record views of a channel as a list sorted by id: {id = n, ...view}.
function M.records(ls, channel_id)
  local content = M.must(ls:call("record.list", { channelId = channel_id }))
  local list = {}
  for id, r in pairs(content.recordList or {}) do
    local copy = { id = math.tointeger(tonumber(id)) }
    for k, v in pairs(r) do copy[k] = v end
    list[#list + 1] = copy
  end
  table.sort(list, function(a, b) return a.id < b.id end)
  return list
end

return M
