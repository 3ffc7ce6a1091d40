-- evening_news.lua: a one-hour show on Live Station, recorded and
-- uploaded, with a two-minute break and a relay to two platforms. Keys
-- come from the environment.
--
--   YOUTUBE_KEY=... CHZZK_KEY=... ./lsrun --state news.db scripts/scheduled_broadcast.lua scripts/examples/evening_news.lua

return {
  name = "evening_news_1122",
  channel = {
    name = "evening_news",
    quality_set = "Default-1080p",
    cdn = { profile_id = 1234, region = "KOREA" },
  },
  starts = "2030-11-22T19:00:00",
  ends = "2030-11-22T20:00:00",
  zone = "Asia/Seoul",
  prepare = "15m",
  grace = "2m",
  record = { format = "MP4" },
  upload = { bucket = "news-archive" },
  curtain = { at = "30m", length = "2m", files = { "news-assets/curtains/break.mp4" } },
  restream = {
    targets = {
      { platform = "YOUTUBE", url = "rtmp://a.rtmp.youtube.com/live2", key = env "YOUTUBE_KEY" },
      { platform = "CHZZK", url = "rtmp://global-rtmp.lip2.navercorp.com:8080/relay", key = env "CHZZK_KEY" },
    },
  },
  at_end = "stop",
}
