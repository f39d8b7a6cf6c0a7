#include <gtest/gtest.h>

#include <filesystem>

#include "core/profile.h"

using namespace mixcast;

TEST(Profile, ParsesAndExpands) {
  auto p = parse_profile(
      "kind: video\ncodec: h264\ndescription: test\nlaunch: \"x264enc bitrate={bitrate_kbps} "
      "key-int-max={keyframe_interval_frames}\"\n",
      "/p/x264.yaml");
  EXPECT_EQ(p.name, "x264");
  EXPECT_EQ(p.kind, "video");
  EXPECT_EQ(p.launch_line, 4);
  IssueList issues;
  auto launch =
      expand_launch(p, {{"bitrate_kbps", "2500"}, {"keyframe_interval_frames", "60"}}, issues);
  EXPECT_TRUE(issues.empty());
  EXPECT_EQ(launch, "x264enc bitrate=2500 key-int-max=60");
}

TEST(Profile, UnknownPlaceholderNamesFileAndLine) {
  auto p =
      parse_profile("kind: audio\ncodec: aac\nlaunch: \"avenc_aac bitrate={bogus}\"\n", "aac.yaml");
  IssueList issues;
  expand_launch(p, {}, issues);
  ASSERT_EQ(issues.issues().size(), 1u);
  EXPECT_EQ(issues.issues()[0].line, 3);
  EXPECT_NE(issues.issues()[0].message.find("{bogus}"), std::string::npos);
}

struct BadProfile {
  const char* yaml;
  int line;
  const char* field;
};

class BadProfiles : public ::testing::TestWithParam<BadProfile> {};

TEST_P(BadProfiles, Rejected) {
  const auto& c = GetParam();
  try {
    parse_profile(c.yaml, "bad.yaml");
    FAIL() << "accepted: " << c.yaml;
  } catch (const FileError& e) {
    ASSERT_FALSE(e.issues().empty());
    EXPECT_EQ(e.issues()[0].line, c.line) << e.what();
    EXPECT_EQ(e.issues()[0].field, c.field) << e.what();
    EXPECT_EQ(e.issues()[0].file, "bad.yaml");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadProfiles,
    ::testing::Values(BadProfile{"kind: video\ncodec: h264\nlaunhc: x\n", 3, "launhc"},
                      BadProfile{"kind: sound\ncodec: aac\nlaunch: x\n", 1, "kind"},
                      BadProfile{"kind: video\ncodec: aac\nlaunch: x\n", 2, "codec"},
                      BadProfile{"kind: video\ncodec: h264\n", 1, "launch"},
                      BadProfile{"kind: [video\n", 2, ""}));

TEST(Profile, ShippedProfilesLoad) {
  auto profiles = load_profiles(std::string(MIXCAST_SOURCE_ROOT) + "/pipelines");
  for (const char* name : {"x264", "openh264", "aac", "voaac", "vp8", "opus"}) {
    ASSERT_TRUE(profiles.count(name)) << name;
  }
  EXPECT_EQ(profiles.at("x264").codec, "h264");
  EXPECT_EQ(profiles.at("aac").kind, "audio");
}
