// core/recording_files: how a recording is known to be finalized (from its
// bytes), the listing of a recordings directory, and new file names.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "core/recording_files.h"

using namespace mixcast;

namespace {

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}
std::string box(const std::string& type, const std::string& payload) {
  return be32(uint32_t(8 + payload.size())) + type + payload;
}
// An 'mfra' with one (fake) 'tfra' and the closing 'mfro', as mp4mux
// appends it on EOS.
std::string mfra() {
  const std::string tfra = box("tfra", std::string(24, '\x01'));
  const uint32_t size = uint32_t(8 + tfra.size() + 16);
  return be32(size) + "mfra" + tfra + box("mfro", std::string(4, '\0') + be32(size));
}
// A fragmented MP4 as it is while written (or after a crash).
std::string fragmented_mp4() {
  return box("ftyp", "iso6mp41") + box("moov", std::string(100, 'm')) +
         box("moof", std::string(40, 'f')) + box("mdat", std::string(500, 'd')) +
         box("moof", std::string(40, 'f')) + box("mdat", std::string(300, 'd'));
}

ReadAt reader(const std::string& bytes) {
  return [bytes](uint64_t offset, size_t size) {
    return offset >= bytes.size() ? std::string() : bytes.substr(offset, size);
  };
}
bool mp4(const std::string& bytes) {
  return mp4_finished(bytes.size(), reader(bytes));
}
bool mkv(const std::string& bytes) {
  return mkv_finished(bytes.size(), reader(bytes));
}

// EBML: an ID (marker bits kept) and an 8-byte size (0x01 + 7 bytes).
std::string size8(uint64_t v) {
  std::string s(1, '\x01');
  for (int i = 6; i >= 0; --i) s += char(v >> (8 * i));
  return s;
}
const std::string kEbmlId = "\x1A\x45\xDF\xA3";
const std::string kSegmentId = "\x18\x53\x80\x67";
const std::string kUnknown8 = "\x01\xFF\xFF\xFF\xFF\xFF\xFF\xFF";
std::string ebml_header() {
  const std::string body = "\x42\x82\x88matroska";  // DocType
  return kEbmlId + char(0x80 | body.size()) + body;
}
std::string segment_body() {
  return "\x15\x49\xA9\x66" + std::string(1, char(0x80 | 4)) + "info" +
         std::string("\x1F\x43\xB6\x75", 4) + size8(200) + std::string(200, 'c');
}

}  // namespace

TEST(RecordingFinished, Mp4EndsWithMfraOnlyAfterEos) {
  EXPECT_TRUE(mp4(fragmented_mp4() + mfra()));
  EXPECT_FALSE(mp4(fragmented_mp4())) << "written, or cut short by a crash";
  EXPECT_FALSE(mp4("")) << "empty";
  EXPECT_FALSE(mp4(box("ftyp", "iso6mp41"))) << "only the start";
  // The mfro must point back at the mfra's header.
  std::string wrong = fragmented_mp4() + mfra();
  wrong[wrong.size() - 1] = char(wrong[wrong.size() - 1] + 4);
  EXPECT_FALSE(mp4(wrong));
  // An mdat that happens to end in 'mfro' bytes but points nowhere.
  EXPECT_FALSE(mp4(fragmented_mp4() + box("mfro", std::string(4, '\0') + be32(0x7fffffff))));
  // A partial mfra (a crash while it was written).
  const std::string whole = fragmented_mp4() + mfra();
  EXPECT_FALSE(mp4(whole.substr(0, whole.size() - 5)));
}

TEST(RecordingFinished, MkvSegmentSizeIsKnownAndEndsAtTheEndOfTheFile) {
  const std::string body = segment_body();
  EXPECT_TRUE(mkv(ebml_header() + kSegmentId + size8(body.size()) + body));
  EXPECT_FALSE(mkv(ebml_header() + kSegmentId + kUnknown8 + body)) << "still written / crash";
  EXPECT_FALSE(mkv(ebml_header() + kSegmentId + "\xFF" + body)) << "1-byte unknown size";
  EXPECT_FALSE(mkv(ebml_header() + kSegmentId + size8(body.size() + 10) + body)) << "truncated";
  EXPECT_FALSE(mkv(ebml_header() + kSegmentId + size8(body.size()) + body + "x")) << "appended";
  EXPECT_FALSE(mkv("RIFF....WAVE")) << "not EBML";
  EXPECT_FALSE(mkv(ebml_header())) << "no segment";
  EXPECT_FALSE(mkv(""));
  // An EBML Void between the header and the Segment is skipped.
  const std::string void_element = std::string("\xEC", 1) + char(0x80 | 3) + "vvv";
  EXPECT_TRUE(mkv(ebml_header() + void_element + kSegmentId + size8(body.size()) + body));
}

