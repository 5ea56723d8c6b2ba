#include "http/access_policy.h"

#include <algorithm>

namespace dualread::http {

namespace {

constexpr Role ADM = Role::kAdministrator;
constexpr Role COO = Role::kCoordinator;
constexpr Role SEC = Role::kSecretary;
constexpr Role L2 = Role::kL2Radiologist;
constexpr Role L1 = Role::kL1Radiologist;
constexpr Role TEC = Role::kTechnologist;
constexpr Role GW = Role::kGateway;
constexpr Role DOC = Role::kDoctor;
constexpr Role WOM = Role::kWoman;

RoutePolicy pub(const std::string& method, const std::string& pattern) {
  return {method, pattern, true, {}, RowRule::kNone};
}
RoutePolicy only(const std::string& method, const std::string& pattern, std::vector<Role> roles,
                 RowRule rule = RowRule::kNone) {
  return {method, pattern, false, std::move(roles), rule};
}

std::vector<RoutePolicy> buildTable() {
  const std::string st = "/dicomweb/studies/{study}";
  const std::string se = st + "/series/{series}";
  const std::string in = se + "/instances/{instance}";
  // Who reads images: the centre's clinicians, the CIM (its own), doctors and women (theirs).
  const std::vector<Role> kImages = {COO, L2, L1, TEC, GW, DOC, WOM};
  const std::vector<Role> kSearch = {COO, SEC, L2, L1, TEC, GW};
  const std::vector<Role> kStudyRead = {COO, SEC, L2, L1, TEC, GW, DOC, WOM};
  const std::vector<Role> kAnyone = {ADM, COO, SEC, L2, L1, TEC, GW, DOC, WOM};
  std::vector<RoutePolicy> t = {
      pub("GET", "/healthz"),
      // Authentication (auth_api.cpp).
      pub("POST", "/api/auth/login"),
      only("GET", "/api/auth/me", kAnyone),
      only("POST", "/api/auth/logout", kAnyone),
      pub("POST", "/api/portal/login"),
      // QIDO-RS.
      only("GET", "/dicomweb/studies", kSearch, RowRule::kQido),
      only("GET", "/dicomweb/series", kSearch, RowRule::kQido),
      only("GET", "/dicomweb/instances", kSearch, RowRule::kQido),
      only("GET", st + "/series", kStudyRead, RowRule::kStudy),
      only("GET", st + "/instances", kStudyRead, RowRule::kStudy),
      only("GET", se + "/instances", kStudyRead, RowRule::kStudy),
      // WADO-RS: pixels to clinicians; metadata also to the secretariat (completeness checks).
      only("GET", st, kImages, RowRule::kStudy),
      only("GET", se, kImages, RowRule::kStudy),
      only("GET", in, kImages, RowRule::kStudy),
      only("GET", st + "/metadata", kStudyRead, RowRule::kStudy),
      only("GET", se + "/metadata", kStudyRead, RowRule::kStudy),
      only("GET", in + "/metadata", kStudyRead, RowRule::kStudy),
      only("GET", in + "/frames/{frames}", kImages, RowRule::kStudy),
      only("GET", in + "/frames/{frame}/reduced", kImages, RowRule::kStudy),
      only("GET", in + "/bulkdata/{tag}", kImages, RowRule::kStudy),
      // STOW-RS: the imaging centres send.
      only("POST", "/dicomweb/studies", {L1, TEC, GW}),
      only("POST", st, {L1, TEC, GW}, RowRule::kStudy),
      // REST: exams and women.
      only("GET", "/api/exams/{study}", kStudyRead, RowRule::kStudy),
      only("GET", "/api/exams", {COO, SEC, L2}),
      only("GET", "/api/women/{woman}/exams", {COO, SEC, L2, L1, TEC, DOC, WOM}, RowRule::kWoman),
      only("GET", "/api/audit", {ADM, COO}),
      only("GET", "/api/quarantine", {ADM, COO, SEC}),
      only("GET", "/api/stats", {ADM, COO, SEC}),
      // Workflow.
      only("GET", "/api/exams/{study}/workflow", {COO, SEC, L2, L1, TEC, GW}, RowRule::kStudy),
      only("PUT", "/api/exams/{study}/l1-form", {L1, TEC, GW}, RowRule::kStudy),
      only("GET", "/api/exams/{study}/l1-form", {COO, SEC, L2, L1, TEC, GW}, RowRule::kStudy),
      only("POST", "/api/exams/{study}/l1-form/sign", {L1}, RowRule::kStudy),
      only("GET", "/api/exams/{study}/cda", {COO, SEC, L2, L1, GW, DOC, WOM}, RowRule::kStudy),
      only("POST", "/api/exams/{study}/l3", {COO, L2}),
      only("GET", "/api/l3", {COO, SEC, L2}),
      only("GET", "/api/cti", {COO, SEC, L1, TEC, GW}, RowRule::kCtiCim),
      only("POST", "/api/sessions/deal", {COO, SEC}),
      only("GET", "/api/sessions", {COO, SEC, L2}, RowRule::kSessionsReader),
      only("GET", "/api/sessions/{session}", {COO, SEC, L2}, RowRule::kSession),
      only("GET", "/api/sessions/{session}/next", {L2}, RowRule::kSession),
      only("POST", "/api/sessions/{session}/readings", {L2}, RowRule::kSession),
      only("POST", "/api/sessions/{session}/skip", {COO, L2}, RowRule::kSession),
      only("GET", "/api/sessions/{session}/summary", {COO, SEC, L2}, RowRule::kSession),
      // Audit views (access_api.cpp).
      only("GET", "/api/women/{woman}/access-history", {COO, WOM}, RowRule::kWoman),
      only("GET", "/api/audit/export", {COO}),
      // Women, doctors and share links (access_api.cpp).
      only("POST", "/api/women/{woman}/access-codes", {COO, SEC}),
      only("GET", "/api/women/{woman}/doctors", {COO, SEC, WOM}, RowRule::kWoman),
      only("PUT", "/api/women/{woman}/doctors", {COO, SEC}),
      only("GET", "/api/doctor/women", {DOC}),
      only("POST", "/api/exams/{study}/share-links", {COO, SEC, WOM}, RowRule::kStudy),
      only("GET", "/api/exams/{study}/share-links", {COO, SEC, WOM}, RowRule::kStudy),
      only("DELETE", "/api/exams/{study}/share-links/{link}", {COO, SEC, WOM}, RowRule::kStudy),
      // The portal (portal_api.cpp): the caller's own letters and images, checked by the
      // portal service against her identity (a woman herself, a doctor the women naming her).
      only("GET", "/api/portal/documents", {DOC, WOM}),
      only("GET", "/api/portal/letters/{letter}/pdf", {DOC, WOM}),
      only("GET", "/api/portal/images/{instance}", {DOC, WOM}),
      only("GET", "/api/portal/images/{instance}/reduced", {DOC, WOM}),
      pub("GET", "/share/{token}"),
      pub("GET", "/share/{token}/instances/{instance}"),
      pub("GET", "/share/{token}/instances/{instance}/reduced"),
      // Results after reading (results_api.cpp, follow_up_api.cpp).
      only("POST", "/api/exams/{study}/result-sent", {ADM, COO, SEC}),
      only("POST", "/api/exams/{study}/close", {ADM, COO, SEC}),
      only("POST", "/api/register/import", {ADM, COO}),
      only("GET", "/api/register", {ADM, COO, SEC}),
      only("POST", "/api/print-runs", {ADM, COO, SEC}),
      only("GET", "/api/print-runs", {ADM, COO, SEC}),
      only("GET", "/api/print-runs/{run}", {ADM, COO, SEC}),
      only("GET", "/api/print-runs/{run}/pdf", {ADM, COO, SEC}),
      only("GET", "/api/letters", {ADM, COO, SEC}),
      only("GET", "/api/letters/{letter}/pdf", {ADM, COO, SEC}),
      only("GET", "/api/results/overdue", {ADM, COO, SEC}),
      only("GET", "/api/exams/{study}/follow-up", {ADM, COO, SEC}),
      only("POST", "/api/exams/{study}/follow-up", {ADM, COO, SEC}),
      only("GET", "/api/follow-up/reminders", {ADM, COO, SEC}),
      only("GET", "/api/indicators", {ADM, COO}),
      // Identity vigilance (identity_api.cpp): the secretariat and the coordinator only.
      only("GET", "/api/identity/cases", {COO, SEC}),
      only("GET", "/api/identity/cases/{case}", {COO, SEC}),
      only("POST", "/api/identity/cases/{case}/resolve", {COO, SEC}),
      only("GET", "/api/identity/women/{woman}", {COO, SEC}),
      only("PUT", "/api/identity/women/{woman}", {COO, SEC}),
      only("POST", "/api/identity/women/{woman}/corrections/{correction}/undo", {COO, SEC}),
      only("POST", "/api/identity/merges", {COO, SEC}),
      only("GET", "/api/identity/merges/{merge}", {COO, SEC}),
      only("POST", "/api/identity/merges/{merge}/undo", {COO, SEC}),
      // Imaging-centre gateways (gateway_api.cpp).
      only("POST", "/api/gateway/uploads", {ADM, GW}),
      only("GET", "/api/gateway/uploads/{upload}", {ADM, GW}),
      only("PATCH", "/api/gateway/uploads/{upload}", {ADM, GW}),
      only("POST", "/api/gateway/manifests", {ADM, GW}),
      only("GET", "/api/ledger", {ADM, COO, SEC, TEC, GW}, RowRule::kCtiCim),
      // Account administration (admin_api.cpp): administrators only.
      only("GET", "/api/admin/users", {ADM}),
      only("POST", "/api/admin/users", {ADM}),
      only("GET", "/api/admin/users/{login}", {ADM}),
      only("PATCH", "/api/admin/users/{login}", {ADM}),
      only("POST", "/api/admin/users/{login}/disable", {ADM}),
      only("POST", "/api/admin/users/{login}/enable", {ADM}),
      only("POST", "/api/admin/users/{login}/unlock", {ADM}),
      only("POST", "/api/admin/users/{login}/password", {ADM}),
      only("POST", "/api/admin/users/{login}/totp", {ADM}),
      only("GET", "/api/admin/users/{login}/tokens", {ADM}),
      only("POST", "/api/admin/users/{login}/tokens", {ADM}),
      only("DELETE", "/api/admin/users/{login}/tokens/{token}", {ADM}),
  };
  return t;
}

std::vector<std::string> segmentsOf(const std::string& pattern) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string::npos) slash = pattern.size();
    if (slash > start) out.push_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

struct Compiled {
  const RoutePolicy* policy;
  std::vector<std::string> segments;
};

const std::vector<Compiled>& compiled() {
  static const std::vector<Compiled> kCompiled = [] {
    std::vector<Compiled> out;
    for (const auto& p : routePolicies()) out.push_back({&p, segmentsOf(p.pattern)});
    return out;
  }();
  return kCompiled;
}

}  // namespace

