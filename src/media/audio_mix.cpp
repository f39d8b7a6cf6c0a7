#include "media/audio_mix.h"

#include <gst/audio/audio.h>

#include <span>

#include "core/log.h"
#include "media/mix_minus_mixer.h"

namespace mixcast {

namespace {
GstCaps* mix_caps(const AudioSpec& spec) {
  GstCaps* caps = gst_caps_new_simple("audio/x-raw", "format", G_TYPE_STRING, "F32LE", "layout",
                                      G_TYPE_STRING, "interleaved", "rate", G_TYPE_INT, spec.rate,
                                      "channels", G_TYPE_INT, spec.channels, nullptr);
  // The channel mask is fixed too: audioconvert sets it on the inputs, the
  // silence source would not, and the mixer refuses a second input whose
  // channel positions differ (not-negotiated). Whichever input came first
  // decided, so a rebuilt core sometimes lost its background.
  if (spec.channels > 1)
    gst_caps_set_simple(caps, "channel-mask", GST_TYPE_BITMASK,
                        gst_audio_channel_get_fallback_mask(spec.channels), nullptr);
  return caps;
}

// A queue that never blocks whoever pushes into it: when full it drops its
// oldest buffers. After the mixer, a stalled return can never hold up the
// mix.
GstElement* leaky_queue(const char* name, guint64 max_ms) {
  GstElement* queue = make_element("queue", name);
  g_object_set(queue, "max-size-time", max_ms * GST_MSECOND, "max-size-buffers", 0u,
               "max-size-bytes", 0u, nullptr);
  gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
  return queue;
}
}  // namespace

// No sample-grid snap before the mixer any more: it existed so that two
// mixers (the sum and a mix-minus) would round a jittery input to the same
// samples. With one mixer the placement is the aggregator's alone (its own
// alignment-threshold keeps a jittery input contiguous, as the snap did),
// and whatever it places goes both into the sum and into the subtraction.

AudioMix::AudioMix(GstBin* pipeline, const AudioSpec& spec)
    : pipeline_(pipeline), spec_(spec), limiter_(spec.rate, spec.channels) {
  mixer_ = mix_minus_mixer::make("audio-mixer", spec.rate, spec.channels);
  // Waits at most `latency` for a late input, then mixes what it has (the
  // late input misses its samples for that block, the others go on); pads
  // added later are covered by min-upstream-latency.
  g_object_set(mixer_, "latency", guint64(spec.latency_ms) * GST_MSECOND, "min-upstream-latency",
               guint64(spec.latency_ms) * GST_MSECOND, "ignore-inactive-pads", TRUE, nullptr);
  // The mix's timeline is the pipeline's running time, from 0 in a new
  // room. A core rebuilt in a running room starts at its first input: from
  // 0 it would first produce everything it missed, and with a start time set
  // explicitly ("set") GstAggregator 1.22 makes its first clock wait at 0,
  // times out at once and, in about one rebuild in four on a loaded
  // machine, never produced audio at all (measured: 8 of 20 test runs with
  // "set", 0 of 20 with "first").
  if (spec.joins_running_room) {
    gst_util_set_object_arg(G_OBJECT(mixer_), "start-time-selection", "first");
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
  GstElement* full = make_element("queue", "audio-full-mix");

  gst_bin_add_many(pipeline_, silence, silence_caps, mixer_, out_caps, full, nullptr);
  gst_element_link_many(silence, silence_caps, mixer_, out_caps, full, nullptr);
  src_pad_.reset(gst_element_get_static_pad(full, "src"));
  limiter_probe_ = gst_pad_add_probe(src_pad_.get(), GST_PAD_PROBE_TYPE_BUFFER, &AudioMix::limit,
                                     &limiter_, nullptr);
}

AudioMix::~AudioMix() {
  gst_pad_remove_probe(src_pad_.get(), limiter_probe_);
}

std::string AudioMix::level_element_name(const std::string& participant_id) {
  return "level-" + participant_id;
}

void AudioMix::add_input(const std::string& participant_id, GstPad* audio_src, float gain) {
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
  // Not leaky: a file participant (not live) is paced to real time by this
  // queue filling while the live mixer takes 10 ms at a time; a leaky one
  // would let it race through its file. A live participant never fills it
  // while the mixer runs (200 ms is far more than the mixer's latency), and a
  // thread blocked here is released by remove_input's first step (the
  // flushed mixer pad fails the queue's push, which wakes it).
  GstElement* queue = make_element("queue", "to-mixer");
  g_object_set(queue, "max-size-time", guint64(200) * GST_MSECOND, "max-size-buffers", 0u,
               "max-size-bytes", 0u, nullptr);
  gst_bin_add_many(GST_BIN(input.bin), convert, resample, caps, level, queue, nullptr);
  gst_element_link_many(convert, resample, caps, level, queue, nullptr);
  GstPtr<GstPad> sink(gst_element_get_static_pad(convert, "sink"));
  GstPtr<GstPad> src(gst_element_get_static_pad(queue, "src"));
  gst_element_add_pad(input.bin, gst_ghost_pad_new("sink", sink.get()));
  gst_element_add_pad(input.bin, gst_ghost_pad_new("src", src.get()));
  gst_bin_add(pipeline_, input.bin);

  input.mixer_pad.reset(gst_element_request_pad_simple(mixer_, "sink_%u"));
  mix_minus_mixer::set_input_gain(input.mixer_pad.get(), gain);  // before any sample arrives
  GstPtr<GstPad> bin_src(gst_element_get_static_pad(input.bin, "src"));
  GstPtr<GstPad> bin_sink(gst_element_get_static_pad(input.bin, "sink"));
  if (gst_pad_link(bin_src.get(), input.mixer_pad.get()) != GST_PAD_LINK_OK ||
      gst_pad_link(audio_src, bin_sink.get()) != GST_PAD_LINK_OK)
    LOG_ERROR << "audio mix: cannot link participant " << participant_id;
  gst_element_sync_state_with_parent(input.bin);
  auto mm = mix_minus_.find(participant_id);
  if (mm != mix_minus_.end())
    mix_minus_mixer::set_own_input(mixer_, mm->second.mixer_src, input.mixer_pad.get());
  inputs_.emplace(participant_id, std::move(input));
}

void AudioMix::set_gain(const std::string& participant_id, float gain) {
  auto it = inputs_.find(participant_id);
  if (it != inputs_.end()) mix_minus_mixer::set_input_gain(it->second.mixer_pad.get(), gain);
}

// Teardown order (main loop). A streaming thread of the participant may be
// waiting inside the mixer (a buffer or a serialized query held by the
// aggregator pad): setting the branch to NULL first would wait for that
// thread's stream lock forever. So:
//  1. release the mixer's request pad: the aggregator flushes it, which wakes
//     any push or query waiting in it (they return FLUSHING), drops it from
//     every mix-minus (release_pad) and unlinks it;
//  2. unlink the branch from the participant;
//  3. only then stop the branch (nothing of ours can be waiting any more: the
//     queue's push failed, so a thread blocked on the full queue or a query
//     queued in it was released) and remove it.
void AudioMix::remove_input(const std::string& participant_id) {
  auto it = inputs_.find(participant_id);
  if (it == inputs_.end()) return;
  Input input = std::move(it->second);
  inputs_.erase(it);
  gst_element_release_request_pad(mixer_, input.mixer_pad.get());
  GstPtr<GstPad> bin_sink(gst_element_get_static_pad(input.bin, "sink"));
  GstPtr<GstPad> upstream(gst_pad_get_peer(bin_sink.get()));
  unlink_from_peer(upstream.get());
  stop_and_remove(pipeline_, input.bin);
}

GstPad* AudioMix::mix_minus_pad(const std::string& participant_id) {
  auto found = mix_minus_.find(participant_id);
  if (found != mix_minus_.end()) return gst_element_get_static_pad(found->second.queue, "src");
  MixMinus mm;
  // Small: what waits here while a return is slow is latency on arrival.
  mm.queue = leaky_queue(("mix-minus-" + participant_id).c_str(), 200);
  gst_bin_add(pipeline_, mm.queue);
  // Running before it is fed (a push into a flushing pad is dropped anyway,
  // but it would be a lost block for nothing).
  gst_element_sync_state_with_parent(mm.queue);
  auto input = inputs_.find(participant_id);
  mm.mixer_src =
      mix_minus_mixer::add_output(mixer_, "mix_minus_" + participant_id,
                                  input == inputs_.end() ? nullptr : input->second.mixer_pad.get());
  GstPtr<GstPad> sink(gst_element_get_static_pad(mm.queue, "sink"));
  if (gst_pad_link(mm.mixer_src, sink.get()) != GST_PAD_LINK_OK)
    LOG_ERROR << "audio mix: cannot link the mix-minus of " << participant_id;
  mix_minus_.emplace(participant_id, mm);
  return gst_element_get_static_pad(mm.queue, "src");
}

// Same order as remove_input: the mixer stops feeding the pad and
// deactivates it (waiting for a push in flight, which the leaky queue
// returns at once), then the queue stops. The queue's own thread may be
// waiting on the return's sink (webrtcbin holds streams until connected):
// the room stops the participant's return branch before calling this.
void AudioMix::remove_mix_minus(const std::string& participant_id) {
  auto it = mix_minus_.find(participant_id);
  if (it == mix_minus_.end()) return;
  MixMinus mm = it->second;
  mix_minus_.erase(it);
  mix_minus_mixer::remove_output(mixer_, mm.mixer_src);
  GstPtr<GstPad> src(gst_element_get_static_pad(mm.queue, "src"));
  unlink_from_peer(src.get());
  stop_and_remove(pipeline_, mm.queue);
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
