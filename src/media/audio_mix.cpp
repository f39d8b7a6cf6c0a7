#include "media/audio_mix.h"

#include <span>

#include "core/log.h"
#include "media/gst_ptr.h"

namespace mixcast {

namespace {
GstCaps* mix_caps(const AudioSpec& spec) {
  return gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "F32LE", "layout",
                             G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, spec.rate,
                             "channels", G_TYPE_INT, spec.channels, nullptr);
}
}  // namespace

AudioMix::AudioMix(GstBin* pipeline, const AudioSpec& spec)
    : pipeline_(pipeline), spec_(spec), limiter_(spec.rate, spec.channels) {
  mixer_ = make_element("audiomixer", "audio-mixer");
  g_object_set(mixer_, "latency", guint64(spec.latency_ms) * GST_MSECOND, "min-upstream-latency",
               guint64(spec.latency_ms) * GST_MSECOND, "ignore-inactive-pads", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(mixer_), "start-time-selection", "first");

  GstElement* silence = make_element("audiotestsrc", "audio-background");
  g_object_set(silence, "is-live", TRUE, "samplesperbuffer", spec.rate / 100, nullptr);
  gst_util_set_object_arg(G_OBJECT(silence), "wave", "silence");
  GstElement* silence_caps = make_element("capsfilter", "audio-background-caps");
  MiniPtr<GstCaps> caps(mix_caps(spec));
  g_object_set(silence_caps, "caps", caps.get(), nullptr);
  GstElement* out_caps = make_element("capsfilter", "audio-mix-caps");
  g_object_set(out_caps, "caps", caps.get(), nullptr);

  gst_bin_add_many(pipeline_, silence, silence_caps, mixer_, out_caps, nullptr);
  gst_element_link_many(silence, silence_caps, mixer_, out_caps, nullptr);
  src_pad_ = gst_element_get_static_pad(out_caps, "src");
  limiter_probe_ = gst_pad_add_probe(src_pad_, GST_PAD_PROBE_TYPE_BUFFER, &AudioMix::on_mix_buffer,
                                     this, nullptr);
}

AudioMix::~AudioMix() {
  gst_pad_remove_probe(src_pad_, limiter_probe_);
  for (auto& [id, input] : inputs_) gst_object_unref(input.mixer_pad);
  gst_object_unref(src_pad_);
}

std::string AudioMix::level_element_name(const std::string& participant_id) {
  return "level-" + participant_id;
}

void AudioMix::add_input(const std::string& participant_id, GstPad* audio_src) {
  if (inputs_.count(participant_id)) remove_input(participant_id);
  Input input;
  input.bin = gst_bin_new(("audio-input-" + participant_id).c_str());
  GstElement* convert = make_element("audioconvert");
  GstElement* resample = make_element("audioresample");
  GstElement* caps = make_element("capsfilter");
  MiniPtr<GstCaps> fixed(mix_caps(spec_));
  g_object_set(caps, "caps", fixed.get(), nullptr);
  GstElement* level = make_element("level", level_element_name(participant_id).c_str());
  g_object_set(level, "interval", guint64(100) * GST_MSECOND, "post-messages", TRUE, nullptr);
  GstElement* queue = make_element("queue");
  g_object_set(queue, "max-size-time", guint64(200) * GST_MSECOND, "max-size-buffers", 0u,
               "max-size-bytes", 0u, nullptr);
  gst_bin_add_many(GST_BIN(input.bin), convert, resample, caps, level, queue, nullptr);
  gst_element_link_many(convert, resample, caps, level, queue, nullptr);
  GstPad* sink = gst_element_get_static_pad(convert, "sink");
  GstPad* src = gst_element_get_static_pad(queue, "src");
  gst_element_add_pad(input.bin, gst_ghost_pad_new("sink", sink));
  gst_element_add_pad(input.bin, gst_ghost_pad_new("src", src));
  gst_object_unref(sink);
  gst_object_unref(src);
  gst_bin_add(pipeline_, input.bin);

  input.mixer_pad = gst_element_request_pad_simple(mixer_, "sink_%u");
  GstPad* bin_src = gst_element_get_static_pad(input.bin, "src");
  GstPad* bin_sink = gst_element_get_static_pad(input.bin, "sink");
  if (gst_pad_link(bin_src, input.mixer_pad) != GST_PAD_LINK_OK ||
      gst_pad_link(audio_src, bin_sink) != GST_PAD_LINK_OK)
    LOG_ERROR << "audio mix: cannot link participant " << participant_id;
  gst_object_unref(bin_src);
  gst_object_unref(bin_sink);
  gst_element_sync_state_with_parent(input.bin);
  inputs_.emplace(participant_id, input);
}

void AudioMix::remove_input(const std::string& participant_id) {
  auto it = inputs_.find(participant_id);
  if (it == inputs_.end()) return;
  Input input = it->second;
  inputs_.erase(it);
  gst_element_set_state(input.bin, GST_STATE_NULL);
  gst_bin_remove(pipeline_, input.bin);
  gst_element_release_request_pad(mixer_, input.mixer_pad);
  gst_object_unref(input.mixer_pad);
}

GstPadProbeReturn AudioMix::on_mix_buffer(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<AudioMix*>(data);
  GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READWRITE)) {
    self->limiter_.process(
        std::span<float>(reinterpret_cast<float*>(map.data), map.size / sizeof(float)));
    gst_buffer_unmap(buffer, &map);
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace mixcast
