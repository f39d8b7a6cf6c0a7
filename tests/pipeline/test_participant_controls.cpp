// The operator's participant controls, seen and heard in the programme: a
// muted voice is gone from the mix and from everyone's mix-minus, a volume
// change moves that voice alone by as many dB, a muted picture shows the
// placeholder, a pin puts someone in the focus region, a rename redraws the
// label; all of it survives a rebuild of the mixing core.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/i420.h"
#include "media/canvas_painter.h"
#include "room_harness.h"
#include "test_support.h"

using namespace mixcast;
using mixcast::testing::Guest;
using mixcast::testing::RoomHarness;
using mixcast::testing::run_command;
using mixcast::testing::TempDir;
using mixcast::testing::uri_for;

namespace {

const Guest kA{"Alpha", {255, 0, 0}, 440};
const Guest kB{"Bravo", {0, 255, 0}, 660};
const Guest kC{"Charlie", {0, 0, 255}, 880};

constexpr double kPresent = 1e-3;  // Goertzel power of a tone at volume 0.3 is ~0.02
constexpr double kAbsent = 1e-5;   // more than 30 dB under that
constexpr int kColourTolerance = 40;
// Audio taken after a change: its last 0.5 s window is wholly after it
// (the taps' delay is far under the extra 0.3 s).
constexpr double kFreshAudioS = 0.8;

double db(double power_ratio) {
  return 10 * std::log10(std::max(power_ratio, 1e-30));
}

const Tile* tile_of(const Composition& c, const std::string& id) {
  for (const auto& t : c.tiles)
    if (t.participant_id == id) return &t;
  return nullptr;
}
// Room::composition() is a copy: a tile of that temporary dangles at the end
// of the statement (ASan: heap-use-after-free). Keep the composition first.
const Tile* tile_of(Composition&& c, const std::string& id) = delete;

ParticipantStatus status_of(RoomHarness& h, const std::string& id) {
  for (const auto& p : h.room().status().participants)
    if (p.id == id) return p;
  ADD_FAILURE() << "no participant " << id << " in the status";
  return {};
}

bool shows(RoomHarness& h, const Rect& rect, const Color& colour, int tolerance) {
  auto frame = h.latest_frame();
  return frame && color_distance(h.colour_at(*frame, rect), colour) <= tolerance;
}

// A room with Alpha, Bravo and Charlie (distinct colours and tones), their
// three mix-minus feeds tapped, running with every tone in the mix.
struct Trio {
  explicit Trio(const std::string& layout = "grid") : h(layout) {
    h.start();
    a = h.join(kA.name, uri_for(kA));
    b = h.join(kB.name, uri_for(kB));
    c = h.join(kC.name, uri_for(kC));
    for (const auto& id : {a, b, c}) h.tap_mix_minus(id);
  }
  // Every tile shows its colour and every tone is in the mix.
  bool running(double timeout_s = 15) {
    return h.run_until(
        [&] {
          const Composition comp = h.room().composition();
          if (comp.tiles.size() != 3 || h.frames_seen() < 30) return false;
          for (const auto& [id, g] : guests()) {
            const Tile* t = tile_of(comp, id);
            if (!t || !shows(h, t->rect, g->colour, kColourTolerance)) return false;
            if (h.tone_power(g->tone) < kPresent) return false;
          }
          return true;
        },
        timeout_s);
  }
  std::map<std::string, const Guest*> guests() const { return {{a, &kA}, {b, &kB}, {c, &kC}}; }

