// The auth rules against the real server binary: admin keys on the API,
// recordings and metrics; join tokens on WHIP, WHEP, the WebSocket and the
// pages; keys from the environment; the start-up refusal of an open server
// on a public address; no secret in the log or in any answer. Tokens come
// from npm's jsonwebtoken and PyJWT (tests/integration/mint_tokens.*), which
// share no code with the server's libjwt.
//
// Runs inside tests/tools/netns-run (meson does that): the start-up checks
// bind 0.0.0.0, which must not reach any real network, and WHIP answers wait
// for ICE gathering, which needs an address other than loopback.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "auth_support.h"
#include "integration_support.h"
#include "test_support.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "studio";
constexpr const char* kKeyA = "mixcast-test-admin-key-A-0123456789";
constexpr const char* kKeyB = "mixcast-test-admin-key-B-9876543210";
constexpr const char* kWrongKey = "mixcast-test-admin-key-C-notconfigured";
constexpr const char* kSecret = "mixcast-test-token-secret-0123456789abcdef";
constexpr const char* kWrongSecret = "not-the-mixcast-token-secret-0123456789ab";

// A cheap room (320x180 at 15 fps) with one test source, a recording, and
// no room made on demand. `auth` is the value of the `auth` key.
std::string config(const std::string& auth, const std::string& address = "127.0.0.1",
                   bool with_room = true) {
  std::string text =
      "log_level: info\n"
      "http: {address: " +
      address + ", port: {port}}\n" + (auth.empty() ? "" : "auth: " + auth + "\n") +
      "media: {width: 320, height: 180, fps: 15, video_bitrate_kbps: 300}\n"
      "paths:\n"
      "  layouts: {root}/config/layouts\n"
      "  pipelines: {root}/pipelines\n"
      "  hls: {dir}/hls\n"
      "  recordings: {dir}/recordings\n"
      "webrtc: {auto_create_rooms: false, departure_timeout_s: 20}\n";
  if (!with_room) return text + "rooms: []\n";
  return text +
         "rooms:\n"
         "  - name: studio\n"
         "    layout: grid\n"
         "    outputs: {hls: {enabled: false}, recording: {enabled: true}}\n"
         "    sources:\n"
         "      - {name: Red, uri: \"test://color?color=red&tone=440\"}\n";
}

std::string keyed_auth() {
  return std::string("{api_keys: [") + kKeyA + ", " + kKeyB + "], token_secret: " + kSecret + "}";
}

// The claims of a join token, as JSON.
struct Claims {
  std::string room = kRoom;
  std::string sub = "alice";
  std::string name = "Alice Token";
  bool can_publish = true;
  bool can_subscribe = true;
  long long exp_in_s = 600;  // from now
  long long nbf_in_s = 0;    // 0: no nbf claim
};
std::string claims_json(const Claims& c) {
  const long long now = unix_now();
  std::string json = "{\"room\": " + json_quote(c.room) + ", \"sub\": " + json_quote(c.sub);
  if (!c.name.empty()) json += ", \"name\": " + json_quote(c.name);
  json += std::string(", \"can_publish\": ") + (c.can_publish ? "true" : "false") +
          ", \"can_subscribe\": " + (c.can_subscribe ? "true" : "false") +
          ", \"iat\": " + std::to_string(now) + ", \"exp\": " + std::to_string(now + c.exp_in_s);
  if (c.nbf_in_s) json += ", \"nbf\": " + std::to_string(now + c.nbf_in_s);
  return json + "}";
}

// Every kind of token the rules tell apart; far from the 30 s leeway.
std::vector<TokenSpec> token_specs(const std::string& label) {
  auto spec = [](const std::string& name, const Claims& c, const std::string& key = kSecret,
                 const std::string& alg = "HS256") {
    return TokenSpec{name, claims_json(c), key, alg};
  };
  return {
      spec("publisher", {.name = label + " Publisher"}),
      spec("publisher_unnamed", {.sub = "bob-identity", .name = ""}),
      spec("viewer", {.sub = "vera", .name = "Vera", .can_publish = false}),
      spec("publisher_no_subscribe", {.sub = "pat", .name = "Pat", .can_subscribe = false}),
      spec("other_room", {.room = "elsewhere"}),
      spec("expired", {.exp_in_s = -600}),
      spec("not_yet_valid", {.exp_in_s = 1200, .nbf_in_s = 600}),
      spec("alg_none", {}, "", "none"),
      spec("wrong_key", {}, kWrongSecret),
      spec("hs384", {}, kSecret, "HS384"),
  };
}

std::string sdp_file(const std::string& name) {
  return read_file(source_root() + "/tests/unit/data/sdp/" + name);
}
std::string publisher_offer() {
  return sdp_file("chrome-sendrecv-av.sdp");
}
std::string viewer_offer() {
  return sdp_file("chrome-recvonly-whep.sdp");
}

// Inside tests/tools/netns-run (its veth pair is there): 0.0.0.0 reaches no
// other machine.
bool in_private_network() {
  return read_file("/proc/self/net/dev").find("mx0:") != std::string::npos;
}

// The server of most tests: started once (it encodes in real time, on a
// shared machine), with tokens from both independent libraries. Every
// answer it gives through call() is kept, to look for secrets in.
struct SharedServer {
  ServerWithPages server{"auth"};
  std::map<JwtLibrary, std::map<std::string, std::string>> tokens;
  std::string start_error;
  std::string transcript;  // every status line, header and body received

