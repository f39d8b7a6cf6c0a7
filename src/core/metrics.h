// A writer of the Prometheus text exposition format 0.0.4, for /metrics.
// Pure code: the server fills one writer per scrape from its status structs.
//
//   MetricsWriter w;
//   w.family("mixcast_rooms", "Rooms open now.", MetricType::Gauge);
//   w.sample({}, 3);
//   w.family("mixcast_output_bytes_total", "Bytes sent.", MetricType::Counter);
//   w.sample({{"room", "a"}, {"output", "rtmp0"}}, 1234);
//   std::string text = w.text();
//
// Every family gets its HELP and TYPE lines, even with no samples. Label
// values and HELP text are escaped (and invalid UTF-8 replaced, since one bad
// byte fails the whole scrape). Misuse is a bug in our code: a bad metric or
// label name, a family declared twice, a counter not ending in "_total" (or a
// gauge ending in it), an empty HELP, a sample before any family, a repeated
// label or series, or a negative counter. By default it throws
// std::logic_error, except in NDEBUG builds, where the bad family or sample is
// left out (and described in misuses()) so that a live server still serves a
// valid exposition.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mixcast {

enum class MetricType { Counter, Gauge };

struct MetricLabel {
  std::string_view name;
  std::string_view value;
};

// The text of a sample value (see MetricsWriter::sample).
std::string format_metric_value(double value);
std::string format_metric_value(std::int64_t value);
std::string format_metric_value(std::uint64_t value);
template <std::integral T>
std::string format_metric_value(T value) {
  if constexpr (std::is_signed_v<T>)
    return format_metric_value(static_cast<std::int64_t>(value));
  else
    return format_metric_value(static_cast<std::uint64_t>(value));
}

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved for Prometheus).
bool valid_label_name(std::string_view name);
// A label value between its double quotes: backslash, double quote and
// newline escaped; invalid UTF-8 becomes U+FFFD.
std::string escape_label_value(std::string_view value);
// HELP text: backslash and newline escaped; invalid UTF-8 becomes U+FFFD.
std::string escape_help(std::string_view help);

class MetricsWriter {
 public:
  enum class OnMisuse { Throw, Drop };
#ifdef NDEBUG
  static constexpr OnMisuse kDefaultOnMisuse = OnMisuse::Drop;
#else
  static constexpr OnMisuse kDefaultOnMisuse = OnMisuse::Throw;
#endif

  explicit MetricsWriter(OnMisuse on_misuse = kDefaultOnMisuse) : on_misuse_(on_misuse) {}

  // Starts a family; the samples that follow belong to it.
  void family(std::string_view name, std::string_view help, MetricType type);

  // One sample of the current family. Integers are written exactly; doubles
  // with the shortest text that reads back to the same value (integral ones
  // without an exponent), NaN, +Inf and -Inf as Prometheus spells them.
  template <std::integral T>
  void sample(std::initializer_list<MetricLabel> labels, T value) {
    sample(std::span<const MetricLabel>(labels.begin(), labels.size()), value);
  }
  template <std::integral T>
  void sample(std::span<const MetricLabel> labels, T value) {
    bool negative = false;
    if constexpr (std::is_signed_v<T>) negative = value < 0;
    add_sample(labels, format_metric_value(value), negative);
  }
  void sample(std::initializer_list<MetricLabel> labels, double value) {
    sample(std::span<const MetricLabel>(labels.begin(), labels.size()), value);
  }
  void sample(std::span<const MetricLabel> labels, double value);

  // The exposition so far: each line ends in '\n'.
  const std::string& text() const {
    return text_;
  }
  // What was left out under OnMisuse::Drop, one message per misuse.
  const std::vector<std::string>& misuses() const {
    return misuses_;
  }

 private:
  void add_sample(std::span<const MetricLabel> labels, const std::string& value, bool negative);
  void misuse(std::string message);

  // Whether the samples that come now have a family to go to.
  enum class State { None, Open, Dropped };

  OnMisuse on_misuse_;
  std::string text_;
  std::set<std::string, std::less<>> families_;  // the names of the families written
  State state_ = State::None;
  std::string family_;  // the current family when Open
  MetricType type_ = MetricType::Gauge;
  std::set<std::string> series_;  // label sets written in the current family
  std::vector<std::string> misuses_;
};

}  // namespace mixcast
