#include "ctl/command_line.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "mixcast_build_config.h"

namespace mixcast::ctl {

std::optional<std::string> Command::value(const std::string& option) const {
  auto it = options.find(option);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

const std::vector<CommandSpec>& command_specs() {
  static const std::vector<CommandSpec> specs = {
      {"rooms", "list", {}, {}, "", "List the rooms (GET /api/v1/rooms)."},
      {"rooms",
       "get",
       {"ROOM"},
       {},
       "",
       "Show a room: canvas, participants, outputs (GET /api/v1/rooms/{room})."},
      {"rooms",
       "stats",
       {"ROOM"},
       {},
       "",
       "A room's live numbers: encoder fps, viewers, each participant's audio level and "
       "network (GET /api/v1/rooms/{room}/stats)."},
      {"rooms",
       "create",
       {},
       {{"--file", "", "FILE",
         "the room as JSON, the fields of a room of the config file "
         "('-' reads standard input)"},
        {"--name", "", "NAME", "the room's name (instead of --file)"},
        {"--layout", "", "LAYOUT", "its layout, with --name (default: the server's)"}},
       "(--file FILE | --name NAME [--layout LAYOUT])",
       "Create a room (POST /api/v1/rooms)."},
      {"rooms",
       "delete",
       {"ROOM"},
       {},
       "",
       "Delete a room; answers once its recordings are finalized (DELETE /api/v1/rooms/{room})."},
      {"rooms",
       "rebuild",
       {"ROOM"},
       {},
       "",
       "Rebuild the room's mixing core now; participants and outputs stay "
       "(POST /api/v1/rooms/{room}/rebuild)."},
      {"participants",
       "list",
       {"ROOM"},
       {},
       "",
       "List a room's participants (GET /api/v1/rooms/{room}/participants)."},
      {"participants",
       "update",
       {"ROOM", "ID"},
       {{"--name", "", "NAME", "rename (the label in the layout)"},
        {"--mute-audio", "", "", "take the participant's audio out of every mix"},
        {"--unmute-audio", "", "", "put it back"},
        {"--mute-video", "", "", "show the placeholder instead of the video"},
        {"--unmute-video", "", "", "show the video again"},
        {"--volume-db", "", "DB", "gain before the mix, -60 to 20"},
        {"--pin", "", "", "show this participant in the layout's speaker region"},
        {"--unpin", "", "", "give the speaker region back to the active speaker"}},
       "[--name NAME] [--mute-audio | --unmute-audio] [--mute-video | --unmute-video] "
       "[--volume-db DB] [--pin | --unpin]",
       "Change a participant (PATCH /api/v1/rooms/{room}/participants/{id})."},
      {"participants",
       "kick",
       {"ROOM", "ID"},
       {{"--reason", "", "REASON", "told to the participant (default: removed by the operator)"}},
       "[--reason REASON]",
       "Remove a participant from the room (DELETE /api/v1/rooms/{room}/participants/{id})."},
      {"sources",
       "add",
       {"ROOM"},
       {{"--name", "", "NAME", "the participant's name (required)"},
        {"--uri", "", "URI", "test://, file://, rtsp://, rtmp://, http(s):// (required)"},
        {"--identity", "", "IDENTITY", "its identity (default: the name)"},
        {"--loop", "", "", "start a file again at its end"}},
       "--name NAME --uri URI [--identity IDENTITY] [--loop]",
       "Add a pulled source as a participant; prints its id "
       "(POST /api/v1/rooms/{room}/sources)."},
      {"sources",
       "remove",
       {"ROOM", "ID"},
       {},
       "",
       "Remove a source (DELETE /api/v1/rooms/{room}/sources/{id})."},
      {"layouts", "list", {}, {}, "", "List the layouts (GET /api/v1/layouts)."},
      {"layouts", "get", {"NAME"}, {}, "", "Print a layout's YAML (GET /api/v1/layouts/{name})."},
      {"layouts",
       "validate",
       {"FILE"},
       {},
       "",
       "Check a layout file; prints each problem as FILE:LINE:COLUMN: field: message "
       "(POST /api/v1/layouts/validate)."},
      {"layouts",
       "apply",
       {"ROOM"},
       {{"--name", "", "NAME", "a layout the server knows"},
        {"--file", "", "FILE", "a layout file, sent inline ('-' reads standard input)"}},
       "(--name NAME | --file FILE)",
       "Switch a room's layout (PUT /api/v1/rooms/{room}/layout)."},
      {"outputs",
       "list",
       {"ROOM"},
       {},
       "",
       "List a room's outputs (GET /api/v1/rooms/{room}/outputs)."},
      {"outputs",
       "add",
       {"ROOM"},
       {{"--url", "", "URL", "rtmp:// or rtmps:// destination with its stream key (required)"},
        {"--name", "", "NAME", "the output's name (default: the server's)"}},
       "--url URL [--name NAME]",
       "Start an RTMP push (POST /api/v1/rooms/{room}/outputs)."},
      {"outputs",
       "remove",
       {"ROOM", "NAME"},
       {},
       "",
       "Stop an output cleanly and remove it (DELETE /api/v1/rooms/{room}/outputs/{name})."},
      {"hls",
       "start",
       {"ROOM"},
       {},
       "",
       "Start the room's HLS output (POST /api/v1/rooms/{room}/hls/start)."},
      {"hls",
       "stop",
       {"ROOM"},
       {},
       "",
       "Stop the room's HLS output (POST /api/v1/rooms/{room}/hls/stop)."},
      {"recording",
       "start",
       {"ROOM"},
       {},
       "",
       "Start recording (POST /api/v1/rooms/{room}/recording/start)."},
      {"recording",
       "stop",
       {"ROOM"},
       {},
       "",
       "Stop recording; the file is finalized (POST /api/v1/rooms/{room}/recording/stop)."},
      {"recording",
       "split",
       {"ROOM"},
       {},
       "",
       "Close the current recording file and go on in a new one "
       "(POST /api/v1/rooms/{room}/recording/split)."},
      {"recordings",
       "list",
       {"ROOM"},
       {},
       "",
       "List a room's recordings (GET /api/v1/rooms/{room}/recordings)."},
      {"recordings",
       "download",
       {"ROOM", "FILE"},
       {{"--output", "-o", "PATH",
         "where to write (default: FILE in the current directory; "
         "'-' writes standard output)"},
        {"--continue", "", "", "resume a partial download at PATH (an HTTP Range request)"}},
       "[-o PATH] [--continue]",
       "Download a recording (GET /recordings/{room}/{file})."},
      {"recordings",
       "delete",
       {"ROOM", "FILE"},
       {},
       "",
       "Delete a finished recording (DELETE /api/v1/rooms/{room}/recordings/{file})."},
      {"tokens",
       "create",
       {"ROOM", "IDENTITY"},
       {{"--name", "", "NAME", "the display name (default: the identity)"},
        {"--no-publish", "", "", "the token cannot publish (WHIP, join as publisher)"},
        {"--no-subscribe", "", "", "the token cannot watch (WHEP, viewer, HLS)"},
        {"--ttl", "", "SECONDS", "lifetime (default 3600)"}},
       "[--name NAME] [--no-publish] [--no-subscribe] [--ttl SECONDS]",
       "Mint a join token; prints the token alone (POST /api/v1/tokens)."},
      {"metrics", "", {}, {}, "", "Print the Prometheus exposition (GET /metrics)."},
      {"health", "", {}, {}, "", "Check that the server answers (GET /healthz)."},
  };
  return specs;
}

namespace {

const OptionSpec kGlobalOptions[] = {
    {"--server", "", "URL", "the server (env MIXCAST_URL, default http://127.0.0.1:8080)"},
    {"--key", "", "KEY", "the admin API key, sent as a Bearer token (env MIXCAST_API_KEY)"},
    {"--json", "", "", "print the server's JSON as it is, for scripts"},
    {"--cacert", "", "FILE", "trust the CA certificates in this PEM file (https)"},
    {"--timeout", "", "SECONDS", "give up on a server that does not answer (default 30)"},
    {"--help", "-h", "", "help of the command (or of everything)"},
    {"--version", "", "", "print the version"},
};

const char* kExitCodes =
    "exit codes:\n"
    "  0  done\n"
    "  1  anything else: a local file could not be written, an unexpected answer,\n"
    "     a status without a code of its own (405, 429, ...)\n"
    "  2  usage error (a bad command line, an input file that cannot be read)\n"
    "  3  refused: no key, a wrong key, not allowed (401, 403)\n"
    "  4  not found (404)\n"
    "  5  rejected: a conflict, or a request that does not validate\n"
    "     (400, 409, 413, 415, 422)\n"
    "  6  server error (5xx)\n"
    "  7  cannot connect, TLS failure or no answer within --timeout\n";

const char* kExitCodesShort =
    "exit codes: 0 done, 2 usage, 3 auth, 4 not found, 5 rejected, 6 server error,\n"
    "7 cannot connect or timeout, 1 other (see mixcastctl --help)\n";

bool has_verbs(std::string_view group) {
  for (const auto& spec : command_specs())
    if (spec.group == group) return !spec.verb.empty();
  return false;
}

bool known_group(std::string_view group) {
  for (const auto& spec : command_specs())
    if (spec.group == group) return true;
  return false;
}

const CommandSpec* find_spec(std::string_view group, std::string_view verb) {
  for (const auto& spec : command_specs())
    if (spec.group == group && spec.verb == verb) return &spec;
  return nullptr;
}

const OptionSpec* find_option(const std::vector<OptionSpec>& options, std::string_view name) {
  for (const auto& option : options)
    if (option.name == name || (!option.short_name.empty() && option.short_name == name))
      return &option;
  return nullptr;
}

const OptionSpec* find_global(std::string_view name) {
  for (const auto& option : kGlobalOptions)
    if (option.name == name || (!option.short_name.empty() && option.short_name == name))
      return &option;
  return nullptr;
}

// `lead` then `text`'s words, lines broken before `width` columns; the
// lines after the first are indented by `indent` spaces. Ends with "\n".
std::string wrap(const std::string& lead, std::string_view text, size_t indent, size_t width = 80) {
  std::string out = lead, line_start_pad(indent, ' ');
  size_t column = lead.size();
  bool first_word = true;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find(' ', at), text.size());
    const std::string_view word = text.substr(at, end - at);
    at = end + 1;
    if (word.empty()) continue;
    if (!first_word && column + 1 + word.size() > width) {
      out += "\n" + line_start_pad;
      column = indent;
    } else if (!first_word) {
      out += ' ';
      ++column;
    }
    out += word;
    column += word.size();
    first_word = false;
  }
  return out + "\n";
}

std::string usage_line(const CommandSpec& spec) {
  std::string line = "mixcastctl " + std::string(spec.group);
  if (!spec.verb.empty()) line += " " + std::string(spec.verb);
  for (auto p : spec.positionals) line += " " + std::string(p);
  if (!spec.synopsis.empty()) line += " " + std::string(spec.synopsis);
  return line;
}

std::string option_lines(const OptionSpec* begin, const OptionSpec* end) {
  std::string out;
  for (const OptionSpec* o = begin; o != end; ++o) {
    std::string left = "  ";
    if (!o->short_name.empty()) left += std::string(o->short_name) + ", ";
    left += std::string(o->name);
    if (!o->value.empty()) left += " " + std::string(o->value);
    if (left.size() < 24)
      left.resize(24, ' ');
    else
      left += "  ";
    out += wrap(left, o->help, 24);
  }
  return out;
}

std::string command_help(const CommandSpec& spec) {
  std::string out = wrap("usage: ", usage_line(spec), 8) + "\n" + wrap("", spec.summary, 0);
  if (!spec.options.empty()) {
    out += "\noptions:\n";
    out += option_lines(spec.options.data(), spec.options.data() + spec.options.size());
  }
  out += "\nglobal options: --server URL, --key KEY, --json, --cacert FILE, --timeout SECONDS\n";
  out += kExitCodesShort;
  return out;
}

std::string group_help(std::string_view group) {
  std::string out = "usage:\n";
  for (const auto& spec : command_specs())
    if (spec.group == group) out += wrap("  ", usage_line(spec), 6);
  out += "\n";
  for (const auto& spec : command_specs()) {
    if (spec.group != group) continue;
    std::string left = "  " + std::string(spec.verb.empty() ? spec.group : spec.verb);
    if (left.size() < 12) left.resize(12, ' ');
    out += wrap(left, spec.summary, 12);
  }
  out += "\n'mixcastctl " + std::string(group) + " COMMAND --help' for a command's options.\n";
  return out;
}

std::string verbs_of(std::string_view group) {
  std::string verbs;
  for (const auto& spec : command_specs())
    if (spec.group == group) verbs += (verbs.empty() ? "" : ", ") + std::string(spec.verb);
  return verbs;
}

double parse_timeout(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value) || value <= 0)
    throw UsageError("--timeout: '" + text + "' is not a number of seconds greater than 0");
  return value;
}

