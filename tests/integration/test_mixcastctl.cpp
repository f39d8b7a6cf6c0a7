// mixcastctl against the real server: every command is run as a subprocess
// (as a script would), on a room of test:// sources with admin keys and join
// tokens on. What is checked is what scripts rely on: the exit codes, the
// tables, --json as the server's own JSON, errors on stderr with the file,
// line and column of a problem, tokens the server accepts, downloads that
// resume. One server for the suite (a room costs CPU); each test leaves the
// room as it found it, except for what it names.
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>

#include "integration_support.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "studio";
constexpr const char* kKey = "ctl-admin-key-0123456789abcdef";
constexpr const char* kTokenSecret = "ctl-token-secret-0123456789abcdef0123456789";

struct CtlResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs mixcastctl with `args` and nothing but `env` of its own variables
// (MIXCAST_URL and MIXCAST_API_KEY are cleared first); stdin is empty.
CtlResult run_ctl(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {}) {
  static int calls = 0;
  static TempDir scratch("ctl-stderr");
  const std::string err_file = scratch.file("stderr-" + std::to_string(++calls));
  std::string command = "env -u MIXCAST_URL -u MIXCAST_API_KEY";
  for (const auto& [name, value] : env) command += " " + name + "=" + shell_quote(value);
  command += " " + shell_quote(MIXCASTCTL_BINARY);
  for (const auto& a : args) command += " " + shell_quote(a);
  command += " </dev/null 2>" + shell_quote(err_file);
  CtlResult result;
  result.out = run_command(command, &result.exit_code);
  result.err = read_file(err_file);
  std::remove(err_file.c_str());
  return result;
}

std::string describe(const CtlResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

// A parsed JSON document (json-glib); root() is null when the text is not JSON.
class JsonDoc {
 public:
  explicit JsonDoc(const std::string& text) : parser_(json_parser_new()) {
    ok_ =
        json_parser_load_from_data(parser_, text.data(), static_cast<gssize>(text.size()), nullptr);
  }
  ~JsonDoc() { g_object_unref(parser_); }
  JsonDoc(const JsonDoc&) = delete;
  JsonDoc& operator=(const JsonDoc&) = delete;
  JsonObject* object() const {
    JsonNode* root = ok_ ? json_parser_get_root(parser_) : nullptr;
    return root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : nullptr;
  }

 private:
  JsonParser* parser_;
  bool ok_ = false;
};

std::string string_of(JsonObject* object, const char* name) {
  if (!object || !json_object_has_member(object, name)) return "";
  JsonNode* node = json_object_get_member(object, name);
  return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING
             ? json_node_get_string(node)
             : "";
}

JsonArray* array_of(JsonObject* object, const char* name) {
  if (!object || !json_object_has_member(object, name)) return nullptr;
  JsonNode* node = json_object_get_member(object, name);
  return JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : nullptr;
}

// The participant `id` of a {"participants": [...]} document.
JsonObject* participant(JsonObject* list, const std::string& id) {
  JsonArray* all = array_of(list, "participants");
  for (guint i = 0; all && i < json_array_get_length(all); ++i) {
    JsonObject* p = json_array_get_object_element(all, i);
    if (string_of(p, "id") == id) return p;
  }
  return nullptr;
}

bool lines_start_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0 || text.find("\n" + prefix) != std::string::npos;
}

// The JWT's payload (the middle part, base64url), as JSON text.
std::string jwt_payload(const std::string& token) {
  const size_t first = token.find('.'), second = token.find('.', first + 1);
  if (first == std::string::npos || second == std::string::npos) return "";
  std::string part = token.substr(first + 1, second - first - 1);
  for (auto& c : part) c = c == '-' ? '+' : (c == '_' ? '/' : c);
  while (part.size() % 4) part += '=';
  gsize length = 0;
  guchar* raw = g_base64_decode(part.c_str(), &length);
  std::string json(reinterpret_cast<char*>(raw), length);
  g_free(raw);
  return json;
}

