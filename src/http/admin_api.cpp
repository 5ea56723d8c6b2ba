// REST API of account administration (application/json), for administrators only
// (http/access_policy.cpp): list accounts, create one, change its role and bindings, disable,
// enable, unlock, reset its password or its second factor, issue and revoke a gateway's bearer
// tokens. The work is services/account_admin (the same as `dualread admin ...`); this file
// only reads the JSON, names the actor and maps refusals to statuses. Generated secrets are
// sent once with Cache-Control: no-store and never logged.

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "domain/time.h"
#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"
#include "services/account_admin.h"

namespace dualread::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxJsonBody = 16 * 1024;
const Headers kNoStore = {{"Cache-Control", "no-store"}};

AccountAdmin& adminOf(HubServices& s) {
  if (!s.accounts)
    throw HttpError(503, "account administration is not set up on this hub (it runs --open)");
  return *s.accounts;
}

AccountActor actorOf(const HttpRequest& req) {
  const AuditActor a = requestActor(req);
  return {a.actor, a.role, a.source};
}

std::string isoTime(int64_t unix_seconds) {
  return toIsoDateTime(TimePoint{std::chrono::seconds{unix_seconds}});
}

json accountJson(const AccountView& v) {
  json j = {{"login", v.login},
            {"role", v.role},
            {"cims", v.cims},
            {"rpps", v.rpps},
            {"display_name", v.display_name},
            {"totp", v.totp},
            {"disabled", v.disabled},
            {"locked", v.locked},
            {"failed_logins", v.failed_logins},
            {"active_tokens", v.active_tokens},
            {"created_at", v.created_at},
            {"cert_cn", v.cert_cn}};
  j["locked_until"] = v.locked ? json(isoTime(v.locked_until)) : json(nullptr);
  return j;
}

json secretsJson(const AccountSecrets& s) {
  json j = json::object();
  if (s.password) j["password"] = *s.password;
  if (s.totp_secret) j["totp_secret"] = *s.totp_secret;
  if (s.totp_uri) j["totp_uri"] = *s.totp_uri;
  return j;
}

std::optional<std::string> optString(const json& body, const char* name, size_t max) {
  if (!body.contains(name) || body[name].is_null()) return std::nullopt;
  if (!body[name].is_string())
    throw HttpError(400, std::string("the field '") + name + "' must be a string");
  std::string v = body[name].get<std::string>();
  if (v.size() > max) throw HttpError(400, std::string("the field '") + name + "' is too long");
  return v;
}

std::optional<std::vector<std::string>> optCims(const json& body) {
  if (!body.contains("cims") || body["cims"].is_null()) return std::nullopt;
  if (!body["cims"].is_array() || body["cims"].size() > 50)
    throw HttpError(400, "the field 'cims' must be a list of at most 50 imaging centre ids");
  std::vector<std::string> out;
  for (const auto& c : body["cims"]) {
    if (!c.is_string() || c.get<std::string>().size() > 64)
      throw HttpError(400, "each imaging centre id in 'cims' is a string of 1 to 64 characters");
    out.push_back(c.get<std::string>());
  }
  return out;
}

bool optBool(const json& body, const char* name, bool fallback) {
  if (!body.contains(name) || body[name].is_null()) return fallback;
  if (!body[name].is_boolean())
    throw HttpError(400, std::string("the field '") + name + "' must be true or false");
  return body[name].get<bool>();
}

void rejectUnknownFields(const json& body, std::initializer_list<const char*> known) {
  for (const auto& [k, v] : body.items()) {
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) throw HttpError(400, "unknown field '" + headerSafe(k, 40) + "'");
  }
}

