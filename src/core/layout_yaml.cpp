// Layout files -> Layout. Strict on purpose: an operator's typo must be reported
// with file, line and field instead of silently giving a different picture.
// Every problem is collected and reported at once. Reference: docs/layouts.md.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <string_view>
#include <utility>

#include "core/layout.h"
#include "core/yaml_guard.h"
#include "core/yaml_keys.h"

namespace mixcast {

namespace {

using Unit = Length::Unit;

template <typename E>
using EnumTable = std::span<const std::pair<std::string_view, E>>;

constexpr std::array<std::pair<std::string_view, Fit>, 3> kFits{{
    {"cover", Fit::Cover},
    {"contain", Fit::Contain},
    {"stretch", Fit::Stretch},
}};
constexpr std::array<std::pair<std::string_view, Arrange>, 3> kArranges{{
    {"grid", Arrange::Grid},
    {"row", Arrange::Row},
    {"column", Arrange::Column},
}};
constexpr std::array<std::pair<std::string_view, Anchor>, 7> kAnchors{{
    {"top-left", Anchor::TopLeft},
    {"top-right", Anchor::TopRight},
    {"bottom-left", Anchor::BottomLeft},
    {"bottom-right", Anchor::BottomRight},
    {"top", Anchor::Top},
    {"bottom", Anchor::Bottom},
    {"center", Anchor::Center},
}};
constexpr std::array<std::pair<std::string_view, SourceKind>, 3> kNamedSources{{
    {"speaker", SourceKind::Speaker},
    {"others", SourceKind::Others},
    {"all", SourceKind::All},
}};
constexpr std::array<std::pair<std::string_view, Unit>, 2> kUnits{{
    {"relative", Unit::Relative},
    {"pixels", Unit::Pixels},
}};

// Limits that keep values sane; documented in docs/layouts.md.
constexpr int kMaxCanvas = 16384;
constexpr int kMaxFps = 240;
constexpr int kMaxZ = 1000;
constexpr int kMaxSlot = 1000;
constexpr int kMaxGap = 1000;
constexpr int kMaxBorder = 64;
constexpr double kMinFontSize = 4;
constexpr double kMaxFontSize = 400;
// Relative values are compared with a little slack so that 0.1 + 0.9 is fine.
constexpr double kEpsilon = 1e-9;

std::string join_path(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}

std::string index_path(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<double> to_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<long long> to_integer(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Plain number formatting for messages: 0.25, 1280, not 0.250000.
std::string format_number(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string format_length(const Length& l) {
  return l.unit == Unit::Pixels ? format_number(l.value) + "px" : format_number(l.value);
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return "'" + node.Scalar() + "'";
}

template <typename E>
std::vector<std::string_view> names_of(EnumTable<E> table) {
  std::vector<std::string_view> names;
  for (const auto& entry : table) names.push_back(entry.first);
  return names;
}

// One key of a YAML map, with the nodes needed to point at it.
struct Field {
  std::string key;
  std::string path;  // dotted path, e.g. regions[2].width
  YAML::Node key_node;
  YAML::Node value;
  // Where to point: the value, except that yaml-cpp places an empty value on
  // the following line, so then the key.
  const YAML::Node& where() const {
    return (value.IsNull() || value.Mark().line < 0) ? key_node : value;
  }
};

// The known keys of a map, after unknown and duplicate keys were reported.
class MapView {
 public:
  MapView(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}
  const Field* get(std::string_view key) const {
    for (const auto& field : fields_) {
      if (field.key == key) return &field;
    }
    return nullptr;
  }
  bool has(std::string_view key) const { return get(key) != nullptr; }
  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return join_path(path_, key); }
  void add(Field field) { fields_.push_back(std::move(field)); }
  // False when a key was misspelt (and reported): checks that need a key's
  // companion would then only repeat the same mistake.
  bool clean() const { return clean_; }
  void set_unclean() { clean_ = false; }

 private:
  YAML::Node node_;
  std::string path_;
  std::vector<Field> fields_;
  bool clean_ = true;
};

class Parser {
 public:
  explicit Parser(std::string file)
      : file_(std::move(file)), dir_(std::filesystem::path(file_).parent_path()) {}

  Layout parse(const YAML::Node& root);

  // Issues in file order, which is how an operator reads them.
  std::vector<FileIssue> issues() const {
    auto out = issues_;
    std::stable_sort(out.begin(), out.end(), [](const FileIssue& a, const FileIssue& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    return out;
  }

 private:
  void issue(const YAML::Node& at, std::string field, std::string message) {
    FileIssue item;
    item.file = file_;
    const YAML::Mark mark = at.IsDefined() ? at.Mark() : YAML::Mark::null_mark();
    if (mark.line >= 0) {
      item.line = mark.line + 1;
      item.column = mark.column + 1;
    }
    item.field = std::move(field);
    item.message = std::move(message);
    issues_.push_back(std::move(item));
  }
  void issue(const Field& f, std::string message) { issue(f.where(), f.path, std::move(message)); }

  static int line_of(const YAML::Node& node) {
    return node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  }

  std::optional<MapView> open_map(const YAML::Node& node, const std::string& path,
                                  std::span<const std::string_view> allowed);
  bool expect_list(const Field& f);

  std::optional<std::string> read_scalar(const Field& f, std::string_view expected);
  std::optional<std::string> read_string(const Field& f);
  std::optional<int> read_int(const Field& f, long long lo, long long hi);
  std::optional<double> read_double(const Field& f, double lo, double hi);
  std::optional<bool> read_bool(const Field& f);
  std::optional<Color> read_color(const Field& f);
  std::optional<Length> read_length(const Field& f);
  std::string read_path(const Field& f);
  template <typename E>
  std::optional<E> read_enum(const Field& f, EnumTable<E> table);

  void parse_canvas(const Field& f, Canvas& canvas);
  std::optional<LabelStyle> parse_label(const Field& f, const LabelStyle& base);
  std::optional<BorderStyle> parse_border(const Field& f, const BorderStyle& base);
  std::optional<PlaceholderStyle> parse_placeholder(const Field& f, const PlaceholderStyle& base);
  std::vector<Region> parse_regions(const Field& f);
  Region parse_region(const YAML::Node& node, const std::string& path, size_t index);
  void parse_show(const Field& f, Region& region);
  void check_axis(const MapView& map, const char* start_key, const char* size_key,
                  const std::optional<Length>& start, const std::optional<Length>& size,
                  int canvas_extent);
  std::vector<LayoutVariant> parse_variants(const Field& f);
  std::vector<Overlay> parse_overlays(const Field& f);
  Overlay parse_overlay(const YAML::Node& node, const std::string& path);

  std::string file_;
  std::filesystem::path dir_;
  std::vector<FileIssue> issues_;
  // What the rest of the file is read against.
  Unit units_ = Unit::Relative;
  int canvas_width_ = 0;
  int canvas_height_ = 0;
  Layout defaults_;  // label/border/placeholder defaults that regions override
};

std::optional<MapView> Parser::open_map(const YAML::Node& node, const std::string& path,
                                        std::span<const std::string_view> allowed) {
  if (!node.IsMap()) {
    issue(node, path, "expected a map (key: value) but found " + describe(node));
    return std::nullopt;
  }
  MapView view(node, path);
  for (const auto& entry : node) {
    const YAML::Node& key_node = entry.first;
    if (!key_node.IsScalar()) {
      issue(key_node, path, "keys must be plain names, found " + describe(key_node));
      view.set_unclean();
      continue;
    }
    const std::string& key = key_node.Scalar();
    const std::string field_path = join_path(path, key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      issue(key_node, field_path, unknown_key_message(key, allowed));
      view.set_unclean();
      continue;
    }
    if (view.has(key)) {
      // yaml-cpp keeps both; which one wins would be a surprise.
      issue(key_node, field_path, "duplicate key '" + key + "'");
      continue;
    }
    view.add(Field{key, field_path, key_node, entry.second});
  }
  return view;
}

bool Parser::expect_list(const Field& f) {
  if (f.value.IsSequence()) return true;
  issue(f, "expected a list (lines starting with '- ') but found " + describe(f.value));
  return false;
}

std::optional<std::string> Parser::read_scalar(const Field& f, std::string_view expected) {
  if (f.value.IsScalar()) return f.value.Scalar();
  issue(f, "expected " + std::string(expected) + " but found " + describe(f.value));
  return std::nullopt;
}

std::optional<std::string> Parser::read_string(const Field& f) {
  auto text = read_scalar(f, "text");
  if (text && trim(*text).empty()) {
    issue(f, "must not be empty");
    return std::nullopt;
  }
  return text;
}

std::optional<int> Parser::read_int(const Field& f, long long lo, long long hi) {
  auto text = read_scalar(f, "a whole number");
  if (!text) return std::nullopt;
  const auto value = to_integer(*text);
  if (!value) {
    issue(f, "expected a whole number but found '" + *text + "'");
    return std::nullopt;
  }
  if (*value < lo || *value > hi) {
    issue(f, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " (found " +
                 std::to_string(*value) + ")");
    return std::nullopt;
  }
  return int(*value);
}

std::optional<double> Parser::read_double(const Field& f, double lo, double hi) {
  auto text = read_scalar(f, "a number");
  if (!text) return std::nullopt;
  const auto value = to_number(*text);
  if (!value) {
    issue(f, "expected a number but found '" + *text + "'");
    return std::nullopt;
  }
  if (*value < lo || *value > hi) {
    issue(f, "must be between " + format_number(lo) + " and " + format_number(hi) + " (found " +
                 format_number(*value) + ")");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Parser::read_bool(const Field& f) {
  auto text = read_scalar(f, "true or false");
  if (!text) return std::nullopt;
  const std::string word = lower(trim(*text));
  if (word == "true" || word == "yes" || word == "on") return true;
  if (word == "false" || word == "no" || word == "off") return false;
  issue(f, "expected true or false but found '" + *text + "'");
  return std::nullopt;
}

std::optional<Color> Parser::read_color(const Field& f) {
  if (f.value.IsNull()) {
    // The classic: `color: #ff0000` is a YAML comment, so the value is empty.
    issue(f, "expected a colour but found nothing; quote hex colours: \"#rrggbb\"");
    return std::nullopt;
  }
  auto text = read_scalar(f, "a colour");
  if (!text) return std::nullopt;
  if (auto color = Color::parse(trim(*text))) return color;
  issue(f, "'" + *text +
               "' is not a colour; use \"#rrggbb\", \"#rrggbbaa\" or one of: black, white, red, "
               "green, blue, yellow, cyan, magenta, gray, orange, purple");
  return std::nullopt;
}

std::optional<Length> Parser::read_length(const Field& f) {
  auto text = read_scalar(f, "a length");
  if (!text) return std::nullopt;
  std::string_view s = trim(*text);
  std::optional<double> value;
  Length length;
  if (s.ends_with('%')) {
    s.remove_suffix(1);
    value = to_number(s);
    if (value) length = {*value / 100.0, Unit::Relative};
  } else if (s.ends_with("px")) {
    s.remove_suffix(2);
    value = to_number(s);
    if (value) length = {*value, Unit::Pixels};
  } else {
    value = to_number(s);
    if (value) length = {*value, units_};
  }
  if (!value) {
    issue(f,
          "expected a number, a percentage such as \"25%\" or pixels such as \"320px\" but "
          "found '" +
              *text + "'");
    return std::nullopt;
  }
  return length;
}

// Image paths are written relative to the layout file, so resolve them here;
// nothing later knows where the layout came from.
std::string Parser::read_path(const Field& f) {
  const auto text = read_string(f);
  if (!text) return {};
  const std::filesystem::path path(*text);
  if (path.is_absolute() || dir_.empty()) return path.lexically_normal().string();
  return (dir_ / path).lexically_normal().string();
}

template <typename E>
std::optional<E> Parser::read_enum(const Field& f, EnumTable<E> table) {
  const auto names = names_of(table);
  std::string list;
  for (auto name : names) list += (list.empty() ? "" : ", ") + std::string(name);
  auto text = read_scalar(f, "one of: " + list);
  if (!text) return std::nullopt;
  const std::string word(trim(*text));
  for (const auto& [name, value] : table) {
    if (name == word) return value;
  }
  issue(f, unknown_value_message(word, names));
  return std::nullopt;
}

Layout Parser::parse(const YAML::Node& root) {
  Layout layout;
  static constexpr std::array<std::string_view, 9> kKeys{"name",    "canvas",   "units",
                                                         "label",   "border",   "placeholder",
                                                         "regions", "variants", "overlays"};
  if (!root.IsDefined() || root.IsNull()) {
    issue(root, "", "the layout is empty; it needs at least 'regions'");
    return layout;
  }
  auto map = open_map(root, "", kKeys);
  if (!map) return layout;

  // Order matters: units and canvas are needed to check regions, and the
  // default styles are what per-region overrides start from.
  if (const auto* f = map->get("name")) {
    if (auto name = read_string(*f)) {
      const bool ok = std::all_of(name->begin(), name->end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
      if (ok) {
        layout.name = *name;
      } else {
        issue(*f, "'" + *name + "' is not a valid name; use letters, digits, '-', '_' and '.'");
      }
    }
  }
  if (layout.name.empty()) layout.name = std::filesystem::path(file_).stem().string();
  if (const auto* f = map->get("units")) {
    if (auto units = read_enum<Unit>(*f, kUnits)) units_ = *units;
  }
  if (const auto* f = map->get("canvas")) parse_canvas(*f, layout.canvas);
  if (const auto* f = map->get("label")) {
    if (auto label = parse_label(*f, layout.label)) layout.label = *label;
  }
  if (const auto* f = map->get("border")) {
    if (auto border = parse_border(*f, layout.border)) layout.border = *border;
  }
  if (const auto* f = map->get("placeholder")) {
    if (auto placeholder = parse_placeholder(*f, layout.placeholder)) {
      layout.placeholder = *placeholder;
    }
  }
  defaults_ = layout;

  if (const auto* f = map->get("regions")) layout.regions = parse_regions(*f);
  if (const auto* f = map->get("variants")) layout.variants = parse_variants(*f);
  if (const auto* f = map->get("overlays")) layout.overlays = parse_overlays(*f);
  // The top-level regions are what is shown when no variant matches.
  if (!map->has("regions") && !map->has("variants")) {
    issue(root, "regions", "missing: a layout needs at least one region");
  }
  return layout;
}

void Parser::parse_canvas(const Field& f, Canvas& canvas) {
  static constexpr std::array<std::string_view, 5> kKeys{"width", "height", "fps", "background",
                                                         "background_image"};
  auto map = open_map(f.value, f.path, kKeys);
  if (!map) return;
  std::optional<int> width, height;
  if (const auto* w = map->get("width")) width = read_int(*w, 1, kMaxCanvas);
  if (const auto* h = map->get("height")) height = read_int(*h, 1, kMaxCanvas);
  if (map->has("width") != map->has("height") && map->clean()) {
    const Field& given = map->has("width") ? *map->get("width") : *map->get("height");
    issue(given, "canvas width and height go together; give both or neither");
  } else if (width && height && map->has("width") && map->has("height")) {
    canvas.width = *width;
    canvas.height = *height;
    canvas_width_ = *width;
    canvas_height_ = *height;
  }
  if (const auto* fps = map->get("fps")) {
    if (auto value = read_int(*fps, 1, kMaxFps)) canvas.fps = *value;
  }
  if (const auto* bg = map->get("background")) {
    if (auto color = read_color(*bg)) canvas.background = *color;
  }
  if (const auto* image = map->get("background_image")) canvas.background_image = read_path(*image);
}

std::optional<LabelStyle> Parser::parse_label(const Field& f, const LabelStyle& base) {
  LabelStyle style = base;
  // `label: false` is the short way to turn labels off.
  if (f.value.IsScalar()) {
    auto show = read_bool(f);
    if (!show) return std::nullopt;
    style.show = *show;
    return style;
  }
  static constexpr std::array<std::string_view, 5> kKeys{"show", "position", "font", "color",
                                                         "background"};
  auto map = open_map(f.value, f.path, kKeys);
  if (!map) return std::nullopt;
  if (const auto* show = map->get("show")) {
    if (auto value = read_bool(*show)) style.show = *value;
  }
  if (const auto* position = map->get("position")) {
    if (auto value = read_enum<Anchor>(*position, kAnchors)) style.position = *value;
  }
  if (const auto* font = map->get("font")) {
    if (auto value = read_string(*font)) {
      // Pango descriptions end with the size ("Sans Bold 14"); catch absurd ones.
      const std::string_view text = trim(*value);
      const auto last_space = text.find_last_of(' ');
      std::string_view size =
          last_space == std::string_view::npos ? text : text.substr(last_space + 1);
      if (size.ends_with("px")) size.remove_suffix(2);
      const auto points = to_number(size);
      if (points && (*points < kMinFontSize || *points > kMaxFontSize)) {
        issue(*font, "font size must be between " + format_number(kMinFontSize) + " and " +
                         format_number(kMaxFontSize) + " (found " + format_number(*points) + ")");
      } else {
        style.font = *value;
      }
    }
  }
  if (const auto* color = map->get("color")) {
    if (auto value = read_color(*color)) style.color = *value;
  }
  if (const auto* background = map->get("background")) {
    if (auto value = read_color(*background)) style.background = *value;
  }
  return style;
}

std::optional<BorderStyle> Parser::parse_border(const Field& f, const BorderStyle& base) {
  BorderStyle style = base;
  if (f.value.IsScalar()) {
    auto show = read_bool(f);
    if (!show) return std::nullopt;
    if (*show) {
      issue(f, "say how wide: border: {width: 2, color: \"#ffffff\"}");
      return std::nullopt;
    }
    style.width = 0;  // `border: false`
    return style;
  }
  static constexpr std::array<std::string_view, 2> kKeys{"width", "color"};
  auto map = open_map(f.value, f.path, kKeys);
  if (!map) return std::nullopt;
  if (const auto* width = map->get("width")) {
    if (auto value = read_int(*width, 0, kMaxBorder)) style.width = *value;
  }
  if (const auto* color = map->get("color")) {
    if (auto value = read_color(*color)) style.color = *value;
  }
  return style;
}

std::optional<PlaceholderStyle> Parser::parse_placeholder(const Field& f,
                                                          const PlaceholderStyle& base) {
  static constexpr std::array<std::string_view, 2> kKeys{"color", "image"};
  auto map = open_map(f.value, f.path, kKeys);
  if (!map) return std::nullopt;
  PlaceholderStyle style = base;
  if (const auto* color = map->get("color")) {
    if (auto value = read_color(*color)) style.color = *value;
  }
  if (const auto* image = map->get("image")) style.image = read_path(*image);
  return style;
}

std::vector<Region> Parser::parse_regions(const Field& f) {
  std::vector<Region> regions;
  if (!expect_list(f)) return regions;
  if (f.value.size() == 0) {
    issue(f, "needs at least one region");
    return regions;
  }
  for (size_t i = 0; i < f.value.size(); ++i) {
    const std::string path = index_path(f.path, i);
    Region region = parse_region(f.value[i], path, i);
    // Ids name tiles in the API and in messages: they must tell regions apart.
    for (size_t j = 0; j < regions.size(); ++j) {
      if (regions[j].id == region.id) {
        issue(f.value[i], path + ".id",
              "duplicate region id '" + region.id + "' (also " + index_path(f.path, j) + ")");
        break;
      }
    }
    regions.push_back(std::move(region));
  }
  return regions;
}

Region Parser::parse_region(const YAML::Node& node, const std::string& path, size_t index) {
  static constexpr std::array<std::string_view, 14> kKeys{
      "id",   "x",       "y",   "width", "height", "z",      "fit",
      "show", "arrange", "max", "gap",   "label",  "border", "placeholder"};
  Region region;
  region.id = "region" + std::to_string(index);
  region.width = {1.0, Unit::Relative};
  region.height = {1.0, Unit::Relative};
  region.line = line_of(node);
  auto map = open_map(node, path, kKeys);
  if (!map) return region;

  if (const auto* f = map->get("id")) {
    if (auto id = read_string(*f)) region.id = *id;
  }
  // Lengths: unset ones keep their defaults (x, y = 0; width, height = 100%).
  std::optional<Length> x = region.x, y = region.y, width = region.width, height = region.height;
  if (const auto* f = map->get("x")) x = read_length(*f);
  if (const auto* f = map->get("y")) y = read_length(*f);
  if (const auto* f = map->get("width")) width = read_length(*f);
  if (const auto* f = map->get("height")) height = read_length(*f);
  check_axis(*map, "x", "width", x, width, canvas_width_);
  check_axis(*map, "y", "height", y, height, canvas_height_);
  if (x) region.x = *x;
  if (y) region.y = *y;
  if (width) region.width = *width;
  if (height) region.height = *height;

  if (const auto* f = map->get("z")) {
    if (auto z = read_int(*f, 1, kMaxZ)) region.z = *z;
  }
  if (const auto* f = map->get("fit")) {
    if (auto fit = read_enum<Fit>(*f, kFits)) region.fit = *fit;
  }
  if (const auto* f = map->get("show")) parse_show(*f, region);

  // arrange/max/gap mean nothing for a one-person region: say so rather than
  // let the operator wonder why they have no effect.
  const bool arranged = region.source == SourceKind::Others || region.source == SourceKind::All;
  for (const char* key : {"arrange", "max", "gap"}) {
    const auto* f = map->get(key);
    if (f != nullptr && !arranged) {
      issue(*f, std::string("only applies to regions with show: others or show: all"));
    }
  }
  if (const auto* f = map->get("arrange"); f && arranged) {
    if (auto arrange = read_enum<Arrange>(*f, kArranges)) region.arrange = *arrange;
  }
  if (const auto* f = map->get("max"); f && arranged) {
    if (auto max = read_int(*f, 0, std::numeric_limits<int>::max())) region.max = *max;
  }
  if (const auto* f = map->get("gap"); f && arranged) {
    if (auto gap = read_int(*f, 0, kMaxGap)) region.gap = *gap;
  }

  // Overrides start from the layout's defaults, so `label: {position: top}`
  // keeps the layout's font and colours.
  if (const auto* f = map->get("label")) region.label = parse_label(*f, defaults_.label);
  if (const auto* f = map->get("border")) region.border = parse_border(*f, defaults_.border);
  if (const auto* f = map->get("placeholder")) {
    region.placeholder = parse_placeholder(*f, defaults_.placeholder);
  }
  return region;
}

void Parser::parse_show(const Field& f, Region& region) {
  if (f.value.IsScalar()) {
    if (auto kind = read_enum<SourceKind>(f, kNamedSources)) region.source = *kind;
    return;
  }
  static constexpr std::array<std::string_view, 2> kKeys{"slot", "identity"};
  if (!f.value.IsMap()) {
    issue(f, "expected speaker, others, all, {slot: N} or {identity: NAME} but found " +
                 describe(f.value));
    return;
  }
  auto map = open_map(f.value, f.path, kKeys);
  if (!map) return;
  const auto* slot = map->get("slot");
  const auto* identity = map->get("identity");
  if ((slot != nullptr) == (identity != nullptr)) {
    if (slot != nullptr || identity != nullptr || f.value.size() == 0) {
      issue(f, "give exactly one of {slot: N} or {identity: NAME}");
    }
    return;
  }
  if (slot != nullptr) {
    if (auto value = read_int(*slot, 0, kMaxSlot)) {
      region.source = SourceKind::Slot;
      region.slot = *value;
    }
  } else if (auto value = read_string(*identity)) {
    region.source = SourceKind::Identity;
    region.identity = *value;
  }
}

// One axis of a region: start (x or y) and size (width or height). Checks what
// can be checked: relative values against 1, pixels against the canvas when
// the layout sets one (otherwise the engine clips at run time).
void Parser::check_axis(const MapView& map, const char* start_key, const char* size_key,
                        const std::optional<Length>& start, const std::optional<Length>& size,
                        int canvas_extent) {
  const Field* start_field = map.get(start_key);
  const Field* size_field = map.get(size_key);
  auto report = [&](const Field* field, const char* key, std::string message) {
    if (field != nullptr) {
      issue(*field, std::move(message));
    } else {
      issue(map.node(), map.path_of(key), std::move(message));
    }
  };
  // Both values in canvas pixels, when that is possible.
  auto in_pixels = [&](const Length& l) -> std::optional<double> {
    if (l.unit == Unit::Pixels) return l.value;
    if (canvas_extent > 0) return l.value * canvas_extent;
    return std::nullopt;
  };
  const char* extent_name = std::strcmp(size_key, "width") == 0 ? "width" : "height";

  bool start_ok = start.has_value();
  if (start && start->value < 0) {
    report(start_field, start_key, "must not be negative (found " + format_length(*start) + ")");
    start_ok = false;
  } else if (start) {
    const bool off_relative = start->unit == Unit::Relative && start->value >= 1 - kEpsilon;
    const auto px = in_pixels(*start);
    const bool off_pixels = px && canvas_extent > 0 && *px >= canvas_extent;
    if (off_relative || off_pixels) {
      report(start_field, start_key, "is off the canvas (found " + format_length(*start) + ")");
      start_ok = false;
    }
  }
  bool size_ok = size.has_value();
  if (size && size->value <= 0) {
    report(size_field, size_key, "must be greater than 0 (found " + format_length(*size) + ")");
    size_ok = false;
  } else if (size && size->unit == Unit::Relative && size->value > 1 + kEpsilon) {
    report(size_field, size_key, "is larger than the canvas (found " + format_length(*size) + ")");
    size_ok = false;
  }
  if (!start_ok || !size_ok) return;

  const std::string defaulted =
      size_field == nullptr ? std::string(" (") + size_key + " defaults to 100%)" : std::string();
  if (start->unit == Unit::Relative && size->unit == Unit::Relative) {
    const double end = start->value + size->value;
    if (end > 1 + kEpsilon) {
      report(size_field, size_key,
             "region runs off the canvas: " + std::string(start_key) + " + " + size_key + " = " +
                 format_number(end) + ", more than 1" + defaulted);
    }
    return;
  }
  const auto start_px = in_pixels(*start);
  const auto size_px = in_pixels(*size);
  if (start_px && size_px && canvas_extent > 0 && *start_px + *size_px > canvas_extent + 1e-6) {
    report(size_field, size_key,
           "region runs off the canvas: " + std::string(start_key) + " + " + size_key + " = " +
               format_number(*start_px + *size_px) + "px, more than the canvas " + extent_name +
               " of " + std::to_string(canvas_extent) + "px" + defaulted);
  }
}

std::vector<LayoutVariant> Parser::parse_variants(const Field& f) {
  std::vector<LayoutVariant> variants;
  if (!expect_list(f)) return variants;
  static constexpr std::array<std::string_view, 2> kKeys{"participants", "regions"};
  static constexpr std::array<std::string_view, 2> kRangeKeys{"min", "max"};
  std::vector<bool> range_ok;
  for (size_t i = 0; i < f.value.size(); ++i) {
    const YAML::Node& node = f.value[i];
    LayoutVariant variant;
    variant.line = line_of(node);
    auto map = open_map(node, index_path(f.path, i), kKeys);
    if (!map) continue;
    bool ok = false;
    const auto* participants = map->get("participants");
    if (participants == nullptr) {
      issue(node, map->path_of("participants"),
            "missing: say which counts this variant is for, e.g. participants: 2 or "
            "participants: {min: 2, max: 4}");
    } else if (participants->value.IsScalar()) {
      // Exact count. 0 participants never have tiles, so a variant for 0 is moot.
      if (auto n = read_int(*participants, 1, kMaxSlot)) {
        variant.min_participants = variant.max_participants = *n;
        ok = true;
      }
    } else if (auto range = open_map(participants->value, participants->path, kRangeKeys)) {
      std::optional<int> lo = 0, hi = 0;
      if (const auto* min = range->get("min")) lo = read_int(*min, 0, kMaxSlot);
      // max: 0 would read as "no upper bound"; leaving max out says that.
      if (const auto* max = range->get("max")) hi = read_int(*max, 1, kMaxSlot);
      if (!range->has("min") && !range->has("max")) {
        if (range->clean()) issue(*participants, "give min, max or both");
      } else if (!range->clean()) {
        // A misspelt key was reported; a half-read range would only mislead.
      } else if (lo && hi) {
        if (*hi != 0 && *lo > *hi) {
          issue(*range->get("max"),
                "max (" + std::to_string(*hi) + ") is less than min (" + std::to_string(*lo) + ")");
        } else {
          variant.min_participants = *lo;
          variant.max_participants = *hi;
          ok = true;
        }
      }
    }
    // The first matching variant wins, so an overlap would silently shadow.
    if (ok) {
      for (size_t j = 0; j < variants.size(); ++j) {
        if (!range_ok[j]) continue;
        const auto& other = variants[j];
        const long long hi = variant.max_participants == 0 ? std::numeric_limits<int>::max()
                                                           : variant.max_participants;
        const long long other_hi =
            other.max_participants == 0 ? std::numeric_limits<int>::max() : other.max_participants;
        if (variant.min_participants <= other_hi && other.min_participants <= hi) {
          issue(*participants, "overlaps " + index_path(f.path, j) +
                                   " (the first variant that matches a count wins)");
          ok = false;
          break;
        }
      }
    }
    if (const auto* regions = map->get("regions")) {
      variant.regions = parse_regions(*regions);
    } else {
      issue(node, map->path_of("regions"), "missing: a variant needs its regions");
    }
    range_ok.push_back(ok);
    variants.push_back(std::move(variant));
  }
  return variants;
}

std::vector<Overlay> Parser::parse_overlays(const Field& f) {
  std::vector<Overlay> overlays;
  if (!expect_list(f)) return overlays;
  for (size_t i = 0; i < f.value.size(); ++i) {
    overlays.push_back(parse_overlay(f.value[i], index_path(f.path, i)));
  }
  return overlays;
}

Overlay Parser::parse_overlay(const YAML::Node& node, const std::string& path) {
  static constexpr std::array<std::string_view, 9> kKeys{"image",  "text", "x",     "y",    "width",
                                                         "height", "font", "color", "alpha"};
  Overlay overlay;
  overlay.line = line_of(node);
  auto map = open_map(node, path, kKeys);
  if (!map) return overlay;
  const auto* image = map->get("image");
  const auto* text = map->get("text");
  if ((image != nullptr) == (text != nullptr)) {
    issue(node, path, "an overlay has either 'image' or 'text' (exactly one)");
    return overlay;
  }
  if (image != nullptr) {
    overlay.kind = Overlay::Kind::Image;
    overlay.image = read_path(*image);
    for (const char* key : {"font", "color"}) {
      if (const auto* f = map->get(key)) issue(*f, "only applies to text overlays");
    }
    for (const char* key : {"width", "height"}) {
      const auto* f = map->get(key);
      if (f == nullptr) continue;
      auto length = read_length(*f);
      if (length && length->value <= 0) {
        issue(*f, "must be greater than 0 (found " + format_length(*length) + ")");
      } else if (length && std::strcmp(key, "width") == 0) {
        overlay.width = length;
      } else if (length) {
        overlay.height = length;
      }
    }
  } else {
    overlay.kind = Overlay::Kind::Text;
    if (auto value = read_string(*text)) overlay.text = *value;
    for (const char* key : {"width", "height"}) {
      if (const auto* f = map->get(key)) issue(*f, "only applies to image overlays");
    }
    if (const auto* f = map->get("font")) {
      if (auto font = read_string(*f)) overlay.font = *font;
    }
    if (const auto* f = map->get("color")) {
      if (auto color = read_color(*f)) overlay.color = *color;
    }
  }
  // The top-left corner must be on the canvas; the rest may be clipped.
  auto place = [&](const char* key, int extent, Length& out) {
    const auto* f = map->get(key);
    if (f == nullptr) return;
    auto length = read_length(*f);
    if (!length) return;
    const bool negative = length->value < 0;
    const bool off = (length->unit == Unit::Relative && length->value >= 1) ||
                     (length->unit == Unit::Pixels && extent > 0 && length->value >= extent);
    if (negative || off) {
      issue(*f, "is off the canvas (found " + format_length(*length) + ")");
      return;
    }
    out = *length;
  };
  place("x", canvas_width_, overlay.x);
  place("y", canvas_height_, overlay.y);
  if (const auto* f = map->get("alpha")) {
    if (auto alpha = read_double(*f, 0, 1)) overlay.alpha = *alpha;
  }
  return overlay;
}

// Whether line `index` (0-based) starts with whitespace containing a tab: the
// usual cause of yaml-cpp's less than obvious indentation errors.
bool indented_with_tab(std::string_view text, int index) {
  if (index < 0) return false;
  for (int i = 0; i < index; ++i) {
    const auto end = text.find('\n');
    if (end == std::string_view::npos) return false;
    text.remove_prefix(end + 1);
  }
  for (char c : text) {
    if (c == '\t') return true;
    if (c != ' ') return false;
  }
  return false;
}

}  // namespace

Layout parse_layout(const std::string& yaml_text, const std::string& file) {
  check_yaml_terminates(yaml_text, file);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    FileIssue issue;
    issue.file = file;
    if (e.mark.line >= 0) {
      issue.line = e.mark.line + 1;
      issue.column = e.mark.column + 1;
    }
    issue.message = "malformed YAML: " + e.msg;
    if (e.msg.find("tab") == std::string::npos && indented_with_tab(yaml_text, e.mark.line)) {
      issue.message += " (YAML does not allow tabs for indentation; use spaces)";
    }
    throw FileError({issue});
  }
  Parser parser(file);
  Layout layout;
  std::vector<FileIssue> issues;
  try {
    layout = parser.parse(root);
    issues = parser.issues();
  } catch (const YAML::Exception& e) {
    // Not expected (the walk checks node types first), but never let a YAML
    // exception escape without a file name.
    issues = parser.issues();
    FileIssue issue;
    issue.file = file;
    if (e.mark.line >= 0) issue.line = e.mark.line + 1;
    issue.message = e.msg;
    issues.push_back(issue);
  }
  IssueList list;
  for (auto& issue : issues) list.add(std::move(issue));
  list.throw_if_any();
  layout.file = file;
  return layout;
}

Layout load_layout_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    FileIssue issue;
    issue.file = path;
    issue.message = std::string("cannot read layout file: ") + std::strerror(errno);
    throw FileError({issue});
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_layout(text.str(), path);
}

}  // namespace mixcast
