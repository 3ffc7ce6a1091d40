-- Waiters and pagination, built on ls:call.
--
-- ls:wait(name_or_op, params, opts) polls until a state is reached, a
-- state that can never lead there is seen, or the timeout passes.
-- ls:pages / ls:each walk the operations that take pageNo.

local core = require "livestation.core"
local ops = require "livestation.ops"
local errors = require "livestation.errors"

local M = {}

local function status_in(set)
  local t = {}
  for _, s in ipairs(set) do t[s] = true end
  return t
end

-- Channels in these states will never become READY or PUBLISHING.
local CHANNEL_GONE = status_in { "DELETED", "FORCE_DELETED", "BLOCK", "FORCE_BLOCK" }
local RECORD_FAILED = status_in { "PROCESSING_FAIL", "TRANSFER_FAIL", "DELETED" }
local CLIP_FAILED = status_in { "PROCESSING_FAIL", "UPLOAD_FAIL" }

-- record.get answers {content = {[recordId] = record}}; older pages gave
-- the record itself. Accept both.
local function the_record(content, params)
  if type(content) ~= "table" then return nil end
  if content.status then return content end
  local id = params.recordId
  local r = content[tostring(math.tointeger(id) or id)] or content[id]
  if r then return r end
  local _, only = next(content)
  return type(only) == "table" and only or nil
end

local function channel_state(wanted)
  return function(c)
    local s = type(c) == "table" and c.channelStatus or nil
    if wanted[s] then return true end
    if CHANNEL_GONE[s] then return nil, "the channel is " .. s end
    return false, s
  end
end

-- Named waiters: the common cases. check(content, params) returns true
-- when done, false (plus the state seen) to go on, nil plus a reason when
-- the wanted state can no longer come.
M.WAITERS = {
  channel_ready = {
    op = "channel.get", what = "channel READY",
    check = channel_state(status_in { "READY" }),
  },
  channel_publishing = {
    op = "channel.get", what = "channel PUBLISHING",
    -- older pages say PUBLISH (KNOWN-GAPS.md)
    check = channel_state(status_in { "PUBLISHING", "PUBLISH" }),
  },
  record_uploaded = {
    op = "record.get", what = "recording TRANSFER_FINISH",
    check = function(c, params)
      local r = the_record(c, params)
      local s = r and r.status
      if s == "TRANSFER_FINISH" then return true end
      if RECORD_FAILED[s] then return nil, "the recording is " .. s end
      return false, s
    end,
  },
  shortclip_completed = {
    op = "shortclip.get", what = "short clip COMPLETED",
    check = function(c)
      local clip = type(c) == "table" and (c.shortclip or c) or nil
      local s = clip and clip.status
      if s == "COMPLETED" then return true end
      if CLIP_FAILED[s] then return nil, "the short clip is " .. s end
      return false, s
    end,
  },
  vod_schedule_publishing = {
    op = "vod.channel.get", what = "VOD2LIVE channel PUBLISHING",
    check = channel_state(status_in { "PUBLISHING", "PUBLISH" }),
  },
}

-- Seconds a look started at the deadline may take to come back.
M.LOOK_GRACE = 2

-- wait(client, what, params, opts) -> content | nil, err
-- what: a name from WAITERS, or an operation id with opts.until =
-- function(content) returning as a waiter's check does.
-- opts: timeout (s, default 600), interval (s, default 2, growing by half
-- up to max_interval, default 15).
function M.wait(client, what, params, opts)
  opts = opts or {}
  local w = M.WAITERS[what]
  if not w then
    if not ops.get(what) then
      local names = {}
      for k in pairs(M.WAITERS) do names[#names + 1] = k end
      table.sort(names)
      error(string.format("wait: '%s' is neither a waiter (%s) nor an operation", what,
        table.concat(names, ", ")), 2)
    end
    if type(opts["until"]) ~= "function" then
      error("wait: waiting on an operation needs opts.until = function(content)", 2)
    end
    w = { op = what, what = "condition", check = opts["until"] }
  end
  local timeout = opts.timeout or 600
  local interval = opts.interval or 2
  local max_interval = opts.max_interval or 15
  local started = core.monotonic()
  local deadline = started + timeout
  local last_state, last_error
  while true do
    -- looks start until the deadline, never after it, and no retry starts
    -- past it; a look started at the deadline still has LOOK_GRACE seconds
    -- (or the client's timeout, when shorter) to come back
    local left = math.max(0, deadline - core.monotonic())
    local content, err = client:call(w.op, params,
      { retry_budget = math.min(client.retry_budget or left, left),
        timeout = math.min(client.timeout or math.huge, math.max(left, M.LOOK_GRACE)) })
    if content == nil then
      -- transient failures were already retried by call; keep waiting on
      -- them, give up on anything that says the request itself is wrong
      if not err.retryable then return nil, err end
      last_error = err.kind
    else
      local done, state = w.check(content, params)
      if done then return content end
      if done == nil then
        return nil, errors.new { kind = "api", operation = w.op, retryable = false,
          message = string.format("waiting for %s: %s", w.what, tostring(state)) }
      end
      last_state, last_error = state, nil
    end
    -- the last sleep is cut to the deadline, where one more look is taken
    local left_now = deadline - core.monotonic()
    if left_now <= 0 then
      return nil, errors.timeout(w.op, string.format("waited %.0f s for %s; last seen: %s%s",
        core.monotonic() - started, w.what, tostring(last_state or "nothing"),
        last_error and ("; the last look failed: " .. last_error) or ""))
    end
    core.sleep(math.min(interval, left_now))
    interval = math.min(max_interval, interval * 1.5)
  end
end

local function paged_op(id)
  local op = ops.get(id)
  if not op then error(string.format("pages: unknown operation '%s'", id), 3) end
  for _, p in ipairs(op.params) do
    if p.name == "pageNo" then return op end
  end
  error(string.format("pages: %s does not take pageNo", id), 3)
end

-- pages(client, id, params) -> iterator of (items, page_no, total).
-- A failed call raises its error object (catch it with pcall).
function M.pages(client, id, params)
  local op = paged_op(id)
  local base = {}
  for k, v in pairs(params or {}) do base[k] = v end
  local size = base.pageSizeNo
  if size == nil then
    size = 100
    for _, p in ipairs(op.params) do
      if p.name == "pageSizeNo" and p.max then size = math.min(size, p.max) end
    end
    base.pageSizeNo = size
  end
  local page = (base.pageNo or 1) - 1
  local seen, finished = 0, false
  return function()
    if finished then return nil end
    page = page + 1
    base.pageNo = page
    local content, err, meta = client:call(id, base)
    if content == nil then error(err, 0) end
    local items = type(content) == "table" and content or {}
    seen = seen + #items
    local total = meta and meta.total
    if #items < size or (total and seen >= total) then finished = true end
    if #items == 0 then return nil end
    return items, page, total
  end
end

-- each(client, id, params) -> iterator over every item of every page.
function M.each(client, id, params)
  local next_page = M.pages(client, id, params)
  local items, i = nil, 0
  return function()
    while true do
      if items and i < #items then
        i = i + 1
        return items[i]
      end
      items, i = next_page(), 0
      if items == nil then return nil end
    end
  end
end

return M
