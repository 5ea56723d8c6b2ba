// The screening workflow over HTTP, in process: images arrive by STOW-RS, the L1 form is put
// and signed, the exam is dispatched, dealt into an L2 session, read and concluded; positive
// L2 recalls; a CTI request's retake joins the same exam; refused transitions answer 409.

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>

#include "http_test_fixture.h"
#include "services/reading_form_json.h"
#include "workflow_test_data.h"

namespace dualread::testing {
namespace {

using nlohmann::json;
namespace td = dualread::testdata;

constexpr const char* kCimId = "CIM01";  // the test images' IssuerOfPatientID

class HttpWorkflowTest : public HttpTest {
 protected:
  void configure(HubConfig& c) override {
    c.l2_readers = {L2Reader{{td::kL2Rpps, "Dr L2"}, {"CIM-Z"}, 1}};
    c.programme.l3_enabled = l3_enabled_;
  }
  // 10 January 2026, 09:00, one minute later at each reading of the clock (a retake must be
  // acquired strictly after its request).
  WorkflowService::Clock workflowClock() override {
    return [this] { return makeTime(2026, 1, 10, 9) + std::chrono::minutes(ticks_++); };
  }

  // Sends the given views ("RCC", "LMLO"...) as one study.
  void ingestViews(const std::string& study_uid, const std::vector<std::string>& views,
                   int seed = 1) {
    std::vector<std::string> files;
    int n = 0;
    for (const auto& v : views) {
      TestImage t;
      t.study_uid = study_uid;
      t.series_uid = study_uid + "." + std::to_string(++n);
      t.sop_uid = t.series_uid + ".1";
      t.laterality = v.substr(0, 1);
      t.view_position = v.substr(1);
      t.series_description = v.substr(0, 1) + " " + v.substr(1);
      t.seed = static_cast<uint16_t>(seed * 10 + n);
      files.push_back(dicomBytes(t));
    }
    auto r = stow(files);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void ingestFourViews(const std::string& study_uid) {
    ingestViews(study_uid, {"RCC", "LCC", "RMLO", "LMLO"});
  }

  static L1Form form(L1Form f = td::negativeForm()) {
    f.identification.woman_id.clear();
    f.identification.cim_id = kCimId;
    f.identification.mammogram_date = makeDate(2026, 1, 10);
    f.signature = {};
    return f;
  }

  ClientResponse send(const std::string& method, const std::string& target, const json& body) {
    return httpRequest(port_, method, target, {{"Content-Type", "application/json"}}, body.dump());
  }
  json sendOk(const std::string& method, const std::string& target, const json& body) {
    auto r = send(method, target, body);
    EXPECT_EQ(r.status, 200) << method << " " << target << ": " << r.body;
    return parseBody(r);
  }
  std::string state(const std::string& exam) {
    return getJson("/api/exams/" + exam + "/workflow").value("state", "");
  }

  // 4 views + form put and signed: the exam is then dispatched.
  void readyExam(const std::string& exam, const L1Form& f = form()) {
    ingestFourViews(exam);
    sendOk("PUT", "/api/exams/" + exam + "/l1-form", toJson(f));
    sendOk("POST", "/api/exams/" + exam + "/l1-form/sign",
           {{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}});
  }
  // Deals and returns the one session's id.
  std::string deal() {
    json dealt = sendOk("POST", "/api/sessions/deal", json::object());
    EXPECT_EQ(dealt["sessions"].size(), 1u) << dealt.dump();
    return dealt["sessions"].empty() ? "" : dealt["sessions"][0].value("id", "");
  }
  json read(const std::string& session, const L2Reading& reading) {
    return sendOk("POST", "/api/sessions/" + session + "/readings", toJson(reading));
  }

  bool l3_enabled_ = false;
  std::atomic<int> ticks_{0};
};

constexpr const char* kExam = "1.2.826.0.1.3680043.10.1011.77.1";

TEST_F(HttpWorkflowTest, NegativeExamGoesFromImagesToNegativeResult) {
  ingestFourViews(kExam);
  json wf = getJson(std::string("/api/exams/") + kExam + "/workflow");
  EXPECT_EQ(wf["state"], "received");
  EXPECT_TRUE(wf["images_complete"].get<bool>());
  ASSERT_FALSE(wf["missing"].empty());
  EXPECT_NE(wf["missing"][0].get<std::string>().find("reading form"), std::string::npos);

  // Put: stored unsigned, still received, the signature is what is missing.
  json put = sendOk("PUT", std::string("/api/exams/") + kExam + "/l1-form", toJson(form()));
  EXPECT_EQ(put["state"], "received");
  ASSERT_EQ(put["form_errors"].size(), 1u) << put.dump();
  EXPECT_EQ(put["form_errors"][0]["field"].get<std::string>().rfind("signature", 0), 0u);

  json got = getJson(std::string("/api/exams/") + kExam + "/l1-form");
  EXPECT_EQ(got["form"]["identification"]["cim_id"], kCimId);
  EXPECT_TRUE(got["signature"].is_null());

  // Sign: complete, then dispatched to L2 at once.
  json signed_wf = sendOk("POST", std::string("/api/exams/") + kExam + "/l1-form/sign",
                          {{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}});
  EXPECT_EQ(signed_wf["state"], "awaiting_l2");
  EXPECT_EQ(signed_wf["l1_signature"]["authenticated"], false);
  EXPECT_EQ(signed_wf["l1_signature"]["signer"]["rpps"], td::kL1Rpps);
  EXPECT_EQ(signed_wf["l1_signature"]["form_sha256"].get<std::string>().size(), 64u);

  // Deal: one session for the configured reader.
  const std::string session = deal();
  EXPECT_EQ(state(kExam), "in_session");
  json sessions = getJson(std::string("/api/sessions?reader=") + td::kL2Rpps);
  ASSERT_EQ(sessions["items"].size(), 1u);
  EXPECT_EQ(sessions["items"][0]["id"], session);
  json next = getJson("/api/sessions/" + session + "/next");
  EXPECT_FALSE(next["done"].get<bool>());
  EXPECT_EQ(next["exam"]["exam_id"], kExam);
  EXPECT_EQ(next["due"], "2026-01-25");
  EXPECT_TRUE(next["l1_form"].is_object());

  // L2 negative: concluded to a negative result; the session is done.
  json after = read(session, td::negativeL2());
  EXPECT_EQ(after["exam"]["state"], "negative_result");
  EXPECT_EQ(after["session"]["status"], "done");
  EXPECT_TRUE(getJson("/api/sessions/" + session + "/next")["done"].get<bool>());
  json summary = getJson("/api/sessions/" + session + "/summary");
  EXPECT_EQ(summary["reads"], 1);
  EXPECT_EQ(summary["negatives"], 1);

  // The history tells the whole path.
  std::vector<std::string> path;
  const json final_wf = getJson(std::string("/api/exams/") + kExam + "/workflow");
  for (const auto& h : final_wf["history"]) path.push_back(h["to"]);
  EXPECT_EQ(path, (std::vector<std::string>{"received", "received", "received", "received",
                                            "received", "received", "complete", "awaiting_l2",
                                            "in_session", "l2_read", "negative_result"}));

  // CDA export of the form with its L2.
  auto cda =
      httpGet(port_, std::string("/api/exams/") + kExam + "/cda", {{"Accept", "application/xml"}});
  EXPECT_EQ(cda.status, 200);
  EXPECT_NE(cda.body.find("<ClinicalDocument"), std::string::npos);
  EXPECT_NE(cda.body.find(td::kL2Rpps), std::string::npos);
}

TEST_F(HttpWorkflowTest, TheFormMayArriveBeforeTheImages) {
  const std::string base = std::string("/api/exams/") + kExam;
  json put = sendOk("PUT", base + "/l1-form", toJson(form()));
  EXPECT_EQ(put["state"], "received");
  ASSERT_FALSE(put["missing"].empty());
  EXPECT_NE(put["missing"][0].get<std::string>().find("No images"), std::string::npos);
  ingestFourViews(kExam);
  json wf = getJson(base + "/workflow");
  EXPECT_EQ(wf["state"], "received");  // not signed yet
  EXPECT_FALSE(wf["woman_id"].get<std::string>().empty());
  EXPECT_EQ(wf["study_uids"], json::array({kExam}));
  EXPECT_EQ(sendOk("POST", base + "/l1-form/sign",
                   {{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}})["state"],
            "awaiting_l2");
}

TEST_F(HttpWorkflowTest, PositiveL2WithoutL3RecallsTheWoman) {
  readyExam(kExam);
  const std::string session = deal();
  json after = read(session, td::positiveL2());
  EXPECT_EQ(after["exam"]["state"], "recall_bdd");
  json summary = getJson("/api/sessions/" + session + "/summary");
  EXPECT_EQ(summary["positives"], 1);
  EXPECT_EQ(summary["discordant_exam_ids"], json::array({kExam}));
  EXPECT_TRUE(getJson("/api/l3")["items"].empty());
}

class HttpWorkflowL3Test : public HttpWorkflowTest {
 protected:
  void SetUp() override {
    l3_enabled_ = true;
    HttpWorkflowTest::SetUp();
  }
};

TEST_F(HttpWorkflowL3Test, PositiveL2GoesToL3AndTheDecisionConcludes) {
  readyExam(kExam);
  read(deal(), td::positiveL2());
  EXPECT_EQ(state(kExam), "awaiting_l3");
  json queue = getJson("/api/l3");
  ASSERT_EQ(queue["items"].size(), 1u);
  EXPECT_EQ(queue["items"][0]["exam_id"], kExam);

  // The L1 reader may not arbitrate her own reading: 400 with the sentence.
  auto refused =
      send("POST", std::string("/api/exams/") + kExam + "/l3",
           {{"readers", {{{"rpps", td::kL1Rpps}, {"name", "Dr L1"}}}}, {"positive", false}});
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(parseBody(refused)["error"].get<std::string>().find("first reader"), std::string::npos);

  json decided = sendOk("POST", std::string("/api/exams/") + kExam + "/l3",
                        {{"readers", {{{"rpps", td::kL3Rpps}, {"name", "Dr L3"}}}},
                         {"positive", false},
                         {"comment", "benign asymmetry"}});
  EXPECT_EQ(decided["state"], "negative_result");
  EXPECT_TRUE(getJson("/api/l3")["items"].empty());
}

TEST_F(HttpWorkflowTest, CtiRetakeJoinsTheSameExamAndAwaitsL2Again) {
  readyExam(kExam);
  const std::string session = deal();
  json after = read(session, td::ctiL2());
  EXPECT_EQ(after["exam"]["state"], "cti_requested");

  json worklist = getJson(std::string("/api/cti?cim=") + kCimId);
  ASSERT_EQ(worklist["items"].size(), 1u) << worklist.dump();
  EXPECT_EQ(worklist["items"][0]["exam_id"], kExam);
  EXPECT_EQ(worklist["items"][0]["items"][0]["view"], "RMLO");

  // The retake: a new study with the requested view, from the same woman and centre.
  const std::string retake = "1.2.826.0.1.3680043.10.1011.77.2";
  ingestViews(retake, {"RMLO"}, 2);
  json wf = getJson(std::string("/api/exams/") + kExam + "/workflow");
  EXPECT_EQ(wf["state"], "awaiting_l2");
  EXPECT_EQ(wf["study_uids"], json::array({kExam, retake}));
  EXPECT_EQ(wf["retake_study_uids"], json::array({retake}));
  EXPECT_EQ(wf["cti_requests"][0]["status"], "fulfilled");
  // No second file was created for the retake.
  EXPECT_EQ(httpGet(port_, "/api/exams/" + retake + "/workflow").status, 404);
  EXPECT_TRUE(getJson(std::string("/api/cti?cim=") + kCimId)["items"].empty());

  // A new L2, preferably by the reader who asked for the retake.
  const std::string second = deal();
  EXPECT_NE(second, session);
  EXPECT_EQ(read(second, td::negativeL2())["exam"]["state"], "negative_result");
}

TEST_F(HttpWorkflowTest, RefusedTransitionsAnswerWithASentence) {
  // Unknown exam: 404.
  EXPECT_EQ(httpGet(port_, "/api/exams/1.2.3.4/workflow").status, 404);

  ingestFourViews(kExam);
  const std::string base = std::string("/api/exams/") + kExam;
  // Sign before any form: 409.
  auto r = send("POST", base + "/l1-form/sign",
                {{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_FALSE(parseBody(r)["error"].get<std::string>().empty());

  // A malformed form: 400 with field paths.
  json bad = toJson(form());
  bad["mammography"]["density"] = "Z";
  r = send("PUT", base + "/l1-form", bad);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parseBody(r)["errors"][0]["field"], "mammography.density");
  r = httpRequest(port_, "PUT", base + "/l1-form", {{"Content-Type", "application/json"}},
                  "{not json");
  EXPECT_EQ(r.status, 400);

  // Signed by somebody else than the form's L1 radiologist: 400.
  sendOk("PUT", base + "/l1-form", toJson(form()));
  r = send("POST", base + "/l1-form/sign", {{"signer", {{"name", "Dr X"}, {"rpps", td::kL2Rpps}}}});
  EXPECT_EQ(r.status, 400);
  r = send("POST", base + "/l1-form/sign", {{"signer", {{"name", "Dr L1"}, {"rpps", "12"}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parseBody(r)["errors"][0]["field"], "signer.rpps");

  // Once dispatched the form can no longer be replaced: 409 naming the state.
  sendOk("POST", base + "/l1-form/sign", {{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}});
  r = send("PUT", base + "/l1-form", toJson(form()));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(parseBody(r)["error"].get<std::string>().find("awaiting L2"), std::string::npos)
      << r.body;
  // No L3 on an exam awaiting L2: 409.
  r = send("POST", base + "/l3",
           {{"readers", {{{"rpps", td::kL3Rpps}, {"name", "Dr L3"}}}}, {"positive", true}});
  EXPECT_EQ(r.status, 409) << r.body;

  // A reading by somebody else than the session's reader: 400; skip returns it to the pool.
  const std::string session = deal();
  r = send("POST", "/api/sessions/" + session + "/readings", toJson(td::negativeL2(td::kL2bRpps)));
  EXPECT_EQ(r.status, 400) << r.body;
  json skipped = sendOk("POST", "/api/sessions/" + session + "/skip", {{"reason", "tired"}});
  EXPECT_EQ(skipped["exam"]["state"], "awaiting_l2");
  r = send("POST", "/api/sessions/" + session + "/readings", toJson(td::negativeL2()));
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(httpGet(port_, "/api/sessions/S999").status, 404);
  EXPECT_EQ(httpGet(port_, "/api/cti").status, 400);
}

TEST_F(HttpWorkflowTest, L1PositiveGoesToFollowUpNotToL2) {
  L1Form f = form(td::positiveForm());
  readyExam(kExam, f);
  EXPECT_EQ(state(kExam), "l1_positive");
  json dealt = sendOk("POST", "/api/sessions/deal", json::object());
  EXPECT_TRUE(dealt["sessions"].empty());
}

}  // namespace
}  // namespace dualread::testing
