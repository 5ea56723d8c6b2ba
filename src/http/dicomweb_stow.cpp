// STOW-RS (PS3.18 10.5): a multipart/related body of application/dicom parts is written to the
// blob store's staging area as it arrives (never held in memory), split into one staging file
// per part, and each part is handed to IngestService. The answer lists stored instances in
// ReferencedSOPSequence and refused ones in FailedSOPSequence with a FailureReason, plus a
// "Warning: 299" header with a sentence per failure. 200 all stored, 202 some, 409 none.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <system_error>

#include "dicom/instance_reader.h"
#include "domain/cim_scope.h"
#include "http/dicomweb_json.h"
#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/multipart.h"
#include "http/routes.h"

namespace dualread::http {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// FailureReason values (PS3.18 table 10.5.3-2, PS3.4 C-STORE statuses).
constexpr int kReasonProcessingFailure = 0x0110;
constexpr int kReasonDuplicateConflict = 0x0111;
constexpr int kReasonSopClassNotSupported = 0x0122;
constexpr int kReasonNotAuthorized = 0x0124;  // PS3.7 C.4: Refused, Not Authorized
constexpr int kReasonOutOfResources = 0xA700;
constexpr int kReasonStudyMismatch = 0xA900;
constexpr int kReasonCannotUnderstand = 0xC000;
constexpr int kReasonIdentityConflict = 0xC001;
constexpr size_t kMaxWarnings = 50;

void removeQuietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

// Removes the files it holds unless released.
struct StagedFiles {
  std::vector<fs::path> paths;
  ~StagedFiles() {
    for (const auto& p : paths) removeQuietly(p);
  }
};

std::string peerAddress(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

// Copies the request body to `file`; returns its size. 413 above `limit`.
uint64_t receiveBody(RequestBody& body, const fs::path& file, uint64_t limit) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(std::fopen(file.c_str(), "wb"), &std::fclose);
  if (!out)
    throw HttpError(503,
                    "the hub cannot write the upload to disk right now; nothing stored, "
                    "retry later");
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    const size_t n = body.read(buf.data(), buf.size());
    if (n == 0) break;
    total += n;
    if (total > limit)
      throw HttpError(413, "the request body is larger than the hub accepts (" +
                               std::to_string(limit) + " bytes); nothing stored");
    if (std::fwrite(buf.data(), 1, n, out.get()) != n)
      throw HttpError(503,
                      "the hub ran out of disk space while receiving the upload; nothing "
                      "stored, retry later");
  }
  if (std::fflush(out.get()) != 0)
    throw HttpError(503,
                    "the hub ran out of disk space while receiving the upload; nothing "
                    "stored, retry later");
  return total;
}

struct Outcome {
  bool ok = false;
  std::string sop_class, sop_uid, study_uid, series_uid;
  int reason = 0;
  std::string sentence;
};

int reasonOf(const IngestResult& r) {
  switch (r.status) {
    case IngestStatus::kConflict:
      return kReasonDuplicateConflict;
    case IngestStatus::kQuarantined:
      return kReasonIdentityConflict;
    case IngestStatus::kNotAuthorized:
      return kReasonNotAuthorized;
    case IngestStatus::kRejected:
      if (r.rejected_kind == static_cast<int>(DicomRejected::Kind::kSopClassNotAccepted))
        return kReasonSopClassNotSupported;
      if (r.rejected_kind < 0) return kReasonOutOfResources;  // above the object size limit
      return kReasonCannotUnderstand;
    case IngestStatus::kFailed:
      return kReasonOutOfResources;
    default:
      return kReasonProcessingFailure;
  }
}

json sopItem(const Outcome& o) {
  json item = json::object();
  dj::putText(item, "00081150", "UI", o.sop_class);
  dj::putText(item, "00081155", "UI", o.sop_uid);
  return item;
}

