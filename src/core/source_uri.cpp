#include "core/source_uri.h"

#include <charconv>
#include <filesystem>
#include <vector>

namespace mixcast {

namespace {

std::string percent_decode(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int value = 0;
      auto [ptr, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == in.data() + i + 3) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += in[i];
  }
  return out;
}

bool parse_number(const std::string& text, double& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool parse_int(const std::string& text, int& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

bool parse_flag(const std::string& text, bool& out) {
  if (text == "1" || text == "true" || text == "yes") {
    out = true;
    return true;
  }
  if (text == "0" || text == "false" || text == "no") {
    out = false;
    return true;
  }
  return false;
}

std::optional<SourceUri> parse_test(const std::string& rest, std::string& error) {
  SourceUri result;
  result.kind = SourceUri::Kind::Test;
  TestSource& t = result.test;
  const size_t q = rest.find('?');
  const std::string mode = rest.substr(0, q);
  if (mode == "color" || mode.empty()) {
    t.mode = TestSource::Mode::Color;
  } else if (mode == "sync") {
    t.mode = TestSource::Mode::Sync;
    t.tone_hz = 1000;
    t.volume = 0.5;
  } else if (mode == "bars") {
    t.mode = TestSource::Mode::Bars;
  } else {
    error = "unknown test:// mode '" + mode + "' (color, sync or bars)";
    return std::nullopt;
  }
  if (q == std::string::npos) return result;
  std::string query = rest.substr(q + 1);
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string key = pair.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
    bool ok = true;
    if (key == "color") {
      auto c = Color::parse(value);
      ok = c.has_value();
      if (ok) t.color = *c;
    } else if (key == "tone") {
      ok = parse_number(value, t.tone_hz) && t.tone_hz >= 0 && t.tone_hz <= 20000;
    } else if (key == "volume") {
      ok = parse_number(value, t.volume) && t.volume >= 0 && t.volume <= 1;
    } else if (key == "video") {
      ok = parse_flag(value, t.video);
    } else if (key == "audio") {
      ok = parse_flag(value, t.audio);
    } else if (key == "width") {
      ok = parse_int(value, t.width) && t.width >= 16 && t.width <= 3840;
    } else if (key == "height") {
      ok = parse_int(value, t.height) && t.height >= 16 && t.height <= 2160;
    } else if (key == "fps") {
      ok = parse_int(value, t.fps) && t.fps >= 1 && t.fps <= 60;
    } else {
      error = "unknown test:// parameter '" + key + "'";
      return std::nullopt;
    }
    if (!ok) {
      error = "bad value '" + value + "' for test:// parameter '" + key + "'";
      return std::nullopt;
    }
  }
  if (!t.video && !t.audio) {
    error = "a test:// source needs video or audio";
    return std::nullopt;
  }
  return result;
}

}  // namespace

std::optional<SourceUri> parse_source_uri(const std::string& text, const std::string& base_dir,
                                          std::string& error) {
  if (text.empty()) {
    error = "empty source URI";
    return std::nullopt;
  }
  static const std::string kTest = "test://";
  if (text.rfind(kTest, 0) == 0) return parse_test(text.substr(kTest.size()), error);

  SourceUri result;
  result.kind = SourceUri::Kind::Uri;
  const size_t scheme_end = text.find("://");
  if (scheme_end != std::string::npos) {
    const std::string scheme = text.substr(0, scheme_end);
    static const std::vector<std::string> kSchemes = {"file", "rtsp",  "rtsps", "rtmp", "rtmps",
                                                      "http", "https", "srt",   "udp"};
    bool known = false;
    for (const auto& s : kSchemes) known = known || s == scheme;
    if (!known) {
      error = "unsupported URI scheme '" + scheme + "'";
      return std::nullopt;
    }
    result.uri = text;
    return result;
  }
  // A plain path: make it an absolute file:// URI.
  std::filesystem::path path(text);
  if (path.is_relative() && !base_dir.empty()) path = std::filesystem::path(base_dir) / path;
  result.uri = "file://" + std::filesystem::absolute(path).lexically_normal().string();
  return result;
}

}  // namespace mixcast
