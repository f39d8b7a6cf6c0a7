// HTTPS on the server's one port (http.tls_certificate, http.tls_key): a
// client that trusts the test CA gets the API over https://, one that does
// not is refused by its own verification, plain HTTP gets no answer; bad
// certificate or key files stop the start with the file and the field named.
// The CA and the certificate are made here with openssl (tests/tools/make-test-ca).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <csignal>
#include <cstdio>

#include "integration_support.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "secure";

// A CA and a server certificate for 127.0.0.1 and localhost in `dir`.
bool make_test_ca(const std::string& dir) {
  int code = -1;
  run_command(
      shell_quote(source_root() + "/tests/tools/make-test-ca") + " " + shell_quote(dir) + " 2>&1",
      &code);
  return code == 0;
}

struct CurlResult {
  int exit_code = -1;  // curl's: 0 done, 60 the peer's certificate was not verified
  std::string status;  // "200"
  std::string body;
  std::string error;
};

// GET `url` with curl (`options` before the URL, e.g. "--cacert ca.pem").
CurlResult curl(const TempDir& dir, const std::string& options, const std::string& url) {
  CurlResult result;
  const std::string body = dir.file("curl-body"), error = dir.file("curl-error");
  result.status =
      run_command("curl -sS --max-time 5 -o " + shell_quote(body) + " -w '%{http_code}' " +
                      options + " " + shell_quote(url) + " 2>" + shell_quote(error),
                  &result.exit_code);
  result.body = read_file(body);
  result.error = read_file(error);
  std::remove(body.c_str());
  return result;
}

std::string https_config(const std::string& certificate, const std::string& key) {
  std::string config = small_room_config(kRoom,
                                         "      hls: {enabled: false}\n"
                                         "      recording: {enabled: false}\n"
                                         "      rtmp: []\n");
  const std::string port = "  port: {port}\n";
  config.replace(config.find(port), port.size(),
                 port + "  tls_certificate: " + certificate + "\n  tls_key: " + key + "\n");
  return config;
}

// What ServerUnderTest does to a config, for one that is run by hand.
std::string fill(std::string config, const std::string& dir) {
  const std::pair<std::string, std::string> values[] = {
      {"{root}", source_root()}, {"{dir}", dir}, {"{port}", std::to_string(free_tcp_port())}};
  for (const auto& [key, value] : values)
    for (size_t at; (at = config.find(key)) != std::string::npos;)
      config.replace(at, key.size(), value);
  return config;
}

TEST(Https, ServesTheApiToClientsThatTrustTheCa) {
  ServerUnderTest server("https");
  // In the config's own directory, named relative to it (as an operator would).
  const std::string tls = server.dir().file("tls");
  ASSERT_TRUE(make_test_ca(tls));
  const std::string ca = "--cacert " + shell_quote(tls + "/ca.pem");
  ASSERT_TRUE(server.start(https_config("tls/server.pem", "tls/server.key"), 20, [&](int port) {
    return curl(server.dir(), ca, "https://127.0.0.1:" + std::to_string(port) + "/healthz")
               .status == "200";
  })) << server.log();
  const std::string base = "https://127.0.0.1:" + std::to_string(server.port());

  const CurlResult health = curl(server.dir(), ca, base + "/healthz");
  EXPECT_EQ(health.exit_code, 0) << health.error;
  EXPECT_EQ(health.status, "200");
  EXPECT_TRUE(json_has_member(health.body, "status")) << health.body;
  // The certificate names localhost too.
  const CurlResult by_name = curl(
      server.dir(), ca + " --resolve localhost:" + std::to_string(server.port()) + ":127.0.0.1",
      "https://localhost:" + std::to_string(server.port()) + "/healthz");
  EXPECT_EQ(by_name.status, "200") << by_name.error;

  const CurlResult rooms = curl(server.dir(), ca, base + "/api/v1/rooms");
  EXPECT_EQ(rooms.status, "200") << rooms.error;
  EXPECT_TRUE(json_has_member(rooms.body, "rooms")) << rooms.body;
  EXPECT_NE(rooms.body.find(std::string("\"") + kRoom + "\""), std::string::npos) << rooms.body;
  const CurlResult room = curl(server.dir(), ca, base + "/api/v1/rooms/" + kRoom);
  EXPECT_EQ(room.status, "200") << room.error;
  EXPECT_NE(room.body.find("\"Alice\""), std::string::npos) << room.body;

  // Without the CA, curl's own verification refuses the server (60: the
  // peer's certificate cannot be authenticated); nothing is fetched.
  const CurlResult untrusted = curl(server.dir(), "", base + "/healthz");
  EXPECT_EQ(untrusted.exit_code, 60) << untrusted.error;
  EXPECT_EQ(untrusted.status, "000");
  EXPECT_NE(untrusted.error.find("certificate"), std::string::npos) << untrusted.error;

  // The port speaks TLS only: a plain HTTP request gets no HTTP answer.
  EXPECT_EQ(server.get("/healthz").status, 0);
  // The server still answers afterwards.
  EXPECT_EQ(curl(server.dir(), ca, base + "/healthz").status, "200");

  // The log gives operators the https:// URL.
  EXPECT_NE(server.log().find("HTTP on " + base), std::string::npos) << server.log();
  EXPECT_NE(server.log().find("HTTPS with " + tls + "/server.pem"), std::string::npos)
      << server.log();

  const int status = server.process()->stop(SIGTERM, 15);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << server.log();
}

