// CTI requests: matching a retake study to an open request (and every way it does not match),
// choosing among several requests, and the CIM worklist.

#include <gtest/gtest.h>

#include "domain/cti.h"

namespace dualread {
namespace {

const TimePoint kRequested = makeTime(2024, 3, 18, 15, 0);

CtiRequest request(const std::string& id = "E1/cti/1") {
  L2Reading r;
  r.reader = {"20000000001", "Dr L2"};
  r.cti = {{"RMLO", CtiReason::kPositioning, "pectoral muscle not visible"},
           {"LMLO", CtiReason::kPositioning, ""}};
  return makeCtiRequest(id, "E1", "W1", "CIM-A", r, kRequested);
}

RetakeStudy study() {
  RetakeStudy s;
  s.study_uid = "1.2.3.4";
  s.woman_id = "W1";
  s.cim_id = "CIM-A";
  s.acquired_at = kRequested + std::chrono::hours{48};
  s.views = {"LMLO", "RMLO", "RCC"};
  return s;
}

TEST(CtiRequestTest, MadeFromTheL2Flags) {
  const CtiRequest q = request();
  EXPECT_EQ(q.id, "E1/cti/1");
  EXPECT_EQ(q.exam_id, "E1");
  EXPECT_EQ(q.woman_id, "W1");
  EXPECT_EQ(q.cim_id, "CIM-A");
  EXPECT_EQ(q.requested_by.rpps, "20000000001");
  EXPECT_EQ(q.requested_at, kRequested);
  ASSERT_EQ(q.items.size(), 2u);
  EXPECT_EQ(q.items[0].reason, CtiReason::kPositioning);
  EXPECT_EQ(q.status, CtiStatus::kOpen);
}

TEST(CtiMatch, SameWomanSameCimAllViewsAfterRequestMatches) {
  const RetakeMatch m = matchRetake(request(), study());
  EXPECT_TRUE(m.matched);
  EXPECT_TRUE(m.reasons.empty());
}

TEST(CtiMatch, OtherWomanDoesNotMatch) {
  RetakeStudy s = study();
  s.woman_id = "W2";
  const RetakeMatch m = matchRetake(request(), s);
  EXPECT_FALSE(m.matched);
  ASSERT_EQ(m.reasons.size(), 1u);
  EXPECT_NE(m.reasons[0].find("W2"), std::string::npos);
}

TEST(CtiMatch, UnidentifiedStudyDoesNotMatch) {
  RetakeStudy s = study();
  s.woman_id.clear();
  const RetakeMatch m = matchRetake(request(), s);
  EXPECT_FALSE(m.matched);
  EXPECT_NE(m.reasons.at(0).find("identity"), std::string::npos);
}

TEST(CtiMatch, OtherCimDoesNotMatch) {
  RetakeStudy s = study();
  s.cim_id = "CIM-B";
  const RetakeMatch m = matchRetake(request(), s);
  EXPECT_FALSE(m.matched);
  EXPECT_NE(m.reasons.at(0).find("CIM-B"), std::string::npos);
}

TEST(CtiMatch, MissingRequestedViewDoesNotMatch) {
  RetakeStudy s = study();
  s.views = {"RMLO", "RCC"};
  const RetakeMatch m = matchRetake(request(), s);
  EXPECT_FALSE(m.matched);
  EXPECT_NE(m.reasons.at(0).find("LMLO"), std::string::npos);
  EXPECT_EQ(m.reasons.at(0).find("RMLO"), std::string::npos) << "only the missing one named";
}

TEST(CtiMatch, AcquiredBeforeOrAtTheRequestDoesNotMatch) {
  RetakeStudy s = study();
  s.acquired_at = kRequested - std::chrono::hours{1};
  EXPECT_FALSE(matchRetake(request(), s).matched);
  s.acquired_at = kRequested;
  EXPECT_FALSE(matchRetake(request(), s).matched);
  s.acquired_at = kRequested + std::chrono::seconds{1};
  EXPECT_TRUE(matchRetake(request(), s).matched);
}

TEST(CtiMatch, ClosedRequestDoesNotMatch) {
  CtiRequest q = request();
  q.status = CtiStatus::kFulfilled;
  EXPECT_FALSE(matchRetake(q, study()).matched);
  q.status = CtiStatus::kCancelled;
  EXPECT_FALSE(matchRetake(q, study()).matched);
}

TEST(CtiMatch, EveryReasonIsReported) {
  RetakeStudy s = study();
  s.woman_id = "W9";
  s.cim_id = "CIM-Z";
  s.views.clear();
  s.acquired_at = kRequested;
  EXPECT_EQ(matchRetake(request(), s).reasons.size(), 4u);
}

TEST(CtiFind, PicksTheOneOpenRequestThatFits) {
  CtiRequest other = request("E7/cti/1");
  other.woman_id = "W7";
  CtiRequest done = request("E1/cti/0");
  done.status = CtiStatus::kFulfilled;
  const RetakeAssignment a = findRequestForRetake({other, done, request()}, study());
  ASSERT_TRUE(a.request_id);
  EXPECT_EQ(*a.request_id, "E1/cti/1");
  EXPECT_FALSE(a.ambiguous);
  EXPECT_TRUE(a.reasons.empty());
}

TEST(CtiFind, NoneFitsGivesReasons) {
  CtiRequest other = request("E7/cti/1");
  other.woman_id = "W7";
  const RetakeAssignment a = findRequestForRetake({other}, study());
  EXPECT_FALSE(a.request_id);
  EXPECT_FALSE(a.reasons.empty());
  const RetakeAssignment none = findRequestForRetake({}, study());
  EXPECT_FALSE(none.request_id);
  ASSERT_EQ(none.reasons.size(), 1u);
  EXPECT_NE(none.reasons[0].find("No open CTI request"), std::string::npos);
}

TEST(CtiFind, SeveralFitsIsAmbiguousForAHuman) {
  const RetakeAssignment a = findRequestForRetake({request("A"), request("B")}, study());
  EXPECT_FALSE(a.request_id);
  EXPECT_TRUE(a.ambiguous);
  ASSERT_EQ(a.reasons.size(), 1u);
  EXPECT_NE(a.reasons[0].find("A, B"), std::string::npos);
}

TEST(CtiWorklistTest, OpenRequestsOfTheCimOldestFirstWithReminder) {
  CtiRequest old = request("old");
  old.requested_at = kRequested - std::chrono::hours{24 * 20};
  CtiRequest other_cim = request("b");
  other_cim.cim_id = "CIM-B";
  CtiRequest done = request("done");
  done.status = CtiStatus::kFulfilled;
  const Date today = dateOf(kRequested) + std::chrono::days{2};
  const auto list = ctiWorklist({request("new"), other_cim, done, old}, "CIM-A", {}, today);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].request_id, "old");
  EXPECT_EQ(list[0].days_open, 22);
  EXPECT_TRUE(list[0].reminder_due);
  EXPECT_EQ(list[1].request_id, "new");
  EXPECT_EQ(list[1].days_open, 2);
  EXPECT_FALSE(list[1].reminder_due);
  EXPECT_EQ(list[1].items.size(), 2u);
  ProgrammeRules rules;
  rules.cti_retake_reminder_days = 2;
  EXPECT_TRUE(ctiWorklist({request("new")}, "CIM-A", rules, today)[0].reminder_due);
}

}  // namespace
}  // namespace dualread
