// The audit trail of the running hub (issue 3 item 9): reads of a woman's data over HTTP, QIDO
// searches (key names only, never a name) and workflow transitions are recorded in the
// hash-chained log, which verifies and is served newest first by GET /api/audit.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_test_fixture.h"
#include "index/sqlite.h"
#include "services/audit_service.h"
#include "services/reading_form_json.h"
#include "workflow_test_data.h"

namespace dualread::testing {
namespace {

using nlohmann::json;
namespace td = dualread::testdata;

constexpr const char* kExam = "1.2.826.0.1.3680043.10.1011.88.1";

class HttpAuditTest : public HttpTest {
 protected:
  void ingestFourViews(const std::string& study_uid) {
    std::vector<std::string> files;
    int n = 0;
    for (const std::string v : {"RCC", "LCC", "RMLO", "LMLO"}) {
      TestImage t;
      t.study_uid = study_uid;
      t.series_uid = study_uid + "." + std::to_string(++n);
      t.sop_uid = t.series_uid + ".1";
      t.laterality = v.substr(0, 1);
      t.view_position = v.substr(1);
      t.series_description = v.substr(0, 1) + " " + v.substr(1);
      t.seed = static_cast<uint16_t>(10 + n);
      files.push_back(dicomBytes(t));
    }
    auto r = stow(files);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string womanId() {
    json exam = getJson(std::string("/api/exams/") + kExam);
    return std::to_string(exam["patient"]["woman_id"].get<int64_t>());
  }
  std::vector<AuditEvent> entries(const AuditQuery& q = {}) { return audit_->query(q); }
  std::vector<AuditEvent> withAction(const std::string& action) {
    std::vector<AuditEvent> out;
    AuditQuery q;
    q.limit = 10000;
    for (auto& e : entries(q))
      if (e.action == action) out.push_back(e);
    return out;
  }
};

TEST_F(HttpAuditTest, ReadingAnExamRecordsOneEntryWithTheWomanAndThePeer) {
  ingestFourViews(kExam);
  const std::string woman = womanId();  // itself a read
  AuditQuery all;
  all.limit = 10000;
  const size_t before = entries(all).size();
  getJson(std::string("/api/exams/") + kExam);
  const auto after = entries(all);
  ASSERT_EQ(after.size(), before + 1);
  const AuditEvent& e = after.back();
  EXPECT_EQ(e.action, "read");
  EXPECT_EQ(e.object_type, "exam");
  EXPECT_EQ(e.object_id, kExam);
  ASSERT_TRUE(e.woman_id.has_value());
  EXPECT_EQ(*e.woman_id, woman);
  EXPECT_EQ(e.actor, "open-access");
  EXPECT_EQ(e.role, "open");
  EXPECT_EQ(e.source.rfind("127.0.0.1:", 0), 0u) << e.source;
  EXPECT_GT(e.source.size(), std::string("127.0.0.1:").size());
}

TEST_F(HttpAuditTest, WadoRetrieveAndMetadataAreRecorded) {
  ingestFourViews(kExam);
  const std::string woman = womanId();
  auto r = httpGet(port_, std::string("/dicomweb/studies/") + kExam + "/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  r = httpGet(port_, std::string("/dicomweb/studies/") + kExam + "/series/" + kExam +
                         ".1/instances/" + kExam + ".1.1");
  ASSERT_EQ(r.status, 200);
  const auto meta = withAction("retrieve-metadata");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].object_type, "study");
  EXPECT_EQ(meta[0].object_id, kExam);
  EXPECT_EQ(meta[0].woman_id, woman);
  const auto got = withAction("retrieve");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].object_type, "instance");
  EXPECT_EQ(got[0].object_id, std::string(kExam) + ".1.1");
  EXPECT_EQ(got[0].woman_id, woman);
  // The console's reduced frame is a read of the woman's image too.
  r = httpGet(port_, std::string("/dicomweb/studies/") + kExam + "/series/" + kExam +
                         ".1/instances/" + kExam + ".1.1/frames/1/reduced?viewport=8,8");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto reduced = withAction("retrieve-reduced-frame");
  ASSERT_EQ(reduced.size(), 1u);
  EXPECT_EQ(reduced[0].object_id, std::string(kExam) + ".1.1");
  EXPECT_EQ(reduced[0].woman_id, woman);
}

