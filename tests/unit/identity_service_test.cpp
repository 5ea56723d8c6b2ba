// Identity vigilance through the hub's services: instances and forms matched to the register,
// the identity queue holding exams back, resolution releasing them, merge and unmerge restoring
// exactly, the store across a reopen.

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "domain/reading_form.h"
#include "hub_fixture.h"
#include "identity_wiring.h"
#include "services/reading_form_json.h"
#include "test_dicom.h"
#include "workflow_test_data.h"

namespace dualread::testing {
namespace {

using nlohmann::json;
namespace td = dualread::testdata;

constexpr const char* kIns = "265037512345601";  // valid key, born 1965-03, female
constexpr const char* kBirth = "19650301";

class IdentityServiceTest : public HubFixture {
 protected:
  void configure(HubConfig& c) override {
    c.l2_readers = {L2Reader{{td::kL2Rpps, "Dr L2"}, {}, 1}};
  }
  void SetUp() override {
    HubFixture::SetUp();
    identity_.wire(dir_, *index_, *ingest_, *workflow_, *audit_, *services_);
  }
  void TearDown() override {
    identity_.reset(*ingest_, *workflow_, *services_);
    HubFixture::TearDown();
  }

  struct Who {
    std::string cim = "CIM01";
    std::string ipp = "CIM01-000001";
    std::string name = "MARTIN^CLAIRE";
    std::string birth = kBirth;
    std::string ins = kIns;
  };

