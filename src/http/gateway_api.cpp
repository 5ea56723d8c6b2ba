// The hub's end of the gateway protocol (application/json unless said otherwise), thin over
// services/GatewayReceiver:
//   POST  /api/gateway/uploads        create (or find) the upload of one instance
//   GET   /api/gateway/uploads/{upload} its durable offset (Upload-Offset header and body)
//   PATCH /api/gateway/uploads/{upload} bytes from Upload-Offset (application/offset+octet-stream)
//   POST  /api/gateway/manifests      announce an exam; acknowledged when all is verified
//   GET   /api/ledger                 reconciliation ledger per CIM per day
// Protocol refusals: 400 bad field, 403 a gateway acting for another CIM than the one its
// credentials are bound to (audited), 404 unknown upload, 409 offset mismatch (Upload-Offset
// gives the hub's) or refused content, 503 hub cannot store now (retry).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "domain/cim_scope.h"
#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"
#include "services/gateway_receiver.h"

namespace dualread::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxManifestBody = 8 << 20;  // thousands of instances
constexpr size_t kPieceBytes = 16 << 10;

GatewayReceiver& receiverOf(HubServices& s) {
  if (!s.gateway) throw HttpError(503, "the gateway receiver is not running in this process");
  return *s.gateway;
}

std::string str(const json& j, const char* key, bool required = true) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (required) throw HttpError(400, std::string("'") + key + "' is required");
    return {};
  }
  if (!it->is_string()) throw HttpError(400, std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

bool boolean(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return false;
  if (!it->is_boolean()) throw HttpError(400, std::string("'") + key + "' must be true or false");
  return it->get<bool>();
}

// The sender of an upload: a CIM-bound caller (a gateway token) stores only its centre's images
// (an image of another centre is refused by ingest); administrators and --open send for any.
UploadSender uploadSender(const HttpRequest& req) {
  UploadSender s;
  if (!req.principal || req.principal->role == Role::kOpen) return s;
  s.scope = cimScopeOf(*req.principal);
  const AuditActor who = requestActor(req);
  s.actor = who.actor;
  s.actor_role = who.role;
  return s;
}

// A gateway's credentials (its token; a client certificate once mapped to an account) are bound
// to one CIM: it may only send, announce and resume for that CIM. Administrators and --open
// act for any. A refusal is audited (who, which CIM it claimed, from where) before the 403.
void requireOwnCim(HubServices& services, const HttpRequest& req, const std::string& cim,
                   const char* object_type, const std::string& object_id) {
  const Principal* p = req.principal.get();
  if (!p || cimScopeOf(*p).covers(cim)) return;
  std::string bound;
  for (const auto& c : p->cims) bound += (bound.empty() ? "" : ", ") + c;
  const std::string why = "these credentials belong to the gateway of " +
                          (bound.empty() ? std::string("no imaging centre") : bound) +
                          "; they may not act for imaging centre '" + cim.substr(0, 64) +
                          "': nothing was stored";
  auditRead(services, req, "gateway.cim-refused", object_type, object_id, std::nullopt,
            {{"claimed_cim", cim.substr(0, 64)}, {"bound_cims", p->cims}});
  spdlog::warn("Refused {} {} from {} ({}): it claimed imaging centre '{}' but is bound to {}",
               req.method, req.path.substr(0, 120), p->login, req.peer, cim.substr(0, 64),
               bound.empty() ? "none" : bound);
  throw HttpError(403, why);
}

// Translates a protocol refusal.
[[noreturn]] void rethrow(const GatewayProtocolError& e) {
  using K = GatewayProtocolError::Kind;
  switch (e.kind()) {
    case K::kBadRequest:
      throw HttpError(400, e.what());
    case K::kNotFound:
      throw HttpError(404, std::string("unknown upload: ") + e.what());
    case K::kOffsetMismatch:
      throw HttpError(409, e.what(),
                      {{"Upload-Offset", std::to_string(e.offset())}, {"Tus-Resumable", "1.0.0"}});
    case K::kConflict:
      throw HttpError(409, e.what());
    case K::kUnavailable:
    default:
      throw HttpError(503, e.what(), {{"Retry-After", "10"}});
  }
}

json uploadJson(const UploadRow& r) {
  json j = {{"upload_id", r.upload_id},
            {"sop_instance_uid", r.sop_uid},
            {"study_instance_uid", r.study_uid},
            {"size", r.size},
            {"offset", r.offset},
            {"state", r.state},
            {"sha256", r.sha256},
            {"original_sha256", r.original_sha256},
            {"pixel_sha256", r.pixel_sha256},
            {"prior", r.prior}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.stored_at.empty()) j["stored_at"] = r.stored_at;
  return j;
}

Headers offsetHeaders(const UploadRow& r) {
  return {{"Upload-Offset", std::to_string(r.offset)},
          {"Upload-Length", std::to_string(r.size)},
          {"Tus-Resumable", "1.0.0"},
          {"Cache-Control", "no-store"}};
}

std::string validDay(const std::string& v, const char* name) {
  if (v.empty()) return v;
  const bool ok =
      v.size() == 10 && v[4] == '-' && v[7] == '-' &&
      std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(c) || c == '-'; });
  if (!ok) throw HttpError(400, std::string("'") + name + "' must be a date YYYY-MM-DD");
  return v;
}

}  // namespace

