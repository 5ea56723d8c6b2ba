#pragma once
// IdentityService: identity vigilance for the hub (SCREENING.md §4: "an image is never silently
// attached to another woman"). Every incoming DICOM instance and every L1 reading form passes
// through resolveInstance()/checkForm(): the service gathers the register's candidates, asks the
// pure matcher (domain/identity_matcher) and stores the decision (index/identity_store) — attach,
// create, or a case in the identity queue that holds back the study or exam until a human
// settles it. The queue's use cases: list, side-by-side view, resolve (attach to a woman /
// create a new woman), merge two women and undo a merge exactly; each recorded in the audit
// trail with who, when and why.
//
// It keeps the archive (ArchiveIndex: woman rows, which woman each CIM identity tuple belongs
// to, exam problems) in step, and tells the workflow through two callbacks set by the hub: a
// case was settled (held studies and exams may move on) and a woman's exams move to another
// woman (merge / unmerge).
//
// Owned by app/Hub. Thread-safe: decisions are serialised by one mutex (two images of a new
// woman arriving together must not create her twice), queue actions by another; reads go to the
// store. The workflow is told without holding the register's lock (it calls checkForm() under
// its own).

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/identity_correction.h"
#include "domain/identity_matcher.h"
#include "domain/instance_summary.h"
#include "domain/reading_form.h"
#include "index/archive_index.h"
#include "index/identity_store.h"
#include "services/workflow_service.h"

namespace dualread {

class AuditService;

enum class IdentityStatus { kOk, kNotFound, kInvalid, kConflict };

struct IdentityResult {
  IdentityStatus status = IdentityStatus::kOk;
  nlohmann::json body;  // the answer when kOk; else null or details (field errors, conflicts)
  std::string error;    // sentence when not kOk
  static IdentityResult ok(nlohmann::json b) { return {IdentityStatus::kOk, std::move(b), {}}; }
  static IdentityResult fail(IdentityStatus s, std::string e, nlohmann::json details = nullptr) {
    return {s, std::move(details), std::move(e)};
  }
};

// What checkForm() decided for a reading form.
struct FormIdentityCheck {
  IdentityOutcome outcome = IdentityOutcome::kCreate;  // kCreate: not in the register yet
  std::optional<int64_t> woman_id;
  std::optional<int64_t> case_id;  // set when queued
  std::string explanation;
};

class IdentityService {
 public:
  // Studies and exams whose identity case was settled (they may move on).
  using ReleasedObserver = std::function<void(const std::vector<std::string>& study_uids,
                                              const std::vector<std::string>& exam_ids)>;
  // Moves the workflow exams of woman `from` to woman `to` (all of them when `only` is null,
  // else those ids); returns the ids moved.
  using ExamMover = std::function<std::vector<std::string>(
      const std::string& from, const std::string& to, const std::vector<std::string>* only)>;
  // Recomputes the archive's exam assessment of these studies (their identity issue changed).
  using Reassess = std::function<void(const std::vector<std::string>& study_uids)>;

  IdentityService(IdentityStore& store, ArchiveIndex& index);

  // Set once before the doors start.
  void setAudit(AuditService* audit) { audit_ = audit; }
  void setReleasedObserver(ReleasedObserver f) { on_released_ = std::move(f); }
  void setExamMover(ExamMover f) { move_exams_ = std::move(f); }
  void setReassess(Reassess f) { reassess_ = std::move(f); }

  // The decision for one incoming instance, for ArchiveIndex::recordInstance: its woman, or
  // none with the sentence its exam shows while the case is open. Throws IndexError when the
  // register cannot be read or written (the object must then not be acknowledged).
  StoredInstance::IdentityAssignment resolveInstance(const InstanceSummary& summary);

  // The decision for an exam's reading form; `exam_woman` is the woman of the exam's images.
  // A conflict opens a case holding the exam back. Throws IndexError.
  FormIdentityCheck checkForm(const std::string& exam_id, const FormIdentification& id,
                              const std::string& exam_woman, const AuditActor& by);

