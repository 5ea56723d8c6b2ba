// Results after reading over HTTP, in process: the register is loaded from an invitation file
// (a bad file is refused whole, with each row's problem), the daily print run makes the letters
// due (PDFs checked with pdftotext), marks results sent, keeps one PDF per letter for download
// (audited); results are sent and files closed, illegal transitions answer 409; a recall is
// followed until its pathology result closes it; the overdue list and the indicators.

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>

#include "http_test_fixture.h"
#include "index/sqlite.h"
#include "letters_test_data.h"
#include "services/reading_form_json.h"
#include "workflow_test_data.h"

namespace dualread::testing {
namespace {

using nlohmann::json;
namespace td = dualread::testdata;
namespace lt = dualread::letters_test;

constexpr const char* kCimId = "CIM01";
constexpr const char* kExam = "1.2.826.0.1.3680043.10.1011.79.1";
constexpr const char* kGpRpps = "10000000101";

// The test woman (td::kIns) with her GP; `extra` rows appended.
std::string invitationFile(const std::string& extra = "") {
  return "ins;birth_name;first_names;birth_date;address_1;address_2;postal_code;city;"
         "invited_on;gp_rpps;gp_name;gp_address;gp_postal_code;gp_city\n" +
         std::string(td::kIns) +
         ";MARTIN;Claire Anne;1965-03-01;12 chemin des Écoliers;Résidence Les Tilleuls;69100;"
         "Villeurbanne;2025-12-01;" +
         kGpRpps + ";Jean Dupré;3 place Lyautey;69006;Lyon\n" + extra;
}

class HttpResultsTest : public HttpTest {
 protected:
  void configure(HubConfig& c) override {
    c.l2_readers = {L2Reader{{td::kL2Rpps, "Dr L2"}, {"CIM-Z"}, 1}};
    c.letters.crcdc = {
        "CRCDC Auvergne-Rhône-Alpes", {"14 rue de l'Épée"}, "69003", "Lyon", "04 72 00 00 00", ""};
    c.letters.signatory = "Dr Hélène Roche";
    c.letters.signatory_title = "Médecin coordinatrice";
    if (with_cim_)
      c.letters.cims = {{kCimId,
                         {"Cabinet de radiologie des Brotteaux",
                          {"45 boulevard des Belges"},
                          "69006",
                          "Lyon",
                          "04 78 00 00 01",
                          ""}}};
  }
  WorkflowService::Clock workflowClock() override {
    return [this] {
      return makeTime(2026, 1, 10, 9) + std::chrono::hours(24 * days_.load()) +
             std::chrono::minutes(ticks_++);
    };
  }

