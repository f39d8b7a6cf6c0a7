#include "media/audio_mix.h"

#include <cstdlib>
#include <span>
#include <tuple>

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

// A participant's buffers start anywhere in time and may jitter (RTP). Two
// mixers would round them to different samples, or resync at different
// moments (a slip of one sample leaves the own voice in the mix-minus at
// about -20 dB). So the stream is made exact before it reaches any mixer:
// whole samples on the grid from running time 0, and contiguous unless it
// really jumps (a gap over 40 ms, the mixers' own alignment threshold).
struct AudioMix::SampleGrid {
  int rate = 48000;
  int frame_bytes = 8;  // F32 x channels
  gint64 next_sample = -1;
};

AudioMix::AudioMix(GstBin* pipeline, const AudioSpec& spec)
    : pipeline_(pipeline), spec_(spec), limiter_(spec.rate, spec.channels) {
  mixer_ = make_element("audiomixer", "audio-mixer");
  g_object_set(mixer_, "latency", guint64(spec.latency_ms) * GST_MSECOND, "min-upstream-latency",
               guint64(spec.latency_ms) * GST_MSECOND, "ignore-inactive-pads", TRUE, nullptr);
  // The mix's sample grid starts at running time 0, so that every mixer of
  // the room (the sum and each mix-minus) puts a given sample at the same
  // place: mix-minus subtracts sample by sample.
  if (spec.start_time > 0) {
    gst_util_set_object_arg(G_OBJECT(mixer_), "start-time-selection", "set");
    g_object_set(mixer_, "start-time", guint64(spec.start_time), nullptr);
  } else {
    gst_util_set_object_arg(G_OBJECT(mixer_), "start-time-selection", "zero");
  }

  GstElement* silence = make_element("audiotestsrc", "audio-background");
  g_object_set(silence, "is-live", TRUE, "samplesperbuffer", spec.rate / 100, nullptr);
  gst_util_set_object_arg(G_OBJECT(silence), "wave", "silence");
  GstElement* silence_caps = make_element("capsfilter", "audio-background-caps");
  MiniPtr<GstCaps> caps(mix_caps(spec));
  g_object_set(silence_caps, "caps", caps.get(), nullptr);
  GstElement* out_caps = make_element("capsfilter", "audio-mix-caps");
  g_object_set(out_caps, "caps", caps.get(), nullptr);
  // The unlimited sum feeds the full mix and every mix-minus.
  sum_tee_ = make_element("tee", "audio-sum-tee");
  g_object_set(sum_tee_, "allow-not-linked", TRUE, nullptr);
  GstElement* full = make_element("queue", "audio-full-mix");

  gst_bin_add_many(pipeline_, silence, silence_caps, mixer_, out_caps, sum_tee_, full, nullptr);
  gst_element_link_many(silence, silence_caps, mixer_, out_caps, sum_tee_, full, nullptr);
  src_pad_ = gst_element_get_static_pad(full, "src");
  limiter_probe_ =
      gst_pad_add_probe(src_pad_, GST_PAD_PROBE_TYPE_BUFFER, &AudioMix::limit, &limiter_, nullptr);
}

AudioMix::~AudioMix() {
  gst_pad_remove_probe(src_pad_, limiter_probe_);
  for (auto& [id, mm] : mix_minus_) {
    GstPad* src = gst_element_get_static_pad(mm.bin, "src");
    gst_pad_remove_probe(src, mm.probe);
    gst_object_unref(src);
  }
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
  GstPad* caps_src = gst_element_get_static_pad(caps, "src");
  auto* grid = new SampleGrid{spec_.rate, static_cast<int>(sizeof(float)) * spec_.channels, -1};
  gst_pad_add_probe(caps_src, GST_PAD_PROBE_TYPE_BUFFER, &AudioMix::snap_to_sample_grid, grid,
                    [](gpointer g) { delete static_cast<SampleGrid*>(g); });
  gst_object_unref(caps_src);
  GstElement* level = make_element("level", level_element_name(participant_id).c_str());
  g_object_set(level, "interval", guint64(100) * GST_MSECOND, "post-messages", TRUE, nullptr);
  GstElement* queue = make_element("queue");
  g_object_set(queue, "max-size-time", guint64(200) * GST_MSECOND, "max-size-buffers", 0u,
               "max-size-bytes", 0u, nullptr);
  input.own_tee = make_element("tee", "own");
  g_object_set(input.own_tee, "allow-not-linked", TRUE, nullptr);
  gst_bin_add_many(GST_BIN(input.bin), convert, resample, caps, input.own_tee, level, queue,
                   nullptr);
  gst_element_link_many(convert, resample, caps, input.own_tee, level, queue, nullptr);
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
  link_own(participant_id);
}

