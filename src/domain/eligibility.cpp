#include "domain/eligibility.h"

namespace dualread {

bool isDefinitive(ExclusionReason r) {
  return r == ExclusionReason::kPersonalBreastCancer || r == ExclusionReason::kHighRiskFollowUp;
}

const char* toCode(ExclusionReason r) {
  switch (r) {
    case ExclusionReason::kPersonalBreastCancer:
      return "personal_breast_cancer";
    case ExclusionReason::kHighRiskFollowUp:
      return "high_risk_follow_up";
    case ExclusionReason::kRecentMammogramOutsideProgramme:
      return "recent_mammogram";
    case ExclusionReason::kSymptoms:
      return "symptoms";
    case ExclusionReason::kOther:
      return "other";
  }
  return "other";
}

const char* toCode(EligibilityVerdict v) {
  switch (v) {
    case EligibilityVerdict::kEligible:
      return "eligible";
    case EligibilityVerdict::kUnknownBirthDate:
      return "unknown_birth_date";
    case EligibilityVerdict::kDeceased:
      return "deceased";
    case EligibilityVerdict::kTooYoung:
      return "too_young";
    case EligibilityVerdict::kTooOld:
      return "too_old";
    case EligibilityVerdict::kRecentScreening:
      return "recent_screening";
    case EligibilityVerdict::kExcludedDefinitively:
      return "excluded_definitively";
    case EligibilityVerdict::kExcludedTemporarily:
      return "excluded_temporarily";
    case EligibilityVerdict::kRefused:
      return "refused";
  }
  return "unknown";
}

EligibilityDecision checkEligibility(const EligibilityInput& in, const ProgrammeRules& rules,
                                     Date on) {
  EligibilityDecision d;
  auto decide = [&d](EligibilityVerdict v, std::string why) {
    d.verdict = v;
    d.explanation = std::move(why);
    return d;
  };
  if (in.deceased) return decide(EligibilityVerdict::kDeceased, "The woman is deceased.");
  if (!in.birth_date)
    return decide(EligibilityVerdict::kUnknownBirthDate,
                  "The birth date is unknown; eligibility cannot be decided.");
  const Date first_day = anniversary(*in.birth_date, rules.min_age_years);
  const Date end = anniversary(*in.birth_date, rules.max_age_years + 1);  // first day too old
  d.eligible_until = addDays(end, -1);

  for (const auto& x : in.exclusions)
    if (isDefinitive(x.reason) && x.from <= on)
      return decide(EligibilityVerdict::kExcludedDefinitively,
                    std::string("Definitively excluded since ") + toIsoDate(x.from) + " (" +
                        toCode(x.reason) + ").");
  if (on >= end)
    return decide(EligibilityVerdict::kTooOld,
                  "Aged " + std::to_string(ageInYears(*in.birth_date, on)) +
                      ": the programme ends on the day before the " +
                      std::to_string(rules.max_age_years + 1) + "th birthday (" +
                      toIsoDate(d.eligible_until.value()) + ").");
  for (const auto& r : in.refusals)
    if (r.recorded_on <= on && (!r.withdrawn_on || *r.withdrawn_on > on))
      return decide(EligibilityVerdict::kRefused,
                    "She refused to take part on " + toIsoDate(r.recorded_on) +
                        "; she may withdraw her refusal at any time.");

  std::optional<Date> excluded_until;
  bool open_ended = false;
  for (const auto& x : in.exclusions) {
    if (isDefinitive(x.reason) || x.from > on) continue;
    if (!x.until) {
      open_ended = true;
    } else if (*x.until >= on && (!excluded_until || *x.until > *excluded_until)) {
      excluded_until = x.until;
    }
  }
  if (open_ended || excluded_until) {
    if (!open_ended) d.eligible_from = addDays(*excluded_until, 1);
    return decide(EligibilityVerdict::kExcludedTemporarily,
                  open_ended ? std::string("Temporarily excluded, with no end date recorded.")
                             : "Temporarily excluded until " + toIsoDate(*excluded_until) + ".");
  }
  if (on < first_day) {
    d.eligible_from = first_day;
    return decide(EligibilityVerdict::kTooYoung,
                  "Aged " + std::to_string(ageInYears(*in.birth_date, on)) +
                      ": eligible from her " + std::to_string(rules.min_age_years) +
                      "th birthday, " + toIsoDate(first_day) + ".");
  }
  if (in.last_screening_mammogram) {
    const Date again = addMonths(*in.last_screening_mammogram, rules.screening_interval_months);
    if (on < again) {
      if (again < end) d.eligible_from = again;
      return decide(EligibilityVerdict::kRecentScreening,
                    "Screening mammogram on " + toIsoDate(*in.last_screening_mammogram) +
                        "; next screening from " + toIsoDate(again) + ".");
    }
  }
  return decide(EligibilityVerdict::kEligible,
                "Eligible until " + toIsoDate(d.eligible_until.value()) + ".");
}

InvitationDecision invitationFor(const EligibilityInput& in, bool open_positive_without_follow_up,
                                 const ProgrammeRules& rules, Date on) {
  InvitationDecision out;
  out.eligibility = checkEligibility(in, rules, on);
  if (out.eligibility.verdict != EligibilityVerdict::kEligible) return out;
  out.kind = open_positive_without_follow_up ? InvitationKind::kPositiveFollowUpReminder
                                             : InvitationKind::kRoutine;
  return out;
}

bool invitationReminderDue(Date invited_on, std::optional<Date> screened_since,
                           const ProgrammeRules& rules, Date today) {
  if (screened_since && *screened_since >= invited_on) return false;
  return today >= addDays(invited_on, rules.invitation_reminder_days);
}

}  // namespace dualread