  // The first open case holding back this exam (by its id or one of its studies), as a
  // sentence; nullopt when none. Throws IndexError.
  std::optional<std::string> holdReason(const std::string& exam_id,
                                        const std::vector<std::string>& study_uids);

  // --- The identity queue (REST) ---
  // {"items": [...], "total"}; status "open" (default), "resolved" or "all".
  IdentityResult listCases(const std::string& status, int64_t limit, int64_t offset);
  // The side-by-side view: incoming traits against each candidate woman, field by field.
  IdentityResult caseView(int64_t case_id);
  // body {"action": "attach", "woman_id": N, "why"} | {"action": "create", "why"}.
  IdentityResult resolveCase(int64_t case_id, const nlohmann::json& body, const AuditActor& by);
  // Her identity, IPPs, merges and corrections (newest first, each with before/after and
  // whether it can still be undone).
  IdentityResult woman(int64_t woman_id);
  // A secretary corrects a woman's traits. body: {"birth_name", "first_names", "used_names",
  // "birth_date" (YYYY-MM-DD or YYYYMMDD), "sex", "birth_place", "ins", "status", "why"} — the
  // whole corrected identity (PUT). kInvalid with {"errors": [{field, message}]} for bad
  // values, kConflict for a merged woman, or when the corrected traits are another woman's
  // (same INS, or same traits without two different INS): the answer names her and proposes
  // a merge ({"conflicts", "proposed_merge"}); nothing is changed or merged. On success the
  // correction is kept (before / after / who / when / why), audited, and every open case
  // naming her as a candidate is matched again (its verdict shown in the case); no case is
  // settled and nothing is attached by a correction (docs/notes/identity.md).
  IdentityResult correctWoman(int64_t woman_id, const nlohmann::json& body, const AuditActor& by);
  // body {"why"}: puts back the traits the correction replaced, when her traits are still
  // those it wrote (kConflict otherwise: undo the later correction first); same conflict rule
  // and re-evaluation as a correction.
  IdentityResult undoCorrection(int64_t woman_id, int64_t correction_id, const nlohmann::json& body,
                                const AuditActor& by);
  // body {"survivor": A, "absorbed": B, "why"}: B's IPPs, names, links, archive identities and
  // exams move to A; B is kept, marked merged into A. Refused when both have different INS.
  IdentityResult mergeWomen(const nlohmann::json& body, const AuditActor& by);
  // body {"why"}: puts back exactly what the merge moved.
  IdentityResult unmerge(int64_t merge_id, const nlohmann::json& body, const AuditActor& by);
  IdentityResult mergeView(int64_t merge_id);

  // Women ids a case concerns (for the audit of reads).
  std::vector<int64_t> womenOfCase(int64_t case_id);

 private:
  void audit(const AuditActor& by, const std::string& action, const std::string& object_type,
             const std::string& object_id, std::optional<int64_t> woman,
             const nlohmann::json& detail);
  void mirror(const WomanIdentity& w);
  // Other women the traits `w` would have make her the same person as (under mu_).
  nlohmann::json conflictsWith(const WomanIdentity& w);
  // Writes `after` over the woman, records or undoes the correction, re-evaluates the open
  // cases naming her; returns the answer. Under action_mu_ and mu_ (released inside).
  IdentityResult applyTraits(const WomanIdentity& before, const WomanIdentity& after,
                             std::optional<int64_t> undo_of, const std::string& why,
                             const AuditActor& by, std::unique_lock<std::mutex>& lk);

  IdentityStore& store_;
  ArchiveIndex& index_;
  AuditService* audit_ = nullptr;
  ReleasedObserver on_released_;
  ExamMover move_exams_;
  Reassess reassess_;
  std::mutex action_mu_;  // resolve / merge / unmerge, one at a time; taken before mu_
  std::mutex mu_;         // the register's read-decide-write
};

// JSON of a woman's identity (REST).
nlohmann::json toJson(const WomanIdentity& w);
// JSON of correctable traits (a correction's before / after; "ins" is the NIR) and back.
nlohmann::json toJson(const IdentityTraits& t);
IdentityTraits identityTraitsFromJson(const nlohmann::json& j);

}  // namespace dualread