  RoomHarness h;
  std::string a, b, c;
};

// The own tone of each mix-minus is more than 30 dB under the level the
// same tone has in the full mix (absent for someone muted): nobody hears
// themselves.
void expect_nobody_hears_themselves(Trio& t) {
  for (const auto& [id, g] : t.guests()) {
    const double in_mix = t.h.tone_power(g->tone);
    const double own = t.h.mix_minus_tone_power(id, g->tone);
    if (in_mix < kAbsent) {
      EXPECT_LT(own, kAbsent) << g->name << " is muted and hears themselves";
      continue;
    }
    EXPECT_LT(own, in_mix / 1000) << g->name << " hears themselves: " << db(own / in_mix) << " dB";
  }
}

// The last ParticipantUpdated event about `id` (other events, such as
// speaking, come and go meanwhile).
RoomEvent last_update(RoomHarness& h, const std::string& id) {
  for (auto it = h.events().rbegin(); it != h.events().rend(); ++it)
    if (it->kind == RoomEventKind::ParticipantUpdated && it->id == id) return *it;
  ADD_FAILURE() << "no participant_updated event for " << id;
  return {};
}

int count_updates(RoomHarness& h, const std::string& id) {
  int n = 0;
  for (const auto& e : h.events())
    if (e.kind == RoomEventKind::ParticipantUpdated && e.id == id) ++n;
  return n;
}

}  // namespace

TEST(ParticipantControls, MutedVoiceLeavesTheMixAndEveryMixMinus) {
  Trio t;
  ASSERT_TRUE(t.running());
  ASSERT_TRUE(t.h.wait_for_fresh_audio(kFreshAudioS));
  EXPECT_GT(t.h.mix_minus_tone_power(t.a, kB.tone), kPresent) << "Alpha hears Bravo";
  EXPECT_GT(t.h.mix_minus_tone_power(t.c, kB.tone), kPresent) << "Charlie hears Bravo";

  EXPECT_EQ(t.h.room().set_muted(t.b, Participant::Stream::Audio, true), std::nullopt);
  ASSERT_TRUE(t.h.wait_for_fresh_audio(kFreshAudioS));
  EXPECT_LT(t.h.tone_power(kB.tone), kAbsent) << "Bravo is out of the mix";
  EXPECT_GT(t.h.tone_power(kA.tone), kPresent);
  EXPECT_GT(t.h.tone_power(kC.tone), kPresent);
  EXPECT_LT(t.h.mix_minus_tone_power(t.a, kB.tone), kAbsent) << "Alpha no longer hears Bravo";
  EXPECT_GT(t.h.mix_minus_tone_power(t.a, kC.tone), kPresent) << "...but still Charlie";
  EXPECT_LT(t.h.mix_minus_tone_power(t.c, kB.tone), kAbsent) << "Charlie no longer hears Bravo";
  EXPECT_GT(t.h.mix_minus_tone_power(t.c, kA.tone), kPresent) << "...but still Alpha";
  // Bravo still hears the others, and (muted or not) not themselves.
  EXPECT_GT(t.h.mix_minus_tone_power(t.b, kA.tone), kPresent);
  EXPECT_GT(t.h.mix_minus_tone_power(t.b, kC.tone), kPresent);
  EXPECT_LT(t.h.mix_minus_tone_power(t.b, kB.tone), kAbsent);
  EXPECT_TRUE(status_of(t.h, t.b).audio_muted);
  EXPECT_FALSE(status_of(t.h, t.b).video_muted);
  const RoomEvent event = last_update(t.h, t.b);
  EXPECT_EQ(event.name, kB.name);
  EXPECT_TRUE(event.audio_muted);
  EXPECT_FALSE(event.video_muted);

  EXPECT_EQ(t.h.room().set_muted(t.b, Participant::Stream::Audio, false), std::nullopt);
  ASSERT_TRUE(t.h.wait_for_fresh_audio(kFreshAudioS));
  EXPECT_GT(t.h.tone_power(kB.tone), kPresent) << "Bravo is back in the mix";
  EXPECT_GT(t.h.mix_minus_tone_power(t.a, kB.tone), kPresent) << "...and in Alpha's ears";
  EXPECT_GT(t.h.mix_minus_tone_power(t.c, kB.tone), kPresent) << "...and in Charlie's";
  expect_nobody_hears_themselves(t);
  EXPECT_FALSE(status_of(t.h, t.b).audio_muted);
  EXPECT_EQ(count_updates(t.h, t.b), 2) << "one event per change";
}

