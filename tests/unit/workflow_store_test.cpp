// WorkflowStore: the workflow tables in the index database — an exam and its children round
// trip, a study is linked to one exam only, a failed transaction leaves nothing, sessions and
// CTI queries, and the schema survives reopening next to the archive index.

#include "index/workflow_store.h"

#include <gtest/gtest.h>

#include "hub_fixture.h"
#include "index/archive_index.h"

namespace dualread::testing {
namespace {

class WorkflowStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir("dualread-wfstore");
    path_ = (dir_ / "index.sqlite").string();
    index_ = std::make_unique<ArchiveIndex>(path_, 1);  // the archive's tables, same file
    store_ = std::make_unique<WorkflowStore>(path_);
  }
  void TearDown() override {
    store_.reset();
    index_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static WorkflowExamRow exam(const std::string& id) {
    WorkflowExamRow r;
    r.exam_id = id;
    r.woman_id = "7";
    r.cim_id = "CIM01";
    r.state = "awaiting_l2";
    r.images_complete = true;
    r.received_at = "2026-01-10T09:00:00Z";
    r.history_json = R"([{"from":"received","to":"received"}])";
    r.study_uids = {id, id + ".9"};
    r.retake_study_uids = {id + ".9"};
    r.l1_form_json = R"({"form":1})";
    r.l1_signature =
        L1SignatureRow{"Dr L1", "10000000001", "2026-01-10T09:05:00Z", std::string(64, 'a'), false};
    r.l2_reading_jsons = {R"({"reader":{"rpps":"10000000002"},"read_at":"2026-01-11T10:00:00Z"})"};
    r.l3_json = R"({"positive":false})";
    r.l3_decided_at = "2026-01-12T10:00:00Z";
    r.cti_requests = {
        {id + "/cti/1", id, "7", "CIM01", "fulfilled", "2026-01-11T10:00:00Z", R"({"id":"x"})"}};
    return r;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::unique_ptr<ArchiveIndex> index_;
  std::unique_ptr<WorkflowStore> store_;
};

TEST_F(WorkflowStoreTest, ExamRoundTripsWithItsChildren) {
  EXPECT_EQ(store_->schemaVersion(), 1);
  EXPECT_FALSE(store_->loadExam("1.2.3"));
  const WorkflowExamRow in = exam("1.2.3");
  store_->write([&](WorkflowWriter& w) { w.putExam(in); });
  auto out = store_->loadExam("1.2.3");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->state, "awaiting_l2");
  EXPECT_EQ(out->woman_id, "7");
  EXPECT_TRUE(out->images_complete);
  EXPECT_EQ(out->history_json, in.history_json);
  EXPECT_EQ(out->study_uids, in.study_uids);
  EXPECT_EQ(out->retake_study_uids, in.retake_study_uids);
  EXPECT_EQ(out->l1_form_json, in.l1_form_json);
  ASSERT_TRUE(out->l1_signature);
  EXPECT_EQ(out->l1_signature->signer_rpps, "10000000001");
  EXPECT_EQ(out->l1_signature->form_sha256, std::string(64, 'a'));
  EXPECT_FALSE(out->l1_signature->authenticated);
  EXPECT_EQ(out->l2_reading_jsons, in.l2_reading_jsons);
  EXPECT_EQ(out->l3_json, in.l3_json);
  ASSERT_EQ(out->cti_requests.size(), 1u);
  EXPECT_EQ(out->cti_requests[0].status, "fulfilled");
  EXPECT_EQ(store_->examOfStudy("1.2.3.9"), "1.2.3");
  EXPECT_EQ(store_->examsInState("awaiting_l2").size(), 1u);
  EXPECT_TRUE(store_->examsInState("in_session").empty());

  // Replacing drops children that are gone (an unsigned form has no signature).
  WorkflowExamRow changed = in;
  changed.state = "in_session";
  changed.l1_signature.reset();
  changed.l3_json.reset();
  store_->write([&](WorkflowWriter& w) { w.putExam(changed); });
  out = store_->loadExam("1.2.3");
  EXPECT_EQ(out->state, "in_session");
  EXPECT_FALSE(out->l1_signature);
  EXPECT_FALSE(out->l3_json);
  EXPECT_EQ(out->study_uids.size(), 2u);
}

TEST_F(WorkflowStoreTest, AStudyBelongsToOneExamAndAFailedWriteLeavesNothing) {
  store_->write([&](WorkflowWriter& w) { w.putExam(exam("1.2.3")); });
  WorkflowExamRow other = exam("1.2.4");
  other.study_uids = {"1.2.4", "1.2.3.9"};  // 1.2.3.9 is already 1.2.3's retake
  SessionRow s;
  s.id = "S1";
  s.reader_rpps = "10000000002";
  s.created_at = "2026-01-10T09:00:00Z";
  s.exams = {{"1.2.4", "2026-01-10", "2026-01-25", 15, false, "pending"}};
  EXPECT_THROW(store_->write([&](WorkflowWriter& w) {
    w.putSession(s);
    w.putExam(other);
  }),
               IndexError);
  EXPECT_FALSE(store_->loadExam("1.2.4"));
  EXPECT_FALSE(store_->loadSession("S1"));
  EXPECT_EQ(store_->examOfStudy("1.2.3.9"), "1.2.3");
}

TEST_F(WorkflowStoreTest, SessionsAndCtiRequestsAreQueried) {
  WorkflowExamRow e = exam("1.2.3");
  e.cti_requests.push_back(
      {"1.2.3/cti/2", "1.2.3", "7", "CIM01", "open", "2026-01-12T10:00:00Z", R"({"id":"y"})"});
  store_->write([&](WorkflowWriter& w) { w.putExam(e); });
  EXPECT_EQ(store_->ctiRequests("CIM01", "", "open").size(), 1u);
  EXPECT_EQ(store_->ctiRequests("", "7", "").size(), 2u);
  EXPECT_TRUE(store_->ctiRequests("CIM02", "", "").empty());

  for (int i = 1; i <= 2; ++i) {
    SessionRow s;
    s.id = "S" + std::to_string(i);
    s.reader_rpps = i == 1 ? "10000000002" : "10000000003";
    s.reader_name = "Dr";
    s.created_at = "2026-01-1" + std::to_string(i) + "T09:00:00Z";
    s.exams = {{"1.2.3", "2026-01-10", "2026-01-25", 15, false, "pending"},
               {"1.2.5", "2026-01-09", "2026-01-24", 14, true, "read"}};
    store_->write([&](WorkflowWriter& w) { w.putSession(s); });
  }
  EXPECT_EQ(store_->sessionCount(), 2);
  EXPECT_EQ(store_->sessions("").size(), 2u);
  EXPECT_EQ(store_->sessions("").front().id, "S2");  // newest first
  auto mine = store_->sessions("10000000002");
  ASSERT_EQ(mine.size(), 1u);
  ASSERT_EQ(mine[0].exams.size(), 2u);
  EXPECT_EQ(mine[0].exams[1].outcome, "read");
  EXPECT_TRUE(mine[0].exams[1].urgent);
  auto s1 = store_->loadSession("S1");
  ASSERT_TRUE(s1);
  s1->position = 1;
  s1->status = "done";
  store_->write([&](WorkflowWriter& w) { w.putSession(*s1); });
  EXPECT_EQ(store_->loadSession("S1")->position, 1);
  EXPECT_EQ(store_->loadSession("S1")->status, "done");
}

TEST_F(WorkflowStoreTest, ReopeningKeepsTheDataAndTheArchiveSchema) {
  store_->write([&](WorkflowWriter& w) { w.putExam(exam("1.2.3")); });
  const int archive_version = index_->schemaVersion();
  store_.reset();
  index_.reset();
  index_ = std::make_unique<ArchiveIndex>(path_, 1);
  store_ = std::make_unique<WorkflowStore>(path_);
  EXPECT_EQ(index_->schemaVersion(), archive_version);
  EXPECT_EQ(store_->schemaVersion(), 1);
  EXPECT_TRUE(store_->loadExam("1.2.3"));
}

}  // namespace
}  // namespace dualread::testing
