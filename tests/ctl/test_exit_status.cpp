#include <gtest/gtest.h>

#include "ctl/exit_status.h"

namespace mixcast::ctl {
namespace {

TEST(ExitStatus, EachStatusHasTheDocumentedCode) {
  const std::pair<int, int> cases[] = {
      {200, 0}, {201, 0}, {202, 0}, {204, 0}, {206, 0},  // done
      {401, 3}, {403, 3},                                // refused
      {404, 4},                                          // not found
      {400, 5}, {409, 5}, {413, 5}, {415, 5}, {422, 5},  // rejected
      {500, 6}, {502, 6}, {503, 6}, {504, 6}, {599, 6},  // server error
      {301, 1}, {405, 1}, {416, 1}, {429, 1}, {100, 1},  // anything else
  };
  for (const auto& [status, exit] : cases) EXPECT_EQ(code(exit_for_status(status)), exit) << status;
  // The codes that do not come from a status.
  EXPECT_EQ(code(Exit::Usage), 2);
  EXPECT_EQ(code(Exit::Unreachable), 7);
  EXPECT_EQ(code(Exit::Other), 1);
}

TEST(ExitStatus, FailureFromTheServersErrorDocument) {
  const ApiFailure f = parse_failure(422, "Unprocessable Entity", R"({"error": {
      "code": 422, "message": "the layout does not validate", "field": "regions[0].x",
      "issues": [
        {"line": 4, "column": 8, "field": "regions[0].x", "message": "is off the canvas"},
        {"line": 0, "column": 0, "field": "", "message": "no regions"},
        {"line": 5, "field": "regions[0].show", "message": "unknown value"},
        "not an issue"
      ]}})");
  EXPECT_EQ(f.status, 422);
  EXPECT_EQ(f.message, "the layout does not validate");
  EXPECT_EQ(f.field, "regions[0].x");
  ASSERT_EQ(f.issues.size(), 3u);
  EXPECT_EQ(failure_lines(f, "broken.yaml"),
            (std::vector<std::string>{
                "mixcastctl: 422: the layout does not validate (field: regions[0].x)",
                "broken.yaml:4:8: regions[0].x: is off the canvas",
                "broken.yaml: no regions",
                "broken.yaml:5: regions[0].show: unknown value",
            }));
}

TEST(ExitStatus, FailureLines) {
  struct Case {
    int status;
    std::string reason;
    std::string body;
    std::string source;
    std::vector<std::string> lines;
  };
  const Case cases[] = {
      {404,
       "Not Found",
       R"({"error": {"code": 404, "message": "no room named 'x'"}})",
       "",
       {"mixcastctl: 404: no room named 'x'"}},
      {400,
       "Bad Request",
       R"({"error": {"code": 400, "message": "'uri' is required", "field": "uri"}})",
       "",
       {"mixcastctl: 400: 'uri' is required (field: uri)"}},
      // Issues of a body that came from no file.
      {400,
       "Bad Request",
       R"({"error": {"code": 400, "message": "bad room", "issues": [{"line": 1, "column": 9,
           "field": "width", "message": "expected a whole number"}]}})",
       "",
       {"mixcastctl: 400: bad room", "request:1:9: width: expected a whole number"}},
      // Not the API's JSON: a proxy's page, an empty body.
      {502,
       "Bad Gateway",
       "<html>\n<h1>502 Bad Gateway</h1></html>",
       "",
       {"mixcastctl: 502: <html>"}},
      {503, "Service Unavailable", "", "", {"mixcastctl: 503: Service Unavailable"}},
      {500, "", "", "", {"mixcastctl: 500: no message"}},
      {500,
       "Internal Server Error",
       R"({"error": {"code": 500}})",
       "",
       {"mixcastctl: 500: Internal Server Error"}},
      // A message with control characters is shown, not obeyed.
      {409,
       "Conflict",
       "{\"error\": {\"message\": \"a\\u001b[2Jb\"}}",
       "",
       {"mixcastctl: 409: a?[2Jb"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    EXPECT_EQ(failure_lines(parse_failure(c.status, c.reason, c.body), c.source), c.lines);
  }
}

}  // namespace
}  // namespace mixcast::ctl
