// Reads what a WebRTC offer asks for. Hand-written instead of GstSDP so the
// core stays free of GStreamer and a hostile body is rejected cheaply: the
// size is capped before anything else, every loop advances over the input,
// and per-payload state lives in fixed 128-entry tables.
#include "core/sdp_offer.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <cctype>
#include <charconv>
#include <utility>

namespace mixcast {

const char* to_string(ReturnVideo video) {
  switch (video) {
    case ReturnVideo::H264:
      return "h264";
    case ReturnVideo::Vp8:
      return "vp8";
    case ReturnVideo::None:
      break;
  }
  return "none";
}
namespace {

constexpr int kPayloadCount = 128;  // RTP payload types are 7 bits
constexpr int kAnyPayload = -1;     // "a=rtcp-fb:*"

struct Rtpmap {
  std::string name;
  int clock_rate = 0;
  int channels = 1;
};

// The attributes that may sit at session or media level; the media level wins.
struct Transport {
  std::optional<Direction> direction;
  std::string ice_ufrag;
  std::string ice_pwd;
  bool fingerprint = false;
};

// One m-section while it is read. Codecs are assembled when the whole offer
// has been read because attributes come in any order: Firefox writes fmtp and
// rtcp-fb before rtpmap.
struct Section {
  OfferedMedia media;
  Transport transport;
  std::vector<int> payloads;  // m-line order, duplicates dropped
  std::array<std::optional<Rtpmap>, kPayloadCount> rtpmaps;
  std::array<std::map<std::string, std::string>, kPayloadCount> fmtps;
  std::vector<std::pair<int, std::string>> feedback;  // payload or kAnyPayload, in order
};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return lower(x) == lower(y); });
}

std::string lowered(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), lower);
  return out;
}

// Splits at the first run of blanks: "96 VP8/90000" -> {"96", "VP8/90000"}.
std::pair<std::string_view, std::string_view> split_word(std::string_view s) {
  s = trim(s);
  const auto blank = std::ranges::find_if(s, is_blank);
  const size_t at = static_cast<size_t>(blank - s.begin());
  return {s.substr(0, at), trim(s.substr(at))};
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    const auto [word, rest] = split_word(s);
    if (word.empty()) return out;
    out.push_back(word);
    s = rest;
  }
}

