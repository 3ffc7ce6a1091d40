-- demo_broadcast.lua: a whole show in about half a minute, for the
-- emulator (make demo). Times count from the first start of the script;
-- the emulator plays the encoder.
--
--   ./lsrun --emulator --speed 10 scripts/scheduled_broadcast.lua scripts/examples/demo_broadcast.lua

return {
  name = "demo_show",
  channel = {
    name = "demo_show",
    quality_set = "Default-720p",
    cdn = { profile_id = 1, region = "KOREA" },
  },
  zone = "Asia/Seoul",
  starts = "+6s",
  ends = "+26s",
  grace = "5s",
  record = { format = "MP4" },
  upload = { bucket = "demo-recordings" },
  curtain = { at = "8s", length = "4s", files = { "demo-assets/curtains/break.mp4" } },
  restream = {
    plan = "STANDARD",
    targets = {
      { platform = "YOUTUBE", url = "rtmp://a.rtmp.youtube.com/live2", key = "demo-youtube-key" },
      { platform = "CHZZK", url = "rtmp://global-rtmp.lip2.navercorp.com:8080/relay", key = "demo-chzzk-key" },
    },
  },
  at_end = "delete",
}