  const std::string& token(const std::string& name,
                           JwtLibrary library = JwtLibrary::NodeJsonwebtoken) {
    return tokens[library][name];
  }
  HttpResponse call(const std::string& method, const std::string& path, const Headers& headers = {},
                    const std::string& body = "", const std::string& type = "") {
    HttpResponse response = http_send(server.port(), method, path, headers, body, type);
    // The answer only: the request itself holds credentials.
    transcript += std::to_string(response.status) + "\n";
    for (const auto& [name, value] : response.headers) transcript += name + ": " + value + "\n";
    transcript += response.body + "\n";
    return response;
  }
  void keep(const std::optional<std::string>& ws_message) {
    if (ws_message) transcript += "ws: " + *ws_message + "\n";
  }
  std::string room_status() { return call("GET", "/api/v1/rooms/studio", bearer(kKeyA)).body; }
  std::vector<std::string> participant_names() {
    return json_each_at(room_status(), {"participants"});
  }
};

SharedServer* g_shared = nullptr;

class SharedServerEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_shared && g_shared->server.process()) g_shared->server.process()->stop(SIGTERM, 15);
    delete g_shared;
    g_shared = nullptr;
  }
};
::testing::Environment* const g_environment =
    ::testing::AddGlobalTestEnvironment(new SharedServerEnvironment);

SharedServer& shared() {
  if (g_shared) return *g_shared;
  g_shared = new SharedServer;
  for (JwtLibrary library : {JwtLibrary::NodeJsonwebtoken, JwtLibrary::PyJwt}) {
    std::string why, error;
    if (!jwt_library_available(library, why)) continue;
    g_shared->tokens[library] =
        mint_tokens(library, token_specs(library == JwtLibrary::PyJwt ? "PyJWT" : "Node"), error);
    if (!error.empty()) g_shared->start_error += std::string(to_string(library)) + ": " + error;
  }
  if (!g_shared->server.start(config(keyed_auth()), 30))
    g_shared->start_error += "the server did not start:\n" + g_shared->server.log();
  return *g_shared;
}

// Neither a configured key nor the token secret shows in `text`.
void expect_no_secret(const std::string& text, const std::string& where,
                      const std::vector<std::string>& more = {}) {
  std::vector<std::string> secrets = {kKeyA, kKeyB, kSecret};
  secrets.insert(secrets.end(), more.begin(), more.end());
  for (const auto& secret : secrets)
    EXPECT_EQ(text.find(secret), std::string::npos) << where << " shows the secret " << secret;
}

// A 401 as RFC 6750 wants it, with our JSON error body.
void expect_401(const HttpResponse& r, const std::string& what) {
  EXPECT_EQ(r.status, 401) << what << "\n" << r.body;
  ASSERT_TRUE(r.headers.count("www-authenticate")) << what << ": no WWW-Authenticate";
  EXPECT_EQ(r.headers.at("www-authenticate").rfind("Bearer realm=\"mixcast\"", 0), 0u)
      << what << ": " << r.headers.at("www-authenticate");
  EXPECT_EQ(json_int_at(r.body, {"error", "code"}), 401) << what << "\n" << r.body;
}
void expect_403(const HttpResponse& r, const std::string& what) {
  EXPECT_EQ(r.status, 403) << what << "\n" << r.body;
  EXPECT_EQ(json_int_at(r.body, {"error", "code"}), 403) << what << "\n" << r.body;
}

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    SharedServer& s = shared();
    if (!s.start_error.empty()) GTEST_FAIL() << s.start_error;
    std::string why;
    if (!jwt_library_available(JwtLibrary::NodeJsonwebtoken, why))
      GTEST_SKIP() << "needs " << why << " to mint tokens";
  }
  void TearDown() override {
    if (!g_shared) return;
    // Still up, and nothing it said or logged holds a secret (nor, in the
    // log, a token: a bearer credential too).
    EXPECT_EQ(http_get(g_shared->server.port(), "/healthz").status, 200) << g_shared->server.log();
    std::vector<std::string> tokens;
    for (const auto& [library, named] : g_shared->tokens)
      for (const auto& [name, token] : named) tokens.push_back(token);
    expect_no_secret(g_shared->server.log(), "the server's log", tokens);
    expect_no_secret(g_shared->transcript, "an answer");
  }
  SharedServer& s() { return *g_shared; }
};

// ------------------------------------------------------------- admin routes

