// A WebSocket client of the server's /ws for tests: libsoup on a thread of
// its own (so messages arrive while the test waits on something else); every
// received message is kept, parsed, in order.
#pragma once

#include <glib.h>
#include <libsoup/soup.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mixcast::testing {

// A received message: its string and integer members as text.
struct WsReceived {
  std::map<std::string, std::string> fields;
  std::string raw;
  const std::string& type() const { return fields.at("type"); }
  std::string get(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? "" : it->second;
  }
};

class WsClient {
 public:
  // Connects to ws://127.0.0.1:port/ws; throws when that fails within 5 s.
  explicit WsClient(int port);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  void send(const std::string& text);
  // The first message of `type` not yet taken (optionally with field
  // `key` == `value`), waiting up to `timeout_s`.
  std::optional<WsReceived> take(const std::string& type, double timeout_s,
                                 const std::string& key = "", const std::string& value = "");
  // Every message not yet taken, without waiting.
  std::vector<WsReceived> take_all();
  bool closed();
  // Waits until the server closes the connection.
  bool wait_closed(double timeout_s);
  void close();

 private:
  void run(int port);
  static void on_connected(GObject* session, GAsyncResult* result, gpointer self);
  static void on_message(SoupWebsocketConnection*, gint type, GBytes* bytes, gpointer self);
  static void on_closed(SoupWebsocketConnection*, gpointer self);

  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  SoupSession* session_ = nullptr;
  SoupWebsocketConnection* connection_ = nullptr;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<WsReceived> received_;
  bool connect_done_ = false;
  bool closed_ = false;
  std::string connect_error_;
};

}  // namespace mixcast::testing

namespace mixcast::testing {
// {"k": "v", ...} with string members, then integer members.
std::string ws_json(const std::vector<std::pair<std::string, std::string>>& strings,
                    const std::vector<std::pair<std::string, int>>& integers = {});
}  // namespace mixcast::testing
