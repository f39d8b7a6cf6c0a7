// A room's recordings directory as an operator sees it: which files there
// are, how big, and whether each one was finalized. Pure code (no
// GStreamer); the duration of a file needs a demuxer and is added by
// media/recording_probe.
//
// "Finished" is read from the file itself, so it holds across server
// restarts and needs no side files:
// - MP4 (fragmented, as mp4mux writes it with fragment-duration): mp4mux
//   appends a Movie Fragment Random Access box ('mfra', ended by its 16-byte
//   'mfro') only when the stream ends with EOS. A file being written, or
//   cut short by a crash, ends with a fragment ('moof'/'mdat') instead.
// - Matroska: matroskamux writes the Segment with the "unknown size" marker
//   and fills in the real size (and Cues, Duration) on EOS. A finished file's
//   Segment has a known size that ends exactly at the end of the file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace mixcast {

// A file the recording finalized (stop, split, timed split, room stop).
struct FinishedRecording {
  std::string path;
  double duration_s = 0;
  uint64_t size_bytes = 0;
};

struct RecordingFileInfo {
  std::string name;  // file name in the directory
  std::string path;  // directory + "/" + name
  uint64_t size_bytes = 0;
  bool finished = false;   // finalized on EOS (see above); false while written or after a crash
  double duration_s = -1;  // -1: unknown (filled by media/recording_probe)
};

// The .mp4 and .mkv files of `dir` (no hidden files, no subdirectories),
// sorted by name (recording names sort by start time). Empty when the
// directory does not exist.
std::vector<RecordingFileInfo> list_recordings(const std::string& dir);

// Whether the file at `path` was finalized, by its extension (.mp4/.mkv);
// false for other files and files that cannot be read.
bool recording_finished(const std::string& path);

// The byte-level checks behind recording_finished. `read_at(offset, size)`
// returns up to `size` bytes of the file from `offset` (fewer at the end).
using ReadAt = std::function<std::string(uint64_t offset, size_t size)>;
bool mp4_finished(uint64_t file_size, const ReadAt& read_at);
bool mkv_finished(uint64_t file_size, const ReadAt& read_at);

// Whether the file holds any media at all: an MP4 with a movie fragment
// ('moof' followed by an 'mdat' with data), a Matroska file with a Cluster.
// A split's next file or a retry's file that a crash (or a full disk) cut
// off before its first fragment holds only a header, or nothing.
bool recording_has_media(const std::string& path);
bool mp4_has_media(uint64_t file_size, const ReadAt& read_at);
bool mkv_has_media(uint64_t file_size, const ReadAt& read_at);

// The span of video in a fragmented MP4 that is still being written or was
// cut short (a demuxer reads only the first fragment's duration from such
// a file): from the first fragment's decode time to the end of the last
// fragment whose data is all in the file, in seconds; -1 when the file has
// no video track or no complete fragment.
double mp4_fragments_duration_s(uint64_t file_size, const ReadAt& read_at);
double recording_fragments_duration_s(const std::string& path);

// Where a cut-short MP4 stops being whole: the end of its last complete
// fragment (a moof and all of its mdat), or of the last complete box before
// it. Bytes past it are a box the crash or a full disk cut off; some
// players (ffmpeg 5.1: "corrupted TRUN atom") then refuse the whole file.
uint64_t mp4_whole_size(uint64_t file_size, const ReadAt& read_at);

// Removes the unfinished files of `dir` that hold no media (above): what
// crashes and full disks leave, which no player can open. Only for a
// directory nothing writes to now (a recording about to start). Returns the
// paths removed.
std::vector<std::string> remove_recordings_without_media(const std::string& dir);
// Cuts an unfinished MP4 at mp4_whole_size (nothing else is touched): for
// a file nothing writes to any more. Returns the bytes cut off (0: none).
uint64_t trim_cut_off_mp4(const std::string& path);

// UTC "YYYYmmdd-HHMMSS" of `unix_time`, as recording names use it.
std::string recording_timestamp(int64_t unix_time);

// The path of a new recording in `dir`: "<room>-<timestamp><ext>" (ext with
// its dot), or "<room>-<timestamp>_<n><ext>" (n = 2, 3, ...) when that name
// is `taken` (a file of the same second, or one left from an earlier run):
// a new recording never overwrites a file. Both forms sort after the
// files of earlier seconds and the plain name before its _<n> siblings.
std::string new_recording_path(const std::string& dir, const std::string& room,
                               const std::string& timestamp, const std::string& ext,
                               const std::function<bool(const std::string& path)>& taken);

}  // namespace mixcast
