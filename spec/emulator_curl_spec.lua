-- A client that is not ours: curl sends and openssl signs every request
-- of a whole day against `lsrun emulator` running as a process of its own,
-- with callbacks going to a receiver in a third process. The spec only
-- reads the answers and checks them against the catalogue.

local cjson = require "cjson"
local json = require "livestation.json"
local ops = require "livestation.ops"
local H = require "helpers.emulator"

local function sh_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read(path)
  local f = io.open(path)
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

-- Starts `./lsrun ARGS` in the background; returns pid and its first line.
local function spawn(args)
  local out = os.tmpname()
  os.execute("./lsrun " .. args .. " >" .. out .. " 2>/dev/null & echo $! >" .. out .. ".pid")
  local line
  for _ = 1, 300 do
    line = read(out):match("^([^\n]+)\n")
    if line then break end
    os.execute("sleep 0.02")
  end
  local pid = read(out .. ".pid"):match("%d+")
  os.remove(out)
  os.remove(out .. ".pid")
  return pid, line
end

-- The shell function every request goes through: no code of ours.
local CALL = [[
call() {
  ts=$(date +%s%3N)
  sig=$(printf '%s %s\n%s\n%s' "$1" "$2" "${TS:-$ts}" "$AK" | openssl dgst -sha256 -hmac "$SK" -binary | openssl enc -base64)
  curl -s -w '\n%{http_code}' -X "$1" "$URL$2" -H "Content-Type: application/json" \
    -H "x-ncp-apigw-timestamp: ${TS:-$ts}" -H "x-ncp-iam-access-key: $AK" \
    -H "x-ncp-apigw-signature-v2: $sig" -H "x-ncp-region_code: KR" ${3:+-d "$3"}
}
]]

