#pragma once
// WorkflowStore: the screening workflow's tables in the hub's index database
// (DATA/index.sqlite) — one row per screening exam (keyed by the Study Instance UID of its first
// study, other studies linked), its state and history, the L1 reading form with its signature,
// the L2 readings, L3 decision and CTI requests, and the L2 reading sessions. It stores
// documents (JSON text) and the columns the queries need; the mapping to domain types is the
// services' (services/workflow_service). Owned by app/Hub.
//
// Own connection and own schema version (`workflow_meta`), like the audit log: archive_index's
// migrations are not involved. Every write runs in one IMMEDIATE transaction (write()), so an
// exam, its children and the sessions it touches change together or not at all. Thread-safe:
// one connection behind a mutex. Methods throw IndexError on database failure.
//
// Tables (all workflow_*):
//   workflow_exams(exam_id PK, woman_id, cim_id, state, images_complete, received_at,
//     updated_at, assignment_json, history_json, follow_up_summary, cancel_reason)
//   workflow_exam_studies(study_uid PK, exam_id, role 'first'|'extra'|'retake', position)
//   workflow_l1_forms(exam_id PK, form_json, updated_at, signer_name, signer_rpps, signed_at,
//     form_sha256, authenticated)
//   workflow_l2_readings(exam_id, seq, reader_rpps, read_at, reading_json)
//   workflow_l3_decisions(exam_id PK, decided_at, decision_json)
//   workflow_cti_requests(id PK, exam_id, woman_id, cim_id, status, requested_at, request_json)
//   workflow_sessions(id PK, reader_rpps, reader_name, number, created_at, position, status)
//   workflow_session_exams(session_id, position, exam_id, mammogram_date, due, days_left,
//     urgent, outcome 'pending'|'read'|'skipped')

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/sqlite.h"

namespace dualread {

// Who signed the L1 form and what exactly: the SHA-256 of the canonical form JSON.
struct L1SignatureRow {
  std::string signer_name;
  std::string signer_rpps;
  std::string signed_at;  // ISO 8601 UTC
  std::string form_sha256;
  bool authenticated = false;  // false while the hub runs --open (no access control yet)
};

struct CtiRequestRow {
  std::string id;
  std::string exam_id;
  std::string woman_id;
  std::string cim_id;
  std::string status;  // "open", "fulfilled", "cancelled"
  std::string requested_at;
  std::string json;
};

struct WorkflowExamRow {
  std::string exam_id;
  std::string woman_id;
  std::string cim_id;
  std::string state;  // toCode(ExamState)
  bool images_complete = false;
  std::string received_at;
  std::string updated_at;
  std::string assignment_json = "null";
  std::string history_json = "[]";
  std::string follow_up_summary;
  std::string cancel_reason;
  // Studies in arrival order; the first is the exam's key. `retake_study_uids` says which of
  // them came in answer to a CTI request.
  std::vector<std::string> study_uids;
  std::vector<std::string> retake_study_uids;
  std::optional<std::string> l1_form_json;
  std::optional<L1SignatureRow> l1_signature;
  std::vector<std::string> l2_reading_jsons;  // oldest first
  std::optional<std::string> l3_json;
  std::string l3_decided_at;
  std::vector<CtiRequestRow> cti_requests;
};

struct SessionExamRow {
  std::string exam_id;
  std::string mammogram_date;
  std::string due;
  int64_t days_left = 0;
  bool urgent = false;
  std::string outcome = "pending";  // "pending", "read", "skipped"
};

struct SessionRow {
  std::string id;
  std::string reader_rpps;
  std::string reader_name;
  int64_t number = 1;
  std::string created_at;
  int64_t position = 0;         // index in `exams` of the exam being read
  std::string status = "open";  // "open", "done"
  std::vector<SessionExamRow> exams;
};

class WorkflowStore;

// The writes of one transaction; only valid inside WorkflowStore::write().
class WorkflowWriter {
 public:
  // Inserts or replaces the exam with all its children (studies, form, readings, CTI...).
  void putExam(const WorkflowExamRow& exam);
  // Inserts or replaces the session with its exam list.
  void putSession(const SessionRow& session);

 private:
  friend class WorkflowStore;
  explicit WorkflowWriter(SqliteDb& db) : db_(db) {}
  SqliteDb& db_;
};

class WorkflowStore {
 public:
  // Opens the index database at `path` and creates the workflow tables if needed. Throws
  // IndexError (cannot open; schema written by a newer dualread).
  explicit WorkflowStore(const std::string& path);
  ~WorkflowStore();
  WorkflowStore(const WorkflowStore&) = delete;
  WorkflowStore& operator=(const WorkflowStore&) = delete;

  int schemaVersion();

  // Runs `fn` in one transaction, committed when `fn` returns, rolled back when it throws.
  void write(const std::function<void(WorkflowWriter&)>& fn);

  // nullopt when no such exam.
  std::optional<WorkflowExamRow> loadExam(const std::string& exam_id);
  // The exam a study belongs to; nullopt when the study is linked to none.
  std::optional<std::string> examOfStudy(const std::string& study_uid);
  // Archived studies no screening exam holds yet (received while the hub was down between the
  // index commit and the workflow update, or not assembled yet). Re-queued at start-up.
  std::vector<std::string> studiesNotInAnExam();
  // Ids of a woman's exams, oldest received first.
  std::vector<std::string> examIdsOfWoman(const std::string& woman_id);
  // Exams in `state` (a state code), oldest received first.
  std::vector<WorkflowExamRow> examsInState(const std::string& state);
  // CTI requests of a CIM (`cim_id`) or of a woman (`woman_id`) — empty means any — with
  // `status` (empty = any), oldest first.
  std::vector<CtiRequestRow> ctiRequests(const std::string& cim_id, const std::string& woman_id,
                                         const std::string& status);

  std::optional<SessionRow> loadSession(const std::string& id);
  // Sessions of a reader (empty = all), newest first.
  std::vector<SessionRow> sessions(const std::string& reader_rpps);
  // How many sessions were ever created (for ids).
  int64_t sessionCount();

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace dualread
