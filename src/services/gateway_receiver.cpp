#include "services/gateway_receiver.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <set>
#include <vector>

#include "dicom/instance_reader.h"
#include "dicom/jpegls_transcoder.h"
#include "storage/sha256.h"
#include "util/wall_clock.h"

namespace fs = std::filesystem;

namespace dualread {
namespace {

using Kind = GatewayProtocolError::Kind;

// A confirmed offset every megabyte or every second, whichever comes first: a killed hub loses
// at most that much of an upload (one second of a slow link, a megabyte of a fast one).
constexpr uint64_t kSyncEvery = 1 << 20;
constexpr auto kSyncInterval = std::chrono::seconds(1);
constexpr size_t kBuffer = 256 << 10;

std::string today() { return nowIso().substr(0, 10); }  // "YYYY-MM-DD", UTC

bool isHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool isCimId(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

void removeQuietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

// Writes all of `n` bytes at `pos`; false on error (errno set).
bool pwriteAll(int fd, const char* p, size_t n, uint64_t pos) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(pos));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    pos += static_cast<uint64_t>(w);
  }
  return true;
}

}  // namespace

// The in-memory state of one upload being received.
struct GatewayReceiver::Slot {
  std::mutex mu;
  bool loaded = false;
  uint64_t generation = 0;  // the request allowed to write
  uint64_t written = 0;     // bytes in the part file, maybe not yet durable
  uint64_t durable = 0;     // bytes made durable and recorded in the ledger
};

GatewayReceiver::GatewayReceiver(IngestService& ingest, GatewayLedger& ledger, fs::path uploads_dir)
    : ingest_(ingest), ledger_(ledger), dir_(std::move(uploads_dir)) {
  fs::create_directories(dir_);
}

GatewayReceiver::~GatewayReceiver() = default;

std::string GatewayReceiver::uploadId(const std::string& cim, const std::string& sop_uid,
                                      const std::string& sha256) {
  return sha256Hex(cim + "|" + sop_uid + "|" + sha256).substr(0, 32);
}

fs::path GatewayReceiver::partPath(const std::string& upload_id) const {
  return dir_ / (upload_id + ".part");
}

std::shared_ptr<GatewayReceiver::Slot> GatewayReceiver::slot(const std::string& upload_id) {
  std::lock_guard lk(slots_mu_);
  auto& s = slots_[upload_id];
  if (!s) s = std::make_shared<Slot>();
  return s;
}

