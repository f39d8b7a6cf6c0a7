#include "app/room_registry.h"

#include <algorithm>

#include "core/log.h"

namespace mixcast {

namespace {
// Rooms made on demand each run a pipeline and an encoder: a bound on what
// anonymous joins can start.
constexpr size_t kMaxOnDemandRooms = 16;
}  // namespace

RoomRegistry::RoomRegistry(const Config& config, Listener& listener)
    : config_(config), listener_(listener) {}

RoomRegistry::~RoomRegistry() {
  rooms_.clear();
  closing_.clear();
}

ApiResult RoomRegistry::create(const RoomConfig& config, Origin origin) {
  if (stopping_) return server_stopping_error(config_.drain_retry_after_s);
  if (!valid_room_name(config.name))
    return api_error(ErrorKind::BadRequest,
                     "a room name is 1 to 64 characters from A-Z a-z 0-9 _ -", "name");
  if (rooms_.count(config.name))
    return api_error(ErrorKind::Conflict, "a room named '" + config.name + "' is open", "name");
  if (rooms_.size() >= static_cast<size_t>(config_.limits.max_rooms)) {
    ++rooms_refused_;
    return api_error(ErrorKind::Unavailable, "the server has its most rooms open (" +
                                                 std::to_string(config_.limits.max_rooms) +
                                                 "; limits.max_rooms)");
  }
  if (origin == Origin::OnDemand) {
    const auto on_demand = std::count_if(rooms_.begin(), rooms_.end(), [](const auto& entry) {
      return entry.second.origin == Origin::OnDemand;
    });
    if (static_cast<size_t>(on_demand) >= kMaxOnDemandRooms)
      return api_error(ErrorKind::Unavailable, "too many rooms made on demand are open (" +
                                                   std::to_string(kMaxOnDemandRooms) + ")");
  }
  std::unique_ptr<Room> room;
  bool opened = false;
  try {
    room = listener_.make_room(config, *this);
    // Opened before it starts: a room emits events while starting (its
    // outputs connecting, sources that join at once), and room.started must
    // come before them.
    listener_.on_room_opened(config.name);
    opened = true;
    room->start();
  } catch (const ApiError& e) {
    if (opened) listener_.on_room_closed(config.name);
    return e;
  } catch (const std::exception& e) {
    LOG_ERROR << "room " << config.name << ": " << e.what();
    if (opened) listener_.on_room_closed(config.name);
    return api_error(ErrorKind::Unavailable, std::string("cannot create the room: ") + e.what());
  }
  Entry& entry = rooms_[config.name];
  entry.room = std::move(room);
  entry.origin = origin;
  if (origin == Origin::OnDemand) {
    LOG_INFO << "room " << config.name << " created on demand (layout " << config.layout << ")";
    // Closes again if the join that made it fails and nobody comes.
    check_idle(config.name);
  } else if (origin == Origin::Api) {
    LOG_INFO << "room " << config.name << " created over the API (layout " << config.layout << ")";
  }
  return std::nullopt;
}

Room* RoomRegistry::for_join(const std::string& name, ApiError& error) {
  if (Room* existing = find(name)) return existing;
  if (!config_.webrtc.auto_create_rooms) {
    error = api_error(ErrorKind::NotFound, "no room named '" + name + "'");
    return nullptr;
  }
  RoomConfig config;
  config.name = name;
  config.layout = config_.webrtc.room_layout;
  config.outputs = config_.default_outputs;
  if (auto failed = create(config, Origin::OnDemand)) {
    error = *failed;
    return nullptr;
  }
  return find(name);
}

Room* RoomRegistry::find(const std::string& name) const {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.room.get();
}

std::vector<const Room*> RoomRegistry::rooms() const {
  std::vector<const Room*> out;
  for (const auto& [name, entry] : rooms_) out.push_back(entry.room.get());
  return out;
}

std::optional<RoomRegistry::Origin> RoomRegistry::origin(const std::string& name) const {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return std::nullopt;
  return it->second.origin;
}

size_t RoomRegistry::element_count() const {
  size_t count = 0;
  for (const auto& [name, entry] : rooms_) count += entry.room->element_count();
  for (const auto& closing : closing_)
    if (*closing) count += (*closing)->element_count();
  return count;
}

ApiResult RoomRegistry::close(const std::string& name, const std::string& why,
                              std::function<void()> done) {
  auto node = rooms_.extract(name);
  if (node.empty()) return api_error(ErrorKind::NotFound, "no room named '" + name + "'");
  LOG_INFO << "room " << name << ": closing (" << why << ")";
  listener_.on_room_closing(name, why);
  auto closing = std::make_shared<std::unique_ptr<Room>>(std::move(node.mapped().room));
  closing_.push_back(closing);
  (*closing)->stop([this, t = lifetime_.token(), closing, name, done = std::move(done)] {
    // Not inside the room's own callback: destroy it from the main loop.
    post_to_main([this, t, closing, name, done] {
      if (!Lifetime::alive(t)) return;
      closing->reset();
      closing_.erase(std::remove(closing_.begin(), closing_.end(), closing), closing_.end());
      listener_.on_room_closed(name);
      if (done) done();
    });
  });
  return std::nullopt;
}

void RoomRegistry::close_all(std::function<void()> done) {
  stopping_ = true;
  auto remaining = std::make_shared<size_t>(rooms_.size());
  if (rooms_.empty()) {
    done();
    return;
  }
  std::vector<std::string> names;
  for (const auto& [name, entry] : rooms_) names.push_back(name);
  for (const auto& name : names)
    close(name, "the server is stopping", [remaining, done] {
      if (--*remaining == 0) done();
    });
}

void RoomRegistry::on_room_event(const std::string& room, const RoomEvent& event) {
  if (event.is_membership_change()) check_idle(room);
  listener_.on_room_event(room, event);
}

void RoomRegistry::check_idle(const std::string& name) {
  auto it = rooms_.find(name);
  if (it == rooms_.end() || it->second.origin != Origin::OnDemand || stopping_) return;
  Entry& entry = it->second;
  const double idle_s = config_.webrtc.idle_room_close_s;
  if (!entry.room->deserted() || idle_s <= 0) {
    entry.idle_close.reset();
    return;
  }
  if (entry.idle_close) return;  // already counting
  entry.idle_close = run_after(idle_s, [this, name, idle_s] {
    auto again = rooms_.find(name);
    if (again == rooms_.end() || !again->second.room->deserted()) return;
    close(name,
          "empty for " + std::to_string(static_cast<int>(idle_s)) + " s; it was made on demand",
          nullptr);
  });
}

}  // namespace mixcast