// http:// or https://, a host, no user info (the key goes in a header).
void check_server(const std::string& url) {
  std::string rest;
  if (url.rfind("http://", 0) == 0)
    rest = url.substr(7);
  else if (url.rfind("https://", 0) == 0)
    rest = url.substr(8);
  else
    throw UsageError("--server: '" + url + "' is not an http:// or https:// URL");
  const std::string authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority[0] == ':')
    throw UsageError("--server: '" + url + "' has no host");
  if (authority.find('@') != std::string::npos)
    throw UsageError("--server: put the key in --key or MIXCAST_API_KEY, not in the URL");
  if (rest.find_first_of("?#") != std::string::npos)
    throw UsageError("--server: '" + url + "' must not have a query or a fragment");
}

}  // namespace

std::string main_help() {
  std::string out =
      "usage: mixcastctl [GLOBAL OPTIONS] COMMAND [ARGUMENTS] [OPTIONS]\n"
      "\n"
      "The command-line client of mixcast's operator API: each command is one request.\n"
      "Output is a table for people; --json prints the server's JSON as it is.\n"
      "\n"
      "commands:\n";
  for (const auto& spec : command_specs()) out += wrap("  ", usage_line(spec).substr(11), 6);
  out += "\nglobal options (anywhere on the line):\n";
  out += option_lines(std::begin(kGlobalOptions), std::end(kGlobalOptions));
  out +=
      "\n"
      "environment:\n"
      "  MIXCAST_URL       the server, when --server is not given\n"
      "  MIXCAST_API_KEY   the admin key, when --key is not given (better than --key:\n"
      "                    other users can read a command line, not an environment)\n"
      "\n"
      "Errors go to standard error as 'mixcastctl: STATUS: MESSAGE (field: F)', then\n"
      "each problem the server found as SOURCE:LINE:COLUMN: field: message.\n"
      "\n";
  out += kExitCodes;
  out += "\n'mixcastctl COMMAND --help' for a command's options; see docs/mixcastctl.md.\n";
  return out;
}

