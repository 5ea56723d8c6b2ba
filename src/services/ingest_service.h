#pragma once
// IngestService: the one door behind every way an object reaches the hub (DIMSE C-STORE,
// STOW-RS, gateway uploads). It validates, stores durably, indexes and assembles the exam, and
// answers with an outcome both doors translate into their protocol's status. Thread-safe: the
// blob store and index are; the service itself holds only configuration.

#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/cim_scope.h"
#include "domain/exam_assessment.h"
#include "domain/instance_summary.h"
#include "index/archive_index.h"
#include "storage/blob_store.h"
#include "storage/sha256.h"

namespace dualread {

class AuditService;
class IdentityService;

struct IngestSource {
  IngestSource(std::string door_ = {}, std::string sender_ = {}, std::string peer_ = {},
               std::string announced_instance = {}, std::string announced_class = {})
      : door(std::move(door_)),
        sender(std::move(sender_)),
        peer(std::move(peer_)),
        announced_sop_instance_uid(std::move(announced_instance)),
        announced_sop_class_uid(std::move(announced_class)) {}
  std::string door;    // "DIMSE", "STOW-RS"
  std::string sender;  // calling AE title or user, may be empty
  std::string peer;    // remote address
  // What the sender's command announced (DIMSE: AffectedSOPInstanceUID and the presentation
  // context's SOP Class); empty = nothing announced. A dataset that says otherwise is refused.
  std::string announced_sop_instance_uid;
  std::string announced_sop_class_uid;
  // The imaging centres the sender is bound to (a CIM-bound DICOM peer, gateway token or
  // account): an object of another centre is refused before anything is stored
  // (decideSenderIssuer, domain/cim_scope.h). Every centre by default.
  CimScope scope;
  // Who sends, as the audit trail names it (e.g. "dicom:CIM01_GW" / "dicom-peer", or the
  // account's login and role@CIM); empty: "<door>:<sender>" / the door.
  std::string actor;
  std::string actor_role;
  std::string describe() const;
};

enum class IngestStatus {
  kStored,         // new, stored and indexed
  kAlreadyStored,  // same UID and same bytes: success, no duplicate
  kConflict,       // same UID, other bytes: quarantined
  kQuarantined,    // identity conflict with its study: quarantined
  kRejected,       // invalid input: nothing stored
  kNotAuthorized,  // another imaging centre's object from a CIM-bound sender: nothing stored
  kFailed,         // the hub could not store it (disk, index): nothing acknowledged
};

struct IngestResult {
  IngestStatus status = IngestStatus::kFailed;
  std::string message;  // sentence for the sender and the log
  InstanceSummary summary;
  int rejected_kind = -1;  // DicomRejected::Kind when kRejected
  bool ok() const {
    return status == IngestStatus::kStored || status == IngestStatus::kAlreadyStored;
  }
};

struct IngestOptions {
  std::set<std::string> accepted_sop_classes;  // empty = defaults
  uint64_t max_object_bytes = 2ull << 30;
  CompletenessRule completeness;
};

// Told of every instance newly stored and indexed (not of duplicates, conflicts, quarantine or
// rejections), after the index committed it: the screening workflow assembles its exams from
// these. Runs on the ingesting thread; must be thread-safe. An exception it throws is logged
// and does not change the ingest outcome (the object is stored).
using InstanceStoredObserver = std::function<void(const InstanceSummary&)>;

// For a file digest (SHA-256 of a whole Part-10 file), the digest of the object it is a lossless
// copy of (the gateway's JPEG-LS copy of a modality's original), or the digest itself when it is
// nobody's copy. Must be thread-safe; called inside the index's write transaction, so it must
// not use the archive index.
using OriginalResolver = std::function<std::string(const std::string& file_sha256)>;

class IngestService {
 public:
  IngestService(BlobStore& blobs, ArchiveIndex& index, IngestOptions options);

  // Sets the observer; call once before the doors start (not synchronised with ingests).
  void setInstanceStoredObserver(InstanceStoredObserver observer) {
    on_stored_ = std::move(observer);
  }
  // Identity vigilance: every instance's identity is decided by `identity` (which outlives the
  // service) before it is recorded; without it the index applies its own rule. Call once
  // before the doors start.
  void setIdentity(IdentityService* identity) { identity_ = identity; }
  // Audit trail for refusals of another centre's objects (kNotAuthorized); `audit` outlives the
  // service. Call once before the doors start.
  void setAudit(AuditService* audit) { audit_ = audit; }
  // Lossless copies: when a SOP Instance UID arrives again with other bytes, the two files are
  // the same object (success, no duplicate, no quarantine) if they are copies of the same
  // original. The same image sent by a modality to the hub and through a gateway (JPEG-LS) is
  // then no conflict, whichever comes first. Call once before the doors start.
  void setOriginalResolver(OriginalResolver resolver) { original_of_ = std::move(resolver); }
  // Recomputes the stored exam assessment of these studies (after an identity was settled).
  // Throws IndexError.
  void reassessStudies(const std::vector<std::string>& study_uids);

  // Takes ownership of a file written in the blob store's staging area (it is moved into the
  // store or deleted). `known_sha256` (of the whole file) may be empty.
  IngestResult ingestStagedFile(const std::filesystem::path& staged, const IngestSource& source,
                                const std::string& known_sha256 = {});
  // Same, with both digests already computed by the receiver while the file arrived (used only
  // when computed over the same dataset offset the parser finds; otherwise hashed again).
  IngestResult ingestStagedFile(const std::filesystem::path& staged, const IngestSource& source,
                                const FileDigests& known);
  // Stores a complete Part-10 object held in memory.
  IngestResult ingestBytes(std::string_view bytes, const IngestSource& source);

  BlobStore& blobs() { return blobs_; }
  ArchiveIndex& index() { return index_; }
  const IngestOptions& options() const { return options_; }

  struct Counters {
    std::atomic<uint64_t> stored{0}, duplicates{0}, conflicts{0}, quarantined{0}, rejected{0},
        not_authorized{0}, failed{0}, bytes{0};
  };
  const Counters& counters() const { return counters_; }

 private:
  void auditRefusal(const IngestSource& source, const InstanceSummary& summary);

  BlobStore& blobs_;
  ArchiveIndex& index_;
  IngestOptions options_;
  Counters counters_;
  InstanceStoredObserver on_stored_;
  IdentityService* identity_ = nullptr;
  AuditService* audit_ = nullptr;
  OriginalResolver original_of_;
};

const char* toString(IngestStatus s);

}  // namespace dualread