TEST(ParticipantControls, VolumeMovesOneVoiceByItsDbInTheMixAndTheOthersEars) {
  Trio t;
  ASSERT_TRUE(t.running());
  ASSERT_TRUE(t.h.wait_for_fresh_audio(kFreshAudioS));
  const double a_before = t.h.tone_power(kA.tone);
  const double b_before = t.h.tone_power(kB.tone);
  const double b_heard_by_c = t.h.mix_minus_tone_power(t.c, kB.tone);

  EXPECT_EQ(t.h.room().set_volume_db(t.b, -20), std::nullopt);
  ASSERT_TRUE(t.h.wait_for_fresh_audio(kFreshAudioS));
  const double b_change = db(t.h.tone_power(kB.tone) / b_before);
  const double a_change = db(t.h.tone_power(kA.tone) / a_before);
  const double heard_change = db(t.h.mix_minus_tone_power(t.c, kB.tone) / b_heard_by_c);
  std::printf("Bravo at -20 dB: mix %+.2f dB, in Charlie's ears %+.2f dB; Alpha %+.2f dB\n",
              b_change, heard_change, a_change);
  EXPECT_NEAR(b_change, -20, 2) << "Bravo's tone in the mix";
  EXPECT_NEAR(heard_change, -20, 2) << "Bravo's tone in Charlie's mix-minus";
  EXPECT_NEAR(a_change, 0, 1) << "Alpha unchanged";
  // Scaled before the sum: each feed still loses exactly its own samples.
  expect_nobody_hears_themselves(t);
  EXPECT_DOUBLE_EQ(status_of(t.h, t.b).volume_db, -20);
  EXPECT_DOUBLE_EQ(last_update(t.h, t.b).volume_db, -20);
}

TEST(ParticipantControls, MutedVideoShowsThePlaceholderAndUnmutingBringsThePictureBack) {
  Trio t;
  ASSERT_TRUE(t.running());
  EXPECT_EQ(t.h.room().set_muted(t.b, Participant::Stream::Video, true), std::nullopt);
  const Composition muted_comp = t.h.room().composition();
  const Tile* muted = tile_of(muted_comp, t.b);
  ASSERT_TRUE(muted);
  EXPECT_TRUE(muted->placeholder);
  const Rect cell = muted->cell;
  const Color placeholder = muted->placeholder_style.color;
  ASSERT_GT(color_distance(placeholder, kB.colour), 100) << "a test that can tell them apart";
  EXPECT_TRUE(t.h.run_until([&] { return shows(t.h, cell, placeholder, 12); }, 5))
      << "Bravo's tile shows the placeholder";
  auto frame = t.h.latest_frame();
  EXPECT_GT(color_distance(t.h.colour_at(*frame, cell), kB.colour), 100) << "not Bravo's picture";
  const Composition c = t.h.room().composition();
  for (const auto& id : {t.a, t.c}) {
    const Tile* other = tile_of(c, id);
    ASSERT_TRUE(other);
    EXPECT_FALSE(other->placeholder);
    EXPECT_LE(color_distance(t.h.colour_at(*frame, other->rect), t.guests().at(id)->colour),
              kColourTolerance)
        << id << " keeps its picture";
  }
  EXPECT_GT(t.h.tone_power(kB.tone), kPresent) << "a muted picture leaves the voice alone";
  EXPECT_TRUE(status_of(t.h, t.b).video_muted);
  EXPECT_TRUE(status_of(t.h, t.b).has_video) << "the stream is still there";

  EXPECT_EQ(t.h.room().set_muted(t.b, Participant::Stream::Video, false), std::nullopt);
  const Composition back_comp = t.h.room().composition();
  const Tile* back = tile_of(back_comp, t.b);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->placeholder);
  const Rect rect = back->rect;
  EXPECT_TRUE(t.h.run_until([&] { return shows(t.h, rect, kB.colour, kColourTolerance); }, 5))
      << "Bravo's picture is back";
  EXPECT_FALSE(status_of(t.h, t.b).video_muted);
}

