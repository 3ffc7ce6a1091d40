-- The status page: one HTML document with its CSS inline and nothing
-- fetched from anywhere else, reloaded every few seconds by the browser.
-- Every text that reaches it is scrubbed of registered secrets and
-- HTML-escaped.

local log = require "livestation.log"

local M = {}

local format, concat = string.format, table.concat

local ESC = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

-- Text as it may appear in HTML (element content or a quoted attribute).
function M.escape(v)
  if v == nil then return "" end
  return (log.scrub(tostring(v)):gsub("[&<>\"']", ESC))
end

local e = M.escape

local function utc(t)
  if not t then return "-" end
  return os.date("!%Y-%m-%d %H:%M:%S", math.floor(t)) .. " UTC"
end

-- "in 4m 10s", "3s ago"
local function relative(t, now)
  if not t then return "" end
  local d = math.floor(t - now + 0.5)
  local a = math.abs(d)
  if a == 0 then return "now" end
  local text
  if a < 60 then text = a .. "s"
  elseif a < 3600 then text = format("%dm %ds", a // 60, a % 60)
  elseif a < 86400 then text = format("%dh %dm", a // 3600, a % 3600 // 60)
  else text = format("%dd %dh", a // 86400, a % 86400 // 3600) end
  return d >= 0 and "in " .. text or text .. " ago"
end

local CSS = [[
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2430;background:#f4f6f9}
header{background:#1d2430;color:#fff;padding:12px 24px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
header .meta{color:#b8c2d3;font-size:13px}
main{padding:16px 24px;max-width:1200px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;margin:0 0 16px;padding:12px 16px}
h2{font-size:15px;margin:0 0 8px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eceff4;vertical-align:top}
th{font-size:12px;color:#5b6678;text-transform:uppercase;letter-spacing:.03em}
td.time{white-space:nowrap;font-variant-numeric:tabular-nums}
.rel{color:#5b6678;font-size:12px;display:block}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.ok,.done{background:#dff3e4;color:#17622d}
.failed,.timeout,.interrupted{background:#fbe0e0;color:#9b1c1c}
.cancelled,.skipped,.ignored,.delivering,.new{background:#fff2d6;color:#7a5200}
.running,.scheduled{background:#e2ecfb;color:#1d4e9b}
.none{color:#8a94a6}
.health-ok{color:#7fe0a0}.health-bad{color:#ff9b9b}
code,.trace{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.error{color:#9b1c1c;word-break:break-word}
.empty{color:#8a94a6;font-style:italic}
.counts span{margin-right:16px}
]]

local function badge(word)
  if not word then return '<span class="none">-</span>' end
  return format('<span class="badge %s">%s</span>', e(word:match("^[%w]+") or ""), e(word))
end

local function when_cell(t, now, class)
  return format('<td class="time %s">%s<span class="rel">%s</span></td>', class, e(utc(t)),
    e(relative(t, now)))
end

local function jobs_section(s, out)
  out[#out + 1] = '<section id="jobs"><h2>Jobs</h2>'
  if #s.jobs == 0 then
    out[#out + 1] = '<p class="empty">No job is scheduled.</p></section>'
    return
  end
  out[#out + 1] = "<table><thead><tr><th>Job</th><th>Schedule</th><th>Status</th><th>Last run</th>" ..
    "<th>Last outcome</th><th>Next run</th></tr></thead><tbody>"
  for _, j in ipairs(s.jobs) do
    local last = j.last
    local outcome = last and badge(last.outcome) or badge(nil)
    if last and last.outcome ~= "ok" and last.error then
      outcome = outcome .. format(' <span class="error">%s</span>', e(last.error))
    end
    out[#out + 1] = format('<tr class="job" data-job="%s"><td class="name">%s</td><td class="schedule">%s</td>' ..
      '<td class="status">%s</td>%s<td class="outcome">%s</td>%s</tr>',
      e(j.label), e(j.label), e(j.schedule), badge(j.status), when_cell(last and last.started, s.now, "last-run"),
      outcome, when_cell(j.next, s.now, "next-run"))
  end
  out[#out + 1] = "</tbody></table></section>"
end

local function failures_section(s, out)
  out[#out + 1] = '<section id="failures"><h2>Recent failures</h2>'
  if #s.failures == 0 then
    out[#out + 1] = '<p class="empty">No run has failed since this host started.</p></section>'
    return
  end
  out[#out + 1] = "<table><thead><tr><th>When</th><th>Job</th><th>Outcome</th><th>Error</th>" ..
    "<th>Trace id</th></tr></thead><tbody>"
  for _, f in ipairs(s.failures) do
    out[#out + 1] = format('<tr class="failure" data-job="%s">%s<td class="job">%s</td><td>%s%s</td>' ..
      '<td class="error">%s</td><td class="trace">%s</td></tr>',
      e(f.job), when_cell(f.finished, s.now, "finished"), e(f.job), badge(f.outcome),
      (f.attempt or 1) > 1 and e(" attempt " .. f.attempt) or "", e(f.error or ""), e(f.trace_id or "-"))
  end
  out[#out + 1] = "</tbody></table></section>"
end

local function inbox_section(s, out)
  out[#out + 1] = '<section id="inbox"><h2>Webhook inbox</h2>'
  if s.inbox_error then
    out[#out + 1] = format('<p class="error">cannot read the inbox: %s</p></section>', e(s.inbox_error))
    return
  end
  if not s.inbox_open or #s.inbox == 0 then
    out[#out + 1] = '<p class="empty">No webhook event received.</p></section>'
    return
  end
  out[#out + 1] = "<table><thead><tr><th>Received</th><th>Id</th><th>Event</th><th>Channel</th>" ..
    "<th>State</th><th>Attempts</th></tr></thead><tbody>"
  for _, ev in ipairs(s.inbox) do
    out[#out + 1] = format('<tr class="event">%s<td><code>%s</code></td><td>%s</td><td><code>%s</code></td>' ..
      "<td>%s</td><td>%s</td></tr>", when_cell(ev.received, s.now, "received"), e(ev.id), e(ev.event),
      e(ev.channel_id or "-"), badge(ev.state), e(ev.attempts))
  end
  out[#out + 1] = "</tbody></table></section>"
end

-- The document for a snapshot (status/init.lua's M.snapshot).
function M.render(s)
  local out = {
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    format('<meta http-equiv="refresh" content="%d">', s.refresh or 5),
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>lsrun status</title><style>", CSS, "</style></head><body>",
    "<header><h1>lsrun status</h1>",
    format('<span class="meta">livestation %s</span>', e(s.version)),
    format('<span class="meta">%s</span>', e(utc(s.now))),
    format('<span class="meta">up %s</span>', e(relative(s.started, s.now):gsub(" ago$", ""))),
    format('<span class="meta %s" id="health">%s</span>', s.healthy and "health-ok" or "health-bad",
      s.healthy and "healthy" or "unhealthy (see /healthz)"),
    "</header><main>",
  }
  local c = s.counts or {}
  out[#out + 1] = format('<section class="counts" id="counts"><span>runs ok: <b>%d</b></span>' ..
    "<span>failed: <b>%d</b></span><span>timed out: <b>%d</b></span><span>running: <b>%d</b></span>" ..
    "<span>API calls in flight: <b>%d</b></span><span>state file: <code>%s</code></span></section>",
    c.ok or 0, c.failed or 0, c.timeout or 0, c.running or 0, s.in_flight or 0, e(s.state_file))
  jobs_section(s, out)
  failures_section(s, out)
  inbox_section(s, out)
  out[#out + 1] = "</main></body></html>\n"
  return concat(out, "\n")
end

return M
