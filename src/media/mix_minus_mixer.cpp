#include "media/mix_minus_mixer.h"

#include <gst/audio/audio.h>
#include <gst/audio/gstaudioaggregator.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/audio_math.h"
#include "core/mix_minus.h"
#include "media/gst_ptr.h"

namespace {

using mixcast::GCharPtr;
using mixcast::GstPtr;

// A gain change is a 10 ms ramp: short enough to feel immediate, long
// enough not to click.
constexpr double kGainRampS = 0.01;

// Per input pad. Touched only by the mixer's streaming thread, but for
// target_gain.
struct PadState {
  // The operator's volume and mute (set_input_gain, any thread), applied
  // before the sum, so that the own samples subtracted are the scaled ones.
  std::atomic<float> target_gain{1.f};
  // Streaming thread only from here on.
  mixcast::GainRamp gain;  // towards target_gain, over kGainRampS
  std::vector<float> own;  // this input's samples in block `block` of the sum
  guint64 block = 0;       // 0: none yet
};

// One participant's mix-minus feed.
struct Output {
  GstPtr<GstPad> pad;
  GstPtr<GstPad> own_input;  // guarded by MixerState::mutex
  mixcast::Limiter limiter;  // streaming thread only
  Output(GstPad* p, GstPad* own, int rate, int channels)
      : pad(mixcast::ref(p)), own_input(mixcast::ref(own)), limiter(rate, channels) {}
};

struct MixerState {
  std::mutex mutex;
  std::vector<std::shared_ptr<Output>> outputs;  // guarded by mutex
  // The output block being built (streaming thread only).
  guint64 block = 0;
  guint frames = 0;
  int channels = 2;
  // The room's fixed format, for the feeds' limiters.
  int room_rate = 48000;
  int room_channels = 2;
};

}  // namespace

// GObject boilerplate: a pad type carrying PadState, an element carrying
// MixerState. C++ members live behind a pointer made in init and freed in
// finalize.
struct MixcastMixMinusPad {
  GstAudioAggregatorPad parent;
  PadState* state;
};
struct MixcastMixMinusPadClass {
  GstAudioAggregatorPadClass parent_class;
};
G_DEFINE_TYPE(MixcastMixMinusPad, mixcast_mix_minus_pad, GST_TYPE_AUDIO_AGGREGATOR_PAD)

struct MixcastMixMinusMixer {
  GstAudioAggregator parent;
  MixerState* state;
};
struct MixcastMixMinusMixerClass {
  GstAudioAggregatorClass parent_class;
};
G_DEFINE_TYPE(MixcastMixMinusMixer, mixcast_mix_minus_mixer, GST_TYPE_AUDIO_AGGREGATOR)

