// Layout files and the layout engine (pure: no GStreamer).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/layout.h"

#ifndef MIXCAST_SOURCE_ROOT
#error "MIXCAST_SOURCE_ROOT must be defined by the test build"
#endif

namespace mixcast {
namespace {

// ---------------------------------------------------------------- helpers --

// Joins lines with '\n' so that a test can state line numbers by position.
std::string lines(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto part : parts) {
    out += part;
    out += '\n';
  }
  return out;
}

Layout parse(const std::string& yaml) {
  return parse_layout(yaml, "test.yaml");
}

// Issues of a file that must not parse; empty when it parsed.
std::vector<FileIssue> issues_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const FileError& e) {
    return e.issues();
  }
  return {};
}

ParticipantView person(std::string id, int slot, std::string identity = "") {
  ParticipantView p;
  p.id = std::move(id);
  p.identity = std::move(identity);
  p.display_name = "Name of " + p.id;
  p.slot = slot;
  p.video_width = 1280;
  p.video_height = 720;
  return p;
}

LayoutInput room(int width, int height, int count) {
  LayoutInput input;
  input.canvas_width = width;
  input.canvas_height = height;
  for (int i = 0; i < count; ++i) input.participants.push_back(person("p" + std::to_string(i), i));
  return input;
}

Rect canvas_of(const Composition& c) {
  return {0, 0, c.canvas_width, c.canvas_height};
}

bool inside(const Rect& inner, const Rect& outer) {
  return inner.x >= outer.x && inner.y >= outer.y &&
         inner.x + inner.width <= outer.x + outer.width &&
         inner.y + inner.height <= outer.y + outer.height;
}

bool overlap(const Rect& a, const Rect& b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

long long area(const Rect& r) {
  return (long long)r.width * r.height;
}

// region id -> participant ids, in tile order.
std::map<std::string, std::vector<std::string>> by_region(const Composition& c) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& tile : c.tiles) out[tile.region_id].push_back(tile.participant_id);
  return out;
}

const Tile* tile_of(const Composition& c, const std::string& participant) {
  for (const auto& tile : c.tiles) {
    if (tile.participant_id == participant) return &tile;
  }
  return nullptr;
}

Layout grid_layout(int gap, Arrange arrange = Arrange::Grid) {
  Layout layout = builtin_grid_layout();
  layout.regions[0].gap = gap;
  layout.regions[0].arrange = arrange;
  return layout;
}

// ------------------------------------------------------------ geometry --

struct ColorCase {
  std::string text;
  std::optional<Color> expected;
};

TEST(Color, Parse) {
  const std::vector<ColorCase> cases = {
      {"#000000", Color{0, 0, 0, 255}},
      {"#ff8000", Color{255, 128, 0, 255}},
      {"#FF8000", Color{255, 128, 0, 255}},
      {"#10203040", Color{16, 32, 48, 64}},
      {"white", Color{255, 255, 255, 255}},
      {"Red", Color{255, 0, 0, 255}},
      {"gray", Color{128, 128, 128, 255}},
      {"orange", Color{255, 165, 0, 255}},
      {"purple", Color{128, 0, 128, 255}},
      {"#fff", std::nullopt},
      {"#12345", std::nullopt},
      {"#1234567", std::nullopt},
      {"#gg0000", std::nullopt},
      {"0xff000000", std::nullopt},
      {"", std::nullopt},
      {"#", std::nullopt},
      {"grey", std::nullopt},
      {"whitee", std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Color::parse(c.text), c.expected) << c.text;
  }
}

TEST(Color, ToHexRoundTrips) {
  const std::vector<std::pair<Color, std::string>> cases = {
      {{0, 0, 0, 255}, "#000000"},
      {{255, 128, 1, 255}, "#ff8001"},
      {{16, 32, 48, 64}, "#10203040"},
      {{0, 0, 0, 0}, "#00000000"},
  };
  for (const auto& [color, hex] : cases) {
    EXPECT_EQ(color.to_hex(), hex);
    EXPECT_EQ(Color::parse(hex), color) << hex;
  }
  EXPECT_EQ((Color{0x12, 0x34, 0x56, 0x78}.argb()), 0x78123456u);
}

TEST(Length, Resolve) {
  struct Case {
    Length length;
    int extent;
    int expected;
  };
  const std::vector<Case> cases = {
      {{0.5, Length::Unit::Relative}, 1280, 640},
      {{0.5, Length::Unit::Relative}, 1279, 640},  // 639.5 rounds up
      {{0.25, Length::Unit::Relative}, 719, 180},  // 179.75
      {{1.0, Length::Unit::Relative}, 719, 719},
      {{0.0, Length::Unit::Relative}, 719, 0},
      {{320, Length::Unit::Pixels}, 1280, 320},
      {{320.4, Length::Unit::Pixels}, 10, 320},
      {{0.1 + 0.2, Length::Unit::Relative}, 1000005, 300002},
      {{0.3, Length::Unit::Relative}, 1000005, 300002},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.length.resolve(c.extent), c.expected) << c.length.value << " of " << c.extent;
  }
}

// ------------------------------------------------------------- parsing --

