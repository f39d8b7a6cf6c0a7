// The room pipeline seen from the outside: the pixels of each tile where the
// layout engine says it is, the tones in the mix, and the mix that keeps
// moving while participants come and go.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "media/gst_ptr.h"
#include "room_harness.h"
#include "test_support.h"

using namespace mixcast;
using mixcast::testing::Guest;
using mixcast::testing::RoomHarness;
using mixcast::testing::uri_for;

namespace {

const Guest kGuests[] = {{"Red", {255, 0, 0}, 440},
                         {"Green", {0, 255, 0}, 660},
                         {"Blue", {0, 0, 255}, 880},
                         {"Yellow", {255, 255, 0}, 1100}};

constexpr double kPresent = 1e-3;  // Goertzel power of a tone at volume 0.3 is ~0.02
constexpr double kAbsent = 1e-5;
constexpr int kColourTolerance = 40;  // after compositor scaling and I420 rounding

// Every participant tile shows its participant's colour at its centre.
void expect_tiles(RoomHarness& h, const std::map<std::string, Color>& colours) {
  auto frame = h.latest_frame();
  ASSERT_TRUE(frame);
  const Composition c = h.room().composition();
  size_t checked = 0;
  for (const auto& tile : c.tiles) {
    auto it = colours.find(tile.participant_id);
    if (it == colours.end()) continue;
    const Color seen = h.colour_at(*frame, tile.rect);
    EXPECT_LE(color_distance(seen, it->second), kColourTolerance)
        << tile.participant_id << " at " << tile.rect.x << "," << tile.rect.y << " "
        << tile.rect.width << "x" << tile.rect.height << " shows " << seen.to_hex()
        << " instead of " << it->second.to_hex();
    ++checked;
  }
  EXPECT_EQ(checked, colours.size()) << "every participant has a tile";
}

}  // namespace

TEST(Room, FourParticipantsInTheirTilesAndTheirTonesInTheMix) {
  RoomHarness h("grid");
  h.start();
  std::map<std::string, Color> colours;
  for (const auto& g : kGuests) colours[h.join(g.name, uri_for(g))] = g.colour;
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 45; }, 10));
  h.run_for(1.0);
  ASSERT_EQ(h.room().composition().tiles.size(), 4u);
  expect_tiles(h, colours);
  for (const auto& g : kGuests) EXPECT_GT(h.tone_power(g.tone), kPresent) << g.name;
  EXPECT_LT(h.tone_power(550), kAbsent) << "no tone that nobody plays";
  // The grid is 2x2 on a 16:9 canvas: four distinct quadrants.
  std::set<std::pair<int, int>> corners;
  for (const auto& t : h.room().composition().tiles) corners.insert({t.rect.x, t.rect.y});
  EXPECT_EQ(corners.size(), 4u);
}

TEST(Room, LeavingParticipantsTileGoesAndTheOthersKeepMoving) {
  RoomHarness h("grid");
  h.start();
  std::vector<std::string> ids;
  std::map<std::string, Color> colours;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(h.join(kGuests[i].name, uri_for(kGuests[i])));
    colours[ids.back()] = kGuests[i].colour;
  }
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 45; }, 10));
  h.run_for(0.5);
  expect_tiles(h, colours);
  h.take_largest_frame_gap();

  // Red (the first seat) leaves: the grid reflows to two tiles.
  colours.erase(ids[0]);
  h.room().remove_participant(ids[0], "test");
  const guint64 before = h.frames_seen();
  h.run_for(1.5);
  EXPECT_GT(h.frames_seen(), before + 30) << "the mix keeps producing frames";
  EXPECT_LE(h.take_largest_frame_gap(), 3 * GST_SECOND / 30) << "no frame gap over 3 intervals";
  ASSERT_EQ(h.room().composition().tiles.size(), 2u);
  expect_tiles(h, colours);
  EXPECT_LT(h.tone_power(kGuests[0].tone), kAbsent) << "the leaver's tone is gone";
  EXPECT_GT(h.tone_power(kGuests[1].tone), kPresent);
  EXPECT_GT(h.tone_power(kGuests[2].tone), kPresent);
}