TEST_F(Auth, AdminRoutesTakeEitherConfiguredKeyAndNothingElse) {
  // A recording exists to be fetched.
  std::string file;
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse r = s().call("GET", "/api/v1/rooms/studio/recordings", bearer(kKeyA));
        const auto files = json_each_at(r.body, {"recordings"}, "file");
        if (files.empty()) return false;
        file = files.front();
        return true;
      },
      20))
      << s().server.log();

  const std::vector<std::string> paths = {"/api/v1/rooms", "/api/v1/rooms/studio",
                                          "/recordings/studio/" + file, "/recordings/studio/",
                                          "/metrics"};
  for (const auto& path : paths) {
    SCOPED_TRACE(path);
    expect_401(s().call("GET", path), "no credential");
    expect_401(s().call("GET", path, bearer(kWrongKey)), "a wrong admin key");
    expect_401(s().call("GET", path, {{"Authorization", std::string("Basic ") + kKeyA}}),
               "the key under another scheme");
    expect_401(s().call("GET", path, {{"Authorization", "Bearer"}}), "an empty bearer");
    // The key only in the header: a URL ends up in logs and histories.
    expect_401(s().call("GET", path + "?token=" + kKeyA), "the key in ?token=");
    // A join token, even a valid one for the room, is no admin key.
    expect_401(s().call("GET", path, bearer(s().token("publisher"))), "a join token");
    for (const char* key : {kKeyA, kKeyB}) {
      const HttpResponse ok = s().call("GET", path, bearer(key));
      EXPECT_EQ(ok.status, 200) << key << "\n" << ok.body.substr(0, 300);
    }
  }
  // The scheme's case does not matter (RFC 7235).
  EXPECT_EQ(
      s().call("GET", "/api/v1/rooms", {{"Authorization", std::string("bearer ") + kKeyB}}).status,
      200);
  // Range requests of a recording work with the key.
  const HttpResponse part =
      s().call("GET", "/recordings/studio/" + file,
               {{"Authorization", std::string("Bearer ") + kKeyA}, {"Range", "bytes=0-99"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body.size(), 100u);
  // Writes too.
  expect_401(s().call("POST", "/api/v1/tokens", {}, "{\"room\": \"studio\", \"identity\": \"x\"}",
                      "application/json"),
             "minting without a key");
  // Health stays open for probes; scripts and styles need nothing either.
  EXPECT_EQ(s().call("GET", "/healthz").status, 200);
  EXPECT_EQ(s().call("GET", "/join.js").status, 200);
}

// A token the server minted itself (POST /api/v1/tokens) works like one of
// the independent libraries'.
TEST_F(Auth, TokensFromTheApiNameTheirParticipant) {
  const HttpResponse minted =
      s().call("POST", "/api/v1/tokens", bearer(kKeyB),
               "{\"room\": \"studio\", \"identity\": \"api-guest\", \"name\": \"Api Guest\", "
               "\"ttl_s\": 300}",
               "application/json");
  ASSERT_EQ(minted.status, 201) << minted.body;
  const std::string token = json_string_at(minted.body, {"token"});
  ASSERT_FALSE(token.empty()) << minted.body;
  const HttpResponse whip =
      s().call("POST", "/whip/studio", bearer(token), publisher_offer(), "application/sdp");
  ASSERT_EQ(whip.status, 201) << whip.body;
  const auto names = s().participant_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "Api Guest"), names.end()) << s().room_status();
  EXPECT_EQ(s().call("DELETE", header(whip, "location"), bearer(token)).status, 200);
}

// ------------------------------------------------------------------- WHIP

TEST_F(Auth, WhipNeedsAPublishingTokenForTheRoomOrAnAdminKey) {
  const std::string offer = publisher_offer();
  ASSERT_FALSE(offer.empty());
  auto post = [&](const Headers& headers, const std::string& query = "") {
    return s().call("POST", "/whip/studio" + query, headers, offer, "application/sdp");
  };
  expect_401(post({}), "no credential");
  expect_401(post(bearer(kWrongKey)), "a wrong admin key");
  for (const char* name : {"expired", "not_yet_valid", "alg_none", "wrong_key", "hs384"})
    expect_401(post(bearer(s().token(name))), name);
  expect_403(post(bearer(s().token("other_room"))), "a token for another room");
  expect_403(post(bearer(s().token("viewer"))), "a viewer's token");
  EXPECT_EQ(s().participant_names().size(), 1u) << "nobody refused joined: " << s().room_status();

  // A valid token: the answer, and the token's name, not the URL's.
  const HttpResponse ok = post(bearer(s().token("publisher")), "?name=Mallory");
  ASSERT_EQ(ok.status, 201) << ok.body << s().server.log();
  EXPECT_EQ(header(ok, "content-type"), "application/sdp");
  EXPECT_EQ(ok.body.rfind("v=0", 0), 0u) << ok.body;
  EXPECT_NE(ok.body.find("a=fingerprint"), std::string::npos) << ok.body;
  const std::string session = header(ok, "location");
  ASSERT_EQ(session.rfind("/whip/studio/", 0), 0u) << session;
  auto names = s().participant_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "Node Publisher"), names.end())
      << s().room_status();
  EXPECT_EQ(std::find(names.begin(), names.end(), "Mallory"), names.end()) << s().room_status();

  // Without a name the token's identity names the participant.
  const HttpResponse unnamed = post(bearer(s().token("publisher_unnamed")), "?name=Mallory");
  ASSERT_EQ(unnamed.status, 201) << unnamed.body;
  names = s().participant_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "bob-identity"), names.end())
      << s().room_status();

  // An admin key publishes too (then ?name= names it); both keys work.
  const HttpResponse by_key_a = post(bearer(kKeyA), "?name=Operator");
  ASSERT_EQ(by_key_a.status, 201) << by_key_a.body;
  names = s().participant_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "Operator"), names.end()) << s().room_status();
  const HttpResponse by_key_b = post(bearer(kKeyB), "?name=Operator2");
  ASSERT_EQ(by_key_b.status, 201) << by_key_b.body;

  // Trickle ICE and DELETE of a session follow the same rules.
  const std::string fragment = "a=mid:0\r\na=candidate:1 1 UDP 1 10.77.0.9 9 typ host\r\n";
  expect_401(s().call("PATCH", session, {}, fragment, "application/trickle-ice-sdpfrag"),
             "PATCH without a credential");
  expect_401(s().call("DELETE", session), "DELETE without a credential");
  expect_401(s().call("DELETE", session, bearer(kWrongKey)), "DELETE with a wrong admin key");
  expect_401(s().call("DELETE", session, bearer(s().token("expired"))), "DELETE, expired token");
  expect_401(s().call("DELETE", session, bearer(s().token("alg_none"))), "DELETE, alg none");
  expect_403(s().call("DELETE", session, bearer(s().token("other_room"))),
             "DELETE with another room's token");
  expect_403(s().call("DELETE", session, bearer(s().token("viewer"))), "DELETE by a viewer");
  EXPECT_EQ(s().call("DELETE", session, bearer(s().token("publisher"))).status, 200);
  EXPECT_EQ(s().call("DELETE", session, bearer(s().token("publisher"))).status, 404);
  EXPECT_EQ(s().call("DELETE", header(unnamed, "location"), bearer(kKeyB)).status, 200);
  EXPECT_EQ(s().call("DELETE", header(by_key_a, "location"), bearer(kKeyA)).status, 200);
  EXPECT_EQ(s().call("DELETE", header(by_key_b, "location"), bearer(kKeyA)).status, 200);
  EXPECT_TRUE(wait_until([&] { return s().participant_names().size() == 1; }, 10))
      << s().room_status();
}

