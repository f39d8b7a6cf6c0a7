#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/metrics.h"

using namespace mixcast;

// ---------------------------------------------------------------- the writer

TEST(MetricsWriter, WritesASmallRegistryExactly) {
  MetricsWriter w;
  w.family("mixcast_rooms", "Rooms open now.", MetricType::Gauge);
  w.sample({}, 3);
  w.family("mixcast_output_bytes_total", "Bytes sent by an output.", MetricType::Counter);
  w.sample({{"room", "a"}, {"output", "rtmp0"}, {"kind", "rtmp"}}, 1234);
  w.sample({{"room", "b"}, {"output", "hls"}, {"kind", "hls"}}, std::uint64_t{1} << 40);
  w.family("mixcast_recordings_active", "Recordings running now.", MetricType::Gauge);
  w.family("mixcast_audio_level_dbfs", "Mixed audio level.", MetricType::Gauge);
  w.sample({{"room", "a"}}, -23.5);
  EXPECT_EQ(w.text(),
            "# HELP mixcast_rooms Rooms open now.\n"
            "# TYPE mixcast_rooms gauge\n"
            "mixcast_rooms 3\n"
            "# HELP mixcast_output_bytes_total Bytes sent by an output.\n"
            "# TYPE mixcast_output_bytes_total counter\n"
            "mixcast_output_bytes_total{room=\"a\",output=\"rtmp0\",kind=\"rtmp\"} 1234\n"
            "mixcast_output_bytes_total{room=\"b\",output=\"hls\",kind=\"hls\"} 1099511627776\n"
            "# HELP mixcast_recordings_active Recordings running now.\n"
            "# TYPE mixcast_recordings_active gauge\n"
            "# HELP mixcast_audio_level_dbfs Mixed audio level.\n"
            "# TYPE mixcast_audio_level_dbfs gauge\n"
            "mixcast_audio_level_dbfs{room=\"a\"} -23.5\n");
  EXPECT_TRUE(w.misuses().empty());
}

TEST(MetricsWriter, EmptyWriterWritesNothing) {
  EXPECT_EQ(MetricsWriter().text(), "");
}

TEST(MetricsWriter, TakesLabelsBuiltAtRunTime) {
  std::vector<std::string> names = {"r1", "r2"};
  MetricsWriter w;
  w.family("mixcast_participants", "Participants in a room.", MetricType::Gauge);
  for (const auto& name : names) {
    const std::vector<MetricLabel> labels = {{"room", name}};
    w.sample(labels, 2.0);
  }
  EXPECT_EQ(w.text(),
            "# HELP mixcast_participants Participants in a room.\n"
            "# TYPE mixcast_participants gauge\n"
            "mixcast_participants{room=\"r1\"} 2\n"
            "mixcast_participants{room=\"r2\"} 2\n");
}

TEST(MetricsWriter, EscapesLabelValues) {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"plain", "plain"},
      {"", ""},
      {"back\\slash", "back\\\\slash"},
      {"dou\"ble", "dou\\\"ble"},
      {"new\nline", "new\\nline"},
      {"\\n", "\\\\n"},  // a backslash and an n, not a newline
      {"\"\\\n", "\\\"\\\\\\n"},
      {"tab\tcr\r", "tab\tcr\r"},  // only the three are escaped
      {"caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\xa4", "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x8e\xa4"},
      {"bad\xff", "bad\xef\xbf\xbd"},
      {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"},                                  // overlong '/'
      {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},                  // a surrogate
      {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},  // > U+10FFFF
      {"cut\xe6\x97", "cut\xef\xbf\xbd\xef\xbf\xbd"},
      {std::string("nul\0byte", 8), std::string("nul\0byte", 8)},
  };
  for (const auto& c : cases) EXPECT_EQ(escape_label_value(c.in), c.out) << c.in;

  MetricsWriter w;
  w.family("mixcast_rooms", "Rooms.", MetricType::Gauge);
  w.sample({{"room", "a\"b\\c\nd"}}, 1);
  EXPECT_EQ(w.text(),
            "# HELP mixcast_rooms Rooms.\n"
            "# TYPE mixcast_rooms gauge\n"
            "mixcast_rooms{room=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsWriter, EscapesHelp) {
  struct Case {
    std::string in, out;
  };
  const std::vector<Case> cases = {
      {"Rooms open now.", "Rooms open now."},
      {"a \"quoted\" word", "a \"quoted\" word"},  // quotes stay in HELP
      {"C:\\path", "C:\\\\path"},
      {"two\nlines", "two\\nlines"},
      {"bad\xfe", "bad\xef\xbf\xbd"},
  };
  for (const auto& c : cases) EXPECT_EQ(escape_help(c.in), c.out) << c.in;

  MetricsWriter w;
  w.family("mixcast_rooms", "One\\two\nthree", MetricType::Gauge);
  EXPECT_EQ(w.text(),
            "# HELP mixcast_rooms One\\\\two\\nthree\n"
            "# TYPE mixcast_rooms gauge\n");
}

