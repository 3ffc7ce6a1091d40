-- Callback delivery: one JSON POST per event to the endpoint chosen for
-- it, from tasks, never inside the request that caused the event.
--
-- Each endpoint has a queue and at most one worker task, so a receiver
-- sees its events in order. A failed POST (no answer, or a status other
-- than 2xx) is retried after a growing pause; after the last attempt the
-- event is dropped and the next one goes. Workers end when their queue
-- is empty, so an idle emulator has no task running.

local core = require "livestation.core"
local json = require "livestation.json"

local M = {}

local Callbacks = {}
Callbacks.__index = Callbacks

-- opts: attempts (default 4), backoff (s before the first retry, doubled
-- each time, default 0.5, divided by the emulator's speed), timeout (s).
function M.new(emu, opts)
  return setmetatable({
    emu = emu,
    attempts = opts.attempts or 4,
    backoff = opts.backoff or 0.5,
    timeout = opts.timeout or 5,
    queues = {},   -- url -> { items..., worker = task }
    log = {},      -- recent deliveries, newest last (for /_emulator/state)
  }, Callbacks)
end

local LOG_MAX = 200

local function note(self, entry)
  local log = self.log
  log[#log + 1] = entry
  if #log > LOG_MAX then table.remove(log, 1) end
end

local function post(self, url, payload)
  local body = json.encode(payload)
  for attempt = 1, self.attempts do
    local resp, err = core.http_request {
      method = "POST", url = url, body = body, timeout = self.timeout,
      headers = { ["Content-Type"] = "application/json" },
    }
    local status = resp and resp.status
    local ok = status and status >= 200 and status < 300
    note(self, { id = payload.id, event = payload.event, channelId = payload.channelId, url = url,
      attempt = attempt, status = status, error = err and err.message or nil, ok = ok or false })
    if ok then return true end
    if attempt < self.attempts then
      core.sleep(self.backoff * 2 ^ (attempt - 1) / self.emu.clock.speed)
    end
  end
  self.emu:log_note("callback " .. payload.id .. " to " .. url .. " failed " .. self.attempts .. " times; dropped")
  return false
end

local function work(self, url, queue)
  while queue.first <= queue.last do
    local payload = queue[queue.first]
    queue[queue.first] = nil
    queue.first = queue.first + 1
    post(self, url, payload)
  end
  queue.worker = nil
  self.queues[url] = nil
end

-- Queues payload for url and makes sure a worker is on it.
function Callbacks:send(url, payload)
  if self.stopped then return end
  local q = self.queues[url]
  if not q then
    q = { first = 1, last = 0 }
    self.queues[url] = q
  end
  q.last = q.last + 1
  q[q.last] = payload
  if not q.worker then
    q.worker = core.spawn(work, self, url, q)
    q.worker:unref() -- like the ticker: never what keeps a host running
  end
end

-- Number of events waiting or being delivered.
function Callbacks:pending()
  local n = 0
  for _, q in pairs(self.queues) do n = n + (q.last - q.first + 1) + (q.worker and 1 or 0) end
  return n
end

-- Cancels every worker (stop, reset); queued events are dropped.
function Callbacks:stop()
  self.stopped = true
  for _, q in pairs(self.queues) do
    if q.worker then q.worker:cancel() end
  end
  self.queues = {}
end

function Callbacks:start()
  self.stopped = false
end

return M
