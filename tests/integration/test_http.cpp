// The HTTP front: health, API errors, and file serving that never leaves its
// directories.
#include <gtest/gtest.h>

#include <filesystem>

#include "integration_support.h"

namespace mixcast::testing {
namespace {

constexpr const char* kRoom = "studio";

TEST(Http, HealthApiErrorsAndPathTraversal) {
  ServerUnderTest server("http");
  ASSERT_TRUE(server.start(small_room_config(kRoom,
                                             "      hls: {enabled: true, segment_s: 2}\n"
                                             "      recording: {enabled: true}\n"
                                             "      rtmp: []\n")))
      << server.log();
  // Files that must never be served: one next to the HLS and recordings
  // directories, and the system's password file.
  write_file(server.dir().file("secret.txt"), "TOP-SECRET\n");

  const HttpResponse health = server.get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(json_has_member(health.body, "status")) << health.body;

  const HttpResponse rooms = server.get("/api/v1/rooms");
  EXPECT_EQ(rooms.status, 200);
  EXPECT_TRUE(json_has_member(rooms.body, "rooms")) << rooms.body;
  EXPECT_NE(rooms.body.find("\"studio\""), std::string::npos) << rooms.body;
  EXPECT_EQ(server.get("/api/v1/rooms/studio").status, 200);
  // The room says where its participants are in the picture, and what its
  // input guards did (nothing, for clean synthetic sources).
  EXPECT_TRUE(wait_until(
      [&] {
        const std::string room = server.get("/api/v1/rooms/studio").body;
        return room.find("\"tiles\"") != std::string::npos &&
               room.find("\"participant\"", room.find("\"tiles\"")) != std::string::npos;
      },
      10))
      << server.get("/api/v1/rooms/studio").body;
  const std::string room = server.get("/api/v1/rooms/studio").body;
  EXPECT_NE(room.find("\"dropped_untimestamped\" : 0"), std::string::npos) << room;
  EXPECT_NE(room.find("\"core_rebuilds\" : 0"), std::string::npos) << room;

  // Rebuilding a room's core is a POST; other methods and unknown rooms are refused.
  EXPECT_EQ(http_request("GET", server.port(), "/api/v1/rooms/studio/rebuild").status, 405);
  const HttpResponse unknown = http_request("POST", server.port(), "/api/v1/rooms/nope/rebuild");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(json_has_member(unknown.body, "error")) << unknown.body;

  const HttpResponse missing = server.get("/api/v1/rooms/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(json_has_member(missing.body, "error")) << missing.body;
  const HttpResponse no_endpoint = server.get("/api/v1/nope");
  EXPECT_EQ(no_endpoint.status, 404);
  EXPECT_TRUE(json_has_member(no_endpoint.body, "error")) << no_endpoint.body;

  // Real files are served, so the 404s below come from the path checks.
  const std::string playlist = std::string("/hls/") + kRoom + "/index.m3u8";
  EXPECT_TRUE(wait_until([&] { return server.get(playlist).status == 200; }, 15)) << server.log();
  EXPECT_TRUE(wait_until(
      [&] {
        const HttpResponse listing = server.get(std::string("/recordings/") + kRoom + "/");
        return listing.status == 200 && listing.body.find(".mp4") != std::string::npos;
      },
      15));

  // Ranges of a served file (core/byte_range): cut to the file, one range
  // or the whole file, 416 when nothing starts inside it.
  std::string page;
  for (int i = 0; i < 1000; ++i) page += static_cast<char>('a' + i % 26);
  std::filesystem::create_directories(server.dir().file("recordings/take"));
  write_file(server.dir().file("recordings/take/range.bin"), page);
  const std::string file = "/recordings/take/range.bin";
  ASSERT_EQ(server.get(file).body, page);
  const std::string size = std::to_string(page.size());
  auto ranged = [&](const std::string& range) {
    return http_exchange(server.port(), "GET", file, {{"Range", range}});
  };
  auto content_range = [](const HttpResponse& response) {
    auto it = response.headers.find("content-range");
    return it == response.headers.end() ? std::string() : it->second;
  };
  const HttpResponse first = ranged("bytes=0-9");
  EXPECT_EQ(first.status, 206);
  EXPECT_EQ(first.body, page.substr(0, 10));
  EXPECT_EQ(content_range(first), "bytes 0-9/" + size);
  // Past the end, and a suffix longer than the file (libsoup's own answer to
  // both was an empty 206).
  const HttpResponse past_end = ranged("bytes=90-999999999");
  EXPECT_EQ(past_end.status, 206);
  EXPECT_EQ(past_end.body, page.substr(90));
  EXPECT_EQ(content_range(past_end), "bytes 90-" + std::to_string(page.size() - 1) + "/" + size);
  const HttpResponse long_suffix = ranged("bytes=-999999999");
  EXPECT_EQ(long_suffix.status, 206);
  EXPECT_EQ(long_suffix.body, page);
  EXPECT_EQ(ranged("bytes=-10").body, page.substr(page.size() - 10));
  // Several ranges: the whole file, not a multipart body.
  const HttpResponse several = ranged("bytes=0-0,5-5,10-10");
  EXPECT_EQ(several.status, 200);
  EXPECT_EQ(several.body, page);
  const HttpResponse outside = ranged("bytes=" + size + "-");
  EXPECT_EQ(outside.status, 416);
  EXPECT_EQ(outside.body, "");
  EXPECT_EQ(content_range(outside), "bytes */" + size);
  EXPECT_EQ(ranged("bytes=5-1").status, 200);
  // No validators are sent, so an If-Range never matches: the whole file.
  const HttpResponse if_range =
      http_exchange(server.port(), "GET", file, {{"Range", "bytes=0-9"}, {"If-Range", "\"x\""}});
  EXPECT_EQ(if_range.status, 200);
  EXPECT_EQ(if_range.body, page);

  // Plain dot segments reach the server's own checks: 404, as for any file
  // that is not there.
  const char* plain[] = {
      "/hls/../../etc/passwd",
      "/hls/../../../../../../etc/passwd",
      "/hls/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/hls/studio/../../secret.txt",
      "/hls/%2Fetc%2Fpasswd",
      "/recordings/../secret.txt",
      "/recordings/../",
      "/../../../../etc/passwd",
  };
  // Encoded slashes: libsoup itself answers 400 Bad Request to some of these,
  // which is as good a refusal.
  const char* encoded[] = {
      "/hls/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
      "/hls/studio/..%2F..%2Fsecret.txt",
      "/hls/..%2fsecret.txt",
      "/hls/%2e%2e%2fsecret.txt",
      "/recordings/..%2fsecret.txt",
      "/recordings/studio/..%2F..%2Fsecret.txt",
      "/recordings/..%2F..%2F..%2Fetc/",
      "/..%2Fsecret.txt",
      "/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
  };
  auto no_leak = [](const char* path, const HttpResponse& response) {
    EXPECT_EQ(response.body.find("root:"), std::string::npos) << path << " leaked /etc/passwd";
    EXPECT_EQ(response.body.find("TOP-SECRET"), std::string::npos) << path << " leaked a file";
  };
  for (const char* path : plain) {
    const HttpResponse response = server.get(path);
    EXPECT_EQ(response.status, 404) << path << "\n" << response.body;
    no_leak(path, response);
  }
  for (const char* path : encoded) {
    const HttpResponse response = server.get(path);
    EXPECT_TRUE(response.status == 404 || response.status == 400)
        << path << ": " << response.status << "\n"
        << response.body;
    no_leak(path, response);
  }

  // Still up and serving.
  EXPECT_TRUE(server.process()->running());
  EXPECT_EQ(server.get("/healthz").status, 200);
  EXPECT_EQ(server.get(playlist).status, 200);
}

}  // namespace
}  // namespace mixcast::testing
