// REST API of access control (application/json): login, the current user and logout; the
// women's portal login; a woman's access history and the audit export for investigations;
// women's access codes and the doctors they named; exam share links and their use (/share).
// Who may call each route is in http/access_policy.cpp; secrets (passwords, codes, tokens)
// are read from request bodies only and never logged or audited.

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "domain/time.h"
#include "http/access_gate.h"
#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/reduced_frame_response.h"
#include "http/routes.h"
#include "index/archive_index.h"
#include "services/access_service.h"
#include "services/audit_service.h"

namespace dualread::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxJsonBody = 64 * 1024;

json readJsonBody(HttpRequest& req) { return http::readJsonBody(req, kMaxJsonBody, true); }

std::string stringField(const json& body, const char* name, bool required, size_t max = 256) {
  if (!body.contains(name) || body[name].is_null()) {
    if (required) throw HttpError(400, std::string("the field '") + name + "' is required");
    return {};
  }
  if (!body[name].is_string())
    throw HttpError(400, std::string("the field '") + name + "' must be a string");
  std::string v = body[name].get<std::string>();
  if (v.size() > max) throw HttpError(400, std::string("the field '") + name + "' is too long");
  return v;
}

AccessService& accessOf(HubServices& s) {
  if (!s.access) throw HttpError(503, "access control is not set up on this hub (it runs --open)");
  return *s.access;
}

const Principal& principalOf(const HttpRequest& req) {
  if (!req.principal) throw HttpError(401, "log in first");
  return *req.principal;
}

std::string isoTime(int64_t unix_seconds) {
  return toIsoDateTime(TimePoint{std::chrono::seconds{unix_seconds}});
}

json principalJson(const Principal& p) {
  json j = {{"login", p.login}, {"role", roleName(p.role)}, {"cims", p.cims}};
  if (!p.rpps.empty()) j["rpps"] = p.rpps;
  if (!p.woman_id.empty()) j["woman_id"] = p.woman_id;
  if (!p.csrf_token.empty()) j["csrf_token"] = p.csrf_token;
  j["method"] = p.method;
  return j;
}

std::string womanParam(const HttpRequest& req) {
  const std::string& raw = req.param("woman");
  auto id = parseNonNegative(raw);
  if (!id || *id < 1)
    throw HttpError(400, "'" + headerSafe(raw, 40) + "' is not a woman id (a positive integer)");
  return std::to_string(*id);
}

// ?from / ?to as an ISO date or date-time prefix (YYYY-MM-DD[THH:MM:SSZ]).
std::optional<std::string> timeParam(const std::string& name, const std::string& v) {
  if (v.size() < 10 || v.size() > 20 || v[4] != '-' || v[7] != '-')
    throw HttpError(400, "the query parameter '" + name +
                             "' must be a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM:SSZ");
  for (char c : v)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == 'T' ||
          c == 'Z'))
      throw HttpError(400, "the query parameter '" + name + "' holds unexpected characters");
  return v;
}

json auditJson(const AuditEvent& e) {
  json detail = json::parse(e.detail, nullptr, false);
  return {{"seq", e.seq},
          {"time", e.time},
          {"actor", e.actor},
          {"role", e.role},
          {"action", e.action},
          {"object_type", e.object_type},
          {"object_id", e.object_id},
          {"woman_id", e.woman_id ? json(*e.woman_id) : json(nullptr)},
          {"source", e.source},
          {"detail", detail.is_discarded() ? json(e.detail) : detail}};
}