UploadRow GatewayReceiver::create(const UploadRequest& q) {
  auto bad = [](const std::string& s) { throw GatewayProtocolError(Kind::kBadRequest, s); };
  if (!isCimId(q.cim)) bad("cim must be the imaging centre's identifier (letters, digits, - _ .)");
  if (!isValidUid(q.sop_instance_uid)) bad("sop_instance_uid is not a valid DICOM UID");
  if (!isValidUid(q.study_instance_uid)) bad("study_instance_uid is not a valid DICOM UID");
  if (q.size == 0) bad("size must be the number of bytes to upload (more than 0)");
  if (q.size > ingest_.options().max_object_bytes)
    bad("size is above the hub's limit of " + std::to_string(ingest_.options().max_object_bytes) +
        " bytes per object");
  if (!isHex64(q.sha256)) bad("sha256 must be 64 lowercase hexadecimal characters");
  if (!isHex64(q.original_sha256))
    bad("original_sha256 must be 64 lowercase hexadecimal characters");
  if (!q.pixel_sha256.empty() && !isHex64(q.pixel_sha256))
    bad("pixel_sha256 must be empty or 64 lowercase hexadecimal characters");
  if (!q.transfer_syntax.empty() && !isValidUid(q.transfer_syntax))
    bad("transfer_syntax is not a valid DICOM UID");
  UploadRow row;
  row.upload_id = uploadId(q.cim, q.sop_instance_uid, q.sha256);
  row.cim = q.cim;
  row.sop_uid = q.sop_instance_uid;
  row.study_uid = q.study_instance_uid;
  row.size = q.size;
  row.sha256 = q.sha256;
  row.original_sha256 = q.original_sha256;
  row.pixel_sha256 = q.pixel_sha256;
  row.transfer_syntax = q.transfer_syntax;
  row.prior = q.prior;
  row.created_at = nowIso();
  row.day = today();
  try {
    bool fresh = false;
    UploadRow out = ledger_.createUpload(row, &fresh);
    if (out.size != q.size || out.original_sha256 != q.original_sha256 ||
        out.pixel_sha256 != q.pixel_sha256)
      throw GatewayProtocolError(Kind::kConflict,
                                 "an upload of these bytes exists with another size or hashes");
    const bool sent_again = out.state == "refused";
    if (sent_again) {
      // Sent again after a refusal: the centre retries the exam once the cause is settled.
      ledger_.finishUpload(out.upload_id, "receiving", "", "");
      forget(out.upload_id);
      spdlog::info(
          "Image {} from the gateway of {} is sent again after a refusal ({}): examined "
          "afresh",
          out.sop_uid, out.cim, out.reason);
      out.state = "receiving";
      out.reason.clear();
      out.offset = 0;
    }
    // A new image of a dismissed exam, or a refused one sent again: the centre took the exam
    // up again (an upload merely resumed is not news).
    if ((fresh || sent_again) && ledger_.reopenDismissed(out.cim, out.study_uid))
      spdlog::info("Exam {} from {} is sent again after its dismissal: announced again",
                   out.study_uid, out.cim);
    if (out.state == "receiving") settleIfHeld(out);
    return out;
  } catch (const IndexError& e) {
    spdlog::error("Could not record an upload from {}: {}", q.cim, e.what());
    throw GatewayProtocolError(Kind::kUnavailable,
                               "the hub cannot record the upload now; retry later");
  }
}

void GatewayReceiver::forget(const std::string& upload_id) {
  std::lock_guard lk(slots_mu_);
  slots_.erase(upload_id);
}

void GatewayReceiver::settleIfHeld(UploadRow& row) {
  InstanceRow archived;
  if (!ingest_.index().findInstance(row.sop_uid, archived)) return;
  // The archived file is the same object if it is these very bytes, or if it and this upload
  // are both the same original (the original itself, received from a modality; or another
  // lossless copy of it, received through a gateway).
  const std::string archived_original =
      ledger_.originalOf(archived.sha256).value_or(archived.sha256);
  const std::string at = nowIso();
  if (archived.sha256 == row.sha256 || archived_original == row.original_sha256) {
    ledger_.setOffset(row.upload_id, row.size);
    ledger_.finishUpload(row.upload_id, "stored",
                         "the hub already held this image with the same original bytes", at);
    removeQuietly(partPath(row.upload_id));
    forget(row.upload_id);
    row.state = "stored";
    row.offset = row.size;
    row.stored_at = at;
    row.reason = "the hub already held this image with the same original bytes";
    spdlog::info(
        "Image {} of study {} from the gateway of {} was already in the archive with the same "
        "original bytes ({}): accepted without sending it again",
        row.sop_uid, row.study_uid, row.cim, archived.source);
    return;
  }
  const std::string why =
      "the hub already holds an image with this SOP Instance UID (" + row.sop_uid +
      ") but other content: the archived object's original SHA-256 is " +
      archived_original.substr(0, 12) + "…, this image's is " + row.original_sha256.substr(0, 12) +
      "… (archived on " + archived.received_at + ": " + archived.source +
      "); a real conflict: nothing stored, the centre must check which image is right";
  ledger_.finishUpload(row.upload_id, "refused", why, at);
  removeQuietly(partPath(row.upload_id));
  forget(row.upload_id);
  row.state = "refused";
  row.reason = why;
  spdlog::warn("Refused image {} announced by the gateway of {}: {}", row.sop_uid, row.cim, why);
}

