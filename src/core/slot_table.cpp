// Stable seats: a participant keeps its slot for as long as it stays, so a
// slot-bound region never jumps to someone else when others come and go.
#include <algorithm>
#include <stdexcept>

#include "core/layout.h"

namespace mixcast {

int SlotTable::join(const std::string& participant_id) {
  // "" marks a free seat, so an empty id could never be found again.
  if (participant_id.empty()) throw std::invalid_argument("SlotTable::join: empty participant id");
  if (auto existing = slot_of(participant_id)) return *existing;
  auto free_seat = std::find(seats_.begin(), seats_.end(), std::string());
  if (free_seat != seats_.end()) {
    *free_seat = participant_id;
    return int(free_seat - seats_.begin());
  }
  seats_.push_back(participant_id);
  return int(seats_.size() - 1);
}

void SlotTable::leave(const std::string& participant_id) {
  if (participant_id.empty()) return;
  auto seat = std::find(seats_.begin(), seats_.end(), participant_id);
  if (seat == seats_.end()) return;
  seat->clear();
  // Trailing free seats carry no information; dropping them keeps size() the
  // number of seats a layout has to reckon with.
  while (!seats_.empty() && seats_.back().empty()) seats_.pop_back();
}

std::optional<int> SlotTable::slot_of(const std::string& participant_id) const {
  if (participant_id.empty()) return std::nullopt;
  auto seat = std::find(seats_.begin(), seats_.end(), participant_id);
  if (seat == seats_.end()) return std::nullopt;
  return int(seat - seats_.begin());
}

size_t SlotTable::size() const {
  return seats_.size();
}

size_t SlotTable::count() const {
  return size_t(std::count_if(seats_.begin(), seats_.end(),
                              [](const std::string& id) { return !id.empty(); }));
}

}  // namespace mixcast
