-- movie_night.lua: two evenings of films on a VOD2LIVE channel.
--
--   ./lsrun --state movies.db scripts/vod2live_programme.lua scripts/examples/movie_night.lua

return {
  channel = {
    name = "movie_night",
    quality_set = "Default-1080p",
    cdn = { profile_id = 1234, region = "KOREA" },
  },
  zone = "Asia/Seoul",
  programme = {
    { at = "2026-11-22T20:00:00", files = { "films/trailers/intro.mp4", "films/feature.mp4" } },
    { at = "2026-11-23T20:00:00", files = { "films/encore.mp4" } },
  },
  at_end = "keep",
}