Invocation parse_command_line(const std::vector<std::string>& args, const Environment& env) {
  Invocation result;
  GlobalOptions& global = result.global;
  Command& command = result.command;
  std::optional<std::string> server, key;
  bool help = false, version = false, options_ended = false;
  const CommandSpec* spec = nullptr;
  // The first problem; reported unless help was asked for.
  std::optional<std::string> error;
  auto fail = [&](std::string message) {
    if (!error) error = std::move(message);
  };

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    const bool is_option = !options_ended && word.size() > 1 && word[0] == '-';
    if (!is_option) {
      if (command.group.empty()) {
        if (!known_group(word)) {
          fail("unknown command '" + word + "'");
          continue;
        }
        command.group = word;
        if (!has_verbs(word)) spec = find_spec(word, "");
      } else if (!spec && has_verbs(command.group) && command.verb.empty()) {
        spec = find_spec(command.group, word);
        if (!spec) {
          fail("unknown command '" + command.group + " " + word + "'");
          continue;
        }
        command.verb = word;
      } else {
        command.args.push_back(word);
      }
      continue;
    }
    if (word == "--") {
      options_ended = true;
      continue;
    }
    std::string name = word;
    std::optional<std::string> inline_value;
    if (word.rfind("--", 0) == 0) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) {
        name = word.substr(0, eq);
        inline_value = word.substr(eq + 1);
      }
    }
    const OptionSpec* option = find_global(name);
    const bool global_option = option != nullptr;
    if (!option && spec) option = find_option(spec->options, name);
    if (!option) {
      if (spec)
        fail("'" + command.name() + "' has no option " + name);
      else if (command.group.empty() || has_verbs(command.group))
        fail("unknown option " + name + " (a command's options come after the command)");
      else
        fail("unknown option " + name);
      continue;
    }
    std::string value;
    if (!option->value.empty()) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];  // may start with '-': --volume-db -6
      } else {
        fail("option " + std::string(option->name) + " needs a value (" +
             std::string(option->value) + ")");
        continue;
      }
    } else if (inline_value) {
      fail("option " + std::string(option->name) + " takes no value");
      continue;
    }
    if (!global_option) {
      command.options[std::string(option->name)] = value;
      continue;
    }
    if (option->name == "--help") help = true;
    if (option->name == "--version") version = true;
    if (option->name == "--json") global.json = true;
    if (option->name == "--server") server = value;
    if (option->name == "--key") key = value;
    if (option->name == "--cacert") global.cacert = value;
    if (option->name == "--timeout") {
      try {
        global.timeout_s = parse_timeout(value);
      } catch (const UsageError& e) {
        fail(e.what());
      }
    }
  }

  if (help) {
    if (spec)
      result.text = command_help(*spec);
    else if (!command.group.empty())
      result.text = group_help(command.group);
    else
      result.text = main_help();
    return result;
  }
  if (version) {
    result.text = "mixcastctl " MIXCAST_VERSION "\n";
    return result;
  }
  if (error) throw UsageError(*error);
  if (command.group.empty()) throw UsageError("no command given");
  if (!spec)
    throw UsageError("'" + command.group + "' needs a command: " + verbs_of(command.group));
  if (command.args.size() != spec->positionals.size()) {
    std::string expected;
    for (auto p : spec->positionals) expected += " " + std::string(p);
    if (command.args.size() < spec->positionals.size())
      throw UsageError("'" + command.name() + "' needs" + expected +
                       " (usage: " + usage_line(*spec) + ")");
    throw UsageError("'" + command.name() + "': unexpected argument '" +
                     command.args[spec->positionals.size()] + "' (usage: " + usage_line(*spec) +
                     ")");
  }
  for (size_t i = 0; i < command.args.size(); ++i)
    if (command.args[i].empty())
      throw UsageError("'" + command.name() + "': " + std::string(spec->positionals[i]) +
                       " is empty");

  if (!server) {
    auto from_env = env("MIXCAST_URL");
    if (from_env && !from_env->empty()) server = from_env;
  }
  if (server) global.server = *server;
  check_server(global.server);
  while (global.server.size() > 1 && global.server.back() == '/') global.server.pop_back();
  if (!key) {
    auto from_env = env("MIXCAST_API_KEY");
    if (from_env) key = from_env;
  }
  if (key) global.key = *key;
  return result;
}

}  // namespace mixcast::ctl
