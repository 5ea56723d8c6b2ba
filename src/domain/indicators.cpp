#include "domain/indicators.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace dualread {

namespace {

bool keep(const ExamOutcomeRecord& r, const IndicatorFilter& f) {
  if (f.from && r.mammogram_date < *f.from) return false;
  if (f.to && r.mammogram_date > *f.to) return false;
  if (f.cim_id && r.cim_id != *f.cim_id) return false;
  if (f.l1_reader_rpps && r.l1_reader_rpps != *f.l1_reader_rpps) return false;
  if (f.l2_reader_rpps && r.l2_reader_rpps != *f.l2_reader_rpps) return false;
  return true;
}

DelayStats stats(std::vector<int> days) {
  DelayStats s;
  s.count = static_cast<int>(days.size());
  if (days.empty()) return s;
  std::sort(days.begin(), days.end());
  double sum = 0;
  for (int d : days) sum += d;
  s.mean_days = sum / s.count;
  const size_t mid = days.size() / 2;
  s.median_days = days.size() % 2 ? days[mid] : (days[mid - 1] + days[mid]) / 2.0;
  s.max_days = days.back();
  return s;
}

void addDelay(std::vector<int>& out, std::optional<Date> from, std::optional<Date> to) {
  if (from && to) out.push_back(daysBetween(*from, *to));
}

// "12.3%": one decimal, rounded half up.
std::string percent(double v) {
  const long tenths = std::lround(v * 1000.0);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

std::map<std::string, Indicators> groupBy(
    const std::vector<ExamOutcomeRecord>& records, const IndicatorFilter& filter,
    const ProgrammeRules& rules, Date today,
    const std::function<std::string(const ExamOutcomeRecord&)>& key) {
  std::map<std::string, std::vector<ExamOutcomeRecord>> groups;
  for (const auto& r : records) {
    if (!keep(r, filter)) continue;
    const std::string k = key(r);
    if (!k.empty()) groups[k].push_back(r);
  }
  std::map<std::string, Indicators> out;
  for (const auto& [k, rs] : groups)
    out[k] = computeIndicators(rs, IndicatorFilter{}, rules, today);
  return out;
}

}  // namespace

Indicators computeIndicators(const std::vector<ExamOutcomeRecord>& records,
                             const IndicatorFilter& filter, const ProgrammeRules& rules,
                             Date today) {
  Indicators ind;
  std::vector<int> to_received, to_l2, to_result_from_l2, to_result;
  // Transfer deadline in whole days, rounded up (24 h -> 1 day): dates have no time of day.
  const int transfer_days = (rules.transfer_deadline_hours + 23) / 24;
  int screen_positives = 0, positives_l1 = 0, positives_l2 = 0, l1_before = 0, cleared = 0;
  int deadline_passed = 0;
  for (const auto& r : records) {
    if (!keep(r, filter)) continue;
    ++ind.exams;
    if (r.l1_positive_before_bdi) {
      ++l1_before;
      if (r.bdi_done && !r.l1_positive) ++cleared;
    }
    if (r.l1_positive) ++positives_l1;
    if (r.l2_read) {
      ++ind.l2_read;
      if (r.l2_positive) ++ind.l2_positive.numerator;
      if (r.cti) ++ind.cti.numerator;
    }
    if (r.l3_read) ++ind.l3_read;
    if (r.recalledAfterL2()) ++positives_l2;
    if (r.screenPositive()) ++screen_positives;
    if (r.cancer && r.l1_positive) ++ind.cancers_l1;
    if (r.cancer && r.recalledAfterL2()) ++ind.cancers_l2;

    addDelay(to_received, r.mammogram_date, r.received_on);
    addDelay(to_l2, r.received_on, r.l2_read_on);
    addDelay(to_result_from_l2, r.l2_read_on, r.result_sent_on);
    addDelay(to_result, r.mammogram_date, r.result_sent_on);
    if (r.received_on && daysBetween(r.mammogram_date, *r.received_on) > transfer_days)
      ++ind.late_transfers;
    const Date due = addDays(r.mammogram_date, rules.result_deadline_days);
    if (r.result_sent_on && *r.result_sent_on > due) ++ind.late_results;
    if (!r.result_sent_on && today > due) ++ind.overdue_results;
    if (today > due || (r.result_sent_on && *r.result_sent_on > due)) ++deadline_passed;
  }
  ind.cancers = ind.cancers_l1 + ind.cancers_l2;
  ind.l1_positive_before_bdi = {l1_before, ind.exams};
  ind.l1_positive_after_bdi = {positives_l1, ind.exams};
  ind.bdi_clearance = {cleared, l1_before};
  ind.l2_positive.denominator = ind.l2_read;
  ind.cti.denominator = ind.l2_read;
  ind.recall = {screen_positives, ind.exams};
  ind.detection = {ind.cancers, ind.exams};
  ind.ppv = {ind.cancers, screen_positives};
  ind.ppv_l1 = {ind.cancers_l1, positives_l1};
  ind.ppv_l2 = {ind.cancers_l2, positives_l2};
  ind.mammogram_to_received = stats(std::move(to_received));
  ind.received_to_l2 = stats(std::move(to_l2));
  ind.l2_to_result = stats(std::move(to_result_from_l2));
  ind.mammogram_to_result = stats(std::move(to_result));
  ind.overdue_fraction = {ind.late_results + ind.overdue_results, deadline_passed};
  return ind;
}

std::map<std::string, Indicators> indicatorsByCim(const std::vector<ExamOutcomeRecord>& records,
                                                  const IndicatorFilter& filter,
                                                  const ProgrammeRules& rules, Date today) {
  return groupBy(records, filter, rules, today, [](const auto& r) { return r.cim_id; });
}

std::map<std::string, Indicators> indicatorsByL1Reader(
    const std::vector<ExamOutcomeRecord>& records, const IndicatorFilter& filter,
    const ProgrammeRules& rules, Date today) {
  return groupBy(records, filter, rules, today, [](const auto& r) { return r.l1_reader_rpps; });
}

std::map<std::string, Indicators> indicatorsByL2Reader(
    const std::vector<ExamOutcomeRecord>& records, const IndicatorFilter& filter,
    const ProgrammeRules& rules, Date today) {
  return groupBy(records, filter, rules, today, [](const auto& r) { return r.l2_reader_rpps; });
}

std::vector<std::string> indicatorAlerts(const Indicators& ind, const ProgrammeRules& rules) {
  std::vector<std::string> out;
  auto check = [&out](const char* what, const Rate& rate, double limit) {
    if (rate.denominator > 0 && rate.value() > limit)
      out.push_back(std::string(what) + " is " + percent(rate.value()) + " (" +
                    std::to_string(rate.numerator) + "/" + std::to_string(rate.denominator) +
                    "), above the " + percent(limit) + " limit.");
  };
  check("The recall rate", ind.recall, rules.alert_max_recall_rate);
  check("The CTI rate", ind.cti, rules.alert_max_cti_rate);
  check("The L1-positive rate after BDI", ind.l1_positive_after_bdi,
        rules.alert_max_l1_positive_after_bdi);
  check("The share of results later than the deadline", ind.overdue_fraction,
        rules.alert_max_overdue_fraction);
  return out;
}

}  // namespace dualread
