#include "domain/exam_workflow.h"

#include <algorithm>

namespace dualread {

namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// The states in which an exam has no result yet and may still be withdrawn (duplicate file,
// woman found ineligible, identity error). A positive is never cancelled: it must be followed.
bool cancellable(ExamState s) {
  switch (s) {
    case ExamState::kReceived:
    case ExamState::kComplete:
    case ExamState::kAwaitingL2:
    case ExamState::kInSession:
    case ExamState::kL2Read:
    case ExamState::kAwaitingL3:
    case ExamState::kCtiRequested:
    case ExamState::kRetakeReceived:
      return true;
    default:
      return false;
  }
}

bool formIsComplete(const ExamRecord& r, const ProgrammeRules& rules) {
  return r.l1_form && checkL1Form(*r.l1_form, rules).empty();
}

ExamState completenessState(const ExamRecord& r, const ProgrammeRules& rules) {
  return r.images_complete && formIsComplete(r, rules) ? ExamState::kComplete
                                                       : ExamState::kReceived;
}

void mergeStudies(ExamRecord& r, const std::vector<std::string>& uids) {
  for (const auto& uid : uids)
    if (std::find(r.study_uids.begin(), r.study_uids.end(), uid) == r.study_uids.end())
      r.study_uids.push_back(uid);
}

// Builds results; keeps the refusal sentences in one shape.
class Transition {
 public:
  Transition(const ExamRecord& r, const ExamEvent& e, TimePoint now)
      : in_(r), event_(e), now_(now) {}

  TransitionResult refuse(const std::string& why, std::vector<FormError> problems = {}) const {
    TransitionResult t;
    t.record = in_;
    t.error = "Exam " + in_.exam_id + " (" + labelEn(in_.state) + ") refuses \"" +
              eventName(event_) + "\": " + why;
    t.problems = std::move(problems);
    return t;
  }

  TransitionResult notAllowed() const {
    TransitionResult t;
    t.record = in_;
    t.error = "Event \"" + std::string(eventName(event_)) + "\" is not allowed in state \"" +
              labelEn(in_.state) + "\" (exam " + in_.exam_id + ").";
    return t;
  }

  TransitionResult accept(ExamRecord out, ExamState to, std::string detail = {}) const {
    out.history.push_back({in_.state, to, eventName(event_), now_, std::move(detail)});
    out.state = to;
    TransitionResult t;
    t.accepted = true;
    t.record = std::move(out);
    return t;
  }

 private:
  const ExamRecord& in_;
  const ExamEvent& event_;
  TimePoint now_;
};

std::string l1Rpps(const ExamRecord& r) {
  return r.l1_form ? r.l1_form->identification.l1_radiologist.rpps : std::string{};
}

}  // namespace