UploadRow GatewayReceiver::status(const std::string& upload_id, const UploadSender& sender) {
  auto row = ledger_.upload(upload_id);
  if (!row) throw GatewayProtocolError(Kind::kNotFound, "no such upload");
  if (row->state != "receiving") return *row;
  auto s = slot(upload_id);
  std::lock_guard lk(s->mu);
  if (s->loaded && s->written > s->durable) {
    // Bytes of a request still running (or hanging on a dead link): confirm them.
    const int fd = ::open(partPath(upload_id).c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && ::fdatasync(fd) == 0) {
      ledger_.setOffset(upload_id, s->written);
      s->durable = s->written;
    }
    if (fd >= 0) ::close(fd);
  }
  if (s->loaded) row->offset = s->durable;
  if (row->offset == row->size) complete(*row, "", sender);
  return *row;
}

UploadRow GatewayReceiver::append(const std::string& upload_id, uint64_t offset,
                                  const std::function<size_t(char*, size_t)>& read,
                                  const std::string& peer, const UploadSender& sender) {
  auto found = ledger_.upload(upload_id);
  if (!found) throw GatewayProtocolError(Kind::kNotFound, "no such upload");
  UploadRow row = *found;
  if (row.state == "stored") {
    if (offset != row.size)
      throw GatewayProtocolError(Kind::kOffsetMismatch, "this upload is already complete",
                                 row.size);
    return row;
  }
  if (row.state == "refused") throw GatewayProtocolError(Kind::kConflict, row.reason);
  const fs::path part = partPath(upload_id);
  auto s = slot(upload_id);
  uint64_t my_generation = 0;
  int fd = -1;
  {
    std::lock_guard lk(s->mu);
    fd = ::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
      throw GatewayProtocolError(Kind::kUnavailable,
                                 "the hub cannot write the upload to disk now; retry later");
    if (!s->loaded) {
      // After a restart the ledger's offset is the truth: later bytes were never confirmed.
      if (::ftruncate(fd, static_cast<off_t>(row.offset)) != 0) {
        ::close(fd);
        throw GatewayProtocolError(Kind::kUnavailable,
                                   "the hub cannot write the upload to disk now; retry later");
      }
      s->written = s->durable = row.offset;
      s->loaded = true;
    }
    if (s->written > s->durable && ::fdatasync(fd) == 0) {
      ledger_.setOffset(upload_id, s->written);
      s->durable = s->written;
    }
    if (offset != s->durable) {
      ::close(fd);
      throw GatewayProtocolError(Kind::kOffsetMismatch,
                                 "Upload-Offset " + std::to_string(offset) +
                                     " is not the hub's offset " + std::to_string(s->durable),
                                 s->durable);
    }
    my_generation = ++s->generation;
  }
  // Confirms what this request wrote, unless a newer request took the upload over.
  auto confirm = [&]() -> bool {
    std::lock_guard lk(s->mu);
    if (s->generation != my_generation) return false;
    if (s->written > s->durable) {
      if (::fdatasync(fd) != 0) return false;
      ledger_.setOffset(upload_id, s->written);
      s->durable = s->written;
    }
    return true;
  };
  std::vector<char> buf(kBuffer);
  uint64_t pos = offset, unsynced = 0;
  auto last_sync = std::chrono::steady_clock::now();
  bool superseded = false;
  try {
    for (;;) {
      const size_t n = read(buf.data(), buf.size());
      if (n == 0) break;
      if (pos + n > row.size)
        throw GatewayProtocolError(Kind::kBadRequest,
                                   "the body goes beyond the upload's declared size (" +
                                       std::to_string(row.size) + " bytes)");
      {
        std::lock_guard lk(s->mu);
        if (s->generation != my_generation) {
          superseded = true;
          break;
        }
        if (!pwriteAll(fd, buf.data(), n, pos))
          throw GatewayProtocolError(Kind::kUnavailable,
                                     "the hub ran out of disk space while receiving; retry later");
        s->written = pos + n;
      }
      pos += n;
      unsynced += n;
      if (unsynced >= kSyncEvery || std::chrono::steady_clock::now() - last_sync >= kSyncInterval) {
        if (!confirm()) {
          superseded = true;
          break;
        }
        unsynced = 0;
        last_sync = std::chrono::steady_clock::now();
      }
    }
  } catch (...) {
    try {
      confirm();
    } catch (...) {
    }
    ::close(fd);
    throw;
  }
  if (!superseded) confirm();
  ::close(fd);
  if (superseded)
    throw GatewayProtocolError(Kind::kConflict,
                               "a newer request took this upload over; query its offset");
  std::lock_guard lk(s->mu);
  row.offset = s->durable;
  if (row.offset == row.size) complete(row, peer, sender);
  return row;
}