TEST(RecordingMedia, Mp4WithAFragmentHasMedia) {
  const auto has = [](const std::string& bytes) {
    return mp4_has_media(bytes.size(), reader(bytes));
  };
  const std::string header = box("ftyp", "iso6mp41") + box("moov", std::string(100, 'm'));
  EXPECT_TRUE(has(fragmented_mp4()));
  EXPECT_TRUE(has(fragmented_mp4() + mfra()));
  EXPECT_FALSE(has("")) << "a crash before the first write";
  EXPECT_FALSE(has(header)) << "a split's next file cut off before its first fragment";
  EXPECT_FALSE(has(header + box("moof", std::string(40, 'f')))) << "no mdat yet";
  // The mdat's header written, none of its data.
  EXPECT_FALSE(has(header + box("moof", std::string(40, 'f')) + be32(508) + "mdat"));
  EXPECT_TRUE(has(header + box("moof", std::string(40, 'f')) + be32(508) + "mdat" + "dd"))
      << "a fragment cut short still holds frames";
  EXPECT_FALSE(has(header + box("mdat", std::string(50, 'd')))) << "an mdat of no fragment";
  EXPECT_FALSE(has(be32(4) + "ftyp")) << "a box smaller than its header";
}

TEST(RecordingMedia, MkvWithAClusterHasMedia) {
  const auto has = [](const std::string& bytes) {
    return mkv_has_media(bytes.size(), reader(bytes));
  };
  const std::string body = segment_body();
  EXPECT_TRUE(has(ebml_header() + kSegmentId + kUnknown8 + body));
  EXPECT_FALSE(has(ebml_header() + kSegmentId + kUnknown8 + body.substr(0, 9)));
  EXPECT_FALSE(has(""));
}

namespace {

std::string be64(uint64_t v) {
  return be32(uint32_t(v >> 32)) + be32(uint32_t(v));
}
std::string full_box(const std::string& type, uint32_t flags, const std::string& payload,
                     uint8_t version = 0) {
  return box(type, be32((uint32_t(version) << 24) | flags) + payload);
}
// A moov with an audio track (ID 2, 48000) and a video track (ID 1, 90000).
std::string moov_with_tracks() {
  auto trak = [](uint32_t id, uint32_t timescale, const std::string& handler) {
    return box(
        "trak",
        full_box("tkhd", 3, be32(0) + be32(0) + be32(id) + std::string(68, '\0')) +
            box("mdia",
                full_box("mdhd", 0,
                         be32(0) + be32(0) + be32(timescale) + be32(0) + std::string(4, '\0')) +
                    full_box("hdlr", 0, be32(0) + handler + std::string(12, '\0') + "x")));
  };
  return box("moov", full_box("mvhd", 0, std::string(96, '\0')) + trak(2, 48000, "soun") +
                         trak(1, 90000, "vide"));
}
// A fragment of `frames` video frames of 3000 ticks (1/30 s) from `start`,
// and audio in the same moof.
std::string fragment(uint64_t start, uint32_t frames) {
  std::string durations;
  for (uint32_t i = 0; i < frames; ++i) durations += be32(3000) + be32(100);  // duration, size
  const std::string video =
      box("traf", full_box("tfhd", 0x020000, be32(1)) + full_box("tfdt", 0, be64(start), 1) +
                      full_box("trun", 0x000301, be32(frames) + be32(0) + durations));
  const std::string audio =
      box("traf", full_box("tfhd", 0x08, be32(2) + be32(1024)) + full_box("tfdt", 0, be32(0)) +
                      full_box("trun", 0, be32(40)));
  return box("moof", full_box("mfhd", 0, be32(1)) + audio + video) +
         box("mdat", std::string(frames * 100, 'd'));
}

}  // namespace

