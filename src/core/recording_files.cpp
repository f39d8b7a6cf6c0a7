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
  // Top-level boxes: [size][type] (size 1: a 64-bit size follows; 0: to the
  // end of the file). The first fragment comes after ftyp and moov.
  bool fragment = false;
  uint64_t at = 0;
  for (int box = 0; box < 64 && at + 8 <= file_size; ++box) {
    const std::string header = read_at(at, 16);
    if (header.size() < 8) return false;
    uint64_t size = be32(header, 0);
    size_t header_size = 8;
    if (size == 1) {
      if (header.size() < 16) return false;
      size = (uint64_t(be32(header, 8)) << 32) | be32(header, 12);
      header_size = 16;
    } else if (size == 0) {
      size = file_size - at;
    }
    if (size < header_size) return false;
    const std::string_view type = std::string_view(header).substr(4, 4);
    if (type == "moof") fragment = true;
    // Media: an mdat after a fragment's moof, with at least some data in the file.
    if (type == "mdat" && fragment) return at + header_size < file_size;
    at += size;
  }
  return false;
}

bool mkv_has_media(uint64_t file_size, const ReadAt& read_at) {
  // A Cluster's ID anywhere in the first megabyte: the header, tracks and
  // a Void come before the first one, which is small.
  const std::string head = read_at(0, size_t(std::min<uint64_t>(file_size, 1 << 20)));
  return head.find(std::string("\x1F\x43\xB6\x75", 4)) != std::string::npos;
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
