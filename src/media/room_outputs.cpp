// The operator's controls of a live room's outputs (room.h, "Operator
// controls of outputs"). Each output is its own pipeline fed from the
// room's EncodedFanout, so adding or ending one touches neither the mix nor
// the other outputs: a new output subscribes to the fanout and asks for a
// keyframe, an ending one unsubscribes and drains its own pipeline.
#include <algorithm>

#include "core/log.h"
#include "core/output_controls.h"
#include "media/room.h"

namespace mixcast {

namespace {

ApiError stopping_error() {
  return api_error(ErrorKind::Unavailable, "the room is stopping");
}

}  // namespace

Output* Room::find_output(const std::string& output_name) const {
  for (const auto& output : outputs_)
    if (output->name() == output_name) return output.get();
  return nullptr;
}

size_t Room::element_count() const {
  size_t count = count_elements(pipeline_);
  for (const auto& output : outputs_) count += output->element_count();
  for (const auto& retiring : retiring_outputs_) count += retiring.output->element_count();
  return count;
}

bool Room::output_name_taken(const std::string& output_name) const {
  if (find_output(output_name)) return true;
  return std::any_of(retiring_outputs_.begin(), retiring_outputs_.end(),
                     [&](const RetiringOutput& r) { return r.output->name() == output_name; });
}

void Room::start_output(std::unique_ptr<Output> output) {
  Output& added = *output;
  outputs_.push_back(std::move(output));
  // Subscribes to the fanout and builds its pipeline; the pipeline asks the
  // shared encode for a keyframe, so the destination gets a picture at once.
  added.start();
  on_output_state(added);  // "connecting": clients learn of the new output
}

void Room::retire_output(std::unique_ptr<Output> output, std::function<void()> done) {
  Output* ending = output.get();
  retiring_outputs_.push_back({std::move(output), {}});
  if (done) retiring_outputs_.back().done.push_back(std::move(done));
  ending->stop([this, t = lifetime_.token(), ending] {
    // Never free an output inside its own callback.
    post_to_main([this, t, ending] {
      if (!Lifetime::alive(t)) return;
      auto it = std::find_if(retiring_outputs_.begin(), retiring_outputs_.end(),
                             [&](const RetiringOutput& r) { return r.output.get() == ending; });
      if (it == retiring_outputs_.end()) return;
      LOG_INFO << "room " << name() << ": output " << ending->name() << " stopped";
      auto callbacks = std::move(it->done);
      retiring_outputs_.erase(it);
      for (auto& callback : callbacks)
        if (callback) callback();
    });
  });
}

ApiResult Room::add_rtmp_output(RtmpConfig rtmp) {
  if (stopping_) return stopping_error();
  if (auto error = check_rtmp_output(rtmp)) return error;
  if (rtmp.name.empty()) {
    rtmp.name =
        unique_output_name("rtmp", [this](const std::string& n) { return output_name_taken(n); });
  } else if (output_name_taken(rtmp.name)) {
    return api_error(ErrorKind::Conflict, "an output named '" + rtmp.name + "' exists", "name");
  }
  LOG_INFO << "room " << name() << ": adding RTMP output " << rtmp.name;
  start_output(make_rtmp_output(name(), rtmp, *fanout_, *this));
  return std::nullopt;
}

ApiResult Room::remove_output(const std::string& output_name, std::function<void()> done) {
  if (stopping_) return stopping_error();
  auto it = std::find_if(outputs_.begin(), outputs_.end(),
                         [&](const auto& output) { return output->name() == output_name; });
  if (it == outputs_.end())
    return api_error(ErrorKind::NotFound, "no output named '" + output_name + "'");
  std::unique_ptr<Output> output = std::move(*it);
  outputs_.erase(it);
  LOG_INFO << "room " << name() << ": stopping output " << output_name;
  retire_output(std::move(output), std::move(done));
  return std::nullopt;
}

ApiResult Room::start_hls() {
  if (stopping_) return stopping_error();
  if (find_output(kHlsOutputName)) return api_error(ErrorKind::Conflict, "HLS is running");
  if (output_name_taken(kHlsOutputName))
    return api_error(ErrorKind::Conflict, "HLS is still stopping");
  HlsConfig hls = setup_.room.outputs.hls;
  hls.enabled = true;
  LOG_INFO << "room " << name() << ": starting HLS";
  // The playlist of the earlier run (this room's, or one left in its
  // directory) continues: players see the media sequence go on, past a
  // discontinuity, rather than a stream that starts over at 0.
  start_output(make_hls_output(name(), hls, setup_.hls_dir, *fanout_, *this, true));
  return std::nullopt;
}

ApiResult Room::stop_hls(std::function<void()> done) {
  if (stopping_) return stopping_error();
  if (!find_output(kHlsOutputName)) return api_error(ErrorKind::Conflict, "HLS is not running");
  return remove_output(kHlsOutputName, std::move(done));
}

ApiResult Room::start_recording() {
  if (stopping_) return stopping_error();
  if (find_output(kRecordingOutputName))
    return api_error(ErrorKind::Conflict, "the room is recording");
  if (output_name_taken(kRecordingOutputName))
    return api_error(ErrorKind::Conflict, "the last recording is still being finalized");
  RecordingConfig recording = setup_.room.outputs.recording;
  recording.enabled = true;
  LOG_INFO << "room " << name() << ": starting the recording";
  start_output(make_recording_output(name(), recording, setup_.recordings_dir, *fanout_, *this));
  return std::nullopt;
}

ApiResult Room::stop_recording(std::function<void()> done) {
  if (stopping_) return stopping_error();
  if (!find_output(kRecordingOutputName))
    return api_error(ErrorKind::Conflict, "the room is not recording");
  return remove_output(kRecordingOutputName, std::move(done));
}

ApiResult Room::split_recording() {
  if (stopping_) return stopping_error();
  auto* recording = dynamic_cast<Recording*>(find_output(kRecordingOutputName));
  if (!recording) return api_error(ErrorKind::Conflict, "the room is not recording");
  if (!recording->split())
    return api_error(ErrorKind::Conflict, "the recording is not writing a file now");
  return std::nullopt;
}

void Room::update_live_config(const RoomConfig& next) {
  setup_.room.outputs = next.outputs;
  setup_.room.max_participants = next.max_participants;
  setup_.room.max_viewers = next.max_viewers;
  setup_.room.layout = next.layout;
}

void Room::on_recording_finished(const Output& output, const FinishedRecording& file) {
  RoomEvent event;
  event.kind = RoomEventKind::RecordingFinished;
  event.name = output.name();
  event.path = file.path;
  event.duration_s = file.duration_s;
  event.size_bytes = file.size_bytes;
  emit(std::move(event));
}

}  // namespace mixcast
