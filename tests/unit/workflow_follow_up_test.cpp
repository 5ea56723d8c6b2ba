// Follow-up of positives: status, reminders after the configured delays, lost to follow-up,
// replacement of the next invitation, and coherence of what was recorded.

#include <gtest/gtest.h>

#include "domain/follow_up.h"

namespace dualread {
namespace {

const Date kPositive = makeDate(2024, 4, 1);

PositiveCase l2Positive() {
  PositiveCase c;
  c.exam_id = "E5";
  c.woman_id = "W5";
  c.origin = PositiveOrigin::kL2;
  c.positive_on = kPositive;
  return c;
}

TEST(FollowUpStatusTest, NothingBackIsAwaitingWorkUp) {
  EXPECT_EQ(statusOf(l2Positive(), {}, kPositive), FollowUpStatus::kAwaitingWorkUp);
  EXPECT_TRUE(replacesNextInvitation(l2Positive(), {}, kPositive));
}

TEST(FollowUpStatusTest, NormalOrBenignWorkUpConcludes) {
  for (BddResult r : {BddResult::kNormal, BddResult::kBenign}) {
    PositiveCase c = l2Positive();
    c.work_ups.push_back({makeDate(2024, 4, 20), r, ""});
    EXPECT_EQ(statusOf(c, {}, makeDate(2025, 1, 1)), FollowUpStatus::kConcludedNoCancer);
    EXPECT_FALSE(nextReminder(c, {}, makeDate(2025, 1, 1)));
    EXPECT_FALSE(replacesNextInvitation(c, {}, makeDate(2026, 4, 1)));
    EXPECT_FALSE(diagnosisDate(c));
  }
}

TEST(FollowUpStatusTest, ProbablyBenignIsUnderSurveillanceUntilTheControl) {
  PositiveCase c = l2Positive();
  c.work_ups.push_back({makeDate(2024, 5, 1), BddResult::kProbablyBenign, "ACR 3"});
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 6, 1)), FollowUpStatus::kUnderSurveillance);
  // Control expected 6 months later (1 Nov), reminder 60 days after that.
  EXPECT_FALSE(nextReminder(c, {}, makeDate(2024, 12, 30)));
  auto r = nextReminder(c, {}, makeDate(2024, 12, 31));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->due_on, makeDate(2024, 12, 31));
  EXPECT_NE(r->reason.find("surveillance"), std::string::npos);
  c.work_ups.push_back({makeDate(2024, 11, 5), BddResult::kBenign, "stable"});
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 12, 31)), FollowUpStatus::kConcludedNoCancer);
}

TEST(FollowUpStatusTest, BiopsyThenPathologyConcludes) {
  PositiveCase c = l2Positive();
  c.work_ups.push_back({makeDate(2024, 4, 15), BddResult::kBiopsyNeeded, ""});
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 4, 16)), FollowUpStatus::kAwaitingPathology);
  c.biopsy = BiopsyRecord{makeDate(2024, 4, 25), "core needle"};
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 4, 26)), FollowUpStatus::kAwaitingPathology);
  c.pathology = PathologyRecord{makeDate(2024, 5, 2), PathologyResult::kInvasive, 2, 14, ""};
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 5, 3)), FollowUpStatus::kConcludedCancer);
  EXPECT_EQ(diagnosisDate(c), makeDate(2024, 5, 2));
  c.treatment = TreatmentRecord{makeDate(2024, 6, 1), "lumpectomy"};
  EXPECT_TRUE(checkPositiveCase(c).empty());
  EXPECT_FALSE(replacesNextInvitation(c, {}, makeDate(2026, 4, 1)));
  c.pathology->result = PathologyResult::kInSitu;
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 5, 3)), FollowUpStatus::kConcludedCancer);
  c.pathology->result = PathologyResult::kBenign;
  c.pathology->grade.reset();
  c.treatment.reset();
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 5, 3)), FollowUpStatus::kConcludedNoCancer);
  EXPECT_FALSE(diagnosisDate(c));
}

TEST(FollowUpStatusTest, L1PositiveWaitsForWhatTheFirstReaderRecommended) {
  PositiveCase c = l2Positive();
  c.origin = PositiveOrigin::kL1;
  c.l1_management = Management::kBiopsy;
  EXPECT_EQ(statusOf(c, {}, kPositive), FollowUpStatus::kAwaitingPathology);
  c.l1_management = Management::kShortFollowUp;
  EXPECT_EQ(statusOf(c, {}, kPositive), FollowUpStatus::kUnderSurveillance);
  c.l1_management = Management::kReferral;
  EXPECT_EQ(statusOf(c, {}, kPositive), FollowUpStatus::kAwaitingWorkUp);
}

