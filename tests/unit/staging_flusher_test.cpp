#include "storage/staging_flusher.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "hub_fixture.h"

namespace dualread {
namespace {

// The digests computed while a file arrives in pieces equal those of the finished file.
TEST(StagingFlusher, DigestsWhileWritingEqualDigestsOfTheFile) {
  auto dir = testing::makeTempDir("flusher");
  const auto path = dir / "in.part";
  std::mt19937 rng(7);
  std::string data(9 * 1024 * 1024 + 123, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  std::ofstream out(path, std::ios::binary);
  StagingFlusher f(path, 300, 1 << 20);
  size_t done = 0;
  while (done < data.size()) {
    const size_t n = std::min<size_t>(65536 + done % 977, data.size() - done);
    out.write(data.data() + done, static_cast<std::streamsize>(n));
    out.flush();
    done += n;
    f.written(done);
  }
  out.close();
  auto got = f.finish();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->file, sha256File(path));
  EXPECT_FALSE(f.finish());  // hashers are spent
  std::filesystem::remove_all(dir);
}

TEST(StagingFlusher, MissingFileGivesNoDigests) {
  StagingFlusher f("/nonexistent/dualread/file", 0);
  f.written(100 << 20);
  EXPECT_FALSE(f.finish());
}

}  // namespace
}  // namespace dualread
