#include "services/account_admin.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "services/audit_service.h"
#include "services/totp.h"

namespace dualread {

namespace {

using nlohmann::json;

std::string generatedPassword() {
  // 18 random bytes: 24 URL-safe base64 characters (144 bits).
  unsigned char raw[18];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return out;
}

Role roleOf(const std::string& name) {
  auto r = parseRole(name);
  if (!r || *r == Role::kWoman)
    throw AccessError("'" + name.substr(0, 40) +
                      "' is not a role; use one of: " + accountRoleList());
  return *r;
}

bool isActiveAdmin(const UserRow& u) {
  return u.role == roleName(Role::kAdministrator) && !u.disabled;
}

}  // namespace

std::string accountRoleList() {
  std::string out;
  for (Role r : accountRoles()) {
    if (r == Role::kWoman) continue;
    out += (out.empty() ? "" : ", ") + std::string(roleName(r));
  }
  return out;
}

UserRow AccountAdmin::existing(const std::string& login) {
  auto u = login.size() <= 64 ? access_.store().user(login) : std::nullopt;
  if (!u) throw AccountNotFound("there is no account '" + login.substr(0, 64) + "'");
  return *u;
}

AccountView AccountAdmin::view(const UserRow& u) {
  AccountView v;
  v.login = u.login;
  v.role = u.role;
  v.cims = u.cims;
  v.rpps = u.rpps;
  v.display_name = u.display_name;
  v.totp = !u.totp_secret.empty();
  v.disabled = u.disabled;
  v.locked_until = u.locked_until;
  v.locked = u.locked_until > access_.now();
  v.failed_logins = u.failed_logins;
  for (const auto& t : access_.store().tokensOf(u.login))
    if (!t.revoked) ++v.active_tokens;
  v.created_at = u.created_at;
  v.cert_cn = u.cert_cn;
  return v;
}

void AccountAdmin::record(const AccountActor& by, const std::string& action,
                          const std::string& login, const std::string& detail_json) {
  if (!audit_) return;
  audit_->record(by.login, by.role, action, "account", login, std::nullopt, by.source, detail_json);
}

void AccountAdmin::checkCertCn(const std::string& login, Role role, const std::string& cn) {
  if (cn.empty()) return;
  if (role != Role::kGateway)
    throw AccessError(
        "only a gateway (machine) account may authenticate with a client certificate");
  if (cn.size() > 64) throw AccessError("a certificate CN has at most 64 characters");
  for (char c : cn)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw AccessError("the certificate CN holds a control character");
  if (auto other = access_.store().userByCertCn(cn); other && other->login != login)
    throw AccountConflict("the certificate CN '" + cn + "' already belongs to the account " +
                          other->login);
}

void AccountAdmin::keepAnAdministrator(const UserRow& u, bool stays_active_admin) {
  if (!isActiveAdmin(u) || stays_active_admin) return;
  for (const auto& other : access_.store().users())
    if (other.login != u.login && isActiveAdmin(other)) return;
  throw AccountConflict("'" + u.login +
                        "' is the last active administrator: nobody could manage the accounts "
                        "any more; make another administrator first");
}

std::vector<AccountView> AccountAdmin::list() {
  std::vector<AccountView> out;
  for (const auto& u : access_.store().users()) out.push_back(view(u));
  return out;
}

AccountView AccountAdmin::get(const std::string& login) { return view(existing(login)); }

std::vector<TokenRow> AccountAdmin::tokens(const std::string& login) {
  existing(login);
  return access_.store().tokensOf(login);
}

AccountSecrets AccountAdmin::create(const NewAccount& a, const AccountActor& by) {
  std::lock_guard lk(mu_);
  NewUser u;
  u.login = a.login;
  u.role = roleOf(a.role);
  u.cims = a.cims;
  u.rpps = a.rpps;
  u.display_name = a.display_name;
  u.totp = a.totp;
  AccountSecrets out;
  if (u.role != Role::kGateway) {
    if (a.generate_password) {
      if (!a.password.empty())
        throw AccessError("give a password or ask for a generated one, not both");
      out.password = generatedPassword();
    }
    u.password = out.password.value_or(a.password);
  } else if (a.generate_password || !a.password.empty()) {
    throw AccessError(
        "a gateway authenticates with a bearer token (issue one after creating it), not a "
        "password");
  }
  if (u.display_name.size() > 200) throw AccessError("the display name is longer than 200");
  // Everything the store would refuse is checked before the audit entry is written.
  if (auto p = loginProblem(u.login); !p.empty())
    throw AccessError("'" + u.login.substr(0, 64) + "' cannot be a login: " + p);
  AccessService::checkBindings(u.role, u.cims, u.rpps);
  if (u.role != Role::kGateway) AccessService::checkPassword(u.login, u.password);
  if (u.totp && !isStaff(u.role))
    throw AccessError("a second factor (TOTP) is for staff accounts with a password");
  if (access_.store().user(u.login))
    throw AccountConflict("the login '" + u.login + "' is already taken");
  checkCertCn(u.login, u.role, a.cert_cn);
  record(by, "account.create", u.login,
         json({{"role", roleName(u.role)},
               {"cims", u.cims},
               {"rpps", u.rpps},
               {"totp", u.totp},
               {"cert_cn", a.cert_cn},
               {"password", u.role == Role::kGateway ? "none"
                            : out.password           ? "generated"
                                                     : "given"}})
             .dump());
  try {
    out.totp_secret = access_.addUser(u);
  } catch (const AccessError& e) {
    // Taken between the check and the insert.
    throw AccountConflict(e.what());
  }
  if (!a.cert_cn.empty()) access_.store().setCertCn(u.login, a.cert_cn);
  if (out.totp_secret) out.totp_uri = totpUri(u.login, *out.totp_secret);
  spdlog::info("Account {} ({}) created by {}", u.login, roleName(u.role), by.login);
  return out;
}

AccountView AccountAdmin::change(const std::string& login, const AccountChange& c,
                                 const AccountActor& by) {
  std::lock_guard lk(mu_);
  UserRow u = existing(login);
  const Role old_role = roleOf(u.role);
  const Role role = c.role ? roleOf(*c.role) : old_role;
  if ((role == Role::kGateway) != (old_role == Role::kGateway))
    throw AccessError(
        "a machine account (gateway) and a person's account do not turn into each other: "
        "create a new account");
  std::vector<std::string> cims = c.cims.value_or(u.cims);
  // A new role that takes no CIM drops the old bindings unless new ones are given.
  if (c.role && !c.cims && !needsCim(role)) cims.clear();
  const std::string rpps = c.rpps.value_or(u.rpps);
  const std::string name = c.display_name.value_or(u.display_name);
  if (name.size() > 200) throw AccessError("the display name is longer than 200");
  AccessService::checkBindings(role, cims, rpps);
  const std::string cert_cn = c.cert_cn.value_or(u.cert_cn);
  checkCertCn(login, role, cert_cn);
  keepAnAdministrator(u, role == Role::kAdministrator);
  json detail = json::object();
  if (role != old_role) detail["role"] = {{"from", u.role}, {"to", roleName(role)}};
  if (cims != u.cims) detail["cims"] = {{"from", u.cims}, {"to", cims}};
  if (rpps != u.rpps) detail["rpps"] = {{"from", u.rpps}, {"to", rpps}};
  if (name != u.display_name) detail["display_name"] = true;
  if (cert_cn != u.cert_cn) detail["cert_cn"] = {{"from", u.cert_cn}, {"to", cert_cn}};
  if (detail.empty()) return view(u);
  record(by, "account.change", login, detail.dump());
  access_.store().updateUser(login, std::string(roleName(role)), cims, rpps, name);
  if (cert_cn != u.cert_cn) access_.store().setCertCn(login, cert_cn);
  // Rights changed: the open sessions end, the next login carries the new ones.
  if (detail.contains("role") || detail.contains("cims") || detail.contains("rpps") ||
      detail.contains("cert_cn"))
    access_.store().deleteSessionsOf(login);
  spdlog::info("Account {} changed by {}", login, by.login);
  return view(existing(login));
}

AccountView AccountAdmin::setDisabled(const std::string& login, bool disabled,
                                      const AccountActor& by) {
  std::lock_guard lk(mu_);
  UserRow u = existing(login);
  if (u.disabled == disabled)
    throw AccountConflict("the account '" + login + "' is already " +
                          (disabled ? "disabled" : "enabled"));
  if (disabled) keepAnAdministrator(u, false);
  record(by, disabled ? "account.disable" : "account.enable", login, "{}");
  access_.store().setDisabled(login, disabled);
  if (disabled) access_.store().deleteSessionsOf(login);
  spdlog::info("Account {} {} by {}", login, disabled ? "disabled" : "enabled", by.login);
  return view(existing(login));
}

AccountSecrets AccountAdmin::resetPassword(const std::string& login,
                                           const std::optional<std::string>& password,
                                           const AccountActor& by) {
  std::lock_guard lk(mu_);
  UserRow u = existing(login);
  if (u.role == roleName(Role::kGateway))
    throw AccessError("a gateway has no password: issue it a new bearer token");
  AccountSecrets out;
  if (!password) out.password = generatedPassword();
  const std::string& pw = password ? *password : *out.password;
  AccessService::checkPassword(login, pw);
  const std::string hash = access_.hashPassword(pw);
  record(by, "account.password-reset", login,
         json({{"password", password ? "given" : "generated"}}).dump());
  access_.store().setPassword(login, hash);
  access_.store().deleteSessionsOf(login);
  spdlog::info("The password of {} was reset by {}", login, by.login);
  return out;
}

AccountView AccountAdmin::unlock(const std::string& login, const AccountActor& by) {
  std::lock_guard lk(mu_);
  UserRow u = existing(login);
  if (u.locked_until <= access_.now() && u.failed_logins == 0)
    throw AccountConflict("the account '" + login + "' is not locked");
  record(by, "account.unlock", login,
         json({{"failed_logins", u.failed_logins}, {"was_locked", u.locked_until > access_.now()}})
             .dump());
  access_.store().unlock(login);
  spdlog::info("Account {} unlocked by {}", login, by.login);
  return view(existing(login));
}

AccountSecrets AccountAdmin::resetTotp(const std::string& login, bool enable,
                                       const AccountActor& by) {
  std::lock_guard lk(mu_);
  UserRow u = existing(login);
  if (!isStaff(roleOf(u.role)))
    throw AccessError("a second factor (TOTP) is for staff accounts with a password");
  if (!enable && u.totp_secret.empty())
    throw AccountConflict("the account '" + login + "' has no second factor");
  AccountSecrets out;
  std::string stored;
  if (enable) {
    std::string secret;
    stored = access_.newSealedTotp(login, secret);
    out.totp_secret = secret;
    out.totp_uri = totpUri(login, secret);
  }
  record(by, enable ? "account.totp-reset" : "account.totp-remove", login, "{}");
  access_.store().setTotpSecret(login, stored);
  access_.store().deleteSessionsOf(login);
  spdlog::info("The second factor of {} was {} by {}", login, enable ? "reset" : "removed",
               by.login);
  return out;
}

IssuedToken AccountAdmin::issueToken(const std::string& login, const AccountActor& by) {
  std::lock_guard lk(mu_);
  UserRow u = existing(login);
  if (u.role != roleName(Role::kGateway))
    throw AccessError("bearer tokens are for gateway accounts; '" + login + "' is a " + u.role);
  if (u.disabled) throw AccountConflict("the account '" + login + "' is disabled: enable it first");
  IssuedToken t;
  t.token = access_.addToken(login);
  t.id = secretHash(t.token).substr(0, 16);
  try {
    record(by, "token.issue", login, json({{"token_id", t.id}}).dump());
  } catch (...) {
    access_.store().revokeToken(login, t.id);  // never a token the trail does not show
    throw;
  }
  spdlog::info("A bearer token {} was issued to {} by {}", t.id, login, by.login);
  return t;
}

void AccountAdmin::revokeToken(const std::string& login, const std::string& token_id,
                               const AccountActor& by) {
  std::lock_guard lk(mu_);
  existing(login);
  bool active = false;
  for (const auto& t : access_.store().tokensOf(login))
    active = active || (t.id == token_id && !t.revoked);
  if (!active)
    throw AccountNotFound("the account '" + login + "' has no active token " +
                          token_id.substr(0, 16));
  record(by, "token.revoke", login, json({{"token_id", token_id}}).dump());
  access_.store().revokeToken(login, token_id);
  spdlog::info("The bearer token {} of {} was revoked by {}", token_id, login, by.login);
}

}  // namespace dualread
