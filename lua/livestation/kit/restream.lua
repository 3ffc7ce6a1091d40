-- Re-stream channels for the workflows: targets from config, finding the
-- channel by name (reused on a restart, its targets brought in line),
-- watching each platform's connection, and terminating it afterwards.
--
-- Config targets: { platform = "YOUTUBE", url = "rtmp://...", key = "...",
--                   user = "...", password = "..." }

local live = require "livestation.kit.live"

local M = {}

local must = live.must
local GONE = { DELETED = true, FORCE_DELETED = true }

M.PLATFORMS = { "YOUTUBE", "CHZZK", "STEAM", "YOUNOW", "USTREAM", "AFREECATV", "PRISM", "CUSTOM" }
M.LIMIT = { STANDARD = 3, PROFESSIONAL = 5 }

-- The schema of one target (schema.types passed in).
function M.target_type(T)
  return T.record {
    platform = T.enum(M.PLATFORMS),
    url = T.rtmp_url {},
    key = T.string { what = "the stream key the platform gave" },
    user = T.string { optional = true },
    password = T.string { optional = true },
  }
end

-- Checks the number of targets against the plan.
function M.check_plan(plan, targets, add, path)
  local limit = M.LIMIT[plan]
  if limit and targets and #targets > limit then
    add(path, string.format("a %s re-stream channel takes at most %d targets, got %d", plan, limit, #targets))
  end
end

local function api_targets(targets)
  local out = {}
  for i, t in ipairs(targets) do
    out[i] = { targetName = t.platform, rtmpUrl = t.url, streamKey = t.key, id = t.user, password = t.password }
  end
  return out
end

-- The re-stream channel called name that is not terminated, or nil.
function M.find(ls, name)
  local found
  for ch in ls:each("restream.list", {}) do
    if ch.channelName == name and not GONE[ch.channelStatus] then
      if not found or (ch.createdTime or 0) > (found.createdTime or 0) then found = ch end
    end
  end
  return found
end

function M.platforms(ls, id)
  return must(ls:call("restream.platforms", { channelId = id }))
end

-- Brings a reused channel's targets in line with the config: URLs and
-- keys can change; platforms cannot be added or removed.
local function align(ls, ch, targets)
  local pls = M.platforms(ls, ch.channelId)
  local same = #pls == #targets
  for i = 1, math.min(#pls, #targets) do
    if pls[i].targetName ~= targets[i].platform then same = false end
  end
  if not same then
    local names = {}
    for i, p in ipairs(pls) do names[i] = p.targetName end
    error(string.format("re-stream channel %s (%s) already exists with other platforms (%s); "
      .. "terminate it or choose another name", ch.channelName, ch.channelId, table.concat(names, ", ")), 0)
  end
  local changed = 0
  for i, p in ipairs(pls) do
    local t = targets[i]
    if p.rtmpUrl ~= t.url or p.streamKey ~= t.key or (t.user and p.id ~= t.user) then
      must(ls:call("restream.updatePlatform", { channelId = ch.channelId, platformId = p.platId,
        rtmpUrl = t.url, streamKey = t.key, streamId = t.user, streamPassword = t.password }))
      changed = changed + 1
    end
  end
  return changed
end

-- The re-stream channel of config r ({name, plan, targets}), made when
-- there is none. Returns the channel, whether it was reused, and how many
-- targets were updated.
function M.ensure(ls, r)
  local ch = M.find(ls, r.name)
  if ch then
    local changed = 0
    if ch.channelStatus == "READY" then changed = align(ls, ch, r.targets) end
    return ch, true, changed
  end
  ch = must(ls:call("restream.create", { channelName = r.name, planType = r.plan,
    restream = api_targets(r.targets) }))
  return ch, false, 0
end

function M.wait_ready(ls, id, timeout)
  return must(ls:wait("restream.get", { channelId = id }, { interval = 0.5, max_interval = 5,
    timeout = timeout or 600, ["until"] = function(c)
      if c.channelStatus == "READY" or c.channelStatus == "PUBLISHING" then return true end
      if GONE[c.channelStatus] then return nil, "the re-stream channel is " .. c.channelStatus end
      return false, c.channelStatus
    end }))
end

-- "YOUTUBE: 12.3 MB sent in 42s" for a platform entry.
function M.describe(p)
  if (p.bytesTotalTrans or 0) == 0 then return p.targetName .. ": nothing sent" end
  return string.format("%s: %.1f MB sent in %ds", p.targetName, p.bytesTotalTrans / 1e6, p.totalPlaySecond or 0)
end

-- Terminates the channel once it is no longer publishing; waits up to
-- timeout seconds for the stream to stop. Returns the final status.
function M.terminate(ls, id, timeout)
  local ch = must(ls:wait("restream.get", { channelId = id }, { interval = 1, max_interval = 5,
    timeout = timeout or 600, ["until"] = function(c)
      if c.channelStatus ~= "PUBLISHING" then return true end
      return false, "PUBLISHING (the stream into it has not stopped)"
    end }))
  if GONE[ch.channelStatus] then return ch.channelStatus end
  must(ls:call("restream.delete", { channelId = id }))
  return "DELETED"
end

return M