void storeInstances(HubServices& services, HttpRequest& req, ResponseWriter& w,
                    const std::string& path_study) {
  const std::string content_type = req.header("content-type");
  const auto media = parseMediaType(content_type);
  if (!media || media->type != "multipart/related")
    throw HttpError(415,
                    "STOW-RS takes a multipart/related; type=\"application/dicom\" body, "
                    "not '" +
                        headerSafe(content_type, 100) + "'; nothing stored");
  const std::string type = lower(media->param("type"));
  if (!type.empty() && type != "application/dicom")
    throw HttpError(415,
                    "this hub stores DICOM Part-10 parts (type=\"application/dicom\"); "
                    "type=\"" +
                        headerSafe(type, 60) +
                        "\" is not supported; nothing "
                        "stored");
  const std::string boundary = media->param("boundary");
  if (boundary.empty())
    throw HttpError(400,
                    "the Content-Type has no boundary parameter, so the parts cannot be "
                    "found; nothing stored");
  if (!acceptsAny(req.header("accept"), {"application/dicom+json", "application/json"}))
    throw HttpError(406, "the STOW-RS response is only available as application/dicom+json");
  const uint64_t limit = services.config.max_request_bytes;
  if (auto cl = req.body->contentLength(); cl && *cl > limit)
    throw HttpError(413, "the request body (" + std::to_string(*cl) +
                             " bytes) is larger than the hub accepts (" + std::to_string(limit) +
                             " bytes); nothing stored");

  StagedFiles staged;
  const fs::path body_file = services.blobs.newStagingPath();
  staged.paths.push_back(body_file);
  const uint64_t received = receiveBody(*req.body, body_file, limit);
  if (received == 0) throw HttpError(400, "the request body is empty; nothing stored");

  std::vector<StagedPart> parts;
  try {
    parts = splitMultipartFile(body_file, boundary,
                               [&services] { return services.blobs.newStagingPath(); });
  } catch (const MultipartError& e) {
    throw HttpError(
        400, std::string("the multipart body is malformed: ") + e.what() + "; nothing stored");
  } catch (const std::exception& e) {
    spdlog::error("STOW-RS from {}: cannot split the upload: {}", req.peer, e.what());
    throw HttpError(503,
                    "the hub could not unpack the upload on disk; nothing stored, retry "
                    "later");
  }
  removeQuietly(body_file);
  staged.paths.clear();
  for (const auto& p : parts) staged.paths.push_back(p.path);
  if (parts.empty()) throw HttpError(400, "the multipart body holds no part; nothing stored");

  IngestSource source{"STOW-RS", "", peerAddress(req.peer)};
  if (req.principal && req.principal->role != Role::kOpen) {
    // A CIM-bound caller (technologist, L1 radiologist, gateway token) stores only its own
    // centre's images; ingest refuses the others' (kNotAuthorized) and audits the refusal.
    source.scope = cimScopeOf(*req.principal);
    const AuditActor who = requestActor(req);
    source.sender = who.actor;
    source.actor = who.actor;
    source.actor_role = who.role;
  }
  std::vector<Outcome> outcomes;
  for (size_t i = 0; i < parts.size(); ++i) {
    const StagedPart& part = parts[i];
    Outcome o;
    const std::string label = "part " + std::to_string(i + 1);
    const auto part_type = parseMediaType(
        part.headers.count("content-type") ? part.headers.at("content-type") : "application/dicom");
    if (!part_type || part_type->type != "application/dicom") {
      o.reason = kReasonCannotUnderstand;
      o.sentence = label + " is " +
                   headerSafe(part.headers.count("content-type") ? part.headers.at("content-type")
                                                                 : "of no type",
                              60) +
                   ", not application/dicom; not stored";
      removeQuietly(part.path);
      outcomes.push_back(std::move(o));
      continue;
    }
    if (!path_study.empty()) {
      try {
        const InstanceSummary s =
            readInstanceSummary(part.path, services.ingest.options().accepted_sop_classes);
        if (s.study_instance_uid != path_study) {
          o.sop_class = s.sop_class_uid;
          o.sop_uid = s.sop_instance_uid;
          o.reason = kReasonStudyMismatch;
          o.sentence = label + " (instance " + s.sop_instance_uid + ") belongs to study " +
                       s.study_instance_uid + ", not to study " + path_study +
                       " named in the URL; not stored";
          removeQuietly(part.path);
          outcomes.push_back(std::move(o));
          continue;
        }
      } catch (const std::exception&) {
        // Unreadable or refused: ingest gives the reason below.
      }
    }
    const IngestResult r = services.ingest.ingestStagedFile(part.path, source, part.sha256);
    o.sop_class = r.summary.sop_class_uid;
    o.sop_uid = r.summary.sop_instance_uid;
    o.study_uid = r.summary.study_instance_uid;
    o.series_uid = r.summary.series_instance_uid;
    o.ok = r.ok();
    if (!o.ok) {
      o.reason = reasonOf(r);
      o.sentence =
          label + (o.sop_uid.empty() ? "" : " (instance " + o.sop_uid + ")") + ": " + r.message;
    }
    outcomes.push_back(std::move(o));
  }
  // Every part went to ingest (which owns it) or was removed.
  staged.paths.clear();

  json referenced = json::array(), failed = json::array();
  std::set<std::string> studies;
  Headers headers;
  size_t warnings = 0;
  for (const auto& o : outcomes) {
    json item = sopItem(o);
    if (o.ok) {
      dj::putText(item, "00081190", "UR", instanceUrl(req, o.study_uid, o.series_uid, o.sop_uid));
      referenced.push_back(std::move(item));
      studies.insert(o.study_uid);
    } else {
      dj::putNumber(item, "00081197", "US", o.reason);
      failed.push_back(std::move(item));
      if (warnings++ < kMaxWarnings)
        headers.emplace_back("Warning", "299 dualread \"" + headerSafe(o.sentence) + "\"");
    }
  }
  if (warnings > kMaxWarnings)
    headers.emplace_back("Warning", "299 dualread \"" + std::to_string(warnings - kMaxWarnings) +
                                        " more parts were not stored\"");
  json body = json::object();
  const std::string study_url = !path_study.empty()   ? path_study
                                : studies.size() == 1 ? *studies.begin()
                                                      : std::string();
  if (!study_url.empty()) dj::putText(body, "00081190", "UR", studyUrl(req, study_url));
  if (!failed.empty()) body["00081198"] = {{"vr", "SQ"}, {"Value", failed}};
  if (!referenced.empty()) body["00081199"] = {{"vr", "SQ"}, {"Value", referenced}};
  const int status = failed.empty() ? 200 : referenced.empty() ? 409 : 202;
  spdlog::info("STOW-RS from {}: {} parts ({} bytes), {} stored or already stored, {} refused",
               req.peer, parts.size(), received, referenced.size(), failed.size());
  sendJson(w, status, body, "application/dicom+json", std::move(headers));
}

}  // namespace

void addStowRoutes(Router& router, HubServices& services) {
  HubServices* s = &services;
  router.add("POST", "/dicomweb/studies", "STOW-RS: store instances",
             [s](HttpRequest& req, ResponseWriter& w) { storeInstances(*s, req, w, ""); });
  router.add("POST", "/dicomweb/studies/{study}", "STOW-RS: store instances of one study",
             [s](HttpRequest& req, ResponseWriter& w) {
               storeInstances(*s, req, w, uidParam(req, "study", "Study Instance UID"));
             });
}

}  // namespace dualread::http
