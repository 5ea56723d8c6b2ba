#include "storage/disk_reserve.h"

#include <gtest/gtest.h>

#include "hub_fixture.h"

namespace dualread {
namespace {

// On a disk with room, the ballast is set aside with its exact size and is not given up: the
// disk is not full.
TEST(DiskReserve, IsSetAsideAndKeptWhileTheDiskHasRoom) {
  auto dir = testing::makeTempDir("disk-reserve");
  const auto file = dir / "reserve.ballast";
  DiskReserve r(file, 1 << 20);
  EXPECT_TRUE(r.spent());  // not created yet
  EXPECT_TRUE(r.restore());
  EXPECT_FALSE(r.spent());
  EXPECT_EQ(std::filesystem::file_size(file), 1u << 20);
  EXPECT_FALSE(r.releaseIfFull());
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_FALSE(r.restore());  // already there
  // A restart finds it and keeps it.
  DiskReserve again(file, 1 << 20);
  EXPECT_FALSE(again.spent());
}

// A ballast of another size (configuration changed) is replaced; a reserve of 0 is none and
// removes a ballast left from before.
TEST(DiskReserve, FollowsTheConfiguredSize) {
  auto dir = testing::makeTempDir("disk-reserve-size");
  const auto file = dir / "reserve.ballast";
  DiskReserve(file, 1 << 20).restore();
  DiskReserve bigger(file, 2 << 20);
  EXPECT_TRUE(bigger.restore());
  EXPECT_EQ(std::filesystem::file_size(file), 2u << 20);
  DiskReserve none(file, 0);
  EXPECT_FALSE(none.spent());
  EXPECT_FALSE(none.restore());
  EXPECT_FALSE(none.releaseIfFull());
  EXPECT_FALSE(std::filesystem::exists(file));
}

// A disk that cannot hold the ballast (here: a directory that does not exist) leaves the
// reserve spent, without throwing, so the gateway refuses images rather than risk its queue.
TEST(DiskReserve, AReserveThatCannotBeSetAsideCountsAsSpent) {
  auto dir = testing::makeTempDir("disk-reserve-missing");
  DiskReserve r(dir / "no-such-dir" / "reserve.ballast", 1 << 20);
  EXPECT_FALSE(r.restore());
  EXPECT_TRUE(r.spent());
}

}  // namespace
}  // namespace dualread
