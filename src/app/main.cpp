// mixcast: an MCU mixing server. See README.md and docs/.
#include <gst/gst.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "app/server.h"
#include "app/supervisor.h"
#include "core/log.h"
#include "mixcast_build_config.h"

namespace {

const char* kUsage =
    "usage: mixcast [--config FILE] [--check-config FILE] [--version] [--help]\n"
    "\n"
    "  --config FILE        run with this configuration (default: config/mixcast.yaml)\n"
    "  --check-config FILE  check the configuration, its layouts and encoder profiles;\n"
    "                       print every problem and exit non-zero if there is any\n"
    "  --log-level LEVEL    error, warning, info or debug (overrides the config)\n"
    "  --version            print the version\n"
    "  --help               print this help\n"
    "\n"
    "GStreamer's own logging works as usual (GST_DEBUG=...).\n";

mixcast::log::Level to_log_level(mixcast::LogLevel level) {
  switch (level) {
    case mixcast::LogLevel::Error:
      return mixcast::log::Level::Error;
    case mixcast::LogLevel::Warning:
      return mixcast::log::Level::Warning;
    case mixcast::LogLevel::Info:
      return mixcast::log::Level::Info;
    case mixcast::LogLevel::Debug:
      return mixcast::log::Level::Debug;
  }
  return mixcast::log::Level::Info;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists: SIGINT/SIGTERM go to the supervisor's thread.
  mixcast::Supervisor::block_signals();
  // glibc gives every thread that allocates its own arena (up to 8 per
  // core), and GStreamer's streaming threads come and go with every guest:
  // memory freed in an arena stays with it. Two arenas keep the resident
  // size of a server that runs for days near what it uses (bench/soak.sh:
  // +27 % after 500 joins with the default, see docs/operations.md).
  // MALLOC_ARENA_MAX in the environment still decides when it is set.
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 2);
  std::string config_path = "config/mixcast.yaml";
  bool config_given = false;
  std::string log_level;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "mixcast: " << name << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "mixcast " << MIXCAST_VERSION << " (GStreamer " << GST_VERSION_MAJOR << "."
                << GST_VERSION_MINOR << "." << GST_VERSION_MICRO << ")\n";
      return 0;
    } else if (arg == "--config") {
      config_path = value("--config");
      config_given = true;
    } else if (arg == "--check-config") {
      config_path = value("--check-config");
      config_given = true;
      check_only = true;
    } else if (arg == "--log-level") {
      log_level = value("--log-level");
    } else {
      std::cerr << "mixcast: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }

  // Outside the source tree, the installed default config is the default.
  if (!config_given && !g_file_test(config_path.c_str(), G_FILE_TEST_EXISTS))
    config_path = std::string(MIXCAST_DATADIR) + "/config/mixcast.yaml";

  gst_init(nullptr, nullptr);
  mixcast::LoadedConfig loaded;
  try {
    loaded = mixcast::load_everything(config_path);
  } catch (const mixcast::FileError& e) {
    std::cerr << "mixcast: the configuration has " << e.issues().size() << " problem"
              << (e.issues().size() == 1 ? "" : "s") << ":\n";
    for (const auto& issue : e.issues()) std::cerr << "  " << issue.to_string() << "\n";
    return 1;
  }
  if (check_only) {
    std::cout << config_path << ": OK (" << loaded.config.rooms.size() << " room"
              << (loaded.config.rooms.size() == 1 ? "" : "s") << ", " << loaded.layouts.size()
              << " layout" << (loaded.layouts.size() == 1 ? "" : "s") << ")\n";
    return 0;
  }
  mixcast::log::set_level(to_log_level(loaded.config.log_level));
  if (!log_level.empty()) {
    static const std::pair<const char*, mixcast::log::Level> kLevels[] = {
        {"error", mixcast::log::Level::Error},
        {"warning", mixcast::log::Level::Warning},
        {"info", mixcast::log::Level::Info},
        {"debug", mixcast::log::Level::Debug}};
    bool known = false;
    for (const auto& [name, level] : kLevels) {
      if (log_level == name) {
        mixcast::log::set_level(level);
        known = true;
      }
    }
    if (!known) {
      std::cerr << "mixcast: unknown log level '" << log_level << "'\n";
      return 2;
    }
  }

  mixcast::Server server(std::move(loaded));
  if (!server.start()) return 1;
  return server.run();
}