TEST(Room, ParticipantWithoutVideoShowsThePlaceholder) {
  RoomHarness h("grid");
  h.start();
  const std::string red = h.join("Red", uri_for(kGuests[0]));
  const std::string voice = h.join("Voice", "test://color?video=0&tone=500");
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 45; }, 10));
  h.run_for(0.5);
  const Composition c = h.room().composition();
  ASSERT_EQ(c.tiles.size(), 2u);
  const Tile* placeholder = nullptr;
  for (const auto& t : c.tiles)
    if (t.participant_id == voice) placeholder = &t;
  ASSERT_TRUE(placeholder);
  EXPECT_TRUE(placeholder->placeholder);
  auto frame = h.latest_frame();
  EXPECT_LE(
      color_distance(h.colour_at(*frame, placeholder->cell), placeholder->placeholder_style.color),
      12);
  expect_tiles(h, {{red, kGuests[0].colour}});
  EXPECT_GT(h.tone_power(500), kPresent);
}

TEST(Room, NameLabelsAreDrawnInTheTile) {
  RoomHarness h("grid");
  h.start();
  h.join("Blue", uri_for(kGuests[2]));
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 30; }, 10));
  h.run_for(0.5);
  const Tile tile = h.room().composition().tiles.at(0);
  ASSERT_EQ(tile.label, "Blue");
  auto frame = h.latest_frame();
  // Bottom-left label: white text on a dark box, so the corner is no longer blue.
  const Rect corner{tile.cell.x + 8, tile.cell.y + tile.cell.height - 40, 60, 30};
  EXPECT_GT(color_distance(average_color(frame->view, corner), kGuests[2].colour), 60);
  // ...while the middle of the tile stays blue.
  EXPECT_LE(color_distance(h.colour_at(*frame, tile.rect), kGuests[2].colour), kColourTolerance);
}

TEST(Room, LayoutChangesApplyLive) {
  RoomHarness h("grid");
  h.start();
  std::map<std::string, Color> colours;
  for (int i = 0; i < 3; ++i)
    colours[h.join(kGuests[i].name, uri_for(kGuests[i]))] = kGuests[i].colour;
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 45; }, 10));
  h.room().set_layout(
      load_layout_file(mixcast::testing::source_root() + "/config/layouts/speaker.yaml"));
  h.run_for(0.5);
  const Composition c = h.room().composition();
  ASSERT_EQ(c.tiles.size(), 3u);
  // The focus region takes three quarters of the width.
  int widest = 0;
  for (const auto& t : c.tiles) widest = std::max(widest, t.cell.width);
  EXPECT_EQ(widest, 480);
  expect_tiles(h, colours);
}

TEST(Room, UnreadableSourceLeavesAndTheRoomGoesOn) {
  RoomHarness h("grid");
  h.start();
  const std::string red = h.join("Red", uri_for(kGuests[0]));
  const std::string ghost = h.join("Ghost", "/nonexistent/clip.webm");
  ASSERT_TRUE(h.run_until([&] { return h.room().status().participants.size() == 1; }, 10))
      << "the unreadable source is removed";
  const guint64 before = h.frames_seen();
  h.run_for(1.0);
  EXPECT_GT(h.frames_seen(), before + 20);
  expect_tiles(h, {{red, kGuests[0].colour}});
}

