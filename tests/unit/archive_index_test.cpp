#include "index/archive_index.h"

#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "test_dicom.h"

namespace dualread {
namespace {

class ArchiveIndexTest : public testing::HubFixture {
 protected:
  void add(testing::TestImage t) {
    auto path = dir_ / "x.dcm";
    testing::writeTestImage(t, path);
    auto staged = blobs_->newStagingPath();
    std::filesystem::copy_file(path, staged);
    ASSERT_TRUE(ingest_->ingestStagedFile(staged, {"TEST", "", ""}).ok());
  }
  void SetUp() override {
    HubFixture::SetUp();
    const char* names[] = {"MARTIN^CLAIRE", "MARTINEZ^ANA", "DURAND^JEANNE"};
    const char* dates[] = {"20240105", "20250620", "20260301"};
    for (int i = 0; i < 3; ++i) {
      testing::TestImage t;
      t.study_uid = "1.2.826.0.1.3680043.10.1011.7." + std::to_string(i + 1);
      t.series_uid = t.study_uid + ".1";
      t.sop_uid = t.series_uid + ".1";
      t.patient_id = "P" + std::to_string(i + 1);
      t.patient_name = names[i];
      t.ins = "";
      t.study_date = dates[i];
      t.accession = "ACC" + std::to_string(i + 1);
      add(t);
    }
  }
};

TEST_F(ArchiveIndexTest, SchemaIsMigrated) { EXPECT_EQ(index_->schemaVersion(), 1); }

TEST_F(ArchiveIndexTest, FindByPatientId) {
  StudyQuery q;
  q.patient_id = "P2";
  auto rows = index_->findStudies(q);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].patient.name, "MARTINEZ^ANA");
}

TEST_F(ArchiveIndexTest, NameWildcardIsCaseInsensitive) {
  StudyQuery q;
  q.patient_name = "martin*";
  EXPECT_EQ(index_->findStudies(q).size(), 2u);
  q.patient_name = "MARTIN^*";
  EXPECT_EQ(index_->findStudies(q).size(), 1u);
  q.patient_name = "?URAND*";
  EXPECT_EQ(index_->findStudies(q).size(), 1u);
}

TEST_F(ArchiveIndexTest, DateRanges) {
  StudyQuery q;
  q.study_date = "20250101-20261231";
  EXPECT_EQ(index_->findStudies(q).size(), 2u);
  q.study_date = "-20241231";
  EXPECT_EQ(index_->findStudies(q).size(), 1u);
  q.study_date = "20260301";
  EXPECT_EQ(index_->findStudies(q).size(), 1u);
}

TEST_F(ArchiveIndexTest, LimitOffsetAndModalities) {
  StudyQuery q;
  q.modality = "MG";
  q.limit = 2;
  EXPECT_EQ(index_->findStudies(q).size(), 2u);
  q.offset = 2;
  EXPECT_EQ(index_->findStudies(q).size(), 1u);
  q = {};
  q.modality = "US";
  EXPECT_TRUE(index_->findStudies(q).empty());
}

TEST_F(ArchiveIndexTest, SqlMetacharactersAreJustText) {
  StudyQuery q;
  q.patient_id = "P1' OR '1'='1";
  EXPECT_TRUE(index_->findStudies(q).empty());
  q = {};
  q.patient_name = "[A-Z]*";
  EXPECT_TRUE(index_->findStudies(q).empty());
}

TEST_F(ArchiveIndexTest, ReopenKeepsEverything) {
  auto path = (dir_ / "index.sqlite").string();
  index_.reset();
  ArchiveIndex again(path, 1);
  EXPECT_EQ(again.totals().studies, 3);
  EXPECT_EQ(again.schemaVersion(), 1);
}

TEST_F(ArchiveIndexTest, SeriesAndInstanceQueries) {
  SeriesQuery sq;
  sq.study_uids = {"1.2.826.0.1.3680043.10.1011.7.1"};
  auto series = index_->findSeries(sq);
  ASSERT_EQ(series.size(), 1u);
  InstanceQuery iq;
  iq.series_uids = {series[0].series_uid};
  auto inst = index_->findInstances(iq);
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(inst[0].view_code, "RCC");
}

}  // namespace
}  // namespace dualread
