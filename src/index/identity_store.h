#pragma once
// IdentityStore: the identity register and the identity queue in the hub's index database
// (DATA/index.sqlite) — the women's identities (INS, status, traits, used names, one IPP per
// CIM), the decision taken for each incoming identity (one row per distinct DICOM identity tuple
// or form identification: "links"), the cases a human must settle, with the objects they hold
// back, and the merges of two women with everything each one moved (so it can be undone).
// SQL only; the decisions are domain/identity_matcher's and services/identity_service's.
//
// Own connection and schema version (`identity_meta`), like the workflow and audit stores.
// Every write runs in one IMMEDIATE transaction (write()). Thread-safe: one connection behind a
// mutex. Methods throw IndexError on database failure.
//
// Tables (all identity_*): women, names (search keys of birth and used names), ipps (cim, ipp →
// woman), links (link_key PK → woman or case), cases, case_subjects (study / exam a case holds
// back), merges, corrections (a secretary's corrections of a woman's traits, undoable).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/identity.h"
#include "index/sqlite.h"

namespace dualread {

// The decision stored for one incoming identity.
struct IdentityLinkRow {
  std::string link_key;     // digest of the source and its traits
  std::string source;       // "dicom" or "form"
  std::string traits_json;  // the incoming traits, as the side-by-side view shows them
  std::optional<int64_t> woman_id;
  std::string status;  // "verified", "provisional" or "queued"
  std::optional<int64_t> case_id;
  std::string explanation;
  std::string decided_by;  // "matcher" or the person who resolved the case
  std::string decided_at;
};

struct IdentityCaseRow {
  int64_t id = 0;
  std::string link_key;
  std::string source;
  std::string reason;  // toCode(IdentityReason)
  std::string explanation;
  std::string traits_json;
  std::vector<int64_t> candidates;
  std::string status = "open";  // "open" or "resolved"
  std::string created_at;
  std::string resolution_json;  // {"action", "woman_id", "why"} once resolved
  std::string resolved_by;
  std::string resolved_at;
  std::vector<std::string> studies;  // Study Instance UIDs it holds back
  std::vector<std::string> exams;    // exam ids (forms) it holds back
  // The matcher's verdict on the case's traits again, after a correction of a candidate woman:
  // {"at", "correction_id", "woman_id", "outcome", "status", "reason", "explanation",
  // "candidates"}; empty until then.
  std::string reassessment_json;
};

// A secretary's correction of a woman's traits (the register's INS traits, used names, INS and
// status): what they were and what they became, each as the JSON of the corrected fields.
struct IdentityCorrectionRow {
  int64_t id = 0;
  int64_t woman_id = 0;
  std::string before_json, after_json;
  std::string why, corrected_by, corrected_at;
  std::string undone_by, undone_at, undo_why;  // empty while in force
};

struct IdentityMergeRow {
  int64_t id = 0;
  int64_t survivor_id = 0;
  int64_t absorbed_id = 0;
  std::string moved_json;  // what the merge moved, for the unmerge
  std::string merged_by, merged_at, why;
  std::string undone_by, undone_at, undo_why;  // empty while in force
};

class IdentityStore;

// The writes of one transaction; only valid inside IdentityStore::write().
class IdentityWriter {
 public:
  // Inserts a woman (her id is assigned unless w.id > 0) with her names and IPPs; returns it.
  int64_t createWoman(const WomanIdentity& w);
  // Replaces a woman's row, name keys and IPPs by `w`.
  void updateWoman(const WomanIdentity& w);
  void putLink(const IdentityLinkRow& link);
  // Opens a case and returns its id.
  int64_t openCase(const IdentityCaseRow& c);
  // Records that the case holds back a study ("study") or an exam ("exam").
  void addCaseSubject(int64_t case_id, const std::string& kind, const std::string& subject);
  void resolveCase(int64_t case_id, const std::string& resolution_json, const std::string& by,
                   const std::string& at);
  // Links deciding for `from` now decide for `to`; returns their keys.
  std::vector<std::string> moveLinks(int64_t from, int64_t to);
  void moveLinksBack(const std::vector<std::string>& keys, int64_t to);
  // An open case's candidates and the matcher's fresh verdict on it (no-op on a settled case).
  void setCaseCandidates(int64_t case_id, const std::vector<int64_t>& candidates,
                         const std::string& reassessment_json);
  int64_t addCorrection(const IdentityCorrectionRow& c);
  // Throws IndexError when the correction is unknown or already undone.
  void markCorrectionUndone(int64_t id, const std::string& by, const std::string& at,
                            const std::string& why);
  int64_t addMerge(const IdentityMergeRow& m);
  void setMergeMoved(int64_t id, const std::string& moved_json);
  void markMergeUndone(int64_t id, const std::string& by, const std::string& at,
                       const std::string& why);

 private:
  friend class IdentityStore;
  explicit IdentityWriter(SqliteDb& db) : db_(db) {}
  // Marks row `id` of `table` (merges, corrections) undone; `what` names it in the error.
  void markUndone(const char* table, const char* what, int64_t id, const std::string& by,
                  const std::string& at, const std::string& why);
  SqliteDb& db_;
};

class IdentityStore {
 public:
  // Opens the index database at `path` and creates the identity tables if needed; new woman ids
  // start above any id the archive's own `women` table already holds (one id space for the
  // hub). Throws IndexError (cannot open; schema written by a newer dualread).
  explicit IdentityStore(const std::string& path);
  ~IdentityStore();
  IdentityStore(const IdentityStore&) = delete;
  IdentityStore& operator=(const IdentityStore&) = delete;

  int schemaVersion();

  // Runs `fn` in one transaction, committed when `fn` returns, rolled back when it throws.
  void write(const std::function<void(IdentityWriter&)>& fn);

  std::optional<IdentityLinkRow> link(const std::string& link_key);
  std::optional<WomanIdentity> woman(int64_t id);
  // Women (merged ones included) that could be the incoming identity: same NIR, same IPP at the
  // CIM, the linked woman, same birth date, or one of `name_keys` as birth or used name.
  std::vector<WomanIdentity> candidates(const std::string& nir, const std::string& cim,
                                        const std::string& ipp,
                                        const std::optional<int64_t>& linked_woman,
                                        const std::string& birth_date,
                                        const std::vector<std::string>& name_keys);
  // Cases by status ("open", "resolved", empty = all), newest first.
  std::vector<IdentityCaseRow> cases(const std::string& status, int64_t limit, int64_t offset);
  int64_t countCases(const std::string& status);
  std::optional<IdentityCaseRow> caseById(int64_t id);
  // Open cases holding back any of these studies or exams.
  std::vector<IdentityCaseRow> openCasesFor(const std::vector<std::string>& studies,
                                            const std::vector<std::string>& exams);
  // Open cases that name this woman among their candidates, oldest first.
  std::vector<int64_t> openCasesWithCandidate(int64_t woman_id);
  std::optional<IdentityCorrectionRow> correction(int64_t id);
  // A woman's corrections, newest first.
  std::vector<IdentityCorrectionRow> correctionsOf(int64_t woman_id);
  std::optional<IdentityMergeRow> merge(int64_t id);
  // Merges involving a woman, newest first.
  std::vector<IdentityMergeRow> mergesOf(int64_t woman_id);

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace dualread
