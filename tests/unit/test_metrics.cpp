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

#include "core/http_route.h"
#include "core/metrics.h"
#include "core/process_stats.h"

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

// ---------------------------------------------------------------- route labels

TEST(RouteLabel, MapsEachRouteToItsTemplate) {
  struct Case {
    const char* method;
    const char* path;
    const char* route;
  };
  const std::vector<Case> cases = {
      {"GET", "/", "/"},
      {"GET", "/metrics", "/metrics"},
      {"GET", "/healthz", "/healthz"},
      {"GET", "/ws", "/ws"},
      {"GET", "/index.html", "/{page}"},
      {"GET", "/join.html", "/{page}"},
      {"GET", "/lib/page.js", "/{page}"},
      {"GET", "/vendor/hls.min.js", "/{page}"},
      {"POST", "/whip/r1", "/whip/{room}"},
      {"PATCH", "/whip/r1/s5", "/whip/{room}/{session}"},
      {"DELETE", "/whip/r1/s5", "/whip/{room}/{session}"},
      {"OPTIONS", "/whip/r1", "/whip/{room}"},
      {"POST", "/whep/r1", "/whep/{room}"},
      {"DELETE", "/whep/r1/v2", "/whep/{room}/{session}"},
      {"GET", "/hls/r1/index.m3u8", "/hls/{room}/{file}"},
      {"GET", "/hls/r1/segment00012.ts", "/hls/{room}/{file}"},
      {"GET", "/recordings/r1/", "/recordings/{room}/"},
      {"GET", "/recordings/r1/x.mp4", "/recordings/{room}/{file}"},
      {"GET", "/api/v1/rooms", "/api/v1/rooms"},
      {"POST", "/api/v1/rooms", "/api/v1/rooms"},
      {"GET", "/api/v1/rooms/abc", "/api/v1/rooms/{room}"},
      {"DELETE", "/api/v1/rooms/abc", "/api/v1/rooms/{room}"},
      {"POST", "/api/v1/rooms/abc/rebuild", "/api/v1/rooms/{room}/rebuild"},
      {"GET", "/api/v1/rooms/abc/participants", "/api/v1/rooms/{room}/participants"},
      {"GET", "/api/v1/rooms/abc/participants/p3", "/api/v1/rooms/{room}/participants/{id}"},
      {"GET", "/api/v1/rooms/abc/sources", "/api/v1/rooms/{room}/sources"},
      {"DELETE", "/api/v1/rooms/abc/sources/cam1", "/api/v1/rooms/{room}/sources/{id}"},
      {"PUT", "/api/v1/rooms/abc/layout", "/api/v1/rooms/{room}/layout"},
      {"GET", "/api/v1/rooms/abc/outputs", "/api/v1/rooms/{room}/outputs"},
      {"PATCH", "/api/v1/rooms/abc/outputs/rtmp0", "/api/v1/rooms/{room}/outputs/{output}"},
      {"POST", "/api/v1/rooms/abc/hls/start", "/api/v1/rooms/{room}/hls/{action}"},
      {"POST", "/api/v1/rooms/abc/recording/stop", "/api/v1/rooms/{room}/recording/{action}"},
      {"GET", "/api/v1/rooms/abc/recordings", "/api/v1/rooms/{room}/recordings"},
      {"DELETE", "/api/v1/rooms/abc/recordings/x.mp4", "/api/v1/rooms/{room}/recordings/{file}"},
      {"GET", "/api/v1/rooms/abc/stats", "/api/v1/rooms/{room}/stats"},
      {"GET", "/api/v1/layouts", "/api/v1/layouts"},
      {"GET", "/api/v1/layouts/grid", "/api/v1/layouts/{layout}"},
      {"POST", "/api/v1/layouts/validate", "/api/v1/layouts/validate"},
      {"POST", "/api/v1/tokens", "/api/v1/tokens"},
      // The query is not part of the route.
      {"POST", "/whip/r1?name=alice", "/whip/{room}"},
      {"GET", "/api/v1/rooms?x=/y/z", "/api/v1/rooms"},
      {"GET", "/index.html#top", "/{page}"},
  };
  for (const auto& c : cases) EXPECT_EQ(route_label(c.method, c.path), c.route) << c.path;
}

