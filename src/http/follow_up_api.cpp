// REST API of the follow-up of positives and of the programme indicators: what came back for a
// positive exam (deferred work-up, biopsy, pathology, treatment), the reminders due, and the
// indicators per period, CIM and reader as JSON or CSV. Errors as in workflow_api.cpp: 400
// {"error", "errors": [{field, message}]}, 404 unknown exam, 409 when the exam is not followed.

#include <nlohmann/json.hpp>

#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"
#include "services/follow_up_service.h"
#include "services/indicator_service.h"

namespace dualread::http {
namespace {

using nlohmann::json;

FollowUpService& followUpOf(HubServices& s) {
  if (!s.follow_up)
    throw HttpError(503, "the follow-up of positives is not running in this process");
  return *s.follow_up;
}

json readJson(HttpRequest& req) {
  const std::string type = req.header("content-type");
  if (!type.empty() && type.rfind("application/json", 0) != 0)
    throw HttpError(415, "send the body as application/json");
  std::string text;
  char buf[16384];
  while (size_t n = req.body->read(buf, sizeof buf)) {
    text.append(buf, n);
    if (text.size() > (1u << 20)) throw HttpError(413, "the JSON body is larger than 1 MB");
  }
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw HttpError(400, "the body is not valid JSON");
  return j;
}

std::optional<Date> dateParam(const HttpRequest& req, const std::string& name) {
  for (const auto& [k, v] : req.query)
    if (k == name) {
      auto d = parseIsoDate(v);
      if (!d) throw HttpError(400, name + " must be a date (YYYY-MM-DD)");
      return d;
    }
  return std::nullopt;
}

}  // namespace

void addFollowUpRoutes(Router& router, HubServices& services) {
  auto& s = services;
  const auto exam = [](const HttpRequest& req) {
    return uidParam(req, "study", "exam id (Study Instance UID)");
  };
  router.add("GET", "/api/exams/{study}/follow-up",
             "the follow-up of a positive exam: work-ups, pathology, status, reminder due",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               if (!acceptsAny(req.header("accept"), {"application/json"}))
                 throw HttpError(406, "this resource is only available as application/json");
               requireKnownParams(req, {});
               const std::string id = exam(req);
               const WorkflowResult r = followUpOf(s).get(id);
               if (r.status == WorkflowStatus::kOk) {
                 const std::string woman = r.body.value("woman_id", "");
                 auditRead(s, req, "read-follow-up", "exam", id,
                           woman.empty() ? std::nullopt : std::optional<std::string>(woman));
               }
               sendWorkflowResult(w, r);
             });
  router.add("POST", "/api/exams/{study}/follow-up",
             "record what came back for a positive exam (BDD, biopsy, pathology, treatment)",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               if (!acceptsAny(req.header("accept"), {"application/json"}))
                 throw HttpError(406, "this resource is only available as application/json");
               requireKnownParams(req, {});
               const std::string id = exam(req);
               sendWorkflowResult(w, followUpOf(s).record(id, readJson(req), requestActor(req)));
             });
  router.add("GET", "/api/follow-up/reminders",
             "positive cases whose reminder is due (nothing came back in time)",
             [&s](HttpRequest& req, ResponseWriter& w) {
               if (!acceptsAny(req.header("accept"), {"application/json"}))
                 throw HttpError(406, "this resource is only available as application/json");
               requireKnownParams(req, {});
               sendWorkflowResult(w, followUpOf(s).reminders());
             });
  router.add("GET", "/api/indicators",
             "programme indicators per period, CIM and reader (JSON, or CSV with format=csv)",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {"from", "to", "cim", "format"});
               if (!s.indicators)
                 throw HttpError(503, "the indicators are not available in this process");
               IndicatorQuery q;
               q.from = dateParam(req, "from");
               q.to = dateParam(req, "to");
               std::string format = "json";
               for (const auto& [k, v] : req.query) {
                 if (k == "cim") q.cim_id = v;
                 if (k == "format") format = v;
               }
               if (q.from && q.to && *q.from > *q.to)
                 throw HttpError(400, "from must not be after to");
               if (format == "csv") {
                 if (!acceptsAny(req.header("accept"), {"text/csv"}))
                   throw HttpError(406, "format=csv answers text/csv");
                 return w.send(200, {{"Content-Type", "text/csv; charset=utf-8"}},
                               s.indicators->indicatorsCsv(q));
               }
               if (format != "json") throw HttpError(400, "format must be json or csv");
               if (!acceptsAny(req.header("accept"), {"application/json"}))
                 throw HttpError(406, "this resource is only available as application/json");
               sendJson(w, 200, s.indicators->indicatorsJson(q));
             });
}

}  // namespace dualread::http