TEST(MetricsWriter, FormatsNumbersExactly) {
  struct DoubleCase {
    double in;
    const char* out;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<DoubleCase> doubles = {
      {0.0, "0"},
      {-0.0, "0"},
      {1.0, "1"},
      {-3.0, "-3"},
      {1e6, "1000000"},  // not 1e+06
      {1234567890123.0, "1234567890123"},
      {9007199254740993.0, "9007199254740992"},  // the double nearest 2^53 + 1
      {1e20, "100000000000000000000"},
      {1e21, "1e+21"},
      {1.5, "1.5"},
      {-23.5, "-23.5"},
      {0.1, "0.1"},
      {0.1 + 0.2, "0.30000000000000004"},
      {1.0 / 3.0, "0.3333333333333333"},
      {1e-7, "1e-07"},
      {1700000123.45, "1700000123.45"},
      {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
      {std::numeric_limits<double>::denorm_min(), "5e-324"},
      {nan, "NaN"},
      {inf, "+Inf"},
      {-inf, "-Inf"},
  };
  for (const auto& c : doubles) EXPECT_EQ(format_metric_value(c.in), c.out) << c.in;
  // Every finite one reads back to the same double.
  for (const auto& c : doubles)
    if (std::isfinite(c.in) && c.in != 0) {
      EXPECT_EQ(std::strtod(c.out, nullptr), c.in) << c.out;
    }

  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(-1), "-1");
  EXPECT_EQ(format_metric_value(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(format_metric_value(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
  EXPECT_EQ(format_metric_value(std::uint32_t{4000000000u}), "4000000000");
  EXPECT_EQ(format_metric_value(short{-7}), "-7");
}

TEST(MetricsWriter, ChecksNames) {
  for (const char* good : {"a", "_a", "mixcast_rooms", "a:b", ":a", "A9_z"})
    EXPECT_TRUE(valid_metric_name(good)) << good;
  for (const char* bad : {"", "9a", "a-b", "a b", "a.b", "é", "a\n"})
    EXPECT_FALSE(valid_metric_name(bad)) << bad;
  for (const char* good : {"room", "_room", "Room9", "_"}) EXPECT_TRUE(valid_label_name(good));
  for (const char* bad : {"", "9room", "a:b", "__name__", "__x", "a-b", "r\"m"})
    EXPECT_FALSE(valid_label_name(bad)) << bad;
}

// Each misuse, as the calls that commit it on a fresh writer.
struct Misuse {
  const char* what;
  void (*commit)(MetricsWriter&);
};
const std::vector<Misuse> kMisuses = {
    {"bad metric name",
     [](MetricsWriter& w) { w.family("mixcast-rooms", "x", MetricType::Gauge); }},
    {"name starting with a digit",
     [](MetricsWriter& w) { w.family("9rooms", "x", MetricType::Gauge); }},
    {"family declared twice",
     [](MetricsWriter& w) {
       w.family("mixcast_rooms", "x", MetricType::Gauge);
       w.family("mixcast_rooms", "y", MetricType::Gauge);
     }},
    {"family declared twice, apart",
     [](MetricsWriter& w) {
       w.family("mixcast_x_total", "x", MetricType::Counter);
       w.family("mixcast_rooms", "y", MetricType::Gauge);
       w.family("mixcast_x_total", "x", MetricType::Counter);
     }},
    {"counter without _total",
     [](MetricsWriter& w) { w.family("mixcast_output_bytes", "x", MetricType::Counter); }},
    {"gauge with _total",
     [](MetricsWriter& w) { w.family("mixcast_rooms_total", "x", MetricType::Gauge); }},
    {"no help", [](MetricsWriter& w) { w.family("mixcast_rooms", "", MetricType::Gauge); }},
    {"sample before any family", [](MetricsWriter& w) { w.sample({}, 1); }},
    {"bad label name",
     [](MetricsWriter& w) {
       w.family("mixcast_rooms", "x", MetricType::Gauge);
       w.sample({{"room-name", "a"}}, 1);
     }},
    {"reserved label name",
     [](MetricsWriter& w) {
       w.family("mixcast_rooms", "x", MetricType::Gauge);
       w.sample({{"__name__", "a"}}, 1);
     }},
    {"label twice",
     [](MetricsWriter& w) {
       w.family("mixcast_rooms", "x", MetricType::Gauge);
       w.sample({{"room", "a"}, {"room", "b"}}, 1);
     }},
    {"series twice",
     [](MetricsWriter& w) {
       w.family("mixcast_rooms", "x", MetricType::Gauge);
       w.sample({{"room", "a"}, {"kind", "b"}}, 1);
       w.sample({{"kind", "b"}, {"room", "a"}}, 2);
     }},
    {"unlabelled series twice",
     [](MetricsWriter& w) {
       w.family("mixcast_rooms", "x", MetricType::Gauge);
       w.sample({}, 1);
       w.sample({}, 1);
     }},
    {"negative counter",
     [](MetricsWriter& w) {
       w.family("mixcast_x_total", "x", MetricType::Counter);
       w.sample({}, -1);
     }},
    {"negative double counter",
     [](MetricsWriter& w) {
       w.family("mixcast_x_total", "x", MetricType::Counter);
       w.sample({}, -0.5);
     }},
};

TEST(MetricsWriter, ThrowsOnMisuseInDebug) {
  EXPECT_EQ(MetricsWriter::kDefaultOnMisuse, MetricsWriter::OnMisuse::Throw)
      << "tests are built without NDEBUG";
  for (const auto& m : kMisuses) {
    MetricsWriter w;
    EXPECT_THROW(m.commit(w), std::logic_error) << m.what;
  }
}

TEST(MetricsWriter, DropsWhatItRefusesWhenAskedTo) {
  for (const auto& m : kMisuses) {
    MetricsWriter w(MetricsWriter::OnMisuse::Drop);
    m.commit(w);
    EXPECT_EQ(w.misuses().size(), 1u) << m.what;
  }
  // The rest of the exposition is whole: the refused family's samples go with it.
  MetricsWriter w(MetricsWriter::OnMisuse::Drop);
  w.family("mixcast_rooms", "Rooms.", MetricType::Gauge);
  w.sample({}, 1);
  w.family("mixcast_bytes", "Bytes.", MetricType::Counter);  // refused
  w.sample({{"room", "a"}}, 5);
  w.sample({{"room", "b"}}, 6);
  w.family("mixcast_rooms", "Again.", MetricType::Gauge);  // refused
  w.sample({}, 2);
  w.family("mixcast_bytes_total", "Bytes.", MetricType::Counter);
  w.sample({{"room", "a"}}, 5);
  w.sample({{"room", "a"}}, 7);      // refused
  w.sample({{"bad-name", "a"}}, 7);  // refused
  w.sample({{"room", "b"}}, 6);
  EXPECT_EQ(w.text(),
            "# HELP mixcast_rooms Rooms.\n"
            "# TYPE mixcast_rooms gauge\n"
            "mixcast_rooms 1\n"
            "# HELP mixcast_bytes_total Bytes.\n"
            "# TYPE mixcast_bytes_total counter\n"
            "mixcast_bytes_total{room=\"a\"} 5\n"
            "mixcast_bytes_total{room=\"b\"} 6\n");
  EXPECT_EQ(w.misuses().size(), 4u);
}