// The whole text must be the number: from_chars alone accepts "12abc".
// Unsigned so that a sign is never accepted.
std::optional<unsigned> parse_uint(std::string_view s, int base = 10) {
  unsigned value = 0;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value, base);
  if (s.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// LF, CRLF and a lone CR all end a line; CRLF counts once so that line
// numbers in errors match what the client sent.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

std::optional<Direction> direction_from(std::string_view attribute) {
  if (attribute == "sendrecv") return Direction::SendRecv;
  if (attribute == "sendonly") return Direction::SendOnly;
  if (attribute == "recvonly") return Direction::RecvOnly;
  if (attribute == "inactive") return Direction::Inactive;
  return std::nullopt;
}

// RFC 3551 static payloads a peer may offer without an rtpmap.
std::optional<Rtpmap> static_rtpmap(int payload) {
  switch (payload) {
    case 0:
      return Rtpmap{"PCMU", 8000, 1};
    case 8:
      return Rtpmap{"PCMA", 8000, 1};
    case 9:
      return Rtpmap{"G722", 8000, 1};
    case 13:
      return Rtpmap{"CN", 8000, 1};
    default:
      return std::nullopt;
  }
}

// Payloads that repair, protect or signal another stream: never something
// the server would pick to send, so they are not listed as codecs.
bool is_auxiliary(std::string_view name) {
  return iequals(name, "rtx") || iequals(name, "red") || iequals(name, "ulpfec") ||
         iequals(name, "telephone-event") || iequals(name, "cn") ||
         lowered(name).starts_with("flexfec");
}

class OfferParser {
 public:
  explicit OfferParser(std::string& error) : error_(error) {}

  std::optional<SdpOffer> parse(std::string_view sdp) {
    if (sdp.size() > kMaxSdpBytes) return fail("SDP offer too large");
    const std::vector<std::string_view> lines = split_lines(sdp);
    if (lines.empty() || trim(lines.front()) != "v=0") return fail("not an SDP offer (no v=0)");
    for (size_t i = 1; i < lines.size(); ++i) {
      line_ = i + 1;
      const std::string_view line = trim(lines[i]);
      // Anything not shaped "<type>=" is skipped: browsers never write it and
      // nothing we need could be in it.
      if (line.size() < 2 || line[1] != '=') continue;
      const std::string_view value = line.substr(2);
      const bool ok = line[0] == 'm'   ? read_m_line(value)
                      : line[0] == 'a' ? read_attribute(value)
                                       : true;
      if (!ok) return std::nullopt;
    }
    line_ = 0;
    if (sections_.empty()) return fail("SDP offer has no m-line");
    return finish();
  }

 private:
  std::nullopt_t fail(std::string message) {
    if (line_ > 0) message += " (line " + std::to_string(line_) + ")";
    error_ = std::move(message);
    return std::nullopt;
  }
  bool reject(std::string message) {
    fail(std::move(message));
    return false;
  }

  // A payload number; `what` names the line kind for the error.
  std::optional<int> read_payload(std::string_view text, std::string_view what) {
    const auto number = parse_uint(text);
    if (!number) {
      reject("bad payload number in " + std::string(what));
      return std::nullopt;
    }
    if (*number >= kPayloadCount) {
      reject("payload number out of range 0..127 in " + std::string(what));
      return std::nullopt;
    }
    return static_cast<int>(*number);
  }

  // m=<kind> <port>[/<count>] <proto> <fmt>...
  bool read_m_line(std::string_view value) {
    if (sections_.size() == kMaxMediaSections) return reject("too many m-lines");
    const std::vector<std::string_view> fields = words(value);
    if (fields.size() < 3) return reject("bad m-line");
    if (fields.size() == 3) return reject("m-line without payloads");
    const auto port = parse_uint(fields[1].substr(0, fields[1].find('/')));
    if (!port || *port > 65535) return reject("bad port in m-line");

    Section& section = sections_.emplace_back();
    section.media.kind = std::string(fields[0]);
    section.media.port = static_cast<int>(*port);
    section.media.index = static_cast<int>(sections_.size() - 1);
    // Only RTP profiles list payload numbers; a data channel lists
    // "webrtc-datachannel" and is kept without codecs.
    if (fields[2].find("RTP") == std::string_view::npos) return true;
    std::bitset<kPayloadCount> seen;
    for (size_t i = 3; i < fields.size(); ++i) {
      const auto payload = read_payload(fields[i], "m-line");
      if (!payload) return false;
      if (seen.test(static_cast<size_t>(*payload))) continue;
      seen.set(static_cast<size_t>(*payload));
      section.payloads.push_back(*payload);
    }
    return true;
  }

  // a=<name>[:<value>]
  bool read_attribute(std::string_view attribute) {
    const size_t colon = attribute.find(':');
    const std::string_view name = attribute.substr(0, colon);
    const std::string_view value =
        colon == std::string_view::npos ? std::string_view() : trim(attribute.substr(colon + 1));
    Section* section = sections_.empty() ? nullptr : &sections_.back();
    Transport& transport = section ? section->transport : session_;

    if (const auto direction = direction_from(name)) {
      transport.direction = direction;
    } else if (name == "ice-ufrag") {
      transport.ice_ufrag = std::string(value);
    } else if (name == "ice-pwd") {
      transport.ice_pwd = std::string(value);
    } else if (name == "fingerprint") {
      // "<hash> <hex>": both parts are needed for DTLS to verify anything.
      const auto [hash, hex] = split_word(value);
      if (!hash.empty() && !hex.empty()) transport.fingerprint = true;
    } else if (!section) {
      if (name == "group") read_group(value);
    } else if (name == "mid") {
      section->media.mid = std::string(value);
    } else if (name == "bundle-only") {
      section->media.bundle_only = true;
    } else if (name == "rtpmap") {
      return read_rtpmap(*section, value);
    } else if (name == "fmtp") {
      return read_fmtp(*section, value);
    } else if (name == "rtcp-fb") {
      return read_rtcp_fb(*section, value);
    }
    return true;
  }

  void read_group(std::string_view value) {
    const std::vector<std::string_view> fields = words(value);
    if (fields.empty() || fields.front() != "BUNDLE") return;
    for (size_t i = 1; i < fields.size(); ++i) bundle_mids_.emplace_back(fields[i]);
  }

  // a=rtpmap:<pt> <name>/<clock>[/<channels>]
  bool read_rtpmap(Section& section, std::string_view value) {
    const auto [payload_text, encoding] = split_word(value);
    const auto payload = read_payload(payload_text, "rtpmap");
    if (!payload) return false;
    const size_t slash = encoding.find('/');
    Rtpmap rtpmap{std::string(trim(encoding.substr(0, slash))), 0, 1};
    if (rtpmap.name.empty()) return reject("rtpmap without a codec name");
    if (slash == std::string_view::npos) return reject("rtpmap without a clock rate");
    std::string_view rest = encoding.substr(slash + 1);
    const size_t channels_slash = rest.find('/');
    const auto clock = parse_uint(rest.substr(0, channels_slash));
    if (!clock || *clock == 0 || *clock > 10'000'000) return reject("bad clock rate in rtpmap");
    rtpmap.clock_rate = static_cast<int>(*clock);
    if (channels_slash != std::string_view::npos) {
      rest = rest.substr(channels_slash + 1);
      const auto channels = parse_uint(rest.substr(0, rest.find('/')));
      if (!channels || *channels == 0 || *channels > 255) return reject("bad channels in rtpmap");
      rtpmap.channels = static_cast<int>(*channels);
    }
    auto& slot = section.rtpmaps[static_cast<size_t>(*payload)];
    if (!slot) slot = std::move(rtpmap);  // a repeated rtpmap cannot redefine the payload
    return true;
  }

  // a=fmtp:<pt> key=value;key=value  (a bare value such as "0-15" goes under "")
  bool read_fmtp(Section& section, std::string_view value) {
    const auto [payload_text, parameters] = split_word(value);
    const auto payload = read_payload(payload_text, "fmtp");
    if (!payload) return false;
    auto& fmtp = section.fmtps[static_cast<size_t>(*payload)];
    std::string_view rest = parameters;
    while (!rest.empty()) {
      const size_t semicolon = rest.find(';');
      const std::string_view parameter = trim(rest.substr(0, semicolon));
      rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
      if (parameter.empty()) continue;
      const size_t equals = parameter.find('=');
      if (equals == std::string_view::npos) {
        fmtp.emplace("", std::string(parameter));
      } else {
        fmtp.emplace(lowered(trim(parameter.substr(0, equals))),
                     std::string(trim(parameter.substr(equals + 1))));
      }
    }
    return true;
  }

  // a=rtcp-fb:<pt|*> <type>[ <subtype>]
  bool read_rtcp_fb(Section& section, std::string_view value) {
    const auto [payload_text, feedback] = split_word(value);
    int payload = kAnyPayload;
    if (payload_text != "*") {
      const auto number = read_payload(payload_text, "rtcp-fb");
      if (!number) return false;
      payload = *number;
    }
    // Single spaces, so the WebRTC layer can compare against "nack pli".
    std::string normalized;
    for (const std::string_view word : words(feedback)) {
      if (!normalized.empty()) normalized += ' ';
      normalized += word;
    }
    if (!normalized.empty()) section.feedback.emplace_back(payload, std::move(normalized));
    return true;
  }

  static void assemble_codecs(Section& section) {
    auto& codecs = section.media.codecs;
    for (const int payload : section.payloads) {
      const size_t slot = static_cast<size_t>(payload);
      const std::optional<Rtpmap> rtpmap =
          section.rtpmaps[slot] ? section.rtpmaps[slot] : static_rtpmap(payload);
      // A dynamic payload without rtpmap has no name to pick it by.
      if (!rtpmap || is_auxiliary(rtpmap->name)) continue;
      OfferedCodec& codec = codecs.emplace_back();
      codec.payload = payload;
      codec.name = rtpmap->name;
      codec.clock_rate = rtpmap->clock_rate;
      codec.channels = rtpmap->channels;
      codec.fmtp = section.fmtps[slot];
      for (const auto& [target, feedback] : section.feedback) {
        if (codec.rtcp_fb.size() == kMaxRtcpFeedbackPerCodec) break;
        if ((target == payload || target == kAnyPayload) &&
            std::ranges::find(codec.rtcp_fb, feedback) == codec.rtcp_fb.end())
          codec.rtcp_fb.push_back(feedback);
      }
    }
    // RTX names its primary with apt=; the first RTX in m-line order wins.
    for (const int payload : section.payloads) {
      const size_t slot = static_cast<size_t>(payload);
      if (!section.rtpmaps[slot] || !iequals(section.rtpmaps[slot]->name, "rtx")) continue;
      const auto apt = section.fmtps[slot].find("apt");
      if (apt == section.fmtps[slot].end()) continue;
      const auto primary = parse_uint(apt->second);
      if (!primary) continue;
      const auto codec = std::ranges::find_if(codecs, [&](const OfferedCodec& c) {
        return c.payload == static_cast<int>(*primary) && c.rtx_payload < 0;
      });
      if (codec != codecs.end()) codec->rtx_payload = payload;
    }
  }

  std::optional<SdpOffer> finish() {
    SdpOffer offer;
    offer.bundle_mids = std::move(bundle_mids_);
    // Every m-line with its own port needs ICE and DTLS; a port-0 m-line
    // (bundle-only or disabled) rides on another m-line's transport.
    bool ice_everywhere = true, ice_somewhere = false;
    bool fingerprint_everywhere = true, fingerprint_somewhere = false;
    for (Section& section : sections_) {
      const Transport& own = section.transport;
      const std::string& ufrag = own.ice_ufrag.empty() ? session_.ice_ufrag : own.ice_ufrag;
      const std::string& pwd = own.ice_pwd.empty() ? session_.ice_pwd : own.ice_pwd;
      const bool ice = !ufrag.empty() && !pwd.empty();
      const bool fingerprint = own.fingerprint || session_.fingerprint;
      const bool needs_transport = section.media.port != 0;
      ice_somewhere |= ice;
      ice_everywhere &= ice || !needs_transport;
      fingerprint_somewhere |= fingerprint;
      fingerprint_everywhere &= fingerprint || !needs_transport;

      section.media.direction =
          own.direction.value_or(session_.direction.value_or(Direction::SendRecv));
      assemble_codecs(section);
      offer.media.push_back(std::move(section.media));
    }
    offer.has_ice_credentials = ice_everywhere && ice_somewhere;
    offer.has_fingerprint = fingerprint_everywhere && fingerprint_somewhere;
    if (!offer.has_ice_credentials) return fail("SDP offer has no ICE credentials");
    if (!offer.has_fingerprint) return fail("SDP offer has no DTLS fingerprint");
    return offer;
  }

  std::string& error_;
  size_t line_ = 0;  // 1-based line being read, for errors; 0 once all are read
  Transport session_;
  std::vector<std::string> bundle_mids_;
  std::vector<Section> sections_;
};

// 2 = constrained baseline, 1 = other baseline, 0 = not something the shared
// constrained-baseline, packetization-mode=1 encode may be sent as.
int h264_rank(const OfferedCodec& codec) {
  if (!iequals(codec.name, "H264")) return 0;
  const auto mode = codec.fmtp.find("packetization-mode");
  if (mode == codec.fmtp.end() || mode->second != "1") return 0;
  const auto level_id = codec.fmtp.find("profile-level-id");
  if (level_id == codec.fmtp.end()) return 1;  // RFC 6184 default: 420010, baseline
  if (level_id->second.size() != 6) return 0;
  const auto profile = parse_uint(std::string_view(level_id->second).substr(0, 4), 16);
  if (!profile || (*profile >> 8) != 0x42) return 0;
  return (*profile & 0x40) ? 2 : 1;  // constraint_set1_flag
}

std::optional<OfferedCodec> first_named(const OfferedMedia& media, std::string_view name) {
  const auto codec = std::ranges::find_if(
      media.codecs, [&](const OfferedCodec& c) { return iequals(c.name, name); });
  if (codec == media.codecs.end()) return std::nullopt;
  return *codec;
}

}  // namespace

