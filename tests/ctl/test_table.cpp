#include <gtest/gtest.h>

#include "ctl/table.h"

namespace mixcast::ctl {
namespace {

TEST(Table, ColumnsAlignOnTheWidestCellWithoutTrailingSpaces) {
  Table table({"NAME", "STATE", "LAST-ERROR"});
  table.add_row({"hls", "live", "-"});
  table.add_row({"recording", "retrying", "disk full"});
  table.add_row({"x"});  // short rows are padded
  EXPECT_EQ(table.render(),
            "NAME       STATE     LAST-ERROR\n"
            "hls        live      -\n"
            "recording  retrying  disk full\n"
            "x\n");
}

TEST(Table, WidthsCountCharactersNotBytes) {
  Table table({"NAME", "ID"});
  table.add_row({"Zoë", "z-1"});
  table.add_row({"Bob", "b-2"});
  EXPECT_EQ(table.render(),
            "NAME  ID\n"
            "Zoë   z-1\n"
            "Bob   b-2\n");
}

TEST(Table, ControlCharactersCannotBreakTheTable) {
  Table table({"NAME"});
  table.add_row({"evil\nname\t\x1b[2J\x7f"});
  EXPECT_EQ(table.render(), "NAME\nevil?name??[2J?\n");
}

TEST(Table, EmptyAndHeaderless) {
  EXPECT_EQ(Table().render(), "");
  EXPECT_EQ(Table({"A", "B"}).render(), "A  B\n");
  Table fields;
  fields.add_row({"name", "studio"});
  fields.add_row({"last core error", "-"});
  EXPECT_EQ(fields.render(),
            "name             studio\n"
            "last core error  -\n");
}

TEST(Table, DisplayWidth) {
  const std::pair<std::string, size_t> cases[] = {
      {"", 0}, {"abc", 3}, {"é", 1}, {"日本", 2}, {"a\xF0\x9F\x8E\xA5z", 3}};
  for (const auto& [text, width] : cases) EXPECT_EQ(display_width(text), width) << text;
}

TEST(Table, HumanBytes) {
  const std::pair<int64_t, std::string> cases[] = {
      {0, "0 B"},
      {1023, "1023 B"},
      {1024, "1.0 KiB"},
      {1536, "1.5 KiB"},
      {10 * 1024 * 1024 + 300 * 1024, "10.3 MiB"},
      {int64_t{3} << 30, "3.0 GiB"},
      {int64_t{5} << 40, "5.0 TiB"},
      {int64_t{2048} << 40, "2048.0 TiB"},
  };
  for (const auto& [bytes, text] : cases) EXPECT_EQ(human_bytes(bytes), text) << bytes;
}

TEST(Table, HumanDuration) {
  const std::pair<double, std::string> cases[] = {
      {0, "0:00"}, {7.9, "0:07"}, {62, "1:02"}, {3600, "1:00:00"}, {3723.5, "1:02:03"}, {-1, "-"},
  };
  for (const auto& [seconds, text] : cases) EXPECT_EQ(human_duration(seconds), text) << seconds;
}

TEST(Table, HumanDb) {
  const std::pair<double, std::string> cases[] = {
      {0, "0.0 dB"},    {-0.04, "0.0 dB"}, {-6, "-6.0 dB"},
      {3.5, "+3.5 dB"}, {-60, "-60.0 dB"}, {20, "+20.0 dB"},
  };
  for (const auto& [db, text] : cases) EXPECT_EQ(human_db(db), text) << db;
}

}  // namespace
}  // namespace mixcast::ctl