void addGatewayRoutes(Router& router, HubServices& services) {
  router.add("POST", "/api/gateway/uploads", "create or find the resumable upload of one instance",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               auto& rx = receiverOf(services);
               const json j = readJsonBody(req, 64 << 10, true);
               UploadRequest q;
               q.cim = str(j, "cim");
               q.sop_instance_uid = str(j, "sop_instance_uid");
               requireOwnCim(services, req, q.cim, "gateway-upload", q.sop_instance_uid);
               q.study_instance_uid = str(j, "study_instance_uid");
               auto size = j.find("size");
               if (size == j.end() || !size->is_number_unsigned())
                 throw HttpError(400, "'size' must be the number of bytes to upload");
               q.size = size->get<uint64_t>();
               q.sha256 = str(j, "sha256");
               q.original_sha256 = str(j, "original_sha256");
               q.pixel_sha256 = str(j, "pixel_sha256", false);
               q.transfer_syntax = str(j, "transfer_syntax", false);
               q.prior = boolean(j, "prior");
               UploadRow r;
               try {
                 r = rx.create(q);
               } catch (const GatewayProtocolError& e) {
                 rethrow(e);
               }
               Headers h = offsetHeaders(r);
               h.emplace_back("Location", "/api/gateway/uploads/" + r.upload_id);
               const bool fresh = r.state == "receiving" && r.offset == 0;
               sendJson(w, fresh ? 201 : 200, uploadJson(r), "application/json", h);
             });
  router.add("GET", "/api/gateway/uploads/{upload}",
             "an upload's state and the offset the hub has made durable",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               auto& rx = receiverOf(services);
               if (auto owner = rx.ledger().upload(req.param("upload")))
                 requireOwnCim(services, req, owner->cim, "gateway-upload", owner->sop_uid);
               UploadRow r;
               try {
                 r = rx.status(req.param("upload"), uploadSender(req));
               } catch (const GatewayProtocolError& e) {
                 rethrow(e);
               }
               sendJson(w, 200, uploadJson(r), "application/json", offsetHeaders(r));
             });
  router.add("PATCH", "/api/gateway/uploads/{upload}",
             "append bytes to an upload from Upload-Offset",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               auto& rx = receiverOf(services);
               if (auto owner = rx.ledger().upload(req.param("upload")))
                 requireOwnCim(services, req, owner->cim, "gateway-upload", owner->sop_uid);
               const std::string type = lower(req.header("content-type"));
               if (type.rfind("application/offset+octet-stream", 0) != 0)
                 throw HttpError(415, "send the bytes as application/offset+octet-stream");
               const auto offset = parseNonNegative(trim(req.header("upload-offset")));
               if (!offset)
                 throw HttpError(400, "the Upload-Offset header (a byte count) is required");
               UploadRow r;
               try {
                 r = rx.append(
                     req.param("upload"), static_cast<uint64_t>(*offset),
                     [&req](char* buf, size_t n) {
                       // The server's read() waits until it has filled what it is given: small
                       // pieces keep what arrived before a cut, and let the receiver confirm on a
                       // slow link.
                       return req.body->read(buf, std::min<size_t>(n, kPieceBytes));
                     },
                     req.peer, uploadSender(req));
               } catch (const GatewayProtocolError& e) {
                 rethrow(e);
               }
               if (r.state == "receiving") {
                 w.send(204, offsetHeaders(r), "");
               } else {
                 sendJson(w, 200, uploadJson(r), "application/json", offsetHeaders(r));
               }
             });
  router.add(
      "POST", "/api/gateway/manifests",
      "announce an exam's instances; acknowledged once every one is stored and verified",
      [&services](HttpRequest& req, ResponseWriter& w) {
        requireKnownParams(req, {});
        auto& rx = receiverOf(services);
        const json j = readJsonBody(req, kMaxManifestBody, true);
        Manifest m;
        m.cim = str(j, "cim");
        m.study_instance_uid = str(j, "study_instance_uid");
        requireOwnCim(services, req, m.cim, "gateway-manifest", m.study_instance_uid);
        m.prior = boolean(j, "prior");
        if (auto d = j.find("dismissed"); d != j.end() && !d->is_null()) {
          if (!d->is_object())
            throw HttpError(400, "'dismissed' must be an object with the reason, who and when");
          m.dismissal = Dismissal{str(*d, "reason"), str(*d, "by", false), str(*d, "at", false)};
        }
        auto list = j.find("instances");
        if (list == j.end() || !list->is_array())
          throw HttpError(400, "'instances' must be the list of the exam's instances");
        for (const auto& i : *list) {
          if (!i.is_object()) throw HttpError(400, "each instance must be a JSON object");
          m.instances.push_back({str(i, "sop_instance_uid"), str(i, "sha256"),
                                 str(i, "original_sha256"), str(i, "pixel_sha256", false)});
        }
        auto count = j.find("instance_count");
        if (count != j.end() &&
            (!count->is_number_unsigned() || count->get<uint64_t>() != m.instances.size()))
          throw HttpError(400, "'instance_count' does not match the number of instances listed");
        ManifestOutcome o;
        try {
          o = rx.manifest(m);
        } catch (const GatewayProtocolError& e) {
          rethrow(e);
        }
        json refused = json::array();
        for (const auto& [uid, why] : o.refused)
          refused.push_back({{"sop_instance_uid", uid}, {"reason", why}});
        if (o.dismissed)
          auditRead(services, req, "gateway.exam-dismissed", "exam", m.study_instance_uid,
                    womanOfStudy(services, m.study_instance_uid),
                    {{"cim", m.cim},
                     {"reason", m.dismissal->reason},
                     {"by", m.dismissal->by},
                     {"at", m.dismissal->at},
                     {"images_missing", o.missing.size() + o.refused.size()}});
        json body = {{"study_instance_uid", m.study_instance_uid},
                     {"status", o.dismissed          ? "dismissed"
                                : o.acknowledged     ? "acknowledged"
                                : !o.refused.empty() ? "refused"
                                                     : "incomplete"},
                     {"missing", o.missing},
                     {"refused", refused},
                     {"complete", o.complete}};
        if (o.acknowledged) body["acknowledged_at"] = o.acknowledged_at;
        sendJson(w, 200, body);
      });
  router.add("GET", "/api/ledger",
             "reconciliation ledger per CIM per day: announced, received, acknowledged, complete",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {"cim", "from", "to", "day"});
               auto& rx = receiverOf(services);
               std::string cim, from, to, day;
               for (const auto& [k, v] : req.query) {
                 if (k == "cim") cim = v;
                 if (k == "from") from = validDay(v, "from");
                 if (k == "to") to = validDay(v, "to");
                 if (k == "day") day = validDay(v, "day");
               }
               if (!day.empty()) from = to = day;
               json days = json::array();
               for (const auto& d : rx.ledger().ledger(cim, from, to)) {
                 json line = {{"cim", d.cim},
                              {"day", d.day},
                              {"announced_exams", d.announced_exams},
                              {"announced_instances", d.announced_instances},
                              {"received_instances", d.received_instances},
                              {"refused_instances", d.refused_instances},
                              {"acknowledged_exams", d.acknowledged_exams},
                              {"complete_exams", d.complete_exams},
                              {"dismissed_exams", d.dismissed_exams},
                              {"received_bytes", d.received_bytes}};
                 if (!day.empty()) {
                   json exams = json::array();
                   for (const auto& e : rx.ledger().exams(d.cim, d.day)) {
                     json x = {{"study_instance_uid", e.study_uid},
                               {"state", e.state},
                               {"instance_count", e.instance_count},
                               {"prior", e.prior},
                               {"announced_at", e.announced_at},
                               {"acknowledged_at", e.acknowledged_at},
                               {"complete", e.complete},
                               {"missing_count", e.missing_count}};
                     if (e.state == "dismissed")
                       x["dismissal"] = {{"reason", e.dismissed_reason},
                                         {"by", e.dismissed_by},
                                         {"at", e.dismissed_at}};
                     exams.push_back(std::move(x));
                   }
                   line["exams"] = exams;
                 }
                 days.push_back(line);
               }
               sendJson(w, 200, {{"days", days}});
             });
}

}  // namespace dualread::http
