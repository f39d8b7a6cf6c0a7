// core/hls_playlist: a restarted HLS output continues the room's playlist.
#include <gtest/gtest.h>

#include "core/hls_playlist.h"

using namespace mixcast;

namespace {

// As hlssink2 writes it (1.22): no newline after ENDLIST.
const char* kEnded =
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:14\n#EXT-X-TARGETDURATION:2\n\n"
    "#EXTINF:2,\nsegment00014.ts\n#EXTINF:2,\nsegment00015.ts\n#EXTINF:2,\nsegment00016.ts\n"
    "#EXT-X-ENDLIST";

}  // namespace

TEST(HlsContinuation, FollowsTheLastSegment) {
  struct Case {
    const char* name;
    const char* previous;
    long media_sequence;
    long discontinuity_sequence;
  };
  const Case cases[] = {
      {"ended run", kEnded, 17, 1},
      {"run that failed (no ENDLIST)",
       "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2,\nsegment00000.ts\n", 1, 1},
      {"a continued run",
       "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:30\n#EXT-X-DISCONTINUITY-SEQUENCE:2\n"
       "#EXTINF:2,\ns30.ts\n#EXTINF:2,\ns31.ts\n#EXT-X-ENDLIST\n",
       32, 3},
      {"discontinuities inside",
       "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXTINF:2,\na.ts\n"
       "#EXT-X-DISCONTINUITY\n#EXTINF:2,\nb.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:2,\nc.ts\n",
       8, 4},
      {"no media sequence tag", "#EXTM3U\n#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts\n", 2, 1},
      {"no segments yet", "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:9\n", 9, 1},
      {"CRLF", "#EXTM3U\r\n#EXT-X-MEDIA-SEQUENCE:3\r\n#EXTINF:2,\r\na.ts\r\n", 4, 1},
  };
  for (const auto& c : cases) {
    const auto got = continuation_after(c.previous);
    ASSERT_TRUE(got) << c.name;
    EXPECT_EQ(got->media_sequence, c.media_sequence) << c.name;
    EXPECT_EQ(got->discontinuity_sequence, c.discontinuity_sequence) << c.name;
  }
}

TEST(HlsContinuation, NothingToContinue) {
  EXPECT_FALSE(continuation_after(""));
  EXPECT_FALSE(continuation_after("not a playlist\n"));
  EXPECT_FALSE(continuation_after("#EXT-X-MEDIA-SEQUENCE:3\n#EXTM3U\n"));
}

TEST(HlsContinuation, RenumbersTheNewRun) {
  const std::string rendered =
      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:2\n#EXT-X-TARGETDURATION:2\n\n"
      "#EXTINF:2,\nsegment00019.ts\n#EXTINF:2,\nsegment00020.ts\n";
  EXPECT_EQ(continue_playlist(rendered, {17, 1}),
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:19\n"
            "#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXT-X-TARGETDURATION:2\n\n"
            "#EXTINF:2,\nsegment00019.ts\n#EXTINF:2,\nsegment00020.ts\n");
}

TEST(HlsContinuation, KeepsTheEndingAndReplacesAnOldNumbering) {
  const std::string rendered =
      "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:7\n#EXTINF:2,\na.ts\n"
      "#EXT-X-ENDLIST";
  EXPECT_EQ(continue_playlist(rendered, {40, 3}),
            "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:40\n#EXT-X-DISCONTINUITY-SEQUENCE:3\n#EXTINF:2,\na.ts\n"
            "#EXT-X-ENDLIST");
  EXPECT_EQ(
      continue_playlist("#EXTM3U\n#EXTINF:2,\na.ts\n", {5, 1}),
      "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n#EXTINF:2,\na.ts\n");
}

TEST(HlsContinuation, ContinuingAContinuedRunGoesOnCounting) {
  // Three runs: each one's continuation follows the one before.
  const auto second = continuation_after(kEnded);
  ASSERT_TRUE(second);
  const std::string second_run = continue_playlist(
      "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:2,\nx.ts\n#EXTINF:2,\ny.ts\n#EXT-X-ENDLIST",
      *second);
  const auto third = continuation_after(second_run);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->media_sequence, 17 + 1 + 2);
  EXPECT_EQ(third->discontinuity_sequence, 2);
}