TEST(ParticipantControls, PinnedParticipantTakesTheFocusRegionOnePinAtATime) {
  RoomHarness h("speaker");
  h.start();
  // Only Bravo speaks: without a pin, the focus follows the active speaker.
  const std::string a = h.join(kA.name, uri_for(kA) + "&audio=0");
  const std::string b = h.join(kB.name, uri_for(kB));
  const std::string c = h.join(kC.name, uri_for(kC) + "&audio=0");
  // The focus region as the layout engine places it for three participants.
  const Layout& layout = h.room().layout();
  const Region* focus = nullptr;
  for (const auto& r : regions_for(layout, 3))
    if (r.source == SourceKind::Speaker) focus = &r;
  ASSERT_TRUE(focus) << "the speaker layout has a focus region";
  const Rect focus_rect = region_rect(*focus, h.room().width(), h.room().height());
  auto in_focus = [&] {
    for (const auto& t : h.room().composition().tiles)
      if (t.region_id == focus->id) {
        EXPECT_EQ(t.cell, focus_rect);
        return t.participant_id;
      }
    return std::string();
  };
  const std::map<std::string, Color> colours = {{a, kA.colour}, {b, kB.colour}, {c, kC.colour}};
  // The focus shows `id`, in their colour, and everyone else is in the strip.
  auto focus_shows = [&](const std::string& id) {
    if (in_focus() != id || !shows(h, focus_rect, colours.at(id), kColourTolerance)) return false;
    for (const auto& t : h.room().composition().tiles)
      if (t.region_id != focus->id &&
          (t.participant_id == id ||
           !shows(h, t.rect, colours.at(t.participant_id), kColourTolerance)))
        return false;
    return h.room().composition().tiles.size() == 3;
  };
  ASSERT_TRUE(h.run_until([&] { return focus_shows(b); }, 15)) << "Bravo speaks: in focus";

  EXPECT_EQ(h.room().set_pinned(c, true), std::nullopt);
  EXPECT_TRUE(h.run_until([&] { return focus_shows(c); }, 5)) << "pinned Charlie beats the speaker";
  EXPECT_TRUE(status_of(h, c).pinned);
  EXPECT_TRUE(status_of(h, b).speaking) << "Bravo still speaks";

  const size_t mark = h.events().size();
  EXPECT_EQ(h.room().set_pinned(a, true), std::nullopt);
  EXPECT_TRUE(h.run_until([&] { return focus_shows(a); }, 5)) << "pinning Alpha moves the focus";
  EXPECT_TRUE(status_of(h, a).pinned);
  EXPECT_FALSE(status_of(h, c).pinned) << "one pin per room: Charlie was unpinned";
  // Both changes were told: Charlie lost the pin, then Alpha got it.
  std::vector<RoomEvent> updates;
  for (size_t i = mark; i < h.events().size(); ++i)
    if (h.events()[i].kind == RoomEventKind::ParticipantUpdated) updates.push_back(h.events()[i]);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].id, c);
  EXPECT_FALSE(updates[0].pinned);
  EXPECT_EQ(updates[1].id, a);
  EXPECT_TRUE(updates[1].pinned);

  EXPECT_EQ(h.room().set_pinned(a, false), std::nullopt);
  EXPECT_TRUE(h.run_until([&] { return focus_shows(b); }, 5)) << "unpinned: the speaker again";
  for (const auto& id : {a, b, c}) EXPECT_FALSE(status_of(h, id).pinned);
}