// RFC 4180 field; a leading =, +, - or @ is quoted with a ' so that a spreadsheet never runs
// it as a formula (CSV injection).
std::string csvField(const std::string& v) {
  std::string s = v;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@')) s = "'" + s;
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void sendLogin(ResponseWriter& w, const HttpRequest& req, const LoginResult& r,
               const AccessSettings& settings) {
  if (r.status == LoginStatus::kRateLimited)
    throw HttpError(429, "too many login attempts from your address; wait a minute",
                    {{"Retry-After", std::to_string(r.retry_after_seconds)}});
  if (r.status == LoginStatus::kLocked)
    throw HttpError(401, "this account is locked after too many failed logins; try again in " +
                             std::to_string((r.retry_after_seconds + 59) / 60) + " minutes");
  if (r.status != LoginStatus::kOk || !r.principal)
    throw HttpError(401, "the login, the password or the code is wrong");
  sendJson(
      w, 200, principalJson(*r.principal), "application/json",
      {{"Set-Cookie", sessionCookie(r.session_id, req.secure, settings.session_max_hours * 3600)},
       {"Cache-Control", "no-store"}});
}

// What a share-link request asks for: the exam's summary, one image's file, or one image at
// screen resolution.
enum class ShareWhat { kExam, kInstance, kReduced };

void shareExam(HubServices& s, HttpRequest& req, ResponseWriter& w, ShareWhat what) {
  const bool instance = what != ShareWhat::kExam;
  // Before the link is used: a malformed request costs no use.
  const auto viewport =
      what == ShareWhat::kReduced ? parseViewport(req) : std::pair<uint32_t, uint32_t>{0, 0};
  // A browser opening the link gets the web app's page (no use of the link counted); the page
  // then asks this URL for JSON, which is the use.
  if (!instance && serveAppPage(s, req, w)) return;
  AccessService& access = accessOf(s);
  auto link = access.useShareLink(req.param("token"));
  if (!link) {
    spdlog::info("A share link was refused from {}: unknown, expired or revoked", req.peer);
    throw HttpError(404, "this share link is unknown, expired or revoked");
  }
  auto p = std::make_shared<Principal>();
  p->login = "share:" + link->id;
  p->role = Role::kShareLink;
  p->method = "share";
  req.principal = p;
  const std::optional<std::string> woman =
      link->woman_id.empty() ? std::nullopt : std::optional<std::string>(link->woman_id);
  if (!instance) {
    auto exam = s.exams.exam(link->study_uid);
    if (!exam) throw HttpError(404, "the shared exam is no longer stored in this hub");
    auditRead(s, req, "share.read", "exam", link->study_uid, woman,
              {{"link", link->id}, {"created_by", link->created_by}});
    json body = {{"study_uid", link->study_uid},
                 {"expires_at", isoTime(link->expires_at)},
                 {"exam", *exam},
                 {"instances", json::array()}};
    InstanceQuery q;
    q.study_uids = {link->study_uid};
    for (const auto& i : s.index.findInstances(q))
      body["instances"].push_back(
          {{"sop_instance_uid", i.sop_uid},
           {"url", "/share/" + req.param("token") + "/instances/" + i.sop_uid}});
    sendJson(w, 200, body, "application/json", {{"Cache-Control", "no-store"}});
    return;
  }
  const std::string sop = uidParam(req, "instance", "SOP Instance UID");
  InstanceRow row;
  if (!s.index.findInstance(sop, row) || row.study_uid != link->study_uid) {
    // An attempt to step outside the shared exam is a use of the link too: on the record.
    auditRead(s, req, "share.refused", "instance", sop, woman, {{"link", link->id}});
    throw HttpError(404, "this image is not part of the shared exam");
  }
  const auto path = s.blobs.pathOf(row.blob_key);
  if (what == ShareWhat::kReduced) {
    const ReducedFrame r = reduceForViewport(path, sop, 1, viewport);
    auditRead(s, req, "share.retrieve-reduced", "instance", sop, woman, {{"link", link->id}});
    sendReducedFrame(w, r, {{"Cache-Control", "no-store"}});
    return;
  }
  auditRead(s, req, "share.retrieve", "instance", sop, woman, {{"link", link->id}});
  w.beginStream(200, {{"Content-Type", "application/dicom"}, {"Cache-Control", "no-store"}},
                static_cast<uint64_t>(row.size));
  streamFile(w, path);
  w.finish();
}

}  // namespace