// ------------------------------------------------------------------- WHEP

TEST_F(Auth, WhepNeedsAWatchingTokenForTheRoomOrAnAdminKey) {
  const std::string offer = viewer_offer();
  ASSERT_FALSE(offer.empty());
  auto post = [&](const Headers& headers) {
    return s().call("POST", "/whep/studio", headers, offer, "application/sdp");
  };
  expect_401(post({}), "no credential");
  expect_401(post(bearer(kWrongKey)), "a wrong admin key");
  for (const char* name : {"expired", "not_yet_valid", "alg_none", "wrong_key", "hs384"})
    expect_401(post(bearer(s().token(name))), name);
  expect_403(post(bearer(s().token("other_room"))), "a token for another room");
  expect_403(post(bearer(s().token("publisher_no_subscribe"))), "can_subscribe false");

  const HttpResponse ok = post(bearer(s().token("viewer")));
  ASSERT_EQ(ok.status, 201) << ok.body << s().server.log();
  EXPECT_EQ(ok.body.rfind("v=0", 0), 0u) << ok.body;
  const std::string session = header(ok, "location");
  ASSERT_EQ(session.rfind("/whep/studio/", 0), 0u) << session;
  expect_401(s().call("DELETE", session), "DELETE without a credential");
  expect_403(s().call("DELETE", session, bearer(s().token("publisher_no_subscribe"))),
             "DELETE with can_subscribe false");
  EXPECT_EQ(s().call("DELETE", session, bearer(s().token("viewer"))).status, 200);

  const HttpResponse by_key = post(bearer(kKeyB));
  ASSERT_EQ(by_key.status, 201) << by_key.body;
  EXPECT_EQ(s().call("DELETE", header(by_key, "location"), bearer(kKeyB)).status, 200);
}

// Session ids are predictable ("<name>-<n>", "viewer-<n>") and shown to every
// watcher of the room: the room's publish (watch) grant alone must not let a
// guest end, or trickle candidates into, another guest's session.
TEST_F(Auth, ASessionIsEndedOnlyByTheTokenThatMadeIt) {
  const HttpResponse alice = s().call("POST", "/whip/studio", bearer(s().token("publisher")),
                                      publisher_offer(), "application/sdp");
  ASSERT_EQ(alice.status, 201) << alice.body;
  const std::string session = header(alice, "location");
  const std::string fragment = "a=mid:0\r\na=candidate:1 1 UDP 1 10.77.0.9 9 typ host\r\n";
  expect_403(s().call("PATCH", session, bearer(s().token("publisher_unnamed")), fragment,
                      "application/trickle-ice-sdpfrag"),
             "another guest trickling into Alice's session");
  expect_403(s().call("DELETE", session, bearer(s().token("publisher_unnamed"))),
             "another guest ending Alice's session");
  EXPECT_EQ(s().call("DELETE", session, bearer(s().token("publisher"))).status, 200);

  const HttpResponse watching = s().call("POST", "/whep/studio", bearer(s().token("publisher")),
                                         viewer_offer(), "application/sdp");
  ASSERT_EQ(watching.status, 201) << watching.body;
  expect_403(s().call("DELETE", header(watching, "location"), bearer(s().token("viewer"))),
             "another viewer ending a WHEP session");
  EXPECT_EQ(s().call("DELETE", header(watching, "location"), bearer(kKeyA)).status, 200);
  EXPECT_TRUE(wait_until([&] { return s().participant_names().size() == 1; }, 10))
      << s().room_status();
}

// ------------------------------------------------------------------ pages

TEST_F(Auth, PagesNeedATokenAndItsRoom) {
  for (const std::string page : {"/", "/join.html", "/view.html"}) {
    SCOPED_TRACE(page);
    expect_401(s().call("GET", page), "no credential");
    expect_401(s().call("GET", page + "?token=" + kWrongKey), "a wrong admin key");
    for (const char* name : {"expired", "not_yet_valid", "alg_none", "wrong_key", "hs384"})
      expect_401(s().call("GET", page + "?token=" + s().token(name)), name);
    expect_403(s().call("GET", page + "?token=" + s().token("publisher") + "&room=elsewhere"),
               "&room= of another room");
    expect_403(s().call("GET", page + "?room=studio&token=" + s().token("other_room")),
               "a token for another room");
    const HttpResponse ok =
        s().call("GET", page + "?token=" + s().token("viewer") + "&room=studio");
    EXPECT_EQ(ok.status, 200) << ok.body.substr(0, 200);
    EXPECT_NE(header(ok, "content-type").find("text/html"), std::string::npos);
    EXPECT_EQ(s().call("GET", page + "?token=" + s().token("publisher")).status, 200);
    EXPECT_EQ(s().call("GET", page, bearer(s().token("viewer"))).status, 200);
    EXPECT_EQ(s().call("GET", page, bearer(kKeyB)).status, 200);
  }
}

