// mixcastctl's command line: the commands it knows (one table, which also
// writes the help), the global options and their environment variables, and
// the parse of argv into a Command. Pure: no I/O, the environment is passed in.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mixcast::ctl {

// A command line that cannot be run (exit code 2). The message names the
// word or option at fault.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr const char* kDefaultServer = "http://127.0.0.1:8080";
inline constexpr double kDefaultTimeoutS = 30;

struct GlobalOptions {
  std::string server = kDefaultServer;  // --server, else MIXCAST_URL
  std::string key;                      // --key, else MIXCAST_API_KEY; "" when none
  bool json = false;                    // --json: the server's JSON as is
  std::string cacert;                   // --cacert: a PEM file of CA certificates
  double timeout_s = kDefaultTimeoutS;  // --timeout
};

// One command as typed: group "rooms", verb "list" (empty for "metrics" and
// "health"), its positional arguments in order and its options by long name
// ("--name" -> "Ann"; a flag maps to "").
struct Command {
  std::string group;
  std::string verb;
  std::vector<std::string> args;
  std::map<std::string, std::string> options;

  bool has(const std::string& option) const { return options.count(option) != 0; }
  std::optional<std::string> value(const std::string& option) const;
  std::string name() const { return verb.empty() ? group : group + " " + verb; }
};

struct Invocation {
  GlobalOptions global;
  Command command;
  // Set for -h/--help (and --version): print it on stdout, exit 0, no request.
  std::optional<std::string> text;
};

// Looks up an environment variable; nullopt when it is unset.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

// argv without argv[0]. Throws UsageError. Global options may come anywhere;
// a command's options come after the command's words.
Invocation parse_command_line(const std::vector<std::string>& args, const Environment& env);

// The whole help: commands, global options, environment, exit codes.
std::string main_help();

// One command's option as the table declares it.
struct OptionSpec {
  std::string_view name;        // "--name"
  std::string_view short_name;  // "-o", or ""
  std::string_view value;       // "NAME" for an option with a value, "" for a flag
  std::string_view help;
};

struct CommandSpec {
  std::string_view group;
  std::string_view verb;
  std::vector<std::string_view> positionals;  // "ROOM", "ID"
  std::vector<OptionSpec> options;
  std::string_view synopsis;  // what follows the positionals in the usage line
  std::string_view summary;
};

// Every command, in the order of the help.
const std::vector<CommandSpec>& command_specs();

}  // namespace mixcast::ctl
