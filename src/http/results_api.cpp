// REST API of the results after reading: an exam's result marked sent and its file closed, the
// register of invited women (import of the health-insurance invitation file), the daily print
// runs with their letters (combined PDF for the folding machine, one PDF per letter) and the
// overdue results. Errors: 400 {"error", "errors"} for bad input, 404 unknown, 409 when the
// exam's state (or the hub's configuration) does not allow the action, 503 when the service is
// not running. Every download of a letter is recorded in the audit trail before it is served.

#include <nlohmann/json.hpp>

#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"
#include "services/letter_service.h"
#include "services/register_service.h"

namespace dualread::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxCsvBody = 256u << 20;  // ~1 M women per invitation file

WorkflowService& workflowOf(HubServices& s) {
  if (!s.workflow) throw HttpError(503, "the screening workflow is not running in this process");
  return *s.workflow;
}
LetterService& lettersOf(HubServices& s) {
  if (!s.letters) throw HttpError(503, "the letters service is not running in this process");
  return *s.letters;
}
RegisterService& registerOf(HubServices& s) {
  if (!s.register_service)
    throw HttpError(503, "the register of invited women is not available in this process");
  return *s.register_service;
}

void requireJsonAccept(const HttpRequest& req) {
  if (!acceptsAny(req.header("accept"), {"application/json"}))
    throw HttpError(406, "this resource is only available as application/json");
}

std::string param(const HttpRequest& req, const std::string& name) {
  for (const auto& [k, v] : req.query)
    if (k == name) return v;
  return {};
}

void drain(HttpRequest& req) {
  char buf[4096];
  size_t total = 0;
  while (size_t n = req.body->read(buf, sizeof buf)) {
    total += n;
    if (total > (1u << 20)) throw HttpError(413, "this action takes no body");
  }
}

// Letter and run ids are ours: "R20260110-1", "R20260110-1-00001".
std::string idParam(const HttpRequest& req, const std::string& name, const char* what) {
  const std::string& id = req.param(name);
  if (id.empty() || id.size() > 40 ||
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos)
    throw HttpError(400, "'" + headerSafe(id, 40) + "' is not a " + what + " id");
  return id;
}

}  // namespace

void addResultsRoutes(Router& router, HubServices& services) {
  auto& s = services;
  const auto exam = [](const HttpRequest& req) {
    return uidParam(req, "study", "exam id (Study Instance UID)");
  };

  router.add("POST", "/api/exams/{study}/result-sent",
             "mark the exam's result as sent (negative -> result sent, recall -> follow-up)",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               drain(req);
               sendWorkflowResult(w, workflowOf(s).markResultSent(exam(req), requestActor(req)));
             });
  router.add("POST", "/api/exams/{study}/close", "close an exam whose result was sent",
             [&s, exam](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               drain(req);
               sendWorkflowResult(w, workflowOf(s).closeExam(exam(req), requestActor(req)));
             });

  router.add("POST", "/api/register/import",
             "import the invitation file (CSV) into the register of invited women",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {"file_name"});
               const std::string type = req.header("content-type");
               if (type.rfind("text/csv", 0) != 0)
                 throw HttpError(415, "send the invitation file as text/csv");
               RegisterService& reg = registerOf(s);
               std::string text;
               char buf[65536];
               while (size_t n = req.body->read(buf, sizeof buf)) {
                 text.append(buf, n);
                 if (text.size() > kMaxCsvBody)
                   throw HttpError(413, "the invitation file is larger than " +
                                            std::to_string(kMaxCsvBody >> 20) + " MB; split it");
               }
               std::string name = param(req, "file_name");
               if (name.empty()) name = "upload";
               const RegisterImportReport report =
                   reg.importInvitations(text, name, requestActor(req), {});
               json body = report.toJson();
               if (!report.ok) {
                 body["error"] = "the invitation file has " + std::to_string(report.errors.size()) +
                                 " problem(s); nothing was imported";
                 return sendJson(w, 400, body);
               }
               sendJson(w, 200, body);
             });
  router.add("GET", "/api/register", "size of the register of invited women and its imports",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               sendJson(w, 200, {{"women", registerOf(s).size()}});
             });

  router.add("POST", "/api/print-runs",
             "run the daily print: every letter due, one combined PDF, results marked sent",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               drain(req);
               sendWorkflowResult(w, lettersOf(s).printRun(requestActor(req)));
             });
  router.add("GET", "/api/print-runs", "print runs, newest first",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               sendWorkflowResult(w, lettersOf(s).runs());
             });
  router.add("GET", "/api/print-runs/{run}", "one print run with its summary",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {});
               sendWorkflowResult(w, lettersOf(s).run(idParam(req, "run", "print run")));
             });
  router.add("GET", "/api/print-runs/{run}/pdf",
             "the run's combined PDF for the duplex printer and folding machine",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               if (!acceptsAny(req.header("accept"), {"application/pdf"}))
                 throw HttpError(406, "this resource is only available as application/pdf");
               LetterService& letters = lettersOf(s);
               const std::string id = idParam(req, "run", "print run");
               auto run = letters.runRow(id);
               if (!run) throw HttpError(404, "no print run " + id);
               if (run->combined_file.empty())
                 throw HttpError(404, "print run " + id + " printed no letter");
               auditRead(s, req, "download-print-run", "print-run", id, std::nullopt,
                         {{"letters", run->letters}});
               sendPdf(w, letters.fileOf(run->combined_file), id);
             });
  router.add("GET", "/api/letters", "letters of a print run or of an exam",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {"run", "exam"});
               const std::string run = param(req, "run"), exam_id = param(req, "exam");
               if (run.empty() && exam_id.empty())
                 throw HttpError(400, "give 'run' (a print run id) or 'exam' (an exam id)");
               const WorkflowResult r = lettersOf(s).letters(run, exam_id);
               if (!exam_id.empty() && !r.body["items"].empty())
                 auditRead(s, req, "list-letters", "exam", exam_id,
                           r.body["items"][0]["woman_id"].get<std::string>());
               sendWorkflowResult(w, r);
             });
  router.add("GET", "/api/letters/{letter}/pdf", "one letter as PDF",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               if (!acceptsAny(req.header("accept"), {"application/pdf"}))
                 throw HttpError(406, "this resource is only available as application/pdf");
               LetterService& letters = lettersOf(s);
               const std::string id = idParam(req, "letter", "letter");
               auto l = letters.letter(id);
               if (!l) throw HttpError(404, "no letter " + id);
               auditRead(
                   s, req, "download-letter", "letter", id,
                   l->woman_id.empty() ? std::nullopt : std::optional<std::string>(l->woman_id),
                   {{"exam", l->exam_id}, {"kind", l->kind}, {"recipient", l->recipient}});
               sendPdf(w, letters.fileOf(l->file), id);
             });
  router.add("GET", "/api/results/overdue",
             "exams whose result is not sent and whose deadline has passed (or is near)",
             [&s](HttpRequest& req, ResponseWriter& w) {
               requireJsonAccept(req);
               requireKnownParams(req, {"due_soon"});
               const std::string soon = param(req, "due_soon");
               if (!soon.empty() && soon != "true" && soon != "false")
                 throw HttpError(400, "due_soon must be true or false");
               sendWorkflowResult(w, lettersOf(s).overdue(soon == "true"));
             });
}

}  // namespace dualread::http