// -------------------------------------------------------------- WebSocket

std::string join_message(const std::string& role, const std::string& token = "",
                         const std::string& name = "Mallory") {
  std::string json = "{\"type\": \"join\", \"room\": \"studio\", \"name\": " + json_quote(name);
  if (!role.empty()) json += ", \"role\": " + json_quote(role);
  if (!token.empty()) json += ", \"token\": " + json_quote(token);
  const std::string sdp = role == "viewer" ? viewer_offer() : publisher_offer();
  return json + ", \"sdp\": " + json_quote(sdp) + "}";
}
std::string watch_message(const std::string& token = "") {
  return std::string("{\"type\": \"watch\", \"room\": \"studio\"") +
         (token.empty() ? "" : ", \"token\": " + json_quote(token)) + "}";
}

// Opens /ws (with ?token= when `url_token` is set), sends `message` and
// returns the first answer of type error, answer or room.
std::optional<std::string> ws_exchange(SharedServer& s, RawWebSocket& ws,
                                       const std::string& url_token, const std::string& message) {
  const std::string path = url_token.empty() ? "/ws" : "/ws?token=" + url_token;
  if (!ws.open(s.server.port(), path)) {
    ADD_FAILURE() << "WebSocket handshake: " << ws.handshake_status();
    return std::nullopt;
  }
  ws.send_text(message);
  for (int i = 0; i < 20; ++i) {
    auto reply = ws.receive(15);
    s.keep(reply);
    if (!reply) return std::nullopt;
    const std::string type = json_string_at(*reply, {"type"});
    if (type == "error" || type == "answer" || type == "room") return reply;
  }
  return std::nullopt;
}

void expect_ws_error(SharedServer& s, const std::string& url_token, const std::string& message,
                     int code, const std::string& what) {
  RawWebSocket ws;
  const auto reply = ws_exchange(s, ws, url_token, message);
  ASSERT_TRUE(reply) << what << ": no answer";
  EXPECT_EQ(json_string_at(*reply, {"type"}), "error") << what << ": " << *reply;
  EXPECT_EQ(json_int_at(*reply, {"code"}), code) << what << ": " << *reply;
}

TEST_F(Auth, WebSocketTakesTheTokenFromTheUrlOrTheMessage) {
  const std::string join = join_message("");
  // No credential: not for watching, publishing or viewing.
  expect_ws_error(s(), "", watch_message(), 401, "watch without a token");
  expect_ws_error(s(), "", join, 401, "join without a token");
  expect_ws_error(s(), "", join_message("viewer"), 401, "viewer join without a token");
  expect_ws_error(s(), kWrongKey, join, 401, "a wrong admin key in the URL");
  for (const char* name : {"expired", "not_yet_valid", "alg_none", "wrong_key", "hs384"}) {
    expect_ws_error(s(), s().token(name), join, 401, std::string(name) + " in the URL");
    expect_ws_error(s(), "", join_message("", s().token(name)), 401,
                    std::string(name) + " in the message");
    expect_ws_error(s(), "", watch_message(s().token(name)), 401, std::string(name) + " watching");
  }
  expect_ws_error(s(), s().token("other_room"), join, 403, "another room's token");
  expect_ws_error(s(), "", watch_message(s().token("other_room")), 403, "watching another room");
  expect_ws_error(s(), s().token("viewer"), join, 403, "a viewer publishing");
  expect_ws_error(s(), "", join_message("publisher", s().token("viewer")), 403,
                  "a viewer publishing, token in the message");
  expect_ws_error(s(), s().token("publisher_no_subscribe"), join_message("viewer"), 403,
                  "can_subscribe false, viewing");
  expect_ws_error(s(), "", watch_message(s().token("publisher_no_subscribe")), 403,
                  "can_subscribe false, watching");
  EXPECT_EQ(s().participant_names().size(), 1u) << "nobody refused joined: " << s().room_status();

  // Accepted: the URL's token, then the message's; the token names them.
  {
    RawWebSocket ws;
    const auto answer = ws_exchange(s(), ws, s().token("publisher"), join);
    ASSERT_TRUE(answer) << s().server.log();
    ASSERT_EQ(json_string_at(*answer, {"type"}), "answer") << *answer;
    EXPECT_NE(json_string_at(*answer, {"sdp"}).find("a=fingerprint"), std::string::npos);
    RawWebSocket ws2;
    const auto answer2 =
        ws_exchange(s(), ws2, "", join_message("", s().token("publisher_unnamed")));
    ASSERT_TRUE(answer2);
    ASSERT_EQ(json_string_at(*answer2, {"type"}), "answer") << *answer2;
    const auto names = s().participant_names();
    EXPECT_NE(std::find(names.begin(), names.end(), "Node Publisher"), names.end())
        << s().room_status();
    EXPECT_NE(std::find(names.begin(), names.end(), "bob-identity"), names.end())
        << s().room_status();
    EXPECT_EQ(std::find(names.begin(), names.end(), "Mallory"), names.end()) << s().room_status();
  }
  // Closing the sockets ended their sessions.
  EXPECT_TRUE(wait_until([&] { return s().participant_names().size() == 1; }, 10))
      << s().room_status();

  // Watching and viewing with a viewer's token.
  {
    RawWebSocket ws;
    const auto room = ws_exchange(s(), ws, s().token("viewer"), watch_message());
    ASSERT_TRUE(room);
    EXPECT_EQ(json_string_at(*room, {"type"}), "room") << *room;
    RawWebSocket ws2;
    const auto answer = ws_exchange(s(), ws2, "", join_message("viewer", s().token("viewer")));
    ASSERT_TRUE(answer);
    EXPECT_EQ(json_string_at(*answer, {"type"}), "answer") << *answer;
  }
}

