#include <gtest/gtest.h>

#include "core/source_uri.h"

using namespace mixcast;

TEST(SourceUri, ColorSource) {
  std::string error;
  auto s = parse_source_uri("test://color?color=red&tone=660&volume=0.5&width=320&height=180", "",
                            error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->kind, SourceUri::Kind::Test);
  EXPECT_EQ(s->test.mode, TestSource::Mode::Color);
  EXPECT_EQ(s->test.color, (Color{255, 0, 0, 255}));
  EXPECT_DOUBLE_EQ(s->test.tone_hz, 660);
  EXPECT_DOUBLE_EQ(s->test.volume, 0.5);
  EXPECT_EQ(s->test.width, 320);
  EXPECT_EQ(s->test.height, 180);
}

TEST(SourceUri, HexColourIsPercentEncoded) {
  std::string error;
  auto s = parse_source_uri("test://color?color=%2300ff80", "", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->test.color, (Color{0, 255, 128, 255}));
}

TEST(SourceUri, SyncAndAudioOnly) {
  std::string error;
  auto s = parse_source_uri("test://sync", "", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->test.mode, TestSource::Mode::Sync);
  auto a = parse_source_uri("test://color?video=0&tone=300", "", error);
  ASSERT_TRUE(a) << error;
  EXPECT_FALSE(a->test.video);
  EXPECT_TRUE(a->test.audio);
}

TEST(SourceUri, PathsBecomeFileUris) {
  std::string error;
  auto s = parse_source_uri("clips/a.webm", "/srv/mixcast", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->uri, "file:///srv/mixcast/clips/a.webm");
  auto r = parse_source_uri("rtsp://cam.local/stream1", "", error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->uri, "rtsp://cam.local/stream1");
}

class BadSourceUris : public ::testing::TestWithParam<const char*> {};

TEST_P(BadSourceUris, Rejected) {
  std::string error;
  EXPECT_FALSE(parse_source_uri(GetParam(), "", error)) << GetParam();
  EXPECT_FALSE(error.empty());
}

INSTANTIATE_TEST_SUITE_P(Cases, BadSourceUris,
                         ::testing::Values("", "test://nope", "test://color?color=chartreuse",
                                           "test://color?tone=-5", "test://color?volume=2",
                                           "test://color?video=0&audio=0", "test://color?x=1",
                                           "gopher://old/thing", "test://color?width=abc"));

#include "core/url.h"

struct RedactCase {
  const char* in;
  const char* out;
};
class Redact : public ::testing::TestWithParam<RedactCase> {};
TEST_P(Redact, HidesSecrets) {
  EXPECT_EQ(redact_url(GetParam().in), GetParam().out);
}
INSTANTIATE_TEST_SUITE_P(Cases, Redact,
                         ::testing::Values(RedactCase{"rtmp://user:secret@cdn.example/live/key123",
                                                      "rtmp://cdn.example/live/***"},
                                           RedactCase{"rtmp://127.0.0.1:1935/live/abc",
                                                      "rtmp://127.0.0.1:1935/live/***"},
                                           RedactCase{"rtmp://host/app", "rtmp://host/app"},
                                           RedactCase{"http://a:b@host/x/y.m3u8",
                                                      "http://host/x/y.m3u8"},
                                           RedactCase{"not a url", "not a url"}));
