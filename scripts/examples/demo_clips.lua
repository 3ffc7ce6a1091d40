-- demo_clips.lua: automatic short clips, tried out on the emulator: the
-- script makes the channel and streams into it for 20 seconds, taking a
-- clip of the last 3 seconds every 5 seconds.
--
--   ./lsrun --emulator --speed 10 scripts/auto_clips.lua scripts/examples/demo_clips.lua

return {
  channel = "clips_demo",
  every = "5s",
  length = "3s",
  bucket = "demo-clips",
  path = "/highlights",
  zone = "Asia/Seoul",
  poll = "2s",
  simulate_broadcast = "20s",
}
