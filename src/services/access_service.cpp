#include "services/access_service.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstring>

#include "services/audit_service.h"
#include "services/totp.h"
#include "storage/sha256.h"

namespace dualread {

namespace {

constexpr size_t kMinPasswordLength = 12;
// Women's codes: no 0/O, 1/I/L, U (read aloud or typed from a letter without confusion).
constexpr char kCodeAlphabet[] = "ABCDEFGHJKMNPQRSTVWXYZ23456789";
constexpr int kCodeLength = 16;

int64_t systemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string randomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// The address part of "ip:port" (IPv6 "[::1]:port" too).
std::string addressOf(const std::string& source) {
  if (!source.empty() && source.front() == '[') {
    const size_t close = source.find(']');
    return close == std::string::npos ? source : source.substr(1, close - 1);
  }
  const size_t colon = source.rfind(':');
  if (colon != std::string::npos && source.find(':') == colon) return source.substr(0, colon);
  return source;
}

std::string digitsOnly(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

}  // namespace

std::string secretHash(const std::string& secret) { return sha256Hex(secret); }

std::string normaliseAccessCode(const std::string& code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

AccessService::AccessService(const std::string& index_path, AccessSettings settings, Clock clock)
    : settings_(settings), clock_(clock ? std::move(clock) : Clock(systemNow)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  const std::string& cost = settings_.password_cost;
  if (cost == "minimum") {
    ops_ = crypto_pwhash_OPSLIMIT_MIN;
    mem_ = crypto_pwhash_MEMLIMIT_MIN;
  } else if (cost == "moderate") {
    ops_ = crypto_pwhash_OPSLIMIT_MODERATE;
    mem_ = crypto_pwhash_MEMLIMIT_MODERATE;
  } else {
    ops_ = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    mem_ = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  }
  store_ = std::make_unique<AccessStore>(index_path);
  key_file_ = settings_.totp_key_file.empty()
                  ? std::filesystem::path(index_path).parent_path() / "access.key"
                  : std::filesystem::path(settings_.totp_key_file);
  migrateTotpSecrets();
  char hash[crypto_pwhash_STRBYTES];
  const std::string dummy = randomToken(16);
  if (crypto_pwhash_str_alg(hash, dummy.c_str(), dummy.size(), ops_, mem_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("argon2id failed (out of memory?)");
  dummy_hash_ = hash;
}

AccessService::~AccessService() = default;

void AccessService::audit(const std::string& actor, const std::string& role,
                          const std::string& action, const std::string& object_id,
                          const std::optional<std::string>& woman, const std::string& source,
                          const std::string& detail) {
  if (!audit_) return;
  audit_->record(actor, role, action, woman && object_id == *woman ? "woman" : "account", object_id,
                 woman, source, detail);
}

const SecretBox& AccessService::box() {
  std::lock_guard lk(box_mu_);
  if (!box_) box_ = std::make_unique<SecretBox>(key_file_, true);
  return *box_;
}

void AccessService::migrateTotpSecrets() {
  std::vector<UserRow> clear;
  bool sealed = false;
  for (auto& u : store_->users()) {
    if (u.totp_secret.empty()) continue;
    if (SecretBox::isSealed(u.totp_secret)) {
      sealed = true;
      // Missing key with encrypted secrets: never a new key, which would lock everyone out.
      if (!box_) box_ = std::make_unique<SecretBox>(key_file_, false);
      if (!box_->open(u.totp_secret, u.login))
        throw SecretKeyError("the TOTP secret of the account " + u.login +
                             " does not decrypt with the key file " + key_file_.string() +
                             ": it is not the key the secrets were encrypted with (restore the "
                             "access.key saved with this data directory, or reset that "
                             "account's second factor)");
    } else {
      clear.push_back(std::move(u));
    }
  }
  if (clear.empty()) return;
  if (!box_) box_ = std::make_unique<SecretBox>(key_file_, !sealed);
  for (const auto& u : clear) store_->setTotpSecret(u.login, box_->seal(u.totp_secret, u.login));
  spdlog::info("{} TOTP secret(s) stored in clear are now encrypted with the key file {}",
               clear.size(), key_file_.string());
}

void AccessService::checkBindings(Role role, const std::vector<std::string>& cims,
                                  const std::string& rpps) {
  if (role == Role::kWoman)
    throw AccessError(
        "women do not have accounts: they log in to the portal with the access code printed in "
        "their letter and their birth date");
  if (needsCim(role) && cims.empty())
    throw AccessError(std::string("a ") + std::string(roleName(role)) +
                      " account must name its imaging centre (--cim)");
  if ((role == Role::kTechnologist || role == Role::kGateway) && cims.size() > 1)
    throw AccessError(std::string("a ") + std::string(roleName(role)) +
                      " account belongs to exactly one imaging centre");
  if (!needsCim(role) && !cims.empty())
    throw AccessError(std::string("a ") + std::string(roleName(role)) +
                      " account is not bound to an imaging centre: remove --cim");
  for (const auto& c : cims)
    if (auto p = cimProblem(c); !p.empty()) throw AccessError("'" + c.substr(0, 64) + "': " + p);
  for (size_t i = 0; i < cims.size(); ++i)
    for (size_t j = i + 1; j < cims.size(); ++j)
      if (cims[i] == cims[j])
        throw AccessError("the imaging centre " + cims[i] + " is named twice");
  if (needsRpps(role) && rpps.empty())
    throw AccessError("a doctor account must carry her RPPS number (--rpps)");
  if (!rpps.empty())
    if (auto p = rppsProblem(rpps); !p.empty())
      throw AccessError("'" + rpps.substr(0, 20) + "': " + p);
}

void AccessService::checkPassword(const std::string& login, const std::string& password) {
  if (password.size() < kMinPasswordLength)
    throw AccessError("the password must have at least " + std::to_string(kMinPasswordLength) +
                      " characters");
  if (password.size() > 1024) throw AccessError("the password is longer than 1024 characters");
  std::string lower;
  for (char c : password) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == login) throw AccessError("the password must not be the login");
  if (password.find_first_not_of(password[0]) == std::string::npos)
    throw AccessError("the password must not be one character repeated");
}

std::string AccessService::hashPassword(const std::string& password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.c_str(), password.size(), ops_, mem_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("argon2id failed (out of memory?)");
  return out;
}

std::string AccessService::newSealedTotp(const std::string& login, std::string& secret) {
  secret = newTotpSecret();
  return box().seal(secret, login);
}

std::optional<std::string> AccessService::addUser(const NewUser& u) {
  if (auto p = loginProblem(u.login); !p.empty())
    throw AccessError("'" + u.login.substr(0, 64) + "' cannot be a login: " + p);
  checkBindings(u.role, u.cims, u.rpps);
  std::string hash;
  if (u.role == Role::kGateway) {
    if (!u.password.empty())
      throw AccessError(
          "a gateway authenticates with a bearer token (admin add-token), not a "
          "password");
  } else {
    checkPassword(u.login, u.password);
    hash = hashPassword(u.password);
  }
  std::optional<std::string> totp;
  std::string stored_totp;
  if (u.totp) {
    if (!isStaff(u.role))
      throw AccessError("a second factor (TOTP) is for staff accounts with a password");
    std::string secret;
    stored_totp = newSealedTotp(u.login, secret);
    totp = secret;
  }
  UserRow row;
  row.login = u.login;
  row.role = std::string(roleName(u.role));
  row.cims = u.cims;
  row.rpps = u.rpps;
  row.display_name = u.display_name;
  row.password_hash = hash;
  row.totp_secret = stored_totp;
  if (!store_->addUser(row)) throw AccessError("the login '" + u.login + "' is already taken");
  return totp;
}

std::string AccessService::addToken(const std::string& login) {
  auto u = store_->user(login);
  if (!u) throw AccessError("there is no account '" + login + "'");
  if (u->role != roleName(Role::kGateway))
    throw AccessError("bearer tokens are for gateway accounts; '" + login + "' is a " + u->role);
  const std::string token = "drt_" + randomToken(32);
  store_->addToken(secretHash(token), login, now());
  return token;
}

bool AccessService::admitAttempt(const std::string& source, int64_t& retry_after) {
  const int64_t t = now();
  const int64_t minute = t / 60;
  std::lock_guard lk(mu_);
  if (rate_.size() > 10000) rate_.clear();  // bounded memory under a spray of addresses
  auto& w = rate_[addressOf(source)];
  if (w.minute != minute) w = {minute, 0};
  if (++w.count > settings_.login_attempts_per_minute) {
    retry_after = 60 - t % 60;
    return false;
  }
  return true;
}

std::optional<Principal> AccessService::userPrincipal(const UserRow& u, const std::string& method) {
  auto role = parseRole(u.role);
  if (!role || u.disabled) return std::nullopt;
  Principal p;
  p.login = u.login;
  p.role = *role;
  p.cims = u.cims;
  p.rpps = u.rpps;
  p.display_name = u.display_name;
  p.method = method;
  return p;
}

LoginResult AccessService::passwordCheck(const std::string& login, const std::string& password,
                                         const std::optional<std::string>& totp,
                                         const std::string& source, const char* what) {
  LoginResult r;
  if (!admitAttempt(source, r.retry_after_seconds)) {
    r.status = LoginStatus::kRateLimited;
    spdlog::warn("Too many login attempts from {}: refused for {} s", addressOf(source),
                 r.retry_after_seconds);
    return r;
  }
  auto u = login.size() <= 64 ? store_->user(login) : std::nullopt;
  const int64_t t = now();
  if (!u || u->disabled || u->password_hash.empty()) {
    if (crypto_pwhash_str_verify(dummy_hash_.c_str(), password.c_str(), password.size()) == 0)
      spdlog::debug("a random password matched (impossible)");
    r.status = LoginStatus::kBadCredentials;
    spdlog::info("{} refused from {}: unknown account or no password", what, source);
    return r;
  }
  if (u->locked_until > t) {
    r.status = LoginStatus::kLocked;
    r.retry_after_seconds = u->locked_until - t;
    try {
      audit(u->login, u->role, "auth.refused-locked", u->login, std::nullopt, source);
    } catch (const std::exception& e) {
      spdlog::error("AUDIT: a refused login of {} could not be recorded: {}", u->login, e.what());
    }
    return r;
  }
  bool ok =
      crypto_pwhash_str_verify(u->password_hash.c_str(), password.c_str(), password.size()) == 0;
  bool totp_failed = false;
  if (ok && !u->totp_secret.empty()) {
    std::optional<std::string> secret;
    try {
      secret = box().open(u->totp_secret, u->login);
    } catch (const SecretKeyError& e) {
      spdlog::error("The TOTP secret of {} cannot be read: {}", u->login, e.what());
    }
    if (!secret) {
      // Never a silent bypass of the second factor: refused, said in the log, not counted
      // against the user (the fault is the host's key, not her code).
      spdlog::error(
          "{} of {} refused: its TOTP secret does not decrypt with the key file {} (restore "
          "the right key, or reset the account's second factor)",
          what, u->login, key_file_.string());
      r.status = LoginStatus::kBadCredentials;
      return r;
    }
    std::optional<int64_t> step;
    if (totp) step = totpMatchStep(*secret, *totp, t);
    std::lock_guard lk(mu_);
    auto& last = totp_used_[u->login];
    if (!step || *step <= last) {
      ok = false;
      totp_failed = true;
    } else {
      last = *step;
    }
  }
  if (!ok) {
    const int64_t locked = store_->recordFailedLogin(u->login, settings_.max_failed_logins,
                                                     t + settings_.lockout_minutes * 60);
    r.status = LoginStatus::kBadCredentials;
    try {
      audit(u->login, u->role, "auth.failed", u->login, std::nullopt, source,
            totp_failed ? R"({"factor":"totp"})" : R"({"factor":"password"})");
      if (locked) {
        spdlog::warn(
            "The account {} is locked for {} minutes after {} failed logins (last from {})",
            u->login, settings_.lockout_minutes, settings_.max_failed_logins, source);
        audit(u->login, u->role, "auth.locked", u->login, std::nullopt, source);
      }
    } catch (const std::exception& e) {
      spdlog::error("AUDIT: a failed login of {} could not be recorded: {}", u->login, e.what());
    }
    if (locked) {
      r.status = LoginStatus::kLocked;
      r.retry_after_seconds = locked - t;
    }
    return r;
  }
  store_->recordSuccessfulLogin(u->login);
  r.principal = userPrincipal(*u, "password");
  if (!r.principal) return LoginResult{};
  r.status = LoginStatus::kOk;
  return r;
}

LoginResult AccessService::openSession(const std::string& kind, const std::string& subject,
                                       Principal p, const std::string& previous_session_id) {
  const int64_t t = now();
  if (!previous_session_id.empty()) store_->deleteSession(secretHash(previous_session_id));
  store_->purgeSessions(t, t - settings_.session_idle_minutes * 60);
  LoginResult r;
  r.session_id = randomToken(32);
  SessionRecord s;
  s.id_hash = secretHash(r.session_id);
  s.kind = kind;
  s.subject = subject;
  s.csrf_token = randomToken(24);
  s.created_at = t;
  s.last_seen = t;
  s.expires_at = t + int64_t{settings_.session_max_hours} * 3600;
  store_->putSession(s);
  p.method = "session";
  p.session_id_hash = s.id_hash;
  p.csrf_token = s.csrf_token;
  r.principal = std::move(p);
  r.status = LoginStatus::kOk;
  return r;
}

LoginResult AccessService::login(const std::string& login, const std::string& password,
                                 const std::string& totp, const std::string& source,
                                 const std::string& previous_session_id) {
  LoginResult r =
      passwordCheck(login, password, totp.empty() ? std::nullopt : std::optional<std::string>(totp),
                    source, "A login");
  if (r.status != LoginStatus::kOk) return r;
  r = openSession("user", login, *r.principal, previous_session_id);
  audit(r.principal->login, r.principal->auditRole(), "auth.login", login, std::nullopt, source);
  spdlog::info("{} ({}) logged in from {}", login, roleName(r.principal->role), source);
  return r;
}

LoginResult AccessService::basicLogin(const std::string& login, const std::string& password,
                                      const std::string& source) {
  LoginResult r = passwordCheck(login, password, std::nullopt, source, "An HTTP Basic login");
  if (r.principal) r.principal->method = "basic";
  return r;
}

LoginResult AccessService::portalLogin(const std::string& code, const std::string& birth_date,
                                       const std::string& source,
                                       const std::string& previous_session_id) {
  LoginResult r;
  if (!admitAttempt(source, r.retry_after_seconds)) {
    r.status = LoginStatus::kRateLimited;
    spdlog::warn("Too many portal login attempts from {}: refused for {} s", addressOf(source),
                 r.retry_after_seconds);
    return r;
  }
  r.status = LoginStatus::kBadCredentials;
  const std::string norm = normaliseAccessCode(code);
  if (norm.size() != kCodeLength) return r;
  auto c = store_->womanCode(secretHash(norm));
  if (!c || c->expires_at <= now()) {
    spdlog::info("A portal login was refused from {}: unknown or expired access code", source);
    return r;
  }
  const std::string given = digitsOnly(birth_date);
  auto known = birth_date_ ? birth_date_(c->woman_id) : std::nullopt;
  if (given.size() != 8 || !known || digitsOnly(*known) != given) {
    spdlog::info("A portal login was refused from {}: the birth date does not match", source);
    try {
      audit("woman:" + c->woman_id, "woman", "auth.failed", c->woman_id, c->woman_id, source,
            R"({"factor":"birth_date"})");
    } catch (const std::exception& e) {
      spdlog::error("AUDIT: a failed portal login could not be recorded: {}", e.what());
    }
    return r;
  }
  Principal p;
  p.login = "woman:" + c->woman_id;
  p.role = Role::kWoman;
  p.woman_id = c->woman_id;
  r = openSession("woman", c->woman_id, std::move(p), previous_session_id);
  audit(r.principal->login, "woman", "auth.login", c->woman_id, c->woman_id, source,
        R"({"method":"access_code"})");
  return r;
}

std::optional<Principal> AccessService::sessionPrincipal(const std::string& session_id) {
  if (session_id.empty() || session_id.size() > 128) return std::nullopt;
  const std::string h = secretHash(session_id);
  auto s = store_->session(h);
  if (!s) return std::nullopt;
  const int64_t t = now();
  if (s->expires_at <= t || s->last_seen + int64_t{settings_.session_idle_minutes} * 60 <= t) {
    store_->deleteSession(h);
    return std::nullopt;
  }
  std::optional<Principal> p;
  if (s->kind == "woman") {
    p = Principal{};
    p->login = "woman:" + s->subject;
    p->role = Role::kWoman;
    p->woman_id = s->subject;
  } else {
    auto u = store_->user(s->subject);
    if (!u) return std::nullopt;
    p = userPrincipal(*u, "session");
    if (!p) return std::nullopt;
  }
  p->method = "session";
  p->session_id_hash = h;
  p->csrf_token = s->csrf_token;
  if (t - s->last_seen >= 30) store_->touchSession(h, t);
  return p;
}

void AccessService::logout(const Principal& p, const std::string& source) {
  if (!p.session_id_hash.empty()) store_->deleteSession(p.session_id_hash);
  audit(p.login, p.auditRole(), "auth.logout", p.role == Role::kWoman ? p.woman_id : p.login,
        p.role == Role::kWoman ? std::optional<std::string>(p.woman_id) : std::nullopt, source);
}

std::optional<Principal> AccessService::tokenPrincipal(const std::string& token) {
  if (token.empty() || token.size() > 256) return std::nullopt;
  auto login = store_->loginOfToken(secretHash(token));
  if (!login) return std::nullopt;
  auto u = store_->user(*login);
  if (!u) return std::nullopt;
  return userPrincipal(*u, "token");
}

std::optional<Principal> AccessService::certificatePrincipal(const std::string& cn) {
  if (cn.empty() || cn.size() > 64) return std::nullopt;
  auto u = store_->userByCertCn(cn);
  if (!u || u->role != roleName(Role::kGateway)) return std::nullopt;
  return userPrincipal(*u, "certificate");
}

std::string AccessService::issueWomanCode(const std::string& woman_id, const std::string& round) {
  if (woman_id.empty() || round.empty() || round.size() > 32)
    throw AccessError("an access code needs a woman and a round (1 to 32 characters)");
  std::string code;
  const uint32_t n = sizeof kCodeAlphabet - 1;
  for (int i = 0; i < kCodeLength; ++i) code += kCodeAlphabet[randombytes_uniform(n)];
  const int64_t t = now();
  store_->putWomanCode(secretHash(code),
                       {woman_id, round, t, t + int64_t{settings_.woman_code_valid_days} * 86400});
  return code.substr(0, 4) + "-" + code.substr(4, 4) + "-" + code.substr(8, 4) + "-" +
         code.substr(12, 4);
}

ShareLink AccessService::createShareLink(const std::string& study_uid, const std::string& woman_id,
                                         const std::string& created_by, int64_t valid_hours) {
  if (valid_hours < 1 || valid_hours > int64_t{settings_.share_link_max_days} * 24)
    throw AccessError("a share link is valid from 1 hour to " +
                      std::to_string(settings_.share_link_max_days * 24) + " hours");
  ShareLink l;
  l.token = randomToken(32);
  l.row.id = randomToken(9);
  l.row.token_hash = secretHash(l.token);
  l.row.study_uid = study_uid;
  l.row.woman_id = woman_id;
  l.row.created_by = created_by;
  l.row.created_at = now();
  l.row.expires_at = l.row.created_at + valid_hours * 3600;
  store_->addShareLink(l.row);
  return l;
}

std::optional<ShareLinkRow> AccessService::useShareLink(const std::string& token) {
  if (token.empty() || token.size() > 128) return std::nullopt;
  auto l = store_->shareLinkByToken(secretHash(token));
  if (!l || l->revoked_at != 0 || l->expires_at <= now()) return std::nullopt;
  store_->countShareLinkUse(l->id);
  ++l->uses;
  return l;
}

}  // namespace dualread
