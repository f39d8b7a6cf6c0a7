// SIGHUP: the config file read again and applied where it can be live
// (core/config_diff.h decides; this file does it with the registry's and the
// rooms' own controls). Main loop.
#include "app/server.h"
#include "core/config_diff.h"
#include "core/log.h"

namespace mixcast {

namespace {

const char* to_string(OutputChange change) {
  switch (change) {
    case OutputChange::Same:
      return "unchanged";
    case OutputChange::Start:
      return "starting";
    case OutputChange::Stop:
      return "stopping";
    case OutputChange::Restart:
      return "restarting with the new settings";
  }
  return "?";
}

// "mixcast.yaml:12" for a field of the file, or the file alone.
std::string where(const Config& config, const std::string& field) {
  const FilePos pos = config.position_of(field);
  return config.file + (pos.line ? ":" + std::to_string(pos.line) : "");
}

}  // namespace

void Server::reload() {
  ReloadReport ignored;
  reload_config(ignored);  // logs what it did
}

ApiResult Server::reload_config(ReloadReport& report) {
  if (shutting_down_) return server_stopping_error(loaded_.config.drain_retry_after_s);
  const gint64 started_us = g_get_monotonic_time();
  const std::string file = loaded_.config.file;
  LOG_INFO << "config reload: reading " << file;
  LoadedConfig next;
  try {
    next = load_everything(file);
  } catch (const FileError& e) {
    ++reloads_failed_;
    LOG_ERROR << "config reload: " << file << " has " << e.issues().size() << " problem"
              << (e.issues().size() == 1 ? "" : "s") << "; nothing was changed:";
    for (const auto& issue : e.issues()) LOG_ERROR << "  " << issue.to_string();
    ApiError error = api_error(ErrorKind::Unprocessable,
                               file + " has problems; nothing was changed: " +
                                   (e.issues().empty() ? "" : e.issues().front().to_string()));
    error.issues = e.issues();
    if (!e.issues().empty()) error.field = e.issues().front().field;
    return error;
  }
  for (const auto& warning : next.warnings) LOG_WARN << "config reload: " << warning;
  const ConfigDiff diff = diff_configs(loaded_.config, next.config);
  for (const auto& field : diff.needs_restart)
    LOG_WARN << "config reload: " << field << " (" << where(next.config, field)
             << ") changed: needs a restart; the running value is kept";

  // What runs from now on: the registry reads webrtc and default_outputs
  // from here, rooms made later their layouts.
  loaded_.config = config_after_reload(loaded_.config, next.config);
  for (auto& [name, layout] : next.layouts) {
    loaded_.layouts[name] = std::move(layout);
    loaded_.layout_files[name] = next.layout_files[name];
  }

  for (const auto& name : diff.rooms_removed) {
    const auto origin = registry_.origin(name);
    if (origin != RoomRegistry::Origin::Config) {
      // Deleted over the API since, perhaps made again over the API or by a
      // join: that room is not the config's.
      LOG_INFO << "config reload: room " << name << " is no longer in the config"
               << (origin ? "; the open room of that name was not made by the config: left open"
                          : " (it was not open)");
      continue;
    }
    registry_.close(name, "removed from the config", nullptr);
  }
  for (const auto& room : diff.rooms_added) {
    if (auto failed = registry_.create(room, RoomRegistry::Origin::Config))
      LOG_ERROR << "config reload: room " << room.name << " not started: " << failed->message;
    else
      LOG_INFO << "config reload: room " << room.name << " started (layout " << room.layout << ")";
  }
  for (const auto& change : diff.rooms_changed) {
    Room* room = registry_.find(change.name);
    if (!room || registry_.origin(change.name) != RoomRegistry::Origin::Config) {
      LOG_WARN << "config reload: room " << change.name
               << " changed in the config but is not open (deleted over the API?): nothing "
                  "applied";
      continue;
    }
    apply_room_change(*room, change);
  }
  ++reloads_applied_;
  report.summary = diff.summary();
  report.needs_restart = diff.needs_restart;
  LOG_INFO << "config reload: " << report.summary << " ("
           << (g_get_monotonic_time() - started_us) / 1000 << " ms)";
  return std::nullopt;
}

void Server::apply_room_change(Room& room, const RoomDiff& change) {
  const std::string name = change.name;
  const std::string prefix = "config reload: room " + name + ": ";
  room.update_live_config(change.next);
  if (change.layout_changed) {
    room.switch_layout(loaded_.layouts.at(change.next.layout),
                       loaded_.layout_files.at(change.next.layout));
    LOG_INFO << prefix << "layout " << change.next.layout;
  }
  auto report = [prefix](const std::string& what, const ApiResult& failed) {
    if (failed)
      LOG_WARN << prefix << what << ": " << failed->message;
    else
      LOG_INFO << prefix << what;
  };
  // Looked up again when a stop has finished: the room may have closed since.
  auto later = [this, name](std::function<ApiResult(Room&)> step, std::string what) {
    return [this, name, step = std::move(step), what = std::move(what)] {
      Room* again = registry_.find(name);
      if (!again) return;
      if (auto failed = step(*again))
        LOG_WARN << "config reload: room " << name << ": " << what << ": " << failed->message;
      else
        LOG_INFO << "config reload: room " << name << ": " << what;
    };
  };
  const OutputsDiff& outputs = change.outputs;
  for (const auto& output : outputs.rtmp_removed)
    report("RTMP output " + output + " removed", room.remove_output(output, nullptr));
  for (const auto& rtmp : outputs.rtmp_added)
    report("RTMP output " + rtmp.name + " added", room.add_rtmp_output(rtmp));
  for (const auto& rtmp : outputs.rtmp_changed) {
    // The name is taken until the old push has ended.
    auto add_again = later([rtmp](Room& r) { return r.add_rtmp_output(rtmp); },
                           "RTMP output " + rtmp.name + " started with its new settings");
    report("RTMP output " + rtmp.name + " changed, stopping it",
           room.remove_output(rtmp.name, add_again));
  }
  switch (outputs.hls) {
    case OutputChange::Same:
      break;
    case OutputChange::Start:
      report("HLS started", room.start_hls());
      break;
    case OutputChange::Stop:
      report("HLS stopped", room.stop_hls(nullptr));
      break;
    case OutputChange::Restart:
      report(std::string("HLS ") + to_string(outputs.hls),
             room.stop_hls(later([](Room& r) { return r.start_hls(); }, "HLS started again")));
      break;
  }
  switch (outputs.recording) {
    case OutputChange::Same:
      break;
    case OutputChange::Start:
      report("recording started", room.start_recording());
      break;
    case OutputChange::Stop:
      report("recording stopped (the file is finalized)", room.stop_recording(nullptr));
      break;
    case OutputChange::Restart:
      report(std::string("recording ") + to_string(outputs.recording),
             room.stop_recording(
                 later([](Room& r) { return r.start_recording(); }, "recording started again")));
      break;
  }
}

}  // namespace mixcast