TEST(Room, FileParticipantJoiningLateIsShownInRealTime) {
  mixcast::testing::TempDir dir("file-participant");
  const std::string clip = dir.file("magenta.webm");
  int rc = 0;
  mixcast::testing::run_command(
      "ffmpeg -v error -y -f lavfi -i color=c=magenta:s=320x180:r=30 -f lavfi -i "
      "sine=frequency=1300:sample_rate=48000 -t 6 -c:v libvpx -deadline realtime "
      "-b:v 300k -c:a libopus " +
          clip + " 2>&1",
      &rc);
  ASSERT_EQ(rc, 0);
  RoomHarness h("grid");
  h.start();
  const std::string red = h.join("Red", uri_for(kGuests[0]));
  h.run_for(2.0);  // the room runs a while before the file joins
  const std::string file = h.join("Clip", clip);
  ASSERT_TRUE(h.run_until([&] { return h.tone_power(1300, 0.3) > kPresent; }, 5))
      << "the file's audio reaches the mix promptly (not dropped as late)";
  h.run_for(0.5);
  expect_tiles(h, {{red, kGuests[0].colour}, {file, Color{255, 0, 255}}});
  // Its VP8 decoder runs on one thread (media/decoder_tuning), not one per
  // core, and its Opus is decoded by libav's decoder (half of libopus's CPU):
  // the file's tone above is what it decoded.
  std::vector<guint> vp8_threads;
  std::vector<std::string> opus_decoders;
  for_each_object<GstElement>(
      gst_bin_iterate_recurse(GST_BIN(h.room().pipeline())),
      [&](GstElement* element) {
        GstElementFactory* factory = gst_element_get_factory(element);
        if (!factory) return;
        const std::string name = GST_OBJECT_NAME(factory);
        if (g_str_has_suffix(name.c_str(), "_opus") || name == "opusdec")
          opus_decoders.push_back(name);
        if (name == "vp8dec") {
          guint threads = 0;
          g_object_get(element, "threads", &threads, nullptr);
          vp8_threads.push_back(threads);
        }
      },
      [&] {
        vp8_threads.clear();
        opus_decoders.clear();
      });
  EXPECT_EQ(vp8_threads, std::vector<guint>{1u});
  EXPECT_EQ(opus_decoders, std::vector<std::string>{"avdec_opus"});
  // Played in real time: still there 3 s later, not raced through.
  h.run_for(3.0);
  EXPECT_EQ(h.room().status().participants.size(), 2u);
  // It leaves at its end of stream (6 s).
  EXPECT_TRUE(h.run_until([&] { return h.room().status().participants.size() == 1; }, 5));
}

TEST(Room, RapidJoinAndLeaveNeverStallsTheMix) {
  RoomHarness h("grid");
  h.start();
  const std::string red = h.join("Red", uri_for(kGuests[0]));
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 30; }, 10));
  for (int i = 0; i < 15; ++i) {
    const std::string id = h.join("Churn", uri_for(kGuests[1 + i % 3]));
    h.run_for(0.05 * (i % 4));  // sometimes before its first buffer
    h.room().remove_participant(id, "churn");
  }
  const guint64 before = h.frames_seen();
  h.take_largest_frame_gap();
  h.run_for(1.5);
  EXPECT_GT(h.frames_seen(), before + 30);
  EXPECT_LE(h.take_largest_frame_gap(), 3 * GST_SECOND / 30);
  expect_tiles(h, {{red, kGuests[0].colour}});
  EXPECT_EQ(h.room().status().participants.size(), 1u);
}

// fit: cover shows the middle of a source wider than its tile (the sides are
// cropped), and every layout change moves the crop, also changes in quick
// succession while frames stream (the values reach the videocrop from its
// streaming thread, before its next frame: see VideoMix).
TEST(Room, ACoverTileShowsTheMiddleOfTheSourceAndFollowsEveryLayoutChange) {
  // One full-height cover region, `x` and `width` of the canvas across.
  auto one_region = [](const std::string& name, double x, double width) {
    return parse_layout("name: " + name + "\nregions:\n  - {id: " + name + ", x: " +
                            std::to_string(x) + ", y: 0, width: " + std::to_string(width) +
                            ", height: 1, fit: cover, show: {slot: 0}}\n",
                        name + ".yaml");
  };
  const Layout strip = one_region("strip", 0.375, 0.25);
  const Layout whole = one_region("whole", 0, 1);
  RoomHarness h("grid");
  h.setup().layout = strip;
  h.start();
  // SMPTE bars (videotestsrc, 100 %), 640x360: seven bars of 91 pixels in the upper two thirds:
  // white, yellow, cyan, green, magenta, red, blue.
  h.join("Bars", "test://bars?tone=440");
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 30; }, 10));
  const Color white{255, 255, 255}, cyan{0, 255, 255}, green{0, 255, 0}, magenta{255, 0, 255},
      blue{0, 0, 255};
  // The colour a tenth, a half and nine tenths across the tile, a third down.
  auto expect_across = [&](const std::vector<Color>& expected) {
    h.run_for(0.3);
    const auto& tiles = h.room().composition().tiles;
    ASSERT_EQ(tiles.size(), 1u);
    const Rect r = tiles[0].rect;
    auto frame = h.latest_frame();
    ASSERT_TRUE(frame);
    const double across[] = {0.1, 0.5, 0.9};
    for (size_t i = 0; i < 3; ++i) {
      const Rect spot{r.x + int(r.width * across[i]) - 4, r.y + r.height / 3 - 4, 8, 8};
      const Color seen = average_color(frame->view, spot);
      EXPECT_LE(color_distance(seen, expected[i]), kColourTolerance)
          << across[i] << " across shows " << seen.to_hex() << ", not " << expected[i].to_hex();
    }
  };
  // A 160x360 strip shows source columns 240-400: cyan, green, magenta.
  expect_across({cyan, green, magenta});
  h.room().set_layout(whole);
  expect_across({white, green, blue});
  // Changes in quick succession, some between two frames, some in the middle of one.
  for (int i = 0; i < 40; ++i) {
    h.room().set_layout(i % 2 ? whole : strip);
    h.run_for(0.011 * (i % 5));
  }
  h.room().set_layout(strip);
  expect_across({cyan, green, magenta});
  EXPECT_GT(h.frames_seen(), 60u);
}

