// Stable seats: lowest free slot on join, no moving on leave.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/layout.h"

namespace mixcast {
namespace {

struct Op {
  enum Kind { Join, Leave } kind;
  std::string id;
  std::optional<int> slot;  // Join: the slot it must return
};

struct SeatCase {
  std::string name;
  std::vector<Op> ops;
  std::map<std::string, int> seated;  // after all ops
  size_t size;                        // seats, trailing free ones trimmed
  size_t count;                       // participants
};

void PrintTo(const SeatCase& c, std::ostream* os) {
  *os << c.name;
}

class SlotTableTest : public ::testing::TestWithParam<SeatCase> {};

TEST_P(SlotTableTest, Sequence) {
  const SeatCase& c = GetParam();
  SlotTable table;
  for (size_t i = 0; i < c.ops.size(); ++i) {
    const Op& op = c.ops[i];
    if (op.kind == Op::Join) {
      const int slot = table.join(op.id);
      if (op.slot) {
        EXPECT_EQ(slot, *op.slot) << "op " << i << ": join " << op.id;
      }
      EXPECT_EQ(table.slot_of(op.id), slot);
    } else {
      table.leave(op.id);
      EXPECT_FALSE(table.slot_of(op.id).has_value()) << "op " << i << ": leave " << op.id;
    }
  }
  for (const auto& [id, slot] : c.seated) EXPECT_EQ(table.slot_of(id), slot) << id;
  EXPECT_EQ(table.size(), c.size);
  EXPECT_EQ(table.count(), c.count);
}

Op join(std::string id, int slot) {
  return {Op::Join, std::move(id), slot};
}
Op leave(std::string id) {
  return {Op::Leave, std::move(id), std::nullopt};
}

INSTANTIATE_TEST_SUITE_P(
    Table, SlotTableTest,
    ::testing::Values(
        SeatCase{"Empty", {}, {}, 0, 0},
        SeatCase{"JoinInOrder",
                 {join("a", 0), join("b", 1), join("c", 2)},
                 {{"a", 0}, {"b", 1}, {"c", 2}},
                 3,
                 3},
        SeatCase{"RejoinKeepsSlot", {join("a", 0), join("b", 1), join("a", 0)}, {{"a", 0}}, 2, 2},
        SeatCase{"LeaveDoesNotMoveOthers",
                 {join("a", 0), join("b", 1), join("c", 2), leave("b")},
                 {{"a", 0}, {"c", 2}},
                 3,
                 2},
        SeatCase{"JoinTakesLowestFreeSlot",
                 {join("a", 0), join("b", 1), join("c", 2), join("d", 3), leave("c"), leave("a"),
                  join("e", 0), join("f", 2), join("g", 4)},
                 {{"b", 1}, {"d", 3}, {"e", 0}, {"f", 2}, {"g", 4}},
                 5,
                 5},
        SeatCase{"TrailingFreeSeatsTrimmed",
                 {join("a", 0), join("b", 1), join("c", 2), leave("b"), leave("c")},
                 {{"a", 0}},
                 1,
                 1},
        SeatCase{"EveryoneLeaves", {join("a", 0), join("b", 1), leave("a"), leave("b")}, {}, 0, 0},
        SeatCase{"LeaveUnknownIsHarmless",
                 {join("a", 0), leave("nobody"), leave("a"), leave("a")},
                 {},
                 0,
                 0},
        SeatCase{"ComeBackAfterLeaving",
                 {join("a", 0), join("b", 1), leave("a"), join("c", 0), join("a", 2)},
                 {{"a", 2}, {"b", 1}, {"c", 0}},
                 3,
                 3}),
    [](const ::testing::TestParamInfo<SeatCase>& p) { return p.param.name; });

TEST(SlotTable, ManyParticipants) {
  SlotTable table;
  for (int i = 0; i < 40; ++i) EXPECT_EQ(table.join("p" + std::to_string(i)), i);
  for (int i = 0; i < 40; i += 2) table.leave("p" + std::to_string(i));
  EXPECT_EQ(table.count(), 20u);
  EXPECT_EQ(table.size(), 40u);
  for (int i = 1; i < 40; i += 2) EXPECT_EQ(table.slot_of("p" + std::to_string(i)), i);
  // Freed even seats are refilled from the bottom.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(table.join("q" + std::to_string(i)), 2 * i);
}

TEST(SlotTable, EmptyIdIsRejected) {
  SlotTable table;
  EXPECT_THROW(table.join(""), std::invalid_argument);
  EXPECT_FALSE(table.slot_of("").has_value());
  table.leave("");  // no effect
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace mixcast
