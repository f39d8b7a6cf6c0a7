// Continuing a room's live HLS playlist across a restart of its HLS output
// (an operator's stop/start, or a new attempt after a failure). Pure code.
//
// What a player expects: a playlist URL whose media sequence numbers only
// ever go up, and segment URIs that are never reused for other media (a
// player, a CDN or a browser cache may hold the old ones). A restarted
// stream is new media on a new timeline, which HLS says with a
// discontinuity: the new run's playlist continues the media sequence after
// the last segment of the previous run, and its EXT-X-DISCONTINUITY-SEQUENCE
// is one more than the previous run's last segment had (RFC 8216 4.3.3.3),
// so a player that reloads the playlist (or a cached copy of the old one)
// knows the timestamps restart. The new run lists only its own segments:
// the previous run ended with EXT-X-ENDLIST and its last window stays on
// disk for players that are still playing it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mixcast {

struct HlsContinuation {
  long media_sequence = 0;          // of the new run's first segment
  long discontinuity_sequence = 0;  // of the new run's first segment
};

// Where a new run continues the playlist `previous` (as the last run left
// it, ended or not). nullopt when `previous` is not an HLS media playlist
// (no file, empty, or no #EXTM3U): then the stream starts afresh at 0.
std::optional<HlsContinuation> continuation_after(std::string_view previous);

// `rendered`, a playlist written for the new run and numbered from 0 (as
// hlssink2 writes it), renumbered to continue: EXT-X-MEDIA-SEQUENCE shifted
// by c.media_sequence, and EXT-X-DISCONTINUITY-SEQUENCE set right after it.
std::string continue_playlist(std::string_view rendered, const HlsContinuation& c);

}  // namespace mixcast