// Runs `f`, mapping the account service's refusals to HTTP statuses.
template <typename F>
void guarded(const HttpRequest& req, F&& f) {
  try {
    f();
  } catch (const HttpError&) {
    throw;
  } catch (const AccountNotFound& e) {
    throw HttpError(404, e.what());
  } catch (const AccountConflict& e) {
    throw HttpError(409, e.what());
  } catch (const AccessError& e) {
    throw HttpError(400, e.what());
  } catch (const SecretKeyError& e) {
    spdlog::error("Account change by {} refused: {}", requestActor(req).actor, e.what());
    throw HttpError(503, "the key protecting second factors cannot be used; see the hub's log");
  } catch (const std::exception& e) {
    // The audit trail (or the index) could not record the change: nothing was changed.
    spdlog::error("AUDIT: an account change by {} was refused: {}", requestActor(req).actor,
                  e.what());
    throw HttpError(503, "the change could not be recorded in the audit trail; nothing changed");
  }
}

const std::string& loginParam(const HttpRequest& req) { return req.param("login"); }

}  // namespace

void addAdminRoutes(Router& router, HubServices& services) {
  HubServices* s = &services;

  router.add("GET", "/api/admin/users", "the accounts (never a password hash nor a secret)",
             [s](HttpRequest& req, ResponseWriter& w) {
               requireKnownParams(req, {});
               json list = json::array();
               for (const auto& v : adminOf(*s).list()) list.push_back(accountJson(v));
               sendJson(w, 200, {{"accounts", list}, {"roles", accountRoleList()}},
                        "application/json", kNoStore);
             });

  router.add("POST", "/api/admin/users",
             "create an account (password given or generated, shown once)",
             [s](HttpRequest& req, ResponseWriter& w) {
               const json body = readJsonBody(req, kMaxJsonBody, true);
               rejectUnknownFields(body, {"login", "role", "cims", "rpps", "display_name",
                                          "password", "generate_password", "totp", "cert_cn"});
               NewAccount a;
               a.login = optString(body, "login", 64).value_or("");
               a.role = optString(body, "role", 40).value_or("");
               if (a.login.empty() || a.role.empty())
                 throw HttpError(400, "an account needs a 'login' and a 'role'");
               a.cims = optCims(body).value_or(std::vector<std::string>{});
               a.rpps = optString(body, "rpps", 20).value_or("");
               a.display_name = optString(body, "display_name", 200).value_or("");
               a.password = optString(body, "password", 1024).value_or("");
               a.generate_password = optBool(body, "generate_password", false);
               a.totp = optBool(body, "totp", false);
               a.cert_cn = optString(body, "cert_cn", 64).value_or("");
               guarded(req, [&] {
                 AccountAdmin& admin = adminOf(*s);
                 const AccountSecrets secrets = admin.create(a, actorOf(req));
                 json out = {{"account", accountJson(admin.get(a.login))}};
                 out.update(secretsJson(secrets));
                 sendJson(w, 201, out, "application/json", kNoStore);
               });
             });

  router.add(
      "GET", "/api/admin/users/{login}", "one account and its bearer tokens (ids only)",
      [s](HttpRequest& req, ResponseWriter& w) {
        requireKnownParams(req, {});
        guarded(req, [&] {
          AccountAdmin& admin = adminOf(*s);
          json out = accountJson(admin.get(loginParam(req)));
          json tokens = json::array();
          for (const auto& t : admin.tokens(loginParam(req)))
            tokens.push_back(
                {{"id", t.id}, {"created_at", isoTime(t.created_at)}, {"revoked", t.revoked}});
          out["tokens"] = tokens;
          sendJson(w, 200, out, "application/json", kNoStore);
        });
      });

  router.add("PATCH", "/api/admin/users/{login}",
             "change an account's role, imaging centres, RPPS or display name",
             [s](HttpRequest& req, ResponseWriter& w) {
               const json body = readJsonBody(req, kMaxJsonBody, true);
               rejectUnknownFields(body, {"role", "cims", "rpps", "display_name", "cert_cn"});
               AccountChange c;
               c.role = optString(body, "role", 40);
               c.cims = optCims(body);
               c.rpps = optString(body, "rpps", 20);
               c.display_name = optString(body, "display_name", 200);
               c.cert_cn = optString(body, "cert_cn", 64);
               guarded(req, [&] {
                 sendJson(w, 200,
                          accountJson(adminOf(*s).change(loginParam(req), c, actorOf(req))));
               });
             });

  for (const bool disable : {true, false}) {
    router.add(
        "POST", std::string("/api/admin/users/{login}/") + (disable ? "disable" : "enable"),
        disable ? "disable an account (its sessions end)" : "enable a disabled account",
        [s, disable](HttpRequest& req, ResponseWriter& w) {
          guarded(req, [&] {
            sendJson(w, 200,
                     accountJson(adminOf(*s).setDisabled(loginParam(req), disable, actorOf(req))));
          });
        });
  }

  router.add("POST", "/api/admin/users/{login}/unlock",
             "unlock an account locked after failed logins",
             [s](HttpRequest& req, ResponseWriter& w) {
               guarded(req, [&] {
                 sendJson(w, 200, accountJson(adminOf(*s).unlock(loginParam(req), actorOf(req))));
               });
             });

  router.add("POST", "/api/admin/users/{login}/password",
             "reset a password: {password} given, or generated and shown once",
             [s](HttpRequest& req, ResponseWriter& w) {
               const json body = readJsonBody(req, kMaxJsonBody, true);
               rejectUnknownFields(body, {"password"});
               const auto password = optString(body, "password", 1024);
               guarded(req, [&] {
                 const AccountSecrets secrets =
                     adminOf(*s).resetPassword(loginParam(req), password, actorOf(req));
                 json out = {{"login", loginParam(req)}, {"reset", true}};
                 out.update(secretsJson(secrets));
                 sendJson(w, 200, out, "application/json", kNoStore);
               });
             });

  router.add("POST", "/api/admin/users/{login}/totp",
             "reset the second factor (a new TOTP secret, shown once) or remove it",
             [s](HttpRequest& req, ResponseWriter& w) {
               const json body = readJsonBody(req, kMaxJsonBody, true);
               rejectUnknownFields(body, {"enabled"});
               const bool enable = optBool(body, "enabled", true);
               guarded(req, [&] {
                 const AccountSecrets secrets =
                     adminOf(*s).resetTotp(loginParam(req), enable, actorOf(req));
                 json out = {{"login", loginParam(req)}, {"totp", enable}};
                 out.update(secretsJson(secrets));
                 sendJson(w, 200, out, "application/json", kNoStore);
               });
             });

  router.add(
      "GET", "/api/admin/users/{login}/tokens", "a gateway's bearer tokens (ids only)",
      [s](HttpRequest& req, ResponseWriter& w) {
        requireKnownParams(req, {});
        guarded(req, [&] {
          json tokens = json::array();
          for (const auto& t : adminOf(*s).tokens(loginParam(req)))
            tokens.push_back(
                {{"id", t.id}, {"created_at", isoTime(t.created_at)}, {"revoked", t.revoked}});
          sendJson(w, 200, {{"login", loginParam(req)}, {"tokens", tokens}});
        });
      });

  router.add("POST", "/api/admin/users/{login}/tokens",
             "issue a bearer token to a gateway account (shown once)",
             [s](HttpRequest& req, ResponseWriter& w) {
               guarded(req, [&] {
                 const IssuedToken t = adminOf(*s).issueToken(loginParam(req), actorOf(req));
                 sendJson(w, 201, {{"login", loginParam(req)}, {"id", t.id}, {"token", t.token}},
                          "application/json", kNoStore);
               });
             });

  router.add("DELETE", "/api/admin/users/{login}/tokens/{token}", "revoke a bearer token",
             [s](HttpRequest& req, ResponseWriter& w) {
               guarded(req, [&] {
                 adminOf(*s).revokeToken(loginParam(req), req.param("token"), actorOf(req));
                 sendJson(
                     w, 200,
                     {{"login", loginParam(req)}, {"id", req.param("token")}, {"revoked", true}});
               });
             });
}

}  // namespace dualread::http
