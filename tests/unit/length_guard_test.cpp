#include "dicom/length_guard.h"

#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>

#include <fstream>

#include "hub_fixture.h"
#include "test_dicom.h"

namespace dualread {
namespace {

const std::filesystem::path kPydicomFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

// The fuzzer's find: a deflated file whose inflated dataset declares a 3.5 GB element.
TEST(LengthGuard, DeflatedElementLongerThanTheDatasetIsRefused) {
  auto problem = findImpossibleLength(std::filesystem::path(DUALREAD_SOURCE_DIR) /
                                      "tests/fuzz/regressions/oom-huge-element-length.dcm");
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("(9494,4141) declares 3570717908 bytes"), std::string::npos) << *problem;
}

TEST(LengthGuard, ElementLongerThanTheFileIsRefused) {
  auto dir = testing::makeTempDir("guard");
  testing::TestImage t;
  testing::writeTestImage(t, dir / "ok.dcm");
  EXPECT_FALSE(findImpossibleLength(dir / "ok.dcm"));
  // Cut the file inside the pixel data: its declared length now exceeds what remains.
  std::string bytes = testing::readFile(dir / "ok.dcm");
  std::ofstream(dir / "cut.dcm", std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  auto problem = findImpossibleLength(dir / "cut.dcm");
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("(7FE0,0010)"), std::string::npos) << *problem;
  std::filesystem::remove_all(dir);
}

// No false alarm: every sample DCMTK itself reads completely passes the guard, whatever its
// transfer syntax (implicit, big endian, deflate, encapsulated, nested sequences).
TEST(LengthGuard, EveryFileDcmtkReadsPasses) {
  if (!std::filesystem::exists(kPydicomFiles)) GTEST_SKIP() << "python3-pydicom not installed";
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(kPydicomFiles)) {
    if (e.path().extension() != ".dcm") continue;
    DcmFileFormat ff;
    if (ff.loadFile(e.path().c_str()).bad()) continue;
    if (ff.getDataset()->loadAllDataIntoMemory().bad()) continue;
    EXPECT_FALSE(findImpossibleLength(e.path())) << e.path();
    ++checked;
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
}  // namespace dualread
