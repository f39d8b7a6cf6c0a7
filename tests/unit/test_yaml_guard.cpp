// yaml-cpp 0.7 builds nodes forever on a ',' outside any flow collection at
// a document's top level (found by tests/fuzz/fuzz_config). Every reader
// must refuse such input with a FileError instead of running out of memory.
#include <gtest/gtest.h>

#include <string>

#include "core/config.h"
#include "core/layout.h"
#include "core/profile.h"
#include "core/yaml_guard.h"

namespace mixcast {
namespace {

// Each made yaml-cpp 0.7.0 allocate until std::bad_alloc (or the OOM killer).
const char* const kRunaways[] = {
    ",", "  ,", ",a", "\"a\",b", "    ,laylist_length: 6    # the fuzzer's first find\n",
};

class YamlRunaway : public ::testing::TestWithParam<const char*> {};

TEST_P(YamlRunaway, EveryReaderRefusesItWithAFileError) {
  const std::string text = GetParam();
  EXPECT_THROW(check_yaml_terminates(text, "x.yaml"), FileError);
  try {
    parse_config(text, "mixcast.yaml");
    ADD_FAILURE() << "config accepted";
  } catch (const FileError& e) {
    ASSERT_FALSE(e.issues().empty());
    EXPECT_EQ(e.issues().front().file, "mixcast.yaml");
    EXPECT_NE(e.issues().front().message.find("malformed YAML"), std::string::npos)
        << e.issues().front().message;
  }
  EXPECT_THROW(parse_layout(text, "layout.yaml"), FileError);
  EXPECT_THROW(parse_profile(text, "x264.yaml"), FileError);
  EXPECT_THROW(parse_room_config(text, Config{}), FileError);
}

INSTANTIATE_TEST_SUITE_P(Inputs, YamlRunaway, ::testing::ValuesIn(kRunaways));

TEST(YamlGuard, WellFormedDocumentsPass) {
  for (const char* text :
       {"", "a: 1\n", "x: [a, b, {c: d}]\n", "- a\n- [1,2,3]\n",
        "x: |\n  ,a literal may start with a comma\n", "x: [a\n  ,b]\n", "---\na: 1\n---\nb: 2\n"})
    EXPECT_NO_THROW(check_yaml_terminates(text, "x.yaml")) << text;
}

TEST(YamlGuard, ABigRealDocumentIsNotMistakenForARunaway) {
  std::string text = "rooms:\n";
  for (int i = 0; i < 2000; ++i)
    text += "  - {name: r" + std::to_string(i) + ", layout: grid, sources: [{name: a, uri: x}]}\n";
  EXPECT_NO_THROW(check_yaml_terminates(text, "x.yaml"));
}

}  // namespace
}  // namespace mixcast
