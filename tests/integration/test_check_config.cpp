// `mixcast --check-config` on broken configurations: a non-zero exit and a
// message that names the file, the line and the field, as
// docs/configuration.md promises ("FILE:LINE:COLUMN: FIELD: MESSAGE").
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "integration_support.h"

namespace mixcast::testing {
namespace {

struct CheckResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string with_root(std::string text) {
  const std::string from = "{root}";
  for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos;)
    text.replace(pos, from.size(), source_root());
  return text;
}

// 1-based number of the first line of `text` that contains `needle` (0: none).
int line_of(const std::string& text, const std::string& needle) {
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    if (line.find(needle) != std::string::npos) return n;
  }
  return 0;
}

class CheckConfig : public ::testing::Test {
 protected:
  CheckConfig() : dir_("check-config") {}

  // Writes `yaml` to <dir>/<name> and runs --check-config on it.
  CheckResult check(const std::string& name, const std::string& yaml) {
    const std::string file = dir_.file(name);
    write_file(file, yaml);
    return check_file(file);
  }

  CheckResult check_file(const std::string& file) {
    CheckResult result;
    const std::string err = dir_.file("stderr.txt");
    result.out = run_command(shell_quote(mixcast_binary()) + " --check-config " +
                                 shell_quote(file) + " 2>" + shell_quote(err),
                             &result.exit_code);
    result.err = read_file(err);
    return result;
  }

  // The error output has a line naming file:line: and then the field.
  static ::testing::AssertionResult names(const CheckResult& result, const std::string& file,
                                          int line, const std::string& field) {
    if (line <= 0) return ::testing::AssertionFailure() << "bad test: no line for " << field;
    const std::string place = file + ":" + std::to_string(line) + ":";
    std::istringstream lines(result.err);
    for (std::string text; std::getline(lines, text);) {
      const size_t at = text.find(place);
      if (at != std::string::npos && text.find(field, at + place.size()) != std::string::npos)
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected a message at " << place << " about "
                                         << (field.empty() ? "(YAML)" : field) << "; stderr was:\n"
                                         << result.err;
  }

  TempDir dir_;
};

const char* kPaths =
    "paths:\n"
    "  layouts: {root}/config/layouts\n"
    "  pipelines: {root}/pipelines\n";

TEST_F(CheckConfig, UnknownLayoutName) {
  const std::string yaml = with_root(std::string(kPaths) +
                                     "rooms:\n"
                                     "  - name: studio\n"
                                     "    layout: nosuch\n");
  const auto result = check("unknown-layout.yaml", yaml);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_TRUE(names(result, dir_.file("unknown-layout.yaml"), line_of(yaml, "layout: nosuch"),
                    "rooms[0].layout"));
  EXPECT_NE(result.err.find("nosuch"), std::string::npos) << result.err;
}

TEST_F(CheckConfig, RegionOffTheCanvasInALayoutFile) {
  std::filesystem::create_directories(dir_.file("layouts"));
  const std::string layout =
      "name: off\n"
      "canvas: {width: 640, height: 360}\n"
      "units: pixels\n"
      "regions:\n"
      "  - id: main\n"
      "    x: 600\n"
      "    y: 0\n"
      "    width: 100\n"
      "    height: 360\n";
  write_file(dir_.file("layouts/off.yaml"), layout);
  const auto result = check("off-canvas.yaml", with_root("paths:\n"
                                                         "  layouts: layouts\n"
                                                         "  pipelines: {root}/pipelines\n"
                                                         "rooms:\n"
                                                         "  - name: studio\n"
                                                         "    layout: off\n"));
  EXPECT_NE(result.exit_code, 0);
  // Either end of the offending extent is a fair place to point at.
  const std::string file = dir_.file("layouts/off.yaml");
  EXPECT_TRUE(names(result, file, line_of(layout, "width: 100"), "regions[0]") ||
              names(result, file, line_of(layout, "x: 600"), "regions[0]"))
      << result.err;
}

TEST_F(CheckConfig, NegativeWidth) {
  const std::string yaml = with_root(std::string(kPaths) +
                                     "media:\n"
                                     "  width: -640\n"
                                     "  height: 360\n");
  const auto result = check("negative-width.yaml", yaml);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_TRUE(
      names(result, dir_.file("negative-width.yaml"), line_of(yaml, "width: -640"), "media.width"));
}

TEST_F(CheckConfig, BadYaml) {
  const std::string yaml =
      "media:\n"
      "  width: 640\n"
      "   height: 360\n";  // one space too many
  const auto result = check("bad-yaml.yaml", yaml);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_TRUE(names(result, dir_.file("bad-yaml.yaml"), 3, ""));
  EXPECT_NE(result.err.find("YAML"), std::string::npos) << result.err;
}

TEST_F(CheckConfig, UnknownEncoderProfile) {
  const std::string yaml = with_root(std::string(kPaths) +
                                     "media:\n"
                                     "  video_encoder: x265\n");
  const auto result = check("bad-encoder.yaml", yaml);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_TRUE(names(result, dir_.file("bad-encoder.yaml"), line_of(yaml, "video_encoder"),
                    "media.video_encoder"));
  EXPECT_NE(result.err.find("x265"), std::string::npos) << result.err;
}

TEST_F(CheckConfig, UnreadableTestUri) {
  const std::string yaml = with_root(std::string(kPaths) +
                                     "rooms:\n"
                                     "  - name: studio\n"
                                     "    sources:\n"
                                     "      - name: Alice\n"
                                     "        uri: test://color?color=red\n"
                                     "      - name: Bob\n"
                                     "        uri: test://color?color=chartreuse\n");
  const auto result = check("bad-uri.yaml", yaml);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_TRUE(names(result, dir_.file("bad-uri.yaml"), line_of(yaml, "chartreuse"),
                    "rooms[0].sources[1].uri"));
  // The good source is not blamed.
  EXPECT_EQ(result.err.find("sources[0]"), std::string::npos) << result.err;
}

TEST_F(CheckConfig, ShippedConfigPasses) {
  const auto result = check_file(source_root() + "/config/mixcast.yaml");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("OK"), std::string::npos) << result.out;
}

}  // namespace
}  // namespace mixcast::testing
