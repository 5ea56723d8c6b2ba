#pragma once
// The screening exam's workflow: ExamRecord is one screening episode (one woman, one CIM, one
// mammogram date; possibly several studies — retakes, extra views, ultrasound) with its reading
// form, readings, CTI requests and the history of its states. apply() is the only way a record
// changes state: it takes an event and returns the new record, or refuses with a sentence that
// names the exam, the state and the event. Records are owned by the exam repository; apply() is
// a pure function (time is passed in), thread-safe.
//
// States and transitions (events in brackets; every other pair is refused):
//
//   received      --[images updated | form submitted]--> received or complete (recomputed)
//   complete      --[images updated | form submitted]--> complete or received (recomputed)
//   complete      --[dispatch]--> awaiting L2 (route to L2) | L1 positive (route L1-positive)
//   awaiting L2   --[assign to session]--> in session   (never the L1 reader, never her CIM)
//   awaiting L2   --[images updated, still complete]--> awaiting L2 (late extra views)
//   in session    --[L2 signed]--> L2 read              (the assigned reader only)
//   in session    --[return to pool]--> awaiting L2
//   L2 read       --[L2 signed]--> L2 read              (amendment by the same reader)
//   L2 read       --[conclude L2]--> negative result | CTI requested
//                                    | awaiting L3 (positive, L3 enabled)
//                                    | recall for BDD (positive, L3 disabled)
//   awaiting L3   --[L3 decided]--> recall for BDD (positive) | negative result
//   CTI requested --[retake received, matching the open request]--> retake received
//   retake recvd  --[images updated]--> retake received
//   retake recvd  --[dispatch]--> awaiting L2           (a new L2 of the same exam)
//   negative result --[result sent]--> result sent
//   recall for BDD  --[result sent]--> positive follow-up
//   L1 positive, positive follow-up --[follow-up concluded]--> closed
//   result sent   --[close]--> closed
//   any state before a result (received .. retake received, awaiting L3) --[cancel]--> cancelled
//   closed, cancelled: final.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/cti.h"
#include "domain/programme_rules.h"
#include "domain/reading.h"
#include "domain/reading_form.h"
#include "domain/time.h"

namespace dualread {

enum class ExamState {
  kReceived,
  kComplete,
  kAwaitingL2,
  kInSession,
  kL2Read,
  kAwaitingL3,
  kCtiRequested,
  kRetakeReceived,
  kNegativeResult,
  kRecallBdd,
  kL1Positive,
  kPositiveFollowUp,
  kResultSent,
  kClosed,
  kCancelled,
};
inline constexpr ExamState kAllExamStates[] = {
    ExamState::kReceived,     ExamState::kComplete,       ExamState::kAwaitingL2,
    ExamState::kInSession,    ExamState::kL2Read,         ExamState::kAwaitingL3,
    ExamState::kCtiRequested, ExamState::kRetakeReceived, ExamState::kNegativeResult,
    ExamState::kRecallBdd,    ExamState::kL1Positive,     ExamState::kPositiveFollowUp,
    ExamState::kResultSent,   ExamState::kClosed,         ExamState::kCancelled,
};

// --- Events ---
// Images of the exam changed (arrival, late extra view). `complete` is the verdict of
// assessExam() on all its images; `study_uids` are merged into the exam.
struct ImagesUpdated {
  std::vector<std::string> study_uids;
  bool complete = false;
};
// The CIM sent (or re-sent, corrected) the signed reading form.
struct FormSubmitted {
  L1Form form;
};
// The centre accepts a complete exam (identity reconciled) or a received retake, and routes it.
struct Dispatch {};
// The session dealer put the exam in a reader's session. `reader_cim_ids` are the CIMs where
// the reader practises (she must not second-read her own centre's exams).
struct AssignToSession {
  std::string session_id;
  ReaderRef reader;
  std::vector<std::string> reader_cim_ids;
};
// The session was cancelled or the reader handed the exam back.
struct ReturnToPool {
  std::string reason;
};
struct L2Signed {
  L2Reading reading;
};
// The L2 result is final (end of session validation): the outcome is routed.
struct ConcludeL2 {};
struct L3Decided {
  L3Decision decision;
};
struct RetakeReceived {
  RetakeStudy study;
};
struct ResultSent {};
struct FollowUpConcluded {
  std::string summary;  // e.g. "BDD normal", "invasive carcinoma, treated"
};
struct Close {};
struct Cancel {
  std::string reason;
};

using ExamEvent = std::variant<ImagesUpdated, FormSubmitted, Dispatch, AssignToSession,
                               ReturnToPool, L2Signed, ConcludeL2, L3Decided, RetakeReceived,
                               ResultSent, FollowUpConcluded, Close, Cancel>;

struct SessionAssignment {
  std::string session_id;
  ReaderRef reader;
  TimePoint assigned_at{};
  bool operator==(const SessionAssignment&) const = default;
};

struct StateChange {
  ExamState from = ExamState::kReceived;
  ExamState to = ExamState::kReceived;
  std::string event;  // eventName()
  TimePoint at{};
  std::string detail;  // e.g. the cancel reason, the L3 readers
  bool operator==(const StateChange&) const = default;
};

struct ExamRecord {
  std::string exam_id;
  std::string woman_id;
  std::string cim_id;
  ExamState state = ExamState::kReceived;
  TimePoint received_at{};
  std::vector<std::string> study_uids;
  bool images_complete = false;
  std::optional<L1Form> l1_form;
  std::optional<SessionAssignment> assignment;  // current or last L2 assignment
  std::vector<L2Reading> l2_readings;           // every signed L2, oldest first (CTI loops)
  std::optional<L3Decision> l3;
  std::vector<CtiRequest> cti_requests;
  std::string follow_up_summary;
  std::string cancel_reason;
  std::vector<StateChange> history;

  std::optional<Date> mammogramDate() const {
    return l1_form ? l1_form->identification.mammogram_date : std::nullopt;
  }
  // When the record first entered `s`, from its history.
  std::optional<TimePoint> firstEntered(ExamState s) const;
  bool operator==(const ExamRecord&) const = default;
};

// A new exam, in state received, as its first object arrives.
ExamRecord newExamRecord(std::string exam_id, std::string woman_id, std::string cim_id,
                         TimePoint now);

struct TransitionResult {
  bool accepted = false;
  ExamRecord record;                // the new record; the unchanged input when refused
  std::string error;                // why refused: names the exam, state and event
  std::vector<FormError> problems;  // field-level detail (e.g. an incoherent L2 reading)
};

TransitionResult apply(const ExamRecord& record, const ExamEvent& event,
                       const ProgrammeRules& rules, TimePoint now);

// What keeps a received exam from being complete, one sentence each (empty when complete):
// no images yet / images incomplete, no form yet, form not signed, each form error.
std::vector<std::string> missingForCompletion(const ExamRecord& record,
                                              const ProgrammeRules& rules);

// Whether `state` accepts an event of this kind at all (guards aside). The machine-readable
// form of the diagram above, for screens that offer only the possible actions.
bool acceptsEvent(ExamState state, const ExamEvent& event);

const char* toCode(ExamState s);            // "awaiting_l2"
const char* labelEn(ExamState s);           // "awaiting L2"
const char* eventName(const ExamEvent& e);  // "conclude L2"

}  // namespace dualread