TEST(LayoutParse, EveryField) {
  const std::string yaml = lines({
      "name: show",  // 1
      "canvas: {width: 1280, height: 720, fps: 25, background: \"#101010\", "
      "background_image: img/bg.png}",  // 2
      "units: pixels",                  // 3
      "label: {show: true, position: top, font: \"Sans 12\", color: yellow, "
      "background: \"#00000080\"}",                                            // 4
      "border: {width: 3, color: \"#ff0000\"}",                                // 5
      "placeholder: {color: blue, image: /abs/nocam.png}",                     // 6
      "regions:",                                                              // 7
      "  - id: main",                                                          // 8
      "    x: 0",                                                              // 9
      "    y: \"10%\"",                                                        // 10
      "    width: 960",                                                        // 11
      "    height: \"0.5\"",                                                   // 12
      "    z: 2",                                                              // 13
      "    fit: contain",                                                      // 14
      "    show: speaker",                                                     // 15
      "    label: {position: bottom-right}",                                   // 16
      "    border: {width: 0}",                                                // 17
      "    placeholder: {color: red}",                                         // 18
      "  - x: \"75%\"",                                                        // 19
      "    width: 320px",                                                      // 20
      "    show: others",                                                      // 21
      "    arrange: row",                                                      // 22
      "    max: 3",                                                            // 23
      "    gap: 4",                                                            // 24
      "    label: false",                                                      // 25
      "  - {show: {slot: 2}, width: 100, height: 100}",                        // 26
      "  - {show: {identity: alice}, width: 100, height: 100, fit: stretch}",  // 27
      "variants:",                                                             // 28
      "  - participants: 1",                                                   // 29
      "    regions: [{show: all}]",                                            // 30
      "  - participants: {min: 2, max: 3}",                                    // 31
      "    regions: [{show: all, arrange: column}]",                           // 32
      "  - participants: {min: 7}",                                            // 33
      "    regions: [{show: all}]",                                            // 34
      "overlays:",                                                             // 35
      "  - {image: logo.png, x: 20px, y: 0.02, width: \"10%\", alpha: 0.5}",   // 36
      "  - {text: LIVE, x: 1100, y: 10, font: \"Sans Bold 24\", color: red}",  // 37
  });
  const Layout layout = parse_layout(yaml, "/etc/mixcast/layouts/show.yaml");
  EXPECT_EQ(layout.name, "show");
  EXPECT_EQ(layout.file, "/etc/mixcast/layouts/show.yaml");
  EXPECT_EQ(layout.canvas.width, 1280);
  EXPECT_EQ(layout.canvas.height, 720);
  EXPECT_EQ(layout.canvas.fps, 25);
  EXPECT_EQ(layout.canvas.background, (Color{16, 16, 16, 255}));
  EXPECT_EQ(layout.canvas.background_image, "/etc/mixcast/layouts/img/bg.png");
  EXPECT_EQ(layout.label.position, Anchor::Top);
  EXPECT_EQ(layout.label.font, "Sans 12");
  EXPECT_EQ(layout.label.color, (Color{255, 255, 0, 255}));
  EXPECT_EQ(layout.label.background, (Color{0, 0, 0, 128}));
  EXPECT_EQ(layout.border.width, 3);
  EXPECT_EQ(layout.placeholder.color, (Color{0, 0, 255, 255}));
  EXPECT_EQ(layout.placeholder.image, "/abs/nocam.png");

  ASSERT_EQ(layout.regions.size(), 4u);
  const Region& main = layout.regions[0];
  EXPECT_EQ(main.id, "main");
  EXPECT_EQ(main.line, 8);
  EXPECT_EQ(main.x.unit, Length::Unit::Pixels);
  EXPECT_DOUBLE_EQ(main.y.value, 0.1);
  EXPECT_EQ(main.y.unit, Length::Unit::Relative);
  EXPECT_DOUBLE_EQ(main.width.value, 960);
  EXPECT_EQ(main.width.unit, Length::Unit::Pixels);
  EXPECT_DOUBLE_EQ(main.height.value, 0.5);  // a quoted plain number: still layout units
  EXPECT_EQ(main.height.unit, Length::Unit::Pixels);
  EXPECT_EQ(main.z, 2);
  EXPECT_EQ(main.fit, Fit::Contain);
  EXPECT_EQ(main.source, SourceKind::Speaker);
  ASSERT_TRUE(main.label.has_value());
  EXPECT_EQ(main.label->position, Anchor::BottomRight);
  EXPECT_EQ(main.label->font, "Sans 12");  // the rest comes from the layout's label
  ASSERT_TRUE(main.border.has_value());
  EXPECT_EQ(main.border->width, 0);
  EXPECT_EQ(main.border->color, (Color{255, 0, 0, 255}));
  ASSERT_TRUE(main.placeholder.has_value());
  EXPECT_EQ(main.placeholder->color, (Color{255, 0, 0, 255}));
  EXPECT_EQ(main.placeholder->image, "/abs/nocam.png");

  const Region& strip = layout.regions[1];
  EXPECT_EQ(strip.id, "region1");
  EXPECT_DOUBLE_EQ(strip.x.value, 0.75);
  EXPECT_EQ(strip.x.unit, Length::Unit::Relative);
  EXPECT_EQ(strip.width.unit, Length::Unit::Pixels);
  EXPECT_DOUBLE_EQ(strip.height.value, 1.0);  // default: the whole canvas
  EXPECT_EQ(strip.height.unit, Length::Unit::Relative);
  EXPECT_EQ(strip.source, SourceKind::Others);
  EXPECT_EQ(strip.arrange, Arrange::Row);
  EXPECT_EQ(strip.max, 3);
  EXPECT_EQ(strip.gap, 4);
  ASSERT_TRUE(strip.label.has_value());
  EXPECT_FALSE(strip.label->show);
  EXPECT_FALSE(strip.border.has_value());
  EXPECT_EQ(strip.fit, Fit::Cover);
  EXPECT_EQ(layout.regions[2].source, SourceKind::Slot);
  EXPECT_EQ(layout.regions[2].slot, 2);
  EXPECT_EQ(layout.regions[3].source, SourceKind::Identity);
  EXPECT_EQ(layout.regions[3].identity, "alice");
  EXPECT_EQ(layout.regions[3].fit, Fit::Stretch);

  ASSERT_EQ(layout.variants.size(), 3u);
  EXPECT_EQ(layout.variants[0].min_participants, 1);
  EXPECT_EQ(layout.variants[0].max_participants, 1);
  EXPECT_EQ(layout.variants[1].min_participants, 2);
  EXPECT_EQ(layout.variants[1].max_participants, 3);
  EXPECT_EQ(layout.variants[1].regions[0].arrange, Arrange::Column);
  EXPECT_EQ(layout.variants[2].min_participants, 7);
  EXPECT_EQ(layout.variants[2].max_participants, 0);
  EXPECT_EQ(layout.variants[2].line, 33);

  ASSERT_EQ(layout.overlays.size(), 2u);
  const Overlay& logo = layout.overlays[0];
  EXPECT_EQ(logo.kind, Overlay::Kind::Image);
  EXPECT_EQ(logo.image, "/etc/mixcast/layouts/logo.png");
  EXPECT_EQ(logo.x.unit, Length::Unit::Pixels);
  EXPECT_DOUBLE_EQ(logo.x.value, 20);
  EXPECT_EQ(logo.y.unit, Length::Unit::Pixels);  // units: pixels, so 0.02px
  ASSERT_TRUE(logo.width.has_value());
  EXPECT_DOUBLE_EQ(logo.width->value, 0.1);
  EXPECT_FALSE(logo.height.has_value());
  EXPECT_DOUBLE_EQ(logo.alpha, 0.5);
  EXPECT_EQ(logo.line, 36);
  const Overlay& live = layout.overlays[1];
  EXPECT_EQ(live.kind, Overlay::Kind::Text);
  EXPECT_EQ(live.text, "LIVE");
  EXPECT_EQ(live.font, "Sans Bold 24");
  EXPECT_EQ(live.color, (Color{255, 0, 0, 255}));
}

