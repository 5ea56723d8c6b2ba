// REST API of the portal of women and their doctors: the caller's documents (a woman her
// letters and exams with their images; a doctor the women who named her, the letters addressed
// to her and their exams), one letter as PDF, one image as its DICOM file. Only the roles woman
// and doctor may call these (http/access_policy.cpp); what each may reach is decided by
// services/portal_service from the caller's own identity, and a letter or image of someone else
// is refused (403) and the attempt recorded. Every read is audited before anything is sent.

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/reduced_frame_response.h"
#include "http/routes.h"
#include "services/letter_service.h"
#include "services/portal_service.h"

namespace dualread::http {
namespace {

using nlohmann::json;

const Principal& principalOf(const HttpRequest& req) {
  if (!req.principal) throw HttpError(401, "log in first");
  return *req.principal;
}

// A letter id is ours: "R20260110-1-00001".
std::string letterParam(const HttpRequest& req) {
  const std::string& id = req.param("letter");
  if (id.empty() || id.size() > 40 ||
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos)
    throw HttpError(400, "'" + headerSafe(id, 40) + "' is not a letter id");
  return id;
}

// The attempt is on the record (who tried to reach what), then refused.
[[noreturn]] void refuse(HubServices& s, const HttpRequest& req, const std::string& object_type,
                         const std::string& object_id, const std::optional<std::string>& woman,
                         const std::string& why) {
  auditRead(s, req, "portal.refused", object_type, object_id, woman);
  spdlog::warn("Portal: {} ({}) was refused {} {}: {}", principalOf(req).login,
               principalOf(req).auditRole(), object_type, object_id, why);
  throw HttpError(403, why);
}

// Image `sop` if it is of the caller's exams (a woman hers, a doctor her patients'): 404 when
// unknown, 403 (recorded) otherwise.
PortalImage callersImage(HubServices& s, PortalService& portal, const HttpRequest& req,
                         const std::string& sop) {
  PortalImage i = portal.image(principalOf(req), sop);
  if (i.access == PortalAccess::kUnknown)
    throw HttpError(404, "no image " + sop + " is stored in this hub");
  if (i.access != PortalAccess::kOk)
    refuse(s, req, "instance", sop, i.woman_id, "this image is not of your exams");
  return i;
}

}  // namespace

void addPortalRoutes(Router& router, HubServices& services) {
  auto& s = services;
  auto portal = std::make_shared<PortalService>(services);

  router.add("GET", "/api/portal/documents",
             "the caller's documents: a woman her letters and images, a doctor her patients'",
             [&s, portal](HttpRequest& req, ResponseWriter& w) {
               if (!acceptsAny(req.header("accept"), {"application/json"}))
                 throw HttpError(406, "this resource is only available as application/json");
               requireKnownParams(req, {});
               const Principal& who = principalOf(req);
               PortalDocuments d = portal->documents(who);
               for (const auto& woman : d.women)
                 auditRead(s, req, "portal.documents", "woman", woman, woman,
                           {{"letters", who.role == Role::kWoman ? d.body["letters"].size()
                                                                 : static_cast<size_t>(0)}});
               if (who.role == Role::kDoctor)
                 auditRead(s, req, "read-patient-list", "doctor", who.rpps, std::nullopt,
                           {{"women", d.women.size()}});
               sendJson(w, 200, d.body, "application/json", {{"Cache-Control", "no-store"}});
             });

  router.add("GET", "/api/portal/letters/{letter}/pdf",
             "one of the caller's letters as PDF (a woman hers, a doctor those addressed to her)",
             [&s, portal](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               if (!acceptsAny(req.header("accept"), {"application/pdf"}))
                 throw HttpError(406, "this resource is only available as application/pdf");
               if (!s.letters)
                 throw HttpError(503, "the letters service is not running in this process");
               const std::string id = letterParam(req);
               const PortalLetter l = portal->letter(principalOf(req), id);
               if (l.access == PortalAccess::kUnknown) throw HttpError(404, "no letter " + id);
               const std::optional<std::string> woman =
                   l.letter->woman_id.empty() ? std::nullopt
                                              : std::optional<std::string>(l.letter->woman_id);
               if (l.access != PortalAccess::kOk)
                 refuse(s, req, "letter", id, woman, "this letter is not addressed to you");
               auditRead(s, req, "portal.letter", "letter", id, woman,
                         {{"exam", l.letter->exam_id}, {"kind", l.letter->kind}});
               sendPdf(w, s.letters->fileOf(l.letter->file), id);
             });

  router.add("GET", "/api/portal/images/{instance}",
             "one image of the caller's exams (a woman hers, a doctor her patients') as DICOM",
             [&s, portal](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               if (!acceptsAny(req.header("accept"), {"application/dicom"}))
                 throw HttpError(406, "this resource is only available as application/dicom");
               const std::string sop = uidParam(req, "instance", "SOP Instance UID");
               const PortalImage i = callersImage(s, *portal, req, sop);
               auditRead(s, req, "portal.image", "instance", sop, i.woman_id,
                         {{"study", i.instance.study_uid}});
               sendDataFile(w, s.blobs.pathOf(i.instance.blob_key), "application/dicom",
                            "the file of image " + sop,
                            {{"Content-Disposition", "attachment; filename=\"" + sop + ".dcm\""}});
             });

  router.add("GET", "/api/portal/images/{instance}/reduced",
             "one image of the caller's exams at the resolution of her screen (a phone)",
             [&s, portal](HttpRequest& req, ResponseWriter& w) {
               const auto viewport = parseViewport(req);
               const std::string sop = uidParam(req, "instance", "SOP Instance UID");
               const PortalImage i = callersImage(s, *portal, req, sop);
               const ReducedFrame r =
                   reduceForViewport(s.blobs.pathOf(i.instance.blob_key), sop, 1, viewport);
               auditRead(s, req, "portal.image-reduced", "instance", sop, i.woman_id,
                         {{"study", i.instance.study_uid}});
               sendReducedFrame(w, r);
             });
}

}  // namespace dualread::http
