#include "http/handler_util.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "dicom/instance_reader.h"
#include "http/http_util.h"
#include "index/archive_index.h"
#include "services/audit_service.h"

namespace dualread::http {

std::string uidParam(const HttpRequest& req, const std::string& name, const char* what) {
  const std::string& v = req.param(name);
  if (!isValidUid(v))
    throw HttpError(400, std::string("'") + headerSafe(v, 80) + "' is not a valid " + what +
                             " (digits and dots, at most 64 characters)");
  return v;
}

std::string dumpJson(const nlohmann::json& j) {
  std::string text = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // '<', '>' and '&' only occur inside JSON strings: as \u escapes they keep the same value but
  // a patient name holding markup can never be sniffed or pasted into a page as HTML.
  if (text.find_first_of("<>&") == std::string::npos) return text;
  std::string out;
  out.reserve(text.size() + 64);
  for (char c : text) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

void sendJson(ResponseWriter& w, int status, const nlohmann::json& body,
              const std::string& content_type, Headers headers) {
  headers.emplace_back("Content-Type", content_type);
  w.send(status, std::move(headers), dumpJson(body));
}

std::string studyUrl(const HttpRequest& req, const std::string& study) {
  return req.base_url + "/dicomweb/studies/" + study;
}

std::string seriesUrl(const HttpRequest& req, const std::string& study, const std::string& series) {
  return studyUrl(req, study) + "/series/" + series;
}

std::string instanceUrl(const HttpRequest& req, const std::string& study, const std::string& series,
                        const std::string& instance) {
  return seriesUrl(req, study, series) + "/instances/" + instance;
}

uint64_t streamFile(ResponseWriter& w, const std::filesystem::path& file) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f) throw std::runtime_error("cannot open " + file.string());
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    const size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (n > 0) {
      w.write(std::string_view(buf.data(), n));
      total += n;
    }
    if (n < buf.size()) {
      if (std::ferror(f.get())) throw std::runtime_error("cannot read " + file.string());
      break;
    }
  }
  return total;
}

void sendDataFile(ResponseWriter& w, const std::filesystem::path& file,
                  const std::string& content_type, const std::string& what, Headers headers) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) throw HttpError(500, what + " is missing from the data directory; run 'dualread fsck'");
  headers.emplace_back("Content-Type", content_type);
  headers.emplace_back("Cache-Control", "no-store");
  w.beginStream(200, std::move(headers), size);
  streamFile(w, file);
  w.finish();
}

void sendPdf(ResponseWriter& w, const std::filesystem::path& file, const std::string& name) {
  sendDataFile(w, file, "application/pdf", "the PDF file of " + name,
               {{"Content-Disposition", "inline; filename=\"" + name + ".pdf\""}});
}

bool acceptsAny(const std::string& accept, std::initializer_list<const char*> types) {
  if (trim(accept).empty()) return true;
  for (const auto& m : parseAccept(accept)) {
    if (m.type == "*/*") return true;
    for (const char* t : types) {
      const std::string type = t;
      if (m.type == type) return true;
      const std::string major = type.substr(0, type.find('/'));
      if (m.type == major + "/*") return true;
    }
  }
  return false;
}

AuditActor requestActor(const HttpRequest& req) {
  const std::string source = req.peer.empty() ? std::string("unknown") : req.peer;
  if (!req.principal || req.principal->role == Role::kOpen)
    return {kOpenAccessActor, kOpenAccessRole, source};
  AuditActor by{req.principal->login, req.principal->auditRole(), source};
  by.authenticated = true;
  by.rpps = req.principal->rpps;
  by.name = req.principal->display_name;
  return by;
}

void auditRead(HubServices& services, const HttpRequest& req, const std::string& action,
               const std::string& object_type, const std::string& object_id,
               const std::optional<std::string>& woman_id, const nlohmann::json& detail) {
  if (!services.audit) return;
  const AuditActor who = requestActor(req);
  try {
    services.audit->record(who.actor, who.role, action, object_type, object_id, woman_id,
                           who.source, detail.dump());
  } catch (const std::exception& e) {
    spdlog::error("AUDIT: {} of {} {} by {} refused: it could not be recorded: {}", action,
                  object_type, object_id, who.source, e.what());
    throw HttpError(503, "the access could not be recorded in the audit trail; try again");
  }
}

std::optional<std::string> womanOfStudy(HubServices& services, const std::string& study_uid) {
  StudyRow s;
  if (services.index.getStudy(study_uid, s) && s.patient.woman_id)
    return std::to_string(*s.patient.woman_id);
  return std::nullopt;
}

nlohmann::json readJsonBody(HttpRequest& req, size_t max_bytes, bool require_object) {
  const std::string type = req.header("content-type");
  if (!type.empty() && type.rfind("application/json", 0) != 0)
    throw HttpError(415, "send the body as application/json");
  std::string text;
  char buf[16384];
  while (size_t n = req.body->read(buf, sizeof buf)) {
    text.append(buf, n);
    if (text.size() > max_bytes)
      throw HttpError(413, "the JSON body is larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw HttpError(400, "the body is not valid JSON");
  if (require_object && !j.is_object()) throw HttpError(400, "the body is not a JSON object");
  return j;
}

void requireKnownParams(const HttpRequest& req, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : req.query) {
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok)
      throw HttpError(
          400, "unknown query parameter '" + headerSafe(k, 60) + "'" +
                   (known.size() == 0 ? "; this resource takes none"
                                      : "; known: " + joinList({known.begin(), known.end()})));
  }
}

void sendWorkflowResult(ResponseWriter& w, const WorkflowResult& r, int ok_status) {
  if (r.status == WorkflowStatus::kOk) return sendJson(w, ok_status, r.body);
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : r.errors) errors.push_back({{"field", e.field}, {"message", e.message}});
  const int status = r.status == WorkflowStatus::kNotFound    ? 404
                     : r.status == WorkflowStatus::kConflict  ? 409
                     : r.status == WorkflowStatus::kForbidden ? 403
                                                              : 400;
  sendJson(w, status, {{"error", r.error}, {"errors", errors}});
}

}  // namespace dualread::http
