// Layouts: what the operator writes in config/layouts/*.yaml, and the pure
// engine that turns a layout plus the room's participants into tiles.
// No GStreamer here: the media layer only applies the Composition.
// Field reference: docs/layouts.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/errors.h"
#include "core/geometry.h"

namespace mixcast {

// A coordinate or size: relative to the canvas (0..1) or in canvas pixels.
struct Length {
  enum class Unit { Relative, Pixels };
  double value = 0;
  Unit unit = Unit::Relative;
  // Resolves against the canvas extent along this axis, rounded to nearest.
  int resolve(int canvas_extent) const;
};

enum class Fit { Cover, Contain, Stretch };

// Which participant(s) a region shows.
enum class SourceKind {
  Slot,      // the participant holding slot `slot` (0-based, stable seats)
  Identity,  // the participant whose identity equals `identity`
  Speaker,   // pinned participant, else active speaker, else lowest slot
  Others,    // everyone not shown by a Slot/Identity/Speaker region, arranged
  All,       // everyone, arranged
};

enum class Arrange { Grid, Row, Column };

enum class Anchor { TopLeft, TopRight, BottomLeft, BottomRight, Top, Bottom, Center };

struct LabelStyle {
  bool show = true;
  Anchor position = Anchor::BottomLeft;
  std::string font = "Sans 14";  // Pango font description
  Color color{255, 255, 255, 255};
  Color background{0, 0, 0, 160};
};

struct BorderStyle {
  int width = 0;  // pixels; 0 = none
  Color color{255, 255, 255, 255};
};

struct PlaceholderStyle {
  Color color{48, 48, 48, 255};
  std::string image;  // optional PNG/JPEG path (relative to the layout file)
};

struct Region {
  std::string id;  // optional name, defaults to "region<N>"
  Length x, y, width, height;
  int z = 1;  // higher draws on top; the background is z 0
  Fit fit = Fit::Cover;
  SourceKind source = SourceKind::All;
  int slot = 0;
  std::string identity;
  Arrange arrange = Arrange::Grid;  // for Others / All
  int max = 0;                      // for Others / All: most tiles shown, 0 = no limit
  int gap = 0;                      // pixels between arranged tiles
  std::optional<LabelStyle> label;  // unset: the layout's default
  std::optional<BorderStyle> border;
  std::optional<PlaceholderStyle> placeholder;
  int line = 0;  // where it was defined, for messages
};

struct Overlay {
  enum class Kind { Image, Text };
  Kind kind = Kind::Text;
  std::string image;  // Image: path (relative to the layout file resolved at parse)
  std::string text;   // Text: the string
  std::string font = "Sans 20";
  Color color{255, 255, 255, 255};
  Length x, y;                  // top-left
  std::optional<Length> width;  // Image: scaled size, unset = native
  std::optional<Length> height;
  double alpha = 1.0;
  int line = 0;
};

struct Canvas {
  int width = 0;  // 0 = not set by the layout: the room's canvas is used
  int height = 0;
  int fps = 0;  // 0 = not set
  Color background{0, 0, 0, 255};
  std::string background_image;  // optional
};

// Regions chosen by participant count: the first variant whose range holds the
// count wins; when none does, the layout's own regions are used.
struct LayoutVariant {
  int min_participants = 0;
  int max_participants = 0;  // inclusive; 0 = no upper bound
  std::vector<Region> regions;
  int line = 0;
};

struct Layout {
  std::string name;
  std::string file;  // where it came from ("" for built into code)
  Canvas canvas;
  LabelStyle label;  // defaults for regions
  BorderStyle border;
  PlaceholderStyle placeholder;
  std::vector<Region> regions;
  std::vector<LayoutVariant> variants;
  std::vector<Overlay> overlays;
};

// Parses layout YAML. `file` is used in messages and to resolve relative
// image paths. Throws FileError naming file, line and field for every problem
// (unknown keys, wrong types, unknown enum values, negative sizes, regions off
// the canvas, variants that overlap...).
Layout parse_layout(const std::string& yaml_text, const std::string& file);
Layout load_layout_file(const std::string& path);

// What the engine needs to know about one participant.
struct ParticipantView {
  std::string id;            // unique in the room
  std::string identity;      // operator-facing identity (may be empty)
  std::string display_name;  // label text
  int slot = 0;              // stable seat, see SlotTable
  bool has_video = true;
  int video_width = 0;  // 0 = not known yet (then fit behaves as stretch)
  int video_height = 0;
  bool pinned = false;
};

struct LayoutInput {
  int canvas_width = 1280;
  int canvas_height = 720;
  std::vector<ParticipantView> participants;
  std::string active_speaker;  // participant id, may be empty
};

struct Tile {
  std::string participant_id;
  std::string region_id;
  Rect cell;  // the area given to this participant (border is drawn around it)
  Rect rect;  // where the picture goes (== cell unless fit: contain letterboxes)
  Crop crop;  // source pixels to cut (fit: cover), in the source's own pixels
  int z = 1;
  bool placeholder = false;  // participant has no video: draw the placeholder in `cell`
  PlaceholderStyle placeholder_style;
  std::string label;  // empty when labels are off for this region
  LabelStyle label_style;
  BorderStyle border;
};

struct Composition {
  int canvas_width = 0;
  int canvas_height = 0;
  std::vector<Tile> tiles;          // sorted by z, then by region order
  std::vector<std::string> hidden;  // participant ids that got no tile
};

// The layout engine. Pure and deterministic: same input, same output.
Composition compose(const Layout& layout, const LayoutInput& input);

// The regions compose() uses for `participant_count` participants: those of the
// first variant whose range holds the count, else the layout's own.
const std::vector<Region>& regions_for(const Layout& layout, size_t participant_count);

// A region's area on a canvas, clipped to it. Edges are rounded (not sizes), so
// regions that touch in the layout touch exactly on any canvas size.
Rect region_rect(const Region& region, int canvas_width, int canvas_height);

// A one-region grid showing everyone; the fallback when no layout file is found.
Layout builtin_grid_layout();

// Stable seats. A joining participant takes the lowest free slot; a leaving
// one frees its slot without moving anyone else.
class SlotTable {
 public:
  int join(const std::string& participant_id);  // returns the slot (existing one if present)
  void leave(const std::string& participant_id);
  std::optional<int> slot_of(const std::string& participant_id) const;
  // Number of seats: the highest taken slot + 1 (free seats below it count,
  // free seats at the end are trimmed). 0 when the room is empty.
  size_t size() const;
  size_t count() const;  // seats taken, i.e. participants

 private:
  std::vector<std::string> seats_;  // index = slot, "" = free
};

}  // namespace mixcast
