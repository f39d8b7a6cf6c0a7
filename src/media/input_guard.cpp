#include "media/input_guard.h"

#include <gst/audio/audio.h>

#include "core/log.h"

namespace mixcast {

namespace {
constexpr gint64 kLogIntervalUs = 5 * G_USEC_PER_SEC;

InputTimeline::Options options_for(InputTimeline::Kind kind) {
  InputTimeline::Options options;
  options.kind = kind;
  return options;
}
}  // namespace

InputGuard::InputGuard(std::string label, InputTimeline::Kind kind, GstPad* pad,
                       GstElement* pipeline)
    : label_(std::move(label)), pad_(ref(pad)), timeline_(options_for(kind)) {
  gst_segment_init(&upstream_segment_, GST_FORMAT_TIME);
  // Events already stuck on the pad are sent again through the probe once
  // it is linked; their segment places the first buffers.
  if (GstEvent* sticky = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0)) {
    const GstSegment* segment = nullptr;
    gst_event_parse_segment(sticky, &segment);
    gst_segment_copy_into(segment, &upstream_segment_);
    have_upstream_segment_ = segment->format == GST_FORMAT_TIME;
    gst_event_unref(sticky);
  }
  if (GST_IS_PIPELINE(pipeline)) clock_.reset(gst_pipeline_get_clock(GST_PIPELINE(pipeline)));
  base_time_ = gst_element_get_base_time(pipeline);
  probe_ = gst_pad_add_probe(
      pad,
      GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                      GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH |
                      GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM),
      &InputGuard::on_probe, this, nullptr);
  // Nothing the room's side returns reaches the participant either: a mixer
  // that fails (GstVideoAggregator answers every input with an error), a
  // branch still starting (flushing), an input unlinked while its core is
  // rebuilt (not-linked). Passed up, any of them would end the
  // participant's stream (a source stops with an error at the first one),
  // and with one mixer error every participant of the room would go.
  if (GST_IS_GHOST_PAD(pad)) {
    internal_.reset(GST_PAD(gst_proxy_pad_get_internal(GST_PROXY_PAD(pad))));
    if (internal_) {
      gst_pad_set_chain_function(internal_.get(), &InputGuard::chain_shielded);
      gst_pad_set_chain_list_function(internal_.get(), &InputGuard::chain_list_shielded);
    }
  }
}

InputGuard::~InputGuard() {
  if (probe_) gst_pad_remove_probe(pad_.get(), probe_);
  if (internal_) {
    gst_pad_set_chain_function(internal_.get(), gst_proxy_pad_chain_default);
    gst_pad_set_chain_list_function(internal_.get(), gst_proxy_pad_chain_list_default);
  }
}

GstFlowReturn InputGuard::chain_shielded(GstPad* pad, GstObject* parent, GstBuffer* buffer) {
  const GstFlowReturn ret = gst_proxy_pad_chain_default(pad, parent, buffer);
  return ret >= GST_FLOW_OK ? ret : GST_FLOW_OK;
}

GstFlowReturn InputGuard::chain_list_shielded(GstPad* pad, GstObject* parent, GstBufferList* list) {
  const GstFlowReturn ret = gst_proxy_pad_chain_list_default(pad, parent, list);
  return ret >= GST_FLOW_OK ? ret : GST_FLOW_OK;
}

void InputGuard::resume() {
  {
    std::lock_guard lock(mutex_);
    sent_segment_ = false;  // the sticky segment is sent again to the new peer
  }
  suspended_.store(false);
}

InputCounters InputGuard::counters() const {
  std::lock_guard lock(mutex_);
  return timeline_.counters();
}

GstClockTime InputGuard::now() const {
  if (!clock_) return 0;
  const GstClockTime t = gst_clock_get_time(clock_.get());
  return t > base_time_ ? t - base_time_ : 0;
}

GstPadProbeReturn InputGuard::on_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<InputGuard*>(data);
  // Closed, suspended, or between a rebuilt core's relink steps: queries
  // fail, data vanishes (an unlinked push would end the participant's
  // stream with not-linked). Sticky events are sent again on the next link.
  if (self->closed_.load() || self->suspended_.load() || !gst_pad_is_linked(pad))
    return GST_PAD_PROBE_DROP;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) return self->on_buffer(info);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    // Raw decoders push single buffers; a list would pass unchecked, so it
    // does not pass at all.
    std::lock_guard lock(self->mutex_);
    self->timeline_.absorbed();
    return GST_PAD_PROBE_DROP;
  }
  if (info->type & (GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH))
    return self->on_event(info);
  return GST_PAD_PROBE_OK;  // queries pass while open
}

