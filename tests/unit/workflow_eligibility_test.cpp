// Eligibility edges (49 years 364 days, 75th birthday, exactly 2 years, 29 February),
// exclusions, refusals and the invitation decision.

#include <gtest/gtest.h>

#include "domain/eligibility.h"

namespace dualread {
namespace {

EligibilityInput bornOn(Date d) {
  EligibilityInput in;
  in.birth_date = d;
  return in;
}

EligibilityVerdict verdict(const EligibilityInput& in, Date on, const ProgrammeRules& r = {}) {
  return checkEligibility(in, r, on).verdict;
}

TEST(EligibilityAge, FortyNineYears364DaysIsTooYoung) {
  const auto in = bornOn(makeDate(1974, 3, 20));
  const auto d = checkEligibility(in, {}, makeDate(2024, 3, 19));
  EXPECT_EQ(d.verdict, EligibilityVerdict::kTooYoung);
  EXPECT_EQ(d.eligible_from, makeDate(2024, 3, 20));
  EXPECT_NE(d.explanation.find("2024-03-20"), std::string::npos) << d.explanation;
  EXPECT_EQ(verdict(in, makeDate(2024, 3, 20)), EligibilityVerdict::kEligible) << "50th birthday";
}

TEST(EligibilityAge, SeventyFifthBirthdayIsTooOld) {
  const auto in = bornOn(makeDate(1950, 3, 20));
  const auto last_day = checkEligibility(in, {}, makeDate(2025, 3, 19));
  EXPECT_EQ(last_day.verdict, EligibilityVerdict::kEligible);
  EXPECT_EQ(last_day.eligible_until, makeDate(2025, 3, 19));
  const auto d = checkEligibility(in, {}, makeDate(2025, 3, 20));
  EXPECT_EQ(d.verdict, EligibilityVerdict::kTooOld);
  EXPECT_FALSE(d.eligible_from);
}

TEST(EligibilityAge, BornOn29FebruaryTurnsFiftyOn1March) {
  const auto in = bornOn(makeDate(1964, 2, 29));
  EXPECT_EQ(verdict(in, makeDate(2014, 2, 28)), EligibilityVerdict::kTooYoung);
  EXPECT_EQ(checkEligibility(in, {}, makeDate(2014, 2, 28)).eligible_from, makeDate(2014, 3, 1));
  EXPECT_EQ(verdict(in, makeDate(2014, 3, 1)), EligibilityVerdict::kEligible);
  EXPECT_EQ(verdict(in, makeDate(2039, 2, 28)), EligibilityVerdict::kEligible);
  EXPECT_EQ(verdict(in, makeDate(2039, 3, 1)), EligibilityVerdict::kTooOld);
}

TEST(EligibilityAge, AgeBoundsAreConfigurable) {
  ProgrammeRules rules;
  rules.min_age_years = 45;
  rules.max_age_years = 79;
  const auto in = bornOn(makeDate(1950, 3, 20));
  EXPECT_EQ(verdict(in, makeDate(2025, 3, 20), rules), EligibilityVerdict::kEligible);
  EXPECT_EQ(verdict(bornOn(makeDate(1979, 3, 20)), makeDate(2024, 3, 20), rules),
            EligibilityVerdict::kEligible);
}

TEST(EligibilityInterval, ExactlyTwoYearsAfterTheLastScreeningIsEligible) {
  auto in = bornOn(makeDate(1960, 1, 1));
  in.last_screening_mammogram = makeDate(2022, 3, 10);
  const auto d = checkEligibility(in, {}, makeDate(2024, 3, 9));
  EXPECT_EQ(d.verdict, EligibilityVerdict::kRecentScreening);
  EXPECT_EQ(d.eligible_from, makeDate(2024, 3, 10));
  EXPECT_EQ(verdict(in, makeDate(2024, 3, 10)), EligibilityVerdict::kEligible);
}

TEST(EligibilityInterval, NoNextRoundAfterTheAgeLimit) {
  auto in = bornOn(makeDate(1950, 3, 20));
  in.last_screening_mammogram = makeDate(2024, 1, 10);
  const auto d = checkEligibility(in, {}, makeDate(2024, 6, 1));
  EXPECT_EQ(d.verdict, EligibilityVerdict::kRecentScreening);
  EXPECT_FALSE(d.eligible_from) << "next round would fall after the 75th birthday";
}

TEST(EligibilityExclusion, DefinitiveExclusionWinsFromItsDate) {
  auto in = bornOn(makeDate(1960, 1, 1));
  in.exclusions.push_back({ExclusionReason::kPersonalBreastCancer, makeDate(2023, 5, 1), {}});
  EXPECT_EQ(verdict(in, makeDate(2023, 4, 30)), EligibilityVerdict::kEligible);
  EXPECT_EQ(verdict(in, makeDate(2023, 5, 1)), EligibilityVerdict::kExcludedDefinitively);
  // `until` has no effect on a definitive reason.
  in.exclusions[0].until = makeDate(2023, 6, 1);
  EXPECT_EQ(verdict(in, makeDate(2030, 1, 1)), EligibilityVerdict::kExcludedDefinitively);
  auto young = bornOn(makeDate(1980, 1, 1));
  young.exclusions.push_back({ExclusionReason::kHighRiskFollowUp, makeDate(2020, 1, 1), {}});
  EXPECT_EQ(verdict(young, makeDate(2024, 1, 1)), EligibilityVerdict::kExcludedDefinitively);
  EXPECT_TRUE(isDefinitive(ExclusionReason::kHighRiskFollowUp));
  EXPECT_FALSE(isDefinitive(ExclusionReason::kSymptoms));
}

TEST(EligibilityExclusion, TemporaryExclusionEndsAfterItsLastDay) {
  auto in = bornOn(makeDate(1960, 1, 1));
  in.exclusions.push_back({ExclusionReason::kRecentMammogramOutsideProgramme, makeDate(2024, 1, 1),
                           makeDate(2024, 6, 30)});
  const auto d = checkEligibility(in, {}, makeDate(2024, 6, 30));
  EXPECT_EQ(d.verdict, EligibilityVerdict::kExcludedTemporarily);
  EXPECT_EQ(d.eligible_from, makeDate(2024, 7, 1));
  EXPECT_EQ(verdict(in, makeDate(2024, 7, 1)), EligibilityVerdict::kEligible);
  in.exclusions.push_back({ExclusionReason::kSymptoms, makeDate(2024, 7, 1), {}});
  const auto open = checkEligibility(in, {}, makeDate(2024, 8, 1));
  EXPECT_EQ(open.verdict, EligibilityVerdict::kExcludedTemporarily);
  EXPECT_FALSE(open.eligible_from) << "no end date recorded";
}

TEST(EligibilityRefusal, RecordedAndReversible) {
  auto in = bornOn(makeDate(1960, 1, 1));
  in.refusals.push_back({makeDate(2024, 2, 1), {}});
  EXPECT_EQ(verdict(in, makeDate(2024, 1, 31)), EligibilityVerdict::kEligible);
  EXPECT_EQ(verdict(in, makeDate(2024, 2, 1)), EligibilityVerdict::kRefused);
  in.refusals[0].withdrawn_on = makeDate(2024, 9, 1);
  EXPECT_EQ(verdict(in, makeDate(2024, 8, 31)), EligibilityVerdict::kRefused);
  EXPECT_EQ(verdict(in, makeDate(2024, 9, 1)), EligibilityVerdict::kEligible);
}

TEST(EligibilityOther, DeceasedAndUnknownBirthDate) {
  auto in = bornOn(makeDate(1960, 1, 1));
  in.deceased = true;
  EXPECT_EQ(verdict(in, makeDate(2024, 1, 1)), EligibilityVerdict::kDeceased);
  EXPECT_EQ(verdict(EligibilityInput{}, makeDate(2024, 1, 1)),
            EligibilityVerdict::kUnknownBirthDate);
  EXPECT_STREQ(toCode(EligibilityVerdict::kRecentScreening), "recent_screening");
}

TEST(EligibilityInvitation, PositiveWithoutFollowUpReplacesTheRoutineInvitation) {
  const auto in = bornOn(makeDate(1960, 1, 1));
  EXPECT_EQ(invitationFor(in, false, {}, makeDate(2024, 1, 1)).kind, InvitationKind::kRoutine);
  EXPECT_EQ(invitationFor(in, true, {}, makeDate(2024, 1, 1)).kind,
            InvitationKind::kPositiveFollowUpReminder);
  auto recent = in;
  recent.last_screening_mammogram = makeDate(2023, 6, 1);
  const auto none = invitationFor(recent, true, {}, makeDate(2024, 1, 1));
  EXPECT_EQ(none.kind, InvitationKind::kNone);
  EXPECT_EQ(none.eligibility.verdict, EligibilityVerdict::kRecentScreening);
}

TEST(EligibilityInvitation, ReminderAfterTheConfiguredDelayWithoutScreening) {
  const Date invited = makeDate(2024, 1, 10);
  EXPECT_FALSE(invitationReminderDue(invited, {}, {}, makeDate(2024, 7, 10)));
  EXPECT_TRUE(invitationReminderDue(invited, {}, {}, makeDate(2024, 7, 11)));  // +183 days
  EXPECT_FALSE(invitationReminderDue(invited, makeDate(2024, 3, 1), {}, makeDate(2024, 8, 1)));
  EXPECT_TRUE(invitationReminderDue(invited, makeDate(2023, 3, 1), {}, makeDate(2024, 8, 1)))
      << "a screening before the invitation does not answer it";
}

}  // namespace
}  // namespace dualread