  ClientResponse send(const std::string& method, const std::string& target, const json& body,
                      const std::string& type = "application/json") {
    return httpRequest(port_, method, target, {{"Content-Type", type}},
                       type == "application/json" ? body.dump() : body.get<std::string>());
  }
  json sendOk(const std::string& method, const std::string& target, const json& body = json()) {
    auto r = send(method, target, body.is_null() ? json::object() : body);
    EXPECT_EQ(r.status, 200) << method << " " << target << ": " << r.body;
    return parseBody(r);
  }
  std::string state(const std::string& exam) {
    return getJson("/api/exams/" + exam + "/workflow").value("state", "");
  }
  void importRegister(const std::string& csv = invitationFile()) {
    auto r = send("POST", "/api/register/import?file_name=invitations.csv", csv, "text/csv");
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // Images, signed form, dealt, read with `reading`.
  void readExam(const L2Reading& reading, const L1Form& base = td::negativeForm()) {
    std::vector<std::string> files;
    int n = 0;
    for (std::string v : {"RCC", "LCC", "RMLO", "LMLO"}) {
      TestImage t;
      t.study_uid = kExam;
      t.series_uid = std::string(kExam) + "." + std::to_string(++n);
      t.sop_uid = t.series_uid + ".1";
      t.laterality = v.substr(0, 1);
      t.view_position = v.substr(1);
      t.series_description = v.substr(0, 1) + " " + v.substr(1);
      t.seed = static_cast<uint16_t>(n);
      files.push_back(dicomBytes(t));
    }
    ASSERT_EQ(stow(files).status, 200);
    L1Form f = base;
    f.identification.woman_id.clear();
    f.identification.cim_id = kCimId;
    f.identification.mammogram_date = makeDate(2026, 1, 10);
    f.signature = {};
    sendOk("PUT", std::string("/api/exams/") + kExam + "/l1-form", toJson(f));
    sendOk("POST", std::string("/api/exams/") + kExam + "/l1-form/sign",
           {{"signer", {{"name", "Dr Anne Martin"}, {"rpps", td::kL1Rpps}}}});
    if (f.conclusion.result == L1Conclusion::kPositive) return;
    json dealt = sendOk("POST", "/api/sessions/deal");
    ASSERT_EQ(dealt["sessions"].size(), 1u);
    sendOk("POST", "/api/sessions/" + dealt["sessions"][0]["id"].get<std::string>() + "/readings",
           toJson(reading));
  }
  std::string pdfText(const std::string& target) {
    auto r = httpGet(port_, target, {{"Accept", "application/pdf"}});
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    EXPECT_EQ(r.body.rfind("%PDF-", 0), 0u);
    return lt::pdfText(r.body, dir_, "download");
  }
  std::vector<AuditEvent> audited(const std::string& action) {
    AuditQuery q;
    q.limit = 1000;
    std::vector<AuditEvent> out;
    for (auto& e : audit_->query(q))
      if (e.action == action) out.push_back(e);
    return out;
  }

  bool with_cim_ = true;
  std::atomic<int> days_{0};
  std::atomic<int> ticks_{0};
};

TEST_F(HttpResultsTest, AnInvitationFileWithBadRowsIsRefusedWholeWithEachProblem) {
  const std::string bad = invitationFile(
      "265037512345699;DURAND;Anne;1960-13-01;;;6910;Lyon;;123;;;;\n"
      "265037512345601;DOUBLE;Marie;1960-01-01;1 rue;;69001;Lyon;;;;;;\n");
  auto r = send("POST", "/api/register/import", bad, "text/csv");
  ASSERT_EQ(r.status, 400) << r.body;
  json body = parseBody(r);
  EXPECT_NE(body["error"].get<std::string>().find("nothing was imported"), std::string::npos);
  std::set<std::string> fields;
  for (const auto& e : body["errors"]) {
    fields.insert(e["field"].get<std::string>());
    EXPECT_GE(e["line"].get<int>(), 3);
  }
  for (const char* f : {"ins", "birth_date", "address_1", "postal_code", "gp_rpps", "gp_name"})
    EXPECT_TRUE(fields.count(f)) << f << " in " << body.dump();
  EXPECT_EQ(getJson("/api/register")["women"], 0);  // the good first row is not imported either
  // Wrong media type, unknown column.
  EXPECT_EQ(send("POST", "/api/register/import", invitationFile(), "text/plain").status, 415);
  r = send("POST", "/api/register/import", "ins;shoe_size\n1;2\n", "text/csv");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("unknown column 'shoe_size'"), std::string::npos) << r.body;
  importRegister();
  EXPECT_EQ(getJson("/api/register")["women"], 1);
  EXPECT_EQ(audited("import-register").size(), 1u);
}

TEST_F(HttpResultsTest, NegativeResultIsPrintedSentAndClosed) {
  importRegister();
  readExam(td::negativeL2());
  EXPECT_EQ(state(kExam), "negative_result");
  // Closing before the result went out is refused with the domain's sentence.
  auto r = send("POST", std::string("/api/exams/") + kExam + "/close", json::object());
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("not allowed in state \\\"negative result\\\""), std::string::npos)
      << r.body;

  json run = sendOk("POST", "/api/print-runs");
  EXPECT_EQ(run["letters"], 2) << run.dump();  // the woman and her GP
  EXPECT_EQ(run["refused"], 0) << run.dump();
  EXPECT_EQ(run["results_sent"], json::array({kExam}));
  EXPECT_EQ(state(kExam), "result_sent");
  const std::string run_id = run["run_id"];
  EXPECT_EQ(run_id, "R20260110-1");