namespace {

MixerState* state_of(gpointer mixer) {
  return reinterpret_cast<MixcastMixMinusMixer*>(mixer)->state;
}
PadState* state_of_pad(GstPad* pad) {
  return reinterpret_cast<MixcastMixMinusPad*>(pad)->state;
}
GstAudioAggregatorClass* parent_audio_class() {
  return GST_AUDIO_AGGREGATOR_CLASS(mixcast_mix_minus_mixer_parent_class);
}

// The output block starts: every input's own copy from now on belongs to it.
GstBuffer* create_output_buffer(GstAudioAggregator* aagg, guint num_frames) {
  GstBuffer* buffer = parent_audio_class()->create_output_buffer(aagg, num_frames);
  MixerState* st = state_of(aagg);
  auto* srcpad = GST_AUDIO_AGGREGATOR_PAD(GST_AGGREGATOR_SRC_PAD(aagg));
  GST_OBJECT_LOCK(aagg);
  st->channels = GST_AUDIO_INFO_CHANNELS(&srcpad->info);
  GST_OBJECT_UNLOCK(aagg);
  ++st->block;
  st->frames = num_frames;
  return buffer;
}

// Like audiomixer's F32 path, and keeps what it added: the output block may
// be built over several calls (an input buffer ending inside it), each one
// writing its own range of frames.
gboolean aggregate_one_buffer(GstAudioAggregator* aagg, GstAudioAggregatorPad* pad,
                              GstBuffer* inbuf, guint in_offset, GstBuffer* outbuf,
                              guint out_offset, guint num_frames) {
  MixerState* st = state_of(aagg);
  PadState* ps = state_of_pad(GST_PAD(pad));
  const size_t channels = static_cast<size_t>(st->channels);
  if (ps->block != st->block) {
    ps->own.assign(st->frames * channels, 0.f);
    ps->block = st->block;
  }
  GstMapInfo in, out;
  if (!gst_buffer_map(inbuf, &in, GST_MAP_READ)) return FALSE;
  if (!gst_buffer_map(outbuf, &out, GST_MAP_READWRITE)) {
    gst_buffer_unmap(inbuf, &in);
    return FALSE;
  }
  const size_t n = num_frames * channels;
  const size_t in_at = in_offset * channels, out_at = out_offset * channels;
  const bool fits = (in_at + n) * sizeof(float) <= in.size &&
                    (out_at + n) * sizeof(float) <= out.size && out_at + n <= ps->own.size();
  if (fits) {
    ps->gain.set_target(ps->target_gain.load(std::memory_order_relaxed),
                        static_cast<int>(st->room_rate * kGainRampS));
    mixcast::accumulate(std::span(reinterpret_cast<float*>(out.data) + out_at, n),
                        std::span(reinterpret_cast<const float*>(in.data) + in_at, n), channels,
                        ps->gain, std::span(ps->own.data() + out_at, n));
  }
  gst_buffer_unmap(outbuf, &out);
  gst_buffer_unmap(inbuf, &in);
  return fits;
}

void push_output(GstAggregator* agg, Output& output, GstBuffer* feed, GstEvent* caps,
                 GstEvent* segment) {
  GstPad* pad = output.pad.get();
  // Held like a src pad's task holds it: deactivating the pad (remove_output)
  // waits for this push to finish.
  GST_PAD_STREAM_LOCK(pad);
  // Once per activation (deactivating a pad drops its sticky events).
  if (GstEvent* had = gst_pad_get_sticky_event(pad, GST_EVENT_STREAM_START, 0)) {
    gst_event_unref(had);
  } else {
    GCharPtr name(gst_pad_get_name(pad));
    GCharPtr id(g_strdup_printf("%s/%s", GST_OBJECT_NAME(agg), name.get()));
    GstEvent* start = gst_event_new_stream_start(id.get());
    gst_event_set_group_id(start, gst_util_group_id_next());
    gst_pad_store_sticky_event(pad, start);
    gst_event_unref(start);
  }
  // Same caps and segment as the full mix: the return feed's PTS are the
  // mix's. Storing an event already stored is a no-op.
  if (caps) gst_pad_store_sticky_event(pad, caps);
  if (segment) gst_pad_store_sticky_event(pad, segment);
  // The result is ignored on purpose: a flushing, unlinked or failing return
  // must never stop the room's mix.
  gst_pad_push(pad, feed);
  GST_PAD_STREAM_UNLOCK(pad);
}

// The block is complete: each mix-minus is this very sum less the samples
// its participant put into it.
GstFlowReturn finish_buffer(GstAggregator* agg, GstBuffer* sum) {
  MixerState* st = state_of(agg);
  std::vector<std::shared_ptr<Output>> outputs;
  std::vector<GstPtr<GstPad>> owns;
  {
    std::lock_guard lock(st->mutex);
    outputs = st->outputs;
    for (const auto& o : outputs) owns.push_back(mixcast::ref(o->own_input.get()));
  }
  std::vector<GstBuffer*> feeds;
  GstMapInfo in;
  if (!outputs.empty() && gst_buffer_map(sum, &in, GST_MAP_READ)) {
    const size_t n = in.size / sizeof(float);
    const std::span<const float> sum_samples(reinterpret_cast<const float*>(in.data), n);
    for (size_t i = 0; i < outputs.size(); ++i) {
      GstBuffer* feed = gst_buffer_new_allocate(nullptr, in.size, nullptr);
      gst_buffer_copy_into(feed, sum,
                           GstBufferCopyFlags(GST_BUFFER_COPY_FLAGS | GST_BUFFER_COPY_TIMESTAMPS),
                           0, static_cast<gsize>(-1));
      std::span<const float> own;
      if (owns[i]) {
        const PadState* ps = state_of_pad(owns[i].get());
        if (ps->block == st->block && ps->own.size() >= n) own = std::span(ps->own.data(), n);
      }
      GstMapInfo out;
      if (gst_buffer_map(feed, &out, GST_MAP_WRITE)) {
        mixcast::subtract_and_limit(sum_samples, own,
                                    std::span(reinterpret_cast<float*>(out.data), n),
                                    outputs[i]->limiter);
        gst_buffer_unmap(feed, &out);
      }
      feeds.push_back(feed);
    }
    gst_buffer_unmap(sum, &in);
  }
  // The full mix first: its first push sends the caps and segment that the
  // feeds copy.
  const GstFlowReturn ret =
      GST_AGGREGATOR_CLASS(mixcast_mix_minus_mixer_parent_class)->finish_buffer(agg, sum);
  GstEvent* caps = gst_pad_get_sticky_event(agg->srcpad, GST_EVENT_CAPS, 0);
  GstEvent* segment = gst_pad_get_sticky_event(agg->srcpad, GST_EVENT_SEGMENT, 0);
  for (size_t i = 0; i < feeds.size(); ++i) push_output(agg, *outputs[i], feeds[i], caps, segment);
  if (caps) gst_event_unref(caps);
  if (segment) gst_event_unref(segment);
  return ret;
}

GstElementClass* parent_element_class() {
  return GST_ELEMENT_CLASS(mixcast_mix_minus_mixer_parent_class);
}

// A released input is left out of nobody's feed any more.
void release_pad(GstElement* element, GstPad* pad) {
  MixerState* st = state_of(element);
  {
    std::lock_guard lock(st->mutex);
    for (auto& o : st->outputs)
      if (o->own_input.get() == pad) o->own_input.reset();
  }
  parent_element_class()->release_pad(element, pad);
}

// A feed answers for the format and latency of the full mix; upstream events
// from a return (QoS, reconfigure) have nothing to act on.
gboolean output_query(GstPad*, GstObject* parent, GstQuery* query) {
  GstPad* mix_src = GST_AGGREGATOR_SRC_PAD(parent);
  switch (GST_QUERY_TYPE(query)) {
    case GST_QUERY_CAPS: {
      GstCaps* filter = nullptr;
      gst_query_parse_caps(query, &filter);
      GstCaps* caps = gst_pad_get_current_caps(mix_src);
      if (!caps) caps = gst_pad_get_pad_template_caps(mix_src);
      if (filter) {
        GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref(caps);
        caps = both;
      }
      gst_query_set_caps_result(query, caps);
      gst_caps_unref(caps);
      return TRUE;
    }
    case GST_QUERY_ACCEPT_CAPS: {
      GstCaps* offered = nullptr;
      gst_query_parse_accept_caps(query, &offered);
      GstCaps* caps = gst_pad_get_current_caps(mix_src);
      if (!caps) caps = gst_pad_get_pad_template_caps(mix_src);
      gst_query_set_accept_caps_result(query, gst_caps_is_subset(offered, caps));
      gst_caps_unref(caps);
      return TRUE;
    }
    case GST_QUERY_LATENCY: {
      // Answered here from what the mixer already knows, rather than by
      // calling into the aggregator's own src pad query from a downstream
      // thread (the suspect of a rare start-up stall: no block ever made).
      const GstClockTime latency = gst_aggregator_get_latency(GST_AGGREGATOR(parent));
      gst_query_set_latency(query, TRUE, GST_CLOCK_TIME_IS_VALID(latency) ? latency : 0,
                            GST_CLOCK_TIME_NONE);
      return TRUE;
    }
    default:
      return FALSE;
  }
}

gboolean output_event(GstPad*, GstObject*, GstEvent* event) {
  const bool handled = GST_EVENT_TYPE(event) != GST_EVENT_SEEK;
  gst_event_unref(event);
  return handled;
}

void mixer_finalize(GObject* object) {
  delete state_of(object);
  G_OBJECT_CLASS(mixcast_mix_minus_mixer_parent_class)->finalize(object);
}

void pad_finalize(GObject* object) {
  delete reinterpret_cast<MixcastMixMinusPad*>(object)->state;
  G_OBJECT_CLASS(mixcast_mix_minus_pad_parent_class)->finalize(object);
}

#define MIXCAST_MIX_CAPS                                                               \
  "audio/x-raw, format=(string)F32LE, layout=(string)interleaved, rate=(int)[1,MAX], " \
  "channels=(int)[1,MAX]"
GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink_%u", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(MIXCAST_MIX_CAPS));
GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(MIXCAST_MIX_CAPS));

}  // namespace

