#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "ctl/command_line.h"

namespace mixcast::ctl {
namespace {

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Environment env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const Environment kNoEnv = env_of({});

struct ParseCase {
  std::string line;
  std::string group;
  std::string verb;
  std::vector<std::string> args;
  std::map<std::string, std::string> options;
};

TEST(CommandLine, ParsesEachCommandsWordsArgumentsAndOptions) {
  const ParseCase cases[] = {
      {"rooms list", "rooms", "list", {}, {}},
      {"rooms get studio", "rooms", "get", {"studio"}, {}},
      {"rooms create --name extra --layout pip",
       "rooms",
       "create",
       {},
       {{"--name", "extra"}, {"--layout", "pip"}}},
      {"rooms create --file=room.json", "rooms", "create", {}, {{"--file", "room.json"}}},
      {"participants update studio alice-1 --mute-audio --volume-db -6",
       "participants",
       "update",
       {"studio", "alice-1"},
       {{"--mute-audio", ""}, {"--volume-db", "-6"}}},
      {"participants kick studio bob-2 --reason bye",
       "participants",
       "kick",
       {"studio", "bob-2"},
       {{"--reason", "bye"}}},
      {"sources add studio --name Carol --uri test://color --loop",
       "sources",
       "add",
       {"studio"},
       {{"--name", "Carol"}, {"--uri", "test://color"}, {"--loop", ""}}},
      {"layouts validate broken.yaml", "layouts", "validate", {"broken.yaml"}, {}},
      {"hls stop studio", "hls", "stop", {"studio"}, {}},
      {"recording split studio", "recording", "split", {"studio"}, {}},
      {"recordings download studio a.mp4 -o /tmp/x.mp4 --continue",
       "recordings",
       "download",
       {"studio", "a.mp4"},
       {{"--output", "/tmp/x.mp4"}, {"--continue", ""}}},
      {"tokens create studio ann --no-publish --ttl 60",
       "tokens",
       "create",
       {"studio", "ann"},
       {{"--no-publish", ""}, {"--ttl", "60"}}},
      {"metrics", "metrics", "", {}, {}},
      {"health", "health", "", {}, {}},
      // After "--" a word that starts with '-' is an argument.
      {"rooms get -- -odd-", "rooms", "get", {"-odd-"}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const Invocation inv = parse_command_line(words(c.line), kNoEnv);
    EXPECT_FALSE(inv.text);
    EXPECT_EQ(inv.command.group, c.group);
    EXPECT_EQ(inv.command.verb, c.verb);
    EXPECT_EQ(inv.command.args, c.args);
    EXPECT_EQ(inv.command.options, c.options);
  }
}

TEST(CommandLine, GlobalOptionsGoAnywhere) {
  const std::string lines[] = {
      "--json --server http://h:9 --key k --timeout 2.5 --cacert ca.pem rooms list",
      "rooms --json list --server=http://h:9 --key=k --timeout 2.5 --cacert ca.pem",
      "rooms list --json --server http://h:9/ --key k --timeout=2.5 --cacert=ca.pem",
  };
  for (const auto& line : lines) {
    SCOPED_TRACE(line);
    const Invocation inv = parse_command_line(words(line), kNoEnv);
    EXPECT_EQ(inv.command.name(), "rooms list");
    EXPECT_TRUE(inv.global.json);
    EXPECT_EQ(inv.global.server, "http://h:9");
    EXPECT_EQ(inv.global.key, "k");
    EXPECT_DOUBLE_EQ(inv.global.timeout_s, 2.5);
    EXPECT_EQ(inv.global.cacert, "ca.pem");
  }
}

TEST(CommandLine, ServerAndKeyComeFromTheEnvironmentUnlessGiven) {
  struct Case {
    std::string line;
    std::map<std::string, std::string> env;
    std::string server;
    std::string key;
  };
  const Case cases[] = {
      {"health", {}, kDefaultServer, ""},
      {"health",
       {{"MIXCAST_URL", "https://m.example:8443"}, {"MIXCAST_API_KEY", "envkey"}},
       "https://m.example:8443",
       "envkey"},
      {"--server http://cli:1 --key clikey health",
       {{"MIXCAST_URL", "https://m.example:8443"}, {"MIXCAST_API_KEY", "envkey"}},
       "http://cli:1",
       "clikey"},
      // An empty MIXCAST_URL is as good as none.
      {"health", {{"MIXCAST_URL", ""}}, kDefaultServer, ""},
      {"health",
       {{"MIXCAST_URL", "http://proxy.example/mixcast/"}},
       "http://proxy.example/mixcast",
       ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const Invocation inv = parse_command_line(words(c.line), env_of(c.env));
    EXPECT_EQ(inv.global.server, c.server);
    EXPECT_EQ(inv.global.key, c.key);
  }
}

TEST(CommandLine, UsageErrorsNameWhatIsWrong) {
  struct Case {
    std::string line;
    std::string message;  // a part of the error
  };
  const Case cases[] = {
      {"", "no command given"},
      {"bogus", "unknown command 'bogus'"},
      {"rooms", "'rooms' needs a command: list, get, stats, create, delete, rebuild"},
      {"rooms frobnicate", "unknown command 'rooms frobnicate'"},
      {"rooms list --bogus", "'rooms list' has no option --bogus"},
      {"rooms get", "'rooms get' needs ROOM"},
      {"rooms get a b", "unexpected argument 'b'"},
      {"participants update studio", "needs ROOM ID"},
      {"--mute-audio participants update studio a", "after the command"},
      {"rooms create --name", "option --name needs a value (NAME)"},
      {"rooms list --json=yes", "option --json takes no value"},
      {"--timeout 0 health", "--timeout: '0'"},
      {"--timeout soon health", "--timeout: 'soon'"},
      {"--server ftp://h health", "not an http:// or https:// URL"},
      {"--server http:// health", "has no host"},
      {"--server http://user:pw@h health", "not in the URL"},
      {"--server http://h/?a=b health", "query"},
      {"metrics now", "unexpected argument 'now'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    try {
      parse_command_line(words(c.line), kNoEnv);
      ADD_FAILURE() << "no usage error";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(c.message), std::string::npos) << e.what();
    }
  }
}

TEST(CommandLine, HelpAtEveryLevelAndEvenWithMistakes) {
  struct Case {
    std::string line;
    std::string starts_with;
  };
  const Case cases[] = {
      {"--help", "usage: mixcastctl [GLOBAL OPTIONS]"},
      {"-h", "usage: mixcastctl [GLOBAL OPTIONS]"},
      {"rooms --help", "usage:\n  mixcastctl rooms list"},
      {"rooms create -h", "usage: mixcastctl rooms create (--file FILE"},
      {"tokens create --help", "usage: mixcastctl tokens create ROOM IDENTITY"},
      // Missing arguments do not stop the help.
      {"participants update -h", "usage: mixcastctl participants update ROOM ID"},
      {"bogus --help", "usage: mixcastctl [GLOBAL OPTIONS]"},
      {"--version", "mixcastctl "},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    const Invocation inv = parse_command_line(words(c.line), kNoEnv);
    ASSERT_TRUE(inv.text);
    EXPECT_EQ(inv.text->rfind(c.starts_with, 0), 0u) << *inv.text;
  }
}

TEST(CommandLine, TheHelpDocumentsTheExitCodesAndEveryCommand) {
  const std::string help = main_help();
  for (const char* line :
       {"  2  usage error", "  3  refused", "  4  not found", "  5  rejected", "  6  server error",
        "  7  cannot connect", "MIXCAST_URL", "MIXCAST_API_KEY"})
    EXPECT_NE(help.find(line), std::string::npos) << line;
  for (const auto& spec : command_specs()) {
    const std::string name =
        "  " + std::string(spec.group) + (spec.verb.empty() ? "" : " " + std::string(spec.verb));
    EXPECT_NE(help.find(name), std::string::npos) << name;
    // And each command's own help has the short form.
    std::vector<std::string> argv{std::string(spec.group)};
    if (!spec.verb.empty()) argv.emplace_back(spec.verb);
    argv.emplace_back("--help");
    const Invocation inv = parse_command_line(argv, kNoEnv);
    ASSERT_TRUE(inv.text);
    EXPECT_NE(inv.text->find("exit codes: 0 done, 2 usage, 3 auth"), std::string::npos);
  }
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 80u) << line;
}

}  // namespace
}  // namespace mixcast::ctl