TEST(RecordingDuration, UnfinishedMp4SpansItsCompleteFragments) {
  const auto duration = [](const std::string& bytes) {
    return mp4_fragments_duration_s(bytes.size(), reader(bytes));
  };
  const std::string head = box("ftyp", "iso6mp41") + moov_with_tracks();
  // Three 1-second fragments starting at 10 s of the track's time.
  const std::string file =
      head + fragment(900000, 30) + fragment(990000, 30) + fragment(1080000, 30);
  EXPECT_DOUBLE_EQ(duration(file), 3.0);
  EXPECT_DOUBLE_EQ(duration(file + mfra()), 3.0);
  // Cut inside the last fragment's data, or inside its moof: it does not count.
  EXPECT_DOUBLE_EQ(duration(file.substr(0, file.size() - 50)), 2.0);
  const std::string two = head + fragment(900000, 30) + fragment(990000, 30);
  EXPECT_DOUBLE_EQ(duration(two + fragment(1080000, 30).substr(0, 40)), 2.0);
  EXPECT_DOUBLE_EQ(duration(head), -1) << "no fragment";
  EXPECT_DOUBLE_EQ(duration(""), -1);
  EXPECT_DOUBLE_EQ(duration(fragmented_mp4()), -1) << "a moov without a video track";
  // A trun that claims more samples than it holds.
  std::string lying = head + fragment(0, 30);
  const size_t trun = lying.rfind("trun");  // the video track's
  lying.replace(trun + 8, 4, be32(1000000));
  EXPECT_DOUBLE_EQ(duration(lying), -1);
}

TEST(RecordingTrim, WholeUpToTheLastCompleteFragment) {
  const auto whole = [](const std::string& bytes) {
    return mp4_whole_size(bytes.size(), reader(bytes));
  };
  const std::string head = box("ftyp", "iso6mp41") + moov_with_tracks();
  const std::string two = head + fragment(0, 30) + fragment(90000, 30);
  const std::string third = fragment(180000, 30);
  EXPECT_EQ(whole(two), two.size());
  EXPECT_EQ(whole(two + mfra()), two.size() + mfra().size());
  EXPECT_EQ(whole(two + third.substr(0, 30)), two.size()) << "cut inside the moof";
  EXPECT_EQ(whole(two + third.substr(0, third.size() - 10)), two.size()) << "inside the mdat";
  EXPECT_EQ(whole(two + third.substr(0, third.find("mdat") - 4)), two.size()) << "moof, no mdat";
  EXPECT_EQ(whole(head + "\0\0"), head.size());
  EXPECT_EQ(whole(""), 0u);
}

class RecordingDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mixcast-recordings-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::string dir() const { return dir_.string(); }
  std::filesystem::path dir_;
};

TEST_F(RecordingDir, ListsRecordingsSortedWithSizeAndFinished) {
  const std::string done = fragmented_mp4() + mfra();
  const std::string body = segment_body();
  write("studio-20240501-100000.mp4", done);
  write("studio-20240501-090000.mkv", ebml_header() + kSegmentId + size8(body.size()) + body);
  write("studio-20240501-110000.mp4", fragmented_mp4());  // being written
  write("studio-20240501-100000_2.mp4", fragmented_mp4());
  write(".hidden.mp4", done);
  write("notes.txt", "x");
  std::filesystem::create_directories(dir_ / "sub.mp4");

  const auto files = list_recordings(dir());
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0].name, "studio-20240501-090000.mkv");
  EXPECT_EQ(files[1].name, "studio-20240501-100000.mp4");
  EXPECT_EQ(files[2].name, "studio-20240501-100000_2.mp4");
  EXPECT_EQ(files[3].name, "studio-20240501-110000.mp4");
  EXPECT_TRUE(files[0].finished);
  EXPECT_TRUE(files[1].finished);
  EXPECT_FALSE(files[2].finished);
  EXPECT_FALSE(files[3].finished);
  EXPECT_EQ(files[1].size_bytes, done.size());
  EXPECT_EQ(files[1].path, dir() + "/studio-20240501-100000.mp4");
  EXPECT_EQ(files[1].duration_s, -1) << "core does not demux";
}

