-- The webhook inbox, on the state file: every callback is stored under
-- its payload id before it is acknowledged, so a resent event is seen as
-- a duplicate, and one whose handlers were cut short by a restart is
-- delivered again.

local core = require "livestation.core"

local M = {}

M.KEEP_DAYS = 30 -- ids are remembered this long for de-duplication

local now = core.now

-- Stores an event. Returns "stored" or "duplicate", or nil, message.
function M.put(store, ev, body)
  local ok, err = store:query([[INSERT OR IGNORE INTO inbox
    (id, event, channel_id, body, received, state, attempts) VALUES (?, ?, ?, ?, ?, 'new', 0)]],
    ev.key, ev.event, ev.channelId, body, now())
  if not ok then return nil, err end
  return store.db:changes() > 0 and "stored" or "duplicate"
end

-- Marks a delivery attempt as begun; returns the attempt number.
function M.begin(store, id)
  store:query("UPDATE inbox SET state = 'delivering', attempts = attempts + 1 WHERE id = ?", id)
  local rows = store:query("SELECT attempts FROM inbox WHERE id = ?", id)
  return rows and rows[1] and rows[1].attempts or 1
end

function M.finish(store, id, state)
  return store:query("UPDATE inbox SET state = ?, finished = ? WHERE id = ?", state, now(), id)
end

-- Events stored but not (completely) delivered, oldest first.
function M.pending(store)
  return store:query([[SELECT * FROM inbox WHERE state IN ('new', 'delivering')
    ORDER BY received, id]])
end

function M.get(store, id)
  local rows = store:query("SELECT * FROM inbox WHERE id = ?", id)
  return rows and rows[1]
end

-- Forgets finished events older than KEEP_DAYS.
function M.prune(store)
  return store:query([[DELETE FROM inbox WHERE state NOT IN ('new', 'delivering')
    AND received < ?]], now() - M.KEEP_DAYS * 86400)
end

return M
