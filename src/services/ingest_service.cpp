#include "services/ingest_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "dicom/instance_reader.h"
#include "domain/view_classifier.h"
#include "services/audit_service.h"
#include "services/identity_service.h"
#include "services/view_json.h"
#include "storage/sha256.h"
#include "util/wall_clock.h"

namespace fs = std::filesystem;

namespace dualread {
namespace {

void removeQuietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

}  // namespace

const char* toString(IngestStatus s) {
  switch (s) {
    case IngestStatus::kStored:
      return "stored";
    case IngestStatus::kAlreadyStored:
      return "already-stored";
    case IngestStatus::kConflict:
      return "conflict";
    case IngestStatus::kQuarantined:
      return "quarantined";
    case IngestStatus::kRejected:
      return "rejected";
    case IngestStatus::kNotAuthorized:
      return "not-authorized";
    default:
      return "failed";
  }
}

std::string IngestSource::describe() const {
  std::string s = door;
  if (!sender.empty()) s += " from " + sender;
  if (!peer.empty()) s += " at " + peer;
  return s;
}

namespace {
// The exam assessment the index stores with a study, from its images and extra problems.
ExamRecompute examRecompute(CompletenessRule rule) {
  return [rule](const std::vector<ExamImageRow>& rows, const std::vector<std::string>& extra) {
    std::vector<ExamImage> images;
    images.reserve(rows.size());
    for (const auto& row : rows) {
      images.push_back({row.sop_uid, row.series_uid,
                        viewFromJson(nlohmann::json::parse(row.view_json, nullptr, false))});
    }
    ExamAssessment a = assessExam(images, rule, extra);
    return ExamUpdate{toString(a.status), toJson(a).dump()};
  };
}
}  // namespace

void IngestService::reassessStudies(const std::vector<std::string>& study_uids) {
  index_.reassessStudies(study_uids, examRecompute(options_.completeness));
}

IngestService::IngestService(BlobStore& blobs, ArchiveIndex& index, IngestOptions options)
    : blobs_(blobs), index_(index), options_(std::move(options)) {
  if (options_.accepted_sop_classes.empty())
    options_.accepted_sop_classes = defaultAcceptedSopClasses();
}

void IngestService::auditRefusal(const IngestSource& source, const InstanceSummary& s) {
  if (!audit_) return;
  const std::string actor = source.actor.empty()
                                ? source.door + ":" + (source.sender.empty() ? "?" : source.sender)
                                : source.actor;
  const std::string role = source.actor_role.empty() ? source.door : source.actor_role;
  const nlohmann::json detail = {{"door", source.door},
                                 {"issuer", s.issuer_of_patient_id.substr(0, 64)},
                                 {"sender_cims", source.scope.cims()},
                                 {"study", s.study_instance_uid}};
  try {
    // The object is not stored and not attached to a woman: the study is the record.
    audit_->record(actor, role, "store.cim-refused", "instance", s.sop_instance_uid, std::nullopt,
                   source.describe(), detail.dump());
  } catch (const std::exception& e) {
    spdlog::error("AUDIT: the refusal of instance {} from {} could not be recorded: {}",
                  s.sop_instance_uid, source.describe(), e.what());
  }
}

IngestResult IngestService::ingestBytes(std::string_view bytes, const IngestSource& source) {
  const fs::path staged = blobs_.newStagingPath();
  {
    std::FILE* f = std::fopen(staged.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
      if (f) std::fclose(f);
      removeQuietly(staged);
      ++counters_.failed;
      return {
          IngestStatus::kFailed, "the hub could not write the object to disk; retry later", {}, -1};
    }
    std::fclose(f);
  }
  return ingestStagedFile(staged, source, sha256Hex(bytes));
}

IngestResult IngestService::ingestStagedFile(const fs::path& staged, const IngestSource& source,
                                             const std::string& known_sha256) {
  FileDigests known;
  known.file = known_sha256;
  return ingestStagedFile(staged, source, known);
}

IngestResult IngestService::ingestStagedFile(const fs::path& staged, const IngestSource& source,
                                             const FileDigests& known) {
  IngestResult r;
  std::error_code ec;
  const uint64_t size = fs::file_size(staged, ec);
  if (ec) {
    ++counters_.failed;
    return {IngestStatus::kFailed, "received object vanished before it could be stored", {}, -1};
  }
  if (size > options_.max_object_bytes) {
    removeQuietly(staged);
    ++counters_.rejected;
    r.status = IngestStatus::kRejected;
    r.message = "the object is " + std::to_string(size) + " bytes, above the hub's limit of " +
                std::to_string(options_.max_object_bytes) + " bytes; nothing stored";
    spdlog::warn("Refused an object sent by {}: {}", source.describe(), r.message);
    return r;
  }
  try {
    r.summary = readInstanceSummary(staged, options_.accepted_sop_classes);
    const std::string& ann_sop = source.announced_sop_instance_uid;
    const std::string& ann_class = source.announced_sop_class_uid;
    if (!ann_sop.empty() && ann_sop != r.summary.sop_instance_uid) {
      throw DicomRejected(DicomRejected::Kind::kNotAsAnnounced,
                          "the dataset's SOP Instance UID differs from the command's; nothing "
                          "stored (dataset " +
                              r.summary.sop_instance_uid + ", command " + ann_sop + ")");
    }
    if (!ann_class.empty() && ann_class != r.summary.sop_class_uid) {
      throw DicomRejected(DicomRejected::Kind::kNotAsAnnounced,
                          "the dataset's SOP Class does not match its presentation context; "
                          "nothing stored (dataset " +
                              sopClassName(r.summary.sop_class_uid) + ", context " +
                              sopClassName(ann_class) + ")");
    }
  } catch (const DicomRejected& e) {
    removeQuietly(staged);
    ++counters_.rejected;
    r.status = IngestStatus::kRejected;
    r.rejected_kind = static_cast<int>(e.kind());
    r.message = e.what();
    spdlog::warn("Refused an object sent by {}: {}", source.describe(), r.message);
    return r;
  }

  // A CIM-bound sender sends only its own centre's images: checked once the issuer is known,
  // before identity vigilance, the blob store or the index see the object.
  const SenderIssuerDecision issuer =
      decideSenderIssuer(source.scope, r.summary.issuer_of_patient_id);
  if (!issuer.accepted) {
    removeQuietly(staged);
    ++counters_.not_authorized;
    r.status = IngestStatus::kNotAuthorized;
    r.message = issuer.sentence;
    spdlog::warn("Refused instance {} of study {} sent by {}: {}", r.summary.sop_instance_uid,
                 r.summary.study_instance_uid, source.describe(), r.message);
    auditRefusal(source, r.summary);
    return r;
  }
  if (issuer.issuer_from_sender) {
    spdlog::info(
        "Instance {} from {} has no IssuerOfPatientID (0010,0021): attributed to imaging centre "
        "{}, the sender's",
        r.summary.sop_instance_uid, source.describe(), issuer.issuer);
    r.summary.issuer_of_patient_id = issuer.issuer;
  }

  StoredInstance rec;
  if (identity_) {
    try {
      rec.identity = identity_->resolveInstance(r.summary);
    } catch (const std::exception& e) {
      removeQuietly(staged);
      ++counters_.failed;
      spdlog::error("Could not decide the identity of instance {} from {}: {}",
                    r.summary.sop_instance_uid, source.describe(), e.what());
      return {IngestStatus::kFailed,
              "the hub could not check the woman's identity; nothing acknowledged, retry later",
              r.summary, -1};
    }
  }
  rec.summary = r.summary;
  rec.source = source.describe();
  rec.received_at = nowIso();
  const ViewClassification view = classifyView(r.summary);
  rec.view_code = view.code;
  rec.view_role = toString(view.role);
  rec.view_json = toJson(view).dump();
  try {
    // The file's digest is its blob key. The dataset's (what "same object" means across doors)
    // is computed only when the SOP Instance UID turns out to be stored with other file bytes.
    const std::string key = known.file.empty() ? sha256File(staged) : known.file;
    index_.addBlobIntent(key);
    BlobInfo blob = blobs_.adopt(staged, key);
    rec.blob_key = blob.key;
    rec.sha256 = blob.key;
    rec.size = blob.size;
  } catch (const std::exception& e) {
    removeQuietly(staged);
    ++counters_.failed;
    spdlog::error("Could not store instance {} from {}: {}", r.summary.sop_instance_uid,
                  source.describe(), e.what());
    return {IngestStatus::kFailed,
            "the hub could not store the object on disk; nothing acknowledged, retry later",
            r.summary, -1};
  }

  const ExamRecompute recompute = examRecompute(options_.completeness);

  RecordResult rr;
  try {
    const uint64_t dataset_offset = r.summary.dataset_offset;
    auto same_object = [&](const std::string& stored_key) {
      if (original_of_ && original_of_(stored_key) == original_of_(rec.blob_key)) return true;
      const fs::path stored = blobs_.pathOf(stored_key);
      return sha256File(stored, part10DatasetOffset(stored)) ==
             sha256File(blobs_.pathOf(rec.blob_key), dataset_offset);
    };
    rr = index_.recordInstance(rec, recompute, same_object);
  } catch (const std::exception& e) {
    ++counters_.failed;
    spdlog::error("Could not index instance {} from {}: {}", r.summary.sop_instance_uid,
                  source.describe(), e.what());
    // The blob may now be unreferenced; fsck reports it as an orphan and it is harmless.
    return {IngestStatus::kFailed,
            "the hub could not record the object in its index; nothing acknowledged, retry later",
            r.summary, -1};
  }
  switch (rr.outcome) {
    case RecordOutcome::kInserted:
      r.status = IngestStatus::kStored;
      r.message = "stored";
      ++counters_.stored;
      counters_.bytes += rec.size;
      spdlog::debug("Stored {} {} of study {} ({} bytes) from {}", view.code,
                    r.summary.sop_instance_uid, r.summary.study_instance_uid, rec.size,
                    source.describe());
      if (on_stored_) {
        try {
          on_stored_(r.summary);
        } catch (const std::exception& e) {
          spdlog::error("Instance {} is stored but its observer failed: {}",
                        r.summary.sop_instance_uid, e.what());
        }
      }
      break;
    case RecordOutcome::kSameBytes:
      index_.releaseIfUnreferenced(rec.blob_key, [&] { blobs_.remove(rec.blob_key); });
      r.status = IngestStatus::kAlreadyStored;
      r.message = rr.detail;
      ++counters_.duplicates;
      spdlog::info(
          "Instance {} from {} was already stored with the same content; accepted, "
          "no duplicate kept",
          r.summary.sop_instance_uid, source.describe());
      break;
    case RecordOutcome::kConflict:
      r.status = IngestStatus::kConflict;
      r.message = rr.detail;
      ++counters_.conflicts;
      spdlog::warn("Conflict on instance {} from {}: {}", r.summary.sop_instance_uid,
                   source.describe(), rr.detail);
      break;
    case RecordOutcome::kIdentityConflict:
      r.status = IngestStatus::kQuarantined;
      r.message = rr.detail;
      ++counters_.quarantined;
      spdlog::warn("Quarantined instance {} from {}: {}", r.summary.sop_instance_uid,
                   source.describe(), rr.detail);
      break;
  }
  return r;
}

}  // namespace dualread
