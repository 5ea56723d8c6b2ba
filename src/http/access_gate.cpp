#include "http/access_gate.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "domain/cim_scope.h"
#include "http/access_policy.h"
#include "http/http_util.h"
#include "index/archive_index.h"
#include "services/access_service.h"
#include "services/workflow_service.h"

namespace dualread::http {

namespace {

const Headers kChallenge = {{"WWW-Authenticate", "Bearer realm=\"dualread\""}};

bool stateChanging(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

bool constantTimeEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string roleWords(Role r) {
  std::string s(roleName(r));
  for (auto& c : s)
    if (c == '_') c = ' ';
  return s;
}

[[noreturn]] void refuse(const HttpRequest& req, const Principal& p, const std::string& why) {
  spdlog::warn("Access refused to {} ({}) for {} {}: {}", p.login, p.auditRole(), req.method,
               loggablePath(req.path).substr(0, 200), why);
  throw HttpError(403, why);
}

std::optional<std::string> decodeBase64(const std::string& in) {
  std::string out(in.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.c_str(),
                        in.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return std::nullopt;
  out.resize(len);
  return out;
}

[[noreturn]] void loginFailure(const LoginResult& r) {
  if (r.status == LoginStatus::kRateLimited)
    throw HttpError(429, "too many login attempts from your address; wait a minute",
                    {{"Retry-After", std::to_string(r.retry_after_seconds)}});
  if (r.status == LoginStatus::kLocked)
    throw HttpError(401,
                    "this account is locked after too many failed logins; try again in " +
                        std::to_string((r.retry_after_seconds + 59) / 60) + " minutes",
                    kChallenge);
  throw HttpError(401, "the login or the password is wrong", kChallenge);
}

}  // namespace

std::string cookieValue(const std::string& cookie_header, const std::string& name) {
  size_t pos = 0;
  while (pos < cookie_header.size()) {
    size_t end = cookie_header.find(';', pos);
    if (end == std::string::npos) end = cookie_header.size();
    std::string part = trim(std::string_view(cookie_header).substr(pos, end - pos));
    const size_t eq = part.find('=');
    if (eq != std::string::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    pos = end + 1;
  }
  return {};
}

std::string loggablePath(const std::string& path) {
  if (path.rfind("/share/", 0) != 0) return path;
  const size_t end = path.find('/', 7);
  return "/share/(token)" + (end == std::string::npos ? std::string() : path.substr(end));
}

std::string sessionCookie(const std::string& value, bool secure, int max_age_seconds) {
  std::string c = std::string(kSessionCookie) + "=" + value +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                  std::to_string(value.empty() ? 0 : max_age_seconds);
  if (secure) c += "; Secure";
  return c;
}

void AccessGate::authenticate(HttpRequest& req, bool& cookie_session) const {
  AccessService& access = *services_.access;
  const std::string authz = req.header("authorization");
  if (!authz.empty()) {
    const size_t sp = authz.find(' ');
    const std::string scheme = lower(authz.substr(0, sp));
    const std::string cred = sp == std::string::npos ? "" : trim(authz.substr(sp + 1));
    if (scheme == "bearer") {
      auto p = access.tokenPrincipal(cred);
      if (!p) {
        spdlog::warn("HTTP {} {} from {}: unknown or revoked bearer token", req.method,
                     req.path.substr(0, 200), req.peer);
        throw HttpError(401, "the bearer token is unknown or revoked", kChallenge);
      }
      req.principal = std::make_shared<const Principal>(std::move(*p));
      return;
    }
    if (scheme == "basic") {
      if (!req.secure)
        throw HttpError(401,
                        "HTTP Basic credentials are only accepted over HTTPS (TLS); this request "
                        "came in clear: use https:// or a bearer token",
                        kChallenge);
      auto decoded = decodeBase64(cred);
      const size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (colon == std::string::npos)
        throw HttpError(401, "the HTTP Basic credentials are malformed", kChallenge);
      LoginResult r =
          access.basicLogin(decoded->substr(0, colon), decoded->substr(colon + 1), req.peer);
      if (r.status != LoginStatus::kOk || !r.principal) loginFailure(r);
      req.principal = std::make_shared<const Principal>(std::move(*r.principal));
      return;
    }
    throw HttpError(401, "unsupported Authorization scheme; use a session, Bearer or Basic",
                    kChallenge);
  }
  // A client certificate verified by the TLS layer names a gateway, when an account is bound
  // to its CN. Browsers present certificates on their own (like cookies, without CSRF
  // protection): a request with browser headers is never authenticated by its certificate.
  if (req.secure && !req.client_cert_cn.empty() && req.header("origin").empty() &&
      req.header("sec-fetch-mode").empty()) {
    if (auto p = access.certificatePrincipal(req.client_cert_cn)) {
      req.principal = std::make_shared<const Principal>(std::move(*p));
      return;
    }
  }
  const std::string sid = cookieValue(req.header("cookie"), kSessionCookie);
  if (sid.empty()) return;
  if (auto p = access.sessionPrincipal(sid)) {
    cookie_session = true;
    req.principal = std::make_shared<const Principal>(std::move(*p));
  }
}

void AccessGate::check(HttpRequest& req) const {
  if (services_.config.open) {
    static const auto kOpen = [] {
      auto p = std::make_shared<Principal>();
      p->login = "open-access";
      p->role = Role::kOpen;
      p->method = "open";
      return std::shared_ptr<const Principal>(p);
    }();
    req.principal = kOpen;
    return;
  }
  std::map<std::string, std::string> params;
  const RoutePolicy* policy = matchPolicy(req.method, req.segments, params);
  if (!policy) {
    // Not in the matrix: a route the router serves is refused (fail closed); anything else is
    // the web app's static files (GET) or a 404/405 the router answers.
    HttpRequest probe;
    probe.method = req.method;
    probe.segments = req.segments;
    std::vector<std::string> allowed;
    if (router_.match(probe, allowed)) {
      spdlog::error("HTTP {} {} has no entry in the permission matrix: refused", req.method,
                    req.path.substr(0, 200));
      throw HttpError(403, "this resource has no access rule yet, so nobody may use it");
    }
    const bool api =
        !req.segments.empty() &&
        (req.segments[0] == "api" || req.segments[0] == "dicomweb" || req.segments[0] == "share");
    if (api || req.method != "GET") return;  // the router answers 404 or 405
    return;                                  // static web app: public
  }
  if (!services_.access) {
    if (policy->is_public && req.segments.size() == 1) return;  // /healthz
    throw HttpError(503, "access control is not set up on this hub (no account store)");
  }
  bool cookie_session = false;
  authenticate(req, cookie_session);
  if (policy->is_public) return;
  if (!req.principal)
    throw HttpError(401, "log in first: this resource needs an authenticated user", kChallenge);
  const Principal& p = *req.principal;
  if (cookie_session && stateChanging(req.method) &&
      !constantTimeEqual(req.header(kCsrfHeader), p.csrf_token))
    refuse(req, p,
           "the CSRF token is missing or wrong: send the csrf_token given at login in the "
           "X-CSRF-Token header");
  if (!policy->allows(p.role))
    refuse(req, p, "a " + roleWords(p.role) + " may not use " + req.method + " " + policy->pattern);
  checkRow(req, *policy, params);
}

void AccessGate::checkRow(HttpRequest& req, const RoutePolicy& policy,
                          const std::map<std::string, std::string>& params) const {
  const Principal& p = *req.principal;
  // "An exam belongs to CIM X" is the one rule of domain/cim_scope.h, shared with the DICOM
  // door's queries and retrieves and with ingest.
  const CimScope centres = cimScopeOf(p);
  const bool cim_bound = !centres.unrestricted();
  const bool scoped = cim_bound || p.role == Role::kDoctor || p.role == Role::kWoman;
  switch (policy.rule) {
    case RowRule::kNone:
      return;
    case RowRule::kStudy: {
      if (!scoped) return;
      const std::string& uid = params.at("study");
      StudyRow s;
      std::string cim, woman;
      if (services_.index.getStudy(uid, s)) {
        cim = s.patient.issuer;
        if (s.patient.woman_id) woman = std::to_string(*s.patient.woman_id);
      } else if (services_.workflow) {
        auto wf = services_.workflow->workflow(uid);
        if (wf.status != WorkflowStatus::kOk) return;  // nothing there: the handler says 404
        cim = wf.body.value("cim_id", "");
        woman = wf.body.value("woman_id", "");
      } else {
        return;
      }
      if (cim_bound) {
        if (!centres.covers(cim))
          refuse(req, p, "this exam was made at another imaging centre than yours");
      } else if (p.role == Role::kWoman) {
        if (woman.empty() || woman != p.woman_id) refuse(req, p, "this exam is not yours");
      } else if (p.role == Role::kDoctor) {
        if (woman.empty() || !services_.access->store().womanNamedDoctor(woman, p.rpps))
          refuse(req, p, "this exam is of a woman who did not name you as her doctor");
      }
      return;
    }
    case RowRule::kWoman: {
      if (!scoped) return;
      const std::string& id = params.at("woman");
      if (p.role == Role::kWoman) {
        if (id != p.woman_id) refuse(req, p, "you may only see your own record");
        return;
      }
      if (p.role == Role::kDoctor) {
        if (!services_.access->store().womanNamedDoctor(id, p.rpps))
          refuse(req, p, "this woman did not name you as her doctor");
        return;
      }
      auto n = parseNonNegative(id);
      bool seen = false;
      if (n)
        for (const auto& pat : services_.index.patientsOfWoman(*n))
          seen = seen || centres.covers(pat.issuer);
      if (!seen) refuse(req, p, "this woman has no exam at your imaging centre");
      return;
    }
    case RowRule::kSession: {
      if (p.role != Role::kL2Radiologist) return;
      if (!services_.workflow) return;
      auto s = services_.workflow->session(params.at("session"));
      if (s.status != WorkflowStatus::kOk) return;  // the handler says 404
      std::string reader;
      if (s.body.contains("reader") && s.body["reader"].is_object())
        reader = s.body["reader"].value("rpps", "");
      if (p.rpps.empty() || reader != p.rpps)
        refuse(req, p, "this reading session belongs to another reader");
      return;
    }
    case RowRule::kSessionsReader: {
      if (p.role != Role::kL2Radiologist) return;
      for (const auto& [k, v] : req.query)
        if (k == "reader" && v != p.rpps)
          refuse(req, p, "you may only list your own reading sessions (reader=" + p.rpps + ")");
      return;
    }
    case RowRule::kCtiCim: {
      if (!cim_bound) return;
      for (const auto& [k, v] : req.query)
        if (k == "cim" && !centres.covers(v))
          refuse(req, p, "you may only see the CTI worklist of your own imaging centre");
      return;
    }
    case RowRule::kQido: {
      if (!cim_bound) return;
      std::string asked;
      for (const auto& [k, v] : req.query)
        if (k == "IssuerOfPatientID" || k == "00100021") asked = v;
      std::string cim;
      if (!asked.empty() && centres.covers(asked))
        cim = asked;
      else if (asked.empty() && p.cims.size() == 1)
        cim = p.cims.front();
      else if (asked.empty())
        refuse(req, p,
               "you work for several imaging centres: say which one with IssuerOfPatientID");
      else
        refuse(req, p, "you may only search the exams of your own imaging centre");
      // Last value wins in the QIDO parser: the search is confined to that centre.
      req.query.emplace_back("IssuerOfPatientID", cim);
      return;
    }
  }
}

}  // namespace dualread::http