// Where no tile is, the canvas is the layout's background colour: black is
// the compositor's own fill (its live background input only keeps time, in
// 16x16 frames), any other colour a canvas-sized input under the tiles.
TEST(Room, TheCanvasShowsTheBackgroundWhereNoTileIs) {
  for (const Color background : {Color{0, 0, 0, 255}, Color{0, 0, 160, 255}}) {
    SCOPED_TRACE(background.to_hex());
    RoomHarness h("grid");
    h.setup().layout = parse_layout(R"(
name: half
regions:
  - {id: left, x: 0, y: 0, width: 0.5, height: 1, show: {slot: 0}}
)",
                                    "half.yaml");
    h.setup().layout.canvas.background = background;
    h.start();
    const std::string red = h.join("Red", uri_for(kGuests[0]));
    ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 30; }, 10));
    h.run_for(0.5);
    expect_tiles(h, {{red, kGuests[0].colour}});
    auto frame = h.latest_frame();
    ASSERT_TRUE(frame);
    const int w = frame->view.width, hh = frame->view.height;
    for (const Rect empty : {Rect{w / 2, 0, w / 2, hh / 2}, Rect{w / 2, hh / 2, w / 2, hh / 2}}) {
      const Color seen = h.colour_at(*frame, empty);
      EXPECT_LE(color_distance(seen, background), 6)
          << "at " << empty.x << "," << empty.y << ": " << seen.to_hex();
    }
  }
}

