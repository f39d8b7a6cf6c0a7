// From a parsed command to the one API request it stands for: method, path,
// body and how the answer is shown. Pure: files named on the command line are
// read by the caller (body_file), and nothing here knows about HTTP clients.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ctl/command_line.h"

namespace mixcast::ctl {

// How a successful answer is printed (without --json).
enum class View {
  RoomList,         // rooms list: NAME LAYOUT SIZE PARTICIPANTS OUTPUTS FRAMES
  Room,             // one room: its fields, participants and outputs
  RoomStats,        // a room's stats: ID NAME LEVEL IN OUT LOSS JITTER RTT DROPPED, outputs
  ParticipantList,  // ID NAME AUDIO VIDEO VOLUME PINNED SPEAKING
  Participant,      // the same table, one row
  SourceId,         // the new source's participant id alone
  LayoutList,       // NAME FILE
  Text,             // the body as it is (a layout's YAML, the metrics)
  Validation,       // "FILE: valid"
  OutputList,       // NAME KIND STATE ATTEMPT BYTES LAST-ERROR
  Output,           // the same table, one row
  RoomOutputs,      // a room's outputs table (after an HLS or recording action)
  RecordingList,    // FILE SIZE DURATION STATE
  Token,            // the token alone
  Health,           // "ok"
  Done,             // 204: the request's done_message
  Download,         // the body goes to a file; a summary on standard error
};

struct ApiRequest {
  std::string method;
  std::string path;  // percent-encoded, with its query
  std::string content_type;
  std::string body;
  // When set, the body is this file's content ("-": standard input); its
  // name labels the problems the server finds in it.
  std::string body_file;
  View view = View::Text;
  std::string done_message;  // View::Done
  // View::Download: where to ("-": standard output) and whether to resume.
  std::string output_path;
  bool resume = false;
};

// Throws UsageError for options that do not fit together or bad values.
ApiRequest request_for(const Command& command);

// RFC 3986: everything but unreserved characters percent-encoded.
std::string encode_component(std::string_view text);

// What to do with a recordings download answer when `local_size` bytes are
// already there (0 when the file is new or --continue was not given).
enum class ResumeAction {
  Append,    // 206 from local_size: add the body to the file
  Replace,   // 200: the whole file (the server ignored or was not sent a Range)
  Complete,  // 416 and the file already has every byte
  Mismatch,  // 206 or 416 that does not fit the local file: write nothing
};
ResumeAction resume_action(int status, std::string_view content_range, uint64_t local_size);

}  // namespace mixcast::ctl