void GatewayReceiver::complete(UploadRow& row, const std::string& peer,
                               const UploadSender& sender) {
  const fs::path part = partPath(row.upload_id);
  auto restart = [&](const std::string& why) {
    removeQuietly(part);
    ledger_.finishUpload(row.upload_id, "receiving", "", "");
    forget(row.upload_id);
    spdlog::warn("Upload of image {} from {} must be sent again: {}", row.sop_uid, row.cim, why);
    throw GatewayProtocolError(Kind::kOffsetMismatch, why + "; send it again from byte 0", 0);
  };
  auto refuse = [&](const std::string& why) {
    removeQuietly(part);
    const std::string at = nowIso();
    ledger_.finishUpload(row.upload_id, "refused", why, at);
    forget(row.upload_id);
    row.state = "refused";
    row.reason = why;
    spdlog::warn("Refused image {} sent by the gateway of {}: {}", row.sop_uid, row.cim, why);
  };
  std::string sha;
  try {
    sha = sha256File(part);
  } catch (const std::exception&) {
    restart("the received bytes are missing on the hub");
  }
  if (sha != row.sha256) restart("the received bytes do not match the announced SHA-256");
  if (!row.pixel_sha256.empty()) {
    std::string pixels;
    try {
      pixels = pixelSha256(part);
    } catch (const TranscodeError& e) {
      return refuse(std::string("its pixel data cannot be decompressed (") + e.what() + ")");
    }
    if (pixels != row.pixel_sha256)
      return refuse("its pixel data after decompression differ from the original image's");
  }
  const fs::path staged = ingest_.blobs().newStagingPath();
  std::error_code ec;
  fs::create_hard_link(part, staged, ec);
  if (ec)
    throw GatewayProtocolError(Kind::kUnavailable,
                               "the hub cannot move the upload into its archive now; retry later");
  IngestSource source{"gateway", row.cim, peer, row.sop_uid, {}};
  source.scope = sender.scope;
  source.actor = sender.actor;
  source.actor_role = sender.actor_role;
  const IngestResult r = ingest_.ingestStagedFile(staged, source, row.sha256);
  removeQuietly(staged);
  switch (r.status) {
    case IngestStatus::kStored:
    case IngestStatus::kAlreadyStored: {
      const std::string at = nowIso();
      ledger_.finishUpload(row.upload_id, "stored", "", at);
      row.state = "stored";
      row.stored_at = at;
      removeQuietly(part);
      spdlog::info("Image {} of study {} from the gateway of {} stored and verified{}", row.sop_uid,
                   row.study_uid, row.cim, row.prior ? " (prior)" : "");
      forget(row.upload_id);
      return;
    }
    case IngestStatus::kFailed:
      throw GatewayProtocolError(Kind::kUnavailable, r.message);
    default:
      return refuse(r.message);
  }
}

