// /metrics: the Prometheus exposition of the rooms, outputs, HTTP requests,
// webhooks and the process. Labels are rooms, outputs and route templates,
// all bounded (rooms made on demand are capped; routes are templates).
#include "app/server.h"
#include "core/metrics.h"
#include "core/process_stats.h"
#include "media/heap_return.h"
#include "media/reaper.h"

namespace mixcast {

std::string Server::metrics_text() {
  const std::vector<RoomStatus> statuses = rooms();
  MetricsWriter w;
  w.family("mixcast_rooms", "Rooms open now.", MetricType::Gauge);
  w.sample({}, statuses.size());

  w.family("mixcast_participants", "Participants (WebRTC guests and sources) in the room now.",
           MetricType::Gauge);
  for (const auto& r : statuses) w.sample({{"room", r.name}}, r.participants.size());
  w.family("mixcast_viewers", "WHEP and WebSocket viewers of the room now.", MetricType::Gauge);
  for (const auto& r : statuses) w.sample({{"room", r.name}}, r.viewers);

  w.family("mixcast_video_frames_encoded_total", "Frames of the room's programme encoded.",
           MetricType::Counter);
  for (const auto& r : statuses) w.sample({{"room", r.name}}, r.video_frames_encoded);
  w.family("mixcast_video_frames_skipped_total",
           "Frames of the room's programme dropped before the encoder because it could not keep "
           "up (the machine is overloaded); the programme stays live at a lower rate.",
           MetricType::Counter);
  for (const auto& r : statuses) w.sample({{"room", r.name}}, r.video_frames_skipped);
  w.family("mixcast_video_frames_thinned_total",
           "Frames of the room's programme left out evenly (one in two) while the encoder could "
           "not keep up for seconds on end.",
           MetricType::Counter);
  for (const auto& r : statuses) w.sample({{"room", r.name}}, r.video_frames_thinned);
  w.family("mixcast_programme_fps",
           "The rate the room's programme is encoded at now: its fps, or half of it while the "
           "machine is overloaded.",
           MetricType::Gauge);
  for (const auto& r : statuses) w.sample({{"room", r.name}}, r.programme_fps);
  w.family("mixcast_core_rebuilds_total",
           "Times the room's mixing core was rebuilt after an error or a stall.",
           MetricType::Counter);
  for (const auto& r : statuses) w.sample({{"room", r.name}}, r.core_rebuilds);

  w.family("mixcast_input_dropped_total",
           "Buffers of participants kept from the mixers (no timestamp, or going backwards).",
           MetricType::Counter);
  for (const auto& r : statuses) {
    w.sample({{"room", r.name}, {"stream", "video"}}, r.video_input_total.dropped());
    w.sample({{"room", r.name}, {"stream", "audio"}}, r.audio_input_total.dropped());
  }
  w.family("mixcast_input_repaired_total",
           "Buffers of participants given a timestamp or moved back to the room's clock.",
           MetricType::Counter);
  for (const auto& r : statuses) {
    w.sample({{"room", r.name}, {"stream", "video"}}, r.video_input_total.repaired());
    w.sample({{"room", r.name}, {"stream", "audio"}}, r.audio_input_total.repaired());
  }

  static const OutputState kStates[] = {OutputState::Starting, OutputState::Live,
                                        OutputState::Retrying, OutputState::Failed,
                                        OutputState::Stopped};
  w.family("mixcast_output_state", "1 for the state each output is in, 0 for the others.",
           MetricType::Gauge);
  for (const auto& r : statuses)
    for (const auto& o : r.outputs)
      for (OutputState state : kStates) {
        const std::string name = to_string(state);
        w.sample({{"room", r.name}, {"output", o.name}, {"kind", o.kind}, {"state", name}},
                 o.state == state ? 1 : 0);
      }
  w.family("mixcast_output_bytes_total", "Bytes an output wrote or sent.", MetricType::Counter);
  for (const auto& r : statuses)
    for (const auto& o : r.outputs)
      w.sample({{"room", r.name}, {"output", o.name}, {"kind", o.kind}}, o.bytes);
  w.family("mixcast_output_reconnect_attempt",
           "Reconnect attempts of an output since it was last live.", MetricType::Gauge);
  for (const auto& r : statuses)
    for (const auto& o : r.outputs)
      w.sample({{"room", r.name}, {"output", o.name}, {"kind", o.kind}}, o.attempt);

  w.family("mixcast_http_requests_total", "HTTP requests answered, by route template.",
           MetricType::Counter);
  if (http_)
    for (const auto& [key, count] : http_->request_counts()) {
      const std::string status = std::to_string(key.status);
      w.sample({{"route", key.route}, {"method", key.method}, {"status", status}}, count);
    }

  // Every reason present (at 0) whether or not it happened.
  w.family("mixcast_limit_refusals_total",
           "Requests, joins and connections refused or closed by a limit (docs/configuration.md, "
           "limits), by reason.",
           MetricType::Counter);
  for (size_t i = 0; i < kLimitReasons; ++i) {
    const auto reason = static_cast<LimitReason>(i);
    uint64_t count = limit_counts_.get(reason) + (http_ ? http_->limit_counts().get(reason) : 0);
    if (reason == LimitReason::Rooms) count += registry_.rooms_refused();
    w.sample({{"reason", std::string(to_string(reason))}}, count);
  }

  // Webhooks: present (at 0) without targets too, so dashboards need no special case.
  const WebhookSender::Stats hooks = webhooks_ ? webhooks_->stats() : WebhookSender::Stats{};
  w.family("mixcast_webhook_deliveries_total", "Webhook events delivered (answered 2xx).",
           MetricType::Counter);
  w.sample({}, hooks.delivered);
  w.family("mixcast_webhook_failures_total",
           "Webhook delivery attempts that failed (no answer, or not 2xx); each is retried.",
           MetricType::Counter);
  w.sample({}, hooks.failed_attempts);
  w.family("mixcast_webhook_dropped_total",
           "Webhook events dropped because a target's queue was full.", MetricType::Counter);
  w.sample({}, hooks.dropped);
  w.family("mixcast_webhook_queued", "Webhook events waiting for delivery.", MetricType::Gauge);
  w.sample({}, hooks.queued);

  w.family("mixcast_config_reloads_total",
           "Config reloads (SIGHUP): applied, or refused because the file has problems.",
           MetricType::Counter);
  w.sample({{"result", "applied"}}, reloads_applied_);
  w.sample({{"result", "failed"}}, reloads_failed_);
  // Leak checks (bench/soak.sh): both go back to their baseline once
  // everyone has left and closed rooms are finished.
  w.family("mixcast_gst_elements",
           "GStreamer elements in the pipelines of every room and output (also those ending).",
           MetricType::Gauge);
  w.sample({}, registry_.element_count());
  w.family("mixcast_media_teardowns_in_flight",
           "Branches that left a room (participants, viewers, output pipelines) on their way "
           "to NULL.",
           MetricType::Gauge);
  w.sample({}, reaper::in_flight());

  write_process_metrics(w, read_process_stats());
  write_heap_metrics(w, read_heap_stats());
  w.family("mixcast_heap_trims_total",
           "Times freed memory was given back to the system after teardowns (malloc_trim).",
           MetricType::Counter);
  w.sample({}, heap_return::trims());
  w.family("mixcast_heap_returned_bytes_total",
           "Resident bytes those trims gave back to the system.", MetricType::Counter);
  w.sample({}, heap_return::returned_bytes());
  return w.text();
}

}  // namespace mixcast
