// Scaled-down version of bench/qido_bench.py: a 20,000-exam index must answer the QIDO queries
// readers and CIMs make from indexes, never by scanning a table (the 1 M-exam latency itself
// is measured in bench/, not here).
#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "index/archive_index.h"

namespace dualread {
namespace {

class IndexScaleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(testing::makeTempDir("index-scale"));
    index_ = new ArchiveIndex((*dir_ / "index.sqlite").string(), 2);
    index_->bulkInsertSyntheticExams(0, 20000, 4);
  }
  static void TearDownTestSuite() {
    delete index_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static void expectIndexed(const StudyQuery& q) {
    const std::string plan = index_->explainStudies(q);
    EXPECT_EQ(plan.find("SCAN s"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN p"), std::string::npos) << plan;
  }
  static std::filesystem::path* dir_;
  static ArchiveIndex* index_;
};
std::filesystem::path* IndexScaleTest::dir_ = nullptr;
ArchiveIndex* IndexScaleTest::index_ = nullptr;

TEST_F(IndexScaleTest, Totals) {
  auto t = index_->totals();
  EXPECT_EQ(t.studies, 20000);
  EXPECT_EQ(t.instances, 80000);
  EXPECT_EQ(t.women, 10000);
}

TEST_F(IndexScaleTest, PatientIdFindsBothRoundsFromAnIndex) {
  StudyQuery q;
  q.patient_id = "IPP4321";
  EXPECT_EQ(index_->findStudies(q).size(), 2u);
  expectIndexed(q);
}

TEST_F(IndexScaleTest, AccessionFromAnIndex) {
  StudyQuery q;
  q.accession = "ACC777";
  EXPECT_EQ(index_->findStudies(q).size(), 1u);
  expectIndexed(q);
}

TEST_F(IndexScaleTest, NamePrefixFromAnIndex) {
  StudyQuery q;
  q.patient_name = "SYNTH4321^*";
  EXPECT_EQ(index_->findStudies(q).size(), 2u);
  expectIndexed(q);
}

TEST_F(IndexScaleTest, DateRangeFromAnIndex) {
  StudyQuery q;
  q.study_date = "20220301-20220331";
  q.limit = 50;
  auto rows = index_->findStudies(q);
  EXPECT_EQ(rows.size(), 50u);
  for (const auto& r : rows) {
    EXPECT_GE(r.study_date, "20220301");
    EXPECT_LE(r.study_date, "20220331");
  }
  expectIndexed(q);
}

}  // namespace
}  // namespace dualread
