#include "services/ingest_service.h"

#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "storage/sha256.h"
#include "test_dicom.h"

namespace dualread {
namespace {

using testing::TestImage;

class IngestServiceTest : public testing::HubFixture {
 protected:
  IngestResult ingest(const TestImage& t) {
    auto path = dir_ / "in.dcm";
    testing::writeTestImage(t, path);
    return ingestFile(path);
  }
  IngestResult ingestFile(const std::filesystem::path& path) {
    auto staged = blobs_->newStagingPath();
    std::filesystem::copy_file(path, staged);
    return ingest_->ingestStagedFile(staged, {"TEST", "UNIT", "127.0.0.1"});
  }
  int blobCount() {
    int n = 0;
    blobs_->forEach([&](const std::string&, uint64_t) { ++n; });
    return n;
  }
  int stagingCount() {
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir_ / "staging")) (void)e, ++n;
    return n;
  }
  nlohmann::json exam(const std::string& uid) { return *exams_->exam(uid); }
};

TEST_F(IngestServiceTest, FourViewsMakeACompleteExamStoredByteExact) {
  auto views = testing::fourViews();
  for (const auto& v : views) {
    auto path = dir_ / "v.dcm";
    testing::writeTestImage(v, path);
    const std::string sha = sha256File(path);
    auto r = ingestFile(path);
    ASSERT_EQ(r.status, IngestStatus::kStored) << r.message;
    InstanceRow row;
    ASSERT_TRUE(index_->findInstance(v.sop_uid, row));
    EXPECT_EQ(row.sha256, sha);
    EXPECT_EQ(sha256File(blobs_->pathOf(row.blob_key)), sha);
  }
  auto e = exam(views[0].study_uid);
  EXPECT_EQ(e["status"], "complete");
  EXPECT_TRUE(e["missing"].empty());
  EXPECT_EQ(e["views"].size(), 4u);
  EXPECT_EQ(e["woman"]["ins"], views[0].ins);
  EXPECT_EQ(stagingCount(), 0);
}

TEST_F(IngestServiceTest, MissingViewIsNamed) {
  auto views = testing::fourViews();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ingest(views[i]).ok());
  auto e = exam(views[0].study_uid);
  EXPECT_EQ(e["status"], "incomplete");
  ASSERT_EQ(e["missing"].size(), 1u);
  EXPECT_EQ(e["missing"][0], "LMLO");
  auto list = exams_->listExams("incomplete", 10, 0);
  EXPECT_EQ(list["total"], 1);
}

TEST_F(IngestServiceTest, SameInstanceTwiceIsOneRow) {
  TestImage t;
  ASSERT_EQ(ingest(t).status, IngestStatus::kStored);
  auto r = ingest(t);
  EXPECT_EQ(r.status, IngestStatus::kAlreadyStored);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(index_->totals().instances, 1);
  EXPECT_EQ(blobCount(), 1);
}

TEST_F(IngestServiceTest, SameUidOtherBytesIsQuarantinedAndFlagged) {
  auto views = testing::fourViews();
  for (const auto& v : views) ASSERT_TRUE(ingest(v).ok());
  TestImage other = views[0];
  other.seed = 99;
  auto r = ingest(other);
  EXPECT_EQ(r.status, IngestStatus::kConflict);
  EXPECT_NE(r.message.find("different content"), std::string::npos);
  EXPECT_EQ(index_->totals().instances, 4);
  EXPECT_EQ(index_->totals().quarantined, 1);
  auto e = exam(views[0].study_uid);
  EXPECT_EQ(e["status"], "needs-review");
  // The original is untouched.
  InstanceRow row;
  ASSERT_TRUE(index_->findInstance(views[0].sop_uid, row));
  EXPECT_EQ(sha256File(blobs_->pathOf(row.blob_key)), row.sha256);
}

TEST_F(IngestServiceTest, NotDicomIsRejectedAndLeavesNothing) {
  auto r = ingest_->ingestBytes("this is a letter, not an image", {"TEST", "", ""});
  EXPECT_EQ(r.status, IngestStatus::kRejected);
  EXPECT_NE(r.message.find("not a DICOM file"), std::string::npos);
  EXPECT_EQ(blobCount(), 0);
  EXPECT_EQ(stagingCount(), 0);
  EXPECT_EQ(index_->totals().instances, 0);
}

TEST_F(IngestServiceTest, TruncatedFileIsRejected) {
  TestImage t;
  t.rows = 256;
  t.cols = 256;
  auto path = dir_ / "full.dcm";
  testing::writeTestImage(t, path);
  std::string bytes = testing::readFile(path);
  auto r = ingest_->ingestBytes(std::string_view(bytes).substr(0, bytes.size() / 2), {"TEST", "", ""});
  EXPECT_EQ(r.status, IngestStatus::kRejected);
  EXPECT_NE(r.message.find("truncated"), std::string::npos) << r.message;
  EXPECT_EQ(blobCount(), 0);
  EXPECT_EQ(stagingCount(), 0);
}