  json letters = getJson(std::string("/api/letters?exam=") + kExam);
  ASSERT_EQ(letters["items"].size(), 2u);
  std::string woman_letter, gp_letter;
  for (const auto& l : letters["items"]) {
    if (l["recipient"] == "woman") woman_letter = l["id"];
    if (l["recipient"] == std::string("doctor:") + kGpRpps) gp_letter = l["id"];
  }
  ASSERT_FALSE(woman_letter.empty());
  ASSERT_FALSE(gp_letter.empty());
  const std::string text = pdfText("/api/letters/" + woman_letter + "/pdf");
  EXPECT_NE(text.find("Madame Claire Anne MARTIN"), std::string::npos) << text;
  EXPECT_NE(text.find("12 chemin des Écoliers"), std::string::npos) << text;
  EXPECT_NE(text.find("ne montrent pas d'anomalie"), std::string::npos) << text;
  EXPECT_NE(text.find("10 janvier 2026"), std::string::npos) << text;
  EXPECT_NE(text.find("Copie adressée à Jean Dupré"), std::string::npos) << text;
  const std::string gp = pdfText("/api/letters/" + gp_letter + "/pdf");
  EXPECT_NE(gp.find("Docteur Jean Dupré"), std::string::npos) << gp;
  EXPECT_NE(gp.find("Claire Anne MARTIN"), std::string::npos) << gp;
  const std::string all = pdfText("/api/print-runs/" + run_id + "/pdf");
  EXPECT_NE(all.find("Madame Claire Anne MARTIN"), std::string::npos);
  EXPECT_NE(all.find("Docteur Jean Dupré"), std::string::npos);
  // Every download is in the audit trail, with the woman.
  ASSERT_EQ(audited("download-letter").size(), 2u);
  EXPECT_TRUE(audited("download-letter")[0].woman_id.has_value());
  EXPECT_EQ(audited("download-print-run").size(), 1u);
  EXPECT_EQ(audited("result sent").size(), 1u);

  // A second run prints nothing twice.
  json again = sendOk("POST", "/api/print-runs");
  EXPECT_EQ(again["letters"], 0);
  EXPECT_EQ(again["run_id"], "R20260110-2");
  EXPECT_EQ(getJson("/api/print-runs")["items"].size(), 2u);

  // Result sent twice: refused; close; close again: refused.
  r = send("POST", std::string("/api/exams/") + kExam + "/result-sent", json::object());
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("result sent"), std::string::npos);
  EXPECT_EQ(sendOk("POST", std::string("/api/exams/") + kExam + "/close")["state"], "closed");
  EXPECT_EQ(send("POST", std::string("/api/exams/") + kExam + "/close", json::object()).status,
            409);
  EXPECT_EQ(audited("close").size(), 1u);
  EXPECT_EQ(send("POST", "/api/exams/1.2.3.4/close", json::object()).status, 404);
  EXPECT_EQ(httpGet(port_, "/api/letters/NOPE-1/pdf", {{"Accept", "application/pdf"}}).status, 404);
  EXPECT_EQ(httpGet(port_, "/api/letters/..%2Fx/pdf", {{"Accept", "application/pdf"}}).status, 400);
  getJson("/api/letters", 400);
}

TEST_F(HttpResultsTest, AWomanMissingFromTheRegisterStaysDueAndBecomesOverdue) {
  readExam(td::negativeL2());
  json run = sendOk("POST", "/api/print-runs");
  EXPECT_EQ(run["letters"], 0);
  ASSERT_EQ(run["refused_items"].size(), 1u) << run.dump();
  EXPECT_NE(run["refused_items"][0]["reason"].get<std::string>().find("not in the register"),
            std::string::npos);
  EXPECT_EQ(state(kExam), "negative_result");
  EXPECT_EQ(getJson("/api/results/overdue")["items"].size(), 0u);
  days_ = 13;  // due 25 January: 2 days left, within the warning
  EXPECT_EQ(getJson("/api/results/overdue?due_soon=true")["items"].size(), 1u);
  days_ = 16;
  json overdue = getJson("/api/results/overdue");
  ASSERT_EQ(overdue["items"].size(), 1u);
  EXPECT_EQ(overdue["items"][0]["exam_id"], kExam);
  EXPECT_EQ(overdue["items"][0]["due"], "2026-01-25");
  EXPECT_EQ(overdue["items"][0]["days_left"], -1);
  getJson("/api/results/overdue?due_soon=maybe", 400);
  // Once she is in the register the next run sends her result.
  importRegister();
  EXPECT_EQ(sendOk("POST", "/api/print-runs")["letters"], 2);
  EXPECT_EQ(state(kExam), "result_sent");
  EXPECT_EQ(getJson("/api/results/overdue")["items"].size(), 0u);
}

