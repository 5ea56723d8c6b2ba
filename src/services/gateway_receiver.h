#pragma once
// GatewayReceiver: the hub's end of the imaging-centre gateway protocol. Each instance comes as
// a resumable upload (like tus): created with its size and SHA-256, appended from the offset
// the hub confirmed, made durable (fdatasync, then the offset is recorded) as it arrives, so a
// cut link or a killed hub costs at most the last unconfirmed second or megabyte. Once complete the
// bytes are checked against the announced SHA-256 and decompressed to check the pixel hash of the
// original image, and only then ingested (door "gateway"). Exam manifests are acknowledged only
// when every listed instance is stored and verified; the reconciliation ledger per CIM per day
// follows. Owned by app/Hub; thread-safe (one upload is appended by one request at a time; a
// newer request for the same upload supersedes one left hanging by a dead link).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "index/gateway_ledger.h"
#include "services/ingest_service.h"

namespace dualread {

// A refusal of the protocol; `kind` becomes the HTTP status in http/gateway_api.
class GatewayProtocolError : public std::runtime_error {
 public:
  enum class Kind { kBadRequest, kNotFound, kOffsetMismatch, kConflict, kUnavailable };
  GatewayProtocolError(Kind kind, const std::string& sentence, uint64_t offset = 0)
      : std::runtime_error(sentence), kind_(kind), offset_(offset) {}
  Kind kind() const { return kind_; }
  uint64_t offset() const { return offset_; }  // the hub's offset, for kOffsetMismatch

 private:
  Kind kind_;
  uint64_t offset_;
};

struct UploadRequest {
  std::string cim;
  std::string sop_instance_uid;
  std::string study_instance_uid;
  uint64_t size = 0;
  std::string sha256;           // of the bytes to be sent
  std::string original_sha256;  // of the object as the modality sent it
  std::string pixel_sha256;     // native pixel data; empty when none
  std::string transfer_syntax;  // of the bytes sent
  bool prior = false;
};

struct ManifestInstance {
  std::string sop_instance_uid;
  std::string sha256;
  std::string original_sha256;
  std::string pixel_sha256;
};

// The centre gave an exam in error up (its technician's decision at the gateway).
struct Dismissal {
  std::string reason;  // in the technician's words
  std::string by;      // who, as the gateway knows them
  std::string at;      // when, ISO 8601 UTC (the gateway's clock)
};

struct Manifest {
  std::string cim;
  std::string study_instance_uid;
  bool prior = false;
  std::vector<ManifestInstance> instances;
  std::optional<Dismissal> dismissal;  // set: the exam is announced as dismissed, not to verify
};

struct ManifestOutcome {
  bool dismissed = false;  // recorded as dismissed in the ledger
  bool acknowledged = false;
  std::string acknowledged_at;
  std::vector<std::string> missing;  // not (yet) stored and verified: the gateway sends them
  std::vector<std::pair<std::string, std::string>> refused;  // SOP UID, reason
  bool complete = false;                                     // the exam has every required view
};

// Who drives an upload: the imaging centres it may send for (a gateway token bound to one CIM;
// every centre for an administrator or hub --open) and its name in the audit trail.
struct UploadSender {
  CimScope scope;
  std::string actor, actor_role;
};

class GatewayReceiver {
 public:
  // `uploads_dir` holds partial uploads (on the blob store's filesystem, so a finished upload
  // is linked into staging without a copy).
  GatewayReceiver(IngestService& ingest, GatewayLedger& ledger, std::filesystem::path uploads_dir);
  ~GatewayReceiver();

  // Creates the upload of one instance or returns the existing one (same CIM, SOP Instance UID
  // and SHA-256 = same upload id): idempotent. When the archive already holds that SOP Instance
  // UID, no byte needs to travel: the upload is answered `stored` at once if the archived object
  // is the same original (received directly from a modality, or a copy of the same original
  // through a gateway), `refused` with the reason if it is another object (a real conflict). A
  // refused upload created again (the centre retries the exam) is examined afresh. Throws
  // kBadRequest with a sentence on invalid fields, kUnavailable when the ledger cannot be
  // written.
  UploadRow create(const UploadRequest& request);

  // The upload with its durable offset (bytes in flight on another connection are made durable
  // first). Throws kNotFound.
  // `sender`: who asks (its CIM scope bounds what a completed upload may store).
  UploadRow status(const std::string& upload_id, const UploadSender& sender = {});

  // Appends bytes pulled from `read` (returns 0 at the end; may throw when the client's body
  // breaks off: what arrived is kept and confirmed, then the exception goes on) at `offset`,
  // which must equal the durable offset (kOffsetMismatch otherwise). When the last byte
  // arrives, verifies and ingests. Returns the upload after the request.
  // An image of another imaging centre than `sender`'s scope is refused (state "refused",
  // nothing stored, audited by ingest).
  UploadRow append(const std::string& upload_id, uint64_t offset,
                   const std::function<size_t(char*, size_t)>& read, const std::string& peer,
                   const UploadSender& sender = {});

  // Acknowledges `manifest` when every instance is stored and verified; records the ledger.
  // A manifest with a dismissal is recorded as dismissed (with its reason), whatever arrived.
  // Throws kBadRequest with a sentence on invalid fields, kUnavailable when the ledger cannot
  // be written.
  ManifestOutcome manifest(const Manifest& manifest);

  GatewayLedger& ledger() { return ledger_; }

  // Deterministic id of an upload: hex SHA-256 of "cim|sop|sha256", first 32 characters.
  static std::string uploadId(const std::string& cim, const std::string& sop_uid,
                              const std::string& sha256);

 private:
  struct Slot;
  std::shared_ptr<Slot> slot(const std::string& upload_id);
  std::filesystem::path partPath(const std::string& upload_id) const;
  // Verifies and ingests a complete upload; updates the row.
  void complete(UploadRow& row, const std::string& peer, const UploadSender& sender);
  // A new or retried upload of an instance the archive may already hold: stored or refused at
  // once (row updated), or left receiving.
  void settleIfHeld(UploadRow& row);
  // Drops the in-memory state of an upload (finished, refused or restarted).
  void forget(const std::string& upload_id);

  IngestService& ingest_;
  GatewayLedger& ledger_;
  std::filesystem::path dir_;
  std::mutex slots_mu_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
};

}  // namespace dualread
