-- demo_programme.lua: a VOD2LIVE evening of two blocks, tried out on the
-- emulator, whose clock the script moves forward to each start (the
-- emulator takes each file to last 10 minutes).
--
--   ./lsrun --emulator --speed 10 scripts/vod2live_programme.lua scripts/examples/demo_programme.lua

return {
  channel = {
    name = "movie_night",
    quality_set = "Default-1080p",
    cdn = { profile_id = 1, region = "KOREA" },
  },
  zone = "Asia/Seoul",
  programme = {
    { at = "+15m", files = { "demo-vods/trailers/intro.mp4", "demo-vods/films/feature.mp4" } },
    { at = "+1h", files = { "demo-vods/films/encore.mp4" } },
  },
  at_end = "delete",
}
