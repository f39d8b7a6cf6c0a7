#include "core/recording_files.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>

namespace mixcast {

namespace {

uint32_t be32(std::string_view b, size_t at) {
  return (uint32_t(uint8_t(b[at])) << 24) | (uint32_t(uint8_t(b[at + 1])) << 16) |
         (uint32_t(uint8_t(b[at + 2])) << 8) | uint32_t(uint8_t(b[at + 3]));
}

uint64_t be64(std::string_view b, size_t at) {
  return (uint64_t(be32(b, at)) << 32) | be32(b, at + 4);
}

// A top-level box of an MP4: [size][type] (size 1: a 64-bit size follows;
// 0: to the end of the file).
struct TopBox {
  std::string type;
  uint64_t at = 0;           // of its header
  uint64_t header_size = 0;  // 8 or 16
  uint64_t size = 0;         // header included
  bool whole = false;        // all of it is in the file
};

// Calls `visit` for the top-level boxes in file order, the last one maybe
// cut off (whole false: then it is the last); stops early when `visit`
// returns false or at a header that cannot be read.
void for_each_top_box(uint64_t file_size, const ReadAt& read_at,
                      const std::function<bool(const TopBox&)>& visit) {
  uint64_t at = 0;
  while (at + 8 <= file_size) {
    const std::string header = read_at(at, 16);
    if (header.size() < 8) return;
    TopBox box;
    box.at = at;
    box.size = be32(header, 0);
    box.header_size = 8;
    if (box.size == 1) {
      if (header.size() < 16) return;
      box.size = be64(header, 8);
      box.header_size = 16;
    } else if (box.size == 0) {
      box.size = file_size - at;
    }
    if (box.size < box.header_size) return;
    box.type = header.substr(4, 4);
    box.whole = at + box.size <= file_size;
    if (!visit(box) || !box.whole) return;
    at += box.size;
  }
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// An EBML variable-length integer at `at` of `b`: its length in bytes (1-8)
// and value. `keep_marker` keeps the length bits (element IDs are written so).
struct Vint {
  size_t length = 0;
  uint64_t value = 0;
  bool all_ones = false;  // every value bit set: the "unknown size" marker
};
std::optional<Vint> read_vint(std::string_view b, size_t at, bool keep_marker) {
  if (at >= b.size()) return std::nullopt;
  const uint8_t first = uint8_t(b[at]);
  if (first == 0) return std::nullopt;
  size_t length = 1;
  while (!(first & (0x80 >> (length - 1)))) ++length;
  if (at + length > b.size()) return std::nullopt;
  Vint v;
  v.length = length;
  const uint8_t marker = uint8_t(0x80 >> (length - 1));
  uint64_t value = keep_marker ? first : (first & (marker - 1));
  bool ones = (first & (marker - 1)) == (marker - 1);
  for (size_t i = 1; i < length; ++i) {
    const uint8_t byte = uint8_t(b[at + i]);
    value = (value << 8) | byte;
    ones = ones && byte == 0xff;
  }
  v.value = value;
  v.all_ones = ones;
  return v;
}

constexpr uint64_t kEbmlHeaderId = 0x1A45DFA3;
constexpr uint64_t kSegmentId = 0x18538067;

}  // namespace

bool mp4_finished(uint64_t file_size, const ReadAt& read_at) {
  // ... 'mfra' box ... [size 16]['mfro'][version, flags][size of the mfra]
  if (file_size < 16 + 8) return false;
  const std::string tail = read_at(file_size - 16, 16);
  if (tail.size() != 16 || be32(tail, 0) != 16 || tail.compare(4, 4, "mfro") != 0) return false;
  const uint64_t mfra_size = be32(tail, 12);
  if (mfra_size < 16 + 8 || mfra_size > file_size) return false;
  const std::string head = read_at(file_size - mfra_size, 8);
  return head.size() == 8 && be32(head, 0) == mfra_size && head.compare(4, 4, "mfra") == 0;
}

bool mkv_finished(uint64_t file_size, const ReadAt& read_at) {
  // [EBML header] [Segment: ID, size, ...everything else]. Top-level
  // elements other than the header (EBML Void) may come before the Segment.
  uint64_t at = 0;
  for (int element = 0; element < 8 && at < file_size; ++element) {
    const std::string b = read_at(at, 12);  // a 4-byte ID and an 8-byte size at most
    const auto id = read_vint(b, 0, true);
    if (!id) return false;
    const auto size = read_vint(b, id->length, false);
    if (!size) return false;
    if (element == 0 && id->value != kEbmlHeaderId) return false;
    const uint64_t data = at + id->length + size->length;
    if (id->value == kSegmentId) return !size->all_ones && data + size->value == file_size;
    if (size->all_ones) return false;
    at = data + size->value;
  }
  return false;
}

bool mp4_has_media(uint64_t file_size, const ReadAt& read_at) {
  // The first fragment comes after ftyp and moov.
  bool fragment = false;
  bool media = false;
  int boxes = 0;
  for_each_top_box(file_size, read_at, [&](const TopBox& box) {
    if (box.type == "moof") fragment = true;
    // Media: an mdat after a fragment's moof, with at least some data in the file.
    if (box.type == "mdat" && fragment) {
      media = box.at + box.header_size < file_size;
      return false;
    }
    return ++boxes < 64;
  });
  return media;
}

bool mkv_has_media(uint64_t file_size, const ReadAt& read_at) {
  // A Cluster's ID anywhere in the first megabyte: the header, tracks and
  // a Void come before the first one, which is small.
  const std::string head = read_at(0, size_t(std::min<uint64_t>(file_size, 1 << 20)));
  return head.find(std::string("\x1F\x43\xB6\x75", 4)) != std::string::npos;
}

namespace {

// The boxes inside `body` (a box's payload), by type: [offset, size).
struct Box {
  std::string type;
  size_t offset = 0;  // of the payload within `body`
  size_t size = 0;    // of the payload
};
std::vector<Box> child_boxes(std::string_view body) {
  std::vector<Box> boxes;
  size_t at = 0;
  while (at + 8 <= body.size()) {
    const uint64_t size = be32(body, at);
    if (size < 8 || at + size > body.size()) break;
    boxes.push_back({std::string(body.substr(at + 4, 4)), at + 8, size_t(size - 8)});
    at += size;
  }
  return boxes;
}
const Box* find_box(const std::vector<Box>& boxes, std::string_view type) {
  for (const auto& b : boxes)
    if (b.type == type) return &b;
  return nullptr;
}

// The video track of a 'moov' payload: its ID and timescale.
struct VideoTrack {
  uint32_t id = 0;
  uint32_t timescale = 0;
};
std::optional<VideoTrack> video_track(std::string_view moov) {
  for (const auto& trak : child_boxes(moov)) {
    if (trak.type != "trak") continue;
    const std::string_view t = moov.substr(trak.offset, trak.size);
    const auto in_trak = child_boxes(t);
    const Box* tkhd = find_box(in_trak, "tkhd");
    const Box* mdia = find_box(in_trak, "mdia");
    if (!tkhd || !mdia || tkhd->size < 24) continue;
    const std::string_view m = t.substr(mdia->offset, mdia->size);
    const auto in_mdia = child_boxes(m);
    const Box* hdlr = find_box(in_mdia, "hdlr");
    const Box* mdhd = find_box(in_mdia, "mdhd");
    if (!hdlr || !mdhd || hdlr->size < 12 || mdhd->size < 24) continue;
    if (m.substr(hdlr->offset + 8, 4) != "vide") continue;
    const bool v1 = uint8_t(t[tkhd->offset]) == 1;
    VideoTrack track;
    track.id = be32(t, tkhd->offset + (v1 ? 20 : 12));
    const bool mdhd_v1 = uint8_t(m[mdhd->offset]) == 1;
    track.timescale = be32(m, mdhd->offset + (mdhd_v1 ? 20 : 12));
    if (track.timescale > 0) return track;
  }
  return std::nullopt;
}

// A 'moof' payload's span of `track`: its decode time and the sum of its
// samples' durations, in the track's timescale.
struct FragmentSpan {
  uint64_t start = 0;
  uint64_t duration = 0;
};
std::optional<FragmentSpan> fragment_span(std::string_view moof, uint32_t track) {
  for (const auto& traf : child_boxes(moof)) {
    if (traf.type != "traf") continue;
    const std::string_view t = moof.substr(traf.offset, traf.size);
    const auto in_traf = child_boxes(t);
    const Box* tfhd = find_box(in_traf, "tfhd");
    const Box* tfdt = find_box(in_traf, "tfdt");
    if (!tfhd || !tfdt || tfhd->size < 8 || tfdt->size < 8) continue;
    if (be32(t, tfhd->offset + 4) != track) continue;
    const uint32_t tfhd_flags = be32(t, tfhd->offset) & 0xffffff;
    // tfhd: [flags][track][base offset 8?][description 4?][duration 4?]...
    size_t field = tfhd->offset + 8;
    if (tfhd_flags & 0x01) field += 8;
    if (tfhd_flags & 0x02) field += 4;
    uint32_t default_duration = 0;
    if ((tfhd_flags & 0x08) && field + 4 <= tfhd->offset + tfhd->size)
      default_duration = be32(t, field);
    FragmentSpan span;
    const bool tfdt_v1 = uint8_t(t[tfdt->offset]) == 1;
    if (tfdt_v1 && tfdt->size < 12) continue;
    span.start = tfdt_v1 ? be64(t, tfdt->offset + 4) : be32(t, tfdt->offset + 4);
    for (const auto& trun : in_traf) {
      if (trun.type != "trun" || trun.size < 8) continue;
      const uint32_t flags = be32(t, trun.offset) & 0xffffff;
      const uint32_t count = be32(t, trun.offset + 4);
      size_t at = trun.offset + 8;
      if (flags & 0x01) at += 4;  // data offset
      if (flags & 0x04) at += 4;  // first sample flags
      size_t per_sample = 0;
      for (uint32_t bit : {0x100u, 0x200u, 0x400u, 0x800u})
        if (flags & bit) per_sample += 4;
      if (per_sample > 0 && (trun.offset + trun.size - at) / per_sample < count)
        return std::nullopt;
      for (uint32_t i = 0; i < count; ++i) {
        span.duration +=
            (flags & 0x100) ? be32(t, at + size_t(i) * per_sample) : uint64_t(default_duration);
      }
    }
    return span;
  }
  return std::nullopt;
}

}  // namespace

double mp4_fragments_duration_s(uint64_t file_size, const ReadAt& read_at) {
  std::optional<VideoTrack> track;
  std::optional<FragmentSpan> first;
  std::optional<FragmentSpan> last;
  std::optional<FragmentSpan> pending;  // a moof whose mdat is not seen yet
  for_each_top_box(file_size, read_at, [&](const TopBox& box) {
    // Only the small boxes are read whole (moov, moof: kilobytes).
    if ((box.type == "moov" || box.type == "moof") && box.whole && box.size < (16u << 20)) {
      const std::string body =
          read_at(box.at + box.header_size, size_t(box.size - box.header_size));
      if (box.type == "moov") track = video_track(body);
      if (box.type == "moof" && track) pending = fragment_span(body, track->id);
    } else if (box.type == "mdat") {
      // A fragment counts once its data is all in the file.
      if (box.whole && pending) {
        if (!first) first = pending;
        last = pending;
      }
      pending.reset();
    }
    return true;
  });
  if (!track || !first || !last) return -1;
  return double(last->start + last->duration - first->start) / track->timescale;
}

uint64_t mp4_whole_size(uint64_t file_size, const ReadAt& read_at) {
  uint64_t whole = 0;          // end of the last box that may stay
  bool fragment_open = false;  // a moof whose mdat has not ended yet
  for_each_top_box(file_size, read_at, [&](const TopBox& box) {
    if (!box.whole) return false;
    if (box.type == "moof") {
      fragment_open = true;
    } else {
      if (box.type == "mdat") fragment_open = false;
      if (!fragment_open) whole = box.at + box.size;
    }
    return true;
  });
  return whole;
}

namespace {

// Reads the file at `path` by offset; false when it cannot be opened.
bool with_reader(const std::string& path,
                 const std::function<void(uint64_t size, const ReadAt& read_at)>& use) {
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  const ReadAt read_at = [&in](uint64_t offset, size_t length) {
    std::string bytes(length, '\0');
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(bytes.data(), static_cast<std::streamsize>(length));
    bytes.resize(static_cast<size_t>(std::max<std::streamsize>(0, in.gcount())));
    return bytes;
  };
  use(size, read_at);
  return true;
}

}  // namespace

bool recording_finished(const std::string& path) {
  bool finished = false;
  with_reader(path, [&](uint64_t size, const ReadAt& read_at) {
    if (ends_with(path, ".mp4")) finished = mp4_finished(size, read_at);
    if (ends_with(path, ".mkv")) finished = mkv_finished(size, read_at);
  });
  return finished;
}

bool recording_has_media(const std::string& path) {
  bool media = false;
  with_reader(path, [&](uint64_t size, const ReadAt& read_at) {
    if (ends_with(path, ".mp4")) media = mp4_has_media(size, read_at);
    if (ends_with(path, ".mkv")) media = mkv_has_media(size, read_at);
  });
  return media;
}

double recording_fragments_duration_s(const std::string& path) {
  double duration = -1;
  if (!ends_with(path, ".mp4")) return -1;
  with_reader(path, [&](uint64_t size, const ReadAt& read_at) {
    duration = mp4_fragments_duration_s(size, read_at);
  });
  return duration;
}

uint64_t trim_cut_off_mp4(const std::string& path) {
  if (!ends_with(path, ".mp4") || recording_finished(path)) return 0;
  uint64_t size = 0;
  uint64_t whole = 0;
  if (!with_reader(path, [&](uint64_t file_size, const ReadAt& read_at) {
        size = file_size;
        whole = mp4_whole_size(file_size, read_at);
      }))
    return 0;
  if (whole == 0 || whole >= size) return 0;
  std::error_code ec;
  std::filesystem::resize_file(path, whole, ec);
  return ec ? 0 : size - whole;
}

std::vector<std::string> remove_recordings_without_media(const std::string& dir) {
  std::vector<std::string> removed;
  for (const auto& file : list_recordings(dir)) {
    std::error_code ec;
    if (!file.finished && !recording_has_media(file.path) && std::filesystem::remove(file.path, ec))
      removed.push_back(file.path);
  }
  return removed;
}

std::vector<RecordingFileInfo> list_recordings(const std::string& dir) {
  std::vector<RecordingFileInfo> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    if (!ends_with(name, ".mp4") && !ends_with(name, ".mkv")) continue;
    std::error_code type_ec;
    if (!entry.is_regular_file(type_ec)) continue;
    RecordingFileInfo info;
    info.name = name;
    info.path = dir + "/" + name;
    std::error_code size_ec;
    info.size_bytes = entry.file_size(size_ec);
    info.finished = recording_finished(info.path);
    files.push_back(std::move(info));
  }
  std::sort(files.begin(), files.end(),
            [](const RecordingFileInfo& a, const RecordingFileInfo& b) { return a.name < b.name; });
  return files;
}

std::string recording_timestamp(int64_t unix_time) {
  const std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &tm);
  return text;
}

std::string new_recording_path(const std::string& dir, const std::string& room,
                               const std::string& timestamp, const std::string& ext,
                               const std::function<bool(const std::string& path)>& taken) {
  const std::string stem = dir + "/" + room + "-" + timestamp;
  std::string path = stem + ext;
  for (int n = 2; taken(path); ++n) path = stem + "_" + std::to_string(n) + ext;
  return path;
}

}  // namespace mixcast
