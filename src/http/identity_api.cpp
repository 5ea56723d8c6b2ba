// REST API of identity vigilance (application/json): the identity queue (cases with their
// reason, the side-by-side view of incoming traits against candidate women, resolution by
// attaching to a woman or creating one), a woman's identity, merges of two women and their
// undoing, the correction of a woman's traits and its undoing. Errors: 400 {"error"} for invalid
// input, 404 unknown case / woman / merge, 409 when the case is already settled or the merge is
// refused / already undone, 503 when identity vigilance does not run in this process. Every read of
// identity data is audited first.

#include <nlohmann/json.hpp>

#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"
#include "services/identity_service.h"

namespace dualread::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxJsonBody = 64 * 1024;

IdentityService& identityOf(HubServices& services) {
  if (!services.identity) throw HttpError(503, "identity vigilance is not running in this process");
  return *services.identity;
}

json readBody(HttpRequest& req) { return http::readJsonBody(req, kMaxJsonBody, true); }

void requireJson(const HttpRequest& req) {
  if (!acceptsAny(req.header("accept"), {"application/json"}))
    throw HttpError(406, "this resource is only available as application/json");
}

std::string queryValue(const HttpRequest& req, const std::string& name) {
  for (const auto& [k, v] : req.query)
    if (k == name) return v;
  return {};
}

int64_t intQuery(const HttpRequest& req, const std::string& name, int64_t def, int64_t max) {
  const std::string v = queryValue(req, name);
  if (v.empty()) return def;
  auto n = parseNonNegative(v);
  if (!n || *n > max)
    throw HttpError(400, "the query parameter '" + name + "' must be an integer from 0 to " +
                             std::to_string(max));
  return *n;
}

int64_t idParam(const HttpRequest& req, const std::string& name, const char* what) {
  auto n = parseNonNegative(req.param(name));
  if (!n || *n == 0 || req.param(name).size() > 18)
    throw HttpError(400, "'" + headerSafe(req.param(name), 40) + "' is not " + what);
  return *n;
}

void send(ResponseWriter& w, const IdentityResult& r) {
  if (r.status == IdentityStatus::kOk) return sendJson(w, 200, r.body);
  const int status = r.status == IdentityStatus::kNotFound   ? 404
                     : r.status == IdentityStatus::kConflict ? 409
                                                             : 400;
  json body = {{"error", r.error}};
  if (r.body.is_object()) body.update(r.body);  // field errors, conflicts, proposed merge
  sendJson(w, status, body);
}

}  // namespace

void addIdentityRoutes(Router& router, HubServices& services) {
  auto& s = services;
  router.add("GET", "/api/identity/cases", "the identity queue: cases with their reason",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {"status", "limit", "offset"});
               auto& id = identityOf(s);
               const IdentityResult r =
                   id.listCases(queryValue(req, "status"), intQuery(req, "limit", 100, 1000),
                                intQuery(req, "offset", 0, 1000000000));
               if (r.status == IdentityStatus::kOk)
                 auditRead(s, req, "read-identity-queue", "identity-queue", "cases", std::nullopt,
                           {{"count", r.body["items"].size()}});
               send(w, r);
             });
  router.add("GET", "/api/identity/cases/{case}",
             "one identity case side by side: incoming traits against each candidate woman",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {});
               auto& id = identityOf(s);
               const int64_t c = idParam(req, "case", "an identity case id");
               const IdentityResult r = id.caseView(c);
               if (r.status == IdentityStatus::kOk) {
                 auditRead(s, req, "read-identity-case", "identity-case", std::to_string(c),
                           std::nullopt);
                 for (int64_t woman : id.womenOfCase(c))
                   auditRead(s, req, "read-identity-case", "identity-case", std::to_string(c),
                             std::to_string(woman));
               }
               send(w, r);
             });
  router.add("POST", "/api/identity/cases/{case}/resolve",
             "settle an identity case: attach to a woman or create a new woman",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {});
               auto& id = identityOf(s);
               const int64_t c = idParam(req, "case", "an identity case id");
               send(w, id.resolveCase(c, readBody(req), requestActor(req)));
             });
  router.add("GET", "/api/identity/women/{woman}",
             "a woman's identity: INS and status, traits, used names, IPP per CIM, merges",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {});
               auto& id = identityOf(s);
               const int64_t woman = idParam(req, "woman", "a woman id");
               const IdentityResult r = id.woman(woman);
               if (r.status == IdentityStatus::kOk)
                 auditRead(s, req, "read-identity", "woman", std::to_string(woman),
                           std::to_string(woman));
               send(w, r);
             });
  router.add("PUT", "/api/identity/women/{woman}",
             "correct a woman's identity (traits, used names, INS and status), with a reason; "
             "kept in her history, undoable; open cases naming her are matched again",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {});
               auto& id = identityOf(s);
               const int64_t woman = idParam(req, "woman", "a woman id");
               send(w, id.correctWoman(woman, readBody(req), requestActor(req)));
             });
  router.add("POST", "/api/identity/women/{woman}/corrections/{correction}/undo",
             "undo a correction of a woman's identity: her previous traits come back",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {});
               auto& id = identityOf(s);
               const int64_t woman = idParam(req, "woman", "a woman id");
               const int64_t c = idParam(req, "correction", "a correction id");
               send(w, id.undoCorrection(woman, c, readBody(req), requestActor(req)));
             });
  router.add("POST", "/api/identity/merges", "merge two women (reversible)",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {});
               auto& id = identityOf(s);
               send(w, id.mergeWomen(readBody(req), requestActor(req)));
             });
  router.add("GET", "/api/identity/merges/{merge}", "a merge: what it moved, whether in force",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {});
               auto& id = identityOf(s);
               const int64_t m = idParam(req, "merge", "a merge id");
               const IdentityResult r = id.mergeView(m);
               if (r.status == IdentityStatus::kOk) {
                 auditRead(s, req, "read-identity-merge", "woman",
                           std::to_string(r.body["survivor"].get<int64_t>()),
                           std::to_string(r.body["survivor"].get<int64_t>()));
                 auditRead(s, req, "read-identity-merge", "woman",
                           std::to_string(r.body["absorbed"].get<int64_t>()),
                           std::to_string(r.body["absorbed"].get<int64_t>()));
               }
               send(w, r);
             });
  router.add("POST", "/api/identity/merges/{merge}/undo",
             "undo a merge: put back exactly what it moved",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJson(req);
               requireKnownParams(req, {});
               auto& id = identityOf(s);
               const int64_t m = idParam(req, "merge", "a merge id");
               send(w, id.unmerge(m, readBody(req), requestActor(req)));
             });
}

}  // namespace dualread::http