TEST(LayoutParse, Defaults) {
  const Layout layout = parse_layout("regions: [{show: all}]\n", "dir/my-layout.yaml");
  EXPECT_EQ(layout.name, "my-layout");  // from the file name
  EXPECT_EQ(layout.canvas.width, 0);
  EXPECT_EQ(layout.canvas.fps, 0);
  ASSERT_EQ(layout.regions.size(), 1u);
  const Region& r = layout.regions[0];
  EXPECT_EQ(r.id, "region0");
  EXPECT_EQ(r.line, 1);
  EXPECT_EQ(r.x.value, 0);
  EXPECT_EQ(r.width.value, 1);
  EXPECT_EQ(r.z, 1);
  EXPECT_EQ(r.fit, Fit::Cover);
  EXPECT_EQ(r.arrange, Arrange::Grid);
  EXPECT_FALSE(r.label.has_value());
  EXPECT_TRUE(layout.label.show);
  EXPECT_EQ(layout.border.width, 0);
}

TEST(LayoutParse, RelativeImagePathsFollowTheLayoutFile) {
  const std::string yaml = "placeholder: {image: ../img/x.png}\nregions: [{show: all}]\n";
  EXPECT_EQ(parse_layout(yaml, "/srv/layouts/a.yaml").placeholder.image, "/srv/img/x.png");
  EXPECT_EQ(parse_layout(yaml, "a.yaml").placeholder.image, "../img/x.png");
  EXPECT_EQ(parse_layout(yaml, "conf/a.yaml").placeholder.image, "img/x.png");
}

struct BadFile {
  std::string name;
  std::string yaml;
  int line;
  std::string field;
  std::string message_part;  // a piece of the message that must be there
};

// Prints the case name in gtest output.
void PrintTo(const BadFile& c, std::ostream* os) {
  *os << c.name;
}

class LayoutParseErrors : public ::testing::TestWithParam<BadFile> {};

TEST_P(LayoutParseErrors, PointAtLineAndField) {
  const BadFile& c = GetParam();
  const auto issues = issues_of(c.yaml);
  ASSERT_FALSE(issues.empty()) << "parsed although it should not:\n" << c.yaml;
  const FileIssue& issue = issues.front();
  EXPECT_EQ(issue.file, "test.yaml");
  EXPECT_EQ(issue.line, c.line) << issue.to_string();
  EXPECT_EQ(issue.field, c.field) << issue.to_string();
  EXPECT_NE(issue.message.find(c.message_part), std::string::npos) << issue.to_string();
  EXPECT_EQ(issues.size(), 1u) << "one mistake, one issue; got:\n" << FileError(issues).what();
}

const std::string kRegionsOk = "regions: [{show: all}]";