// An overloaded machine: the encoder gets 60 ms a frame (time for about 16
// of the 30 frames a second). The mixer must not wait for it: the canvas
// keeps real time and the audio is untouched. First the frames the encoder
// had no time for are dropped before it and counted; once that has gone on
// for 2 s, the programme is encoded at half its rate (one frame in two,
// evenly: pipeline/encode checks the spacing), which the encoder keeps up
// with, and the room says so.
TEST(Room, AnEncoderThatCannotKeepUpGetsEveryOtherFrameAndTheMixStaysLive) {
  RoomHarness h("grid");
  h.setup().video_profile.launch = "identity sleep-time=60000 ! " + h.setup().video_profile.launch;
  h.start();
  const std::string red = h.join("Red", uri_for(kGuests[0]));
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 30; }, 10));
  EXPECT_TRUE(h.run_until([&] { return h.room().status().video_frames_skipped >= 10; }, 5))
      << "the queue drops what the encoder has no time for";
  ASSERT_TRUE(h.run_until([&] { return h.room().status().programme_fps == 15; }, 8))
      << "skipping for 2 s halves the programme's rate; it is " << h.room().status().programme_fps
      << " fps";
  h.run_for(0.5);
  const guint64 mixed0 = h.frames_seen();
  const RoomStatus before = h.room().status();
  h.take_largest_frame_gap();
  constexpr double kWindowS = 3.0;
  h.run_for(kWindowS);
  const RoomStatus after = h.room().status();
  auto per_second = [&](guint64 a, guint64 b) { return double(b - a) / kWindowS; };
  const double mixed_fps = double(h.frames_seen() - mixed0) / kWindowS;
  const double encoded_fps = per_second(before.video_frames_encoded, after.video_frames_encoded);
  const double skipped_fps = per_second(before.video_frames_skipped, after.video_frames_skipped);
  const double thinned_fps = per_second(before.video_frames_thinned, after.video_frames_thinned);
  std::printf("mixed %.1f fps, encoded %.1f fps, thinned %.1f fps, skipped %.1f fps\n", mixed_fps,
              encoded_fps, thinned_fps, skipped_fps);
  EXPECT_GE(mixed_fps, 25) << "the mix keeps real time";
  EXPECT_LE(h.take_largest_frame_gap(), 3 * GST_SECOND / 30) << "and never waits for the encoder";
  EXPECT_NEAR(encoded_fps, 15, 2) << "every other frame is encoded";
  EXPECT_NEAR(thinned_fps, 15, 2) << "the others are left out, and counted";
  EXPECT_LE(skipped_fps, 2) << "the encoder keeps up with half the rate";
  EXPECT_EQ(after.programme_fps, 15);
  EXPECT_GT(h.tone_power(kGuests[0].tone), kPresent) << "the audio is untouched";
  expect_tiles(h, {{red, kGuests[0].colour}});
}

TEST(Room, SeatsAreStableWhenSomeoneLeaves) {
  RoomHarness h("grid");
  h.start();
  // Two fixed seats and no variants: nobody moves when the other leaves.
  h.room().set_layout(parse_layout(R"(
name: seats
regions:
  - {id: left, x: 0, y: 0, width: 0.5, height: 1, show: {slot: 0}}
  - {id: right, x: 0.5, y: 0, width: 0.5, height: 1, show: {slot: 1}}
)",
                                   "seats.yaml"));
  const std::string left = h.join("Red", uri_for(kGuests[0]));
  const std::string right = h.join("Green", uri_for(kGuests[1]));
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 30; }, 10));
  h.run_for(0.5);
  Rect right_rect;
  for (const auto& t : h.room().composition().tiles)
    if (t.participant_id == right) right_rect = t.rect;
  h.room().remove_participant(left, "test");
  h.run_for(0.5);
  const auto tiles = h.room().composition().tiles;
  ASSERT_EQ(tiles.size(), 1u);
  EXPECT_EQ(tiles[0].participant_id, right);
  EXPECT_EQ(tiles[0].rect, right_rect) << "the one who stays keeps the seat";
  expect_tiles(h, {{right, kGuests[1].colour}});
  const std::string back = h.join("Blue", uri_for(kGuests[2]));
  h.run_for(0.7);
  expect_tiles(h, {{right, kGuests[1].colour}, {back, kGuests[2].colour}});
}

TEST(Room, OneParticipantCanFillTwoTiles) {
  RoomHarness h("grid");
  h.start();
  // The speaker large, and seat 0 again in a corner inset.
  h.room().set_layout(parse_layout(R"(
name: twice
regions:
  - {id: stage, x: 0, y: 0, width: 1, height: 1, show: speaker}
  - {id: inset, x: 0.7, y: 0.7, width: 0.25, height: 0.25, z: 2, show: {slot: 1}}
)",
                                   "twice.yaml"));
  // Silent guests: with no voice there is no active speaker, so the speaker
  // region shows the lowest seat (Red).
  const std::string red = h.join("Red", uri_for(kGuests[0]) + "&audio=0");
  const std::string green = h.join("Green", uri_for(kGuests[1]) + "&audio=0");
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 30; }, 10));
  h.run_for(0.7);
  const auto tiles = h.room().composition().tiles;
  ASSERT_EQ(tiles.size(), 2u);
  auto frame = h.latest_frame();
  EXPECT_LE(color_distance(h.colour_at(*frame, tiles[0].rect), kGuests[0].colour),
            kColourTolerance);
  EXPECT_LE(color_distance(h.colour_at(*frame, tiles[1].rect), kGuests[1].colour),
            kColourTolerance);
  // Now show Red in both regions.
  h.room().set_layout(parse_layout(R"(
name: twice
regions:
  - {id: stage, x: 0, y: 0, width: 1, height: 1, show: speaker}
  - {id: inset, x: 0.7, y: 0.7, width: 0.25, height: 0.25, z: 2, show: {slot: 0}}
)",
                                   "twice.yaml"));
  h.run_for(0.5);
  frame = h.latest_frame();
  for (const auto& t : h.room().composition().tiles) {
    EXPECT_EQ(t.participant_id, red);
    EXPECT_LE(color_distance(h.colour_at(*frame, t.rect), kGuests[0].colour), kColourTolerance)
        << t.region_id;
  }
}

