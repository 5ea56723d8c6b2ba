#pragma once
// GatewayLedger: the hub's record of what the imaging-centre gateways sent — resumable uploads
// (one per instance and content, with the byte offset the hub has made durable), exam
// manifests with their acknowledgement, and the reconciliation ledger per CIM per day derived
// from them (announced, received, acknowledged, complete). Its own database
// (DATA/gateway-ledger.sqlite) with its own schema version (`ledger_meta`), so that upload
// progress never waits for the archive's writer and no archive migration number is used.
// Owned by app/Hub through services/GatewayReceiver. Thread-safe: one connection behind a
// mutex; every method throws IndexError on database failure.
//
// Tables:
//   ledger_uploads(upload_id PK, cim, sop_uid, study_uid, size, sha256, original_sha256,
//     pixel_sha256, transfer_syntax, prior, offset, state 'receiving'|'stored'|'refused',
//     reason, created_at, day, stored_at)
//   ledger_exams(cim, study_uid, PK(cim, study_uid), day, announced_at, instance_count, prior,
//     state 'announced'|'acknowledged'|'dismissed', acknowledged_at, complete, missing_count,
//     dismissed_reason, dismissed_by, dismissed_at)

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/sqlite.h"

namespace dualread {

struct UploadRow {
  std::string upload_id;
  std::string cim;
  std::string sop_uid;
  std::string study_uid;
  uint64_t size = 0;
  std::string sha256;           // of the bytes sent (the JPEG-LS copy when transcoded)
  std::string original_sha256;  // of the object the CIM's modality sent
  std::string pixel_sha256;     // of the native pixel data (empty: no pixel data)
  std::string transfer_syntax;
  bool prior = false;
  uint64_t offset = 0;  // bytes durably received
  std::string state;    // receiving, stored, refused
  std::string reason;   // why refused
  std::string created_at;
  std::string day;  // YYYY-MM-DD (UTC) the upload was created
  std::string stored_at;
};

struct LedgerExamRow {
  std::string cim;
  std::string study_uid;
  std::string day;
  std::string announced_at;
  int64_t instance_count = 0;
  bool prior = false;
  std::string state;  // announced, acknowledged, dismissed (the centre gave the exam up)
  std::string acknowledged_at;
  bool complete = false;  // the hub's exam assessment found every required view
  int64_t missing_count = 0;
  // state 'dismissed': why, who at the centre, when (the gateway's time of the decision).
  std::string dismissed_reason;
  std::string dismissed_by;
  std::string dismissed_at;
};

// One line of the reconciliation ledger: one CIM, one day.
struct LedgerDay {
  std::string cim;
  std::string day;
  int64_t announced_exams = 0;      // manifests received
  int64_t announced_instances = 0;  // instances listed by those manifests
  int64_t received_instances = 0;   // instances stored and verified
  int64_t refused_instances = 0;    // instances the archive refused (conflict, invalid)
  int64_t acknowledged_exams = 0;   // manifests acknowledged
  int64_t complete_exams = 0;       // acknowledged exams with every required view
  int64_t dismissed_exams = 0;      // exams the centre gave up on (reason in the exam rows)
  uint64_t received_bytes = 0;
};

class GatewayLedger {
 public:
  explicit GatewayLedger(const std::string& path);
  ~GatewayLedger();

  int schemaVersion();

  // Inserts `row` unless an upload with its id exists; returns the stored row either way
  // (`inserted`, when given, tells which).
  UploadRow createUpload(const UploadRow& row, bool* inserted = nullptr);
  std::optional<UploadRow> upload(const std::string& upload_id);
  void setOffset(const std::string& upload_id, uint64_t offset);
  void finishUpload(const std::string& upload_id, const std::string& state,
                    const std::string& reason, const std::string& at);

  // The original_sha256 of a (not refused) upload whose sent bytes have this SHA-256: the
  // digest of the object a stored file is a lossless copy of. nullopt when no upload sent it.
  std::optional<std::string> originalOf(const std::string& sha256);

  // Records a manifest (first announcement keeps its day) and its current outcome.
  void recordManifest(const LedgerExamRow& row);
  std::optional<LedgerExamRow> exam(const std::string& cim, const std::string& study_uid);
  // A dismissed exam becomes announced again (the centre sends it again); true if it was
  // dismissed.
  bool reopenDismissed(const std::string& cim, const std::string& study_uid);

  // The ledger, newest day first; empty `cim` = every CIM; days inclusive (YYYY-MM-DD, empty =
  // open).
  std::vector<LedgerDay> ledger(const std::string& cim, const std::string& from,
                                const std::string& to);
  // Exams of one CIM and day, for the detail of a ledger line.
  std::vector<LedgerExamRow> exams(const std::string& cim, const std::string& day);

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace dualread