class Mixcastctl : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = std::make_unique<ServerUnderTest>("mixcastctl");
    std::string config = small_room_config(kRoom,
                                           "      hls: {enabled: true, segment_s: 2}\n"
                                           "      recording: {enabled: true}\n"
                                           "      rtmp: []\n");
    config += std::string("auth:\n  api_keys: [") + kKey + "]\n  token_secret: " + kTokenSecret +
              "\n  hls: token\n";
    started_ = server_->start(config);
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override { ASSERT_TRUE(started_) << server_->log(); }

  static std::string url() { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  // mixcastctl as an operator runs it: the server and the key from the environment.
  static CtlResult ctl(const std::vector<std::string>& args) {
    return run_ctl(args, {{"MIXCAST_URL", url()}, {"MIXCAST_API_KEY", kKey}});
  }
  // A participant id of the room (from --json rooms get).
  static std::string first_participant() {
    const CtlResult r = ctl({"--json", "participants", "list", kRoom});
    JsonDoc doc(r.out);
    JsonArray* all = array_of(doc.object(), "participants");
    if (!all || json_array_get_length(all) == 0) return "";
    return string_of(json_array_get_object_element(all, 0), "id");
  }

  static std::unique_ptr<ServerUnderTest> server_;
  static bool started_;
};

std::unique_ptr<ServerUnderTest> Mixcastctl::server_;
bool Mixcastctl::started_ = false;

