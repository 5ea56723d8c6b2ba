#pragma once
// ProgrammeRules: every number of the breast-screening programme that a region may tune — ages,
// intervals, deadlines, session size, L3 on/off, reminder delays, indicator alert thresholds —
// with the national defaults (decree of 29 Sept 2006, Annex 3, as digested in SCREENING.md).
// One instance is loaded from the hub's config file at start-up and then shared read-only by the
// workflow, the session dealer, follow-up, eligibility and indicators: a plain value type, safe
// to read from any thread once built.

#include <string>
#include <vector>

namespace dualread {

struct ProgrammeRules {
  // --- Eligibility and invitations ---
  // A woman is eligible from her 50th birthday to the day before her 75th ("50-74").
  int min_age_years = 50;
  int max_age_years = 74;
  // "No screening mammogram in the last 2 years": eligible again on the day the interval ends.
  int screening_interval_months = 24;
  // Reminder (relance) when no exam followed an invitation after this many days (~6 months).
  int invitation_reminder_days = 183;

  // --- Completeness of an exam file ---
  int min_standard_views = 4;  // RCC, LCC, RMLO, LMLO

  // --- Deadlines ---
  int transfer_deadline_hours = 24;  // CIM -> centre
  int result_deadline_days = 15;     // mammogram -> result sent (regulation)
  // An exam whose deadline is this close is shown as urgent in the L2 pool.
  int deadline_warning_days = 3;

  // --- Second reading ---
  int l2_session_size = 100;
  int l2_min_reads_per_year = 1500;  // reader qualification, checked in the yearly summary

  // --- Third reading / consensus (a local practice, off in the national programme) ---
  bool l3_enabled = false;
  int l3_min_readers = 1;

  // --- Technically insufficient images ---
  // The CIM is reminded when a requested retake has not arrived after this many days.
  int cti_retake_reminder_days = 15;

  // --- Follow-up of positives ---
  // First reminder to the doctors when nothing came back this many days after a positive.
  int follow_up_reminder_days = 60;
  // Further reminders this many days after the previous one, at most `follow_up_max_reminders`;
  // after that the case is flagged "lost to follow-up" for the medical coordinator.
  int follow_up_reminder_repeat_days = 60;
  int follow_up_max_reminders = 3;
  // A probably-benign BDD (ACR 3) is followed by a control after this many months.
  int follow_up_surveillance_months = 6;

  // --- Indicator alerts (fractions, 0..1): an indicator above its limit raises an alert ---
  double alert_max_recall_rate = 0.07;  // European guidelines, acceptable level
  double alert_max_cti_rate = 0.03;     // technical repeat rate
  double alert_max_l1_positive_after_bdi = 0.07;
  double alert_max_overdue_fraction = 0.0;  // any result later than the deadline alerts

  static ProgrammeRules nationalDefaults() { return ProgrammeRules{}; }

  // Every inconsistency as a sentence naming the setting; empty when the rules are usable.
  std::vector<std::string> validate() const;
};

}  // namespace dualread
