// WorkflowService over a real archive (HubFixture): images arriving through IngestService
// create and update exams; a retake arriving in pieces waits for every requested view, then
// joins its exam; another woman's study is another exam; the workflow survives a restart.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>

#include "hub_fixture.h"
#include "services/reading_form_json.h"
#include "test_dicom.h"
#include "workflow_test_data.h"

namespace dualread::testing {
namespace {

using nlohmann::json;
namespace td = dualread::testdata;

constexpr const char* kExam = "1.2.826.0.1.3680043.10.1011.78.1";

class WorkflowServiceTest : public HubFixture {
 protected:
  void configure(HubConfig& c) override {
    c.l2_readers = {L2Reader{{td::kL2Rpps, "Dr L2"}, {}, 1}};
  }
  WorkflowService::Clock workflowClock() override { return clock(); }
  WorkflowService::Clock clock() {
    return [this] { return makeTime(2026, 1, 10, 9) + std::chrono::minutes(ticks_++); };
  }

  IngestResult ingestView(const std::string& study, const std::string& view, int n,
                          const std::string& patient_id = "CIM01-000001",
                          const std::string& name = "MARTIN^CLAIRE",
                          const std::string& ins = "265047512345678") {
    TestImage t;
    t.study_uid = study;
    t.series_uid = study + "." + std::to_string(n);
    t.sop_uid = t.series_uid + ".1";
    t.laterality = view.substr(0, 1);
    t.view_position = view.substr(1);
    t.series_description = view.substr(0, 1) + " " + view.substr(1);
    t.patient_id = patient_id;
    t.patient_name = name;
    t.ins = ins;
    t.seed = static_cast<uint16_t>(n);
    const auto path = dir_ / ("img-" + t.sop_uid + ".dcm");
    writeTestImage(t, path);
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return ingest_->ingestBytes(bytes.str(), {"TEST", "", ""});
  }
  void ingestFour(const std::string& study) {
    int n = 0;
    for (const char* v : {"RCC", "LCC", "RMLO", "LMLO"})
      ASSERT_TRUE(ingestView(study, v, ++n).ok());
  }
  static json form() { return toJson(td::formToSign()); }
  static json signer() { return {{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}}; }
  std::string state(const std::string& exam) {
    auto r = workflow_->workflow(exam);
    return r.status == WorkflowStatus::kOk ? r.body["state"].get<std::string>() : "(none)";
  }
  // Ready, dealt, and read with `reading`.
  void readWith(const L2Reading& reading) {
    ingestFour(kExam);
    ASSERT_EQ(workflow_->putL1Form(kExam, form()).status, WorkflowStatus::kOk);
    ASSERT_EQ(workflow_->signL1Form(kExam, signer()).status, WorkflowStatus::kOk);
    auto dealt = workflow_->dealSessions();
    ASSERT_EQ(dealt.body["sessions"].size(), 1u);
    auto read = workflow_->submitReading(dealt.body["sessions"][0]["id"], toJson(reading));
    ASSERT_EQ(read.status, WorkflowStatus::kOk) << read.error;
  }

