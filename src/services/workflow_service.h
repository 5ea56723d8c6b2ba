#pragma once
// WorkflowService: the use cases of the screening workflow (SCREENING.md §3 steps 5-12) — exam
// images arriving, the L1 reading form put and signed, routing after L1, L2 sessions dealt to
// the configured readers and read, CTI requests and their retakes, the L3 queue and decisions,
// the CDA export. Each use case loads the exam record, applies the domain's apply() and
// persists the result (record, sessions) in one WorkflowStore transaction; a refused transition
// changes nothing. Answers are JSON documents (the REST contract, docs/openapi.yaml).
//
// Policy choices of the hub (documented in the API): an exam is dispatched (routed after L1)
// as soon as it is complete and its woman is identified, and a retake as soon as it joined its
// exam; a submitted L2 reading is signed and concluded at once (negative result, recall / L3,
// or CTI request).
//
// Owned by app/Hub. Thread-safe: use cases are serialised by one mutex (load-apply-save must
// not interleave); reads go straight to the store.

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/exam_workflow.h"
#include "domain/instance_summary.h"
#include "domain/time.h"
#include "index/archive_index.h"
#include "index/workflow_store.h"
#include "services/hub_config.h"

namespace dualread {

class AuditService;
class IdentityService;

// Who asks for a use case, for the audit trail. The default is the hub itself (images arriving).
struct AuditActor {
  std::string actor = "hub";
  std::string role = "system";
  std::string source = "internal";  // "ip:port" of an HTTP client, "dicom:AE@ip"...
  // Set when the hub runs with access control and the caller logged in: who the account is
  // (its RPPS and display name, when the account has them). A signature is then the account's.
  bool authenticated = false;
  std::string rpps = {};
  std::string name = {};
};

enum class WorkflowStatus {
  kOk,
  kNotFound,   // no such exam / session / form
  kInvalid,    // bad input, or a transition refused by a guard (the domain's sentence)
  kConflict,   // the exam's state does not accept the event at all
  kForbidden,  // the authenticated caller may not do this (e.g. sign in another's name)
};

struct WorkflowResult {
  WorkflowStatus status = WorkflowStatus::kOk;
  nlohmann::json body;            // the answer when kOk
  std::string error;              // sentence otherwise
  std::vector<FormError> errors;  // field-level detail, may be empty
  static WorkflowResult ok(nlohmann::json body) {
    return {WorkflowStatus::kOk, std::move(body), {}, {}};
  }
  static WorkflowResult fail(WorkflowStatus s, std::string error,
                             std::vector<FormError> errors = {}) {
    return {s, nullptr, std::move(error), std::move(errors)};
  }
};

class WorkflowService {
 public:
  using Clock = std::function<TimePoint()>;

  // `config` supplies the programme rules and the L2 readers; all references outlive the
  // service. `clock` defaults to the system clock (tests pass a fixed one).
  WorkflowService(const HubConfig& config, ArchiveIndex& index, WorkflowStore& store,
                  Clock clock = {});

  // Every accepted state transition is then recorded in `audit` (which outlives the service)
  // after it is stored: action = the event name, object "exam", detail {"from", "to"}. A
  // failure to record is logged as an error (the transition is already stored).
  void setAudit(AuditService* audit) { audit_ = audit; }

  // Identity vigilance (which outlives the service): a form PUT is matched to the register
  // (a conflict opens an identity case holding the exam back), and an exam held by an open
  // identity case does not progress — no dispatch, no L2 dealing or reading, no L3, no result,
  // no closing — until the case is settled. Set once before the doors start.
  void setIdentity(IdentityService* identity) { identity_ = identity; }
  // An identity case was settled: the exams of these studies (or with these ids) take the woman
  // the archive now gives their studies and move on when they were held. Never throws.
  void identityReconciled(const std::vector<std::string>& study_uids,
                          const std::vector<std::string>& exam_ids);
  // Merge / unmerge: the exams of woman `from` (all, or those in `only`) and their CTI requests
  // now belong to woman `to`; returns the exam ids moved. Throws IndexError.
  std::vector<std::string> moveExams(const std::string& from, const std::string& to,
                                     const std::vector<std::string>* only);

  // IngestService's observer: a new instance of `study_uid` was stored. Creates the exam of a
  // new study, links a retake to the exam whose open CTI request it fulfils, or updates the
  // images of the exam it belongs to. Never throws (problems are logged: the image is stored
  // in the archive whatever its workflow).
  void onInstanceStored(const InstanceSummary& summary);

  // GET /api/exams/{id}/workflow: state, history, what is missing, readings, CTI requests.
  WorkflowResult workflow(const std::string& exam_id);