TEST_F(HttpResultsTest, RecallIsPrintedToEveryoneThenFollowedUntilPathologyClosesIt) {
  importRegister();
  readExam(td::positiveL2());
  EXPECT_EQ(state(kExam), "recall_bdd");
  // Follow-up before the result went out: refused.
  auto r = send("POST", std::string("/api/exams/") + kExam + "/follow-up",
                {{"bdd", {{"date", "2026-01-20"}, {"result", "normal"}}}});
  EXPECT_EQ(r.status, 409) << r.body;
  json run = sendOk("POST", "/api/print-runs");
  EXPECT_EQ(run["letters"], 3) << run.dump();  // woman, GP, L1 radiologist
  EXPECT_EQ(run["by_kind"]["recall_doctor"]["letters"], 2) << run.dump();
  EXPECT_EQ(state(kExam), "positive_follow_up");
  std::string l1_letter;
  const json listed = getJson(std::string("/api/letters?exam=") + kExam);
  for (const auto& l : listed["items"])
    if (l["recipient"] == std::string("l1:") + td::kL1Rpps) l1_letter = l["id"];
  ASSERT_FALSE(l1_letter.empty()) << listed.dump();
  const std::string text = pdfText("/api/letters/" + l1_letter + "/pdf");
  EXPECT_NE(text.find("seconde lecture positive"), std::string::npos) << text;
  EXPECT_NE(text.find("Cabinet de radiologie des Brotteaux"), std::string::npos) << text;
  EXPECT_NE(text.find("distorsion"), std::string::npos) << text;

  // Bad follow-up input: every problem named, nothing recorded.
  r = send("POST", std::string("/api/exams/") + kExam + "/follow-up",
           {{"bdd", {{"date", "2026-02-30"}, {"result", "fine"}}}, {"x", 1}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("unknown field"), std::string::npos);
  json fu = getJson(std::string("/api/exams/") + kExam + "/follow-up");
  EXPECT_EQ(fu["status"], "awaiting_work_up");
  EXPECT_EQ(fu["origin"], "l2");
  EXPECT_TRUE(fu["reminder_due"].is_null());
  days_ = 61;  // follow_up_reminder_days = 60
  json rem = getJson("/api/follow-up/reminders");
  ASSERT_EQ(rem["items"].size(), 1u) << rem.dump();
  EXPECT_EQ(rem["items"][0]["exam_id"], kExam);

  fu = sendOk("POST", std::string("/api/exams/") + kExam + "/follow-up",
              {{"bdd", {{"date", "2026-03-05"}, {"result", "biopsy_needed"}}},
               {"biopsy", {{"date", "2026-03-12"}, {"kind", "microbiopsie"}}}});
  EXPECT_EQ(fu["status"], "awaiting_pathology");
  EXPECT_EQ(fu["exam_state"], "positive_follow_up");
  fu = sendOk("POST", std::string("/api/exams/") + kExam + "/follow-up",
              {{"pathology",
                {{"date", "2026-03-20"}, {"result", "invasive"}, {"grade", 2}, {"size_mm", 9}}}});
  EXPECT_EQ(fu["status"], "concluded_cancer");
  EXPECT_EQ(fu["exam_state"], "closed");
  EXPECT_EQ(state(kExam), "closed");
  EXPECT_EQ(getJson("/api/follow-up/reminders")["items"].size(), 0u);
  EXPECT_EQ(audited("record-follow-up").size(), 2u);

  json ind = getJson("/api/indicators");
  EXPECT_EQ(ind["overall"]["exams"], 1);
  EXPECT_EQ(ind["overall"]["cancers"], 1);
  EXPECT_EQ(ind["overall"]["cancers_l2"], 1);
  EXPECT_EQ(ind["overall"]["discordance"]["numerator"], 1);
  EXPECT_EQ(ind["overall"]["l2_recall"]["value"], 1.0);
  EXPECT_EQ(ind["overall"]["invited"], 1);
  EXPECT_EQ(ind["overall"]["participation"]["value"], 1.0);
  EXPECT_EQ(ind["by_cim"][kCimId]["exams"], 1);
  EXPECT_EQ(ind["by_l2_reader"][td::kL2Rpps]["recall"]["numerator"], 1);
  auto csv = httpGet(port_, "/api/indicators?format=csv", {{"Accept", "text/csv"}});
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.rfind("scope;key;exams;", 0), 0u) << csv.body;
  EXPECT_NE(csv.body.find(std::string("\ncim;") + kCimId + ";1;"), std::string::npos) << csv.body;
  getJson("/api/indicators?from=2026-13-01", 400);
  getJson("/api/indicators?format=xml", 400);
  getJson("/api/indicators?from=2026-02-01&to=2026-01-01", 400);
  EXPECT_EQ(getJson("/api/indicators?from=2026-02-01")["overall"]["exams"], 0);
}

