#include "gateway/gateway_intake.h"

#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <chrono>
#include <ctime>

#include "dicom/instance_reader.h"
#include "util/wall_clock.h"

namespace fs = std::filesystem;

namespace dualread {
namespace {

void removeQuietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

std::string mb(uint64_t b) { return std::to_string(b >> 20) + " MB"; }

}  // namespace

GatewayIntake::GatewayIntake(FsBlobStore& blobs, GatewayQueue& queue,
                             std::set<std::string> accepted, uint64_t min_free_bytes,
                             const DiskReserve* reserve, std::function<void()> on_queued)
    : blobs_(blobs),
      queue_(queue),
      accepted_(std::move(accepted)),
      min_free_(min_free_bytes),
      reserve_(reserve),
      on_queued_(std::move(on_queued)) {
  if (accepted_.empty()) accepted_ = defaultAcceptedSopClasses();
}

uint64_t GatewayIntake::freeBytes() const {
  struct statvfs s {};
  if (::statvfs(blobs_.root().c_str(), &s) != 0) return 0;
  return static_cast<uint64_t>(s.f_bavail) * s.f_frsize;
}

IngestResult GatewayIntake::store(const fs::path& staged, const IngestSource& source,
                                  const FileDigests& digests) {
  IngestResult r;
  auto fail = [&](const std::string& sentence) {
    removeQuietly(staged);
    r.status = IngestStatus::kFailed;
    r.message = sentence;
    spdlog::error("Refused an image from {}: {}", source.describe(), sentence);
    return r;
  };
  std::error_code ec;
  const uint64_t size = fs::file_size(staged, ec);
  if (ec) return fail("the received image vanished before it could be queued");
  if (reserve_ && reserve_->spent())
    return fail(
        "the gateway's disk is full and it is using its emergency reserve to finish "
        "sending what it holds; nothing stored, retry once the hub has acknowledged "
        "older exams");
  // The staged file is already on disk: keep the floor for what is queued, not for it.
  const uint64_t free_now = freeBytes();
  if (free_now < min_free_ + size)
    return fail("the gateway's disk is nearly full (" + mb(free_now) + " free, floor " +
                mb(min_free_) +
                "); nothing stored, retry once the hub has acknowledged older exams");
  try {
    r.summary = readInstanceSummary(staged, accepted_);
    if (!source.announced_sop_instance_uid.empty() &&
        source.announced_sop_instance_uid != r.summary.sop_instance_uid)
      throw DicomRejected(DicomRejected::Kind::kNotAsAnnounced,
                          "the dataset's SOP Instance UID differs from the command's; nothing "
                          "stored");
    if (!source.announced_sop_class_uid.empty() &&
        source.announced_sop_class_uid != r.summary.sop_class_uid)
      throw DicomRejected(DicomRejected::Kind::kNotAsAnnounced,
                          "the dataset's SOP Class does not match its presentation context; "
                          "nothing stored");
  } catch (const DicomRejected& e) {
    removeQuietly(staged);
    r.status = IngestStatus::kRejected;
    r.rejected_kind = static_cast<int>(e.kind());
    r.message = e.what();
    spdlog::warn("Refused an image from {}: {}", source.describe(), r.message);
    return r;
  }
  QueuedInstance q;
  q.sop_uid = r.summary.sop_instance_uid;
  q.study_uid = r.summary.study_instance_uid;
  q.patient_id = r.summary.patient_id;
  q.sop_class = r.summary.sop_class_uid;
  q.transfer_syntax = r.summary.transfer_syntax_uid;
  q.received_at = nowIso();
  q.original_size = size;
  try {
    const std::string sha = digests.file.empty() ? sha256File(staged) : digests.file;
    BlobInfo blob = blobs_.adopt(staged, sha);
    q.original_key = blob.key;
  } catch (const std::exception& e) {
    return fail(std::string("the gateway could not write the image to disk (") + e.what() +
                "); nothing stored, retry later");
  }
  EnqueueOutcome outcome;
  try {
    outcome = queue_.enqueue(q, nowMs());
  } catch (const std::exception& e) {
    // The file stays in the store, unreferenced and harmless; the sender retries.
    r.status = IngestStatus::kFailed;
    r.message = "the gateway could not record the image in its queue; retry later";
    spdlog::error("Could not queue image {}: {}", q.sop_uid, e.what());
    return r;
  }
  switch (outcome) {
    case EnqueueOutcome::kQueued:
      r.status = IngestStatus::kStored;
      r.message = "queued";
      if (on_queued_) on_queued_();
      break;
    case EnqueueOutcome::kAlreadyQueued:
      r.status = IngestStatus::kAlreadyStored;
      r.message = "already queued with the same content";
      break;
    case EnqueueOutcome::kConflict:
      r.status = IngestStatus::kConflict;
      r.message = "an image with this SOP Instance UID is already queued with other content";
      // Its SOP Instance UID is inside the bytes, so no other row can use this file.
      blobs_.remove(q.original_key);
      spdlog::warn("Refused image {} from {}: {}", q.sop_uid, source.describe(), r.message);
      break;
  }
  return r;
}

}  // namespace dualread
