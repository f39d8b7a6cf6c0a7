// Feeds tests/app/webhook_sender.test.mjs: sends ROOMS x EVENTS events
// (interleaved by room, data {"room", "n"}) to URL with a WebhookSender and
// exits once all were delivered. Prints the sender's stats as JSON.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>

#include "app/webhook_sender.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s URL SECRET ROOMS EVENTS_PER_ROOM\n", argv[0]);
    return 2;
  }
  try {
    mixcast::WebhookConfig config;
    config.targets = {{argv[1], argv[2]}};
    config.backoff_initial_s = 0.05;
    config.backoff_max_s = 0.2;
    const int rooms = std::atoi(argv[3]);
    const int events = std::atoi(argv[4]);
    mixcast::WebhookSender sender(config);
    for (int n = 0; n < events; ++n)
      for (int r = 0; r < rooms; ++r) {
        const std::string room = "room" + std::to_string(r);
        sender.enqueue(room, "room.test",
                       "{\"room\":\"" + room + "\",\"n\":" + std::to_string(n) + "}");
      }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto stats = sender.stats();
    while (stats.delivered < static_cast<uint64_t>(rooms * events) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      stats = sender.stats();
    }
    std::printf("{\"delivered\":%llu,\"failed_attempts\":%llu,\"dropped\":%llu,\"queued\":%llu}\n",
                static_cast<unsigned long long>(stats.delivered),
                static_cast<unsigned long long>(stats.failed_attempts),
                static_cast<unsigned long long>(stats.dropped),
                static_cast<unsigned long long>(stats.queued));
    return stats.delivered == static_cast<uint64_t>(rooms * events) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "webhook_send: %s\n", e.what());
    return 2;
  }
}
