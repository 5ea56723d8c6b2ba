#include "storage/fs_blob_store.h"

#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "storage/sha256.h"
#include "test_dicom.h"

namespace dualread {
namespace {

class FsBlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::makeTempDir("blobs"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FsBlobStoreTest, PutIsContentAddressedAndDurable) {
  FsBlobStore store(dir_);
  BlobInfo a = store.put("hello screening");
  EXPECT_EQ(a.key, sha256Hex("hello screening"));
  EXPECT_EQ(a.size, 15u);
  EXPECT_TRUE(store.exists(a.key));
  EXPECT_EQ(testing::readFile(store.pathOf(a.key)), "hello screening");
  // Same content again: same key, no second file.
  BlobInfo b = store.put("hello screening");
  EXPECT_EQ(a.key, b.key);
  int n = 0;
  store.forEach([&](const std::string&, uint64_t) { ++n; });
  EXPECT_EQ(n, 1);
}

TEST_F(FsBlobStoreTest, AdoptMovesStagedFileAndLeavesNoStagingBehind) {
  FsBlobStore store(dir_);
  auto staged = store.newStagingPath();
  { std::ofstream(staged) << "abc"; }
  BlobInfo info = store.adopt(staged, "");
  EXPECT_FALSE(std::filesystem::exists(staged));
  EXPECT_EQ(info.key, sha256Hex("abc"));
  EXPECT_EQ(store.cleanStaging(), 0);
}

TEST_F(FsBlobStoreTest, CleanStagingRemovesInterruptedReceptions) {
  FsBlobStore store(dir_);
  { std::ofstream(store.newStagingPath()) << "partial"; }
  { std::ofstream(store.newStagingPath()) << "partial2"; }
  EXPECT_EQ(store.cleanStaging(), 2);
}

TEST_F(FsBlobStoreTest, RejectsKeysThatAreNotHashes) {
  FsBlobStore store(dir_);
  EXPECT_THROW(store.pathOf("../../etc/passwd"), StorageError);
  EXPECT_FALSE(store.exists("../index.sqlite"));
}

TEST_F(FsBlobStoreTest, AdoptOfMissingFileThrows) {
  FsBlobStore store(dir_);
  EXPECT_THROW(store.adopt(dir_ / "staging" / "nothing", ""), std::exception);
}

}  // namespace
}  // namespace dualread
