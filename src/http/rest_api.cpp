// REST API (application/json) over the exam service and the index: exams, a woman's exams,
// quarantine, statistics; and /healthz. Error bodies are {"error": "<sentence>"}.

#include <nlohmann/json.hpp>

#include "dicom/instance_reader.h"
#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"
#include "services/audit_service.h"

namespace dualread::http {
namespace {

using nlohmann::json;

// Optional non-negative integer query parameter, capped; throws HttpError(400).
int64_t intParam(const HttpRequest& req, const std::string& name, int64_t def, int64_t min,
                 int64_t max) {
  int64_t value = def;
  bool seen = false;
  for (const auto& [k, v] : req.query) {
    if (k != name) continue;
    if (seen) throw HttpError(400, "the query parameter '" + name + "' is given twice");
    seen = true;
    auto n = parseNonNegative(v);
    if (!n || *n < min || *n > max)
      throw HttpError(400, "the query parameter '" + name + "' must be an integer from " +
                               std::to_string(min) + " to " + std::to_string(max));
    value = *n;
  }
  return value;
}

void requireJsonAccept(const HttpRequest& req) {
  if (!acceptsAny(req.header("accept"), {"application/json"}))
    throw HttpError(406, "this resource is only available as application/json");
}

}  // namespace

void addSystemRoutes(Router& router, HubServices& services) {
  router.add("GET", "/healthz", "liveness and readiness of the hub",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               json body = {{"status", "ok"}, {"version", DUALREAD_VERSION}};
               try {
                 body["schema_version"] = services.index.schemaVersion();
               } catch (const std::exception& e) {
                 sendJson(
                     w, 503,
                     {{"status", "unavailable"},
                      {"error", std::string("the archive index cannot be read: ") + e.what()}});
                 return;
               }
               sendJson(w, 200, body);
             });
}

void addRestRoutes(Router& router, HubServices& services) {
  router.add("GET", "/api/exams/{study}", "one exam: woman, views, missing views, problems",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               const std::string uid = uidParam(req, "study", "Study Instance UID");
               auto exam = services.exams.exam(uid);
               if (!exam)
                 throw HttpError(
                     404, "no exam with Study Instance UID " + uid + " is stored in this hub");
               auditRead(services, req, "read", "exam", uid, womanOfStudy(services, uid));
               sendJson(w, 200, *exam);
             });

  router.add("GET", "/api/exams", "exams by status (incomplete, complete, needs-review)",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {"status", "limit", "offset"});
               std::string status;
               for (const auto& [k, v] : req.query)
                 if (k == "status") status = v;
               if (!status.empty() && status != "incomplete" && status != "complete" &&
                   status != "needs-review")
                 throw HttpError(400, "unknown exam status '" + headerSafe(status, 40) +
                                          "'; use incomplete, complete or needs-review");
               const int64_t limit = intParam(req, "limit", 50, 1, 1000);
               const int64_t offset = intParam(req, "offset", 0, 0, int64_t{1} << 40);
               sendJson(w, 200, services.exams.listExams(status, limit, offset));
             });

  router.add("GET", "/api/women/{woman}/exams", "a woman's exams across rounds (priors)",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               const std::string& raw = req.param("woman");
               auto id = parseNonNegative(raw);
               if (!id || *id < 1)
                 throw HttpError(
                     400, "'" + headerSafe(raw, 40) + "' is not a woman id (a positive integer)");
               auto exams = services.exams.womanExams(*id);
               if (!exams)
                 throw HttpError(
                     404, "no woman with id " + std::to_string(*id) + " is known to this hub");
               const std::string woman = std::to_string(*id);
               auditRead(services, req, "read-exams", "woman", woman, woman);
               sendJson(w, 200, *exams);
             });

  router.add("GET", "/api/audit", "the audit trail, newest first (a woman's access history)",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {"woman", "limit", "offset"});
               if (!services.audit)
                 throw HttpError(503, "the audit trail is not open in this process");
               AuditQuery q;
               for (const auto& [k, v] : req.query) {
                 if (k != "woman") continue;
                 auto id = parseNonNegative(v);
                 if (!id || *id < 1)
                   throw HttpError(
                       400, "'" + headerSafe(v, 40) + "' is not a woman id (a positive integer)");
                 q.woman_id = std::to_string(*id);
               }
               q.limit = intParam(req, "limit", 100, 1, 1000);
               q.offset = intParam(req, "offset", 0, 0, int64_t{1} << 40);
               q.newest_first = true;
               json entries = json::array();
               for (const auto& e : services.audit->query(q)) {
                 json detail = json::parse(e.detail, nullptr, false);
                 entries.push_back({{"seq", e.seq},
                                    {"time", e.time},
                                    {"actor", e.actor},
                                    {"role", e.role},
                                    {"action", e.action},
                                    {"object_type", e.object_type},
                                    {"object_id", e.object_id},
                                    {"woman_id", e.woman_id ? json(*e.woman_id) : json(nullptr)},
                                    {"source", e.source},
                                    {"detail", detail.is_discarded() ? json(e.detail) : detail},
                                    {"prev_hash", e.prev_hash},
                                    {"entry_hash", e.entry_hash}});
               }
               sendJson(w, 200, {{"entries", entries}, {"limit", q.limit}, {"offset", q.offset}});
             });

  router.add("GET", "/api/quarantine", "objects held in quarantine, with the reason",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {"limit", "offset"});
               const int64_t limit = intParam(req, "limit", 100, 1, 1000);
               const int64_t offset = intParam(req, "offset", 0, 0, int64_t{1} << 40);
               json body = services.exams.quarantine(limit, offset);
               body["limit"] = limit;
               body["offset"] = offset;
               sendJson(w, 200, body);
             });

  router.add("GET", "/api/stats", "archive totals and ingest counters since start",
             [&services](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               const auto t = services.index.totals();
               const auto& c = services.ingest.counters();
               sendJson(w, 200,
                        {{"index",
                          {{"women", t.women},
                           {"patients", t.patients},
                           {"studies", t.studies},
                           {"series", t.series},
                           {"instances", t.instances},
                           {"quarantined", t.quarantined},
                           {"bytes", t.bytes}}},
                         {"ingest",
                          {{"stored", c.stored.load()},
                           {"duplicates", c.duplicates.load()},
                           {"conflicts", c.conflicts.load()},
                           {"quarantined", c.quarantined.load()},
                           {"rejected", c.rejected.load()},
                           {"failed", c.failed.load()},
                           {"bytes", c.bytes.load()}}}});
             });
}

void registerHubRoutes(Router& router, HubServices& services) {
  addSystemRoutes(router, services);
  addQidoRoutes(router, services);
  addWadoRoutes(router, services);
  addStowRoutes(router, services);
  addRestRoutes(router, services);
  addWorkflowRoutes(router, services);
  addResultsRoutes(router, services);
  addFollowUpRoutes(router, services);
  addIdentityRoutes(router, services);
  addAccessRoutes(router, services);
  addAdminRoutes(router, services);
  addPortalRoutes(router, services);
  addGatewayRoutes(router, services);
  setStaticFallback(router, services);
}

}  // namespace dualread::http