INSTANTIATE_TEST_SUITE_P(
    Table, LayoutParseErrors,
    ::testing::Values(
        BadFile{"UnknownTopLevelKey", lines({"nmae: x", kRegionsOk}), 1, "nmae",
                "did you mean \"name\""},
        BadFile{"UnknownRegionKey",
                lines({"regions:", "  - show: all", "    widht: 0.5", "    height: 1"}), 3,
                "regions[0].widht", "did you mean \"width\""},
        BadFile{"UnknownKeyFarOff", lines({kRegionsOk, "colour_scheme: dark"}), 2, "colour_scheme",
                "expected one of: name, canvas"},
        BadFile{"UnknownCanvasKey",
                lines({"canvas:", "  width: 1280", "  heigth: 720", kRegionsOk}), 3,
                "canvas.heigth", "did you mean \"height\""},
        BadFile{"BadUnitString",
                lines({"regions:", "  - show: all", "    x: 0", "    width: 20pt"}), 4,
                "regions[0].width", "\"25%\""},
        BadFile{"BadUnitsValue", lines({"units: percent", kRegionsOk}), 1, "units",
                "relative, pixels"},
        BadFile{"NegativeWidth",
                lines({"regions:", "  - show: speaker", "  - show: others", "    width: -0.5"}), 4,
                "regions[1].width", "greater than 0"},
        BadFile{"ZeroHeight", lines({"regions:", "  - {show: all, height: 0}"}), 2,
                "regions[0].height", "greater than 0"},
        BadFile{"NegativeX",
                lines({"regions:", "  - show: all", "    x: -10px", "    width: 10px"}), 3,
                "regions[0].x", "negative"},
        BadFile{"OffCanvasRelative",
                lines({"regions:", "  - show: all", "    x: 0.5", "    width: 0.75"}), 4,
                "regions[0].width", "runs off the canvas"},
        BadFile{"OffCanvasDefaultedWidth", lines({"regions:", "  - show: all", "    x: 0.5"}), 2,
                "regions[0].width", "defaults to 100%"},
        BadFile{"OffCanvasPixels",
                lines({"canvas: {width: 1280, height: 720}", "regions:", "  - show: all",
                       "    x: 1000px", "    width: 400px"}),
                5, "regions[0].width", "1280px"},
        BadFile{"OffCanvasMixedUnits",
                lines({"canvas: {width: 1280, height: 720}", "regions:", "  - show: all",
                       "    y: \"50%\"", "    height: 400px"}),
                5, "regions[0].height", "720px"},
        BadFile{"StartOffCanvas", lines({"regions:", "  - {show: all, x: 1.0, width: 0.1}"}), 2,
                "regions[0].x", "off the canvas"},
        BadFile{"RelativeSizeAboveOne", lines({"regions:", "  - {show: all, width: 1.5}"}), 2,
                "regions[0].width", "larger than the canvas"},
        BadFile{"OffCanvasInVariant",
                lines({kRegionsOk, "variants:", "  - participants: 2", "    regions:",
                       "      - show: all", "        y: 0.6", "        height: 0.6"}),
                7, "variants[0].regions[0].height", "runs off the canvas"},
        BadFile{"BadColour", lines({"border: {width: 2, color: \"#12345\"}", kRegionsOk}), 1,
                "border.color", "not a colour"},
        BadFile{"UnquotedHashColour", lines({"placeholder:", "  color: #303030", kRegionsOk}), 2,
                "placeholder.color", "quote"},
        BadFile{"BadColourName", lines({"label: {color: pink}", kRegionsOk}), 1, "label.color",
                "not a colour"},
        BadFile{"BadFitEnum", lines({"regions:", "  - show: all", "    fit: covr"}), 3,
                "regions[0].fit", "did you mean \"cover\""},
        BadFile{"BadShowEnum", lines({"regions:", "  - show: speakers"}), 2, "regions[0].show",
                "did you mean \"speaker\""},
        BadFile{"BadArrangeEnum", lines({"regions:", "  - {show: all, arrange: columns}"}), 2,
                "regions[0].arrange", "did you mean \"column\""},
        BadFile{"BadLabelPosition", lines({"label:", "  position: middle", kRegionsOk}), 2,
                "label.position", "top-left"},
        BadFile{"FontSizeOutOfRange",
                lines({"regions:", "  - show: all", "    label: {font: \"Sans 1000\"}"}), 3,
                "regions[0].label.font", "between 4 and 400"},
        BadFile{"BorderTooWide", lines({"border:", "  width: 100", kRegionsOk}), 2, "border.width",
                "between 0 and 64"},
        BadFile{"BorderTrue", lines({"regions:", "  - {show: all, border: true}"}), 2,
                "regions[0].border", "how wide"},
        BadFile{"WrongTypeList", lines({"regions:", "  - show: all", "    width: [1, 2]"}), 3,
                "regions[0].width", "a list"},
        BadFile{"WrongTypeText", lines({"canvas:", "  fps: fast", kRegionsOk}), 2, "canvas.fps",
                "whole number"},
        BadFile{"FractionalInteger", lines({"regions:", "  - {show: all, z: 1.5}"}), 2,
                "regions[0].z", "whole number"},
        BadFile{"ZeroZ", lines({"regions:", "  - {show: all, z: 0}"}), 2, "regions[0].z",
                "between 1 and 1000"},
        BadFile{"NegativeMax", lines({"regions:", "  - {show: others, max: -1}"}), 2,
                "regions[0].max", "between 0"},
        BadFile{"RegionsNotAList", lines({"regions:", "  show: all"}), 2, "regions",
                "expected a list"},
        BadFile{"RegionsEmpty", lines({"regions: []"}), 1, "regions", "at least one"},
        BadFile{"RegionNotAMap", lines({"regions:", "  - speaker"}), 2, "regions[0]",
                "expected a map"},
        BadFile{"MissingRegions", lines({"name: x"}), 1, "regions", "at least one region"},
        BadFile{"EmptyFile", "", 0, "", "empty"},
        BadFile{"DuplicateKey", lines({"regions:", "  - show: all", "    x: 0", "    x: 0.1"}), 4,
                "regions[0].x", "duplicate"},
        BadFile{"DuplicateRegionId",
                lines({"regions:", "  - {id: a, show: speaker}", "  - {id: a, show: others}"}), 3,
                "regions[1].id", "duplicate region id"},
        BadFile{"ArrangeOnSpeaker", lines({"regions:", "  - show: speaker", "    arrange: row"}), 3,
                "regions[0].arrange", "only applies"},
        BadFile{"NegativeSlot", lines({"regions:", "  - show: {slot: -1}"}), 2,
                "regions[0].show.slot", "between 0"},
        BadFile{"SlotAndIdentity", lines({"regions:", "  - show: {slot: 1, identity: bob}"}), 2,
                "regions[0].show", "exactly one"},
        BadFile{"ShowTypo", lines({"regions:", "  - show: {slots: 1}"}), 2, "regions[0].show.slots",
                "did you mean \"slot\""},
        BadFile{"CanvasWidthOnly", lines({"canvas:", "  width: 1280", kRegionsOk}), 2,
                "canvas.width", "give both"},
        BadFile{"CanvasTooLarge", lines({"canvas: {width: 99999, height: 720}", kRegionsOk}), 1,
                "canvas.width", "between 1 and 16384"},
        BadFile{"VariantMinAboveMax",
                lines({kRegionsOk, "variants:", "  - participants: {min: 4, max: 2}",
                       "    regions: [{show: all}]"}),
                3, "variants[0].participants.max", "less than min"},
        BadFile{"VariantsOverlap",
                lines({kRegionsOk, "variants:", "  - participants: {min: 2, max: 4}",
                       "    regions: [{show: all}]", "  - participants: 3",
                       "    regions: [{show: speaker}]"}),
                5, "variants[1].participants", "overlaps variants[0]"},
        BadFile{
            "VariantForZero",
            lines({kRegionsOk, "variants:", "  - participants: 0", "    regions: [{show: all}]"}),
            3, "variants[0].participants", "between 1"},
        BadFile{"VariantWithoutRegions", lines({kRegionsOk, "variants:", "  - participants: 2"}), 3,
                "variants[0].regions", "missing"},
        BadFile{"OverlayImageAndText",
                lines({kRegionsOk, "overlays:", "  - {image: a.png, text: hi}"}), 3, "overlays[0]",
                "exactly one"},
        BadFile{"OverlayAlpha", lines({kRegionsOk, "overlays:", "  - text: hi", "    alpha: 1.5"}),
                4, "overlays[0].alpha", "between 0 and 1"},
        BadFile{"OverlayOffCanvas", lines({kRegionsOk, "overlays:", "  - {text: hi, x: 1.2}"}), 3,
                "overlays[0].x", "off the canvas"},
        BadFile{"OverlayTextWidth",
                lines({kRegionsOk, "overlays:", "  - text: hi", "    width: 0.1"}), 4,
                "overlays[0].width", "only applies to image"},
        BadFile{"BadName", lines({"name: my layout", kRegionsOk}), 1, "name", "not a valid name"},
        BadFile{"MalformedYamlFlow", lines({"regions: [{show: all}", "name: x"}), 2, "",
                "malformed YAML"},
        BadFile{"TabIndentation", "regions:\n\t- show: all\n", 2, "", "tabs"},
        BadFile{"MalformedYamlIndent",
                lines({"name: x", "regions:", "  - show: all", "     fit: cover"}), 4, "",
                "malformed YAML"}),
    [](const ::testing::TestParamInfo<BadFile>& p) { return p.param.name; });

TEST(LayoutParse, CollectsEveryIssueInFileOrder) {
  const std::string yaml = lines({
      "units: pixel",             // 1
      "regions:",                 // 2
      "  - show: all",            // 3
      "    fit: fill",            // 4
      "    colour: red",          // 5
      "overlays:",                // 6
      "  - {text: x, alpha: 2}",  // 7
  });
  const auto issues = issues_of(yaml);
  ASSERT_EQ(issues.size(), 4u) << FileError(issues).what();
  EXPECT_EQ(issues[0].line, 1);
  EXPECT_EQ(issues[0].field, "units");
  EXPECT_EQ(issues[1].line, 4);
  EXPECT_EQ(issues[1].field, "regions[0].fit");
  EXPECT_EQ(issues[2].line, 5);
  EXPECT_EQ(issues[2].field, "regions[0].colour");
  EXPECT_EQ(issues[3].line, 7);
  EXPECT_EQ(issues[3].field, "overlays[0].alpha");
  // The message an operator sees: file:line:column: field: message.
  const std::string text = FileError(issues).what();
  EXPECT_NE(text.find("test.yaml:4:10: regions[0].fit: unknown value \"fill\""), std::string::npos)
      << text;
}

