#include "media/recording_probe.h"

#include <gst/pbutils/pbutils.h>

#include "base/glib_ptr.h"

namespace mixcast {

double recording_duration_s(const std::string& path, double timeout_s) {
  GError* raw = nullptr;
  GObjectPtr<GstDiscoverer> discoverer(
      gst_discoverer_new(GstClockTime(timeout_s * GST_SECOND), &raw));
  GErrorPtr error(raw);
  if (!discoverer) return -1;
  GCharPtr uri(g_filename_to_uri(path.c_str(), nullptr, nullptr));
  if (!uri) return -1;
  GObjectPtr<GstDiscovererInfo> info(
      gst_discoverer_discover_uri(discoverer.get(), uri.get(), &raw));
  GErrorPtr discover_error(raw);
  if (!info || gst_discoverer_info_get_result(info.get()) != GST_DISCOVERER_OK) return -1;
  const GstClockTime duration = gst_discoverer_info_get_duration(info.get());
  return GST_CLOCK_TIME_IS_VALID(duration) ? double(duration) / GST_SECOND : -1;
}

std::vector<RecordingFileInfo> list_recordings_with_duration(const std::string& dir,
                                                             double timeout_s) {
  auto files = list_recordings(dir);
  for (auto& file : files) {
    // An unfinished MP4 (being written, or cut short by a crash): a demuxer
    // gives only its first fragment's duration; its fragments say it all.
    const double fragments = file.finished ? -1 : recording_fragments_duration_s(file.path);
    file.duration_s = fragments >= 0 ? fragments : recording_duration_s(file.path, timeout_s);
  }
  return files;
}

}  // namespace mixcast
