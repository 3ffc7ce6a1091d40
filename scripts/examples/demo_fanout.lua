-- demo_fanout.lua: one stream to three platforms for 15 seconds, tried
-- out on the emulator (which plays the encoder). The emulator refuses
-- RTMP URLs that contain "fail", so the third target shows a failure.
--
--   ./lsrun --emulator --speed 10 scripts/restream_fanout.lua scripts/examples/demo_fanout.lua

return {
  name = "fanout_demo",
  plan = "STANDARD",
  targets = {
    { platform = "YOUTUBE", url = "rtmp://a.rtmp.youtube.com/live2", key = "demo-youtube-key" },
    { platform = "CHZZK", url = "rtmp://global-rtmp.lip2.navercorp.com:8080/relay", key = "demo-chzzk-key" },
    { platform = "CUSTOM", url = "rtmp://fail.example.com/live", key = "demo-custom-key" },
  },
  zone = "Asia/Seoul",
  starts = "+3s",
  ends = "+18s",
  grace = "5s",
  watch = "1s",
  at_end = "delete",
}
