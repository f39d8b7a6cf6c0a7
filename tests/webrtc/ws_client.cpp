#include "ws_client.h"

#include <json-glib/json-glib.h>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace mixcast::testing {

namespace {

WsReceived parse(const std::string& text) {
  WsReceived out;
  out.raw = text;
  JsonParser* parser = json_parser_new();
  if (json_parser_load_from_data(parser, text.c_str(), -1, nullptr)) {
    JsonNode* root = json_parser_get_root(parser);
    if (root && JSON_NODE_HOLDS_OBJECT(root)) {
      JsonObject* object = json_node_get_object(root);
      GList* members = json_object_get_members(object);
      for (GList* m = members; m; m = m->next) {
        const char* name = static_cast<const char*>(m->data);
        JsonNode* node = json_object_get_member(object, name);
        if (!JSON_NODE_HOLDS_VALUE(node)) continue;
        if (json_node_get_value_type(node) == G_TYPE_STRING)
          out.fields[name] = json_node_get_string(node);
        else if (json_node_get_value_type(node) == G_TYPE_INT64)
          out.fields[name] = std::to_string(json_node_get_int(node));
      }
      g_list_free(members);
    }
  }
  g_object_unref(parser);
  if (!out.fields.count("type")) out.fields["type"] = "";
  return out;
}

}  // namespace

WsClient::WsClient(int port) {
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  thread_ = std::thread([this, port] { run(port); });
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, std::chrono::seconds(5), [this] { return connect_done_; }) ||
      !connection_) {
    const std::string error = connect_error_.empty() ? "timed out" : connect_error_;
    lock.unlock();
    g_main_loop_quit(loop_);
    thread_.join();
    throw std::runtime_error("WebSocket connect failed: " + error);
  }
}

void WsClient::run(int port) {
  g_main_context_push_thread_default(context_);
  session_ = soup_session_new();
  SoupMessage* msg =
      soup_message_new("GET", ("ws://127.0.0.1:" + std::to_string(port) + "/ws").c_str());
  soup_session_websocket_connect_async(session_, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
                                       &WsClient::on_connected, this);
  g_object_unref(msg);
  g_main_loop_run(loop_);
  if (connection_) {
    g_signal_handlers_disconnect_by_data(connection_, this);
    g_object_unref(connection_);
    connection_ = nullptr;
  }
  g_object_unref(session_);
  // Let libsoup finish what it started on this context.
  while (g_main_context_iteration(context_, FALSE)) {
  }
  g_main_context_pop_thread_default(context_);
}

WsClient::~WsClient() {
  // A clean close handshake, as a browser closing the page does.
  close();
  wait_closed(3);
  g_main_loop_quit(loop_);
  if (thread_.joinable()) thread_.join();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void WsClient::on_connected(GObject* session, GAsyncResult* result, gpointer data) {
  auto* self = static_cast<WsClient*>(data);
  GError* error = nullptr;
  SoupWebsocketConnection* connection =
      soup_session_websocket_connect_finish(SOUP_SESSION(session), result, &error);
  std::lock_guard<std::mutex> lock(self->mutex_);
  if (connection) {
    self->connection_ = connection;
    soup_websocket_connection_set_max_incoming_payload_size(connection, 1 << 20);
    g_signal_connect(connection, "message", G_CALLBACK(&WsClient::on_message), self);
    g_signal_connect(connection, "closed", G_CALLBACK(&WsClient::on_closed), self);
  } else {
    self->connect_error_ = error ? error->message : "?";
    g_clear_error(&error);
  }
  self->connect_done_ = true;
  self->changed_.notify_all();
}

void WsClient::on_message(SoupWebsocketConnection*, gint, GBytes* bytes, gpointer data) {
  auto* self = static_cast<WsClient*>(data);
  gsize size = 0;
  const auto* text = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  WsReceived message = parse(std::string(text ? text : "", size));
  std::lock_guard<std::mutex> lock(self->mutex_);
  self->received_.push_back(std::move(message));
  self->changed_.notify_all();
}

void WsClient::on_closed(SoupWebsocketConnection*, gpointer data) {
  auto* self = static_cast<WsClient*>(data);
  std::lock_guard<std::mutex> lock(self->mutex_);
  self->closed_ = true;
  self->changed_.notify_all();
}

void WsClient::send(const std::string& text) {
  auto* copy = new std::string(text);
  auto* target = new std::pair<WsClient*, std::string*>(this, copy);
  g_main_context_invoke_full(
      context_, G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto* t = static_cast<std::pair<WsClient*, std::string*>*>(data);
        if (t->first->connection_ &&
            soup_websocket_connection_get_state(t->first->connection_) == SOUP_WEBSOCKET_STATE_OPEN)
          soup_websocket_connection_send_text(t->first->connection_, t->second->c_str());
        return G_SOURCE_REMOVE;
      },
      target,
      [](gpointer data) {
        auto* t = static_cast<std::pair<WsClient*, std::string*>*>(data);
        delete t->second;
        delete t;
      });
}

std::optional<WsReceived> WsClient::take(const std::string& type, double timeout_s,
                                         const std::string& key, const std::string& value) {
  std::unique_lock<std::mutex> lock(mutex_);
  std::optional<WsReceived> found;
  changed_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] {
    for (auto it = received_.begin(); it != received_.end(); ++it) {
      if (it->type() == type && (key.empty() || it->get(key) == value)) {
        found = std::move(*it);
        received_.erase(it);
        return true;
      }
    }
    return false;
  });
  return found;
}

std::vector<WsReceived> WsClient::take_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(received_, {});
}

bool WsClient::closed() {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

bool WsClient::wait_closed(double timeout_s) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::duration<double>(timeout_s),
                           [this] { return closed_; });
}

void WsClient::close() {
  g_main_context_invoke(
      context_,
      [](gpointer data) -> gboolean {
        auto* self = static_cast<WsClient*>(data);
        if (self->connection_ &&
            soup_websocket_connection_get_state(self->connection_) == SOUP_WEBSOCKET_STATE_OPEN)
          soup_websocket_connection_close(self->connection_, SOUP_WEBSOCKET_CLOSE_NORMAL, "");
        return G_SOURCE_REMOVE;
      },
      this);
}

}  // namespace mixcast::testing

namespace mixcast::testing {
std::string ws_json(const std::vector<std::pair<std::string, std::string>>& strings,
                    const std::vector<std::pair<std::string, int>>& integers) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  for (const auto& [k, v] : strings) {
    json_builder_set_member_name(b, k.c_str());
    json_builder_add_string_value(b, v.c_str());
  }
  for (const auto& [k, v] : integers) {
    json_builder_set_member_name(b, k.c_str());
    json_builder_add_int_value(b, v);
  }
  json_builder_end_object(b);
  JsonGenerator* gen = json_generator_new();
  JsonNode* root = json_builder_get_root(b);
  json_generator_set_root(gen, root);
  gchar* text = json_generator_to_data(gen, nullptr);
  std::string out = text;
  g_free(text);
  json_node_unref(root);
  g_object_unref(gen);
  g_object_unref(b);
  return out;
}
}  // namespace mixcast::testing