ManifestOutcome GatewayReceiver::manifest(const Manifest& m) {
  if (!isCimId(m.cim))
    throw GatewayProtocolError(
        Kind::kBadRequest, "cim must be the imaging centre's identifier (letters, digits, - _ .)");
  if (!isValidUid(m.study_instance_uid))
    throw GatewayProtocolError(Kind::kBadRequest, "study_instance_uid is not a valid DICOM UID");
  if (m.instances.empty())
    throw GatewayProtocolError(Kind::kBadRequest, "a manifest lists at least one instance");
  if (m.dismissal) {
    const Dismissal& d = *m.dismissal;
    if (d.reason.empty() || d.reason.size() > 2000)
      throw GatewayProtocolError(Kind::kBadRequest,
                                 "a dismissal needs its reason (at most 2000 characters)");
    if (d.by.size() > 200 || d.at.size() > 40)
      throw GatewayProtocolError(Kind::kBadRequest,
                                 "a dismissal's 'by' (at most 200 characters) or 'at' (a time) is "
                                 "too long");
  }
  std::set<std::string> seen;
  ManifestOutcome out;
  for (const auto& i : m.instances) {
    if (!isValidUid(i.sop_instance_uid) || !isHex64(i.sha256) || !isHex64(i.original_sha256))
      throw GatewayProtocolError(Kind::kBadRequest,
                                 "every instance needs a valid sop_instance_uid, sha256 and "
                                 "original_sha256");
    if (!seen.insert(i.sop_instance_uid).second)
      throw GatewayProtocolError(Kind::kBadRequest,
                                 "instance " + i.sop_instance_uid + " is listed twice");
    auto up = ledger_.upload(uploadId(m.cim, i.sop_instance_uid, i.sha256));
    InstanceRow archived;
    if (up && up->state == "refused") {
      out.refused.emplace_back(i.sop_instance_uid, up->reason);
    } else if (!up || up->state != "stored" || up->original_sha256 != i.original_sha256 ||
               up->pixel_sha256 != i.pixel_sha256 ||
               !ingest_.index().findInstance(i.sop_instance_uid, archived) ||
               archived.study_uid != m.study_instance_uid) {
      out.missing.push_back(i.sop_instance_uid);
    }
  }
  out.dismissed = m.dismissal.has_value();
  out.acknowledged = !out.dismissed && out.missing.empty() && out.refused.empty();
  StudyRow study;
  out.complete = out.acknowledged && ingest_.index().getStudy(m.study_instance_uid, study) &&
                 study.exam_status == "complete";
  LedgerExamRow row;
  row.cim = m.cim;
  row.study_uid = m.study_instance_uid;
  row.day = today();
  row.announced_at = nowIso();
  row.instance_count = static_cast<int64_t>(m.instances.size());
  row.prior = m.prior;
  row.state = out.dismissed ? "dismissed" : out.acknowledged ? "acknowledged" : "announced";
  if (out.dismissed) {
    row.dismissed_reason = m.dismissal->reason;
    row.dismissed_by = m.dismissal->by;
    row.dismissed_at = m.dismissal->at.empty() ? row.announced_at : m.dismissal->at;
  }
  row.acknowledged_at = out.acknowledged ? row.announced_at : "";
  row.complete = out.complete;
  row.missing_count = static_cast<int64_t>(out.missing.size() + out.refused.size());
  try {
    ledger_.recordManifest(row);
  } catch (const IndexError& e) {
    spdlog::error("Could not record the manifest of study {} from {}: {}", m.study_instance_uid,
                  m.cim, e.what());
    throw GatewayProtocolError(Kind::kUnavailable,
                               "the hub cannot record the manifest now; retry later");
  }
  if (auto stored = ledger_.exam(m.cim, m.study_instance_uid))
    out.acknowledged_at = stored->acknowledged_at;
  if (out.dismissed)
    spdlog::warn(
        "Exam {} from {} dismissed by the centre{}: {} ({} of {} images had reached the "
        "archive)",
        m.study_instance_uid, m.cim, m.dismissal->by.empty() ? "" : " (" + m.dismissal->by + ")",
        m.dismissal->reason, m.instances.size() - out.missing.size() - out.refused.size(),
        m.instances.size());
  else if (out.acknowledged)
    spdlog::info("Exam {} from {} acknowledged: {} images stored and verified{}",
                 m.study_instance_uid, m.cim, m.instances.size(), m.prior ? " (prior)" : "");
  else
    spdlog::info("Exam {} from {} announced: {} of {} images still to come, {} refused",
                 m.study_instance_uid, m.cim, out.missing.size(), m.instances.size(),
                 out.refused.size());
  return out;
}

}  // namespace dualread
