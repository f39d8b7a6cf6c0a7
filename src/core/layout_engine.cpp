// The layout engine: layout + participants -> tiles. Pure integer geometry so
// that the result is exact and identical on every machine.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>

#include "core/layout.h"

namespace mixcast {

namespace {

// Relative lengths are snapped to this grid (well below a pixel even on a 16K
// canvas) so that values equal on paper (0.1 + 0.2 and 0.3) give the same edge.
constexpr int64_t kRelativeScale = 1'000'000;

// a / b rounded to nearest (halves up), for b > 0 and any sign of a.
int64_t div_round(int64_t a, int64_t b) {
  const int64_t num = 2 * a + b;
  const int64_t den = 2 * b;
  // Floor division: C++ truncates towards zero.
  return num >= 0 ? num / den : -((-num + den - 1) / den);
}

// Clamped so that nonsense from code (the parser checks ranges) cannot overflow.
int64_t snap_relative(double value) {
  return std::llround(std::clamp(value, -1000.0, 1000.0) * kRelativeScale);
}

// Edge at `start + size` along one axis. Rounding the far edge (not the size)
// keeps neighbouring regions gap-free on odd canvases.
int far_edge(const Length& start, const Length& size, int extent) {
  if (start.unit == size.unit) {
    return Length{start.value + size.value, start.unit}.resolve(extent);
  }
  return start.resolve(extent) + size.resolve(extent);
}

// The shape of a grid for `n` tiles.
struct GridShape {
  int cols = 1;
  int rows = 1;
};

// Picks the grid that shows the largest 16:9 picture per participant in an
// area of w x h with `gap` pixels between cells. Ties (within rounding) go to
// the shape with fewer empty cells, then to more columns (side by side).
GridShape choose_grid(int n, int w, int h, int gap) {
  GridShape best;
  double best_area = -1;
  int best_empty = 0;
  for (int cols = 1; cols <= n; ++cols) {
    const int rows = (n + cols - 1) / cols;
    const double cw = (w - double(cols - 1) * gap) / cols;
    const double ch = (h - double(rows - 1) * gap) / rows;
    double area = 0;
    if (cw > 0 && ch > 0) {
      const double pic_w = std::min(cw, ch * 16.0 / 9.0);
      area = pic_w * (pic_w * 9.0 / 16.0);
    }
    const int empty = cols * rows - n;
    const double tolerance = 1e-9 * std::max(1.0, best_area);
    const bool better = area > best_area + tolerance ||
                        (std::abs(area - best_area) <= tolerance && empty <= best_empty);
    if (better) {
      best = {cols, rows};
      best_area = area;
      best_empty = empty;
    }
  }
  return best;
}

// Cells for `n` tiles in `area`, in reading order. Cell edges are computed as
// round(i * (extent + gap) / count) so that, without a gap, they tile the area
// exactly; a last incomplete grid row is centred.
std::vector<Rect> arrange_cells(const Rect& area, int n, Arrange arrange, int gap) {
  std::vector<Rect> cells;
  if (n <= 0 || area.empty()) return cells;
  GridShape shape;
  switch (arrange) {
    case Arrange::Grid:
      shape = choose_grid(n, area.width, area.height, gap);
      break;
    case Arrange::Row:
      shape = {n, 1};
      break;
    case Arrange::Column:
      shape = {1, n};
      break;
  }
  const int64_t span_w = int64_t{area.width} + gap;
  const int64_t span_h = int64_t{area.height} + gap;
  cells.reserve(n);
  for (int i = 0; i < n; ++i) {
    const int row = i / shape.cols;
    const int col = i % shape.cols;
    const int in_row = std::min(shape.cols, n - row * shape.cols);
    // In half cells, so that centring by (cols - in_row) / 2 stays integral.
    const int64_t shift = shape.cols - in_row;
    const int64_t left = div_round((2 * col + shift) * span_w, 2 * int64_t{shape.cols});
    const int64_t right =
        div_round((2 * (col + 1) + shift) * span_w, 2 * int64_t{shape.cols}) - gap;
    const int64_t top = div_round(row * span_h, shape.rows);
    const int64_t bottom = div_round((row + 1) * span_h, shape.rows) - gap;
    cells.push_back(
        Rect{area.x + int(left), area.y + int(top), int(right - left), int(bottom - top)});
  }
  return cells;
}

// Where the picture goes in `cell` and what to cut from the source, per `fit`.
void apply_fit(Tile& tile, Fit fit, const ParticipantView& p) {
  tile.rect = tile.cell;
  tile.crop = {};
  const int64_t sw = p.video_width;
  const int64_t sh = p.video_height;
  const int64_t cw = tile.cell.width;
  const int64_t ch = tile.cell.height;
  // Unknown source size: nothing to keep the aspect of, so stretch.
  if (sw <= 0 || sh <= 0 || cw <= 0 || ch <= 0) return;
  const bool source_wider = sw * ch > cw * sh;
  switch (fit) {
    case Fit::Stretch:
      return;
    case Fit::Cover:
      // Keep the centre part of the source that has the cell's aspect.
      if (source_wider) {
        const int64_t cut = sw - std::clamp<int64_t>(div_round(sh * cw, ch), 1, sw);
        tile.crop.left = int(cut / 2);
        tile.crop.right = int(cut - cut / 2);
      } else {
        const int64_t cut = sh - std::clamp<int64_t>(div_round(sw * ch, cw), 1, sh);
        tile.crop.top = int(cut / 2);
        tile.crop.bottom = int(cut - cut / 2);
      }
      return;
    case Fit::Contain:
      // Largest centred rect of the source's aspect; the rest of the cell stays
      // background (letterbox / pillarbox).
      if (source_wider) {
        const int h = int(std::clamp<int64_t>(div_round(cw * sh, sw), 1, ch));
        tile.rect.height = h;
        tile.rect.y = tile.cell.y + (tile.cell.height - h) / 2;
      } else {
        const int w = int(std::clamp<int64_t>(div_round(ch * sw, sh), 1, cw));
        tile.rect.width = w;
        tile.rect.x = tile.cell.x + (tile.cell.width - w) / 2;
      }
      return;
  }
}

const std::string& label_text(const ParticipantView& p) {
  if (!p.display_name.empty()) return p.display_name;
  if (!p.identity.empty()) return p.identity;
  return p.id;
}

// Pinned (lowest slot) > active speaker > lowest slot. `people` is in slot order.
const ParticipantView* pick_speaker(const std::vector<const ParticipantView*>& people,
                                    const std::string& active_speaker) {
  for (const auto* p : people) {
    if (p->pinned) return p;
  }
  if (!active_speaker.empty()) {
    for (const auto* p : people) {
      if (p->id == active_speaker) return p;
    }
  }
  return people.empty() ? nullptr : people.front();
}

// The one participant shown by a Slot / Identity / Speaker region, if any.
const ParticipantView* pick_single(const Region& region,
                                   const std::vector<const ParticipantView*>& people,
                                   const std::string& active_speaker) {
  switch (region.source) {
    case SourceKind::Slot:
      for (const auto* p : people) {
        if (p->slot == region.slot) return p;
      }
      return nullptr;
    case SourceKind::Identity:
      if (region.identity.empty()) return nullptr;
      for (const auto* p : people) {
        if (p->identity == region.identity) return p;
      }
      return nullptr;
    case SourceKind::Speaker:
      return pick_speaker(people, active_speaker);
    case SourceKind::Others:
    case SourceKind::All:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

int Length::resolve(int canvas_extent) const {
  if (!std::isfinite(value)) return 0;
  if (unit == Unit::Pixels) return int(std::llround(std::clamp(value, -1e9, 1e9)));
  return int(div_round(snap_relative(value) * canvas_extent, kRelativeScale));
}

const std::vector<Region>& regions_for(const Layout& layout, size_t participant_count) {
  for (const auto& variant : layout.variants) {
    const bool above_min = participant_count >= size_t(std::max(0, variant.min_participants));
    const bool below_max =
        variant.max_participants <= 0 || participant_count <= size_t(variant.max_participants);
    if (above_min && below_max) return variant.regions;
  }
  return layout.regions;
}

Rect region_rect(const Region& region, int canvas_width, int canvas_height) {
  const int w = std::max(0, canvas_width);
  const int h = std::max(0, canvas_height);
  const int left = std::clamp(region.x.resolve(w), 0, w);
  const int right = std::clamp(far_edge(region.x, region.width, w), left, w);
  const int top = std::clamp(region.y.resolve(h), 0, h);
  const int bottom = std::clamp(far_edge(region.y, region.height, h), top, h);
  return Rect{left, top, right - left, bottom - top};
}

Composition compose(const Layout& layout, const LayoutInput& input) {
  Composition out;
  out.canvas_width = input.canvas_width;
  out.canvas_height = input.canvas_height;
  if (input.participants.empty()) return out;

  // Everything below works in slot order; ties (should not happen with a
  // SlotTable) are broken by id to stay deterministic.
  std::vector<const ParticipantView*> people;
  people.reserve(input.participants.size());
  for (const auto& p : input.participants) people.push_back(&p);
  std::stable_sort(people.begin(), people.end(), [](const auto* a, const auto* b) {
    return a->slot != b->slot ? a->slot < b->slot : a->id < b->id;
  });

  const auto& regions = regions_for(layout, people.size());

  // First pass: who the single-participant regions show, so that Others can
  // leave them out wherever the regions appear in the list.
  std::vector<const ParticipantView*> single(regions.size(), nullptr);
  std::set<std::string> featured;
  for (size_t i = 0; i < regions.size(); ++i) {
    single[i] = pick_single(regions[i], people, input.active_speaker);
    if (single[i] != nullptr) featured.insert(single[i]->id);
  }
  std::vector<const ParticipantView*> others;
  for (const auto* p : people) {
    if (!featured.contains(p->id)) others.push_back(p);
  }

  std::set<std::string> tiled;
  for (size_t i = 0; i < regions.size(); ++i) {
    const Region& region = regions[i];
    const Rect area = region_rect(region, input.canvas_width, input.canvas_height);
    if (area.empty()) continue;

    const LabelStyle& label_style = region.label ? *region.label : layout.label;
    const BorderStyle& border = region.border ? *region.border : layout.border;
    const PlaceholderStyle& placeholder =
        region.placeholder ? *region.placeholder : layout.placeholder;
    const std::string region_id = region.id.empty() ? "region" + std::to_string(i) : region.id;

    auto add_tile = [&](const ParticipantView& p, const Rect& cell) {
      Tile tile;
      tile.participant_id = p.id;
      tile.region_id = region_id;
      tile.cell = cell;
      tile.z = region.z;
      tile.placeholder = !p.has_video;
      tile.placeholder_style = placeholder;
      tile.label = label_style.show ? label_text(p) : std::string();
      tile.label_style = label_style;
      tile.border = border;
      if (tile.placeholder) {
        tile.rect = cell;
      } else {
        apply_fit(tile, region.fit, p);
      }
      out.tiles.push_back(std::move(tile));
      tiled.insert(p.id);
    };

    if (region.source == SourceKind::Others || region.source == SourceKind::All) {
      const auto& shown = region.source == SourceKind::All ? people : others;
      int count = int(shown.size());
      if (region.max > 0) count = std::min(count, region.max);
      const auto cells = arrange_cells(area, count, region.arrange, region.gap);
      for (int k = 0; k < count; ++k) {
        // A gap larger than the cells leaves nothing to draw: hidden instead.
        if (!cells[k].empty()) add_tile(*shown[k], cells[k]);
      }
    } else if (single[i] != nullptr) {
      add_tile(*single[i], area);
    }
  }

  // Tiles were produced in region order; a stable sort keeps it within a z.
  std::stable_sort(out.tiles.begin(), out.tiles.end(),
                   [](const Tile& a, const Tile& b) { return a.z < b.z; });

  for (const auto* p : people) {
    if (!tiled.contains(p->id)) out.hidden.push_back(p->id);
  }
  return out;
}

Layout builtin_grid_layout() {
  Layout layout;
  layout.name = "grid";
  Region region;
  region.id = "grid";
  region.width = {1.0, Length::Unit::Relative};
  region.height = {1.0, Length::Unit::Relative};
  region.source = SourceKind::All;
  region.arrange = Arrange::Grid;
  layout.regions.push_back(region);
  return layout;
}

}  // namespace mixcast