TEST_F(RecordingDir, RemovesOnlyTheUnfinishedFilesWithoutMedia) {
  const std::string header = box("ftyp", "iso6mp41") + box("moov", std::string(100, 'm'));
  write("studio-20240501-100000.mp4", fragmented_mp4());            // cut short: kept
  write("studio-20240501-100010.mp4", header);                      // split, then a crash
  write("studio-20240501-100020.mp4", "");                          // full disk
  write("studio-20240501-100030.mkv", ebml_header() + kSegmentId);  // mkv, no cluster
  write("studio-20240501-100040.mp4", fragmented_mp4() + mfra());   // finished: kept
  write("notes.txt", "");                                           // not a recording
  const auto removed = remove_recordings_without_media(dir());
  std::set<std::string> names;
  for (const auto& path : removed) names.insert(std::filesystem::path(path).filename());
  EXPECT_EQ(names,
            (std::set<std::string>{"studio-20240501-100010.mp4", "studio-20240501-100020.mp4",
                                   "studio-20240501-100030.mkv"}));
  EXPECT_EQ(list_recordings(dir()).size(), 2u);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "notes.txt"));
}

TEST_F(RecordingDir, TrimsOnlyAnUnfinishedMp4CutOffInsideABox) {
  const std::string head = box("ftyp", "iso6mp41") + moov_with_tracks();
  const std::string two = head + fragment(0, 30) + fragment(90000, 30);
  write("cut.mp4", two + fragment(180000, 30).substr(0, 25));
  write("whole.mp4", two);
  write("finished.mp4", two + mfra());
  EXPECT_EQ(trim_cut_off_mp4(dir() + "/cut.mp4"), 25u);
  EXPECT_EQ(std::filesystem::file_size(dir_ / "cut.mp4"), two.size());
  EXPECT_EQ(trim_cut_off_mp4(dir() + "/cut.mp4"), 0u) << "once";
  EXPECT_EQ(trim_cut_off_mp4(dir() + "/whole.mp4"), 0u);
  EXPECT_EQ(trim_cut_off_mp4(dir() + "/finished.mp4"), 0u);
  EXPECT_EQ(trim_cut_off_mp4(dir() + "/missing.mp4"), 0u);
}

TEST_F(RecordingDir, MissingDirectoryIsEmpty) {
  EXPECT_TRUE(list_recordings(dir() + "/nope").empty());
  EXPECT_FALSE(recording_finished(dir() + "/nope.mp4"));
}

TEST(RecordingNames, TimestampIsUtc) {
  EXPECT_EQ(recording_timestamp(0), "19700101-000000");
  EXPECT_EQ(recording_timestamp(1714557600), "20240501-100000");
}

TEST(RecordingNames, NeverATakenName) {
  std::set<std::string> taken;
  auto is_taken = [&](const std::string& p) { return taken.count(p) > 0; };
  const std::string first = new_recording_path("/r", "studio", "20240501-100000", ".mp4", is_taken);
  EXPECT_EQ(first, "/r/studio-20240501-100000.mp4");
  taken.insert(first);
  const std::string second =
      new_recording_path("/r", "studio", "20240501-100000", ".mp4", is_taken);
  EXPECT_EQ(second, "/r/studio-20240501-100000_2.mp4");
  taken.insert(second);
  EXPECT_EQ(new_recording_path("/r", "studio", "20240501-100000", ".mp4", is_taken),
            "/r/studio-20240501-100000_3.mp4");
  // Other extensions and seconds are other names.
  EXPECT_EQ(new_recording_path("/r", "studio", "20240501-100000", ".mkv", is_taken),
            "/r/studio-20240501-100000.mkv");
  // Names sort by start: the plain name first, then its siblings, then the next second.
  EXPECT_LT(std::string("studio-20240501-100000.mp4"), "studio-20240501-100000_2.mp4");
  EXPECT_LT(std::string("studio-20240501-100000_2.mp4"), "studio-20240501-100001.mp4");
}