describe("a client that is not ours, against lsrun emulator #foreign", function()
  local pid, url, recv_pid, recv_url, recv_log

  setup(function()
    pid, url = spawn("emulator --port 0 --speed 50 --quiet")
    assert(url and url:match("^http://"), "the emulator did not start")
    recv_log = os.tmpname()
    recv_pid, recv_url = spawn("-e " .. sh_quote([[
      local core = require "livestation.core"
      local srv = core.http_server { port = 0, handler = function(req)
        local f = io.open(]] .. string.format("%q", recv_log) .. [[, "a")
        f:write(req.body, "\n")
        f:close()
        return 200, {}, "ok"
      end }
      print(srv:url() .. "/hook")
      io.stdout:flush()
    ]]))
    assert(recv_url, "the receiver did not start")
  end)

  teardown(function()
    if pid then os.execute("kill " .. pid) end
    if recv_pid then os.execute("kill " .. recv_pid) end
    os.remove(recv_log)
  end)

  -- status, decoded body
  local function call(method, target, body, env)
    local cmd = CALL .. string.format("URL=%s AK=%s SK=%s %s call %s %s %s", sh_quote(url), H.AK,
      sh_quote(env and env.SK or H.SK), env and env.TS and ("TS=" .. env.TS) or "",
      method, sh_quote(target), body and sh_quote(cjson.encode(body)) or "")
    local p = assert(io.popen("sh -c " .. sh_quote(cmd)))
    local out = p:read("a")
    p:close()
    local text, status = out:match("^(.*)\n(%d+)$")
    return tonumber(status), text ~= "" and json.decode(text) or nil
  end

  local function ok(op_id, method, target, body)
    local status, answer = call(method, target, body)
    assert.equal(200, status, op_id .. ": " .. cjson.encode(answer or {}))
    H.assert_shape(ops.get(op_id), answer)
    return answer.content
  end

  local function control(method, path, body)
    local p = assert(io.popen("curl -s -X " .. method .. " " .. url .. "/_emulator/" .. path ..
      (body and (" -d " .. sh_quote(cjson.encode(body))) or "")))
    local out = p:read("a")
    p:close()
    return out
  end

  local function until_state(op_id, target, pick, want)
    for _ = 1, 100 do
      local c = ok(op_id, "GET", target)
      if pick(c) == want then return c end
      control("POST", "clock", { advance_ms = 5000 })
      os.execute("sleep 0.05")
    end
    error(op_id .. " never reached " .. want)
  end

  it("is turned away by the gateway with a bad, stale or missing signature", function()
    local status, answer = call("GET", "/api/v2/channels", nil, { SK = "WRONGSECRETWRONGSECRETWRONGSECRETWRONGS" })
    assert.equal(401, status)
    assert.equal("200", answer.error.errorCode)
    assert.equal("Invalid authentication information.", answer.error.details)
    status, answer = call("GET", "/api/v2/channels", nil, { TS = "1700000000000" })
    assert.equal(401, status)
    assert.equal("Invalid authentication information.", answer.error.details)
    local p = assert(io.popen("curl -s -w '\\n%{http_code}' " .. url .. "/api/v2/channels"))
    local out = p:read("a")
    p:close()
    assert.matches("Authentication information are missing.", out)
    assert.matches("\n401$", out)
  end)

  it("runs a whole day of a channel, with callbacks", function()
    ok("callback.register", "POST", "/api/v2/events/callbackEndpoint", { callbackUrl = recv_url })
    local sets = ok("qualitySet.list", "GET", "/api/v2/qualitySets")
    local ch = ok("channel.create", "POST", "/api/v2/channels", {
      channelName = "curl_하루", qualitySetId = sets[1].id, useDvr = true, timemachineMin = 360,
      immediateOnAir = true, record = { type = "MANUAL_UPLOAD" },
      cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } })
    local id = ch.channelId
    local path = "/api/v2/channels/" .. id
    until_state("channel.get", path, function(c) return c.channelStatus end, "READY")
    control("POST", "channels/" .. id .. "/publish")
    local live = until_state("channel.get", path, function(c) return c.channelStatus end, "PUBLISHING")
    assert.is_true(live.isRecording)
    os.execute("sleep 0.3")
    local snap = ok("snapshot.create", "POST", path .. "/snapshot").snapshot
    local clip = ok("shortclip.create", "POST", path .. "/" .. snap.snapshotId, { startTime = 0, endTime = 200,
      shortclip = { output = { accessControl = "PRIVATE", bucketName = "clips", filePath = "/day" } } })
    until_state("shortclip.get", path .. "/shortclip/" .. clip.shortclip.id,
      function(c) return c.shortclip.status end, "COMPLETED")
    local content = ok("curtain.content.create", "POST", "/api/v2/curtainContents",
      { content = { { bucketName = "b", filePath = "/brb.mp4" } } })
    until_state("curtain.content.get", "/api/v2/curtainContents/" .. content.id,
      function(c) return c.status end, "READY")
    ok("curtain.start", "POST", path .. "/curtain/insert", { contentId = { content.id } })
    ok("curtain.end", "POST", path .. "/curtain/remove")
    ok("record.stop", "PUT", path .. "/stopRecord")
    control("DELETE", "channels/" .. id .. "/publish")
    until_state("channel.get", path, function(c) return c.channelStatus end, "READY")
    local rid = next(ok("record.list", "GET", path .. "/records").recordList)
    until_state("record.get", path .. "/records/" .. rid, function(c) return c[rid].status end, "TRANSFER_READY")
    ok("record.upload", "POST", "/api/v2/buckets/archive/upload", { recordIds = { tonumber(rid) } })
    until_state("record.get", path .. "/records/" .. rid, function(c) return c[rid].status end, "TRANSFER_FINISH")
    ok("channel.delete", "DELETE", path)
    local status, gone = call("GET", path .. "/serviceUrls?serviceUrlType=GENERAL")
    assert.is_true(status >= 400)
    assert.is_number(gone.error.errorCode)

    local events = {}
    for _, e in ipairs(ok("event.channel.list", "GET", path .. "/events")) do events[e.eventCode] = true end
    for _, code in ipairs { "STREAM_RESERVE", "PUBLISH_START", "ONAIR_START", "ONAIR_END", "PUBLISH_END" } do
      assert.is_true(events[code], code)
    end
    local got = {}
    for _ = 1, 100 do
      got = {}
      for line in read(recv_log):gmatch("[^\n]+") do
        local e = json.decode(line)
        if e.channelId == id then got[e.event] = true end
        assert.is_number(e.id)
        assert.equal("INFO", e.logLevel)
        assert.is_number(e.timestamp)
      end
      if got.PUBLISH_END then break end
      os.execute("sleep 0.05")
    end
    assert.is_true(got.STREAM_RESERVE and got.PUBLISH_START and got.PUBLISH_END, "callbacks arrived")
  end)

  it("handles quality sets, re-stream and a VOD2LIVE schedule", function()
    local q = ok("quality.create", "POST", "/api/v2/qualityProfiles", { name = "curl-360", type = "NORMAL",
      video = { codec = "H264", profile = "BASELINE", level = -1, width = 640, height = 360, fps = 30, bitrate = 700000 },
      audio = { codec = "AAC", samplerate = 44100, channels = 2, bitrate = 64 } })
    local set = ok("qualitySet.create", "POST", "/api/v2/qualitySets", { name = "curl-set", qualityIds = { q.id },
      isEnabledUll = false, segmentDuration = 2000, segmentCount = 3, enableHlsTimedMetadata = false })
    ok("qualitySet.delete", "DELETE", "/api/v2/qualitySets/" .. set.id)
    local status, system = call("DELETE", "/api/v2/qualitySets/1")
    assert.equal(400, status)
    assert.equal(250311, system.error.errorCode)

    local rs = ok("restream.create", "POST", "/api/v2/re-stream/channels", { channelName = "curl_relay",
      planType = "STANDARD", restream = { { targetName = "YOUTUBE", rtmpUrl = "rtmp://a.rtmp.youtube.com/live2",
        streamKey = "abc" } } })
    ok("restream.platforms", "GET", "/api/v2/re-stream/channels/" .. rs.channelId .. "/platforms")
    until_state("restream.get", "/api/v2/re-stream/channels/" .. rs.channelId,
      function(c) return c.channelStatus end, "READY")
    ok("restream.delete", "DELETE", "/api/v2/re-stream/channels/" .. rs.channelId)

    local vod = ok("vod.channel.create", "POST", "/api/v2/vod/channels", { channelName = "curl_vod",
      qualitySetId = 1, drmEnabledYn = false,
      cdn = { createCdn = true, cdnType = "GLOBAL_EDGE", profileId = 1, regionType = "KOREA" } })
    until_state("vod.channel.get", "/api/v2/vod/channels/" .. vod.channelId,
      function(c) return c.channelStatus end, "READY")
    local clock = json.decode(control("GET", "clock"))
    local start = os.date("!%Y%m%d%H%M%S", (clock.now + 9 * 3600 * 1000) // 1000 + 30 * 60) -- KST, in 30 min
    local s = ok("vod.schedule.create", "POST", "/api/v2/vod/schedule", { channelId = vod.channelId,
      startTime = tonumber(start), vodList = { { bucketName = "movies", filePath = "/one.mp4" } } })
    assert.equal("RESERVED", ok("vod.channel.get", "GET", "/api/v2/vod/channels/" .. vod.channelId).channelStatus)
    control("POST", "clock", { advance_ms = 31 * 60 * 1000 })
    assert.equal("PUBLISHING", ok("vod.channel.get", "GET", "/api/v2/vod/channels/" .. vod.channelId).channelStatus)
    ok("vod.schedule.get", "GET", "/api/v2/vod/schedule/" .. s.scheduleId)
  end)
end)