struct BadFiles {
  const char* name;
  const char* certificate;  // in the test CA's directory
  const char* key;
  const char* field;    // named in the message
  const char* file;     // the file named
  const char* message;  // a part of the message
};

TEST(Https, BadCertificateOrKeyStopsTheStartNamingFileAndField) {
  TempDir dir("https-bad");
  const std::string tls = dir.file("tls");
  ASSERT_TRUE(make_test_ca(tls));
  write_file(tls + "/garbage.pem", "this is not PEM\n");
  const BadFiles cases[] = {
      {"key is not PEM", "server.pem", "garbage.pem", "http.tls_key", "garbage.pem",
       "No PEM-encoded private key found"},
      {"key of another certificate", "server.pem", "ca.key", "http.tls_key", "ca.key",
       "is not the private key of the certificate in"},
      {"no key file", "server.pem", "missing.key", "http.tls_key", "missing.key", "no such file"},
      {"certificate is a key", "server.key", "server.key", "http.tls_certificate", "server.key",
       "No PEM-encoded certificate found"},
      {"no certificate file", "missing.pem", "server.key", "http.tls_certificate", "missing.pem",
       "no such file"},
  };
  for (const BadFiles& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string config =
        fill(https_config(tls + "/" + c.certificate, tls + "/" + c.key), dir.path());
    const std::string config_file = dir.file("mixcast.yaml");
    write_file(config_file, config);
    // The field's line: "  tls_certificate:" is line 4, "  tls_key:" line 5.
    const std::string place =
        config_file + ":" + (std::string(c.field) == "http.tls_key" ? "5" : "4") + ":";
    const std::string expected_file = tls + "/" + c.file;
    for (const char* mode : {"--config", "--check-config"}) {
      int exit_code = -1;
      const std::string out = run_command("timeout 20 " + shell_quote(mixcast_binary()) + " " +
                                              mode + " " + shell_quote(config_file) + " 2>&1",
                                          &exit_code);
      EXPECT_EQ(exit_code, 1) << mode << ":\n" << out;
      EXPECT_NE(out.find(place), std::string::npos) << mode << ":\n" << out;
      EXPECT_NE(out.find(std::string(c.field) + ": "), std::string::npos) << mode << ":\n" << out;
      EXPECT_NE(out.find(expected_file), std::string::npos) << mode << ":\n" << out;
      EXPECT_NE(out.find(c.message), std::string::npos) << mode << ":\n" << out;
    }
  }
}

// GIO finds its TLS backend in glib-networking (scripts/bootstrap installs
// it); without one the start says so instead of failing on the first client.
TEST(Https, WithoutATlsBackendTheStartSaysWhatToInstall) {
  TempDir dir("https-no-backend");
  const std::string tls = dir.file("tls");
  ASSERT_TRUE(make_test_ca(tls));
  const std::string config_file = dir.file("mixcast.yaml");
  write_file(config_file, fill(https_config(tls + "/server.pem", tls + "/server.key"), dir.path()));
  int exit_code = -1;
  const std::string out =
      run_command("GIO_USE_TLS=dummy timeout 20 " + shell_quote(mixcast_binary()) + " --config " +
                      shell_quote(config_file) + " 2>&1",
                  &exit_code);
  EXPECT_EQ(exit_code, 1) << out;
  EXPECT_NE(out.find(config_file + ":4:"), std::string::npos) << out;
  EXPECT_NE(out.find("http.tls_certificate: "), std::string::npos) << out;
  EXPECT_NE(out.find("install glib-networking"), std::string::npos) << out;
}

}  // namespace
}  // namespace mixcast::testing