TEST_F(IngestServiceTest, MissingUidIsRejected) {
  TestImage t;
  t.series_uid = "";
  auto r = ingest(t);
  EXPECT_EQ(r.status, IngestStatus::kRejected);
  EXPECT_NE(r.message.find("Series Instance UID"), std::string::npos) << r.message;
}

TEST_F(IngestServiceTest, InvalidUidIsRejected) {
  TestImage t;
  t.sop_uid = "1.2.abc";
  auto r = ingest(t);
  EXPECT_EQ(r.status, IngestStatus::kRejected);
  EXPECT_NE(r.message.find("not a valid DICOM UID"), std::string::npos) << r.message;
}

TEST_F(IngestServiceTest, WrongSopClassIsRejectedByName) {
  TestImage t;
  t.sop_class = UID_CTImageStorage;
  auto r = ingest(t);
  EXPECT_EQ(r.status, IngestStatus::kRejected);
  EXPECT_NE(r.message.find("CTImageStorage"), std::string::npos) << r.message;
  EXPECT_EQ(index_->totals().instances, 0);
}

TEST_F(IngestServiceTest, StudyOfAnotherPatientGoesToQuarantine) {
  TestImage a;
  ASSERT_TRUE(ingest(a).ok());
  TestImage b = a;
  b.sop_uid = a.sop_uid + ".2";
  b.patient_id = "CIM01-999999";
  b.patient_name = "DURAND^JEANNE";
  auto r = ingest(b);
  EXPECT_EQ(r.status, IngestStatus::kQuarantined);
  EXPECT_NE(r.message.find("identity conflict"), std::string::npos);
  EXPECT_EQ(index_->totals().instances, 1);
  EXPECT_EQ(index_->totals().quarantined, 1);
}

TEST_F(IngestServiceTest, InsLinksRoundsFromTwoImagingCentres) {
  TestImage r1;  // CIM01, 2024
  r1.study_date = "20240110";
  ASSERT_TRUE(ingest(r1).ok());
  TestImage r2 = r1;  // CIM02, 2026, another IPP, same INS and traits
  r2.study_uid = "1.2.826.0.1.3680043.10.1011.99.2";
  r2.series_uid = r2.study_uid + ".1";
  r2.sop_uid = r2.series_uid + ".1";
  r2.patient_id = "CIM02-000777";
  r2.issuer = "CIM02";
  r2.study_date = "20260110";
  ASSERT_TRUE(ingest(r2).ok());
  auto e = exam(r2.study_uid);
  const int64_t woman = e["woman"]["id"];
  auto w = exams_->womanExams(woman);
  ASSERT_TRUE(w);
  ASSERT_EQ((*w)["exams"].size(), 2u);
  EXPECT_EQ((*w)["exams"][0]["study_date"], "20260110");
  EXPECT_EQ((*w)["exams"][1]["study_date"], "20240110");
  EXPECT_EQ((*w)["identities"].size(), 2u);
}

TEST_F(IngestServiceTest, IdentityTypoIsNeverAttachedSilently) {
  TestImage r1;
  ASSERT_TRUE(ingest(r1).ok());
  TestImage r2 = r1;
  r2.study_uid = "1.2.826.0.1.3680043.10.1011.99.3";
  r2.series_uid = r2.study_uid + ".1";
  r2.sop_uid = r2.series_uid + ".1";
  r2.patient_name = "MARTIN^CLAIRR";  // typo, same INS
  ASSERT_TRUE(ingest(r2).ok());
  auto e = exam(r2.study_uid);
  EXPECT_TRUE(e["woman"].is_null());
  EXPECT_EQ(e["status"], "incomplete");
  EXPECT_NE(e["patient"]["identity_issue"].get<std::string>().find("identity differs"),
            std::string::npos);
  bool flagged = false;
  for (auto& p : e["problems"]) flagged |= p.get<std::string>().find("identity") != std::string::npos;
  EXPECT_TRUE(flagged);
}

TEST_F(IngestServiceTest, LateralityContradictionNeedsReview) {
  auto views = testing::fourViews();
  views[0].series_description = "L CC";  // coded R
  for (const auto& v : views) ASSERT_TRUE(ingest(v).ok());
  auto e = exam(views[0].study_uid);
  EXPECT_EQ(e["status"], "needs-review");
}

class SmallLimitIngest : public IngestServiceTest {
  void configure(HubConfig& c) override { c.max_object_bytes = 1000; }
};

TEST_F(SmallLimitIngest, OversizeIsRejected) {
  TestImage t;
  t.rows = 64;
  t.cols = 64;
  auto r = ingest(t);
  EXPECT_EQ(r.status, IngestStatus::kRejected);
  EXPECT_NE(r.message.find("above the hub's limit"), std::string::npos);
  EXPECT_EQ(stagingCount(), 0);
}

}  // namespace
}  // namespace dualread
