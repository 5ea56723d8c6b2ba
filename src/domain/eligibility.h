#pragma once
// Eligibility to organised breast screening and the invitation decision. A woman is eligible
// from her 50th birthday to the day before her 75th, when she had no screening mammogram in
// the last 2 years, is not excluded (definitively: personal breast cancer, high-risk follow-up;
// temporarily: recent mammogram outside the programme, symptoms...) and has not refused (a
// refusal is reversible). A positive screening still without follow-up replaces her next
// routine invitation by a specific reminder. Pure functions of the facts passed in (ages and
// delays from ProgrammeRules); thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "domain/programme_rules.h"
#include "domain/time.h"

namespace dualread {

enum class ExclusionReason {
  kPersonalBreastCancer,             // definitive
  kHighRiskFollowUp,                 // definitive: followed outside the programme
  kRecentMammogramOutsideProgramme,  // temporary
  kSymptoms,                         // temporary: diagnostic exam, not screening
  kOther,                            // temporary
};

// Definitive reasons never expire; temporary ones are in force from `from` to `until` included
// (no `until`: until the record is removed).
bool isDefinitive(ExclusionReason r);

struct Exclusion {
  ExclusionReason reason = ExclusionReason::kOther;
  Date from{};
  std::optional<Date> until;
};

struct Refusal {
  Date recorded_on{};
  std::optional<Date> withdrawn_on;  // she came back on her decision
};

struct EligibilityInput {
  std::optional<Date> birth_date;
  std::optional<Date> last_screening_mammogram;
  std::vector<Exclusion> exclusions;
  std::vector<Refusal> refusals;
  bool deceased = false;
};

enum class EligibilityVerdict {
  kEligible,
  kUnknownBirthDate,
  kDeceased,
  kTooYoung,
  kTooOld,
  kRecentScreening,
  kExcludedDefinitively,
  kExcludedTemporarily,
  kRefused,
};

struct EligibilityDecision {
  EligibilityVerdict verdict = EligibilityVerdict::kUnknownBirthDate;
  std::string explanation;             // sentence for the professional querying the server
  std::optional<Date> eligible_from;   // when not eligible yet but will be (too young, recent...)
  std::optional<Date> eligible_until;  // last eligible day (day before the 75th birthday)
};

// The decision on day `on`. Checks in this order, first failing one wins: deceased, birth date,
// definitive exclusion, too old, refusal, temporary exclusion, too young, recent screening.
// The screening interval ends on the day `last mammogram + rules.screening_interval_months`, on
// which she is eligible again.
EligibilityDecision checkEligibility(const EligibilityInput& in, const ProgrammeRules& rules,
                                     Date on);

enum class InvitationKind { kNone, kRoutine, kPositiveFollowUpReminder };

struct InvitationDecision {
  InvitationKind kind = InvitationKind::kNone;
  EligibilityDecision eligibility;
};

// What to send a woman on `on`: nothing when not eligible; a specific reminder instead of the
// routine invitation when a positive of hers is still without follow-up
// (`open_positive_without_follow_up`, from replacesNextInvitation()); else a routine invitation.
InvitationDecision invitationFor(const EligibilityInput& in, bool open_positive_without_follow_up,
                                 const ProgrammeRules& rules, Date on);

// True when an invitation sent on `invited_on` got no screening since and the reminder delay
// (rules.invitation_reminder_days) has passed on `today`.
bool invitationReminderDue(Date invited_on, std::optional<Date> screened_since,
                           const ProgrammeRules& rules, Date today);

const char* toCode(EligibilityVerdict v);
const char* toCode(ExclusionReason r);

}  // namespace dualread
