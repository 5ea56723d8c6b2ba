#include "http/gateway_status_routes.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "gateway/exam_actions.h"
#include "gateway/gateway_status.h"
#include "http/handler_util.h"
#include "http/http_util.h"

namespace dualread::http {
namespace {

constexpr size_t kMaxForm = 8 << 10;

const Headers kPageHeaders = {{"Content-Type", "text/html; charset=utf-8"},
                              {"Cache-Control", "no-store"},
                              {"X-Frame-Options", "DENY"},
                              {"Content-Security-Policy",
                               "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'"},
                              {"Referrer-Policy", "no-referrer"}};

std::string randomToken() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  unsigned char raw[24];
  randombytes_buf(raw, sizeof raw);
  char hex[2 * sizeof raw + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return hex;
}

bool loopbackPeer(const std::string& peer) {
  return peer.rfind("127.", 0) == 0 || peer.rfind("::1:", 0) == 0 ||
         peer.rfind("::ffff:127.", 0) == 0;
}

// "127.0.0.1:8081", "localhost:8081", "[::1]:8081" (port optional).
bool loopbackHost(const std::string& host) {
  std::string h = lower(host);
  if (h.rfind("[::1]", 0) == 0) return h.size() == 5 || h[5] == ':';
  const size_t colon = h.find(':');
  if (colon != std::string::npos) h = h.substr(0, colon);
  if (h == "localhost") return true;
  // A literal 127.x.y.z only ("127.0.0.1.example.org" is a name someone else controls).
  return h.rfind("127.", 0) == 0 && h.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

std::string statusPageDecisionRefusal(const HttpRequest& req) {
  if (!loopbackPeer(req.peer))
    return "les décisions ne se prennent que sur la passerelle elle-même (adresse 127.0.0.1) ou "
           "avec la commande dualread gateway retry|dismiss";
  const std::string host = req.header("host");
  if (!loopbackHost(host))
    return "adresse de la passerelle inattendue (" + host.substr(0, 80) + ")";
  const std::string origin = req.header("origin");
  if (!origin.empty() && origin != "http://" + host)
    return "formulaire envoyé depuis un autre site (" + origin.substr(0, 80) + ")";
  const std::string fetch_site = req.header("sec-fetch-site");
  if (!fetch_site.empty() && fetch_site != "same-origin" && fetch_site != "none")
    return "formulaire envoyé depuis un autre site";
  return {};
}

namespace {

std::string formValue(const std::vector<std::pair<std::string, std::string>>& form,
                      const char* key) {
  for (const auto& [k, v] : form)
    if (k == key) return v;
  return {};
}

void sendPage(ResponseWriter& w, int status, const std::string& html) {
  w.send(status, kPageHeaders, html);
}

}  // namespace

void addGatewayStatusRoutes(Router& router, GatewayQueue& queue) {
  // The form token: new at every start, only ever written into pages served to loopback.
  auto token = std::make_shared<const std::string>(randomToken());

  router.add("GET", "/", "the gateway's status page", [&queue](HttpRequest&, ResponseWriter& w) {
    sendPage(w, 200, gatewayStatusHtml(gatewayStatus(queue)));
  });
  router.add(
      "GET", "/status.json", "the gateway's status as JSON",
      [&queue](HttpRequest&, ResponseWriter& w) {
        sendJson(w, 200, gatewayStatus(queue), "application/json", {{"Cache-Control", "no-store"}});
      });
  router.add("GET", "/exams/{study}", "one exam at the gateway, its errors and journal",
             [&queue, token](HttpRequest& req, ResponseWriter& w) {
               const std::string uid = uidParam(req, "study", "Study Instance UID");
               auto detail = gatewayExamDetail(queue, uid);
               if (!detail)
                 throw HttpError(404, "no exam " + uid.substr(0, 80) + " at this gateway");
               ExamPageOptions opt;
               if (statusPageDecisionRefusal(req).empty()) opt.form_token = *token;
               for (const auto& [k, v] : req.query) {
                 if (k == "fait" && v == "renvoi")
                   opt.notice = "Renvoi enregistré : les images refusées repartent vers le centre.";
                 if (k == "fait" && v == "ecarte")
                   opt.notice =
                       "Examen écarté : le centre en sera informé ; les fichiers restent jusqu'à "
                       "la fin de la durée de conservation.";
               }
               sendPage(w, 200, gatewayExamHtml(*detail, opt));
             });
  for (const bool retry : {true, false}) {
    router.add(
        "POST", retry ? "/exams/{study}/retry" : "/exams/{study}/dismiss",
        retry ? "the technician retries an exam in error" : "the technician dismisses an exam",
        [&queue, token, retry](HttpRequest& req, ResponseWriter& w) {
          const std::string uid = uidParam(req, "study", "Study Instance UID");
          auto page = [&](int status, const std::string& error) {
            auto detail = gatewayExamDetail(queue, uid);
            if (!detail) throw HttpError(status, error);
            ExamPageOptions opt;
            opt.error = error;
            if (statusPageDecisionRefusal(req).empty()) opt.form_token = *token;
            sendPage(w, status, gatewayExamHtml(*detail, opt));
          };
          if (const std::string why = statusPageDecisionRefusal(req); !why.empty()) {
            spdlog::warn("Refused a {} of exam {} from the status page ({}): {}",
                         retry ? "retry" : "dismissal", uid.substr(0, 80), req.peer, why);
            return page(403, "Refusé : " + why + ".");
          }
          const std::string type = lower(req.header("content-type"));
          if (type.rfind("application/x-www-form-urlencoded", 0) != 0)
            return page(415, "Refusé : le formulaire doit être envoyé par la page.");
          std::string body;
          char buf[4096];
          while (size_t n = req.body->read(buf, sizeof buf)) {
            body.append(buf, n);
            if (body.size() > kMaxForm) return page(413, "Refusé : formulaire trop long.");
          }
          const auto form = parseQuery(body);
          if (!form) return page(400, "Refusé : formulaire illisible.");
          const std::string sent_token = formValue(*form, "jeton");
          if (sent_token.size() != token->size() ||
              sodium_memcmp(sent_token.data(), token->data(), token->size()) != 0) {
            spdlog::warn(
                "Refused a {} of exam {} from the status page ({}): missing or stale "
                "form token",
                retry ? "retry" : "dismissal", uid.substr(0, 80), req.peer);
            return page(403,
                        "Refusé : formulaire périmé ou envoyé d'ailleurs (rechargez la page et "
                        "recommencez).");
          }
          ExamActionRequest r;
          r.study_uid = uid;
          r.reason = formValue(*form, "motif");
          r.by = formValue(*form, "par");
          r.source = "status page (" + req.peer.substr(0, req.peer.rfind(':')) + ")";
          const ExamActionResult x =
              retry ? retryGatewayExam(queue, r) : dismissGatewayExam(queue, r);
          if (!x.done) {
            const int status = x.bad_input                                 ? 400
                               : x.status == ExamActionStatus::kNoSuchExam ? 404
                                                                           : 409;
            return page(status, "Refusé : " + x.message_fr + ".");
          }
          w.send(303,
                 {{"Location", "/exams/" + uid + (retry ? "?fait=renvoi" : "?fait=ecarte")},
                  {"Cache-Control", "no-store"}},
                 "");
        });
  }
}

}  // namespace dualread::http
