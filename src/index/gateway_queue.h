#pragma once
// GatewayQueue: the imaging-centre gateway's durable outbound queue (DATA/gateway.sqlite) — one
// row per received instance (its files in the gateway's blob store, transfer progress,
// attempts, last error) and one per exam (state queued / sending / sent / acknowledged / error
// with its reason). An instance is acknowledged to the modality only after its row is
// committed (synchronous=FULL), so a C-STORE success means "on the gateway's disk, queued".
// Own schema version (`gw_meta`). Owned by the gateway (app/gateway); thread-safe: one
// connection behind a mutex. Methods throw IndexError on database failure.
//
// Instance states: received (not yet prepared for the link), ready (prepared: JPEG-LS copy and
// pixel hash), sending (a stream holds it; back to ready at start-up), sent (the hub stored
// and verified it), error (the hub refused it; reason kept).
//
// Exam states: queued, sending, sent (manifest due or sent), acknowledged, error (reason kept),
// dismissed (the centre's technician gave it up; nothing more is sent, the hub is told, the
// files are kept until the retention period after the hub recorded the dismissal). Every
// technician's decision (retry, dismiss) is kept in the journal (gw_journal) with its reason.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/sqlite.h"

namespace dualread {

struct QueuedInstance {
  std::string sop_uid;
  std::string study_uid;
  std::string patient_id;
  std::string sop_class;
  std::string transfer_syntax;  // as received
  std::string received_at;      // ISO 8601 UTC
  std::string original_key;     // SHA-256 of the received file = its blob key
  uint64_t original_size = 0;
  std::string pixel_sha256;  // native pixel data; empty before preparation or without pixels
  std::string send_key;      // blob key of the bytes sent (JPEG-LS copy or the original)
  uint64_t send_size = 0;
  std::string send_transfer_syntax;
  std::string state;
  std::string upload_id;
  uint64_t confirmed_offset = 0;  // bytes the hub confirmed
  int attempts = 0;
  int64_t next_attempt_ms = 0;  // epoch milliseconds
  std::string last_error;
  std::string sent_at;
  bool prior = false;
};

struct QueuedExam {
  std::string study_uid;
  std::string patient_id;
  std::string state;  // queued, sending, sent, acknowledged, error
  std::string reason;
  std::string first_received_at;
  int64_t last_received_ms = 0;
  int manifest_attempts = 0;
  int64_t next_manifest_ms = 0;
  std::string acknowledged_at;
  int64_t acknowledged_ms = 0;
  bool prior = false;
  bool purged = false;
  bool priors_checked = false;
  int64_t instances = 0;
  // Dismissed exams: when, by whom and why; when the hub recorded it (0 = not yet).
  std::string dismissed_at;
  std::string dismissed_by;
  std::string dismissal_reason;
  int64_t dismissal_recorded_ms = 0;
};

// One technician's decision on an exam, as kept in the journal.
struct JournalEntry {
  int64_t id = 0;
  std::string at;         // ISO 8601 UTC
  std::string study_uid;  // the exam
  std::string action;     // retry, dismiss
  std::string reason;     // in the technician's words
  std::string by;         // who
  std::string source;     // "command line (user)", "status page (127.0.0.1)"
  std::string previous_state;
  std::string previous_reason;
};

enum class ExamActionStatus {
  kNoSuchExam,
  kWrongState,    // retry: only error or dismissed; dismiss: only error
  kFilesRemoved,  // retry of a dismissed exam whose files the retention already removed
  kDone,
};

struct ExamActionOutcome {
  ExamActionStatus status = ExamActionStatus::kNoSuchExam;
  std::string previous_state;
  std::string previous_reason;
  int instances = 0;  // retry: images sent again
};

struct GatewayTotals {
  int64_t instances_waiting = 0;  // received, ready or sending
  int64_t instances_sent = 0;
  int64_t instances_error = 0;
  int64_t exams_queued = 0, exams_sending = 0, exams_sent = 0, exams_acknowledged = 0,
          exams_error = 0, exams_dismissed = 0;
  uint64_t bytes_waiting = 0;  // still to send
  std::string last_acknowledged_at;
};

enum class EnqueueOutcome { kQueued, kAlreadyQueued, kConflict };

class GatewayQueue {
 public:
  explicit GatewayQueue(const std::string& path);
  ~GatewayQueue();