TEST_F(HttpResultsTest, L1PositiveIsAcknowledgedToItsCimAndFollowed) {
  importRegister();
  readExam(td::negativeL2(), td::positiveForm());
  EXPECT_EQ(state(kExam), "l1_positive");
  json run = sendOk("POST", "/api/print-runs");
  ASSERT_EQ(run["letters"], 1) << run.dump();
  EXPECT_EQ(run["by_kind"]["l1_positive_ack"]["letters"], 1);
  const std::string id = getJson(std::string("/api/letters?exam=") + kExam)["items"][0]["id"];
  const std::string text = pdfText("/api/letters/" + id + "/pdf");
  EXPECT_NE(text.find("accusé de réception"), std::string::npos) << text;
  EXPECT_NE(text.find("Cabinet de radiologie des Brotteaux"), std::string::npos) << text;
  EXPECT_EQ(state(kExam), "l1_positive");  // the result was given at the CIM
  json fu = sendOk("POST", std::string("/api/exams/") + kExam + "/follow-up",
                   {{"pathology", {{"date", "2026-01-20"}, {"result", "benign"}}},
                    {"biopsy", {{"date", "2026-01-15"}}}});
  EXPECT_EQ(fu["status"], "concluded_no_cancer");
  EXPECT_EQ(state(kExam), "closed");
}

class HttpResultsNoCimTest : public HttpResultsTest {
 protected:
  HttpResultsNoCimTest() { with_cim_ = false; }
};

TEST_F(HttpResultsNoCimTest, ACtiNoticeToACimWithoutAddressIsRefusedNotLost) {
  importRegister();
  readExam(td::ctiL2());
  EXPECT_EQ(state(kExam), "cti_requested");
  json run = sendOk("POST", "/api/print-runs");
  EXPECT_EQ(run["letters"], 0);
  ASSERT_EQ(run["refused_items"].size(), 1u);
  EXPECT_NE(run["refused_items"][0]["reason"].get<std::string>().find("[[cim]]"),
            std::string::npos);
}

TEST_F(HttpResultsTest, CtiNoticeGoesToTheCimOnce) {
  importRegister();
  readExam(td::ctiL2());
  json run = sendOk("POST", "/api/print-runs");
  ASSERT_EQ(run["letters"], 1) << run.dump();
  const std::string id = getJson(std::string("/api/letters?exam=") + kExam)["items"][0]["id"];
  const std::string text = pdfText("/api/letters/" + id + "/pdf");
  EXPECT_NE(text.find("RMLO"), std::string::npos) << text;
  EXPECT_NE(text.find("techniquement insuffisants"), std::string::npos) << text;
  EXPECT_EQ(sendOk("POST", "/api/print-runs")["letters"], 0);
}

TEST_F(HttpResultsTest, ALetterDownloadThatCannotBeAuditedIsRefused) {
  importRegister();
  readExam(td::negativeL2());
  sendOk("POST", "/api/print-runs");
  const std::string id = getJson(std::string("/api/letters?exam=") + kExam)["items"][0]["id"];
  {
    SqliteDb db((dir_ / "index.sqlite").string(), false);
    db.exec("ALTER TABLE audit_log RENAME TO audit_log_moved");
  }
  auto r = httpGet(port_, "/api/letters/" + id + "/pdf", {{"Accept", "application/pdf"}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body.find("%PDF"), std::string::npos);
}

}  // namespace
}  // namespace dualread::testing

namespace dualread::testing {
namespace {

// The hub died after a run recorded its letters and before the results were marked sent (the
// state a kill -9 between the two leaves): the next run marks them without printing twice.
TEST_F(HttpResultsTest, ARunInterruptedBeforeMarkingResultsSentIsCompletedByTheNext) {
  importRegister();
  readExam(td::negativeL2());
  PrintRunRow run;
  run.id = "R20260110-1";
  run.created_at = "2026-01-10T09:00:00Z";
  run.actor = "test";
  LetterRow letter;
  letter.id = "R20260110-1-00001";
  letter.run_id = run.id;
  letter.dedupe_key = std::string(kExam) + "/negative_result/woman";
  letter.exam_id = kExam;
  letter.kind = "negative_result";
  letter.recipient = "woman";
  letter.file = "letters/R20260110-1/R20260110-1-00001.pdf";
  letter_store_->recordRun(run, {letter});
  EXPECT_EQ(state(kExam), "negative_result");
  json next = sendOk("POST", "/api/print-runs");
  EXPECT_EQ(next["recovered_results_sent"], json::array({kExam}));
  EXPECT_EQ(next["run_id"], "R20260110-2");
  EXPECT_FALSE(next["by_kind"].contains("negative_result")) << next.dump();
  EXPECT_EQ(next["letters"], 1);  // the GP's letter only
  EXPECT_EQ(state(kExam), "result_sent");
}

}  // namespace
}  // namespace dualread::testing