TEST_F(HttpAuditTest, QidoSearchIsRecordedWithoutThePatientName) {
  ingestFourViews(kExam);
  auto r = httpGet(port_, "/dicomweb/studies?PatientName=MARTIN*&StudyDate=20260110");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_NE(r.body.find("MARTIN"), std::string::npos);  // the answer holds the name...
  const auto searches = withAction("search");
  ASSERT_EQ(searches.size(), 1u);
  const AuditEvent& e = searches[0];
  EXPECT_EQ(e.object_type, "query");
  EXPECT_EQ(e.detail.find("MARTIN"), std::string::npos) << e.detail;  // ...the audit never
  EXPECT_EQ(e.detail.find("CLAIRE"), std::string::npos) << e.detail;
  EXPECT_EQ(e.detail.find("20260110"), std::string::npos) << e.detail;
  const json detail = json::parse(e.detail);
  EXPECT_EQ(detail["results"], 1);
  EXPECT_EQ(detail["keys"], json::array({"PatientName", "StudyDate"}));
  EXPECT_EQ(e.source.rfind("127.0.0.1:", 0), 0u);
}

TEST_F(HttpAuditTest, WorkflowTransitionsAreRecordedTheChainVerifiesAndTheWomanSeesThem) {
  ingestFourViews(kExam);
  const std::string woman = womanId();
  L1Form f = td::negativeForm();
  f.identification.woman_id.clear();
  f.identification.cim_id = "CIM01";
  f.identification.mammogram_date = makeDate(2026, 1, 10);
  f.signature = {};
  const std::string base = std::string("/api/exams/") + kExam + "/l1-form";
  auto r =
      httpRequest(port_, "PUT", base, {{"Content-Type", "application/json"}}, toJson(f).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  r = httpRequest(port_, "POST", base + "/sign", {{"Content-Type", "application/json"}},
                  json{{"signer", {{"name", "Dr L1"}, {"rpps", td::kL1Rpps}}}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  getJson(std::string("/api/exams/") + kExam + "/workflow");

  // Images arriving: recorded by the hub itself.
  const auto created = withAction("created");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].actor, "hub");
  EXPECT_EQ(created[0].source, "ingest");
  // The form put and signed, and the dispatch that follows: by the HTTP client.
  const auto dispatched = withAction(eventName(ExamEvent{Dispatch{}}));
  ASSERT_EQ(dispatched.size(), 1u);
  EXPECT_EQ(dispatched[0].object_type, "exam");
  EXPECT_EQ(dispatched[0].object_id, kExam);
  EXPECT_EQ(dispatched[0].woman_id, woman);
  EXPECT_EQ(dispatched[0].actor, "open-access");
  EXPECT_EQ(dispatched[0].source.rfind("127.0.0.1:", 0), 0u);
  const json d = json::parse(dispatched[0].detail);
  EXPECT_EQ(d["to"], "awaiting_l2");
  EXPECT_EQ(d["from"], "complete");
  EXPECT_GE(withAction(eventName(ExamEvent{FormSubmitted{f}})).size(), 2u);
  EXPECT_EQ(withAction("read-workflow").size(), 1u);

  const AuditVerifyResult v = audit_->verify();
  EXPECT_TRUE(v.intact) << (v.broken ? v.broken->sentence : "");
  EXPECT_GT(v.checked, 5);

  json page = getJson("/api/audit?woman=" + woman + "&limit=1000");
  const json& list = page["entries"];
  ASSERT_GE(list.size(), 6u) << page.dump();
  for (size_t i = 1; i < list.size(); ++i)
    EXPECT_GT(list[i - 1]["seq"].get<int64_t>(), list[i]["seq"].get<int64_t>());  // newest first
  for (const auto& e : list) EXPECT_EQ(e["woman_id"], woman);
  EXPECT_EQ(list[0]["action"], "read-workflow");
  EXPECT_EQ(list[0]["detail"], json::object());
  bool saw_dispatch = false;
  for (const auto& e : list)
    saw_dispatch =
        saw_dispatch || (e["action"] == dispatched[0].action && e["detail"]["to"] == "awaiting_l2");
  EXPECT_TRUE(saw_dispatch);
  EXPECT_EQ(getJson("/api/audit?woman=" + woman + "&limit=2")["entries"].size(), 2u);
  EXPECT_TRUE(getJson("/api/audit?woman=999999")["entries"].empty());
  getJson("/api/audit?woman=abc", 400);
}

TEST_F(HttpAuditTest, AReadThatCannotBeAuditedIsRefused) {
  ingestFourViews(kExam);
  {
    // The audit table disappears from under the hub: nothing can be appended any more.
    SqliteDb db((dir_ / "index.sqlite").string(), false);
    db.exec("ALTER TABLE audit_log RENAME TO audit_log_moved");
  }
  auto r = httpGet(port_, std::string("/api/exams/") + kExam);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("could not be recorded in the audit trail"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("MARTIN"), std::string::npos);
  r = httpGet(port_, std::string("/dicomweb/studies/") + kExam + "/metadata");
  EXPECT_EQ(r.status, 503);
  r = httpGet(port_, "/dicomweb/studies?PatientName=MARTIN*");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body.find("MARTIN"), std::string::npos);
}

}  // namespace
}  // namespace dualread::testing
