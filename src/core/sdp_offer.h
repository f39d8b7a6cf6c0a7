// What a WebRTC offer asks for, read from its SDP text. Pure code: the
// WebRTC layer uses it to build return payloaders with the offered payload
// numbers (webrtcbin answers recvonly otherwise, see GSTREAMER-NOTES) and to
// pick H.264 (the shared encode) or VP8 per peer.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mixcast {

// The video a WebRTC peer gets back: the room's one shared H.264 encode, the
// shared VP8 encode for peers that take no H.264, or nothing.
enum class ReturnVideo { None, H264, Vp8 };
const char* to_string(ReturnVideo video);

enum class Direction { SendRecv, SendOnly, RecvOnly, Inactive };

struct OfferedCodec {
  int payload = -1;
  std::string name;  // as written in rtpmap, e.g. "H264", "VP8", "opus"
  int clock_rate = 0;
  int channels = 1;
  std::map<std::string, std::string> fmtp;  // "profile-level-id" -> "42e01f", ...
  std::vector<std::string> rtcp_fb;         // "nack", "nack pli", "ccm fir", "transport-cc", ...
  int rtx_payload = -1;                     // the RTX payload whose apt= is this one
};

struct OfferedMedia {
  std::string kind;  // "audio", "video" (others are kept, never picked)
  std::string mid;
  int port = 9;
  bool bundle_only = false;
  Direction direction = Direction::SendRecv;  // from the peer's point of view
  std::vector<OfferedCodec> codecs;           // in the offer's preference order; RTX/RED/FEC
                                              // and telephone-event are not listed as codecs
  int index = 0;                              // m-line position (0-based)
};

struct SdpOffer {
  std::vector<OfferedMedia> media;
  std::vector<std::string> bundle_mids;  // a=group:BUNDLE
  bool has_ice_credentials = false;      // ice-ufrag and ice-pwd (session or every m-line)
  bool has_fingerprint = false;          // DTLS fingerprint (session or every m-line)

  // The peer sends media (sendrecv or sendonly) / wants media back (sendrecv or recvonly).
  bool sends(const std::string& kind) const;
  bool receives(const std::string& kind) const;
  const OfferedMedia* first(const std::string& kind) const;
  // False for an m-line the peer switched off (port 0 and not bundled).
  bool is_active(const OfferedMedia& media) const;
};

// Limits that keep a hostile body cheap to reject.
constexpr size_t kMaxSdpBytes = 64 * 1024;
// A WHIP/WHEP offer has one or two m-lines; more than this is rejected.
constexpr size_t kMaxMediaSections = 64;
// Feedback kept per codec (browsers send about five); "a=rtcp-fb:*" lines
// beyond it are dropped so a wildcard flood cannot multiply memory.
constexpr size_t kMaxRtcpFeedbackPerCodec = 32;

// Parses an offer. Returns nullopt with `error` set (a short message that can
// go back to the client) when the text is not a usable WebRTC offer: too big,
// not SDP (no v=0), no m-line, too many m-lines, a bad m-line or one without
// payloads, an rtpmap without a codec name, a payload number outside 0..127,
// no ICE credentials or no DTLS fingerprint.
std::optional<SdpOffer> parse_sdp_offer(std::string_view sdp, std::string& error);

// The codec the server should send back on this m-line, or nullopt.
// H.264: packetization-mode=1 and a constrained-baseline compatible
// profile-level-id (42e0xx, 42c0xx, 4240xx, 4200xx... i.e. profile_idc 0x42
// with constraint_set1) preferred in offer order; VP8; Opus.
// Then any other baseline 42xxxx with packetization-mode=1 (a missing
// profile-level-id means baseline, RFC 6184); never main or high (4d.., 64..).
// VP8 and Opus: the first of that name (case-insensitive).
std::optional<OfferedCodec> pick_h264(const OfferedMedia& media);
std::optional<OfferedCodec> pick_vp8(const OfferedMedia& media);
std::optional<OfferedCodec> pick_opus(const OfferedMedia& media);

// Channels to encode for a peer's Opus: 2 only when its fmtp says stereo=1
// (RFC 7587: the receiver prefers mono otherwise).
int opus_channels_wanted(const OfferedCodec& opus);

std::string to_string(Direction direction);

}  // namespace mixcast