// A port-0 m-line was switched off by the peer, unless it is bundled: marked
// bundle-only, or named in the BUNDLE group (GStreamer's webrtcbin writes
// port 0 for every bundled m-line after the first, without bundle-only).
bool SdpOffer::is_active(const OfferedMedia& m) const {
  return m.port != 0 || m.bundle_only ||
         (!m.mid.empty() && std::ranges::find(bundle_mids, m.mid) != bundle_mids.end());
}

bool SdpOffer::sends(const std::string& kind) const {
  return std::ranges::any_of(media, [&](const OfferedMedia& m) {
    return m.kind == kind && is_active(m) &&
           (m.direction == Direction::SendRecv || m.direction == Direction::SendOnly);
  });
}

bool SdpOffer::receives(const std::string& kind) const {
  return std::ranges::any_of(media, [&](const OfferedMedia& m) {
    return m.kind == kind && is_active(m) &&
           (m.direction == Direction::SendRecv || m.direction == Direction::RecvOnly);
  });
}

const OfferedMedia* SdpOffer::first(const std::string& kind) const {
  const auto found =
      std::ranges::find_if(media, [&](const OfferedMedia& m) { return m.kind == kind; });
  return found == media.end() ? nullptr : &*found;
}

std::optional<SdpOffer> parse_sdp_offer(std::string_view sdp, std::string& error) {
  error.clear();
  return OfferParser(error).parse(sdp);
}

std::optional<OfferedCodec> pick_h264(const OfferedMedia& media) {
  const OfferedCodec* fallback = nullptr;
  for (const OfferedCodec& codec : media.codecs) {
    const int rank = h264_rank(codec);
    if (rank == 2) return codec;
    if (rank == 1 && !fallback) fallback = &codec;
  }
  if (!fallback) return std::nullopt;
  return *fallback;
}

std::optional<OfferedCodec> pick_vp8(const OfferedMedia& media) {
  return first_named(media, "VP8");
}

std::optional<OfferedCodec> pick_opus(const OfferedMedia& media) {
  return first_named(media, "opus");
}

std::string to_string(Direction direction) {
  switch (direction) {
    case Direction::SendRecv:
      return "sendrecv";
    case Direction::SendOnly:
      return "sendonly";
    case Direction::RecvOnly:
      return "recvonly";
    case Direction::Inactive:
      return "inactive";
  }
  return "sendrecv";
}

int opus_channels_wanted(const OfferedCodec& opus) {
  const auto stereo = opus.fmtp.find("stereo");
  return stereo != opus.fmtp.end() && stereo->second == "1" ? 2 : 1;
}

}  // namespace mixcast