GstPadProbeReturn InputGuard::on_buffer(GstPadProbeInfo* info) {
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime clock_now = now();
  InputTimeline::Verdict verdict;
  InputCounters counters;
  {
    std::lock_guard lock(mutex_);
    std::optional<uint64_t> rt;
    if (have_upstream_segment_ && GST_BUFFER_PTS_IS_VALID(buffer)) {
      const guint64 t =
          gst_segment_to_running_time(&upstream_segment_, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
      if (t != GST_CLOCK_TIME_NONE) rt = t;
    }
    guint64 duration = GST_BUFFER_DURATION_IS_VALID(buffer) ? GST_BUFFER_DURATION(buffer) : 0;
    if (!duration && audio_rate_ > 0 && audio_bpf_ > 0)
      duration =
          gst_util_uint64_scale(gst_buffer_get_size(buffer) / audio_bpf_, GST_SECOND, audio_rate_);
    verdict = timeline_.take(rt, duration, clock_now);
    counters = timeline_.counters();
  }
  log_if_due(counters);
  if (!verdict.pass) return GST_PAD_PROBE_DROP;
  if (GST_BUFFER_PTS(buffer) != verdict.running_time || GST_BUFFER_DTS_IS_VALID(buffer)) {
    buffer = gst_buffer_make_writable(buffer);
    GST_BUFFER_PTS(buffer) = verdict.running_time;
    GST_BUFFER_DTS(buffer) = GST_CLOCK_TIME_NONE;
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn InputGuard::on_event(GstPadProbeInfo* info) {
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  std::lock_guard lock(mutex_);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_SEGMENT: {
      // Kept to place the participant's buffers on the room's timeline; the
      // mixers get one segment of ours, once, whatever upstream does later.
      const GstSegment* segment = nullptr;
      gst_event_parse_segment(event, &segment);
      gst_segment_copy_into(segment, &upstream_segment_);
      have_upstream_segment_ = segment->format == GST_FORMAT_TIME;
      if (sent_segment_) {
        timeline_.absorbed();
        return GST_PAD_PROBE_DROP;
      }
      sent_segment_ = true;
      GstSegment ours;
      gst_segment_init(&ours, GST_FORMAT_TIME);
      GstEvent* replacement = gst_event_new_segment(&ours);
      gst_event_set_seqnum(replacement, gst_event_get_seqnum(event));
      gst_event_unref(event);
      GST_PAD_PROBE_INFO_DATA(info) = replacement;
      return GST_PAD_PROBE_OK;
    }
    case GST_EVENT_CAPS: {
      GstCaps* caps = nullptr;
      gst_event_parse_caps(event, &caps);
      GstAudioInfo audio;
      if (caps && gst_audio_info_from_caps(&audio, caps)) {
        audio_rate_ = GST_AUDIO_INFO_RATE(&audio);
        audio_bpf_ = GST_AUDIO_INFO_BPF(&audio);
      }
      return GST_PAD_PROBE_OK;  // the mixers convert and scale per pad
    }
    case GST_EVENT_FLUSH_START:
    case GST_EVENT_FLUSH_STOP:
      // A flush reaching an aggregator pad flushes the whole mix.
    case GST_EVENT_EOS:
      // EOS would end the mixer pad for good (the room removes the
      // participant instead: Participant sees it first).
    case GST_EVENT_GAP:
      // In the participant's own time; the mixers time out without it.
    case GST_EVENT_SEGMENT_DONE:
      timeline_.absorbed();
      return GST_PAD_PROBE_DROP;
    default:
      return GST_PAD_PROBE_OK;
  }
}

void InputGuard::log_if_due(const InputCounters& c) {
  const bool changed = c.dropped() != logged_.dropped() || c.repaired() != logged_.repaired();
  if (!changed) return;
  const gint64 now_us = g_get_monotonic_time();
  if (now_us - last_log_us_ < kLogIntervalUs) return;
  last_log_us_ = now_us;
  LOG_WARN << label_
           << ": kept from the mix: " << c.dropped_untimestamped - logged_.dropped_untimestamped
           << " buffers without timestamps, " << c.dropped_backwards - logged_.dropped_backwards
           << " going backwards; repaired: "
           << c.repaired_untimestamped - logged_.repaired_untimestamped << " timestamps, "
           << c.rebased - logged_.rebased << " jumps moved to now (totals: " << c.dropped()
           << " dropped, " << c.repaired() << " repaired)";
  logged_ = c;
}

}  // namespace mixcast
