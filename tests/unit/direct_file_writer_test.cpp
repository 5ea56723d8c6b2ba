#include "storage/direct_file_writer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <random>

#include "hub_fixture.h"

namespace dualread {
namespace {

std::string randomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string data(n, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  return data;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Written in uneven pieces over several blocks with an unaligned tail: the file holds exactly
// the bytes given and the digest is that of the file.
TEST(DirectFileWriter, FileAndDigestEqualWhatWasWritten) {
  auto dir = testing::makeTempDir("direct-writer");
  for (size_t size :
       {size_t{0}, size_t{1}, size_t{4096}, size_t{3 * 65536}, size_t{9 * 65536 + 123}}) {
    const auto path = dir / ("in-" + std::to_string(size) + ".part");
    const std::string data = randomBytes(size, static_cast<unsigned>(size));
    DirectFileWriter w(path, 65536);
    ASSERT_TRUE(w.ok()) << w.error();
    size_t done = 0;
    while (done < data.size()) {
      const size_t n = std::min<size_t>(5000 + done % 977, data.size() - done);
      ASSERT_TRUE(w.write(data.data() + done, n));
      done += n;
    }
    EXPECT_EQ(w.bytesWritten(), data.size());
    auto got = w.finish();
    ASSERT_TRUE(got) << w.error();
    EXPECT_EQ(got->file, sha256Hex(data)) << size;
    EXPECT_EQ(slurp(path), data) << size;
    EXPECT_FALSE(w.finish());  // only the first call can succeed
  }
  std::filesystem::remove_all(dir);
}

// On a disk filesystem the writer bypasses the page cache.
TEST(DirectFileWriter, UsesDirectIoOnDisk) {
  auto dir = testing::makeTempDir("direct-writer");
  DirectFileWriter w(dir / "x.part");
  ASSERT_TRUE(w.ok());
  if (!w.direct()) GTEST_SKIP() << "this filesystem refuses O_DIRECT";
  const std::string data = randomBytes(5 << 20, 3);
  ASSERT_TRUE(w.write(data.data(), data.size()));
  ASSERT_TRUE(w.finish());
  EXPECT_EQ(slurp(dir / "x.part"), data);
  std::filesystem::remove_all(dir);
}

TEST(DirectFileWriter, MissingDirectoryIsAClearError) {
  DirectFileWriter w("/nonexistent/dualread/file.part");
  EXPECT_FALSE(w.ok());
  EXPECT_NE(w.error().find("cannot create the staging file"), std::string::npos) << w.error();
  const char byte = 1;
  EXPECT_FALSE(w.write(&byte, 1));
  EXPECT_FALSE(w.finish());
}

// /dev/full answers every write with ENOSPC: the writer reports a full disk and refuses more.
TEST(DirectFileWriter, FullDiskIsReportedAndStopsTheWriter) {
  DirectFileWriter w("/dev/full", 4096);
  ASSERT_TRUE(w.ok()) << w.error();
  const std::string data = randomBytes(64 * 1024, 5);
  bool refused = false;
  for (int i = 0; i < 50 && !refused; ++i) refused = !w.write(data.data(), data.size());
  if (!refused) refused = !w.finish();
  EXPECT_TRUE(refused);
  EXPECT_TRUE(w.diskFull());
  EXPECT_NE(w.error().find("No space left on device"), std::string::npos) << w.error();
  EXPECT_FALSE(w.finish());
}

}  // namespace
}  // namespace dualread
