#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

namespace mixcast {

namespace {

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when it is not
// one (overlong forms, surrogates and code points past U+10FFFF included).
size_t utf8_sequence_length(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < (i == 1 ? low : 0x80) || b > (i == 1 ? high : 0xBF)) return 0;
  }
  return length;
}

// Copies `in` with the given characters escaped and each invalid UTF-8 byte
// replaced by U+FFFD.
std::string escape(std::string_view in, bool escape_quote) {
  std::string out;
  out.reserve(in.size());
  while (!in.empty()) {
    const char c = in[0];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && escape_quote) {
      out += "\\\"";
    } else {
      const size_t length = utf8_sequence_length(in);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        in.remove_prefix(1);
        continue;
      }
      out.append(in.substr(0, length));
      in.remove_prefix(length);
      continue;
    }
    in.remove_prefix(1);
  }
  return out;
}

template <typename T>
std::string to_chars_text(T value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty() || is_digit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_letter(c) || is_digit(c) || c == '_' || c == ':'; });
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || is_digit(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_letter(c) || is_digit(c) || c == '_'; });
}

std::string escape_label_value(std::string_view value) {
  return escape(value, true);
}
std::string escape_help(std::string_view help) {
  return escape(help, false);
}

std::string format_metric_value(std::int64_t value) {
  return to_chars_text(value);
}
std::string format_metric_value(std::uint64_t value) {
  return to_chars_text(value);
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return "0";  // -0 too
  char buffer[64];
  // Integral values in plain digits up to 1e21 (as JavaScript does): "1000000", not "1e+06".
  // Everything else in the shortest text that reads back to the same double.
  const bool integral = std::trunc(value) == value && std::fabs(value) < 1e21;
  const auto result =
      integral ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
               : std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void MetricsWriter::misuse(std::string message) {
  if (on_misuse_ == OnMisuse::Throw) throw std::logic_error("metrics: " + message);
  misuses_.push_back(std::move(message));
}

void MetricsWriter::family(std::string_view name, std::string_view help, MetricType type) {
  family_.clear();
  series_.clear();
  state_ = State::Dropped;
  const std::string quoted = "'" + std::string(name) + "'";
  const bool total = name.ends_with("_total");
  if (!valid_metric_name(name)) return misuse("invalid metric name " + quoted);
  if (families_.contains(name)) return misuse("family " + quoted + " declared twice");
  if (type == MetricType::Counter && !total)
    return misuse("counter " + quoted + " does not end in _total");
  if (type == MetricType::Gauge && total) return misuse("gauge " + quoted + " ends in _total");
  if (help.empty()) return misuse("family " + quoted + " has no HELP text");

  families_.emplace(name);
  family_ = name;
  type_ = type;
  state_ = State::Open;
  text_ += "# HELP " + family_ + " " + escape_help(help) + "\n";
  text_ += "# TYPE " + family_ + (type == MetricType::Counter ? " counter\n" : " gauge\n");
}

void MetricsWriter::sample(std::span<const MetricLabel> labels, double value) {
  add_sample(labels, format_metric_value(value), value < 0);
}

void MetricsWriter::add_sample(std::span<const MetricLabel> labels, const std::string& value,
                               bool negative) {
  if (state_ == State::None) return misuse("a sample before any family");
  if (state_ == State::Dropped) return;  // its family was refused (and reported) already
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!valid_label_name(labels[i].name))
      return misuse("invalid label name '" + std::string(labels[i].name) + "' in " + family_);
    for (size_t j = 0; j < i; ++j)
      if (labels[j].name == labels[i].name)
        return misuse("label '" + std::string(labels[i].name) + "' twice in a sample of " +
                      family_);
  }
  if (negative && type_ == MetricType::Counter)
    return misuse("negative value " + value + " for counter " + family_);

  std::string rendered;
  if (!labels.empty()) {
    rendered += '{';
    for (const auto& label : labels) {
      if (rendered.size() > 1) rendered += ',';
      rendered.append(label.name).append("=\"").append(escape_label_value(label.value)) += '"';
    }
    rendered += '}';
  }
  // A series is its set of labels, whatever their order.
  std::vector<MetricLabel> sorted(labels.begin(), labels.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const MetricLabel& a, const MetricLabel& b) { return a.name < b.name; });
  std::string key;  // length-prefixed, so no value can forge another set
  for (const auto& label : sorted)
    for (std::string_view part : {label.name, label.value})
      key.append(std::to_string(part.size())).append(":").append(part);
  if (!series_.insert(std::move(key)).second)
    return misuse("series " + family_ + rendered + " written twice");

  text_ += family_ + rendered + " " + value + "\n";
}

}  // namespace mixcast
