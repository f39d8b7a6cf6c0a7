#include "core/url.h"

namespace mixcast {

std::string redact_url(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::string scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  const size_t slash = rest.find('/');
  const size_t at = rest.find('@');
  if (at != std::string::npos && (slash == std::string::npos || at < slash))
    rest = rest.substr(at + 1);
  if (scheme.rfind("rtmp", 0) == 0) {
    const size_t last = rest.rfind('/');
    if (last != std::string::npos && last + 1 < rest.size() && last != rest.find('/'))
      rest = rest.substr(0, last + 1) + "***";
  }
  return scheme + "://" + rest;
}

}  // namespace mixcast
