#include "domain/follow_up.h"

namespace dualread {

namespace {

// The current step of the case and the date it started waiting from.
struct Step {
  FollowUpStatus status;
  Date anchor;  // reminders count from here
  const char* waiting_for;
};

Step currentStep(const PositiveCase& c, const ProgrammeRules& rules) {
  if (c.pathology) {
    const bool cancer = c.pathology->result != PathologyResult::kBenign;
    return {cancer ? FollowUpStatus::kConcludedCancer : FollowUpStatus::kConcludedNoCancer,
            c.pathology->date, ""};
  }
  if (c.biopsy) return {FollowUpStatus::kAwaitingPathology, c.biopsy->date, "the pathology result"};
  if (!c.work_ups.empty()) {
    const BddRecord& last = c.work_ups.back();
    switch (last.result) {
      case BddResult::kNormal:
      case BddResult::kBenign:
        return {FollowUpStatus::kConcludedNoCancer, last.date, ""};
      case BddResult::kProbablyBenign:
        return {FollowUpStatus::kUnderSurveillance,
                addMonths(last.date, rules.follow_up_surveillance_months),
                "the result of the surveillance control"};
      case BddResult::kBiopsyNeeded:
        return {FollowUpStatus::kAwaitingPathology, last.date, "the biopsy and its pathology"};
    }
  }
  if (c.origin == PositiveOrigin::kL1 && c.l1_management) {
    if (*c.l1_management == Management::kBiopsy)
      return {FollowUpStatus::kAwaitingPathology, c.positive_on, "the biopsy and its pathology"};
    if (*c.l1_management == Management::kShortFollowUp)
      return {FollowUpStatus::kUnderSurveillance,
              addMonths(c.positive_on, rules.follow_up_surveillance_months),
              "the result of the surveillance control"};
  }
  return {FollowUpStatus::kAwaitingWorkUp, c.positive_on, "the result of the deferred work-up"};
}

// Reminders already sent for the current step (those on or after its anchor).
int remindersSince(const PositiveCase& c, Date anchor, Date* last) {
  int n = 0;
  for (Date d : c.reminders_sent)
    if (d >= anchor) {
      ++n;
      if (!last || d > *last) *last = d;
    }
  return n;
}

}  // namespace

bool isConcluded(FollowUpStatus s) {
  return s == FollowUpStatus::kConcludedNoCancer || s == FollowUpStatus::kConcludedCancer;
}

FollowUpStatus statusOf(const PositiveCase& c, const ProgrammeRules& rules, Date today) {
  const Step step = currentStep(c, rules);
  if (isConcluded(step.status)) return step.status;
  Date last = step.anchor;
  const int sent = remindersSince(c, step.anchor, &last);
  if (sent >= rules.follow_up_max_reminders) {
    // The last reminder (or the first due date when none are allowed) got no answer in time.
    const Date answer_by = sent == 0 ? addDays(step.anchor, rules.follow_up_reminder_days)
                                     : addDays(last, rules.follow_up_reminder_repeat_days);
    if (today >= answer_by) return FollowUpStatus::kLostToFollowUp;
  }
  return step.status;
}

std::optional<FollowUpReminder> nextReminder(const PositiveCase& c, const ProgrammeRules& rules,
                                             Date today) {
  const Step step = currentStep(c, rules);
  if (isConcluded(step.status)) return std::nullopt;
  Date last = step.anchor;
  const int sent = remindersSince(c, step.anchor, &last);
  if (sent >= rules.follow_up_max_reminders) return std::nullopt;
  const Date due = sent == 0 ? addDays(step.anchor, rules.follow_up_reminder_days)
                             : addDays(last, rules.follow_up_reminder_repeat_days);
  if (today < due) return std::nullopt;
  FollowUpReminder r;
  r.due_on = due;
  r.number = sent + 1;
  r.reason = "Positive screening of " + toIsoDate(c.positive_on) + " (exam " + c.exam_id +
             "): still waiting for " + step.waiting_for + ".";
  return r;
}

bool replacesNextInvitation(const PositiveCase& c, const ProgrammeRules& rules, Date today) {
  return !isConcluded(statusOf(c, rules, today));
}

std::optional<Date> diagnosisDate(const PositiveCase& c) {
  if (c.pathology && c.pathology->result != PathologyResult::kBenign) return c.pathology->date;
  return std::nullopt;
}

std::vector<std::string> checkPositiveCase(const PositiveCase& c) {
  std::vector<std::string> out;
  auto notBefore = [&](Date d, const char* what) {
    if (d < c.positive_on)
      out.push_back(std::string(what) + " dated " + toIsoDate(d) + " is before the positive (" +
                    toIsoDate(c.positive_on) + ").");
  };
  for (const auto& w : c.work_ups) notBefore(w.date, "The work-up");
  for (size_t i = 1; i < c.work_ups.size(); ++i)
    if (c.work_ups[i].date < c.work_ups[i - 1].date)
      out.push_back("Work-ups are not in date order.");
  if (c.biopsy) notBefore(c.biopsy->date, "The biopsy");
  if (c.pathology) {
    notBefore(c.pathology->date, "The pathology result");
    if (c.biopsy && c.pathology->date < c.biopsy->date)
      out.push_back("The pathology result is dated before the biopsy.");
    if (c.pathology->grade && (*c.pathology->grade < 1 || *c.pathology->grade > 3))
      out.push_back("The tumour grade must be 1, 2 or 3.");
    if (c.pathology->grade && c.pathology->result == PathologyResult::kBenign)
      out.push_back("A benign pathology result has no tumour grade.");
    if (c.pathology->size_mm && *c.pathology->size_mm <= 0)
      out.push_back("The tumour size must be positive.");
  }
  if (c.treatment) {
    notBefore(c.treatment->date, "The treatment");
    if (!c.pathology || c.pathology->result == PathologyResult::kBenign)
      out.push_back("A treatment is recorded without a cancer diagnosis.");
  }
  return out;
}

const char* toCode(FollowUpStatus s) {
  switch (s) {
    case FollowUpStatus::kAwaitingWorkUp:
      return "awaiting_work_up";
    case FollowUpStatus::kUnderSurveillance:
      return "under_surveillance";
    case FollowUpStatus::kAwaitingPathology:
      return "awaiting_pathology";
    case FollowUpStatus::kConcludedNoCancer:
      return "concluded_no_cancer";
    case FollowUpStatus::kConcludedCancer:
      return "concluded_cancer";
    case FollowUpStatus::kLostToFollowUp:
      return "lost_to_follow_up";
  }
  return "unknown";
}

const char* toCode(PositiveOrigin o) {
  switch (o) {
    case PositiveOrigin::kL1:
      return "l1";
    case PositiveOrigin::kL2:
      return "l2";
    case PositiveOrigin::kL3:
      return "l3";
  }
  return "unknown";
}

}  // namespace dualread
