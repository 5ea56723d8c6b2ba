// Programme rules (national defaults, validation) and the date helpers the rules rely on.

#include <gtest/gtest.h>

#include "domain/programme_rules.h"
#include "domain/time.h"

namespace dualread {
namespace {

TEST(WorkflowRules, NationalDefaults) {
  const ProgrammeRules r = ProgrammeRules::nationalDefaults();
  EXPECT_EQ(r.min_age_years, 50);
  EXPECT_EQ(r.max_age_years, 74);
  EXPECT_EQ(r.screening_interval_months, 24);
  EXPECT_EQ(r.min_standard_views, 4);
  EXPECT_EQ(r.result_deadline_days, 15);
  EXPECT_EQ(r.transfer_deadline_hours, 24);
  EXPECT_EQ(r.l2_session_size, 100);
  EXPECT_EQ(r.l2_min_reads_per_year, 1500);
  EXPECT_FALSE(r.l3_enabled);
  EXPECT_TRUE(r.validate().empty());
}

TEST(WorkflowRules, ValidateNamesEachBadSetting) {
  ProgrammeRules r;
  r.min_age_years = 60;
  r.max_age_years = 55;
  r.l2_session_size = 0;
  r.alert_max_recall_rate = 1.5;
  r.l3_min_readers = 0;
  const auto problems = r.validate();
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_NE(problems[0].find("max_age_years"), std::string::npos);
  EXPECT_NE(problems[1].find("l2_session_size"), std::string::npos);
  EXPECT_NE(problems[2].find("l3_min_readers"), std::string::npos);
  EXPECT_NE(problems[3].find("alert_max_recall_rate"), std::string::npos);
  r = {};
  r.deadline_warning_days = 15;
  ASSERT_EQ(r.validate().size(), 1u);
  r = {};
  r.l2_session_size = 5000;
  ASSERT_EQ(r.validate().size(), 1u);
}

TEST(WorkflowTime, AgeAndAnniversaries) {
  EXPECT_EQ(ageInYears(makeDate(1974, 3, 20), makeDate(2024, 3, 19)), 49);
  EXPECT_EQ(ageInYears(makeDate(1974, 3, 20), makeDate(2024, 3, 20)), 50);
  EXPECT_EQ(ageInYears(makeDate(1964, 2, 29), makeDate(2014, 2, 28)), 49);
  EXPECT_EQ(ageInYears(makeDate(1964, 2, 29), makeDate(2014, 3, 1)), 50);
  EXPECT_EQ(anniversary(makeDate(1964, 2, 29), 50), makeDate(2014, 3, 1));
  EXPECT_EQ(anniversary(makeDate(1964, 2, 29), 48), makeDate(2012, 2, 29));
}

TEST(WorkflowTime, AddMonthsClampsToMonthEnd) {
  EXPECT_EQ(addMonths(makeDate(2024, 1, 31), 1), makeDate(2024, 2, 29));
  EXPECT_EQ(addMonths(makeDate(2024, 2, 29), 24), makeDate(2026, 2, 28));
  EXPECT_EQ(addMonths(makeDate(2024, 11, 15), 3), makeDate(2025, 2, 15));
  EXPECT_EQ(addYears(makeDate(2022, 3, 10), 2), makeDate(2024, 3, 10));
  EXPECT_EQ(daysBetween(makeDate(2024, 2, 28), makeDate(2024, 3, 1)), 2);
}

TEST(WorkflowTime, IsoTextRoundTripAndRejectsNonsense) {
  EXPECT_EQ(toIsoDate(makeDate(2024, 3, 5)), "2024-03-05");
  EXPECT_EQ(parseIsoDate("2024-03-05"), makeDate(2024, 3, 5));
  EXPECT_FALSE(parseIsoDate("2023-02-29"));
  EXPECT_FALSE(parseIsoDate("2024-3-5"));
  EXPECT_FALSE(parseIsoDate("20240305"));
  EXPECT_FALSE(parseIsoDate("2024-13-01"));
  const TimePoint t = makeTime(2024, 3, 5, 7, 8, 9);
  EXPECT_EQ(toIsoDateTime(t), "2024-03-05T07:08:09Z");
  EXPECT_EQ(parseIsoDateTime("2024-03-05T07:08:09Z"), t);
  EXPECT_FALSE(parseIsoDateTime("2024-03-05T07:08:09+01:00"));
  EXPECT_FALSE(parseIsoDateTime("2024-03-05T24:00:00Z"));
  EXPECT_FALSE(parseIsoDateTime("2024-03-05 07:08:09Z"));
}

}  // namespace
}  // namespace dualread