namespace {

// The canvas as the painter should draw it around one tile: the tile's
// colour, and on it the labels the paint plan of `composition` puts there
// (rendered afresh, not from the room's cache).
struct Expected {
  std::vector<uint8_t> data;
  I420Frame view;
  std::vector<Rect> labels;  // where the plan puts images inside the tile
};

Expected paint_expected(const Composition& composition, const Layout& layout, const Tile& tile,
                        const Color& colour) {
  Expected e;
  const int w = composition.canvas_width, h = composition.canvas_height;
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  e.data.resize(w * h + 2 * cw * ch);
  e.view.planes[0] = e.data.data();
  e.view.planes[1] = e.data.data() + w * h;
  e.view.planes[2] = e.data.data() + w * h + cw * ch;
  e.view.strides[0] = w;
  e.view.strides[1] = e.view.strides[2] = cw;
  e.view.width = w;
  e.view.height = h;
  fill_frame(e.view, colour);
  PaintPlanner planner;
  const PaintPlan plan = planner.plan(composition, layout);
  for (const auto& img : plan.images) {
    const Rect r{img.x, img.y, img.image->width, img.image->height};
    if (r.x < tile.cell.x || r.y < tile.cell.y || r.x + r.width > tile.cell.x + tile.cell.width ||
        r.y + r.height > tile.cell.y + tile.cell.height)
      continue;
    blend_argb(e.view, img.x, img.y, img.image->pixels.data(), img.image->width, img.image->height,
               img.image->stride);
    e.labels.push_back(r);
  }
  return e;
}

Rect bounding(const std::vector<Rect>& rects) {
  if (rects.empty()) return {};
  int x0 = rects[0].x, y0 = rects[0].y, x1 = x0 + rects[0].width, y1 = y0 + rects[0].height;
  for (const auto& r : rects) {
    x0 = std::min(x0, r.x), y0 = std::min(y0, r.y);
    x1 = std::max(x1, r.x + r.width), y1 = std::max(y1, r.y + r.height);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

// Mean absolute difference of the luma of `a` and `b` over `r`.
double luma_difference(const I420Frame& a, const I420Frame& b, const Rect& r) {
  double total = 0;
  for (int y = r.y; y < r.y + r.height; ++y)
    for (int x = r.x; x < r.x + r.width; ++x)
      total +=
          std::abs(int(a.planes[0][y * a.strides[0] + x]) - int(b.planes[0][y * b.strides[0] + x]));
  return total / std::max(1, r.width * r.height);
}

}  // namespace

TEST(ParticipantControls, RenameRedrawsTheLabelInThePicture) {
  Trio t;
  ASSERT_TRUE(t.running());
  const std::string new_name = "Studio guest \xe4\xb8\xbb";  // and a CJK character
  const Composition before = t.h.room().composition();
  const Tile* old_tile = tile_of(before, t.b);
  ASSERT_TRUE(old_tile);
  ASSERT_EQ(old_tile->label, kB.name);
  const Expected old_look = paint_expected(before, t.h.room().layout(), *old_tile, kB.colour);
  ASSERT_EQ(old_look.labels.size(), 1u) << "Bravo's tile has one label";
  // The model is right: the room draws the old label as expected.
  auto matches = [&](const Expected& e, const Rect& area) {
    auto frame = t.h.latest_frame();
    return frame && luma_difference(frame->view, e.view, area) < 6;
  };
  ASSERT_TRUE(t.h.run_until([&] { return matches(old_look, old_look.labels[0]); }, 5));

  EXPECT_EQ(t.h.room().rename_participant(t.b, new_name), std::nullopt);
  const Composition after = t.h.room().composition();
  const Tile* new_tile = tile_of(after, t.b);
  ASSERT_TRUE(new_tile);
  EXPECT_EQ(new_tile->label, new_name);
  const Expected new_look = paint_expected(after, t.h.room().layout(), *new_tile, kB.colour);
  ASSERT_EQ(new_look.labels.size(), 1u);
  const Rect area = bounding({old_look.labels[0], new_look.labels[0]});
  const double apart = luma_difference(old_look.view, new_look.view, area);
  ASSERT_GT(apart, 20) << "the two labels look different enough to tell";

  EXPECT_TRUE(t.h.run_until([&] { return matches(new_look, area); }, 5))
      << "the picture shows the new label";
  auto frame = t.h.latest_frame();
  const double to_new = luma_difference(frame->view, new_look.view, area);
  const double to_old = luma_difference(frame->view, old_look.view, area);
  std::printf("label area: %.2f from the new label, %.2f from the old (they differ by %.2f)\n",
              to_new, to_old, apart);
  EXPECT_GT(to_old, 20) << "the old label is gone";
  EXPECT_EQ(status_of(t.h, t.b).name, new_name);
  EXPECT_EQ(last_update(t.h, t.b).name, new_name);
}

// A room that runs for days sees thousands of names: the painter keeps the
// labels on the canvas (drawn once while they stay) and forgets those that
// left.
TEST(ParticipantControls, ThePainterKeepsOnlyTheLabelsStillOnTheCanvas) {
  Trio t;
  ASSERT_TRUE(t.running());
  Composition comp = t.h.room().composition();
  const Layout& layout = t.h.room().layout();
  std::vector<Tile*> labelled;
  for (auto& tile : comp.tiles)
    if (!tile.label.empty()) labelled.push_back(&tile);
  ASSERT_GE(labelled.size(), 2u);
  PaintPlanner planner;
  const PaintPlan first = planner.plan(comp, layout);
  const size_t kept_at_first = planner.kept_images();
  ASSERT_GE(kept_at_first, labelled.size());
  // The first tile keeps its name while the second sees 1000 guests go by.
  auto image_at = [](const PaintPlan& plan, size_t i) { return plan.images.at(i).image.get(); };
  const size_t first_label = first.images.size() - labelled.size();
  for (int guest = 0; guest < 1000; ++guest) {
    labelled[1]->label = "guest " + std::to_string(guest);
    const PaintPlan plan = planner.plan(comp, layout);
    ASSERT_EQ(plan.images.size(), first.images.size());
    ASSERT_EQ(image_at(plan, first_label), image_at(first, first_label))
        << "a label that stays is not drawn again";
    ASSERT_EQ(planner.kept_images(), kept_at_first) << "after guest " << guest;
  }
}

TEST(ParticipantControls, MuteVolumeAndPinSurviveACoreRebuild) {
  Trio t;
  ASSERT_TRUE(t.running());
  ASSERT_TRUE(t.h.wait_for_fresh_audio(kFreshAudioS));
  const double a_before = t.h.tone_power(kA.tone);
  Room& room = t.h.room();
  EXPECT_EQ(room.set_muted(t.b, Participant::Stream::Audio, true), std::nullopt);
  EXPECT_EQ(room.set_muted(t.c, Participant::Stream::Video, true), std::nullopt);
  EXPECT_EQ(room.set_volume_db(t.a, -20), std::nullopt);
  EXPECT_EQ(room.set_pinned(t.a, true), std::nullopt);
  ASSERT_TRUE(t.h.wait_for_fresh_audio(kFreshAudioS));
  ASSERT_LT(t.h.tone_power(kB.tone), kAbsent);

  const guint64 frames = t.h.frames_seen();
  room.rebuild_core("test");
  ASSERT_EQ(room.status().core_rebuilds, 1);
  // The mix-minus feeds went with the old core.
  for (const auto& id : {t.a, t.b, t.c}) t.h.tap_mix_minus(id);
  ASSERT_TRUE(t.h.run_until([&] { return t.h.frames_seen() > frames + 30; }, 10))
      << "the rebuilt core runs";
  ASSERT_TRUE(t.h.wait_for_fresh_audio(1.0));
  // Everything from the rebuild on (the last second): Bravo never came back.
  EXPECT_LT(t.h.tone_power(kB.tone, 1.0), kAbsent) << "still muted after the rebuild";
  EXPECT_LT(t.h.mix_minus_tone_power(t.a, kB.tone, 1.0), kAbsent);
  EXPECT_LT(t.h.mix_minus_tone_power(t.c, kB.tone, 1.0), kAbsent);
  EXPECT_GT(t.h.tone_power(kC.tone), kPresent);
  const double a_change = db(t.h.tone_power(kA.tone) / a_before);
  EXPECT_NEAR(a_change, -20, 2) << "Alpha's volume kept";
  expect_nobody_hears_themselves(t);
  const Composition comp = room.composition();
  const Tile* c_tile = tile_of(comp, t.c);
  ASSERT_TRUE(c_tile);
  EXPECT_TRUE(c_tile->placeholder);
  const Rect c_cell = c_tile->cell;
  const Color placeholder = c_tile->placeholder_style.color;
  EXPECT_TRUE(t.h.run_until([&] { return shows(t.h, c_cell, placeholder, 12); }, 5))
      << "Charlie's picture still muted";
  const ParticipantStatus a = status_of(t.h, t.a), b = status_of(t.h, t.b);
  EXPECT_TRUE(b.audio_muted);
  EXPECT_TRUE(status_of(t.h, t.c).video_muted);
  EXPECT_DOUBLE_EQ(a.volume_db, -20);
  EXPECT_TRUE(a.pinned);

  // The controls act on the new core too.
  EXPECT_EQ(room.set_muted(t.b, Participant::Stream::Audio, false), std::nullopt);
  ASSERT_TRUE(t.h.wait_for_fresh_audio(kFreshAudioS));
  EXPECT_GT(t.h.tone_power(kB.tone), kPresent) << "unmuted on the rebuilt core";
  EXPECT_GT(t.h.mix_minus_tone_power(t.a, kB.tone), kPresent);
}

TEST(ParticipantControls, UnknownParticipantsAndBadValuesAreRefused) {
  RoomHarness h("grid");
  h.start();
  const std::string b = h.join(kB.name, uri_for(kB));
  ASSERT_TRUE(h.run_until([&] { return h.room().composition().tiles.size() == 1; }, 10));
  Room& room = h.room();

  auto expect_not_found = [](const ApiResult& r, const char* what) {
    ASSERT_TRUE(r.has_value()) << what;
    EXPECT_EQ(r->kind, ErrorKind::NotFound) << what;
    EXPECT_EQ(r->status(), 404) << what;
  };
  expect_not_found(room.rename_participant("nobody", "Name"), "rename");
  expect_not_found(room.set_muted("nobody", Participant::Stream::Audio, true), "mute audio");
  expect_not_found(room.set_muted("nobody", Participant::Stream::Video, true), "mute video");
  expect_not_found(room.set_volume_db("nobody", -6), "volume");
  expect_not_found(room.set_pinned("nobody", true), "pin");
  // An unknown id is refused before its value is looked at.
  expect_not_found(room.set_volume_db("nobody", 99), "volume, bad value too");

  auto expect_bad = [](const ApiResult& r, const std::string& field, const std::string& what) {
    ASSERT_TRUE(r.has_value()) << what;
    EXPECT_EQ(r->kind, ErrorKind::BadRequest) << what;
    EXPECT_EQ(r->status(), 400) << what;
    EXPECT_EQ(r->field, field) << what;
  };
  for (const std::string& name :
       {std::string(), std::string(65, 'x'), std::string("two\nlines"), std::string("bad\xff")})
    expect_bad(room.rename_participant(b, name), "name", "name '" + name + "'");
  for (double v : {-60.5, 20.5, std::numeric_limits<double>::quiet_NaN()})
    expect_bad(room.set_volume_db(b, v), "volume_db", "volume " + std::to_string(v));

  // Nothing changed, and nothing was announced.
  const ParticipantStatus s = status_of(h, b);
  EXPECT_EQ(s.name, kB.name);
  EXPECT_DOUBLE_EQ(s.volume_db, 0);
  EXPECT_FALSE(s.audio_muted || s.video_muted || s.pinned);
  EXPECT_EQ(h.room().composition().tiles.at(0).label, kB.name);
  EXPECT_EQ(count_updates(h, b), 0);

  // Asking for the state it is already in is done, and quiet.
  EXPECT_EQ(room.set_muted(b, Participant::Stream::Audio, false), std::nullopt);
  EXPECT_EQ(room.set_pinned(b, false), std::nullopt);
  EXPECT_EQ(room.set_volume_db(b, 0), std::nullopt);
  EXPECT_EQ(room.rename_participant(b, kB.name), std::nullopt);
  EXPECT_EQ(count_updates(h, b), 0);
  // The limits themselves are fine.
  EXPECT_EQ(room.set_volume_db(b, -60), std::nullopt);
  EXPECT_EQ(room.set_volume_db(b, 20), std::nullopt);
  EXPECT_EQ(room.rename_participant(b, std::string(64, 'y')), std::nullopt);
  EXPECT_EQ(count_updates(h, b), 3);
}

// A looping clip rejoins at its end as a new participant: the operator's
// mute and name stay with it (a muted jingle must not come back loud).
TEST(ParticipantControls, ALoopingClipKeepsItsControlsWhenItStartsOver) {
  TempDir dir("controls-loop");
  const std::string clip = dir.file("jingle.mp4");
  int exit_code = -1;
  const std::string output = run_command(
      "ffmpeg -nostdin -v error -f lavfi -i color=c=0x00ff00:s=320x180:r=30:d=1.5 -f lavfi -i "
      "sine=frequency=660:sample_rate=48000:duration=1.5 -c:v libx264 -pix_fmt yuv420p -c:a aac "
      "-shortest -y " +
          clip + " 2>&1",
      &exit_code);
  ASSERT_EQ(exit_code, 0) << output;

  RoomHarness h("grid");
  h.start();
  const std::string alpha = h.join(kA.name, uri_for(kA));
  SourceConfig jingle;
  jingle.name = "Jingle";
  jingle.identity = "jingle";
  jingle.uri = clip;
  jingle.loop = true;
  std::string error;
  const std::string first = h.room().add_source(jingle, error);
  ASSERT_FALSE(first.empty()) << error;
  ASSERT_TRUE(h.run_until([&] { return h.tone_power(660) > kPresent; }, 15)) << "the jingle plays";

  ASSERT_EQ(h.room().set_muted(first, Participant::Stream::Audio, true), std::nullopt);
  ASSERT_EQ(h.room().rename_participant(first, "Muted jingle"), std::nullopt);
  // It ends and starts over as someone new.
  std::string again;
  ASSERT_TRUE(h.run_until(
      [&] {
        for (const auto& p : h.room().status().participants)
          if (p.id != first && p.id != alpha) again = p.id;
        return !again.empty();
      },
      15))
      << "the clip rejoins";
  const ParticipantStatus rejoined = status_of(h, again);
  EXPECT_TRUE(rejoined.audio_muted);
  EXPECT_EQ(rejoined.name, "Muted jingle");
  // Its audio links muted: its tone stays out of the mix while Alpha's is there.
  ASSERT_TRUE(h.run_until([&] { return status_of(h, again).audio_level_db > -127; }, 10))
      << "the rejoined clip's audio is flowing";
  ASSERT_TRUE(h.wait_for_fresh_audio(kFreshAudioS));
  EXPECT_LT(h.tone_power(660), kAbsent) << "the jingle came back loud";
  EXPECT_GT(h.tone_power(kA.tone), kPresent);
}