TEST(LayoutParse, LoadFileErrors) {
  EXPECT_THROW(load_layout_file("/nonexistent/dir/layout.yaml"), FileError);
  try {
    load_layout_file("/nonexistent/dir/layout.yaml");
  } catch (const FileError& e) {
    ASSERT_EQ(e.issues().size(), 1u);
    EXPECT_EQ(e.issues()[0].file, "/nonexistent/dir/layout.yaml");
  }
}

// -------------------------------------------------------------- engine --

TEST(Compose, NoParticipantsNoTiles) {
  for (const Layout& layout :
       {builtin_grid_layout(),
        parse(lines({"regions:", "  - {show: speaker}", "  - {show: {slot: 0}}"}))}) {
    const Composition c = compose(layout, room(1280, 720, 0));
    EXPECT_TRUE(c.tiles.empty());
    EXPECT_TRUE(c.hidden.empty());
    EXPECT_EQ(c.canvas_width, 1280);
    EXPECT_EQ(c.canvas_height, 720);
  }
}

struct GridCase {
  int count;
  int width;
  int height;
  int gap;
};

class GridTiling : public ::testing::TestWithParam<GridCase> {};

TEST_P(GridTiling, CellsInsideDisjointAndExact) {
  const GridCase& g = GetParam();
  const Composition c = compose(grid_layout(g.gap), room(g.width, g.height, g.count));
  ASSERT_EQ(int(c.tiles.size()), g.count);
  EXPECT_TRUE(c.hidden.empty());
  const Rect canvas = canvas_of(c);
  for (size_t i = 0; i < c.tiles.size(); ++i) {
    const Rect& cell = c.tiles[i].cell;
    EXPECT_FALSE(cell.empty()) << i;
    EXPECT_TRUE(inside(cell, canvas)) << i;
    for (size_t j = i + 1; j < c.tiles.size(); ++j) {
      EXPECT_FALSE(overlap(cell, c.tiles[j].cell)) << i << " and " << j;
    }
  }
  // Slot order is reading order.
  for (int i = 0; i < g.count; ++i) EXPECT_EQ(c.tiles[i].participant_id, "p" + std::to_string(i));

  // Rows: group by top edge.
  std::map<int, std::vector<Rect>> rows;
  for (const auto& tile : c.tiles) rows[tile.cell.y].push_back(tile.cell);
  const int cols = int(rows.begin()->second.size());
  int expected_top = 0;
  long long covered = 0;
  for (auto it = rows.begin(); it != rows.end(); ++it) {
    auto& cells = it->second;
    std::sort(cells.begin(), cells.end(), [](const Rect& a, const Rect& b) { return a.x < b.x; });
    EXPECT_EQ(it->first, expected_top);
    for (size_t k = 1; k < cells.size(); ++k) {
      // Neighbours are exactly one gap apart: no rounding holes or overlaps.
      EXPECT_EQ(cells[k].x, cells[k - 1].x + cells[k - 1].width + g.gap);
      EXPECT_EQ(cells[k].height, cells[0].height);
    }
    const int left_margin = cells.front().x;
    const int right_margin = g.width - (cells.back().x + cells.back().width);
    if (int(cells.size()) == cols) {
      EXPECT_EQ(left_margin, 0);
      EXPECT_EQ(right_margin, 0);
    } else {
      // The last, incomplete row is centred.
      EXPECT_EQ(std::next(it), rows.end()) << "only the last row may be incomplete";
      EXPECT_LE(std::abs(left_margin - right_margin), 1);
    }
    expected_top = it->first + cells[0].height + g.gap;
    for (const auto& cell : cells) covered += area(cell);
  }
  EXPECT_EQ(expected_top - g.gap, g.height) << "rows fill the height";
  if (g.gap == 0 && g.count % cols == 0) {
    EXPECT_EQ(covered, (long long)g.width * g.height) << "full grid covers the region";
  }
  // Cells are within one pixel of each other in size.
  const auto [min_w, max_w] =
      std::minmax_element(c.tiles.begin(), c.tiles.end(),
                          [](const Tile& a, const Tile& b) { return a.cell.width < b.cell.width; });
  EXPECT_LE(max_w->cell.width - min_w->cell.width, 1);
}

