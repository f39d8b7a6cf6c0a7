// Logging to stderr with levels. GST_DEBUG keeps working for GStreamer's own
// categories; this is the server's voice to the operator.
#pragma once

#include <sstream>
#include <string>

namespace mixcast::log {

enum class Level { Error = 0, Warning = 1, Info = 2, Debug = 3 };

void set_level(Level level);
Level level();
void write(Level level, const std::string& message);

namespace detail {
class Line {
 public:
  explicit Line(Level l) : level_(l) {}
  ~Line() { write(level_, out_.str()); }
  template <typename T>
  Line& operator<<(const T& value) {
    out_ << value;
    return *this;
  }

 private:
  Level level_;
  std::ostringstream out_;
};
}  // namespace detail

}  // namespace mixcast::log

// A one-pass loop rather than if/else, so that `if (x) LOG_INFO << ...;` is safe.
#define MIXCAST_LOG(lvl)                                                               \
  for (bool mixcast_log_once_ = ::mixcast::log::Level::lvl <= ::mixcast::log::level(); \
       mixcast_log_once_; mixcast_log_once_ = false)                                   \
  ::mixcast::log::detail::Line(::mixcast::log::Level::lvl)
#define LOG_ERROR MIXCAST_LOG(Error)
#define LOG_WARN MIXCAST_LOG(Warning)
#define LOG_INFO MIXCAST_LOG(Info)
#define LOG_DEBUG MIXCAST_LOG(Debug)
