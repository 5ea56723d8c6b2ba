#include "domain/programme_rules.h"

namespace dualread {

namespace {

void requireAtLeast(std::vector<std::string>& out, const char* name, int value, int minimum) {
  if (value < minimum)
    out.push_back(std::string(name) + " is " + std::to_string(value) + "; it must be at least " +
                  std::to_string(minimum) + ".");
}

void requireFraction(std::vector<std::string>& out, const char* name, double value) {
  if (!(value >= 0.0 && value <= 1.0))
    out.push_back(std::string(name) + " is " + std::to_string(value) +
                  "; it must be a fraction between 0 and 1.");
}

}  // namespace

std::vector<std::string> ProgrammeRules::validate() const {
  std::vector<std::string> out;
  requireAtLeast(out, "min_age_years", min_age_years, 18);
  if (max_age_years < min_age_years)
    out.push_back("max_age_years (" + std::to_string(max_age_years) + ") is below min_age_years (" +
                  std::to_string(min_age_years) + ").");
  if (max_age_years > 120) out.push_back("max_age_years is above 120.");
  requireAtLeast(out, "screening_interval_months", screening_interval_months, 1);
  requireAtLeast(out, "invitation_reminder_days", invitation_reminder_days, 1);
  requireAtLeast(out, "min_standard_views", min_standard_views, 1);
  requireAtLeast(out, "transfer_deadline_hours", transfer_deadline_hours, 1);
  requireAtLeast(out, "result_deadline_days", result_deadline_days, 1);
  requireAtLeast(out, "deadline_warning_days", deadline_warning_days, 0);
  if (deadline_warning_days >= result_deadline_days && result_deadline_days >= 1)
    out.push_back("deadline_warning_days must be shorter than result_deadline_days.");
  requireAtLeast(out, "l2_session_size", l2_session_size, 1);
  if (l2_session_size > 1000)
    out.push_back("l2_session_size is " + std::to_string(l2_session_size) +
                  "; sessions above 1000 exams cannot be read in one sitting.");
  requireAtLeast(out, "l2_min_reads_per_year", l2_min_reads_per_year, 0);
  requireAtLeast(out, "l3_min_readers", l3_min_readers, 1);
  requireAtLeast(out, "cti_retake_reminder_days", cti_retake_reminder_days, 1);
  requireAtLeast(out, "follow_up_reminder_days", follow_up_reminder_days, 1);
  requireAtLeast(out, "follow_up_reminder_repeat_days", follow_up_reminder_repeat_days, 1);
  requireAtLeast(out, "follow_up_max_reminders", follow_up_max_reminders, 0);
  requireAtLeast(out, "follow_up_surveillance_months", follow_up_surveillance_months, 1);
  requireFraction(out, "alert_max_recall_rate", alert_max_recall_rate);
  requireFraction(out, "alert_max_cti_rate", alert_max_cti_rate);
  requireFraction(out, "alert_max_l1_positive_after_bdi", alert_max_l1_positive_after_bdi);
  requireFraction(out, "alert_max_overdue_fraction", alert_max_overdue_fraction);
  return out;
}

}  // namespace dualread