  int schemaVersion();

  // Records a received instance and its exam (a late image re-opens an exam already sent).
  // kAlreadyQueued: same SOP Instance UID with the same bytes; kConflict: other bytes.
  EnqueueOutcome enqueue(const QueuedInstance& in, int64_t now_ms);
  // Instances a crash left "sending" go back to "ready". Returns how many.
  int recoverInterrupted();

  std::optional<QueuedInstance> nextToPrepare();
  void markPrepared(const std::string& sop_uid, const std::string& pixel_sha256,
                    const std::string& send_key, uint64_t send_size, const std::string& send_ts);
  // Takes the next ready instance whose retry time has come (state -> sending, exam -> sending);
  // never one of a dismissed exam.
  std::optional<QueuedInstance> claimNextToSend(int64_t now_ms);
  void setUpload(const std::string& sop_uid, const std::string& upload_id, uint64_t offset);
  void markSent(const std::string& sop_uid, const std::string& at);
  // Back to ready, retried at `next_ms`; `error` kept for the status page.
  void markRetry(const std::string& sop_uid, const std::string& error, int64_t next_ms);
  // The hub refused the instance: the instance and its exam are in error with `reason`.
  void markInstanceError(const std::string& sop_uid, const std::string& reason);

  // Exams whose last image arrived at least `quiet_ms` ago, every instance sent, not yet
  // acknowledged, manifest due.
  std::vector<QueuedExam> examsDueForManifest(int64_t now_ms, int64_t quiet_ms);
  std::vector<QueuedInstance> instancesOf(const std::string& study_uid);
  void markAcknowledged(const std::string& study_uid, const std::string& at, int64_t at_ms);
  // The manifest is sent again at `next_ms`; a non-empty `reason` replaces the exam's.
  void markManifestRetry(const std::string& study_uid, const std::string& reason, int64_t next_ms);
  // The hub lacks these instances: send them again.
  void resend(const std::vector<std::string>& sop_uids);
  void markExamError(const std::string& study_uid, const std::string& reason);

  // Exams acknowledged, or dismissed with the dismissal recorded by the hub, at or before
  // `before_ms`, files not yet removed.
  std::vector<QueuedExam> purgeable(int64_t before_ms);

  // The technician retries an exam in error (or a dismissed one whose files are still there):
  // its refused images are sent again, its manifest follows; `entry` (at, study_uid, reason,
  // by, source) goes to the journal. Nothing changes unless the outcome is kDone.
  ExamActionOutcome retryExam(const JournalEntry& entry);
  // The technician dismisses an exam in error: nothing more is sent, the hub is told (see
  // dismissalsToAnnounce); journalled like retryExam.
  ExamActionOutcome dismissExam(const JournalEntry& entry);
  // Dismissed exams the hub has not recorded yet, whose next announcement is due.
  std::vector<QueuedExam> dismissalsToAnnounce(int64_t now_ms);
  void markDismissalRecorded(const std::string& study_uid, int64_t at_ms);
  // The journal, newest first: of one exam, or of all when `study_uid` is empty.
  std::vector<JournalEntry> journal(const std::string& study_uid, int limit);
  // Marks the exam purged; returns the blob keys no remaining (unpurged) instance uses.
  std::vector<std::string> markPurged(const std::string& study_uid);

  // New exams whose priors were not looked for yet.
  std::vector<QueuedExam> examsNeedingPriors();
  void markPriorsChecked(const std::string& study_uid);
  // A study about to be retrieved from the PACS as a prior: its exam row is created (or marked)
  // first, so that its instances are queued and announced as priors.
  void expectPrior(const std::string& study_uid, const std::string& patient_id,
                   const std::string& at, int64_t now_ms);

  std::optional<QueuedExam> exam(const std::string& study_uid);
  std::vector<QueuedExam> recentExams(int limit);
  std::vector<QueuedInstance> recentErrors(int limit);
  GatewayTotals totals();

  // Small key/value status written by the running gateway (link rate...), read by `status`.
  void setStatus(const std::string& key, const std::string& value);
  std::string status(const std::string& key);

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace dualread
