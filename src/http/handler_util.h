#pragma once
// Helpers shared by the route handlers: validated path parameters, JSON responses, absolute
// DICOMweb URLs and file streaming. Stateless; thread-safe.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "http/http_types.h"
#include "services/hub_services.h"
#include "services/workflow_service.h"

namespace dualread::http {

// The route parameter `name`, which must be a valid DICOM UID; throws HttpError(400) naming
// `what` ("Study Instance UID") otherwise.
std::string uidParam(const HttpRequest& req, const std::string& name, const char* what);

// The request's JSON body, at most `max_bytes` (an empty body reads as an empty object): 415 when
// declared as something other than JSON, 413 when larger, 400 when not JSON (or, with
// `require_object`, not a JSON object).
nlohmann::json readJsonBody(HttpRequest& req, size_t max_bytes, bool require_object);

// Refuses (400, naming the known ones) a query parameter not in `known`.
void requireKnownParams(const HttpRequest& req, std::initializer_list<const char*> known);

// Sends a workflow use case's answer: `ok_status` with its body, or 404 / 409 / 400 with its
// sentence and field errors.
void sendWorkflowResult(ResponseWriter& w, const WorkflowResult& r, int ok_status = 200);

// Serialises `body` (invalid UTF-8 replaced) and sends it.
void sendJson(ResponseWriter& w, int status, const nlohmann::json& body,
              const std::string& content_type = "application/json", Headers headers = {});
std::string dumpJson(const nlohmann::json& j);

// "<base>/dicomweb/studies/<s>[/series/<se>[/instances/<i>]]".
std::string studyUrl(const HttpRequest& req, const std::string& study);
std::string seriesUrl(const HttpRequest& req, const std::string& study, const std::string& series);
std::string instanceUrl(const HttpRequest& req, const std::string& study, const std::string& series,
                        const std::string& instance);

// Writes the whole file to `w` (already started) in 1 MiB chunks; returns the bytes written.
// Throws std::runtime_error when the file cannot be read.
uint64_t streamFile(ResponseWriter& w, const std::filesystem::path& file);

// Sends a file of the data directory (a letter's PDF, an image's blob) whole, with
// `content_type` and `headers`, and Cache-Control: no-store (health data). HttpError(500) naming
// `what` when the file is missing: the index and the disk disagree ('dualread fsck' says why).
void sendDataFile(ResponseWriter& w, const std::filesystem::path& file,
                  const std::string& content_type, const std::string& what, Headers headers = {});

// A letter or print run's PDF, shown inline in the browser as "<name>.pdf".
void sendPdf(ResponseWriter& w, const std::filesystem::path& file, const std::string& name);

// True when `accept` (a header value) admits one of the given media types, "*/*" or "type/*";
// an empty header admits everything.
bool acceptsAny(const std::string& accept, std::initializer_list<const char*> types);

// The audit actor of an HTTP request: the authenticated principal set by the access gate
// (login, role with its CIMs: "technologist@CIM01"), or "open-access" when the hub runs --open,
// from its peer address.
AuditActor requestActor(const HttpRequest& req);

// Records a read of a woman's data (`action`, e.g. "read") in the audit trail, before anything is
// sent: health data is never served unaudited, so a failure to record is HttpError(503). No-op
// when the hub runs without an audit trail (services.audit null).
void auditRead(HubServices& services, const HttpRequest& req, const std::string& action,
               const std::string& object_type, const std::string& object_id,
               const std::optional<std::string>& woman_id,
               const nlohmann::json& detail = nlohmann::json::object());

// The woman id of a stored study, when it is known.
std::optional<std::string> womanOfStudy(HubServices& services, const std::string& study_uid);

}  // namespace dualread::http
