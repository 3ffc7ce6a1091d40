-- The status page in a real browser: Debian's Chromium, headless, loads
-- it from a running lsrun; the spec reads the rendered DOM (a failed job
-- with its error and trace id, the next run, the webhook inbox) and keeps
-- a screenshot in build/artefacts/status.png. #foreign: Chromium is not
-- ours, so `make asan` leaves it out.

local core = require "livestation.core"
local wf = require "helpers.workflow"

local SCREENSHOT = "build/artefacts/status.png"

local function chromium(dir, args)
  local out = dir .. "/chromium.out"
  local cmd = string.format("timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run " ..
    "--user-data-dir=%s --window-size=1280,1000 %s >%s 2>%s", wf.quote(dir .. "/profile"), args,
    wf.quote(out), wf.quote(dir .. "/chromium.err"))
  local ok = os.execute(cmd)
  assert(ok, "chromium failed: " .. wf.slurp(dir .. "/chromium.err"))
  return wf.slurp(out)
end

-- The text of a DOM fragment: tags dropped, entities read, spaces folded.
local function text_of(html)
  local t = html:gsub("<[^>]*>", " "):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"')
    :gsub("&#39;", "'"):gsub("&amp;", "&"):gsub("%s+", " ")
  return t
end

local function row(dom, class, job)
  return dom:match('<tr class="' .. class .. '" data%-job="' .. job:gsub("%p", "%%%0") .. '">(.-)</tr>')
end

local function cell(html, class)
  return html and html:match('<td class="[^"]*' .. class .. '[^"]*">(.-)</td>')
end

describe("the status page in Chromium #foreign", function()
  local proc, url, dir

  setup(function()
    dir = wf.tmpdir()
    proc = wf.spawn(dir, "svc", "./lsrun --emulator --log info --state " .. wf.quote(dir .. "/state.db") ..
      " --status 127.0.0.1:0 spec/fixtures/status_service.lua")
    url = wf.wait_for(function()
      return proc:stderr():match("status server listening url=(http://[%d.:]+)")
    end, 15)
    assert(url, "no status server: " .. proc:stderr())
    local hook = assert(proc:wait_line("^webhook ", 15)):match("^webhook (%S+)")
    local resp = core.http_request { method = "POST", url = hook .. "?token=hook-token-9f8e7d", timeout = 10,
      body = '{"id":4242,"event":"PUBLISH_START","channelId":"ls-20261130","timestamp":1}' }
    assert.equal(200, resp.status)
    -- a few failures to show
    assert(wf.wait_for(function() return proc:stderr():find("outcome=failed", 1, true) end, 10))
  end)

  teardown(function()
    if proc then proc:kill("TERM") end
    wf.cleanup()
  end)

  it("shows a failed job with its error and trace id, the next run and the inbox", function()
    local dom = chromium(dir, "--dump-dom " .. wf.quote(url .. "/"))
    assert.truthy(dom:find("<title>lsrun status</title>", 1, true), dom)
    local broken = row(dom, "job", "broken")
    assert(broken, "no row for the job 'broken'")
    assert.matches("failed", text_of(cell(broken, "outcome")))
    assert.matches("Channel is not found", text_of(cell(broken, "outcome")))
    local hourly = row(dom, "job", "hourly")
    assert(hourly, "no row for the job 'hourly'")
    local next_run = text_of(cell(hourly, "next%-run"))
    assert.matches("%d%d%d%d%-%d%d%-%d%d %d%d:%d%d:%d%d UTC in 59m", next_run)
    local failure = row(dom, "failure", "broken")
    assert(failure, "no recent failure shown")
    assert.matches("Channel is not found", text_of(cell(failure, "error")))
    assert.matches("^ ?%x+ ?$", text_of(cell(failure, "trace")))
    local inbox = dom:match('<section id="inbox">(.-)</section>')
    assert.matches("PUBLISH_START", text_of(inbox))
    assert.matches("4242", text_of(inbox))
    -- escaped, and nothing a browser would run or fetch
    assert.truthy(row(dom, "job", "&lt;b&gt;tick&lt;/b&gt;"))
    assert.falsy(dom:find("<b>tick", 1, true))
    assert.falsy(dom:find("<script", 1, true))
    assert.falsy(dom:find("hook-token-9f8e7d", 1, true))
  end)

  it("keeps a screenshot as a test artefact", function()
    os.execute("mkdir -p build/artefacts")
    os.remove(SCREENSHOT)
    chromium(dir, "--hide-scrollbars --screenshot=" .. wf.quote(SCREENSHOT) .. " " .. wf.quote(url .. "/"))
    local png = wf.slurp(SCREENSHOT)
    assert.equal("\137PNG\r\n\26\n", png:sub(1, 8))
    assert.is_true(#png > 20000, "a blank page? " .. #png .. " bytes")
  end)
end)