  IngestResult ingestView(const std::string& study, const std::string& view, int n,
                          const Who& who) {
    TestImage t;
    t.study_uid = study;
    t.series_uid = study + "." + std::to_string(n);
    t.sop_uid = t.series_uid + ".1";
    t.laterality = view.substr(0, 1);
    t.view_position = view.substr(1);
    t.series_description = view.substr(0, 1) + " " + view.substr(1);
    t.patient_id = who.ipp;
    t.issuer = who.cim;
    t.patient_name = who.name;
    t.birth_date = who.birth;
    t.ins = who.ins;
    t.seed = static_cast<uint16_t>(n);
    const auto path = dir_ / ("img-" + t.sop_uid + ".dcm");
    writeTestImage(t, path);
    std::ifstream in(path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    return ingest_->ingestBytes(bytes.str(), {"TEST", "", ""});
  }
  void ingestFour(const std::string& study, const Who& who) {
    int n = 0;
    for (const char* v : {"RCC", "LCC", "RMLO", "LMLO"}) {
      auto r = ingestView(study, v, ++n, who);
      ASSERT_TRUE(r.ok()) << r.message;
    }
  }
  std::optional<int64_t> womanOf(const std::string& study) {
    StudyRow s;
    EXPECT_TRUE(index_->getStudy(study, s));
    return s.patient.woman_id;
  }
  json openCases() { return identity_.service->listCases("open", 100, 0).body; }
  json wf(const std::string& exam) { return workflow_->workflow(exam).body; }
  static json form() { return toJson(td::formToSign()); }
  static json signer() { return {{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}}; }
  AuditActor secretary() { return {"sec1", "secretary", "127.0.0.1:1"}; }
  // Her whole identity as a correction body, changed by `edit`.
  json correction(int64_t woman, const std::function<void(json&)>& edit) {
    json b = toJson(traitsOf(*identity_.store->woman(woman)));
    b.erase("ins_oid");
    b["why"] = "checked against her identity card";
    edit(b);
    return b;
  }
  std::vector<std::string> errorFields(const IdentityResult& r) {
    std::vector<std::string> out;
    if (r.body.is_object() && r.body.contains("errors"))
      for (const auto& e : r.body["errors"]) out.push_back(e["field"]);
    return out;
  }
  bool auditedAs(const std::string& action, int64_t woman, const std::string& needle) {
    AuditQuery q;
    q.woman_id = std::to_string(woman);
    q.limit = 1000;
    for (const auto& e : audit_->query(q))
      if (e.action == action && e.actor == "sec1" && e.detail.find(needle) != std::string::npos)
        return true;
    return false;
  }

  IdentityWiring identity_;
};

TEST_F(IdentityServiceTest, AQualifiedInsWithTheUsedNameAttachesWithoutQueue) {
  ingestFour("1.2.3.1", {});
  const auto w = womanOf("1.2.3.1");
  ASSERT_TRUE(w);
  // A centre that records the used (married) name: same INS, another name, another IPP.
  ingestFour("1.2.3.2", {"CIM02", "CIM02-000777", "DURAND^CLAIRE", kBirth, kIns});
  EXPECT_EQ(womanOf("1.2.3.2"), w);
  EXPECT_EQ(openCases()["total"], 0);
  const auto reg = identity_.store->woman(*w);
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->status, InsStatus::kVerified);
  EXPECT_EQ(reg->nir, kIns);
  EXPECT_EQ(reg->used_names, std::vector<std::string>{"DURAND"});
  EXPECT_EQ(reg->ipps.size(), 2u);
  EXPECT_EQ(wf("1.2.3.2")["woman_id"], std::to_string(*w));
}

TEST_F(IdentityServiceTest, ATypoGoesToTheQueueHoldsTheExamAndIsReleasedWhenSettled) {
  ingestFour("1.2.3.1", {});
  const auto w = womanOf("1.2.3.1");
  Who typo;
  typo.birth = "19650302";  // one digit off
  ingestFour("1.2.3.9", typo);
  EXPECT_FALSE(womanOf("1.2.3.9")) << "never attached silently";
  const json cases = openCases();
  ASSERT_EQ(cases["total"], 1);
  const json c = cases["items"][0];
  EXPECT_EQ(c["reason"], "possible-typo");
  EXPECT_EQ(c["studies"], json::array({"1.2.3.9"}));
  EXPECT_EQ(c["candidates"], json::array({*w}));
  // Every image of the study went through the matcher: one case, not four.
  StudyRow s;
  ASSERT_TRUE(index_->getStudy("1.2.3.9", s));
  EXPECT_EQ(s.exam_status, "needs-review");
  EXPECT_NE(s.patient.identity_issue.find("identity queue case"), std::string::npos);
  // The side-by-side view marks the birth date as a near miss.
  const json view = identity_.service->caseView(c["id"]).body;
  bool near_birth = false;
  for (const auto& f : view["candidates"][0]["fields"])
    near_birth = near_birth || (f["field"] == "birth_date" && f["match"] == "near");
  EXPECT_TRUE(near_birth) << view.dump();
  // The exam is held: form signed, still not dispatched.
  ASSERT_EQ(workflow_->putL1Form("1.2.3.9", form()).status, WorkflowStatus::kOk);
  ASSERT_EQ(workflow_->signL1Form("1.2.3.9", signer()).status, WorkflowStatus::kOk);
  EXPECT_NE(wf("1.2.3.9")["state"], "awaiting_l2");
  EXPECT_FALSE(wf("1.2.3.9")["identity_hold"].is_null());
  // Settled: attached to her, reassessed, dispatched.
  auto r = identity_.service->resolveCase(
      c["id"], {{"action", "attach"}, {"woman_id", *w}, {"why", "birth date mistyped at CIM01"}},
      secretary());
  ASSERT_EQ(r.status, IdentityStatus::kOk) << r.error;
  EXPECT_EQ(womanOf("1.2.3.9"), w);
  ASSERT_TRUE(index_->getStudy("1.2.3.9", s));
  EXPECT_EQ(s.exam_status, "complete");
  EXPECT_EQ(wf("1.2.3.9")["state"], "awaiting_l2");
  EXPECT_TRUE(wf("1.2.3.9")["identity_hold"].is_null());
  EXPECT_EQ(openCases()["total"], 0);
  // Settling twice is refused; the audit trail says who and why.
  EXPECT_EQ(
      identity_.service->resolveCase(c["id"], {{"action", "create"}, {"why", "x"}}, secretary())
          .status,
      IdentityStatus::kConflict);
  AuditQuery q;
  q.woman_id = std::to_string(*w);
  bool audited = false;
  for (const auto& e : audit_->query(q))
    audited = audited || (e.action == "identity-resolve" && e.actor == "sec1" &&
                          e.detail.find("mistyped") != std::string::npos);
  EXPECT_TRUE(audited);
}

TEST_F(IdentityServiceTest, AFormOfAnotherWomanHoldsDispatchAndDealing) {
  ingestFour("1.2.3.1", {});
  json f = form();
  f["identification"]["birth_name"] = "DUPONT";
  f["identification"]["first_names"] = "Sylvie";
  f["identification"]["ins"] = "";
  auto put = workflow_->putL1Form("1.2.3.1", f);
  ASSERT_EQ(put.status, WorkflowStatus::kOk) << put.error;
  EXPECT_EQ(put.body["identity"]["decision"], "queue");
  ASSERT_EQ(workflow_->signL1Form("1.2.3.1", signer()).status, WorkflowStatus::kOk);
  EXPECT_EQ(wf("1.2.3.1")["state"], "complete") << "held: not dispatched";
  EXPECT_TRUE(workflow_->dealSessions().body["sessions"].empty());
  const int64_t case_id = put.body["identity"]["case_id"];
  auto r = identity_.service->resolveCase(
      case_id,
      {{"action", "attach"},
       {"woman_id", *womanOf("1.2.3.1")},
       {"why", "form typed for the wrong woman, corrected by phone with CIM01"}},
      secretary());
  ASSERT_EQ(r.status, IdentityStatus::kOk) << r.error;
  EXPECT_EQ(wf("1.2.3.1")["state"], "awaiting_l2");
  EXPECT_EQ(workflow_->dealSessions().body["sessions"].size(), 1u);
}

TEST_F(IdentityServiceTest, AFormCoherentWithItsImagesIsAttached) {
  ingestFour("1.2.3.1", {});
  auto put = workflow_->putL1Form("1.2.3.1", form());
  ASSERT_EQ(put.status, WorkflowStatus::kOk);
  EXPECT_EQ(put.body["identity"]["decision"], "attach") << put.body["identity"].dump();
  ASSERT_EQ(workflow_->signL1Form("1.2.3.1", signer()).status, WorkflowStatus::kOk);
  EXPECT_EQ(wf("1.2.3.1")["state"], "awaiting_l2");
}

TEST_F(IdentityServiceTest, AMarriedNameUnderAKnownIppIsAskedThenRecorded) {
  Who anne{"CIM03", "CIM03-000042", "ROBERT^ANNE", "19700101", ""};
  ingestFour("1.2.3.2", anne);
  const int64_t w = *womanOf("1.2.3.2");
  anne.name = "LEROY^ANNE";  // married since her last visit, or another woman?
  ASSERT_TRUE(ingestView("1.2.3.3", "RCC", 1, anne).ok());
  const json c = openCases()["items"][0];
  EXPECT_EQ(c["reason"], "name-change");
  ASSERT_EQ(identity_.service
                ->resolveCase(c["id"],
                              {{"action", "attach"}, {"woman_id", w}, {"why", "married in 2025"}},
                              secretary())
                .status,
            IdentityStatus::kOk);
  EXPECT_EQ(identity_.store->woman(w)->used_names, std::vector<std::string>{"LEROY"});
  EXPECT_EQ(womanOf("1.2.3.3"), w);
}

TEST_F(IdentityServiceTest, AWrongNirKeyIsQueuedAndTheImageKept) {
  Who bad;
  bad.ins = "265037512345602";
  auto r = ingestView("1.2.3.5", "RCC", 1, bad);
  EXPECT_TRUE(r.ok()) << "stored, never lost";
  EXPECT_FALSE(womanOf("1.2.3.5"));
  EXPECT_EQ(openCases()["items"][0]["reason"], "nir-invalid");
}

TEST_F(IdentityServiceTest, MergeAndUnmergeRestoreEverythingExactly) {
  ingestFour("1.2.3.1", {});
  Who b{"CIM03", "CIM03-000042", "ROBERT^ANNE", "19700101", ""};
  ingestFour("1.2.3.2", b);
  const int64_t a = *womanOf("1.2.3.1"), bid = *womanOf("1.2.3.2");
  ASSERT_NE(a, bid);
  auto snapshot = [&] {
    json j;
    for (int64_t id : {a, bid}) {
      const auto s = std::to_string(id);
      j[s]["identity"] = toJson(*identity_.store->woman(id));
      json patients = json::array();
      for (const auto& p : index_->patientsOfWoman(id)) patients.push_back(p.id);
      j[s]["patients"] = patients;
      j[s]["exams"] = workflow_store_->examIdsOfWoman(s);
      WomanRow row;
      index_->getWoman(id, row);
      j[s]["archive"] = {row.ins, row.name, row.birth_date, row.sex};
    }
    j["studies"] = {*womanOf("1.2.3.1"), *womanOf("1.2.3.2")};
    return j;
  };
  const json before = snapshot();
  auto m = identity_.service->mergeWomen(
      {{"survivor", a}, {"absorbed", bid}, {"why", "same woman"}}, secretary());
  ASSERT_EQ(m.status, IdentityStatus::kOk) << m.error;
  EXPECT_EQ(*womanOf("1.2.3.2"), a);
  EXPECT_EQ(wf("1.2.3.2")["woman_id"], std::to_string(a));
  EXPECT_EQ(identity_.store->woman(bid)->merged_into, a);
  EXPECT_TRUE(identity_.store->woman(a)->ippAt("CIM03"));
  // A new image of B's IPP now goes to A (the IPP moved), not to the queue.
  EXPECT_TRUE(ingestView("1.2.3.2", "RCC", 9, b).ok());
  EXPECT_NE(snapshot(), before);
  auto u =
      identity_.service->unmerge(m.body["id"], {{"why", "two sisters after all"}}, secretary());
  ASSERT_EQ(u.status, IdentityStatus::kOk) << u.error;
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(identity_.service->unmerge(m.body["id"], {{"why", "again"}}, secretary()).status,
            IdentityStatus::kConflict);
}

TEST_F(IdentityServiceTest, MergeRefusesTwoDifferentInsAndBadRequests) {
  ingestFour("1.2.3.1", {});
  ingestFour("1.2.3.2", {"CIM03", "CIM03-1", "ROBERT^ANNE", "19700101", "270010101234522"});
  const int64_t a = *womanOf("1.2.3.1"), b = *womanOf("1.2.3.2");
  auto& s = *identity_.service;
  EXPECT_EQ(s.mergeWomen({{"survivor", a}, {"absorbed", b}, {"why", "x"}}, secretary()).status,
            IdentityStatus::kConflict);
  EXPECT_EQ(s.mergeWomen({{"survivor", a}, {"absorbed", a}, {"why", "x"}}, secretary()).status,
            IdentityStatus::kInvalid);
  EXPECT_EQ(s.mergeWomen({{"survivor", a}, {"absorbed", b}}, secretary()).status,
            IdentityStatus::kInvalid);
  EXPECT_EQ(s.mergeWomen({{"survivor", a}, {"absorbed", 999}, {"why", "x"}}, secretary()).status,
            IdentityStatus::kNotFound);
}

TEST_F(IdentityServiceTest, TheRegisterSurvivesAReopen) {
  ingestFour("1.2.3.1", {});
  Who typo;
  typo.name = "MARTTIN^CLAIRE";
  ingestFour("1.2.3.9", typo);
  const int64_t w = *womanOf("1.2.3.1");
  identity_.reset(*ingest_, *workflow_, *services_);
  identity_.wire(dir_, *index_, *ingest_, *workflow_, *audit_, *services_);
  EXPECT_EQ(identity_.store->schemaVersion(), 2);
  EXPECT_EQ(identity_.store->woman(w)->nir, kIns);
  EXPECT_EQ(openCases()["total"], 1);
  // The same identity again: the stored decision, no second case.
  EXPECT_TRUE(ingestView("1.2.3.10", "RCC", 1, typo).ok());
  EXPECT_EQ(openCases()["total"], 1);
  EXPECT_EQ(openCases()["items"][0]["studies"].size(), 2u);
}

// A form that arrives before its images is matched again when they come.
TEST_F(IdentityServiceTest, AFormBeforeItsImagesIsMatchedAgainWhenTheyCome) {
  json f = form();
  f["identification"]["birth_name"] = "DUPONT";
  f["identification"]["first_names"] = "Sylvie";
  f["identification"]["ins"] = "";
  auto put = workflow_->putL1Form("1.2.3.7", f);
  ASSERT_EQ(put.status, WorkflowStatus::kOk) << put.error;
  EXPECT_NE(put.body["identity"]["decision"], "queue") << "nobody to compare with yet";
  ASSERT_EQ(workflow_->signL1Form("1.2.3.7", signer()).status, WorkflowStatus::kOk);
  ingestFour("1.2.3.7", {});  // MARTIN CLAIRE: not the woman the form names
  const json cases = openCases();
  ASSERT_EQ(cases["total"], 1) << cases.dump();
  EXPECT_EQ(cases["items"][0]["reason"], "form-other-woman");
  EXPECT_EQ(cases["items"][0]["exams"], json::array({"1.2.3.7"}));
  EXPECT_EQ(wf("1.2.3.7")["state"], "complete") << "held: not dispatched";
  EXPECT_FALSE(wf("1.2.3.7")["identity_hold"].is_null());
}

TEST_F(IdentityServiceTest, ACoherentFormBeforeItsImagesIsAttachedWhenTheyCome) {
  ASSERT_EQ(workflow_->putL1Form("1.2.3.8", form()).status, WorkflowStatus::kOk);
  ASSERT_EQ(workflow_->signL1Form("1.2.3.8", signer()).status, WorkflowStatus::kOk);
  ingestFour("1.2.3.8", {});
  EXPECT_EQ(openCases()["total"], 0);
  EXPECT_EQ(wf("1.2.3.8")["state"], "awaiting_l2");
}

TEST_F(IdentityServiceTest, AFormBeforeHeldImagesIsMatchedAgainWhenTheirCaseIsSettled) {
  ingestFour("1.2.3.1", {});
  const int64_t w = *womanOf("1.2.3.1");
  json f = form();
  f["identification"]["birth_name"] = "DUPONT";
  f["identification"]["first_names"] = "Sylvie";
  f["identification"]["ins"] = "";
  ASSERT_EQ(workflow_->putL1Form("1.2.3.6", f).status, WorkflowStatus::kOk);
  Who typo;
  typo.birth = "19650302";
  ingestFour("1.2.3.6", typo);  // held: a typo of her birth date
  json cases = openCases();
  ASSERT_EQ(cases["total"], 1) << cases.dump();
  ASSERT_EQ(identity_.service
                ->resolveCase(cases["items"][0]["id"],
                              {{"action", "attach"}, {"woman_id", w}, {"why", "birth date typo"}},
                              secretary())
                .status,
            IdentityStatus::kOk);
  // Her images are hers now; the form names another woman: a new case holds the exam.
  cases = openCases();
  ASSERT_EQ(cases["total"], 1) << cases.dump();
  EXPECT_EQ(cases["items"][0]["exams"], json::array({"1.2.3.6"}));
  EXPECT_FALSE(wf("1.2.3.6")["identity_hold"].is_null());
}

// The first study seen carried a typo: the woman carries it, her correct studies queue. The
// secretary corrects her; the open cases are matched again (and stay for a human); undo.
TEST_F(IdentityServiceTest, TypoFirstCorrectedReassessesTheQueueAndIsUndoable) {
  Who typo;
  typo.name = "MARTNI^CLAIRE";
  ingestFour("1.2.3.1", typo);
  const int64_t w = *womanOf("1.2.3.1");
  EXPECT_EQ(identity_.store->woman(w)->birth_name, "MARTNI");
  ingestFour("1.2.3.2", {});  // the same CIM, the right name
  ingestFour("1.2.3.3", {"CIM02", "CIM02-000777", "MARTIN^CLAIRE", kBirth, kIns});
  json cases = openCases();
  ASSERT_EQ(cases["total"], 2) << cases.dump();
  EXPECT_FALSE(womanOf("1.2.3.2"));

  auto r = identity_.service->correctWoman(
      w, correction(w, [](json& b) { b["birth_name"] = "MARTIN"; }), secretary());
  ASSERT_EQ(r.status, IdentityStatus::kOk) << r.error << r.body.dump();
  EXPECT_EQ(r.body["changed"], json::array({"birth_name"}));
  EXPECT_EQ(identity_.store->woman(w)->birth_name, "MARTIN");
  WomanRow row;
  ASSERT_TRUE(index_->getWoman(w, row));
  EXPECT_EQ(row.name, "MARTIN^CLAIRE") << "the archive's mirror follows";
  ASSERT_EQ(r.body["reassessed"].size(), 2u);
  for (const auto& a : r.body["reassessed"]) {
    EXPECT_EQ(a["outcome"], "attach") << a.dump();
    EXPECT_EQ(a["woman_id"], w);
    EXPECT_EQ(a["status"], "verified");
  }
  // Nothing attached by the correction: the cases stay open for a human, the exams held.
  cases = openCases();
  ASSERT_EQ(cases["total"], 2);
  EXPECT_EQ(cases["items"][0]["reassessment"]["outcome"], "attach");
  EXPECT_FALSE(womanOf("1.2.3.2"));
  // The side-by-side view shows the new comparison.
  const int64_t c2 = cases["items"][1]["id"];
  const json view = identity_.service->caseView(c2).body;
  for (const auto& f : view["candidates"][0]["fields"])
    if (f["field"] == "family_name") {
      EXPECT_EQ(f["match"], "same") << f.dump();
    }
  // History with before / after / who / why, audited.
  json her = identity_.service->woman(w).body;
  ASSERT_EQ(her["corrections"].size(), 1u);
  const json corr = her["corrections"][0];
  EXPECT_EQ(corr["before"]["birth_name"], "MARTNI");
  EXPECT_EQ(corr["after"]["birth_name"], "MARTIN");
  EXPECT_EQ(corr["corrected_by"], "sec1");
  EXPECT_EQ(corr["why"], "checked against her identity card");
  EXPECT_EQ(corr["undoable"], true);
  EXPECT_TRUE(auditedAs("identity-correct", w, "MARTNI"));
  // The secretary settles one case; the other stays.
  ASSERT_EQ(identity_.service
                ->resolveCase(c2, {{"action", "attach"}, {"woman_id", w}, {"why", "same woman"}},
                              secretary())
                .status,
            IdentityStatus::kOk);
  // Undo: the typo comes back, the remaining case is matched again (no longer exact).
  EXPECT_EQ(identity_.service->undoCorrection(w, corr["id"], json::object(), secretary()).status,
            IdentityStatus::kInvalid)
      << "why is required";
  auto u = identity_.service->undoCorrection(w, corr["id"], {{"why", "wrong woman"}}, secretary());
  ASSERT_EQ(u.status, IdentityStatus::kOk) << u.error;
  EXPECT_EQ(identity_.store->woman(w)->birth_name, "MARTNI");
  ASSERT_EQ(u.body["reassessed"].size(), 1u);
  EXPECT_EQ(u.body["reassessed"][0]["outcome"], "queue");
  her = identity_.service->woman(w).body;
  EXPECT_EQ(her["corrections"][0]["in_force"], false);
  EXPECT_EQ(her["corrections"][0]["undone"]["why"], "wrong woman");
  EXPECT_TRUE(auditedAs("identity-correct-undo", w, "wrong woman"));
  EXPECT_EQ(
      identity_.service->undoCorrection(w, corr["id"], {{"why", "again"}}, secretary()).status,
      IdentityStatus::kConflict);
}

TEST_F(IdentityServiceTest, ACorrectionIsValidatedFieldByFieldAndChangesNothingWhenRefused) {
  ingestFour("1.2.3.1", {});
  const int64_t w = *womanOf("1.2.3.1");
  const WomanIdentity before = *identity_.store->woman(w);
  auto& s = *identity_.service;
  auto fields = [&](const std::function<void(json&)>& edit) {
    auto r = s.correctWoman(w, correction(w, edit), secretary());
    EXPECT_EQ(r.status, IdentityStatus::kInvalid) << r.body.dump();
    return errorFields(r);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(fields([](json& b) { b["ins"] = "265037512345602"; }), V{"ins"}) << "NIR key";
  EXPECT_EQ(fields([](json& b) { b["ins"] = "26503751234"; }), V{"ins"});
  EXPECT_EQ(fields([](json& b) { b["sex"] = "M"; }), V{"ins"}) << "the NIR says female";
  EXPECT_EQ(fields([](json& b) { b["birth_date"] = "19660301"; }), V{"ins"}) << "NIR year";
  EXPECT_EQ(fields([](json& b) {
              b["birth_date"] = "1965-02-30";
              b["ins"] = "";
              b["status"] = "provisional";
            }),
            V{"birth_date"});
  EXPECT_EQ(fields([](json& b) {
              b["birth_date"] = "2999-01-01";
              b["ins"] = "";
              b["status"] = "provisional";
            }),
            V{"birth_date"});
  EXPECT_EQ(fields([](json& b) { b["sex"] = "X"; }), V{"sex"});
  EXPECT_EQ(fields([](json& b) { b["birth_place"] = "7505"; }), V{"birth_place"});
  EXPECT_EQ(fields([](json& b) { b["birth_name"] = " - "; }), V{"birth_name"});
  EXPECT_EQ(fields([](json& b) {
              b["used_names"] = json::array({"DURAND", ""});
            }),
            V{"used_names[1]"});
  EXPECT_EQ(fields([](json& b) { b["used_names"] = "DURAND"; }), V{"used_names"});
  EXPECT_EQ(fields([](json& b) {
              b["ins"] = "";
              b["status"] = "verified";
            }),
            V{"status"});
  EXPECT_EQ(fields([](json& b) { b["status"] = "sure"; }), V{"status"});
  EXPECT_EQ(fields([](json& b) { b["colour"] = "red"; }), V{"colour"});
  EXPECT_EQ(fields([](json& b) { b.erase("first_names"); }), V{"first_names"});
  EXPECT_EQ(fields([](json& b) { b["sex"] = 1; }), V{"sex"});
  EXPECT_EQ(fields([](json& b) { b.erase("why"); }), V{"why"});
  EXPECT_EQ(s.correctWoman(w, json::array(), secretary()).status, IdentityStatus::kInvalid);
  // Nothing to correct; unknown woman; unknown or foreign correction.
  auto same = s.correctWoman(w, correction(w, [](json&) {}), secretary());
  EXPECT_EQ(same.status, IdentityStatus::kInvalid);
  EXPECT_NE(same.error.find("nothing to correct"), std::string::npos);
  EXPECT_EQ(s.correctWoman(999, correction(w, [](json&) {}), secretary()).status,
            IdentityStatus::kNotFound);
  EXPECT_EQ(s.undoCorrection(w, 999, {{"why", "x"}}, secretary()).status,
            IdentityStatus::kNotFound);
  EXPECT_EQ(*identity_.store->woman(w), before);
  EXPECT_TRUE(identity_.store->correctionsOf(w).empty());
  // Accepted: the date in ISO form, a birth place in Corsica, a used name.
  auto ok = s.correctWoman(w,
                           correction(w,
                                      [](json& b) {
                                        b["birth_date"] = "1965-03-01";
                                        b["birth_place"] = "2A004";
                                        b["used_names"] = json::array({"DURAND"});
                                      }),
                           secretary());
  ASSERT_EQ(ok.status, IdentityStatus::kOk) << ok.error << ok.body.dump();
  EXPECT_EQ(identity_.store->woman(w)->birth_place, "2A004");
  EXPECT_EQ(s.undoCorrection(999, ok.body["correction_id"], {{"why", "x"}}, secretary()).status,
            IdentityStatus::kNotFound)
      << "a correction of another woman";
}

TEST_F(IdentityServiceTest, ACorrectionMakingHerAnotherWomanProposesAMergeAndChangesNothing) {
  ingestFour("1.2.3.1", {});  // A: MARTIN CLAIRE, qualified INS
  Who b{"CIM03", "CIM03-000042", "ROBERT^ANNE", "19700101", ""};
  ingestFour("1.2.3.2", b);  // B: no INS
  const int64_t a = *womanOf("1.2.3.1");
  const int64_t bid = *womanOf("1.2.3.2");
  ASSERT_NE(a, bid);
  const WomanIdentity before = *identity_.store->woman(bid);
  // B's traits corrected into A's: the same person as far as the register can tell.
  auto r = identity_.service->correctWoman(bid,
                                           correction(bid,
                                                      [](json& j) {
                                                        j["birth_name"] = "MARTIN";
                                                        j["first_names"] = "CLAIRE";
                                                        j["birth_date"] = kBirth;
                                                      }),
                                           secretary());
  ASSERT_EQ(r.status, IdentityStatus::kConflict) << r.error;
  EXPECT_EQ(r.body["conflicts"][0]["woman_id"], a);
  EXPECT_EQ(r.body["proposed_merge"]["survivor"], a);
  EXPECT_EQ(r.body["proposed_merge"]["absorbed"], bid);
  EXPECT_EQ(*identity_.store->woman(bid), before);
  EXPECT_FALSE(identity_.store->woman(bid)->merged_into) << "never merged by a correction";
  // Giving her A's INS is the same conflict.
  auto ins = identity_.service->correctWoman(bid,
                                             correction(bid,
                                                        [](json& j) {
                                                          j["ins"] = kIns;
                                                          j["birth_date"] = kBirth;
                                                          j["status"] = "verified";
                                                        }),
                                             secretary());
  EXPECT_EQ(ins.status, IdentityStatus::kConflict);
  EXPECT_NE(ins.error.find("same INS"), std::string::npos) << ins.error;
  // Merged, B cannot be corrected; undo of her correction is refused too.
  auto ok = identity_.service->correctWoman(
      bid, correction(bid, [](json& j) { j["birth_place"] = "75056"; }), secretary());
  ASSERT_EQ(ok.status, IdentityStatus::kOk) << ok.error;
  ASSERT_EQ(
      identity_.service
          ->mergeWomen({{"survivor", a}, {"absorbed", bid}, {"why", "one woman"}}, secretary())
          .status,
      IdentityStatus::kOk);
  EXPECT_EQ(identity_.service
                ->correctWoman(bid, correction(bid, [](json& j) { j["birth_place"] = "75057"; }),
                               secretary())
                .status,
            IdentityStatus::kConflict);
  EXPECT_EQ(
      identity_.service->undoCorrection(bid, ok.body["correction_id"], {{"why", "x"}}, secretary())
          .status,
      IdentityStatus::kConflict);
}

TEST_F(IdentityServiceTest, OnlyTheLatestCorrectionCanBeUndoneFirst) {
  ingestFour("1.2.3.1", {});
  const int64_t w = *womanOf("1.2.3.1");
  auto& s = *identity_.service;
  auto c1 =
      s.correctWoman(w, correction(w, [](json& b) { b["birth_place"] = "75056"; }), secretary());
  auto c2 = s.correctWoman(w, correction(w, [](json& b) { b["first_names"] = "CLAIRE ANNE"; }),
                           secretary());
  ASSERT_EQ(c2.status, IdentityStatus::kOk);
  json her = s.woman(w).body;
  EXPECT_EQ(her["corrections"][0]["undoable"], true);
  EXPECT_EQ(her["corrections"][1]["undoable"], false);
  EXPECT_EQ(s.undoCorrection(w, c1.body["correction_id"], {{"why", "x"}}, secretary()).status,
            IdentityStatus::kConflict);
  ASSERT_EQ(s.undoCorrection(w, c2.body["correction_id"], {{"why", "x"}}, secretary()).status,
            IdentityStatus::kOk);
  ASSERT_EQ(s.undoCorrection(w, c1.body["correction_id"], {{"why", "x"}}, secretary()).status,
            IdentityStatus::kOk);
  EXPECT_EQ(identity_.store->woman(w)->birth_place, "");
  EXPECT_EQ(identity_.store->woman(w)->first_names, "CLAIRE");
}

TEST_F(IdentityServiceTest, VersionOneRegistersGainTheCorrectionsTable) {
  ingestFour("1.2.3.1", {});
  const int64_t w = *womanOf("1.2.3.1");
  identity_.reset(*ingest_, *workflow_, *services_);
  {
    // Back to the schema of the first release of identity vigilance.
    SqliteDb db((dir_ / "index.sqlite").string(), false);
    db.exec("DROP TABLE identity_corrections");
    db.exec("ALTER TABLE identity_cases DROP COLUMN reassessment_json");
    db.exec("UPDATE identity_meta SET value = '1' WHERE key = 'schema_version'");
  }
  identity_.wire(dir_, *index_, *ingest_, *workflow_, *audit_, *services_);
  EXPECT_EQ(identity_.store->schemaVersion(), 2);
  auto r = identity_.service->correctWoman(
      w, correction(w, [](json& b) { b["birth_place"] = "75056"; }), secretary());
  EXPECT_EQ(r.status, IdentityStatus::kOk) << r.error;
}

}  // namespace
}  // namespace dualread::testing