TEST(FollowUpReminderTest, AfterTheConfiguredDelayThenRepeated) {
  PositiveCase c = l2Positive();
  EXPECT_FALSE(nextReminder(c, {}, makeDate(2024, 5, 30)));
  auto r = nextReminder(c, {}, makeDate(2024, 5, 31));  // 1 April + 60 days
  ASSERT_TRUE(r);
  EXPECT_EQ(r->number, 1);
  EXPECT_EQ(r->due_on, makeDate(2024, 5, 31));
  EXPECT_NE(r->reason.find("E5"), std::string::npos);
  EXPECT_NE(r->reason.find("deferred work-up"), std::string::npos);
  // Still due (not yet sent) a week later, with its original due date.
  EXPECT_EQ(nextReminder(c, {}, makeDate(2024, 6, 7))->due_on, makeDate(2024, 5, 31));

  c.reminders_sent.push_back(makeDate(2024, 6, 3));
  EXPECT_FALSE(nextReminder(c, {}, makeDate(2024, 8, 1)));
  r = nextReminder(c, {}, makeDate(2024, 8, 2));  // 3 June + 60
  ASSERT_TRUE(r);
  EXPECT_EQ(r->number, 2);

  ProgrammeRules rules;
  rules.follow_up_reminder_days = 30;
  EXPECT_EQ(nextReminder(l2Positive(), rules, makeDate(2024, 5, 1))->due_on, makeDate(2024, 5, 1));
}

TEST(FollowUpReminderTest, LostAfterTheLastUnansweredReminder) {
  PositiveCase c = l2Positive();
  c.reminders_sent = {makeDate(2024, 5, 31), makeDate(2024, 7, 30), makeDate(2024, 9, 28)};
  EXPECT_FALSE(nextReminder(c, {}, makeDate(2024, 12, 1))) << "3 reminders is the maximum";
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 11, 26)), FollowUpStatus::kAwaitingWorkUp);
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 11, 27)), FollowUpStatus::kLostToFollowUp);
  EXPECT_TRUE(replacesNextInvitation(c, {}, makeDate(2026, 4, 1)));
  // An answer coming back later concludes it anyway.
  c.work_ups.push_back({makeDate(2025, 1, 10), BddResult::kNormal, ""});
  EXPECT_EQ(statusOf(c, {}, makeDate(2025, 2, 1)), FollowUpStatus::kConcludedNoCancer);
}

TEST(FollowUpReminderTest, ANewStepRestartsTheCount) {
  PositiveCase c = l2Positive();
  c.reminders_sent = {makeDate(2024, 5, 31), makeDate(2024, 7, 30), makeDate(2024, 9, 28)};
  c.work_ups.push_back({makeDate(2024, 10, 1), BddResult::kBiopsyNeeded, ""});
  EXPECT_EQ(statusOf(c, {}, makeDate(2024, 12, 1)), FollowUpStatus::kAwaitingPathology);
  const auto r = nextReminder(c, {}, makeDate(2024, 11, 30));  // 1 Oct + 60
  ASSERT_TRUE(r);
  EXPECT_EQ(r->number, 1);
  EXPECT_NE(r->reason.find("biopsy"), std::string::npos);
}

TEST(FollowUpReminderTest, NoRemindersAllowedMeansLostAtTheFirstDelay) {
  ProgrammeRules rules;
  rules.follow_up_max_reminders = 0;
  EXPECT_FALSE(nextReminder(l2Positive(), rules, makeDate(2024, 6, 30)));
  EXPECT_EQ(statusOf(l2Positive(), rules, makeDate(2024, 5, 30)), FollowUpStatus::kAwaitingWorkUp);
  EXPECT_EQ(statusOf(l2Positive(), rules, makeDate(2024, 5, 31)), FollowUpStatus::kLostToFollowUp);
}

TEST(FollowUpCheck, RecordedFactsMustBeCoherent) {
  PositiveCase c = l2Positive();
  c.work_ups.push_back({makeDate(2024, 3, 1), BddResult::kBiopsyNeeded, ""});
  EXPECT_EQ(checkPositiveCase(c).size(), 1u) << "work-up before the positive";
  c = l2Positive();
  c.work_ups = {{makeDate(2024, 5, 1), BddResult::kProbablyBenign, ""},
                {makeDate(2024, 4, 1), BddResult::kBenign, ""}};
  EXPECT_EQ(checkPositiveCase(c).size(), 1u) << "out of order";
  c = l2Positive();
  c.biopsy = BiopsyRecord{makeDate(2024, 5, 1), "core"};
  c.pathology = PathologyRecord{makeDate(2024, 4, 20), PathologyResult::kInvasive, 4, 0, ""};
  EXPECT_EQ(checkPositiveCase(c).size(), 3u) << "before biopsy, grade 4, size 0";
  c = l2Positive();
  c.pathology = PathologyRecord{makeDate(2024, 5, 1), PathologyResult::kBenign, 2, {}, ""};
  c.treatment = TreatmentRecord{makeDate(2024, 6, 1), "surgery"};
  EXPECT_EQ(checkPositiveCase(c).size(), 2u) << "benign with grade, treatment without cancer";
}

TEST(FollowUpCodes, StatusCodes) {
  EXPECT_STREQ(toCode(FollowUpStatus::kLostToFollowUp), "lost_to_follow_up");
  EXPECT_STREQ(toCode(PositiveOrigin::kL3), "l3");
}

}  // namespace
}  // namespace dualread
