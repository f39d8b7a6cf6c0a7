// The duration of a recording, read by GStreamer's discoverer, and a room's
// recordings listed with it (core/recording_files lists them without): an
// MP4's from its fragments, any other file's from the discoverer.
// Blocking: a file the discoverer reads is demuxed for up to `timeout_s`.
// Call off the main loop (a worker thread), never from a streaming thread.
#pragma once

#include <string>
#include <vector>

#include "core/recording_files.h"

namespace mixcast {

// Seconds of media in the file; -1 when it cannot be read in `timeout_s`.
double recording_duration_s(const std::string& path, double timeout_s = 10);

// list_recordings(dir) with duration_s filled in.
std::vector<RecordingFileInfo> list_recordings_with_duration(const std::string& dir,
                                                             double timeout_s = 10);

}  // namespace mixcast