std::vector<GridCase> grid_cases() {
  std::vector<GridCase> cases;
  std::vector<int> counts;
  for (int n = 1; n <= 17; ++n) counts.push_back(n);
  counts.push_back(25);
  counts.push_back(40);
  for (int n : counts) {
    for (auto [w, h] : {std::pair{1280, 720}, {1279, 719}, {720, 1280}, {641, 367}}) {
      for (int gap : {0, 6}) cases.push_back({n, w, h, gap});
    }
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Table, GridTiling, ::testing::ValuesIn(grid_cases()),
                         [](const ::testing::TestParamInfo<GridCase>& p) {
                           const auto& g = p.param;
                           return "n" + std::to_string(g.count) + "_" + std::to_string(g.width) +
                                  "x" + std::to_string(g.height) + "_gap" + std::to_string(g.gap);
                         });

TEST(Compose, GridShapes) {
  struct Case {
    int count, width, height;
    int cols, rows;
  };
  const std::vector<Case> cases = {
      {1, 1280, 720, 1, 1},
      {2, 1280, 720, 2, 1},
      {3, 1280, 720, 2, 2},
      {4, 1280, 720, 2, 2},
      {5, 1280, 720, 3, 2},
      {6, 1280, 720, 3, 2},
      {7, 1280, 720, 3, 3},
      {9, 1280, 720, 3, 3},
      {10, 1280, 720, 4, 3},
      {12, 1280, 720, 4, 3},
      {13, 1280, 720, 4, 4},
      {16, 1280, 720, 4, 4},
      {17, 1280, 720, 5, 4},
      {25, 1280, 720, 5, 5},
      // Tall canvases stack 16:9 pictures instead of squeezing them.
      {2, 720, 1280, 1, 2},
      {4, 720, 1280, 1, 4},
      {6, 720, 1280, 1, 6},
      {9, 720, 1280, 2, 5},
  };
  for (const auto& k : cases) {
    const Composition c = compose(grid_layout(0), room(k.width, k.height, k.count));
    std::set<int> xs, ys;
    for (const auto& tile : c.tiles) {
      if (tile.cell.y == 0) xs.insert(tile.cell.x);
      ys.insert(tile.cell.y);
    }
    EXPECT_EQ(int(xs.size()), k.cols) << k.count << " on " << k.width << "x" << k.height;
    EXPECT_EQ(int(ys.size()), k.rows) << k.count << " on " << k.width << "x" << k.height;
  }
  // 25 on 720p: 5x5 cells of exactly 256x144.
  const Composition c = compose(grid_layout(0), room(1280, 720, 25));
  for (const auto& tile : c.tiles) {
    EXPECT_EQ(tile.cell.width, 256);
    EXPECT_EQ(tile.cell.height, 144);
  }
  // 3 on 720p: two on top, the third centred below.
  const Composition three = compose(grid_layout(0), room(1280, 720, 3));
  EXPECT_EQ(three.tiles[2].cell, (Rect{320, 360, 640, 360}));
}

TEST(Compose, RowAndColumnTileExactlyOnOddSizes) {
  struct Case {
    Arrange arrange;
    int count, width, height, gap;
  };
  std::vector<Case> cases;
  for (Arrange a : {Arrange::Row, Arrange::Column}) {
    for (int n : {1, 2, 3, 7, 16}) {
      for (int gap : {0, 3}) cases.push_back({a, n, 1279, 719, gap});
    }
  }
  for (const auto& k : cases) {
    const Composition c = compose(grid_layout(k.gap, k.arrange), room(k.width, k.height, k.count));
    ASSERT_EQ(int(c.tiles.size()), k.count);
    const bool row = k.arrange == Arrange::Row;
    int edge = 0;
    for (const auto& tile : c.tiles) {
      const Rect& r = tile.cell;
      EXPECT_EQ(row ? r.x : r.y, edge);
      EXPECT_EQ(row ? r.y : r.x, 0);
      EXPECT_EQ(row ? r.height : r.width, row ? k.height : k.width);
      edge = (row ? r.x + r.width : r.y + r.height) + k.gap;
    }
    EXPECT_EQ(edge - k.gap, row ? k.width : k.height);
  }
}

TEST(Compose, NeighbouringRegionsTouchOnOddCanvas) {
  const Layout layout = load_layout_file(MIXCAST_SOURCE_ROOT "/config/layouts/speaker.yaml");
  for (auto [w, h] : {std::pair{1279, 719}, {1280, 720}, {1281, 721}, {333, 187}}) {
    const Composition c = compose(layout, room(w, h, 5));
    const Tile* focus = tile_of(c, "p0");
    ASSERT_NE(focus, nullptr);
    EXPECT_EQ(focus->region_id, "focus");
    EXPECT_EQ(focus->cell.x, 0);
    EXPECT_EQ(focus->cell.height, h);
    int top = 0;
    for (int i = 1; i <= 4; ++i) {
      const Tile* t = tile_of(c, "p" + std::to_string(i));
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->region_id, "strip");
      EXPECT_EQ(t->cell.x, focus->cell.x + focus->cell.width) << w << "x" << h;
      EXPECT_EQ(t->cell.x + t->cell.width, w);
      EXPECT_EQ(t->cell.y, top);
      top = t->cell.y + t->cell.height + 4;
    }
    EXPECT_EQ(top - 4, h);
  }
}

struct SourceCase {
  std::string name;
  std::string regions_yaml;  // the `regions:` list
  std::map<std::string, std::vector<std::string>> expected;
  std::vector<std::string> hidden;
};

TEST(Compose, RegionSourceKinds) {
  const std::vector<SourceCase> cases = {
      {"slot", "[{id: s, show: {slot: 1}}]", {{"s", {"b"}}}, {"a", "c"}},
      {"empty slot shows nothing", "[{id: s, show: {slot: 5}}]", {}, {"a", "b", "c"}},
      {"identity", "[{id: i, show: {identity: carol}}]", {{"i", {"c"}}}, {"a", "b"}},
      {"absent identity", "[{id: i, show: {identity: dave}}]", {}, {"a", "b", "c"}},
      {"speaker", "[{id: sp, show: speaker}]", {{"sp", {"a"}}}, {"b", "c"}},
      {"all in slot order", "[{id: all, show: all}]", {{"all", {"a", "b", "c"}}}, {}},
      {"others without featured", "[{id: o, show: others}]", {{"o", {"a", "b", "c"}}}, {}},
      {"others leave out slot, identity and speaker",
       "[{id: sp, show: speaker}, {id: o, show: others}, {id: i, show: {identity: carol}},"
       " {id: s, show: {slot: 1}}]",
       {{"sp", {"a"}}, {"i", {"c"}}, {"s", {"b"}}},
       {}},
      {"others listed first still leave out the speaker",
       "[{id: o, show: others}, {id: sp, show: speaker}]",
       {{"o", {"b", "c"}}, {"sp", {"a"}}},
       {}},
      {"all includes featured",
       "[{id: sp, show: speaker}, {id: all, show: all}]",
       {{"sp", {"a"}}, {"all", {"a", "b", "c"}}},
       {}},
      {"max hides the rest", "[{id: all, show: all, max: 2}]", {{"all", {"a", "b"}}}, {"c"}},
      {"max on others",
       "[{id: sp, show: speaker}, {id: o, show: others, max: 1}]",
       {{"sp", {"a"}}, {"o", {"b"}}},
       {"c"}},
  };
  LayoutInput input;
  // Out of slot order on purpose: the engine orders by slot.
  input.participants = {person("c", 2, "carol"), person("a", 0, "alice"), person("b", 1, "bob")};
  for (const auto& k : cases) {
    const Composition c = compose(parse("regions: " + k.regions_yaml + "\n"), input);
    EXPECT_EQ(by_region(c), k.expected) << k.name;
    EXPECT_EQ(c.hidden, k.hidden) << k.name;
  }
}

TEST(Compose, SpeakerPrecedence) {
  struct Case {
    std::string name;
    std::set<std::string> pinned;
    std::string active;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"nobody: lowest slot", {}, "", "a"},
      {"active speaker", {}, "b", "b"},
      {"absent active speaker: lowest slot", {}, "ghost", "a"},
      {"pin beats active speaker", {"c"}, "b", "c"},
      {"pin without active speaker", {"c"}, "", "c"},
      {"several pins: lowest slot", {"c", "b"}, "a", "b"},
  };
  const Layout layout = parse("regions: [{id: sp, show: speaker}, {id: o, show: others}]\n");
  for (const auto& k : cases) {
    LayoutInput input;
    input.participants = {person("b", 1), person("c", 2), person("a", 0)};
    for (auto& p : input.participants) p.pinned = k.pinned.contains(p.id);
    input.active_speaker = k.active;
    const auto regions = by_region(compose(layout, input));
    ASSERT_EQ(regions.at("sp").size(), 1u) << k.name;
    EXPECT_EQ(regions.at("sp")[0], k.expected) << k.name;
    EXPECT_EQ(regions.at("o").size(), 2u) << k.name;
    EXPECT_EQ(std::count(regions.at("o").begin(), regions.at("o").end(), k.expected), 0) << k.name;
  }
}