  std::atomic<int> ticks_{0};
};

TEST_F(WorkflowServiceTest, ImagesCreateTheExamAndLateViewsKeepItsState) {
  ASSERT_TRUE(ingestView(kExam, "RCC", 1).ok());
  auto wf = workflow_->workflow(kExam);
  ASSERT_EQ(wf.status, WorkflowStatus::kOk);
  EXPECT_EQ(wf.body["state"], "received");
  EXPECT_FALSE(wf.body["images_complete"].get<bool>());
  EXPECT_EQ(wf.body["cim_id"], "CIM01");
  EXPECT_FALSE(wf.body["woman_id"].get<std::string>().empty());
  int n = 1;
  for (const char* v : {"LCC", "RMLO", "LMLO"}) ASSERT_TRUE(ingestView(kExam, v, ++n).ok());
  EXPECT_TRUE(workflow_->workflow(kExam).body["images_complete"].get<bool>());
  workflow_->putL1Form(kExam, form());
  workflow_->signL1Form(kExam, signer());
  EXPECT_EQ(state(kExam), "awaiting_l2");
  // A late extra view of the same study: still awaiting L2, no second exam.
  ASSERT_TRUE(ingestView(kExam, "RCC", 9).ok());
  EXPECT_EQ(state(kExam), "awaiting_l2");
}

TEST_F(WorkflowServiceTest, AnotherWomansStudyIsAnotherExam) {
  ingestFour(kExam);
  const std::string other = "1.2.826.0.1.3680043.10.1011.78.5";
  ASSERT_TRUE(ingestView(other, "RCC", 1, "CIM01-000002", "DURAND^ANNE", "").ok());
  EXPECT_EQ(state(other), "received");
  EXPECT_EQ(workflow_->workflow(kExam).body["study_uids"], json::array({kExam}));
}

TEST_F(WorkflowServiceTest, ASameDayStudyOfTheSameWomanJoinsHerExam) {
  ingestFour(kExam);
  const std::string extra = "1.2.826.0.1.3680043.10.1011.78.6";
  ASSERT_TRUE(ingestView(extra, "RCC", 7).ok());  // e.g. a spot view sent as its own study
  EXPECT_EQ(state(extra), "(none)");
  auto wf = workflow_->workflow(kExam);
  EXPECT_EQ(wf.body["study_uids"], json::array({kExam, extra}));
  EXPECT_TRUE(wf.body["images_complete"].get<bool>());
  EXPECT_TRUE(wf.body["retake_study_uids"].empty());
}

TEST_F(WorkflowServiceTest, RetakeArrivingInPiecesWaitsForEveryRequestedView) {
  L2Reading cti = td::ctiL2();
  cti.cti.push_back({"RCC", CtiReason::kPositioning, "nipple not in profile"});
  readWith(cti);
  EXPECT_EQ(state(kExam), "cti_requested");

  const std::string retake = "1.2.826.0.1.3680043.10.1011.78.2";
  ASSERT_TRUE(ingestView(retake, "RMLO", 1).ok());
  // Half a retake: no second file, the request still open.
  EXPECT_EQ(state(retake), "(none)");
  EXPECT_EQ(state(kExam), "cti_requested");
  EXPECT_EQ(workflow_->ctiWorklist("CIM01").body["items"].size(), 1u);

  ASSERT_TRUE(ingestView(retake, "RCC", 2).ok());
  auto wf = workflow_->workflow(kExam);
  EXPECT_EQ(wf.body["state"], "awaiting_l2");
  EXPECT_EQ(wf.body["retake_study_uids"], json::array({retake}));
  EXPECT_TRUE(workflow_->ctiWorklist("CIM01").body["items"].empty());
}

TEST_F(WorkflowServiceTest, TheWorkflowSurvivesARestart) {
  readWith(td::positiveL2());
  EXPECT_EQ(state(kExam), "recall_bdd");
  const auto before = workflow_->workflow(kExam).body;
  workflow_.reset();
  workflow_store_.reset();
  workflow_store_ = std::make_unique<WorkflowStore>((dir_ / "index.sqlite").string());
  workflow_ = std::make_unique<WorkflowService>(config_, *index_, *workflow_store_, clock());
  const auto after = workflow_->workflow(kExam).body;
  EXPECT_EQ(after, before);
  auto l1 = workflow_->getL1Form(kExam);
  ASSERT_EQ(l1.status, WorkflowStatus::kOk);
  EXPECT_FALSE(l1.body["signature"].is_null());
  EXPECT_EQ(workflow_->sessions(td::kL2Rpps).body["items"].size(), 1u);
}

TEST_F(WorkflowServiceTest, ARefusedTransitionChangesNothing) {
  ingestFour(kExam);
  workflow_->putL1Form(kExam, form());
  const auto before = workflow_->workflow(kExam).body;
  // Signing with a form the signer does not own, and an L3 decision out of place.
  EXPECT_EQ(
      workflow_->signL1Form(kExam, {{"signer", {{"name", "X"}, {"rpps", td::kL2Rpps}}}}).status,
      WorkflowStatus::kInvalid);
  auto l3 = workflow_->decideL3(
      kExam, {{"readers", {{{"rpps", td::kL3Rpps}, {"name", "Dr L3"}}}}, {"positive", true}});
  EXPECT_EQ(l3.status, WorkflowStatus::kConflict);
  EXPECT_NE(l3.error.find("received"), std::string::npos) << l3.error;
  EXPECT_EQ(workflow_->workflow(kExam).body, before);
}

// With access control the signature is the logged-in account's (issue 6): the body may omit the
// signer, one naming another RPPS is refused and audited, "authenticated" is recorded.
AuditActor l1Account(const std::string& rpps, const std::string& name = "Dr L1 (account)") {
  AuditActor by{"reader.l1", "l1_radiologist@CIM01", "127.0.0.1:9"};
  by.authenticated = true;
  by.rpps = rpps;
  by.name = name;
  return by;
}

bool audited(AuditService& audit, const std::string& action, const std::string& actor) {
  AuditQuery q;
  q.actor = actor;
  q.limit = 1000;
  for (const auto& e : audit.query(q))
    if (e.action == action) return true;
  return false;
}

TEST_F(WorkflowServiceTest, AnAuthenticatedSignatureIsTheAccounts) {
  ingestFour(kExam);
  ASSERT_EQ(workflow_->putL1Form(kExam, form()).status, WorkflowStatus::kOk);
  auto r = workflow_->signL1Form(kExam, json::object(), l1Account(td::kL1Rpps));
  ASSERT_EQ(r.status, WorkflowStatus::kOk) << r.error;
  const json sig = workflow_->workflow(kExam).body["l1_signature"];
  EXPECT_EQ(sig["authenticated"], true) << sig.dump();
  EXPECT_EQ(sig["signer"]["rpps"], td::kL1Rpps) << sig.dump();
  EXPECT_EQ(sig["signer"]["name"], "Dr L1 (account)") << sig.dump();
}

TEST_F(WorkflowServiceTest, AnAuthenticatedBodyNamingItsOwnRppsSignsWithTheFormsNameWhenNoneKnown) {
  ingestFour(kExam);
  ASSERT_EQ(workflow_->putL1Form(kExam, form()).status, WorkflowStatus::kOk);
  auto r = workflow_->signL1Form(kExam, signer(), l1Account(td::kL1Rpps, ""));
  ASSERT_EQ(r.status, WorkflowStatus::kOk) << r.error;
  const json sig = workflow_->workflow(kExam).body["l1_signature"];
  EXPECT_EQ(sig["authenticated"], true);
  EXPECT_EQ(sig["signer"]["name"], "Dr L1");
}

TEST_F(WorkflowServiceTest, SigningInAnotherRadiologistsNameIsForbiddenAndAudited) {
  ingestFour(kExam);
  ASSERT_EQ(workflow_->putL1Form(kExam, form()).status, WorkflowStatus::kOk);
  const json before = workflow_->workflow(kExam).body;
  // The account is another L1 radiologist; the body names the form's radiologist.
  auto r = workflow_->signL1Form(kExam, signer(), l1Account("10000000077"));
  EXPECT_EQ(r.status, WorkflowStatus::kForbidden);
  EXPECT_NE(r.error.find("cannot sign in the name of RPPS " + std::string(td::kL1Rpps)),
            std::string::npos)
      << r.error;
  EXPECT_EQ(workflow_->workflow(kExam).body, before) << "nothing signed";
  EXPECT_TRUE(audited(*audit_, "l1-sign-refused", "reader.l1"));
  // Without a body the account itself signs, but it is not the form's radiologist.
  auto own = workflow_->signL1Form(kExam, json::object(), l1Account("10000000077"));
  EXPECT_EQ(own.status, WorkflowStatus::kInvalid) << own.error;
  // An account without an RPPS cannot sign at all.
  auto none = workflow_->signL1Form(kExam, json::object(), l1Account(""));
  EXPECT_EQ(none.status, WorkflowStatus::kForbidden);
  EXPECT_NE(none.error.find("has no RPPS"), std::string::npos) << none.error;
  EXPECT_EQ(workflow_->workflow(kExam).body, before);
}

TEST_F(WorkflowServiceTest, OpenModeStillTakesTheSignerFromTheBody) {
  ingestFour(kExam);
  ASSERT_EQ(workflow_->putL1Form(kExam, form()).status, WorkflowStatus::kOk);
  EXPECT_EQ(workflow_->signL1Form(kExam, json::object()).status, WorkflowStatus::kInvalid);
  ASSERT_EQ(workflow_->signL1Form(kExam, signer()).status, WorkflowStatus::kOk);
  EXPECT_EQ(workflow_->workflow(kExam).body["l1_signature"]["authenticated"], false);
}

TEST_F(WorkflowServiceTest, AnL2RadiologistRecordsOnlyL3DecisionsSheTookPartIn) {
  ingestFour(kExam);
  AuditActor l2{"reader.l2", "l2_radiologist", "127.0.0.1:9"};
  l2.authenticated = true;
  l2.rpps = td::kL2Rpps;
  const json decision = {{"readers", {{{"rpps", td::kL3Rpps}, {"name", "Dr L3"}}}},
                         {"positive", true}};
  auto r = workflow_->decideL3(kExam, decision, l2);
  EXPECT_EQ(r.status, WorkflowStatus::kForbidden);
  EXPECT_TRUE(audited(*audit_, "l3-decision-refused", "reader.l2"));
  // Naming herself, the decision goes on to the state check (not awaiting L3 here).
  json with_her = decision;
  with_her["readers"].push_back({{"rpps", td::kL2Rpps}, {"name", "Dr L2"}});
  EXPECT_EQ(workflow_->decideL3(kExam, with_her, l2).status, WorkflowStatus::kConflict);
}

}  // namespace
}  // namespace dualread::testing
