// Indicators on a hand-built set of ten exams (plus one outside the period) whose rates and
// delays were computed by hand.

#include <gtest/gtest.h>

#include "domain/indicators.h"

namespace dualread {

// Readable failures: "2/10" rather than bytes.
void PrintTo(const Rate& r, std::ostream* os) { *os << r.numerator << "/" << r.denominator; }

namespace {

const Date kToday = makeDate(2024, 5, 1);

ExamOutcomeRecord rec(const std::string& id, const std::string& cim, const std::string& l1,
                      Date mammogram, int received, std::optional<int> l2,
                      std::optional<int> result, const std::string& l2_reader = "") {
  ExamOutcomeRecord r;
  r.exam_id = id;
  r.cim_id = cim;
  r.l1_reader_rpps = l1;
  r.l2_reader_rpps = l2_reader;
  r.mammogram_date = mammogram;
  r.received_on = addDays(mammogram, received);
  if (l2) {
    r.l2_read = true;
    r.l2_read_on = addDays(mammogram, *l2);
  }
  if (result) r.result_sent_on = addDays(mammogram, *result);
  return r;
}

// R1-R10 in March 2024, R11 in February. Days are offsets from each mammogram.
std::vector<ExamOutcomeRecord> sample() {
  std::vector<ExamOutcomeRecord> v;
  v.push_back(rec("R1", "CIM-A", "A1", makeDate(2024, 3, 1), 1, 5, 7, "B1"));
  v.push_back(rec("R2", "CIM-A", "A1", makeDate(2024, 3, 4), 2, 6, 16, "B1"));  // late x2
  auto r3 = rec("R3", "CIM-A", "A1", makeDate(2024, 3, 5), 1, 4, 6, "B1");
  r3.l1_positive_before_bdi = r3.bdi_done = true;  // cleared by BDI
  v.push_back(r3);
  auto r4 = rec("R4", "CIM-A", "A1", makeDate(2024, 3, 6), 1, std::nullopt, 0);
  r4.l1_positive_before_bdi = r4.bdi_done = r4.l1_positive = r4.cancer = true;
  v.push_back(r4);
  auto r5 = rec("R5", "CIM-B", "A2", makeDate(2024, 3, 7), 1, 5, 8, "B1");
  r5.l2_positive = r5.cancer = true;  // cancer found thanks to L2
  v.push_back(r5);
  auto r6 = rec("R6", "CIM-B", "A2", makeDate(2024, 3, 8), 1, 5, 9, "B2");
  r6.l2_positive = r6.l3_read = true;  // L3 said negative: not recalled
  v.push_back(r6);
  auto r7 = rec("R7", "CIM-B", "A2", makeDate(2024, 3, 11), 1, 12, 14, "B2");
  r7.cti = true;
  v.push_back(r7);
  auto r8 = rec("R8", "CIM-B", "A2", makeDate(2024, 3, 12), 1, 5, 7, "B2");
  r8.l2_positive = true;  // recalled, no cancer
  v.push_back(r8);
  v.push_back(rec("R9", "CIM-B", "A2", makeDate(2024, 3, 25), 1, std::nullopt, std::nullopt));
  auto r10 = rec("R10", "CIM-A", "A1", makeDate(2024, 3, 26), 1, std::nullopt, 0);
  r10.l1_positive_before_bdi = r10.bdi_done = r10.l1_positive = true;
  v.push_back(r10);
  v.push_back(rec("R11", "CIM-A", "A1", makeDate(2024, 2, 20), 1, 5, 7, "B1"));
  return v;
}

IndicatorFilter march() {
  IndicatorFilter f;
  f.from = makeDate(2024, 3, 1);
  f.to = makeDate(2024, 3, 31);
  return f;
}

TEST(IndicatorsCompute, VolumesAndRates) {
  const Indicators i = computeIndicators(sample(), march(), {}, kToday);
  EXPECT_EQ(i.exams, 10);
  EXPECT_EQ(i.l1_positive_before_bdi, (Rate{3, 10}));
  EXPECT_EQ(i.l1_positive_after_bdi, (Rate{2, 10}));
  EXPECT_EQ(i.bdi_clearance, (Rate{1, 3}));
  EXPECT_EQ(i.l2_read, 7);
  EXPECT_EQ(i.l2_positive, (Rate{3, 7}));  // rattrapage
  EXPECT_EQ(i.cti, (Rate{1, 7}));
  EXPECT_EQ(i.l3_read, 1);
  EXPECT_EQ(i.recall, (Rate{4, 10}));  // R4, R10 at L1; R5, R8 after L2
  EXPECT_DOUBLE_EQ(i.recall.value(), 0.4);
}

TEST(IndicatorsCompute, CancersAndPpv) {
  const Indicators i = computeIndicators(sample(), march(), {}, kToday);
  EXPECT_EQ(i.cancers, 2);
  EXPECT_EQ(i.cancers_l1, 1);
  EXPECT_EQ(i.cancers_l2, 1);
  EXPECT_EQ(i.detection, (Rate{2, 10}));
  EXPECT_EQ(i.ppv, (Rate{2, 4}));
  EXPECT_EQ(i.ppv_l1, (Rate{1, 2}));
  EXPECT_EQ(i.ppv_l2, (Rate{1, 2}));
}

TEST(IndicatorsCompute, Delays) {
  const Indicators i = computeIndicators(sample(), march(), {}, kToday);
  EXPECT_EQ(i.mammogram_to_received.count, 10);
  EXPECT_DOUBLE_EQ(i.mammogram_to_received.mean_days, 1.1);
  EXPECT_DOUBLE_EQ(i.mammogram_to_received.median_days, 1.0);
  EXPECT_EQ(i.mammogram_to_received.max_days, 2);
  EXPECT_EQ(i.received_to_l2.count, 7);  // 4,4,3,4,4,11,4
  EXPECT_DOUBLE_EQ(i.received_to_l2.mean_days, 34.0 / 7);
  EXPECT_DOUBLE_EQ(i.received_to_l2.median_days, 4.0);
  EXPECT_EQ(i.received_to_l2.max_days, 11);
  EXPECT_EQ(i.l2_to_result.count, 7);  // 2,10,2,3,4,2,2
  EXPECT_DOUBLE_EQ(i.l2_to_result.mean_days, 25.0 / 7);
  EXPECT_DOUBLE_EQ(i.l2_to_result.median_days, 2.0);
  EXPECT_EQ(i.mammogram_to_result.count, 9);  // 7,16,6,0,8,9,14,7,0
  EXPECT_DOUBLE_EQ(i.mammogram_to_result.mean_days, 67.0 / 9);
  EXPECT_DOUBLE_EQ(i.mammogram_to_result.median_days, 7.0);
  EXPECT_EQ(i.mammogram_to_result.max_days, 16);
}

TEST(IndicatorsCompute, OverdueCounts) {
  const Indicators i = computeIndicators(sample(), march(), {}, kToday);
  EXPECT_EQ(i.late_transfers, 1);   // R2 arrived 2 days after the mammogram
  EXPECT_EQ(i.late_results, 1);     // R2 result on day 16
  EXPECT_EQ(i.overdue_results, 1);  // R9 unread, due 9 April
  EXPECT_EQ(i.overdue_fraction, (Rate{2, 10}));
  // Before R9's deadline it is not overdue yet.
  const Indicators early = computeIndicators(sample(), march(), {}, makeDate(2024, 4, 9));
  EXPECT_EQ(early.overdue_results, 0);
  EXPECT_EQ(early.overdue_fraction, (Rate{1, 8})) << "R1-R8 are past their deadline";
}

TEST(IndicatorsCompute, MedianOfEvenCount) {
  std::vector<ExamOutcomeRecord> v = {rec("a", "C", "L", makeDate(2024, 3, 1), 1, 3, 4),
                                      rec("b", "C", "L", makeDate(2024, 3, 1), 2, 3, 4)};
  EXPECT_DOUBLE_EQ(computeIndicators(v, {}, {}, kToday).mammogram_to_received.median_days, 1.5);
  EXPECT_EQ(computeIndicators({}, {}, {}, kToday).recall.value(), 0.0);
}

TEST(IndicatorsGroup, PerCim) {
  const auto by = indicatorsByCim(sample(), march(), {}, kToday);
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by.at("CIM-A").exams, 5);
  EXPECT_EQ(by.at("CIM-A").l1_positive_after_bdi, (Rate{2, 5}));
  EXPECT_EQ(by.at("CIM-B").exams, 5);
  EXPECT_EQ(by.at("CIM-B").l2_positive, (Rate{3, 4}));
  // Without the period filter R11 counts for CIM-A.
  EXPECT_EQ(indicatorsByCim(sample(), {}, {}, kToday).at("CIM-A").exams, 6);
}

TEST(IndicatorsGroup, PerRadiologist) {
  const auto l2 = indicatorsByL2Reader(sample(), march(), {}, kToday);
  ASSERT_EQ(l2.size(), 2u) << "exams never read at L2 are not grouped";
  EXPECT_EQ(l2.at("B1").l2_read, 4);
  EXPECT_EQ(l2.at("B1").l2_positive, (Rate{1, 4}));
  EXPECT_EQ(l2.at("B2").l2_positive, (Rate{2, 3}));
  EXPECT_EQ(l2.at("B2").cti, (Rate{1, 3}));
  const auto l1 = indicatorsByL1Reader(sample(), march(), {}, kToday);
  EXPECT_EQ(l1.at("A1").exams, 5);
  EXPECT_EQ(l1.at("A1").ppv_l1, (Rate{1, 2}));
  EXPECT_EQ(l1.at("A2").l1_positive_before_bdi, (Rate{0, 5}));
  IndicatorFilter f = march();
  f.l2_reader_rpps = "B1";
  f.cim_id = "CIM-A";
  EXPECT_EQ(computeIndicators(sample(), f, {}, kToday).exams, 3);
}

TEST(IndicatorsAlerts, AboveLimitsOnly) {
  const Indicators i = computeIndicators(sample(), march(), {}, kToday);
  const auto alerts = indicatorAlerts(i, {});
  ASSERT_EQ(alerts.size(), 4u);
  EXPECT_EQ(alerts[0], "The recall rate is 40.0% (4/10), above the 7.0% limit.");
  ProgrammeRules lenient;
  lenient.alert_max_recall_rate = lenient.alert_max_cti_rate = 1.0;
  lenient.alert_max_l1_positive_after_bdi = lenient.alert_max_overdue_fraction = 1.0;
  EXPECT_TRUE(indicatorAlerts(i, lenient).empty());
  EXPECT_TRUE(indicatorAlerts(Indicators{}, {}).empty()) << "no data, no alert";
}

}  // namespace
}  // namespace dualread
