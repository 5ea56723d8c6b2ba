#pragma once
// Programme indicators over a set of exams, per period, per CIM and per radiologist: volumes,
// L1-positive rate before/after immediate work-up (BDI), L2-positive ("rattrapage") rate, CTI
// rate, recall rate, cancers detected, positive predictive value, the delays mammogram ->
// received -> L2 -> result, and overdue counts; plus alerts when an indicator exceeds its
// limit in ProgrammeRules. Computed from plain outcome records (one per exam, filled by the
// reporting service from exam records and follow-up); pure functions, thread-safe.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/programme_rules.h"
#include "domain/time.h"

namespace dualread {

// One exam's outcome, flattened.
struct ExamOutcomeRecord {
  std::string exam_id;
  std::string cim_id;
  std::string l1_reader_rpps;
  std::string l2_reader_rpps;  // the last L2 reader; empty when never read at L2
  Date mammogram_date{};
  std::optional<Date> received_on;      // complete file at the centre
  std::optional<Date> l2_read_on;       // final L2 concluded (after any retake)
  std::optional<Date> result_sent_on;   // result sent (L1-positive: given at the CIM)
  bool l1_positive_before_bdi = false;  // ACR 0/3/4/5 or abnormal clinical exam at L1
  bool bdi_done = false;
  bool l1_positive = false;  // still positive after BDI: L1-positive, no L2
  bool l2_read = false;
  bool l2_positive = false;  // final L2 positive (a discordance with L1)
  bool cti = false;          // at least one CTI requested at L2
  bool l3_read = false;
  bool l3_positive = false;
  bool cancer = false;  // cancer diagnosed in the follow-up of this exam

  // Recalled for a deferred work-up after L2 (and L3 when it was held).
  bool recalledAfterL2() const { return l2_positive && (!l3_read || l3_positive); }
  bool screenPositive() const { return l1_positive || recalledAfterL2(); }
};

struct Rate {
  int numerator = 0;
  int denominator = 0;
  double value() const { return denominator ? static_cast<double>(numerator) / denominator : 0.0; }
  bool operator==(const Rate&) const = default;
};

struct DelayStats {
  int count = 0;
  double mean_days = 0.0;
  double median_days = 0.0;
  int max_days = 0;
};

struct Indicators {
  int exams = 0;
  Rate l1_positive_before_bdi;  // / exams
  Rate l1_positive_after_bdi;   // / exams
  Rate bdi_clearance;           // BDI cleared: positive before, negative after / positive before
  int l2_read = 0;
  Rate l2_positive;  // "rattrapage": / exams read at L2
  Rate cti;          // exams with a CTI / exams read at L2
  int l3_read = 0;
  Rate recall;      // screen-positive (L1-positive + recalled after L2) / exams
  int cancers = 0;  // screen-detected
  int cancers_l1 = 0;
  int cancers_l2 = 0;  // found thanks to the second reading
  Rate detection;      // screen-detected cancers / exams (x1000 for "per thousand")
  Rate ppv;            // screen-detected cancers / screen-positives
  Rate ppv_l1;
  Rate ppv_l2;
  DelayStats mammogram_to_received;
  DelayStats received_to_l2;
  DelayStats l2_to_result;
  DelayStats mammogram_to_result;
  int late_transfers = 0;   // received later than rules.transfer_deadline_hours after mammogram
  int late_results = 0;     // result sent after the deadline
  int overdue_results = 0;  // no result yet and the deadline passed (on `today`)
  Rate overdue_fraction;    // (late + overdue) / exams whose deadline has passed
};

// Records kept: mammogram date within [from, to] (inclusive, when set), the CIM, the L1 reader
// and the L2 reader (when set).
struct IndicatorFilter {
  std::optional<Date> from;
  std::optional<Date> to;
  std::optional<std::string> cim_id;
  std::optional<std::string> l1_reader_rpps;
  std::optional<std::string> l2_reader_rpps;
};

Indicators computeIndicators(const std::vector<ExamOutcomeRecord>& records,
                             const IndicatorFilter& filter, const ProgrammeRules& rules,
                             Date today);

// The same, grouped by CIM / L1 reader / L2 reader (exams never read at L2 are not grouped in
// the L2 breakdown).
std::map<std::string, Indicators> indicatorsByCim(const std::vector<ExamOutcomeRecord>& records,
                                                  const IndicatorFilter& filter,
                                                  const ProgrammeRules& rules, Date today);
std::map<std::string, Indicators> indicatorsByL1Reader(
    const std::vector<ExamOutcomeRecord>& records, const IndicatorFilter& filter,
    const ProgrammeRules& rules, Date today);
std::map<std::string, Indicators> indicatorsByL2Reader(
    const std::vector<ExamOutcomeRecord>& records, const IndicatorFilter& filter,
    const ProgrammeRules& rules, Date today);

// One sentence per indicator above its limit (rules.alert_max_*); empty when none.
std::vector<std::string> indicatorAlerts(const Indicators& ind, const ProgrammeRules& rules);

}  // namespace dualread