static void mixcast_mix_minus_pad_class_init(MixcastMixMinusPadClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = pad_finalize;
}
static void mixcast_mix_minus_pad_init(MixcastMixMinusPad* pad) {
  pad->state = new PadState;
}

static void mixcast_mix_minus_mixer_class_init(MixcastMixMinusMixerClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = mixer_finalize;
  GstElementClass* element = GST_ELEMENT_CLASS(klass);
  gst_element_class_add_static_pad_template_with_gtype(element, &src_template,
                                                       GST_TYPE_AUDIO_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype(element, &sink_template,
                                                       mixcast_mix_minus_pad_get_type());
  gst_element_class_set_static_metadata(element, "Mix-minus mixer", "Generic/Audio",
                                        "Sums F32 audio and sends each input the sum less "
                                        "its own samples",
                                        "mixcast");
  element->release_pad = release_pad;
  GST_AGGREGATOR_CLASS(klass)->finish_buffer = finish_buffer;
  GstAudioAggregatorClass* audio = GST_AUDIO_AGGREGATOR_CLASS(klass);
  audio->create_output_buffer = create_output_buffer;
  audio->aggregate_one_buffer = aggregate_one_buffer;
}
static void mixcast_mix_minus_mixer_init(MixcastMixMinusMixer* mixer) {
  mixer->state = new MixerState;
}

namespace mixcast::mix_minus_mixer {

GstElement* make(const char* name, int rate, int channels) {
  auto* mixer =
      GST_ELEMENT(g_object_new(mixcast_mix_minus_mixer_get_type(), "name", name, nullptr));
  state_of(mixer)->room_rate = rate;
  state_of(mixer)->room_channels = channels;
  return mixer;
}

GstPad* add_output(GstElement* mixer, const std::string& name, GstPad* own_input) {
  MixerState* st = state_of(mixer);
  GstPad* pad = gst_pad_new(name.c_str(), GST_PAD_SRC);
  gst_pad_set_query_function(pad, output_query);
  gst_pad_set_event_function(pad, output_event);
  gst_pad_set_active(pad, TRUE);
  gst_element_add_pad(mixer, pad);
  std::lock_guard lock(st->mutex);
  st->outputs.push_back(std::make_shared<Output>(pad, own_input, st->room_rate, st->room_channels));
  return pad;
}

void set_own_input(GstElement* mixer, GstPad* output, GstPad* own_input) {
  MixerState* st = state_of(mixer);
  std::lock_guard lock(st->mutex);
  for (auto& o : st->outputs)
    if (o->pad.get() == output) o->own_input = ref(own_input);
}

void set_input_gain(GstPad* input, float gain) {
  state_of_pad(input)->target_gain.store(gain, std::memory_order_relaxed);
}

void remove_output(GstElement* mixer, GstPad* output) {
  MixerState* st = state_of(mixer);
  GstPtr<GstPad> keep = ref(output);
  {
    std::lock_guard lock(st->mutex);
    std::erase_if(st->outputs, [&](const auto& o) { return o->pad.get() == output; });
  }
  gst_pad_set_active(output, FALSE);
  gst_element_remove_pad(mixer, output);
}

}  // namespace mixcast::mix_minus_mixer