TEST(Compose, FitMath) {
  struct Case {
    std::string name;
    Fit fit;
    int video_width, video_height;
    Rect rect;  // expected
    Crop crop;
  };
  // The cell: x 100, y 0, 640 x 720 (a region in pixels on a 1280x720 canvas).
  const Rect cell{100, 0, 640, 720};
  const std::vector<Case> cases = {
      {"stretch", Fit::Stretch, 1920, 1080, cell, {}},
      {"cover wide source", Fit::Cover, 1920, 1080, cell, {480, 480, 0, 0}},
      {"cover tall source", Fit::Cover, 1080, 1920, cell, {0, 0, 352, 353}},
      {"cover odd source", Fit::Cover, 1279, 719, cell, {320, 320, 0, 0}},
      {"cover same aspect", Fit::Cover, 320, 360, cell, {}},
      {"cover unknown size", Fit::Cover, 0, 0, cell, {}},
      {"contain wide source", Fit::Contain, 1920, 1080, {100, 180, 640, 360}, {}},
      {"contain tall source", Fit::Contain, 1080, 1920, {217, 0, 405, 720}, {}},
      {"contain same aspect", Fit::Contain, 1280, 1440, cell, {}},
      {"contain unknown size", Fit::Contain, 0, 720, cell, {}},
  };
  for (const auto& k : cases) {
    Layout layout = parse("regions: [{show: {slot: 0}, x: 100px, width: 640px}]\n");
    layout.regions[0].fit = k.fit;
    LayoutInput input = room(1280, 720, 1);
    input.participants[0].video_width = k.video_width;
    input.participants[0].video_height = k.video_height;
    const Composition c = compose(layout, input);
    ASSERT_EQ(c.tiles.size(), 1u) << k.name;
    const Tile& t = c.tiles[0];
    EXPECT_EQ(t.cell, cell) << k.name;
    EXPECT_EQ(t.rect, k.rect) << k.name;
    EXPECT_EQ(t.crop, k.crop) << k.name;
    EXPECT_FALSE(t.placeholder);
    // Cover keeps the cell's aspect in what is left of the source.
    if (k.fit == Fit::Cover && k.video_width > 0) {
      const double kept = double(k.video_width - t.crop.left - t.crop.right) /
                          (k.video_height - t.crop.top - t.crop.bottom);
      EXPECT_NEAR(kept, double(cell.width) / cell.height, 0.01) << k.name;
    }
  }
}

TEST(Compose, PlaceholderWhenNoVideo) {
  const Layout layout = parse(lines(
      {"placeholder: {color: blue}",
       "regions:", "  - {id: a, show: {slot: 0}, width: 0.5, fit: contain}", "  - id: b",
       "    show: {slot: 1}", "    x: 0.5", "    width: 0.5", "    placeholder: {image: x.png}"}));
  LayoutInput input = room(1280, 720, 2);
  for (auto& p : input.participants) {
    p.has_video = false;
    p.video_width = 1920;
    p.video_height = 1080;
  }
  const Composition c = compose(layout, input);
  ASSERT_EQ(c.tiles.size(), 2u);
  for (const auto& t : c.tiles) {
    EXPECT_TRUE(t.placeholder);
    EXPECT_EQ(t.rect, t.cell);
    EXPECT_EQ(t.crop, Crop{});
  }
  EXPECT_EQ(c.tiles[0].placeholder_style.color, (Color{0, 0, 255, 255}));
  EXPECT_EQ(c.tiles[0].placeholder_style.image, "");
  EXPECT_EQ(c.tiles[1].placeholder_style.color, (Color{0, 0, 255, 255}));  // inherited
  EXPECT_EQ(c.tiles[1].placeholder_style.image, "x.png");
}

TEST(Compose, LabelsAndStyles) {
  struct Case {
    std::string display_name, identity, id, expected;
  };
  const std::vector<Case> cases = {
      {"Alice A.", "alice", "p1", "Alice A."},
      {"", "alice", "p1", "alice"},
      {"", "", "p1", "p1"},
  };
  const Layout layout = parse(lines({"border: {width: 2, color: red}",
                                     "regions:", "  - {id: on, show: {slot: 0}, width: 0.5}",
                                     "  - {id: off, show: {slot: 0}, x: 0.5, width: 0.5,",
                                     "     label: false, border: {width: 5}}"}));
  for (const auto& k : cases) {
    LayoutInput input;
    ParticipantView p = person(k.id, 0, k.identity);
    p.display_name = k.display_name;
    input.participants = {p};
    const Composition c = compose(layout, input);
    ASSERT_EQ(c.tiles.size(), 2u);
    EXPECT_EQ(c.tiles[0].label, k.expected);
    EXPECT_TRUE(c.tiles[0].label_style.show);
    EXPECT_EQ(c.tiles[0].border.width, 2);
    EXPECT_EQ(c.tiles[1].label, "");
    EXPECT_FALSE(c.tiles[1].label_style.show);
    EXPECT_EQ(c.tiles[1].border.width, 5);
    EXPECT_EQ(c.tiles[1].border.color, (Color{255, 0, 0, 255}));  // inherited
  }
}

TEST(Compose, TilesSortedByZThenRegionOrder) {
  const Layout layout = parse(lines({
      "regions:",
      "  - {id: top, show: {slot: 0}, z: 3}",
      "  - {id: low1, show: {slot: 1}, z: 1}",
      "  - {id: mid, show: {slot: 2}, z: 2}",
      "  - {id: low2, show: {slot: 3}, z: 1}",
  }));
  const Composition c = compose(layout, room(1280, 720, 4));
  std::vector<std::string> order;
  for (const auto& t : c.tiles) order.push_back(t.region_id + ":" + std::to_string(t.z));
  EXPECT_EQ(order, (std::vector<std::string>{"low1:1", "low2:1", "mid:2", "top:3"}));
}