void addAccessRoutes(Router& router, HubServices& services) {
  HubServices* s = &services;

  router.add("POST", "/api/auth/login", "log in with a password (and TOTP): opens a session",
             [s](HttpRequest& req, ResponseWriter& w) {
               AccessService& access = accessOf(*s);
               const json body = readJsonBody(req);
               const std::string login = stringField(body, "login", true, 64);
               const std::string password = stringField(body, "password", true, 1024);
               const std::string totp = stringField(body, "totp", false, 16);
               const std::string previous = cookieValue(req.header("cookie"), kSessionCookie);
               sendLogin(w, req, access.login(login, password, totp, req.peer, previous),
                         access.settings());
             });

  router.add("GET", "/api/auth/me", "who is logged in: login, role, CIMs, CSRF token",
             [](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               sendJson(w, 200, principalJson(principalOf(req)), "application/json",
                        {{"Cache-Control", "no-store"}});
             });

  router.add("POST", "/api/auth/logout", "end the session",
             [s](HttpRequest& req, ResponseWriter& w) {
               accessOf(*s).logout(principalOf(req), req.peer);
               sendJson(w, 200, {{"logged_out", true}}, "application/json",
                        {{"Set-Cookie", sessionCookie("", req.secure, 0)}});
             });

  router.add("POST", "/api/portal/login",
             "a woman logs in with her letter's access code and her birth date",
             [s](HttpRequest& req, ResponseWriter& w) {
               AccessService& access = accessOf(*s);
               const json body = readJsonBody(req);
               const std::string code = stringField(body, "code", true, 64);
               const std::string birth = stringField(body, "birth_date", true, 16);
               const std::string previous = cookieValue(req.header("cookie"), kSessionCookie);
               sendLogin(w, req, access.portalLogin(code, birth, req.peer, previous),
                         access.settings());
             });

  router.add(
      "GET", "/api/women/{woman}/access-history", "who accessed a woman's data, newest first",
      [s](HttpRequest& req, ResponseWriter& w) {
        requireKnownParams(req, {"limit", "offset"});
        if (!s->audit) throw HttpError(503, "the audit trail is not open in this process");
        const std::string woman = womanParam(req);
        AuditQuery q;
        q.woman_id = woman;
        q.newest_first = true;
        for (const auto& [k, v] : req.query) {
          auto n = parseNonNegative(v);
          if (!n || (k == "limit" && (*n < 1 || *n > 1000)))
            throw HttpError(400,
                            "the query parameter '" + k + "' must be an integer (limit 1 to 1000)");
          (k == "limit" ? q.limit : q.offset) = *n;
        }
        // Reading the history is itself an access to her record.
        auditRead(*s, req, "read-access-history", "woman", woman, woman);
        json entries = json::array();
        for (const auto& e : s->audit->query(q)) entries.push_back(auditJson(e));
        sendJson(
            w, 200,
            {{"woman_id", woman}, {"entries", entries}, {"limit", q.limit}, {"offset", q.offset}});
      });

  router.add(
      "GET", "/api/audit/export",
      "export the audit trail for an investigation (CSV or JSON), filtered",
      [s](HttpRequest& req, ResponseWriter& w) {
        requireKnownParams(req, {"woman", "actor", "from", "to", "format"});
        if (!s->audit) throw HttpError(503, "the audit trail is not open in this process");
        AuditQuery q;
        q.limit = 1000000;
        std::string format = "json";
        json filter = json::object();
        for (const auto& [k, v] : req.query) {
          if (k == "woman") {
            auto n = parseNonNegative(v);
            if (!n || *n < 1) throw HttpError(400, "'" + headerSafe(v, 40) + "' is not a woman id");
            q.woman_id = std::to_string(*n);
          } else if (k == "actor") {
            if (v.empty() || v.size() > 128)
              throw HttpError(400, "the actor must be 1 to 128 characters");
            q.actor = v;
          } else if (k == "from") {
            q.from = timeParam(k, v);
          } else if (k == "to") {
            q.to = timeParam(k, v);
          } else if (k == "format") {
            if (v != "csv" && v != "json") throw HttpError(400, "the format is csv or json");
            format = v;
          }
          if (k != "format") filter[k] = v;
        }
        const auto events = s->audit->query(q);
        // The export is audited before anything is sent (with its filter, not its rows).
        auditRead(*s, req, "audit.export", "audit", format, q.woman_id,
                  {{"filter", filter}, {"entries", events.size()}});
        const Headers h = {{"Cache-Control", "no-store"},
                           {"Content-Disposition",
                            std::string("attachment; filename=\"dualread-audit.") + format + "\""}};
        if (format == "json") {
          json entries = json::array();
          for (const auto& e : events) {
            json j = auditJson(e);
            j["prev_hash"] = e.prev_hash;
            j["entry_hash"] = e.entry_hash;
            entries.push_back(std::move(j));
          }
          sendJson(w, 200, {{"filter", filter}, {"entries", entries}}, "application/json", h);
          return;
        }
        std::string csv =
            "seq,time,actor,role,action,object_type,object_id,woman_id,source,detail,"
            "entry_hash\r\n";
        for (const auto& e : events) {
          csv += std::to_string(e.seq) + "," + csvField(e.time) + "," + csvField(e.actor) + "," +
                 csvField(e.role) + "," + csvField(e.action) + "," + csvField(e.object_type) + "," +
                 csvField(e.object_id) + "," + csvField(e.woman_id.value_or("")) + "," +
                 csvField(e.source) + "," + csvField(e.detail) + "," + e.entry_hash + "\r\n";
        }
        Headers hc = h;
        hc.emplace_back("Content-Type", "text/csv; charset=utf-8");
        w.send(200, std::move(hc), std::move(csv));
      });

  router.add(
      "POST", "/api/women/{woman}/access-codes",
      "issue a woman's portal access code for a round (shown once, for her letter)",
      [s](HttpRequest& req, ResponseWriter& w) {
        AccessService& access = accessOf(*s);
        const std::string woman = womanParam(req);
        const json body = readJsonBody(req);
        const std::string round = stringField(body, "round", true, 32);
        WomanRow row;
        if (!s->index.getWoman(std::stoll(woman), row))
          throw HttpError(404, "no woman with id " + woman + " is known to this hub");
        if (row.birth_date.empty())
          throw HttpError(409, "this woman's birth date is unknown: she could not log in");
        // Recorded before the code exists: no code is ever issued untraced.
        auditRead(*s, req, "access-code.issue", "woman", woman, woman, json({{"round", round}}));
        std::string code;
        try {
          code = access.issueWomanCode(woman, round);
        } catch (const AccessError& e) {
          throw HttpError(400, e.what());
        }
        sendJson(w, 201,
                 {{"woman_id", woman},
                  {"round", round},
                  {"code", code},
                  {"valid_days", access.settings().woman_code_valid_days}},
                 "application/json", {{"Cache-Control", "no-store"}});
      });

  router.add("GET", "/api/women/{woman}/doctors", "the doctors a woman named (RPPS)",
             [s](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               const std::string woman = womanParam(req);
               auditRead(*s, req, "read-doctors", "woman", woman, woman);
               json list = json::array();
               for (const auto& d : accessOf(*s).store().namedDoctors(woman))
                 list.push_back({{"rpps", d.rpps}, {"name", d.name}});
               sendJson(w, 200, {{"woman_id", woman}, {"doctors", list}});
             });

  router.add(
      "PUT", "/api/women/{woman}/doctors",
      "set the doctors a woman named (they then see her results)",
      [s](HttpRequest& req, ResponseWriter& w) {
        AccessService& access = accessOf(*s);
        const std::string woman = womanParam(req);
        const json body = readJsonBody(req);
        if (!body.contains("doctors") || !body["doctors"].is_array() || body["doctors"].size() > 20)
          throw HttpError(400, "the body needs 'doctors': a list of at most 20 {rpps, name}");
        std::vector<NamedDoctorRow> rows;
        json list = json::array();
        for (const auto& d : body["doctors"]) {
          if (!d.is_object()) throw HttpError(400, "each doctor is an object {rpps, name}");
          const std::string rpps = stringField(d, "rpps", true, 11);
          if (auto p = rppsProblem(rpps); !p.empty())
            throw HttpError(400, "'" + headerSafe(rpps, 20) + "': " + p);
          const std::string name = stringField(d, "name", false, 200);
          rows.push_back({woman, rpps, name});
          list.push_back(rpps);
        }
        WomanRow row;
        if (!s->index.getWoman(std::stoll(woman), row))
          throw HttpError(404, "no woman with id " + woman + " is known to this hub");
        auditRead(*s, req, "doctors.set", "woman", woman, woman, json({{"rpps", list}}));
        access.store().setNamedDoctors(woman, rows);
        sendJson(w, 200, {{"woman_id", woman}, {"doctors", list}});
      });

  router.add("GET", "/api/doctor/women", "the women who named the logged-in doctor",
             [s](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               const Principal& p = principalOf(req);
               const auto women = accessOf(*s).store().womenOfDoctor(p.rpps);
               auditRead(*s, req, "read-patient-list", "doctor", p.rpps, std::nullopt,
                         {{"women", women.size()}});
               sendJson(w, 200, {{"rpps", p.rpps}, {"women", women}});
             });

  router.add("POST", "/api/exams/{study}/share-links",
             "create a share link to one exam (expiring, revocable)",
             [s](HttpRequest& req, ResponseWriter& w) {
               AccessService& access = accessOf(*s);
               const std::string uid = uidParam(req, "study", "Study Instance UID");
               const json body = readJsonBody(req);
               int64_t hours = 72;
               if (body.contains("valid_hours")) {
                 if (!body["valid_hours"].is_number_integer())
                   throw HttpError(400, "valid_hours must be a whole number of hours");
                 hours = body["valid_hours"].get<int64_t>();
               }
               StudyRow st;
               if (!s->index.getStudy(uid, st))
                 throw HttpError(404, "no exam with Study Instance UID " + uid + " is stored");
               const auto woman = womanOfStudy(*s, uid);
               const AuditActor who = requestActor(req);
               ShareLink link;
               try {
                 link = access.createShareLink(uid, woman.value_or(""), who.actor, hours);
               } catch (const AccessError& e) {
                 throw HttpError(400, e.what());
               }
               try {
                 auditRead(*s, req, "share-link.create", "exam", uid, woman,
                           {{"link", link.row.id}, {"valid_hours", hours}});
               } catch (...) {
                 access.revokeShareLink(link.row.id);  // never a link the trail does not show
                 throw;
               }
               sendJson(w, 201,
                        {{"id", link.row.id},
                         {"study_uid", uid},
                         {"token", link.token},
                         {"url", "/share/" + link.token},
                         {"expires_at", isoTime(link.row.expires_at)}},
                        "application/json", {{"Cache-Control", "no-store"}});
             });

  router.add("GET", "/api/exams/{study}/share-links", "the share links of an exam (no tokens)",
             [s](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               const std::string uid = uidParam(req, "study", "Study Instance UID");
               auditRead(*s, req, "read-share-links", "exam", uid, womanOfStudy(*s, uid));
               json list = json::array();
               const int64_t now = accessOf(*s).now();
               for (const auto& l : accessOf(*s).shareLinks(uid))
                 list.push_back({{"id", l.id},
                                 {"created_by", l.created_by},
                                 {"created_at", isoTime(l.created_at)},
                                 {"expires_at", isoTime(l.expires_at)},
                                 {"revoked", l.revoked_at != 0},
                                 {"active", l.revoked_at == 0 && l.expires_at > now},
                                 {"uses", l.uses}});
               sendJson(w, 200, {{"study_uid", uid}, {"links", list}});
             });

  router.add("DELETE", "/api/exams/{study}/share-links/{link}", "revoke a share link",
             [s](HttpRequest& req, ResponseWriter& w) {
               AccessService& access = accessOf(*s);
               const std::string uid = uidParam(req, "study", "Study Instance UID");
               const std::string& id = req.param("link");
               auto l = id.size() <= 32 ? access.shareLink(id) : std::nullopt;
               if (!l || l->study_uid != uid)
                 throw HttpError(404, "this exam has no share link " + headerSafe(id, 32));
               if (!access.revokeShareLink(id))
                 throw HttpError(409, "this share link was already revoked");
               auditRead(*s, req, "share-link.revoke", "exam", uid, womanOfStudy(*s, uid),
                         json({{"link", id}}));
               sendJson(w, 200, {{"id", id}, {"revoked", true}});
             });

  router.add("GET", "/share/{token}", "an exam shared by link: its summary and images",
             [s](HttpRequest& req, ResponseWriter& w) { shareExam(*s, req, w, ShareWhat::kExam); });
  router.add(
      "GET", "/share/{token}/instances/{instance}", "one image of an exam shared by link",
      [s](HttpRequest& req, ResponseWriter& w) { shareExam(*s, req, w, ShareWhat::kInstance); });
  router.add(
      "GET", "/share/{token}/instances/{instance}/reduced",
      "one image of an exam shared by link, at the resolution of the screen",
      [s](HttpRequest& req, ResponseWriter& w) { shareExam(*s, req, w, ShareWhat::kReduced); });
}

}  // namespace dualread::http