// While draining, what would start something new is refused; the rest
// (state, HLS, ending a session, the health check) is still served.
TEST(StartsSomethingNew, OnlyPostsThatOpenSessionsRoomsSourcesOutputs) {
  struct Case {
    const char* method;
    const char* path;
    bool refused;
  };
  const Case cases[] = {
      {"POST", "/whip/r1", true},
      {"POST", "/whip/r1?name=alice", true},
      {"POST", "/whep/r1", true},
      {"POST", "/api/v1/rooms", true},
      {"POST", "/api/v1/rooms/r1/sources", true},
      {"POST", "/api/v1/rooms/r1/outputs", true},
      {"GET", "/api/v1/rooms", false},
      {"DELETE", "/whip/r1/alice-1", false},
      {"PATCH", "/whip/r1/alice-1", false},
      {"DELETE", "/api/v1/rooms/r1", false},
      {"POST", "/api/v1/rooms/r1/recording/stop", false},
      {"POST", "/api/v1/tokens", false},
      {"GET", "/healthz", false},
      {"GET", "/hls/r1/index.m3u8", false},
      {"post", "/whip/r1", false},  // not a method this server knows
  };
  for (const auto& c : cases)
    EXPECT_EQ(starts_something_new(c.method, c.path), c.refused) << c.method << " " << c.path;
}