const char* toCode(ExamState s) {
  switch (s) {
    case ExamState::kReceived:
      return "received";
    case ExamState::kComplete:
      return "complete";
    case ExamState::kAwaitingL2:
      return "awaiting_l2";
    case ExamState::kInSession:
      return "in_session";
    case ExamState::kL2Read:
      return "l2_read";
    case ExamState::kAwaitingL3:
      return "awaiting_l3";
    case ExamState::kCtiRequested:
      return "cti_requested";
    case ExamState::kRetakeReceived:
      return "retake_received";
    case ExamState::kNegativeResult:
      return "negative_result";
    case ExamState::kRecallBdd:
      return "recall_bdd";
    case ExamState::kL1Positive:
      return "l1_positive";
    case ExamState::kPositiveFollowUp:
      return "positive_follow_up";
    case ExamState::kResultSent:
      return "result_sent";
    case ExamState::kClosed:
      return "closed";
    case ExamState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

const char* labelEn(ExamState s) {
  switch (s) {
    case ExamState::kReceived:
      return "received";
    case ExamState::kComplete:
      return "complete";
    case ExamState::kAwaitingL2:
      return "awaiting L2";
    case ExamState::kInSession:
      return "in session";
    case ExamState::kL2Read:
      return "L2 read";
    case ExamState::kAwaitingL3:
      return "awaiting L3";
    case ExamState::kCtiRequested:
      return "CTI requested";
    case ExamState::kRetakeReceived:
      return "retake received";
    case ExamState::kNegativeResult:
      return "negative result";
    case ExamState::kRecallBdd:
      return "recall for deferred work-up";
    case ExamState::kL1Positive:
      return "L1 positive";
    case ExamState::kPositiveFollowUp:
      return "positive follow-up";
    case ExamState::kResultSent:
      return "result sent";
    case ExamState::kClosed:
      return "closed";
    case ExamState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

const char* eventName(const ExamEvent& e) {
  return std::visit(Overloaded{
                        [](const ImagesUpdated&) { return "images updated"; },
                        [](const FormSubmitted&) { return "form submitted"; },
                        [](const Dispatch&) { return "dispatch"; },
                        [](const AssignToSession&) { return "assign to session"; },
                        [](const ReturnToPool&) { return "return to pool"; },
                        [](const L2Signed&) { return "L2 signed"; },
                        [](const ConcludeL2&) { return "conclude L2"; },
                        [](const L3Decided&) { return "L3 decided"; },
                        [](const RetakeReceived&) { return "retake received"; },
                        [](const ResultSent&) { return "result sent"; },
                        [](const FollowUpConcluded&) { return "follow-up concluded"; },
                        [](const Close&) { return "close"; },
                        [](const Cancel&) { return "cancel"; },
                    },
                    e);
}

bool acceptsEvent(ExamState s, const ExamEvent& e) {
  using S = ExamState;
  return std::visit(
      Overloaded{
          [s](const ImagesUpdated&) {
            return s == S::kReceived || s == S::kComplete || s == S::kAwaitingL2 ||
                   s == S::kRetakeReceived;
          },
          [s](const FormSubmitted&) { return s == S::kReceived || s == S::kComplete; },
          [s](const Dispatch&) { return s == S::kComplete || s == S::kRetakeReceived; },
          [s](const AssignToSession&) { return s == S::kAwaitingL2; },
          [s](const ReturnToPool&) { return s == S::kInSession; },
          [s](const L2Signed&) { return s == S::kInSession || s == S::kL2Read; },
          [s](const ConcludeL2&) { return s == S::kL2Read; },
          [s](const L3Decided&) { return s == S::kAwaitingL3; },
          [s](const RetakeReceived&) { return s == S::kCtiRequested; },
          [s](const ResultSent&) { return s == S::kNegativeResult || s == S::kRecallBdd; },
          [s](const FollowUpConcluded&) {
            return s == S::kL1Positive || s == S::kPositiveFollowUp;
          },
          [s](const Close&) { return s == S::kResultSent; },
          [s](const Cancel&) { return cancellable(s); },
      },
      e);
}

std::optional<TimePoint> ExamRecord::firstEntered(ExamState s) const {
  for (const auto& h : history)
    if (h.to == s) return h.at;
  return std::nullopt;
}

ExamRecord newExamRecord(std::string exam_id, std::string woman_id, std::string cim_id,
                         TimePoint now) {
  ExamRecord r;
  r.exam_id = std::move(exam_id);
  r.woman_id = std::move(woman_id);
  r.cim_id = std::move(cim_id);
  r.received_at = now;
  r.history.push_back({ExamState::kReceived, ExamState::kReceived, "created", now, {}});
  return r;
}

std::vector<std::string> missingForCompletion(const ExamRecord& r, const ProgrammeRules& rules) {
  std::vector<std::string> out;
  if (r.study_uids.empty())
    out.push_back("No images received yet.");
  else if (!r.images_complete)
    out.push_back("Images are incomplete (standard views missing or awaiting review).");
  if (!r.l1_form) {
    out.push_back("No reading form (FI) received yet.");
    return out;
  }
  for (const auto& e : checkL1Form(*r.l1_form, rules))
    out.push_back("Reading form, " + e.field + ": " + e.message);
  return out;
}

TransitionResult apply(const ExamRecord& record, const ExamEvent& event,
                       const ProgrammeRules& rules, TimePoint now) {
  const Transition t(record, event, now);
  if (!acceptsEvent(record.state, event)) return t.notAllowed();

  return std::visit(
      Overloaded{
          [&](const ImagesUpdated& e) -> TransitionResult {
            ExamRecord out = record;
            mergeStudies(out, e.study_uids);
            if (record.state == ExamState::kAwaitingL2 ||
                record.state == ExamState::kRetakeReceived) {
              // Once accepted, an exam may gain images (late extra view, more retakes) but not
              // lose completeness silently: that needs a human (cancel or correction).
              if (!e.complete)
                return t.refuse("its images would become incomplete; review the file first.");
              out.images_complete = true;
              return t.accept(std::move(out), record.state);
            }
            out.images_complete = e.complete;
            return t.accept(out, completenessState(out, rules));
          },
          [&](const FormSubmitted& e) -> TransitionResult {
            const auto& id = e.form.identification;
            if (!record.cim_id.empty() && !id.cim_id.empty() && id.cim_id != record.cim_id)
              return t.refuse("the form comes from CIM " + id.cim_id + " but the exam from CIM " +
                              record.cim_id + ".");
            if (!record.woman_id.empty() && !id.woman_id.empty() && id.woman_id != record.woman_id)
              return t.refuse("the form names woman " + id.woman_id + " but the exam is woman " +
                              record.woman_id + "'s; identity must be reconciled first.");
            ExamRecord out = record;
            out.l1_form = e.form;
            return t.accept(out, completenessState(out, rules));
          },
          [&](const Dispatch&) -> TransitionResult {
            ExamRecord out = record;
            if (record.state == ExamState::kRetakeReceived) {
              out.assignment.reset();
              return t.accept(std::move(out), ExamState::kAwaitingL2, "new L2 after retake");
            }
            // Completeness was established on entering `complete`; re-check in case the rules
            // changed since (e.g. more standard views required).
            if (!record.images_complete || !formIsComplete(record, rules)) {
              std::string list;
              for (const auto& m : missingForCompletion(record, rules)) list += " " + m;
              return t.refuse("the file is not complete:" + list);
            }
            const L1Route route = routeAfterL1(*record.l1_form);
            return t.accept(
                std::move(out),
                route == L1Route::kToL2 ? ExamState::kAwaitingL2 : ExamState::kL1Positive,
                toCode(route));
          },
          [&](const AssignToSession& e) -> TransitionResult {
            if (e.reader.rpps.empty() || e.session_id.empty())
              return t.refuse("a session id and the reader's RPPS are required.");
            if (e.reader.rpps == l1Rpps(record))
              return t.refuse("reader " + e.reader.rpps +
                              " was its first reader; an exam is never second-read by its L1.");
            if (std::find(e.reader_cim_ids.begin(), e.reader_cim_ids.end(), record.cim_id) !=
                e.reader_cim_ids.end())
              return t.refuse("reader " + e.reader.rpps + " practises at CIM " + record.cim_id +
                              ", where the exam was taken.");
            ExamRecord out = record;
            out.assignment = SessionAssignment{e.session_id, e.reader, now};
            return t.accept(std::move(out), ExamState::kInSession,
                            e.session_id + " / " + e.reader.rpps);
          },
          [&](const ReturnToPool& e) -> TransitionResult {
            ExamRecord out = record;
            out.assignment.reset();
            return t.accept(std::move(out), ExamState::kAwaitingL2, e.reason);
          },
          [&](const L2Signed& e) -> TransitionResult {
            if (!record.assignment || e.reading.reader.rpps != record.assignment->reader.rpps)
              return t.refuse(
                  "the reading is signed by " + e.reading.reader.rpps +
                  " but the exam is assigned to " +
                  (record.assignment ? record.assignment->reader.rpps : std::string("nobody")) +
                  ".");
            auto problems = checkL2Reading(e.reading);
            if (!problems.empty())
              return t.refuse("the L2 reading is incomplete or incoherent (" +
                                  std::to_string(problems.size()) + " problem(s)).",
                              std::move(problems));
            ExamRecord out = record;
            if (record.state == ExamState::kL2Read && !out.l2_readings.empty())
              out.l2_readings.back() = e.reading;  // amendment before conclusion
            else
              out.l2_readings.push_back(e.reading);
            return t.accept(std::move(out), ExamState::kL2Read);
          },
          [&](const ConcludeL2&) -> TransitionResult {
            // A record loaded from storage could claim "L2 read" without a reading.
            if (record.l2_readings.empty()) return t.refuse("no signed L2 reading is recorded.");
            ExamRecord out = record;
            const L2Reading& reading = record.l2_readings.back();
            switch (verdictOf(reading)) {
              case L2Verdict::kNegative:
                return t.accept(std::move(out), ExamState::kNegativeResult);
              case L2Verdict::kPositive:
                // Only L1-negatives are read at L2: a positive L2 is a discordance.
                return t.accept(std::move(out),
                                rules.l3_enabled ? ExamState::kAwaitingL3 : ExamState::kRecallBdd,
                                "L1/L2 discordance");
              case L2Verdict::kTechnicallyInsufficient: {
                const std::string id =
                    record.exam_id + "/cti/" + std::to_string(record.cti_requests.size() + 1);
                out.cti_requests.push_back(makeCtiRequest(id, record.exam_id, record.woman_id,
                                                          record.cim_id, reading, now));
                return t.accept(std::move(out), ExamState::kCtiRequested, id);
              }
            }
            return t.refuse("unknown L2 verdict.");
          },
          [&](const L3Decided& e) -> TransitionResult {
            const auto& readers = e.decision.readers;
            if (static_cast<int>(readers.size()) < rules.l3_min_readers)
              return t.refuse("the decision names " + std::to_string(readers.size()) +
                              " reader(s); at least " + std::to_string(rules.l3_min_readers) +
                              " are required.");
            for (const auto& r : readers) {
              if (!isRpps(r.rpps))
                return t.refuse("L3 reader RPPS \"" + r.rpps + "\" is not 11 digits.");
              if (r.rpps == l1Rpps(record))
                return t.refuse("reader " + r.rpps +
                                " was the first reader and cannot arbitrate her own reading.");
            }
            ExamRecord out = record;
            out.l3 = e.decision;
            std::string names;
            for (const auto& r : readers) names += (names.empty() ? "" : ", ") + r.rpps;
            return t.accept(
                std::move(out),
                e.decision.positive ? ExamState::kRecallBdd : ExamState::kNegativeResult,
                "L3 by " + names);
          },
          [&](const RetakeReceived& e) -> TransitionResult {
            if (std::find(record.study_uids.begin(), record.study_uids.end(), e.study.study_uid) !=
                record.study_uids.end())
              return t.refuse("study " + e.study.study_uid +
                              " is already part of the exam; a retake is a new study.");
            const RetakeAssignment match = findRequestForRetake(record.cti_requests, e.study);
            if (!match.request_id) {
              std::string why;
              for (const auto& r : match.reasons) why += (why.empty() ? "" : " ") + r;
              return t.refuse(why);
            }
            ExamRecord out = record;
            for (auto& r : out.cti_requests)
              if (r.id == *match.request_id) {
                r.status = CtiStatus::kFulfilled;
                r.fulfilled_by_study_uid = e.study.study_uid;
                r.fulfilled_at = now;
              }
            out.study_uids.push_back(e.study.study_uid);
            return t.accept(std::move(out), ExamState::kRetakeReceived, *match.request_id);
          },
          [&](const ResultSent&) -> TransitionResult {
            return t.accept(record, record.state == ExamState::kRecallBdd
                                        ? ExamState::kPositiveFollowUp
                                        : ExamState::kResultSent);
          },
          [&](const FollowUpConcluded& e) -> TransitionResult {
            if (e.summary.empty())
              return t.refuse("say how the follow-up concluded (diagnosis or BDD result).");
            ExamRecord out = record;
            out.follow_up_summary = e.summary;
            return t.accept(std::move(out), ExamState::kClosed, e.summary);
          },
          [&](const Close&) -> TransitionResult { return t.accept(record, ExamState::kClosed); },
          [&](const Cancel& e) -> TransitionResult {
            if (e.reason.empty()) return t.refuse("a reason is required to cancel an exam.");
            ExamRecord out = record;
            out.cancel_reason = e.reason;
            for (auto& r : out.cti_requests)
              if (r.status == CtiStatus::kOpen) r.status = CtiStatus::kCancelled;
            return t.accept(std::move(out), ExamState::kCancelled, e.reason);
          },
      },
      event);
}

}  // namespace dualread