TEST_F(Mixcastctl, RoomsListIsATableWithTheRoom) {
  const CtlResult r = ctl({"rooms", "list"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(lines_start_with(r.out, "NAME    LAYOUT  SIZE        PARTICIPANTS  OUTPUTS  FRAMES"))
      << r.out;
  EXPECT_TRUE(lines_start_with(r.out, "studio  grid    640x360@30  2             2  ")) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(Mixcastctl, JsonRoomsGetIsTheServersJson) {
  const CtlResult r = ctl({"--json", "rooms", "get", kRoom});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  JsonDoc doc(r.out);
  ASSERT_TRUE(doc.object()) << r.out;
  EXPECT_EQ(string_of(doc.object(), "name"), kRoom);
  EXPECT_EQ(string_of(doc.object(), "layout"), "grid");
  JsonArray* participants = array_of(doc.object(), "participants");
  ASSERT_TRUE(participants);
  EXPECT_EQ(json_array_get_length(participants), 2u);
  EXPECT_TRUE(array_of(doc.object(), "tiles"));
  // The human view of the same room.
  const CtlResult human = ctl({"rooms", "get", kRoom});
  ASSERT_EQ(human.exit_code, 0) << describe(human);
  EXPECT_TRUE(lines_start_with(human.out, "canvas           640x360@30")) << human.out;
  EXPECT_TRUE(lines_start_with(human.out, "ID       NAME   AUDIO  VIDEO")) << human.out;
  EXPECT_TRUE(lines_start_with(human.out, "NAME       KIND       STATE")) << human.out;

  // Its live numbers: pulled sources have no network numbers ("-").
  CtlResult stats;
  EXPECT_TRUE(wait_until(
      [&] {
        stats = ctl({"rooms", "stats", kRoom});
        return stats.exit_code == 0 && stats.out.find(" dB ") != std::string::npos;
      },
      10))
      << describe(stats);
  EXPECT_TRUE(lines_start_with(stats.out, "encoder fps ")) << stats.out;
  EXPECT_TRUE(lines_start_with(stats.out, "ID       NAME   LEVEL")) << stats.out;
}

TEST_F(Mixcastctl, ParticipantsUpdateMutesAudio) {
  const std::string id = first_participant();
  ASSERT_FALSE(id.empty());
  const CtlResult update =
      ctl({"participants", "update", kRoom, id, "--mute-audio", "--volume-db", "-6"});
  ASSERT_EQ(update.exit_code, 0) << describe(update);
  EXPECT_TRUE(lines_start_with(update.out, "ID ")) << update.out;
  EXPECT_NE(update.out.find("muted"), std::string::npos) << update.out;
  EXPECT_NE(update.out.find("-6.0 dB"), std::string::npos) << update.out;

  const CtlResult list = ctl({"--json", "participants", "list", kRoom});
  ASSERT_EQ(list.exit_code, 0) << describe(list);
  JsonDoc doc(list.out);
  JsonObject* p = participant(doc.object(), id);
  ASSERT_TRUE(p) << list.out;
  EXPECT_TRUE(json_object_get_boolean_member(p, "audio_muted")) << list.out;
  EXPECT_DOUBLE_EQ(json_object_get_double_member(p, "volume_db"), -6.0);
  EXPECT_FALSE(json_object_get_boolean_member(p, "video_muted"));

  // Back as it was; values the server refuses are exit 5 with the field named.
  EXPECT_EQ(
      ctl({"participants", "update", kRoom, id, "--unmute-audio", "--volume-db", "0"}).exit_code,
      0);
  const CtlResult loud = ctl({"participants", "update", kRoom, id, "--volume-db", "40"});
  EXPECT_EQ(loud.exit_code, 5) << describe(loud);
  EXPECT_NE(loud.err.find("mixcastctl: 400: "), std::string::npos) << loud.err;
  EXPECT_NE(loud.err.find("(field: volume_db)"), std::string::npos) << loud.err;
  const CtlResult nobody = ctl({"participants", "update", kRoom, "nobody-9", "--pin"});
  EXPECT_EQ(nobody.exit_code, 4) << describe(nobody);
}

TEST_F(Mixcastctl, LayoutsValidateReportsFileLineAndColumn) {
  const std::string broken = server_->dir().file("broken-layout.yaml");
  write_file(broken,
             "name: broken\n"
             "regions:\n"
             "  - id: main\n"
             "    x: 2.5\n"
             "    show: everyone\n");
  const CtlResult r = ctl({"layouts", "validate", broken});
  EXPECT_EQ(r.exit_code, 5) << describe(r);
  EXPECT_NE(r.err.find("mixcastctl: 422: "), std::string::npos) << r.err;
  // Each problem on its own line, at its place in the file.
  EXPECT_NE(r.err.find(broken + ":4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(broken + ":5:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(": regions[0].x: "), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");

  const std::string good = source_root() + "/config/layouts/pip.yaml";
  const CtlResult valid = ctl({"layouts", "validate", good});
  EXPECT_EQ(valid.exit_code, 0) << describe(valid);
  EXPECT_EQ(valid.out, good + ": valid\n");

  const CtlResult missing = ctl({"layouts", "validate", server_->dir().file("nope.yaml")});
  EXPECT_EQ(missing.exit_code, 2) << describe(missing);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
}

TEST_F(Mixcastctl, LayoutsListGetAndApply) {
  const CtlResult list = ctl({"layouts", "list"});
  ASSERT_EQ(list.exit_code, 0) << describe(list);
  EXPECT_TRUE(lines_start_with(list.out, "NAME ")) << list.out;
  EXPECT_TRUE(lines_start_with(list.out, "pip ")) << list.out;
  const CtlResult get = ctl({"layouts", "get", "pip"});
  ASSERT_EQ(get.exit_code, 0) << describe(get);
  EXPECT_NE(get.out.find("name: pip"), std::string::npos) << get.out;

  const CtlResult apply = ctl({"--json", "layouts", "apply", kRoom, "--name", "pip"});
  ASSERT_EQ(apply.exit_code, 0) << describe(apply);
  JsonDoc room(apply.out);
  EXPECT_EQ(string_of(room.object(), "layout"), "pip") << apply.out;
  const CtlResult back =
      ctl({"layouts", "apply", kRoom, "--file", source_root() + "/config/layouts/grid.yaml"});
  ASSERT_EQ(back.exit_code, 0) << describe(back);
  EXPECT_TRUE(lines_start_with(back.out, "layout           grid")) << back.out;
  const CtlResult unknown = ctl({"layouts", "apply", kRoom, "--name", "no-such-layout"});
  EXPECT_EQ(unknown.exit_code, 4) << describe(unknown);
}

TEST_F(Mixcastctl, TokensCreatePrintsATokenTheServerAccepts) {
  const CtlResult r = ctl({"tokens", "create", kRoom, "ann", "--name", "Ann", "--ttl", "600"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "one line: " << r.out;
  const std::string token = r.out.substr(0, r.out.size() - 1);
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;

  // The claims it was asked for.
  JsonDoc claims(jwt_payload(token));
  ASSERT_TRUE(claims.object()) << token;
  EXPECT_EQ(string_of(claims.object(), "room"), kRoom);
  EXPECT_EQ(string_of(claims.object(), "sub"), "ann");
  EXPECT_EQ(string_of(claims.object(), "name"), "Ann");

  // The room's HLS (auth.hls: token) takes it, and refuses the same request
  // without it or with a forged one.
  const std::string playlist = std::string("/hls/") + kRoom + "/index.m3u8";
  EXPECT_TRUE(
      wait_until([&] { return server_->get(playlist + "?token=" + token).status == 200; }, 15))
      << server_->get(playlist + "?token=" + token).body;
  EXPECT_EQ(server_->get(playlist).status, 401);
  EXPECT_EQ(server_->get(playlist + "?token=" + token + "x").status, 401);
  // A token is no admin key.
  const CtlResult as_admin =
      run_ctl({"rooms", "list"}, {{"MIXCAST_URL", url()}, {"MIXCAST_API_KEY", token}});
  EXPECT_EQ(as_admin.exit_code, 3) << describe(as_admin);

  // --no-subscribe: a token without the grant to watch (403).
  const CtlResult json = ctl({"--json", "tokens", "create", kRoom, "guest", "--no-subscribe"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  JsonDoc minted(json.out);
  EXPECT_EQ(string_of(minted.object(), "identity"), "guest") << json.out;
  const std::string publish_only = string_of(minted.object(), "token");
  ASSERT_FALSE(publish_only.empty()) << json.out;
  EXPECT_EQ(server_->get(playlist + "?token=" + publish_only).status, 403);
}

TEST_F(Mixcastctl, RecordingsListAndDownloadsThatResume) {
  // The room records from the start: its file is listed.
  CtlResult list;
  EXPECT_TRUE(wait_until(
      [&] {
        list = ctl({"recordings", "list", kRoom});
        return list.exit_code == 0 && list.out.find(".mp4") != std::string::npos;
      },
      15))
      << describe(list);
  EXPECT_TRUE(lines_start_with(list.out, "FILE ")) << list.out;

  // A file of known bytes next to the room's recordings.
  const std::string served = server_->dir().file(std::string("recordings/") + kRoom + "/old.mkv");
  std::string content(3 * 1024 * 1024 + 17, '\0');
  std::mt19937 random(7);
  for (auto& c : content) c = static_cast<char>(random());
  write_file(served, content);

  const std::string local = server_->dir().file("downloaded.mkv");
  const CtlResult whole = ctl({"recordings", "download", kRoom, "old.mkv", "-o", local});
  ASSERT_EQ(whole.exit_code, 0) << describe(whole);
  EXPECT_EQ(read_file(local), content);
  EXPECT_NE(whole.err.find(std::to_string(content.size()) + " bytes written"), std::string::npos)
      << whole.err;

  // Cut short, then resumed with a Range request: only the rest comes.
  std::filesystem::resize_file(local, 1000000);
  const CtlResult resumed =
      ctl({"recordings", "download", kRoom, "old.mkv", "-o", local, "--continue"});
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_EQ(read_file(local), content);
  EXPECT_NE(resumed.err.find(std::to_string(content.size() - 1000000) +
                             " bytes written after the 1000000"),
            std::string::npos)
      << resumed.err;
  // Nothing left to fetch.
  const CtlResult complete =
      ctl({"recordings", "download", kRoom, "old.mkv", "-o", local, "--continue"});
  EXPECT_EQ(complete.exit_code, 0) << describe(complete);
  EXPECT_NE(complete.err.find("already complete"), std::string::npos) << complete.err;
  EXPECT_EQ(read_file(local), content);

  const CtlResult missing = ctl({"recordings", "download", kRoom, "nope.mkv", "-o", local});
  EXPECT_EQ(missing.exit_code, 4) << describe(missing);
  EXPECT_EQ(read_file(local), content) << "a failed download leaves the file alone";

  // Delete through the API: gone from the list and from the disk.
  const CtlResult deleted = ctl({"recordings", "delete", kRoom, "old.mkv"});
  EXPECT_EQ(deleted.exit_code, 0) << describe(deleted);
  EXPECT_FALSE(std::filesystem::exists(served));
  EXPECT_EQ(ctl({"recordings", "delete", kRoom, "old.mkv"}).exit_code, 4);
}

TEST_F(Mixcastctl, WrongOrMissingKeyIsExit3) {
  const CtlResult wrong =
      run_ctl({"rooms", "list"}, {{"MIXCAST_URL", url()}, {"MIXCAST_API_KEY", "not-the-key"}});
  EXPECT_EQ(wrong.exit_code, 3) << describe(wrong);
  EXPECT_NE(wrong.err.find("mixcastctl: 401: "), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.out, "");
  EXPECT_EQ(wrong.err.find("not-the-key"), std::string::npos) << "the key is never printed";

  const CtlResult none = run_ctl({"--server", url(), "metrics"});
  EXPECT_EQ(none.exit_code, 3) << describe(none);
  EXPECT_NE(none.err.find("--key or MIXCAST_API_KEY"), std::string::npos) << none.err;

  // --key wins over the environment.
  const CtlResult given = run_ctl({"--key", kKey, "rooms", "list"},
                                  {{"MIXCAST_URL", url()}, {"MIXCAST_API_KEY", "not-the-key"}});
  EXPECT_EQ(given.exit_code, 0) << describe(given);
}

TEST_F(Mixcastctl, UnknownRoomIsExit4) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"rooms", "get", "no-such-room"},
        {"participants", "list", "no-such-room"},
        {"recordings", "list", "no-such-room"}}) {
    const CtlResult r = ctl(args);
    EXPECT_EQ(r.exit_code, 4) << describe(r);
    // "no room named ...", "no room or recordings named ..." (a closed room's
    // recordings stay listed).
    EXPECT_NE(r.err.find("mixcastctl: 404: no room"), std::string::npos) << r.err;
  }
  // --json: the server's error document on stdout as well, for scripts.
  const CtlResult json = ctl({"--json", "rooms", "get", "no-such-room"});
  EXPECT_EQ(json.exit_code, 4);
  JsonDoc doc(json.out);
  EXPECT_TRUE(doc.object() && json_object_has_member(doc.object(), "error")) << json.out;
}

TEST_F(Mixcastctl, NoServerOrNoAnswerIsExit7) {
  const CtlResult refused =
      run_ctl({"--server", "http://127.0.0.1:" + std::to_string(free_tcp_port()), "health"});
  EXPECT_EQ(refused.exit_code, 7) << describe(refused);
  EXPECT_NE(refused.err.find("cannot reach http://127.0.0.1:"), std::string::npos) << refused.err;

  // A port that accepts connections and never answers.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t length = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  const auto started = std::chrono::steady_clock::now();
  const CtlResult silent =
      run_ctl({"--timeout", "1", "--server",
               "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), "rooms", "list"});
  const double took = seconds_since(started);
  close(fd);
  EXPECT_EQ(silent.exit_code, 7) << describe(silent);
  EXPECT_NE(silent.err.find("no answer"), std::string::npos) << silent.err;
  EXPECT_LT(took, 10) << "--timeout 1";
}

TEST_F(Mixcastctl, BadCommandLinesAreExit2) {
  const std::vector<std::string> lines[] = {
      {"rooms", "list", "--bogus"},
      {"rooms", "frobnicate"},
      {"participants", "update", kRoom},
      {"participants", "update", kRoom, "x"},                      // nothing to change
      {"participants", "update", kRoom, "x", "--pin", "--unpin"},  // contradicts itself
      {"--timeout", "soon", "health"},
      {"--server", "ftp://127.0.0.1", "health"},
      {"rooms", "create", "--file", "/nonexistent/room.json"},
  };
  for (const auto& args : lines) {
    const CtlResult r = ctl(args);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_EQ(r.err.rfind("mixcastctl: ", 0), 0u) << r.err;
    EXPECT_EQ(r.out, "");
  }
  const CtlResult bogus = ctl({"rooms", "list", "--bogus"});
  EXPECT_NE(bogus.err.find("--bogus"), std::string::npos) << bogus.err;
  // Help is no error, and documents the exit codes.
  const CtlResult help = ctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("exit codes:"), std::string::npos) << help.out;
  EXPECT_EQ(ctl({"participants", "update", "--help"}).exit_code, 0);
}

TEST_F(Mixcastctl, MetricsAndHealth) {
  const CtlResult metrics = ctl({"metrics"});
  ASSERT_EQ(metrics.exit_code, 0) << describe(metrics);
  EXPECT_TRUE(lines_start_with(metrics.out, "mixcast_rooms 1")) << metrics.out;
  const CtlResult health = run_ctl({"--server", url(), "health"});  // open: no key needed
  EXPECT_EQ(health.exit_code, 0) << describe(health);
  EXPECT_EQ(health.out, "ok\n");
}

TEST_F(Mixcastctl, RoomsCreateConflictAndDelete) {
  const CtlResult created = ctl({"rooms", "create", "--name", "extra", "--layout", "speaker"});
  ASSERT_EQ(created.exit_code, 0) << describe(created);
  EXPECT_TRUE(lines_start_with(created.out, "name             extra")) << created.out;
  const CtlResult again = ctl({"rooms", "create", "--name", "extra"});
  EXPECT_EQ(again.exit_code, 5) << describe(again);
  EXPECT_NE(again.err.find("mixcastctl: 409: "), std::string::npos) << again.err;
  EXPECT_TRUE(lines_start_with(ctl({"rooms", "list"}).out, "extra "));

  const CtlResult deleted = ctl({"rooms", "delete", "extra"});
  EXPECT_EQ(deleted.exit_code, 0) << describe(deleted);
  EXPECT_EQ(deleted.out, "room 'extra' deleted\n");
  EXPECT_EQ(ctl({"rooms", "get", "extra"}).exit_code, 4);

  // A room file the server refuses: the problem at its place in the file.
  const std::string file = server_->dir().file("bad-room.json");
  write_file(file, "{\"name\": \"bad\",\n \"width\": \"wide\"}\n");
  const CtlResult bad = ctl({"rooms", "create", "--file", file});
  EXPECT_EQ(bad.exit_code, 5) << describe(bad);
  EXPECT_NE(bad.err.find("mixcastctl: 400: "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("(field: width)"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find(file + ":2:"), std::string::npos) << bad.err;
}

TEST_F(Mixcastctl, SourcesAddAndRemove) {
  const CtlResult added = ctl(
      {"sources", "add", kRoom, "--name", "Carol", "--uri", "test://color?color=blue&tone=550"});
  ASSERT_EQ(added.exit_code, 0) << describe(added);
  const std::string id = added.out.substr(0, added.out.find('\n'));
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(added.out, id + "\n") << "the id alone, for $(...)";
  const CtlResult list = ctl({"participants", "list", kRoom});
  EXPECT_TRUE(lines_start_with(list.out, id + " ")) << list.out;

  const CtlResult removed = ctl({"sources", "remove", kRoom, id});
  EXPECT_EQ(removed.exit_code, 0) << describe(removed);
  EXPECT_TRUE(wait_until(
      [&] {
        return !lines_start_with(ctl({"participants", "list", kRoom}).out, id + " ");
      },
      10));
  const CtlResult no_uri = ctl({"sources", "add", kRoom, "--name", "D", "--uri", "bogus://x"});
  EXPECT_EQ(no_uri.exit_code, 5) << describe(no_uri);
}

// The output controls: an RTMP push added and removed, HLS and the recording
// stopped and started, the recording split; conflicts are exit 5.
TEST_F(Mixcastctl, OutputsHlsAndRecordingControls) {
  const CtlResult list = ctl({"outputs", "list", kRoom});
  ASSERT_EQ(list.exit_code, 0) << describe(list);
  EXPECT_TRUE(lines_start_with(list.out, "NAME       KIND       STATE")) << list.out;
  EXPECT_TRUE(lines_start_with(list.out, "hls ")) << list.out;
  EXPECT_TRUE(lines_start_with(list.out, "recording ")) << list.out;

  // An RTMP push to a port where nobody listens: it is added and retries.
  const std::string dead = "rtmp://127.0.0.1:" + std::to_string(free_tcp_port()) + "/live/key";
  const CtlResult added = ctl({"outputs", "add", kRoom, "--url", dead, "--name", "cdn"});
  ASSERT_EQ(added.exit_code, 0) << describe(added);
  EXPECT_TRUE(lines_start_with(added.out, "cdn   rtmp")) << added.out;
  EXPECT_EQ(added.out.find("/live/key"), std::string::npos) << "stream keys are not shown";
  const CtlResult json = ctl({"--json", "outputs", "list", kRoom});
  EXPECT_NE(json.out.find("\"cdn\""), std::string::npos) << json.out;
  EXPECT_EQ(ctl({"outputs", "add", kRoom, "--url", dead, "--name", "cdn"}).exit_code, 5);
  const CtlResult removed = ctl({"outputs", "remove", kRoom, "cdn"});
  EXPECT_EQ(removed.exit_code, 0) << describe(removed);
  EXPECT_EQ(removed.out, "output 'cdn' removed\n");
  EXPECT_FALSE(lines_start_with(ctl({"outputs", "list", kRoom}).out, "cdn "));
  EXPECT_EQ(ctl({"outputs", "remove", kRoom, "no-such-output"}).exit_code, 4);

  // HLS off and on again; a second stop is a conflict.
  const CtlResult hls_stop = ctl({"hls", "stop", kRoom});
  EXPECT_EQ(hls_stop.exit_code, 0) << describe(hls_stop);
  EXPECT_FALSE(lines_start_with(hls_stop.out, "hls ")) << hls_stop.out;
  EXPECT_EQ(ctl({"hls", "stop", kRoom}).exit_code, 5);
  CtlResult hls_start;
  EXPECT_TRUE(wait_until(
      [&] {
        return (hls_start = ctl({"hls", "start", kRoom})).exit_code == 0;
      },
      10))
      << describe(hls_start);
  EXPECT_TRUE(lines_start_with(hls_start.out, "hls ")) << hls_start.out;

  // The recording: split, stop (a finished file), split refused, start again.
  const CtlResult split = ctl({"recording", "split", kRoom});
  EXPECT_EQ(split.exit_code, 0) << describe(split);
  const CtlResult stop = ctl({"recording", "stop", kRoom});
  EXPECT_EQ(stop.exit_code, 0) << describe(stop);
  EXPECT_FALSE(lines_start_with(stop.out, "recording ")) << stop.out;
  EXPECT_EQ(ctl({"recording", "split", kRoom}).exit_code, 5);
  EXPECT_TRUE(wait_until(
      [&] {
        const CtlResult r = ctl({"recordings", "list", kRoom});
        return r.out.find("  finished\n") != std::string::npos;
      },
      15))
      << ctl({"recordings", "list", kRoom}).out;
  CtlResult start;
  EXPECT_TRUE(wait_until(
      [&] {
        return (start = ctl({"recording", "start", kRoom})).exit_code == 0;
      },
      10))
      << describe(start);
}

// https with a private CA: --cacert makes it trusted, without it the TLS
// handshake fails (exit 7).
TEST(MixcastctlHttps, CacertTrustsAPrivateCa) {
  ServerUnderTest server("mixcastctl-https");
  const std::string tls = server.dir().file("tls");
  int made = -1;
  run_command(
      shell_quote(source_root() + "/tests/tools/make-test-ca") + " " + shell_quote(tls) + " 2>&1",
      &made);
  ASSERT_EQ(made, 0);
  std::string config =
      "log_level: info\nhttp:\n  port: {port}\n"
      "  tls_certificate: tls/server.pem\n  tls_key: tls/server.key\n"
      "paths:\n  layouts: {root}/config/layouts\n  pipelines: {root}/pipelines\n"
      "  hls: {dir}/hls\n  recordings: {dir}/recordings\n"
      "rooms: []\n";
  const std::string ca = tls + "/ca.pem";
  ASSERT_TRUE(server.start(config, 20, [&](int port) {
    return run_ctl({"--cacert", ca, "--server", "https://127.0.0.1:" + std::to_string(port),
                    "--timeout", "2", "health"})
               .exit_code == 0;
  })) << server.log();
  const std::string https = "https://127.0.0.1:" + std::to_string(server.port());
  const std::string by_name = "https://localhost:" + std::to_string(server.port());

  const CtlResult trusted = run_ctl({"--cacert", ca, "rooms", "list"}, {{"MIXCAST_URL", by_name}});
  EXPECT_EQ(trusted.exit_code, 0) << describe(trusted);
  EXPECT_TRUE(lines_start_with(trusted.out, "NAME ")) << trusted.out;

  const CtlResult untrusted = run_ctl({"--timeout", "5", "health"}, {{"MIXCAST_URL", https}});
  EXPECT_EQ(untrusted.exit_code, 7) << describe(untrusted);
  EXPECT_NE(untrusted.err.find("--cacert"), std::string::npos) << untrusted.err;

  // The CA of another server is no help.
  const std::string other = server.dir().file("other");
  run_command(
      shell_quote(source_root() + "/tests/tools/make-test-ca") + " " + shell_quote(other) + " 2>&1",
      &made);
  const CtlResult wrong_ca = run_ctl({"--cacert", other + "/ca.pem", "--timeout", "5", "health"},
                                     {{"MIXCAST_URL", https}});
  EXPECT_EQ(wrong_ca.exit_code, 7) << describe(wrong_ca);

  const CtlResult not_pem =
      run_ctl({"--cacert", tls + "/server.key", "health"}, {{"MIXCAST_URL", https}});
  EXPECT_EQ(not_pem.exit_code, 2) << describe(not_pem);
}

}  // namespace
}  // namespace mixcast::testing
