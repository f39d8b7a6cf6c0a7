// core/output_controls: what the operator may ask for when adding an RTMP
// destination to a live room, and the default names.
#include <gtest/gtest.h>

#include <set>

#include "core/output_controls.h"

using namespace mixcast;

namespace {
RtmpConfig rtmp(const std::string& url, const std::string& name = "") {
  RtmpConfig c;
  c.url = url;
  c.name = name;
  return c;
}
}  // namespace

TEST(RtmpRequest, GoodOnes) {
  for (const auto& c : {rtmp("rtmp://live.example.com/app/key"), rtmp("rtmps://a/b", "yt-main"),
                        rtmp("rtmp://127.0.0.1:1935/live/show", "cdn_2")})
    EXPECT_FALSE(check_rtmp_output(c)) << c.url << " " << c.name;
}

TEST(RtmpRequest, BadOnesNameTheirField) {
  struct Case {
    RtmpConfig config;
    const char* field;
  };
  RtmpConfig retries = rtmp("rtmp://h/a/k");
  retries.max_retries = -2;
  RtmpConfig backoff = rtmp("rtmp://h/a/k");
  backoff.backoff_initial_s = 60;  // more than backoff_max_s
  RtmpConfig backoff_max = rtmp("rtmp://h/a/k");
  backoff_max.backoff_max_s = 0;
  RtmpConfig queue = rtmp("rtmp://h/a/k");
  queue.queue_s = -1;
  const Case cases[] = {
      {rtmp(""), "url"},
      {rtmp("http://h/a/k"), "url"},
      {rtmp("rtmp://"), "url"},
      {rtmp("rtmp:///app/key"), "url"},
      {rtmp("RTMP://h/a/k"), "url"},
      {rtmp("rtmp://h/a/k ey"), "url"},
      {rtmp("rtmp://h/a/k", "has space"), "name"},
      {rtmp("rtmp://h/a/k", std::string(65, 'x')), "name"},
      {rtmp("rtmp://h/a/k", "hls"), "name"},
      {rtmp("rtmp://h/a/k", "recording"), "name"},
      {retries, "max_retries"},
      {backoff, "backoff_initial_s"},
      {backoff_max, "backoff_max_s"},
      {queue, "queue_s"},
  };
  for (const auto& c : cases) {
    const ApiResult error = check_rtmp_output(c.config);
    ASSERT_TRUE(error) << c.config.url << " " << c.config.name;
    EXPECT_EQ(error->kind, ErrorKind::BadRequest);
    EXPECT_EQ(error->status(), 400);
    EXPECT_EQ(error->field, c.field)
        << c.config.url << " " << c.config.name << ": " << error->message;
    EXPECT_FALSE(error->message.empty());
  }
}

TEST(RtmpRequest, DefaultNameIsTheFirstFreeRtmpN) {
  std::set<std::string> taken;
  auto is_taken = [&](const std::string& n) { return taken.count(n) > 0; };
  EXPECT_EQ(unique_output_name("rtmp", is_taken), "rtmp0");
  taken = {"rtmp0", "rtmp1", "rtmp3"};
  EXPECT_EQ(unique_output_name("rtmp", is_taken), "rtmp2");
  taken.insert("rtmp2");
  EXPECT_EQ(unique_output_name("rtmp", is_taken), "rtmp4");
}