void AudioMix::remove_input(const std::string& participant_id) {
  auto it = inputs_.find(participant_id);
  if (it == inputs_.end()) return;
  Input input = it->second;
  inputs_.erase(it);
  // The mixer's pad goes first: releasing it flushes it, so a push or a
  // serialized query of the participant waiting inside the mixer returns
  // (and the input's queue thread with it). Only then can the input's
  // elements stop without waiting on a streaming thread.
  gst_element_release_request_pad(mixer_, input.mixer_pad);
  gst_object_unref(input.mixer_pad);
  auto mm = mix_minus_.find(participant_id);
  if (mm != mix_minus_.end()) unlink_own(mm->second, &input);
  gst_element_set_state(input.bin, GST_STATE_NULL);
  gst_bin_remove(pipeline_, input.bin);
}

GstPad* AudioMix::mix_minus_pad(const std::string& participant_id) {
  auto found = mix_minus_.find(participant_id);
  if (found != mix_minus_.end()) return gst_element_get_static_pad(found->second.bin, "src");
  MixMinus mm;
  mm.bin = gst_bin_new(("mix-minus-" + participant_id).c_str());
  GstElement* sum_queue = make_element("queue", "sum");
  GstElement* own_queue = make_element("queue", "own");
  // The sum arrives a mixer latency after the own samples: hold enough. Leaky:
  // a stalled mix-minus drops its own input instead of holding up the sum
  // tee, and with it everyone's audio.
  for (GstElement* q : {sum_queue, own_queue}) {
    g_object_set(q, "max-size-time", guint64(GST_SECOND), "max-size-buffers", 0u, "max-size-bytes",
                 0u, nullptr);
    gst_util_set_object_arg(G_OBJECT(q), "leaky", "downstream");
  }
  GstElement* invert = make_element("audioamplify", "invert");
  g_object_set(invert, "amplification", -1.0f, nullptr);
  GstElement* mixer = make_element("audiomixer", "mixer");
  g_object_set(mixer, "latency", guint64(spec_.latency_ms) * GST_MSECOND, nullptr);
  gst_util_set_object_arg(G_OBJECT(mixer), "start-time-selection", "first");
  GstElement* caps = make_element("capsfilter");
  MiniPtr<GstCaps> fixed(mix_caps(spec_));
  g_object_set(caps, "caps", fixed.get(), nullptr);
  gst_bin_add_many(GST_BIN(mm.bin), sum_queue, own_queue, invert, mixer, caps, nullptr);
  gst_element_link_many(sum_queue, mixer, caps, nullptr);
  gst_element_link_many(own_queue, invert, mixer, nullptr);
  for (auto [pad_name, element, dir] :
       {std::tuple{"sink_sum", sum_queue, "sink"}, std::tuple{"sink_own", own_queue, "sink"},
        std::tuple{"src", caps, "src"}}) {
    GstPad* target = gst_element_get_static_pad(element, dir);
    gst_element_add_pad(mm.bin, gst_ghost_pad_new(pad_name, target));
    gst_object_unref(target);
  }
  gst_bin_add(pipeline_, mm.bin);
  mm.limiter = std::make_unique<Limiter>(spec_.rate, spec_.channels);
  GstPad* src = gst_element_get_static_pad(mm.bin, "src");
  mm.probe = gst_pad_add_probe(src, GST_PAD_PROBE_TYPE_BUFFER, &AudioMix::limit, mm.limiter.get(),
                               nullptr);
  // Running before it is linked: a buffer from the running sum tee into a
  // pad still flushing would return FLUSHING, which the tee passes up to the
  // room's mixer, and the whole audio mix would stop for good.
  gst_element_sync_state_with_parent(mm.bin);
  mm.sum_tee_pad = gst_element_request_pad_simple(sum_tee_, "src_%u");
  GstPad* sink_sum = gst_element_get_static_pad(mm.bin, "sink_sum");
  gst_pad_link(mm.sum_tee_pad, sink_sum);
  gst_object_unref(sink_sum);
  mix_minus_.emplace(participant_id, std::move(mm));
  link_own(participant_id);
  return src;
}