TEST(Room, LoudMixIsLimitedNotClipped) {
  RoomHarness h("grid");
  h.start();
  for (const auto& g : kGuests)
    h.join(g.name, "test://color?volume=1&tone=" + std::to_string(int(g.tone)));
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 45; }, 10));
  h.run_for(1.0);
  const auto audio = h.latest_audio(0.5);
  float peak = 0;
  for (float s : audio) peak = std::max(peak, std::fabs(s));
  EXPECT_LE(peak, 0.985f) << "four full-scale tones sum to ~4: the limiter holds the ceiling";
  EXPECT_GT(peak, 0.5f);
  for (const auto& g : kGuests) EXPECT_GT(h.tone_power(g.tone), kPresent) << g.name;
  EXPECT_LT(h.tone_power(550), 1e-4) << "no intermodulation junk from hard clipping";
}

TEST(Room, EditingTheLayoutFileAppliesLiveAndABrokenEditIsIgnored) {
  mixcast::testing::TempDir dir("layout-edit");
  const std::string file = dir.file("live.yaml");
  mixcast::testing::write_file(file, "name: live\nregions:\n  - {show: all, arrange: row}\n");
  RoomHarness h("grid");
  h.setup().layout = load_layout_file(file);
  h.setup().layout_file = file;
  h.start();
  const std::string red = h.join("Red", uri_for(kGuests[0]));
  const std::string green = h.join("Green", uri_for(kGuests[1]));
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 30; }, 10));
  ASSERT_EQ(h.room().composition().tiles.at(0).cell.height, 360) << "a row: full height";

  // The operator saves a column layout: it applies without a restart.
  mixcast::testing::write_file(file, "name: live\nregions:\n  - {show: all, arrange: column}\n");
  ASSERT_TRUE(
      h.run_until([&] { return h.room().composition().tiles.at(0).cell.height == 180; }, 5));
  h.run_for(0.3);
  expect_tiles(h, {{red, kGuests[0].colour}, {green, kGuests[1].colour}});

  // A broken edit is rejected; the column layout keeps running.
  mixcast::testing::write_file(file, "name: live\nregions:\n  - {show: all, arange: row}\n");
  h.run_for(1.5);
  EXPECT_EQ(h.room().composition().tiles.at(0).cell.height, 180);
  EXPECT_EQ(h.room().layout().name, "live");
}

TEST(Room, MixMinusHasEveryoneButThemselves) {
  RoomHarness h("grid");
  h.start();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(h.join(kGuests[i].name, uri_for(kGuests[i])));
  h.tap_mix_minus(ids[1]);  // what Green hears
  ASSERT_TRUE(h.run_until([&] { return h.frames_seen() > 45; }, 10));
  h.run_for(1.0);
  const double others =
      std::min(h.mix_minus_tone_power(kGuests[0].tone), h.mix_minus_tone_power(kGuests[2].tone));
  const double own = h.mix_minus_tone_power(kGuests[1].tone);
  std::printf("mix-minus of Green: others %.2e, own %.2e (%.1f dB)\n", others, own,
              10 * std::log10(own / others));
  EXPECT_GT(others, kPresent);
  EXPECT_LT(own, others / 1000) << "at least 30 dB below the others";
  EXPECT_GT(h.tone_power(kGuests[1].tone), kPresent) << "the full mix still has Green";
}
