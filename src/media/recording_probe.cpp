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
    // Our MP4s are fragmented: their fragments say how long they are, from
    // a few kilobytes of box headers, finished or not (a demuxer gives an
    // unfinished one only its first fragment's duration). The discoverer
    // demuxes the file: a listing of a few finished files once took more
    // than 5 s on the loaded 2-core CI machine. It remains for the rest
    // (Matroska, an MP4 without fragments).
    const double fragments = recording_fragments_duration_s(file.path);
    file.duration_s = fragments >= 0 ? fragments : recording_duration_s(file.path, timeout_s);
  }
  return files;
}

}  // namespace mixcast