void AudioMix::link_own(const std::string& participant_id) {
  auto mm = mix_minus_.find(participant_id);
  auto input = inputs_.find(participant_id);
  if (mm == mix_minus_.end() || input == inputs_.end() || mm->second.own_tee_pad) return;
  mm->second.own_tee_pad = gst_element_request_pad_simple(input->second.own_tee, "src_%u");
  // The own tee lives in the input's bin: reach it through a ghost pad.
  GstPad* ghost = gst_ghost_pad_new(nullptr, mm->second.own_tee_pad);
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(input->second.bin, ghost);
  GstPad* sink_own = gst_element_get_static_pad(mm->second.bin, "sink_own");
  if (gst_pad_link(ghost, sink_own) != GST_PAD_LINK_OK)
    LOG_ERROR << "audio mix: cannot link the mix-minus of " << participant_id;
  gst_object_unref(sink_own);
}

void AudioMix::unlink_own(MixMinus& mm, Input* input) {
  if (!mm.own_tee_pad) return;
  if (input) {
    GstPad* ghost = nullptr;
    GstIterator* it = gst_element_iterate_src_pads(input->bin);
    GValue item = G_VALUE_INIT;
    while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
      GstPad* pad = GST_PAD(g_value_get_object(&item));
      if (GST_IS_GHOST_PAD(pad)) {
        GstPad* target = gst_ghost_pad_get_target(GST_GHOST_PAD(pad));
        if (target == mm.own_tee_pad) ghost = GST_PAD(gst_object_ref(pad));
        if (target) gst_object_unref(target);
      }
      g_value_reset(&item);
    }
    g_value_unset(&item);
    gst_iterator_free(it);
    if (ghost) {
      gst_element_remove_pad(input->bin, ghost);
      gst_object_unref(ghost);
    }
    gst_element_release_request_pad(input->own_tee, mm.own_tee_pad);
  }
  gst_object_unref(mm.own_tee_pad);
  mm.own_tee_pad = nullptr;
}

void AudioMix::remove_mix_minus(const std::string& participant_id) {
  auto it = mix_minus_.find(participant_id);
  if (it == mix_minus_.end()) return;
  MixMinus& mm = it->second;
  auto input = inputs_.find(participant_id);
  unlink_own(mm, input == inputs_.end() ? nullptr : &input->second);
  gst_element_release_request_pad(sum_tee_, mm.sum_tee_pad);
  gst_object_unref(mm.sum_tee_pad);
  gst_element_set_state(mm.bin, GST_STATE_NULL);
  gst_bin_remove(pipeline_, mm.bin);
  mix_minus_.erase(it);
}

GstPadProbeReturn AudioMix::snap_to_sample_grid(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* grid = static_cast<SampleGrid*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!GST_BUFFER_PTS_IS_VALID(buffer)) return GST_PAD_PROBE_OK;
  GstEvent* seg_event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  if (!seg_event) return GST_PAD_PROBE_OK;
  const GstSegment* segment;
  gst_event_parse_segment(seg_event, &segment);
  const guint64 rt = gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
  if (rt == GST_CLOCK_TIME_NONE) {
    gst_event_unref(seg_event);
    return GST_PAD_PROBE_OK;
  }
  const auto rate = static_cast<guint64>(grid->rate);
  gint64 sample = static_cast<gint64>(gst_util_uint64_scale_round(rt, rate, GST_SECOND));
  if (grid->next_sample >= 0 && std::llabs(sample - grid->next_sample) < grid->rate / 25)
    sample = grid->next_sample;
  grid->next_sample = sample + static_cast<gint64>(gst_buffer_get_size(buffer) / grid->frame_bytes);
  const GstClockTime snapped_rt =
      gst_util_uint64_scale_round(static_cast<guint64>(sample), GST_SECOND, rate);
  const GstClockTime pts =
      gst_segment_position_from_running_time(segment, GST_FORMAT_TIME, snapped_rt);
  gst_event_unref(seg_event);
  if (pts == GST_CLOCK_TIME_NONE || pts == GST_BUFFER_PTS(buffer)) return GST_PAD_PROBE_OK;
  buffer = gst_buffer_make_writable(buffer);
  GST_BUFFER_PTS(buffer) = pts;
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn AudioMix::limit(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* limiter = static_cast<Limiter*>(data);
  GstBuffer* buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstMapInfo map;
  if (gst_buffer_map(buffer, &map, GST_MAP_READWRITE)) {
    limiter->process(
        std::span<float>(reinterpret_cast<float*>(map.data), map.size / sizeof(float)));
    gst_buffer_unmap(buffer, &map);
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace mixcast