bool RoutePolicy::allows(Role r) const {
  return is_public || std::find(roles.begin(), roles.end(), r) != roles.end();
}

const std::vector<RoutePolicy>& routePolicies() {
  static const std::vector<RoutePolicy> kTable = buildTable();
  return kTable;
}

const RoutePolicy* policyFor(const std::string& method, const std::string& pattern) {
  for (const auto& p : routePolicies())
    if (p.method == method && p.pattern == pattern) return &p;
  return nullptr;
}

const RoutePolicy* matchPolicy(const std::string& method, const std::vector<std::string>& segments,
                               std::map<std::string, std::string>& params) {
  // A literal segment beats a {param} (GET /api/audit/export is not GET /api/audit/{x}): try
  // the entries with the most literal matches first by scoring each candidate.
  const RoutePolicy* best = nullptr;
  int best_literals = -1;
  std::map<std::string, std::string> best_params;
  for (const auto& c : compiled()) {
    if (c.policy->method != method || c.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> p;
    int literals = 0;
    bool ok = true;
    for (size_t i = 0; i < segments.size() && ok; ++i) {
      const std::string& s = c.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        p[s.substr(1, s.size() - 2)] = segments[i];
      } else {
        ok = s == segments[i];
        ++literals;
      }
    }
    if (ok && literals > best_literals) {
      best = c.policy;
      best_literals = literals;
      best_params = std::move(p);
    }
  }
  if (best) params = std::move(best_params);
  return best;
}

std::string_view rowRuleName(RowRule r) {
  switch (r) {
    case RowRule::kNone:
      return "none";
    case RowRule::kStudy:
      return "study";
    case RowRule::kWoman:
      return "woman";
    case RowRule::kSession:
      return "session";
    case RowRule::kSessionsReader:
      return "sessions-reader";
    case RowRule::kCtiCim:
      return "cti-cim";
    case RowRule::kQido:
      return "qido";
  }
  return "?";
}

}  // namespace dualread::http