// ------------------------------------------------------ hostile headers

TEST_F(Auth, AHugeAuthorizationHeaderIsRefusedCleanly) {
  const std::string offer = publisher_offer();
  // Past the server's own cap (kMaxAuthorizationBytes, 8 KiB) and within
  // limits.max_header_bytes (16 KiB): a plain 401, also for a join token's
  // lookalike (three segments), which never reaches libjwt. Past
  // max_header_bytes (and within libsoup's 64 KiB) the head itself is
  // refused, 431, before credentials are looked at. A WebSocket message is
  // not a header: 401 there.
  for (const size_t size : {size_t{5 * 1024}, size_t{9 * 1024}, size_t{30 * 1024}}) {
    SCOPED_TRACE(size);
    const std::string filler(size, 'A');
    const std::string jwt_like = "eyJ" + filler + ".eyJ" + filler + ".c2ln";
    const auto expect_refused = [&](const HttpResponse& r, const std::string& what,
                                    size_t head_bytes) {
      if (head_bytes <= 16 * 1024) return expect_401(r, what);
      EXPECT_EQ(r.status, 431) << what << "\n" << r.body;
      EXPECT_EQ(json_int_at(r.body, {"error", "code"}), 431) << what << "\n" << r.body;
    };
    for (const char* path : {"/api/v1/rooms", "/metrics", "/?room=studio"})
      expect_refused(s().call("GET", path, bearer(filler)), path, size);
    expect_refused(s().call("POST", "/whip/studio", bearer(filler), offer, "application/sdp"),
                   "WHIP", size);
    expect_refused(s().call("POST", "/whip/studio", bearer(jwt_like), offer, "application/sdp"),
                   "WHIP, a JWT lookalike", jwt_like.size());
    expect_refused(s().call("GET", "/join.html?token=" + filler), "?token=", size);
    expect_ws_error(s(), "", join_message("", filler), 401, "a big token in a join message");
  }
  // 1 MiB: libsoup (3.2) drops a connection whose request head passes
  // 64 KiB before any handler of ours sees it. Refused all the same: with
  // a 4xx, or with no answer at all, never a 2xx or a 5xx.
  const std::string huge(1 << 20, 'A');
  for (const char* path : {"/api/v1/rooms", "/metrics", "/?room=studio"}) {
    const HttpResponse r = s().call("GET", path, bearer(huge));
    EXPECT_TRUE(r.status == 0 || (r.status >= 400 && r.status < 500)) << path << " -> " << r.status;
  }
  const HttpResponse whip =
      s().call("POST", "/whip/studio", bearer(huge), offer, "application/sdp");
  EXPECT_TRUE(whip.status == 0 || (whip.status >= 400 && whip.status < 500)) << whip.status;
  RawWebSocket ws;
  EXPECT_FALSE(ws.open(s().server.port(), "/ws?token=" + huge)) << "a 1 MiB URL upgraded";
  // Still up, and still serving the right key.
  ASSERT_EQ(s().call("GET", "/healthz").status, 200) << s().server.log();
  EXPECT_EQ(s().call("GET", "/api/v1/rooms", bearer(kKeyA)).status, 200);
  EXPECT_TRUE(s().server.process()->running());
  EXPECT_EQ(s().participant_names().size(), 1u) << s().room_status();
}

// ------------------------------------------- tokens of independent libraries

class IndependentTokens : public Auth, public ::testing::WithParamInterface<JwtLibrary> {
 protected:
  void SetUp() override {
    Auth::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string why;
    if (!jwt_library_available(GetParam(), why)) GTEST_SKIP() << "needs " << why;
  }
  const std::string& token(const std::string& name) { return s().token(name, GetParam()); }
};

