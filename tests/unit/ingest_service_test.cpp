#include "services/ingest_service.h"

#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "index/sqlite.h"
#include "services/audit_service.h"
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
  IngestResult ingestFile(const std::filesystem::path& path,
                          const IngestSource& source = {"TEST", "UNIT", "127.0.0.1"}) {
    auto staged = blobs_->newStagingPath();
    std::filesystem::copy_file(path, staged);
    return ingest_->ingestStagedFile(staged, source);
  }
  // Sent by a sender bound to `cims` (a CIM's DICOM peer, gateway token or account).
  IngestResult ingestFrom(const TestImage& t, std::vector<std::string> cims) {
    auto path = dir_ / "in.dcm";
    testing::writeTestImage(t, path);
    IngestSource source{"DIMSE", "CIM01_GW", "10.0.0.1"};
    source.scope = CimScope::only(std::move(cims));
    source.actor = "dicom:CIM01_GW";
    source.actor_role = "dicom-peer";
    return ingestFile(path, source);
  }
  std::vector<AuditEvent> refusals() {
    AuditQuery q;
    q.limit = 100;
    std::vector<AuditEvent> out;
    for (auto& e : audit_->query(q))
      if (e.action == "store.cim-refused") out.push_back(e);
    return out;
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

TEST_F(IngestServiceTest, ABoundSenderMayNotStoreAnotherCentresImages) {
  ingest_->setAudit(audit_.get());
  TestImage t;
  t.issuer = "CIM02";
  t.patient_id = "CIM02-000007";
  auto r = ingestFrom(t, {"CIM01"});
  EXPECT_EQ(r.status, IngestStatus::kNotAuthorized);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.message.find("'CIM02'"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("nothing stored"), std::string::npos) << r.message;
  EXPECT_EQ(r.summary.sop_instance_uid, t.sop_uid);
  // Nothing stored, nothing quarantined, no staging file, no woman, no patient.
  EXPECT_EQ(blobCount(), 0);
  EXPECT_EQ(stagingCount(), 0);
  const auto totals = index_->totals();
  EXPECT_EQ(totals.instances, 0);
  EXPECT_EQ(totals.quarantined, 0);
  EXPECT_EQ(totals.patients, 0);
  EXPECT_EQ(totals.women, 0);
  EXPECT_EQ(ingest_->counters().not_authorized.load(), 1u);
  // Audited: who, which object, the issuer and the sender's centre.
  auto events = refusals();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "dicom:CIM01_GW");
  EXPECT_EQ(events[0].role, "dicom-peer");
  EXPECT_EQ(events[0].object_id, t.sop_uid);
  const auto detail = nlohmann::json::parse(events[0].detail);
  EXPECT_EQ(detail["issuer"], "CIM02");
  EXPECT_EQ(detail["sender_cims"], nlohmann::json::array({"CIM01"}));
  EXPECT_EQ(detail["study"], t.study_uid);
  // The same image from its own centre (or an unbound sender) is stored.
  EXPECT_EQ(ingestFrom(t, {"CIM02"}).status, IngestStatus::kStored);
}

TEST_F(IngestServiceTest, ABoundSendersImageWithoutIssuerIsItsCentres) {
  TestImage t;
  t.issuer = "";
  auto r = ingestFrom(t, {"CIM01"});
  ASSERT_EQ(r.status, IngestStatus::kStored) << r.message;
  EXPECT_EQ(r.summary.issuer_of_patient_id, "CIM01");
  StudyRow s;
  ASSERT_TRUE(index_->getStudy(t.study_uid, s));
  EXPECT_EQ(s.patient.issuer, "CIM01");
  // The stored file is the one received (the issuer is the index's, not written in the file).
  InstanceRow row;
  ASSERT_TRUE(index_->findInstance(t.sop_uid, row));
  EXPECT_EQ(sha256File(blobs_->pathOf(row.blob_key)), row.sha256);

  // A sender of several centres must say which; an unbound sender's stays without issuer.
  TestImage u = t;
  u.study_uid = t.study_uid + ".9";
  u.series_uid = u.study_uid + ".0";
  u.sop_uid = u.series_uid + ".1";
  r = ingestFrom(u, {"CIM01", "CIM03"});
  EXPECT_EQ(r.status, IngestStatus::kNotAuthorized);
  EXPECT_NE(r.message.find("several imaging centres"), std::string::npos) << r.message;
  EXPECT_EQ(stagingCount(), 0);
  r = ingest(u);
  ASSERT_EQ(r.status, IngestStatus::kStored) << r.message;
  ASSERT_TRUE(index_->getStudy(u.study_uid, s));
  EXPECT_EQ(s.patient.issuer, "");
}

TEST_F(IngestServiceTest, ARefusalIsStillRefusedWhenTheAuditFails) {
  ingest_->setAudit(audit_.get());
  TestImage t;
  t.issuer = "CIM02";
  // The audit table is gone: the refusal stands (nothing stored) and is logged instead.
  {
    SqliteDb db((dir_ / "index.sqlite").string(), false);
    db.exec("ALTER TABLE audit_log RENAME TO audit_log_moved");
  }
  auto r = ingestFrom(t, {"CIM01"});
  EXPECT_EQ(r.status, IngestStatus::kNotAuthorized);
  EXPECT_EQ(index_->totals().instances, 0);
  EXPECT_EQ(blobCount(), 0);
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
