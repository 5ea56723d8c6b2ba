// REST API of the screening workflow (application/json unless said otherwise): the L1 reading
// form of an exam and its signature, the exam's workflow, its CDA export, L2 reading sessions,
// the CTI worklist of a CIM and the L3 queue. Handlers translate WorkflowService results:
// 400 {"error", "errors": [{field, message}]} for invalid input or a refused transition, 404
// for an unknown exam or session, 409 when the exam's state does not accept the action at all.

#include <nlohmann/json.hpp>

#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"

namespace dualread::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxJsonBody = 1 << 20;  // a reading form is a few kB

WorkflowService& workflowOf(HubServices& services) {
  if (!services.workflow)
    throw HttpError(503, "the screening workflow is not running in this process");
  return *services.workflow;
}

json readJsonBody(HttpRequest& req) { return http::readJsonBody(req, kMaxJsonBody, false); }

void requireJsonAccept(const HttpRequest& req) {
  if (!acceptsAny(req.header("accept"), {"application/json"}))
    throw HttpError(406, "this resource is only available as application/json");
}

void requireNoParams(const HttpRequest& req) {
  if (!req.query.empty())
    throw HttpError(400, "unknown query parameter '" + headerSafe(req.query.front().first, 60) +
                             "'; this resource takes none");
}

// The only query parameter `name`, required; 400 otherwise.
std::string requiredParam(const HttpRequest& req, const std::string& name) {
  std::string value;
  for (const auto& [k, v] : req.query) {
    if (k != name)
      throw HttpError(400, "unknown query parameter '" + headerSafe(k, 60) + "'; known: " + name);
    value = v;
  }
  if (value.empty()) throw HttpError(400, "the query parameter '" + name + "' is required");
  return value;
}

std::string sessionParam(const HttpRequest& req) {
  const std::string& id = req.param("session");
  if (id.size() > 64) throw HttpError(400, "'" + headerSafe(id, 40) + "' is not a session id");
  return id;
}

// Records the read of an exam's workflow data before it is served (503 when it cannot be).
// `r` is the answer about to be sent; the woman comes from it or from the exam's workflow.
void auditExamRead(HubServices& s, const HttpRequest& req, const std::string& action,
                   const std::string& exam_id, const WorkflowResult& r) {
  std::string woman;
  if (r.body.is_object() && r.body.contains("woman_id") && r.body["woman_id"].is_string()) {
    woman = r.body["woman_id"].get<std::string>();
  } else if (auto wf = workflowOf(s).workflow(exam_id); wf.status == WorkflowStatus::kOk) {
    woman = wf.body.value("woman_id", "");
  }
  auditRead(s, req, action, "exam", exam_id,
            woman.empty() ? womanOfStudy(s, exam_id) : std::optional<std::string>(woman));
}

}  // namespace

void addWorkflowRoutes(Router& router, HubServices& services) {
  auto& s = services;
  const auto exam = [](const HttpRequest& req) {
    return uidParam(req, "study", "exam id (Study Instance UID)");
  };

  router.add("GET", "/api/exams/{study}/workflow", "an exam's workflow state, history, missing",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               const std::string id = exam(req);
               const WorkflowResult r = workflowOf(s).workflow(id);
               if (r.status == WorkflowStatus::kOk) auditExamRead(s, req, "read-workflow", id, r);
               sendWorkflowResult(w, r);
             });
  router.add("PUT", "/api/exams/{study}/l1-form", "store the exam's L1 reading form (unsigned)",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               const std::string id = exam(req);
               sendWorkflowResult(
                   w, workflowOf(s).putL1Form(id, readJsonBody(req), requestActor(req)));
             });
  router.add("GET", "/api/exams/{study}/l1-form", "the exam's L1 reading form and signature",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               const std::string id = exam(req);
               const WorkflowResult r = workflowOf(s).getL1Form(id);
               if (r.status == WorkflowStatus::kOk) auditExamRead(s, req, "read-l1-form", id, r);
               sendWorkflowResult(w, r);
             });
  router.add("POST", "/api/exams/{study}/l1-form/sign", "sign the L1 reading form",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               const std::string id = exam(req);
               sendWorkflowResult(
                   w, workflowOf(s).signL1Form(id, readJsonBody(req), requestActor(req)));
             });
  router.add("GET", "/api/exams/{study}/cda", "the reading form as HL7 CDA R2 (XML)",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               requireNoParams(req);
               if (!acceptsAny(req.header("accept"), {"application/xml", "text/xml"}))
                 throw HttpError(406, "this resource is only available as application/xml");
               const std::string id = exam(req);
               const WorkflowResult r = workflowOf(s).cda(id);
               if (r.status != WorkflowStatus::kOk) return sendWorkflowResult(w, r);
               auditExamRead(s, req, "read-cda", id, r);
               w.send(200, {{"Content-Type", "application/xml; charset=utf-8"}},
                      r.body["xml"].get<std::string>());
             });
  router.add("POST", "/api/exams/{study}/l3", "record the L3/consensus decision",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               const std::string id = exam(req);
               sendWorkflowResult(w,
                                  workflowOf(s).decideL3(id, readJsonBody(req), requestActor(req)));
             });
  router.add("GET", "/api/l3", "exams awaiting an L3/consensus decision",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               sendWorkflowResult(w, workflowOf(s).l3Queue());
             });
  router.add("GET", "/api/cti", "a CIM's worklist of open CTI (retake) requests",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               sendWorkflowResult(w, workflowOf(s).ctiWorklist(requiredParam(req, "cim")));
             });

  router.add("POST", "/api/sessions/deal", "deal the exams awaiting L2 into reading sessions",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               readJsonBody(req);  // no options yet; drained so the connection stays usable
               sendWorkflowResult(w, workflowOf(s).dealSessions(requestActor(req)));
             });
  router.add("GET", "/api/sessions", "reading sessions of an L2 reader",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               std::string reader;
               for (const auto& [k, v] : req.query) {
                 if (k != "reader")
                   throw HttpError(
                       400, "unknown query parameter '" + headerSafe(k, 60) + "'; known: reader");
                 reader = v;
               }
               sendWorkflowResult(w, workflowOf(s).sessions(reader));
             });
  router.add("GET", "/api/sessions/{session}", "one reading session with its exams",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               sendWorkflowResult(w, workflowOf(s).session(sessionParam(req)));
             });
  router.add("GET", "/api/sessions/{session}/next", "the exam to read now in the session",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               sendWorkflowResult(w, workflowOf(s).next(sessionParam(req)));
             });
  router.add("POST", "/api/sessions/{session}/readings",
             "sign the L2 reading of the session's current exam",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               const std::string id = sessionParam(req);
               sendWorkflowResult(
                   w, workflowOf(s).submitReading(id, readJsonBody(req), requestActor(req)));
             });
  router.add("POST", "/api/sessions/{session}/skip", "hand the current exam back to the pool",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               const std::string id = sessionParam(req);
               sendWorkflowResult(w, workflowOf(s).skip(id, readJsonBody(req), requestActor(req)));
             });
  router.add("GET", "/api/sessions/{session}/summary", "end-of-session discordance summary",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireNoParams(req);
               sendWorkflowResult(w, workflowOf(s).sessionSummary(sessionParam(req)));
             });
}

}  // namespace dualread::http