TEST_P(IndependentTokens, AreAcceptedOnWhipAndTheWebSocketAndTheirForgeriesAreNot) {
  const std::string label = GetParam() == JwtLibrary::PyJwt ? "PyJWT" : "Node";
  const std::string offer = publisher_offer();
  auto whip = [&](const std::string& credential) {
    return s().call("POST", "/whip/studio", bearer(credential), offer, "application/sdp");
  };
  // Refused: alg none, another key, expired, another room.
  for (const char* name : {"alg_none", "wrong_key", "expired", "not_yet_valid"}) {
    expect_401(whip(token(name)), name);
    expect_ws_error(s(), token(name), join_message(""), 401, name);
  }
  expect_403(whip(token("other_room")), "another room");
  expect_ws_error(s(), token("other_room"), join_message(""), 403, "another room");
  expect_ws_error(s(), "", join_message("", token("viewer")), 403, "viewer publishing");

  // Accepted on WHIP, named by the token.
  const HttpResponse ok = whip(token("publisher"));
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_NE(ok.body.find("a=fingerprint"), std::string::npos) << ok.body;
  auto names = s().participant_names();
  EXPECT_NE(std::find(names.begin(), names.end(), label + " Publisher"), names.end())
      << s().room_status();
  EXPECT_EQ(s().call("DELETE", header(ok, "location"), bearer(token("publisher"))).status, 200);

  // Accepted on the WebSocket, in the URL and in the message.
  RawWebSocket ws;
  const auto answer = ws_exchange(s(), ws, token("publisher"), join_message(""));
  ASSERT_TRUE(answer);
  EXPECT_EQ(json_string_at(*answer, {"type"}), "answer") << *answer;
  RawWebSocket watcher;
  const auto room = ws_exchange(s(), watcher, "", watch_message(token("viewer")));
  ASSERT_TRUE(room);
  EXPECT_EQ(json_string_at(*room, {"type"}), "room") << *room;
  EXPECT_NE(room->find(label + " Publisher"), std::string::npos) << *room;
  ws.close();
  EXPECT_TRUE(wait_until([&] { return s().participant_names().size() == 1; }, 10))
      << s().room_status();
}

INSTANTIATE_TEST_SUITE_P(Auth, IndependentTokens,
                         ::testing::Values(JwtLibrary::NodeJsonwebtoken, JwtLibrary::PyJwt),
                         [](const auto& p) {
                           return p.param == JwtLibrary::PyJwt ? "PyJWT" : "jsonwebtoken";
                         });

// ----------------------------------------------------- environment, start-up

// Restores (unsets) environment variables set for one child process.
struct ScopedEnv {
  std::vector<std::string> names;
  void set(const std::string& name, const std::string& value) {
    setenv(name.c_str(), value.c_str(), 1);
    names.push_back(name);
  }
  ~ScopedEnv() {
    for (const auto& name : names) unsetenv(name.c_str());
  }
};