TEST(RouteLabel, FallsBackToBoundedLabels) {
  const std::string long_name(100000, 'a');
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "/x";
  struct Case {
    std::string method, path, route;
  };
  const std::vector<Case> cases = {
      // Under /api/v1 but no route of ours.
      {"GET", "/api/v1", "/api/v1/other"},
      {"GET", "/api/v1/", "/api/v1/other"},
      {"GET", "/api/v1/rooms/", "/api/v1/other"},
      {"GET", "/api/v1/rooms//stats", "/api/v1/other"},
      {"GET", "/api/v1/rooms/abc/", "/api/v1/other"},
      {"GET", "/api/v1/rooms/abc/unknown", "/api/v1/other"},
      {"GET", "/api/v1/rooms/abc/participants/p3/extra", "/api/v1/other"},
      {"GET", "/api/v1/rooms/abc/hls", "/api/v1/other"},
      {"GET", "/api/v1/rooms/../stats", "/api/v1/other"},
      {"GET", "/api/v1/rooms/./stats", "/api/v1/other"},
      {"GET", "/api/v1/layouts/validate/x", "/api/v1/other"},
      {"GET", "/api/v1/tokens/t1", "/api/v1/other"},
      {"GET", "/api/v1/secret", "/api/v1/other"},
      {"GET", "/api/v1" + deep, "/api/v1/other"},
      {"GET", "/api/v1/rooms/" + long_name + "/x/y/z/w/v/u", "/api/v1/other"},
      // Not ours at all.
      {"GET", "/api", "other"},
      {"GET", "/api/v2/rooms", "other"},
      {"GET", "/whip", "other"},
      {"GET", "/whip/", "other"},
      {"POST", "/whip//s1", "other"},
      {"POST", "/whip/r1/", "other"},
      {"DELETE", "/whip/r1/s5/x", "other"},
      {"GET", "/hls/r1", "other"},
      {"GET", "/hls/../etc/passwd", "other"},
      {"GET", "/hls/r1/../../etc/passwd", "other"},
      {"GET", "/hls/../x", "other"},
      {"GET", "/recordings/r1", "other"},
      {"GET", "/recordings//x.mp4", "other"},
      {"GET", "/recordings/r1/..", "other"},
      {"GET", "/metrics/", "other"},
      {"GET", "/metrics/x", "other"},
      {"GET", "/healthz/deep", "other"},
      {"GET", "/ws/x", "other"},
      {"GET", "//", "other"},
      {"GET", "//etc/passwd", "other"},
      {"GET", "/a/b/c/d", "other"},
      {"GET", "/..", "other"},
      {"GET", "/lib/../../etc/passwd", "other"},
      {"GET", deep, "other"},
      {"GET", "", "other"},
      {"GET", "*", "other"},
      {"GET", "relative/path", "other"},
      {"GET", "http://example.com/metrics", "other"},
      // Percent-encoding is taken as sent: an encoded slash or dot is part of a name.
      {"GET", "/api/v1/rooms/a%2Fb/stats", "/api/v1/rooms/{room}/stats"},
      {"GET", "/api/v1/rooms/%2e%2e/stats", "/api/v1/rooms/{room}/stats"},
      {"GET", "/hls/%2e%2e/index.m3u8", "/hls/{room}/{file}"},
      {"GET", "/%6detrics", "/{page}"},
      // Anything else of one to three segments goes to the web root: a page, found or not.
      {"GET", "/API/v1/rooms", "/{page}"},
      {"GET", "/api%2Fv1/rooms", "/{page}"},
      {"GET", "/wp-admin/setup.php", "/{page}"},
      // A long name is still one name.
      {"GET", "/hls/" + long_name + "/index.m3u8", "/hls/{room}/{file}"},
      {"GET", "/" + long_name, "/{page}"},
      // Unknown methods route nowhere.
      {"get", "/metrics", "other"},
      {"BREW", "/api/v1/rooms", "other"},
      {"", "/", "other"},
      {"CONNECT", "/", "other"},
      {"TRACE", "/healthz", "other"},
      {std::string(1000, 'G'), "/", "other"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(route_label(c.method, c.path), c.route) << c.method << " " << c.path.substr(0, 80);
}

TEST(RouteLabel, TenThousandRoomsAreOneLabel) {
  std::set<std::string> routes;
  for (int i = 0; i < 10000; ++i) {
    const std::string room = "room-" + std::to_string(i) + "-" + std::to_string(i * 7919);
    routes.insert(
        route_label("GET", "/api/v1/rooms/" + room + "/participants/p" + std::to_string(i)));
  }
  EXPECT_EQ(routes, std::set<std::string>{"/api/v1/rooms/{room}/participants/{id}"});
}

TEST(RouteLabel, EveryTemplateMapsToItself) {
  // Filled with a name that is also a literal elsewhere.
  for (std::string_view route : route_templates()) {
    std::string path(route);
    for (size_t open; (open = path.find('{')) != std::string::npos;)
      path.replace(open, path.find('}') - open + 1, "stats");
    EXPECT_EQ(route_label("GET", path), route) << path;
    EXPECT_EQ(route_label("GET", route), route) << "the template itself";
  }
}

TEST(RouteLabel, LabelsComeFromABoundedSet) {
  std::set<std::string> allowed(route_templates().begin(), route_templates().end());
  allowed.insert({"/api/v1/other", "/{page}", "other"});
  // Random paths over an alphabet rich in separators.
  const std::string alphabet = "/a.v1%?#{}";
  std::uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1664525u + 1013904223u; };
  for (int i = 0; i < 20000; ++i) {
    std::string path = (i % 3 == 0) ? "/api/v1/rooms/" : "/";
    const int length = static_cast<int>(next() % 24);
    for (int j = 0; j < length; ++j) path += alphabet[next() % alphabet.size()];
    const std::string route = route_label("GET", path);
    EXPECT_TRUE(allowed.contains(route)) << path << " -> " << route;
  }
}

TEST(RouteLabel, MethodLabel) {
  for (const char* known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    EXPECT_EQ(method_label(known), known);
  for (const char* other : {"get", "Get", "CONNECT", "TRACE", "PROPFIND", "", "GET "})
    EXPECT_EQ(method_label(other), "other") << other;
}

// ---------------------------------------------------------------- /proc

// A /proc/[pid]/stat line (Linux 6.1) for the given command name.
std::string stat_line(const std::string& comm) {
  return "4242 (" + comm +
         ") S 1 4242 4242 0 -1 4194560 2716 0 0 0 1234 567 0 0 20 0 7 0 98765 "
         "1220608000 3012 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 "
         "0 0 0 0 0 0\n";
}

TEST(ProcStat, ParsesStatWhateverTheCommandName) {
  for (const std::string comm : {"mixcast", "my (odd) name", "a) b (c", ")", "(", "((", "))",
                                 "x y z 1 2 3", "", "R 1 2", "new\nline"}) {
    const auto stat = parse_proc_stat(stat_line(comm));
    ASSERT_TRUE(stat) << comm;
    EXPECT_EQ(stat->utime_ticks, 1234u) << comm;
    EXPECT_EQ(stat->stime_ticks, 567u) << comm;
    EXPECT_EQ(stat->num_threads, 7u) << comm;
    EXPECT_EQ(stat->starttime_ticks, 98765u) << comm;
  }
  // Older kernels write fewer fields at the end; the ones we read are there.
  const auto short_line = parse_proc_stat("1 (init) S 0 1 1 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 5");
  ASSERT_TRUE(short_line);
  EXPECT_EQ(short_line->starttime_ticks, 5u);
}

TEST(ProcStat, RefusesWhatIsNotAStatLine) {
  for (const std::string& bad : {
           std::string(),
           std::string("garbage"),
           std::string("4242 mixcast S 1 2 3"),
           std::string("4242 (mixcast S 1 4242 4242 0 -1 0 0 0 0 0 1 2 0 0 20 0 7 0 9"),
           std::string("4242 (mixcast) S 1 4242 4242 0 -1 0 0 0 0 0 1 2 0 0 20 0 7 0"),  // short
           std::string("4242 (mixcast) S 1 4242 4242 0 -1 0 0 0 0 0 x 2 0 0 20 0 7 0 9"),
           std::string("4242 (mixcast) S 1 4242 4242 0 -1 0 0 0 0 0 -1 2 0 0 20 0 7 0 9"),
           std::string("4242 (mixcast) S 1 4242 4242 0 -1 0 0 0 0 0 1 2 0 0 20 0 7.5 0 9"),
           std::string("4242 (mixcast) S 1 4242 4242 0 -1 0 0 0 0 0 1 2 0 0 20 0 7 0 "
                       "99999999999999999999"),
           std::string(") 4242 (mixcast"),
       })
    EXPECT_FALSE(parse_proc_stat(bad)) << bad;
}

TEST(ProcStat, ParsesStatmAndBootTime) {
  struct StatmCase {
    std::string text;
    std::optional<std::uint64_t> pages;
  };
  const std::vector<StatmCase> statm = {
      {"298002 3012 1710 312 0 51460 0\n", 3012},
      {"1 2", 2},
      {"298002\n", std::nullopt},
      {"", std::nullopt},
      {"a b c", std::nullopt},
  };
  for (const auto& c : statm) EXPECT_EQ(parse_statm_resident_pages(c.text), c.pages) << c.text;

  struct BootCase {
    std::string text;
    std::optional<std::uint64_t> btime;
  };
  const std::vector<BootCase> boot = {
      {"cpu  1 2 3 4 5 6 7 0 0 0\ncpu0 1 2 3 4 5 6 7 0 0 0\nintr 1 2 3\nctxt 99\n"
       "btime 1700000000\nprocesses 1234\nprocs_running 2\n",
       1700000000},
      {"btime 1700000000", 1700000000},
      {"cpu 1 2\nbtimex 5\nbtime  42  \n", 42},
      {"cpu 1 2\nprocesses 3\n", std::nullopt},
      {"btime\n", std::nullopt},
      {"btime abc\n", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& c : boot) EXPECT_EQ(parse_boot_time(c.text), c.btime) << c.text;
}

TEST(ProcStat, PutsThePiecesTogether) {
  const auto stat = parse_proc_stat(stat_line("my (odd) name"));
  ASSERT_TRUE(stat);
  const auto stats = make_process_stats(*stat, 3012, 4096, 100, 1700000000, 12);
  EXPECT_DOUBLE_EQ(stats.cpu_seconds, 18.01);  // (1234 + 567) / 100
  EXPECT_EQ(stats.resident_bytes, 3012u * 4096u);
  EXPECT_EQ(stats.open_fds, 12u);
  EXPECT_EQ(stats.threads, 7u);
  EXPECT_DOUBLE_EQ(stats.start_time_seconds, 1700000987.65);  // + 98765 / 100
}

TEST(ProcStat, ReadsThisProcess) {
  const auto before = read_process_stats();
  ASSERT_TRUE(before);
  EXPECT_GT(before->resident_bytes, 0u);
  EXPECT_GE(before->threads, 1u);
  EXPECT_GE(before->cpu_seconds, 0);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(before->start_time_seconds, now + 1);
  EXPECT_GT(before->start_time_seconds, now - 24 * 3600) << "a test process started today";

  // Exactly one more when we open one: the count leaves out its own descriptor.
  const int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto after = read_process_stats();
  close(fd);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->open_fds, before->open_fds + 1);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MIXCAST_TEST_ASAN 1
#endif
#endif

TEST(HeapStats, CountWhatIsAllocatedUntilItIsFreed) {
#ifdef MIXCAST_TEST_ASAN
  GTEST_SKIP() << "AddressSanitizer's allocator stands in for glibc's malloc, which this reads";
#else
  constexpr std::uint64_t kBlock = 8u << 20;
  const HeapStats before = read_heap_stats();
  auto* block = static_cast<volatile char*>(std::malloc(kBlock));
  ASSERT_TRUE(block);
  block[0] = 1;
  const HeapStats during = read_heap_stats();
  std::free(const_cast<char*>(block));
  const HeapStats after = read_heap_stats();
  EXPECT_GE(during.allocated_bytes, before.allocated_bytes + kBlock);
  EXPECT_LT(after.allocated_bytes, during.allocated_bytes - kBlock / 2);
#endif
}

TEST(HeapStats, AreWrittenAsGauges) {
  MetricsWriter w;
  write_heap_metrics(w, HeapStats{123456, 789});
  const std::string text = w.text();
  EXPECT_NE(
      text.find("# TYPE mixcast_heap_allocated_bytes gauge\nmixcast_heap_allocated_bytes 123456\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE mixcast_heap_free_bytes gauge\nmixcast_heap_free_bytes 789\n"),
            std::string::npos)
      << text;
}

// ---------------------------------------------------------------- promtool

// promtool on PATH (Debian's prometheus package puts it in /usr/bin), or empty.
std::string find_promtool() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    const size_t colon = dirs.find(':', start);
    const std::string dir = dirs.substr(start, colon - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/promtool";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// `promtool check metrics` with the exposition on its stdin.
PromtoolResult promtool_check(const std::string& promtool, const std::string& exposition) {
  char name[] = "/tmp/mixcast-metrics-XXXXXX";
  const int fd = mkstemp(name);
  if (fd < 0) return {};
  {
    std::ofstream out(name, std::ios::binary);
    out << exposition;
  }
  close(fd);
  const std::string command = "'" + promtool + "' check metrics < '" + name + "' 2>&1";
  PromtoolResult result;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
      result.output.append(buffer, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  unlink(name);
  return result;
}

// What the server's /metrics will hold, with awkward values where they can be.
std::string realistic_exposition() {
  MetricsWriter w;
  w.family("mixcast_build_info", "The version of mixcast running.", MetricType::Gauge);
  w.sample({{"version", "0.1.0"}}, 1);
  w.family("mixcast_rooms", "Rooms open now.", MetricType::Gauge);
  w.sample({}, 2);
  w.family("mixcast_participants", "Participants in a room now.", MetricType::Gauge);
  w.sample({{"room", "demo"}}, 3);
  w.sample({{"room", "caf\xc3\xa9 \"quoted\" back\\slash\nnew line"}}, 0);
  w.sample({{"room", "bad\xff utf-8"}}, 1);
  w.family("mixcast_output_state", "1 for the state each output of a room is in, else 0.",
           MetricType::Gauge);
  for (const char* output : {"rtmp0", "hls"})
    for (const char* state : {"starting", "running", "retrying", "stopped"})
      w.sample({{"room", "demo"}, {"output", output}, {"state", state}},
               std::string(state) == "running" ? 1 : 0);
  w.family("mixcast_output_bytes_total", "Bytes an output has sent.", MetricType::Counter);
  w.sample({{"room", "demo"}, {"output", "rtmp0"}, {"kind", "rtmp"}}, std::uint64_t{1234567890123});
  w.sample({{"room", "demo"}, {"output", "hls"}, {"kind", "hls"}}, 0);
  w.family("mixcast_recordings_active", "Recordings running now.", MetricType::Gauge);
  w.family("mixcast_http_requests_total", "HTTP requests by route, method and status.",
           MetricType::Counter);
  w.sample({{"route", route_label("GET", "/api/v1/rooms/demo/stats")},
            {"method", method_label("GET")},
            {"status", "200"}},
           17);
  w.sample({{"route", route_label("BREW", "/../../etc/passwd")},
            {"method", method_label("BREW")},
            {"status", "405"}},
           1);
  w.family("mixcast_audio_level_dbfs", "Mixed audio level of a room, dBFS.", MetricType::Gauge);
  w.sample({{"room", "demo"}}, -23.25);
  w.sample({{"room", "silent"}}, -std::numeric_limits<double>::infinity());
  w.sample({{"room", "new"}}, std::numeric_limits<double>::quiet_NaN());
  write_process_metrics(w, read_process_stats());
  return w.text();
}

TEST(Promtool, AcceptsTheWritersExposition) {
  const std::string promtool = find_promtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const std::string text = realistic_exposition();
  const auto result = promtool_check(promtool, text);
  EXPECT_EQ(result.exit_code, 0) << result.output << "\n--- exposition:\n" << text;
  EXPECT_EQ(result.output, "") << "\n--- exposition:\n" << text;
  // The process families are there with their samples.
  for (const char* name :
       {"\nprocess_cpu_seconds_total ", "\nprocess_resident_memory_bytes ", "\nprocess_open_fds ",
        "\nprocess_threads ", "\nprocess_start_time_seconds "})
    EXPECT_NE(text.find(name), std::string::npos) << name;
}

TEST(Promtool, AcceptsProcessFamiliesWithoutSamples) {
  const std::string promtool = find_promtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  MetricsWriter w;
  write_process_metrics(w, std::nullopt);
  const auto result = promtool_check(promtool, w.text());
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "");
}

// The check above is only worth something if promtool does complain.
TEST(Promtool, ComplainsAboutABadExposition) {
  const std::string promtool = find_promtool();
  if (promtool.empty()) GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  const auto lint = promtool_check(promtool,
                                   "# HELP mixcast_output_bytes Bytes sent.\n"
                                   "# TYPE mixcast_output_bytes counter\n"
                                   "mixcast_output_bytes 5\n");
  EXPECT_NE(lint.exit_code, 0) << lint.output;
  EXPECT_NE(lint.output.find("_total"), std::string::npos) << lint.output;

  const auto parse = promtool_check(promtool,
                                    "# HELP mixcast_rooms Rooms.\n"
                                    "# TYPE mixcast_rooms gauge\n"
                                    "mixcast_rooms{room=\"a\nb\"} 1\n");
  EXPECT_NE(parse.exit_code, 0) << parse.output;
  EXPECT_NE(parse.output.find("pars"), std::string::npos) << parse.output;
}
