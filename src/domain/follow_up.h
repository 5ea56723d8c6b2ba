#pragma once
// Follow-up of positives: every exam that ends positive (at L1 after BDI, at L2, or at L3) is
// followed by the centre until a diagnosis — deferred work-up (BDD), biopsy, pathology,
// treatment. PositiveCase holds what came back; statusOf() says where the case stands,
// nextReminder() when the doctors must be reminded because nothing came back, and
// replacesNextInvitation() whether the woman's next routine invitation must be replaced by a
// specific reminder (decree of 23 March 2018, CRCDC specification §III). Owned by the follow-up
// repository; pure value types and functions, thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "domain/programme_rules.h"
#include "domain/reading_form.h"
#include "domain/time.h"

namespace dualread {

enum class PositiveOrigin { kL1, kL2, kL3 };

enum class BddResult {
  kNormal,          // nothing found
  kBenign,          // benign finding, back to routine screening
  kProbablyBenign,  // ACR 3: short-interval surveillance, a control is expected
  kBiopsyNeeded,    // ACR 4/5: a biopsy is expected
};

enum class PathologyResult { kBenign, kInSitu, kInvasive };

struct BddRecord {
  Date date{};
  BddResult result = BddResult::kNormal;
  std::string comment;
};

struct BiopsyRecord {
  Date date{};
  std::string kind;  // core needle, vacuum-assisted, surgical...
};

struct PathologyRecord {
  Date date{};
  PathologyResult result = PathologyResult::kBenign;
  std::optional<int> grade;    // 1-3 (SBR/Elston-Ellis), cancers only
  std::optional<int> size_mm;  // invasive size
  std::string comment;
};

struct TreatmentRecord {
  Date date{};
  std::string description;  // surgery, radiotherapy, chemotherapy...
};

struct PositiveCase {
  std::string exam_id;
  std::string woman_id;
  PositiveOrigin origin = PositiveOrigin::kL2;
  Date positive_on{};  // the day the positive result was given or sent
  // For an L1-positive: the management the first reader recommended; it sets what the centre
  // waits for (a biopsy result, a surveillance control, a specialist's work-up).
  std::optional<Management> l1_management;
  std::vector<BddRecord> work_ups;  // deferred work-ups and surveillance controls, in order
  std::optional<BiopsyRecord> biopsy;
  std::optional<PathologyRecord> pathology;
  std::optional<TreatmentRecord> treatment;
  std::vector<Date> reminders_sent;
};

enum class FollowUpStatus {
  kAwaitingWorkUp,     // nothing back yet
  kUnderSurveillance,  // probably benign: a control is expected later
  kAwaitingPathology,  // a biopsy is expected or done, no pathology result yet
  kConcludedNoCancer,
  kConcludedCancer,
  kLostToFollowUp,  // every reminder sent, still nothing: for the medical coordinator
};

// Where the case stands on `today` (only "lost" depends on the date).
FollowUpStatus statusOf(const PositiveCase& c, const ProgrammeRules& rules, Date today);

bool isConcluded(FollowUpStatus s);

struct FollowUpReminder {
  Date due_on{};
  int number = 1;      // 1 = first reminder for the current step
  std::string reason;  // sentence for the letter's cover note
};

// The reminder due on or before `today`, if any: the first one rules.follow_up_reminder_days
// after the step began (positive result, BDD asking for a biopsy, biopsy, expected surveillance
// control), then every rules.follow_up_reminder_repeat_days, at most
// rules.follow_up_max_reminders; none once concluded or lost.
std::optional<FollowUpReminder> nextReminder(const PositiveCase& c, const ProgrammeRules& rules,
                                             Date today);

// True when the woman's next routine invitation must be replaced by a specific reminder: the
// positive has not been concluded (no work-up came back, or it is still pending).
bool replacesNextInvitation(const PositiveCase& c, const ProgrammeRules& rules, Date today);

// The date of diagnosis of a cancer (the pathology date), if the case concluded in one.
std::optional<Date> diagnosisDate(const PositiveCase& c);

// Incoherences in what was recorded (dates before the positive, grade outside 1-3...).
std::vector<std::string> checkPositiveCase(const PositiveCase& c);

const char* toCode(FollowUpStatus s);
const char* toCode(PositiveOrigin o);

}  // namespace dualread