  // PUT: stores the form (unsigned: any previous signature is voided since the content
  // changed); answers with the form's problems. Invalid JSON shape -> kInvalid. A form for a
  // study not received yet opens the exam, which its images join when they arrive.
  WorkflowResult putL1Form(const std::string& exam_id, const nlohmann::json& form,
                           const AuditActor& by = {});
  WorkflowResult getL1Form(const std::string& exam_id);
  // body: {"signer": {"name", "rpps"}}. The signer must be the form's L1 radiologist and the
  // signed form must pass checkL1Form. Records the SHA-256 of the canonical signed form JSON.
  // When `by` is authenticated (the hub runs with access control) the signer is the account:
  // its RPPS (and display name when it has one); the body's signer may be omitted, and one
  // naming another RPPS is refused (kForbidden, recorded in the audit trail as
  // "l1-sign-refused"); "authenticated": true is recorded. Without access control (--open) the
  // signer comes from the body and "authenticated": false is recorded.
  WorkflowResult signL1Form(const std::string& exam_id, const nlohmann::json& body,
                            const AuditActor& by = {});
  // The HL7 CDA R2 document (XML text in body["xml"]).
  WorkflowResult cda(const std::string& exam_id);

  // Deals the exams awaiting L2 to the configured readers. Answers the sessions and the exams
  // left in the pool.
  WorkflowResult dealSessions(const AuditActor& by = {});
  WorkflowResult sessions(const std::string& reader_rpps);
  WorkflowResult session(const std::string& session_id);
  // The exam to read now (images, form) or {"done": true}.
  WorkflowResult next(const std::string& session_id);
  // Signs and concludes the L2 reading of the session's current exam; `reading` is the L2
  // reading JSON (read_at is stamped by the hub).
  WorkflowResult submitReading(const std::string& session_id, const nlohmann::json& reading,
                               const AuditActor& by = {});
  // Hands the current exam back to the pool (body {"reason"}).
  WorkflowResult skip(const std::string& session_id, const nlohmann::json& body,
                      const AuditActor& by = {});
  WorkflowResult sessionSummary(const std::string& session_id);

  // Open CTI requests addressed to a CIM.
  WorkflowResult ctiWorklist(const std::string& cim_id);
  // Exams awaiting an L3 decision; and the decision itself.
  WorkflowResult l3Queue();
  WorkflowResult decideL3(const std::string& exam_id, const nlohmann::json& decision,
                          const AuditActor& by = {});

  // The result letter went out (print run, or marked by the secretariat): negative result ->
  // result sent, recall for BDD -> positive follow-up. kConflict (with the domain's sentence)
  // in any other state.
  WorkflowResult markResultSent(const std::string& exam_id, const AuditActor& by = {});
  // Closes a file whose result was sent. kConflict in any other state.
  WorkflowResult closeExam(const std::string& exam_id, const AuditActor& by = {});
  // The follow-up of a positive (L1 positive, positive follow-up) concluded: the file closes
  // with `summary`. kConflict in any other state, kInvalid when the summary is empty.
  WorkflowResult concludeFollowUp(const std::string& exam_id, const std::string& summary,
                                  const AuditActor& by = {});

  // The exam's domain record (for letters, follow-up and indicators); nullopt when unknown.
  std::optional<ExamRecord> record(const std::string& exam_id);
  // Every exam record in `state`, oldest received first.
  std::vector<ExamRecord> records(ExamState state);

 private:
  struct Loaded;
  std::optional<Loaded> load(const std::string& exam_id);
  void save(WorkflowWriter& w, const Loaded& l);
  // Applies `event`; on refusal fills `error` with the right status.
  bool step(Loaded& l, const ExamEvent& event, TimePoint now, WorkflowResult& error);
  // Dispatches a complete (identified) exam or a received retake; no-op otherwise.
  void autoDispatch(Loaded& l, TimePoint now);
  // Records a refused request (nothing changed) in the audit trail; logs when it cannot.
  void recordAudit(const AuditActor& by, const std::string& action, const std::string& exam_id,
                   const nlohmann::json& detail);
  // Records the transitions of `l` not recorded yet (after it was stored).
  void auditTransitions(Loaded& l, const AuditActor& by);
  nlohmann::json workflowJson(const Loaded& l);
  WorkflowResult currentExam(const std::string& session_id, SessionRow& session,
                             std::optional<Loaded>& exam);
  // Stores the exam, audits its new transitions and answers with its workflow.
  WorkflowResult commitExam(Loaded& l, const AuditActor& by);
  // Gives the session's current exam its `outcome`, moves the session on, stores both, audits.
  WorkflowResult advanceSession(SessionRow& s, Loaded& exam, const char* outcome,
                                const AuditActor& by);
  // Loads, applies `event`, stores and audits: the shape of the simple one-event use cases.
  WorkflowResult applyOne(const std::string& exam_id, const ExamEvent& event, const AuditActor& by);

  const HubConfig& config_;
  const ProgrammeRules& rules_;
  ArchiveIndex& index_;
  WorkflowStore& store_;
  Clock clock_;
  AuditService* audit_ = nullptr;
  IdentityService* identity_ = nullptr;
  std::mutex mu_;
};

}  // namespace dualread
