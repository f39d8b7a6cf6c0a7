// The rooms of the server: those of the config, those an operator created
// over the API, and those made on demand by a join (closed again after
// webrtc.idle_room_close_s without anyone). It owns every Room, and the rooms
// still finishing their outputs after a close. Main loop only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/api_error.h"
#include "core/config.h"
#include "media/room.h"

namespace mixcast {

class RoomRegistry final : private Room::Listener {
 public:
  enum class Origin { Config, Api, OnDemand };

  class Listener {
   public:
    // Builds a room (not started); throws ApiError or std::exception.
    virtual std::unique_ptr<Room> make_room(const RoomConfig& config, Room::Listener& events) = 0;
    virtual void on_room_event(const std::string& room, const RoomEvent& event) = 0;
    // The room started (from the config, the API or a join).
    virtual void on_room_opened(const std::string& room) = 0;
    // The room is leaving the registry (deleted, idle, or the server stops);
    // its outputs are being finished. The name is free again at once.
    virtual void on_room_closing(const std::string& room, const std::string& why) = 0;
    // Its recordings and playlists are finished.
    virtual void on_room_closed(const std::string& room) = 0;

   protected:
    ~Listener() = default;
  };

  RoomRegistry(const Config& config, Listener& listener);
  ~RoomRegistry();
  RoomRegistry(const RoomRegistry&) = delete;
  RoomRegistry& operator=(const RoomRegistry&) = delete;

  // Makes and starts a room. Conflict when the name is taken, Unavailable
  // when the server is stopping, limits.max_rooms are open or (on demand)
  // too many such rooms are open.
  ApiResult create(const RoomConfig& config, Origin origin);
  // The room a join goes to: an open room, or one made on demand when the
  // config allows it.
  Room* for_join(const std::string& name, ApiError& error);
  Room* find(const std::string& name) const;
  std::vector<const Room*> rooms() const;
  std::optional<Origin> origin(const std::string& name) const;
  // GStreamer elements of every room, open or closing (/metrics).
  size_t element_count() const;

  // Takes the room out and finishes its outputs (recordings finalized, HLS
  // ENDLIST); `done` runs on the main loop after. NotFound if there is none.
  ApiResult close(const std::string& name, const std::string& why, std::function<void()> done);
  // Closes every room; `done` once all are finished. No room can be made after.
  void close_all(std::function<void()> done);
  bool stopping() const { return stopping_; }
  // Creations refused because limits.max_rooms rooms were open.
  uint64_t rooms_refused() const { return rooms_refused_; }

 private:
  void on_room_event(const std::string& room, const RoomEvent& event) override;
  // For a room made on demand: (re)arms or cancels its idle close.
  void check_idle(const std::string& name);

  struct Entry {
    std::unique_ptr<Room> room;
    Origin origin = Origin::Config;
    SourceId idle_close;  // on demand only, while the room is deserted
  };
  const Config& config_;
  Listener& listener_;
  std::map<std::string, Entry> rooms_;
  // Closed rooms finishing their outputs.
  std::vector<std::shared_ptr<std::unique_ptr<Room>>> closing_;
  bool stopping_ = false;
  uint64_t rooms_refused_ = 0;
  Lifetime lifetime_;
};

}  // namespace mixcast
