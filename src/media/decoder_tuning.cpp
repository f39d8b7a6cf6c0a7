#include "media/decoder_tuning.h"

namespace mixcast {

std::vector<DecoderSetting> decoder_settings(std::string_view factory) {
  if (factory == "vp8dec" || factory == "vp9dec") return {{"threads", 1}};
  // avdec_h264, avdec_vp8, avdec_h265, ...: libav's frame threading.
  if (factory.substr(0, 6) == "avdec_") return {{"max-threads", 1}};
  return {};
}

bool skip_for_files(std::string_view factory) {
  if (factory != "opusdec") return false;
  static const bool libav_opus = [] {
    GstElementFactory* other = gst_element_factory_find("avdec_opus");
    if (other) gst_object_unref(other);
    return other != nullptr;
  }();
  return libav_opus;
}

namespace {

// GstAutoplugSelectResult (gst-plugins-base's playback plugin keeps the
// enum private): try the factory, or skip it for the next candidate.
constexpr int kAutoplugTry = 0;
constexpr int kAutoplugSkip = 2;

int on_autoplug_select(GstElement*, GstPad*, GstCaps*, GstElementFactory* factory, gpointer) {
  return skip_for_files(GST_OBJECT_NAME(factory)) ? kAutoplugSkip : kAutoplugTry;
}

void on_deep_element_added(GstBin*, GstBin*, GstElement* element, gpointer) {
  GstElementFactory* factory = gst_element_get_factory(element);
  if (!factory) return;
  GObjectClass* klass = G_OBJECT_GET_CLASS(element);
  for (const auto& setting : decoder_settings(GST_OBJECT_NAME(factory))) {
    GParamSpec* spec = g_object_class_find_property(klass, setting.property);
    if (!spec) continue;
    if (G_PARAM_SPEC_VALUE_TYPE(spec) == G_TYPE_INT)
      g_object_set(element, setting.property, static_cast<gint>(setting.value), nullptr);
    else if (G_PARAM_SPEC_VALUE_TYPE(spec) == G_TYPE_UINT)
      g_object_set(element, setting.property, setting.value, nullptr);
  }
}

}  // namespace

void prefer_cheaper_decoders(GstElement* decodebin) {
  g_signal_connect(decodebin, "autoplug-select", G_CALLBACK(&on_autoplug_select), nullptr);
}

void tune_decoders_inside(GstBin* bin) {
  g_signal_connect(bin, "deep-element-added", G_CALLBACK(&on_deep_element_added), nullptr);
}

}  // namespace mixcast