TEST(Compose, StableSeatsKeepTheirTiles) {
  // Each seat has its own region; a grid of the rest sits below.
  const Layout layout = parse(lines({
      "regions:",
      "  - {id: s0, show: {slot: 0}, x: 0, width: 0.25, height: 0.5}",
      "  - {id: s1, show: {slot: 1}, x: 0.25, width: 0.25, height: 0.5}",
      "  - {id: s2, show: {slot: 2}, x: 0.5, width: 0.25, height: 0.5}",
      "  - {id: rest, show: others, y: 0.5, height: 0.5}",
  }));
  struct Step {
    bool join;
    std::string id;
    std::map<std::string, std::string> expected;  // region -> participant, slot regions only
  };
  const std::vector<Step> steps = {
      {true, "a", {{"s0", "a"}}},
      {true, "b", {{"s0", "a"}, {"s1", "b"}}},
      {true, "c", {{"s0", "a"}, {"s1", "b"}, {"s2", "c"}}},
      {true, "d", {{"s0", "a"}, {"s1", "b"}, {"s2", "c"}}},
      {false, "b", {{"s0", "a"}, {"s2", "c"}}},              // b's seat stays empty
      {true, "e", {{"s0", "a"}, {"s1", "e"}, {"s2", "c"}}},  // e takes the free seat
      {false, "a", {{"s1", "e"}, {"s2", "c"}}},
      {true, "a", {{"s0", "a"}, {"s1", "e"}, {"s2", "c"}}},
  };
  SlotTable seats;
  std::vector<std::string> present;
  std::map<std::string, Rect> cell_of;  // region -> cell, must not move
  for (const auto& step : steps) {
    if (step.join) {
      seats.join(step.id);
      present.push_back(step.id);
    } else {
      seats.leave(step.id);
      std::erase(present, step.id);
    }
    LayoutInput input;
    for (const auto& id : present) input.participants.push_back(person(id, *seats.slot_of(id)));
    const Composition c = compose(layout, input);
    std::map<std::string, std::string> got;
    for (const auto& t : c.tiles) {
      if (t.region_id == "rest") continue;
      got[t.region_id] = t.participant_id;
      if (cell_of.contains(t.region_id)) {
        EXPECT_EQ(cell_of[t.region_id], t.cell);
      }
      cell_of[t.region_id] = t.cell;
    }
    EXPECT_EQ(got, step.expected) << (step.join ? "join " : "leave ") << step.id;
    EXPECT_TRUE(c.hidden.empty());
  }
}

TEST(Compose, VariantsByCount) {
  const Layout layout = parse(lines({
      "regions: [{id: default, show: all}]",
      "variants:",
      "  - participants: 1",
      "    regions: [{id: solo, show: speaker}]",
      "  - participants: {min: 2, max: 3}",
      "    regions: [{id: small, show: all}]",
      "  - participants: {min: 5}",
      "    regions: [{id: big, show: all, max: 9}]",
  }));
  const std::vector<std::pair<int, std::string>> cases = {
      {1, "solo"}, {2, "small"}, {3, "small"}, {4, "default"}, {5, "big"}, {9, "big"}, {16, "big"},
  };
  for (const auto& [count, region] : cases) {
    EXPECT_EQ(regions_for(layout, count).front().id, region) << count;
    const Composition c = compose(layout, room(1280, 720, count));
    ASSERT_FALSE(c.tiles.empty()) << count;
    for (const auto& t : c.tiles) EXPECT_EQ(t.region_id, region) << count;
    EXPECT_EQ(c.tiles.size() + c.hidden.size(), size_t(count));
  }
  EXPECT_EQ(compose(layout, room(1280, 720, 16)).hidden.size(), 7u);  // max: 9
}

TEST(Compose, PixelRegionsAreClippedToASmallerCanvas) {
  const Layout layout = parse("units: pixels\nregions: [{show: all, x: 600, width: 680}]\n");
  const Composition c = compose(layout, room(640, 360, 2));
  ASSERT_EQ(c.tiles.size(), 2u);
  for (const auto& t : c.tiles) EXPECT_TRUE(inside(t.cell, canvas_of(c)));
}

TEST(Compose, HugeGapHidesInsteadOfDrawingNothing) {
  const Composition c = compose(grid_layout(1000, Arrange::Row), room(1280, 720, 3));
  for (const auto& t : c.tiles) EXPECT_FALSE(t.cell.empty());
  EXPECT_EQ(c.tiles.size() + c.hidden.size(), 3u);
}

// ---------------------------------------------------- built-in layouts --

TEST(BuiltinLayouts, LoadAndComposeForUpTo16) {
  const std::filesystem::path dir = std::filesystem::path(MIXCAST_SOURCE_ROOT) / "config/layouts";
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    Layout layout;
    try {
      layout = load_layout_file(entry.path().string());
    } catch (const FileError& e) {
      FAIL() << e.what();
    }
    EXPECT_EQ(layout.name, entry.path().stem().string()) << "name matches the file";
    names.insert(layout.name);
    std::vector<std::pair<int, int>> canvases;
    if (layout.canvas.width > 0) canvases.emplace_back(layout.canvas.width, layout.canvas.height);
    canvases.emplace_back(1280, 720);
    canvases.emplace_back(1279, 719);
    for (auto [w, h] : canvases) {
      for (int n = 0; n <= 16; ++n) {
        LayoutInput input = room(w, h, n);
        if (n > 2) input.active_speaker = "p2";
        Composition c;
        ASSERT_NO_THROW(c = compose(layout, input));
        std::set<std::string> tiled;
        for (const auto& t : c.tiles) {
          EXPECT_FALSE(t.cell.empty());
          EXPECT_TRUE(inside(t.cell, canvas_of(c))) << n << " on " << w << "x" << h;
          EXPECT_TRUE(inside(t.rect, t.cell));
          tiled.insert(t.participant_id);
        }
        for (const auto& id : c.hidden) EXPECT_FALSE(tiled.contains(id));
        EXPECT_EQ(tiled.size() + c.hidden.size(), size_t(n)) << n << " on " << w << "x" << h;
        if (n > 0) {
          EXPECT_FALSE(c.tiles.empty()) << n;
        }
      }
    }
  }
  for (const char* expected :
       {"grid", "speaker", "pip", "side-by-side", "vertical", "custom-example"}) {
    EXPECT_TRUE(names.contains(expected)) << expected;
  }
}

TEST(BuiltinLayouts, VerticalIsNineBySixteen) {
  const Layout layout = load_layout_file(MIXCAST_SOURCE_ROOT "/config/layouts/vertical.yaml");
  EXPECT_EQ(layout.canvas.width, 720);
  EXPECT_EQ(layout.canvas.height, 1280);
}

TEST(BuiltinLayouts, CodeFallbackIsAGrid) {
  const Layout layout = builtin_grid_layout();
  EXPECT_EQ(layout.name, "grid");
  EXPECT_EQ(layout.file, "");
  const Composition c = compose(layout, room(1280, 720, 4));
  EXPECT_EQ(c.tiles.size(), 4u);
}

}  // namespace
}  // namespace mixcast