TEST(AuthStartup, KeysAndSecretFromTheEnvironment) {
  std::string why;
  if (!jwt_library_available(JwtLibrary::PyJwt, why)) GTEST_SKIP() << "needs " << why;
  const std::string env_a = "env-admin-key-one-0123456789";
  const std::string env_b = "env-admin-key-two-9876543210";
  const std::string env_secret = "env-token-secret-0123456789abcdef0123";
  ServerWithPages server("auth-env");
  {
    ScopedEnv env;
    env.set("MIXCAST_API_KEYS", " " + env_a + " , " + env_b + ",");
    env.set("MIXCAST_TOKEN_SECRET", env_secret);
    // 0.0.0.0 is allowed: the environment's keys protect it.
    const std::string address = in_private_network() ? "0.0.0.0" : "127.0.0.1";
    ASSERT_TRUE(server.start(config("", address, false), 20)) << server.log();
  }
  std::string transcript;
  auto call = [&](const std::string& path, const Headers& headers) {
    HttpResponse r = http_send(server.port(), "GET", path, headers);
    transcript += r.body;
    for (const auto& [name, value] : r.headers) transcript += value;
    return r;
  };
  expect_401(call("/api/v1/rooms", {}), "no credential");
  expect_401(call("/api/v1/rooms", bearer(kKeyA)), "a key that is not configured");
  EXPECT_EQ(call("/api/v1/rooms", bearer(env_a)).status, 200);
  EXPECT_EQ(call("/api/v1/rooms", bearer(env_b)).status, 200);
  EXPECT_EQ(call("/metrics", bearer(env_b)).status, 200);
  // Tokens signed with the environment's secret open the pages.
  std::string error;
  const auto tokens = mint_tokens(
      JwtLibrary::PyJwt,
      {{"env", claims_json({}), env_secret}, {"config_secret", claims_json({}), kSecret}}, error);
  ASSERT_TRUE(error.empty()) << error;
  EXPECT_EQ(call("/?token=" + tokens.at("env"), {}).status, 200);
  expect_401(call("/?token=" + tokens.at("config_secret"), {}), "another secret");
  const std::string log = server.log();
  EXPECT_NE(log.find("auth: 2 admin API key(s)"), std::string::npos) << log;
  for (const auto& secret : {env_a, env_b, env_secret, tokens.at("env")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log shows " << secret;
    EXPECT_EQ(transcript.find(secret), std::string::npos) << "an answer shows " << secret;
  }
  EXPECT_EQ(server.process()->stop(SIGTERM, 15), 0) << server.log();
}

TEST(AuthStartup, NoKeysOnAPublicAddressRefusesToStart) {
  if (!in_private_network()) GTEST_SKIP() << "binds 0.0.0.0: run inside tests/tools/netns-run";
  TempDir dir("auth-open");
  std::string yaml = config("", "0.0.0.0", false);
  yaml.replace(yaml.find("{port}"), 6, std::to_string(free_tcp_port()));
  for (size_t at; (at = yaml.find("{root}")) != std::string::npos;)
    yaml.replace(at, 6, source_root());
  for (size_t at; (at = yaml.find("{dir}")) != std::string::npos;) yaml.replace(at, 5, dir.path());
  write_file(dir.file("mixcast.yaml"), yaml);
  Process server({mixcast_binary(), "--config", dir.file("mixcast.yaml")}, dir.file("server.log"),
                 dir.path());
  const std::string log_file = dir.file("server.log");
  ASSERT_TRUE(wait_until([&] { return !server.running(); }, 20)) << read_file(log_file);
  const int status = server.stop(SIGKILL, 1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "status " << status;
  const std::string log = read_file(log_file);
  EXPECT_NE(log.find("ERROR"), std::string::npos) << log;
  EXPECT_NE(log.find("http.address 0.0.0.0 is not a loopback address and no admin API keys are "
                     "configured"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("auth: none"), std::string::npos) << "names the way out\n" << log;
}

TEST(AuthStartup, AuthNoneOnAPublicAddressStartsWithAWarning) {
  if (!in_private_network()) GTEST_SKIP() << "binds 0.0.0.0: run inside tests/tools/netns-run";
  ServerUnderTest server("auth-none");
  ASSERT_TRUE(server.start(config("none", "0.0.0.0", false), 20)) << server.log();
  // Open to all, as configured, on every address.
  EXPECT_EQ(server.get("/api/v1/rooms").status, 200);
  EXPECT_EQ(http_request("GET", server.port(), "/api/v1/rooms", "", "", "10.77.0.1").status, 200);
  EXPECT_EQ(server.get("/metrics").status, 200);
  std::string warning;
  std::istringstream lines(server.log());
  for (std::string line; std::getline(lines, line);)
    if (line.find("auth: none") != std::string::npos) warning = line;
  EXPECT_NE(warning.find("WARN"), std::string::npos) << server.log();
  EXPECT_NE(warning.find("0.0.0.0"), std::string::npos) << warning;
  EXPECT_EQ(server.process()->stop(SIGTERM, 15), 0) << server.log();
}

// Without keys on loopback everything is open, and it says so.
TEST(AuthStartup, NoKeysOnLoopbackServesLocalClientsOpenly) {
  ServerWithPages server("auth-loopback");
  ASSERT_TRUE(server.start(config("", "127.0.0.1", false), 20)) << server.log();
  EXPECT_EQ(http_get(server.port(), "/api/v1/rooms").status, 200);
  EXPECT_EQ(http_get(server.port(), "/").status, 200);
  EXPECT_NE(server.log().find("auth: off"), std::string::npos) << server.log();
  EXPECT_EQ(server.process()->stop(SIGTERM, 15), 0) << server.log();
}

}  // namespace
}  // namespace mixcast::testing

namespace mixcast::testing {
namespace {

// auth.hls: token: the playlist and its segments need a join token that may
// watch the room (Bearer, or ?token= for players that cannot set headers).
TEST(AuthHls, TokenProtectedHlsNeedsAWatchingTokenForTheRoom) {
  ServerWithPages server("auth-hls");
  std::string yaml =
      config(std::string("{api_keys: [") + kKeyA + "], token_secret: " + kSecret + ", hls: token}");
  yaml.replace(yaml.find("hls: {enabled: false}"), 21, "hls: {enabled: true, segment_s: 1}");
  ASSERT_TRUE(server.start(yaml, 20)) << server.log();
  auto mint = [&](const std::string& room, bool can_subscribe) {
    const std::string body = "{\"room\": " + json_quote(room) +
                             ", \"identity\": \"viewer\", \"can_publish\": false, "
                             "\"can_subscribe\": " +
                             (can_subscribe ? "true" : "false") + "}";
    const HttpResponse r =
        http_send(server.port(), "POST", "/api/v1/tokens", bearer(kKeyA), body, "application/json");
    EXPECT_EQ(r.status, 201) << r.body;
    return json_string_at(r.body, {"token"});
  };
  const std::string viewer = mint(kRoom, true);
  const std::string other_room = mint("elsewhere", true);
  const std::string no_watching = mint(kRoom, false);
  ASSERT_FALSE(viewer.empty());
  const std::string playlist = std::string("/hls/") + kRoom + "/index.m3u8";
  // The playlist appears after the first segment.
  ASSERT_TRUE(wait_until(
      [&] { return http_send(server.port(), "GET", playlist, bearer(viewer)).status == 200; }, 20))
      << server.log();
  const HttpResponse by_bearer = http_send(server.port(), "GET", playlist, bearer(viewer));
  EXPECT_NE(by_bearer.body.find("#EXTM3U"), std::string::npos) << by_bearer.body;
  EXPECT_EQ(http_send(server.port(), "GET", playlist + "?token=" + viewer, {}).status, 200);
  const HttpResponse anonymous = http_send(server.port(), "GET", playlist, {});
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_FALSE(header(anonymous, "www-authenticate").empty());
  EXPECT_EQ(http_send(server.port(), "GET", playlist, bearer(other_room)).status, 403);
  EXPECT_EQ(http_send(server.port(), "GET", playlist, bearer(no_watching)).status, 403);
  // A segment the playlist names is protected the same way.
  std::string segment;
  for (size_t at = 0, end; (end = by_bearer.body.find('\n', at)) != std::string::npos;
       at = end + 1) {
    const std::string line = by_bearer.body.substr(at, end - at);
    if (!line.empty() && line[0] != '#') segment = line;
  }
  ASSERT_FALSE(segment.empty()) << by_bearer.body;
  const std::string segment_path = std::string("/hls/") + kRoom + "/" + segment;
  EXPECT_EQ(http_send(server.port(), "GET", segment_path, {}).status, 401);
  EXPECT_EQ(http_send(server.port(), "GET", segment_path + "?token=" + viewer, {}).status, 200);
}

}  // namespace
}  // namespace mixcast::testing
