#pragma once
// AccessService: who is calling — the use cases of authentication over AccessStore. User
// accounts (argon2id passwords through libsodium, optional TOTP for staff), machine bearer
// tokens, password logins with per-account lockout and a per-address rate limit, cookie
// sessions (random ids stored hashed, CSRF token, idle and absolute expiry, a new id at every
// login), women's access codes (one per round, expiring, stored hashed) with the portal login
// (code + birth date), exam share links (one exam, expiring, revocable, counted) and the doctors
// each woman named. Secrets (passwords, tokens, codes, session ids) are never logged nor
// audited. Authentication events (login, failure, lockout, logout) go to the audit trail.
// Owned by the hub; thread-safe.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/access_role.h"
#include "index/access_store.h"
#include "services/access_settings.h"
#include "services/secret_box.h"

namespace dualread {

class AuditService;

// A request the service refuses as given (unknown role, missing CIM, weak password...): the
// sentence says what to fix.
class AccessError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

struct NewUser {
  std::string login;
  Role role = Role::kSecretary;
  std::vector<std::string> cims;
  std::string rpps;
  std::string display_name;
  std::string password;  // empty only for gateway accounts (tokens)
  bool totp = false;     // generate a TOTP secret (staff only)
};

enum class LoginStatus {
  kOk,
  kBadCredentials,  // unknown login, wrong password, wrong or missing TOTP: one answer for all
  kLocked,          // too many failures: locked for a while
  kRateLimited,     // too many attempts from this address
};

struct LoginResult {
  LoginStatus status = LoginStatus::kBadCredentials;
  std::optional<Principal> principal;
  std::string session_id;  // the cookie value (only returned here, stored hashed)
  int64_t retry_after_seconds = 0;
};

struct ShareLink {
  ShareLinkRow row;
  std::string token;  // only when just created
};

class AccessService {
 public:
  using Clock = std::function<int64_t()>;  // unix seconds
  // Birth date ("YYYYMMDD") of a woman id, from the register; nullopt when unknown.
  using BirthDateLookup = std::function<std::optional<std::string>(const std::string&)>;

  // Opens the access tables in `index_path` (DATA/index.sqlite). TOTP secrets are kept
  // encrypted (SecretBox) under the key file settings.totp_key_file (default: access.key next
  // to the index), created at first use; secrets an older dualread stored in clear are
  // encrypted here. Throws IndexError, or SecretKeyError when encrypted secrets exist and the
  // key file is missing, unusable or not the key they were encrypted with.
  AccessService(const std::string& index_path, AccessSettings settings, Clock clock = {});
  ~AccessService();

  void setAudit(AuditService* audit) { audit_ = audit; }
  void setBirthDateLookup(BirthDateLookup f) { birth_date_ = std::move(f); }
  const AccessSettings& settings() const { return settings_; }
  AccessStore& store() { return *store_; }

  // Creates an account. Returns the TOTP secret (base32) when one was generated. Throws
  // AccessError with a sentence (invalid login, role without its CIM or RPPS, password shorter
  // than 12 characters, login taken).
  std::optional<std::string> addUser(const NewUser& u);
  std::vector<UserRow> users() { return store_->users(); }
  // Throws AccessError when `role` cannot have these CIMs / this RPPS (the rules of addUser).
  static void checkBindings(Role role, const std::vector<std::string>& cims,
                            const std::string& rpps);
  // Throws AccessError when `password` is too weak for `login` (under 12 characters, or the
  // login itself).
  static void checkPassword(const std::string& login, const std::string& password);
  // The argon2id string of `password` at the configured cost. Throws std::runtime_error.
  std::string hashPassword(const std::string& password) const;
  // A new TOTP secret (base32) sealed for `login`, as stored; `secret` gets the clear value.
  std::string newSealedTotp(const std::string& login, std::string& secret);
  // The key file protecting TOTP secrets.
  std::filesystem::path totpKeyFile() const { return key_file_; }
  bool hasUsers() { return store_->userCount() > 0; }
  // Creates a bearer token for an existing gateway account and returns it (shown once; only
  // its hash is stored). Throws AccessError.
  std::string addToken(const std::string& login);

  // Password (+ TOTP) login from `source` (ip:port). A successful login opens a new session:
  // any session id the client presented (`previous_session_id`) is ended, never reused.
  LoginResult login(const std::string& login, const std::string& password, const std::string& totp,
                    const std::string& source, const std::string& previous_session_id = {});
  // Portal login of a woman: her access code and birth date (YYYY-MM-DD or YYYYMMDD).
  LoginResult portalLogin(const std::string& code, const std::string& birth_date,
                          const std::string& source, const std::string& previous_session_id = {});
  // The principal of a cookie session, or nullopt when unknown, expired or idle too long.
  std::optional<Principal> sessionPrincipal(const std::string& session_id);
  void logout(const Principal& p, const std::string& source);
  // The principal of a bearer token (machine accounts), or nullopt.
  std::optional<Principal> tokenPrincipal(const std::string& token);
  // The principal of the machine account whose client-certificate CN is `cn` (a certificate
  // the TLS layer verified against [tls] ca), or nullopt (no such account, or disabled).
  std::optional<Principal> certificatePrincipal(const std::string& cn);
  // HTTP Basic (DICOMweb peers, over TLS only — the caller checks TLS): same lockout and rate
  // limit as login(), no session.
  LoginResult basicLogin(const std::string& login, const std::string& password,
                         const std::string& source);

  // Issues the access code of `woman_id` for `round` (replacing an earlier one of that round),
  // valid settings.woman_code_valid_days. Returns the code, formatted "XXXX-XXXX-XXXX-XXXX"
  // (16 characters of an alphabet without 0/O, 1/I/L, U: ~78 bits).
  std::string issueWomanCode(const std::string& woman_id, const std::string& round);

  // Share links of one exam.
  ShareLink createShareLink(const std::string& study_uid, const std::string& woman_id,
                            const std::string& created_by, int64_t valid_hours);
  // The active link of `token` (not expired, not revoked), counted as one use; nullopt else.
  std::optional<ShareLinkRow> useShareLink(const std::string& token);
  std::vector<ShareLinkRow> shareLinks(const std::string& study_uid) {
    return store_->shareLinksOfStudy(study_uid);
  }
  std::optional<ShareLinkRow> shareLink(const std::string& id) { return store_->shareLink(id); }
  bool revokeShareLink(const std::string& id) { return store_->revokeShareLink(id, now()); }

  int64_t now() const { return clock_(); }

 private:
  struct RateWindow {
    int64_t minute = 0;
    int count = 0;
  };
  // False (and retry_after set) when `source`'s address made too many attempts this minute.
  bool admitAttempt(const std::string& source, int64_t& retry_after);
  LoginResult passwordCheck(const std::string& login, const std::string& password,
                            const std::optional<std::string>& totp, const std::string& source,
                            const char* what);
  LoginResult openSession(const std::string& kind, const std::string& subject, Principal p,
                          const std::string& previous_session_id);
  std::optional<Principal> userPrincipal(const UserRow& u, const std::string& method);
  void audit(const std::string& actor, const std::string& role, const std::string& action,
             const std::string& object_id, const std::optional<std::string>& woman,
             const std::string& source, const std::string& detail = "{}");

  // The SecretBox, created (with its key file) at first use. Throws SecretKeyError.
  const SecretBox& box();
  // Encrypts secrets stored in clear, and checks the key opens the others (constructor).
  void migrateTotpSecrets();

  AccessSettings settings_;
  Clock clock_;
  std::filesystem::path key_file_;
  std::mutex box_mu_;
  std::unique_ptr<SecretBox> box_;
  std::unique_ptr<AccessStore> store_;
  AuditService* audit_ = nullptr;
  BirthDateLookup birth_date_;
  std::string dummy_hash_;  // verified for unknown logins, so that they take as long
  unsigned long long ops_ = 0;
  size_t mem_ = 0;
  std::mutex mu_;  // guards rate_ and totp_used_
  std::map<std::string, RateWindow> rate_;
  std::map<std::string, int64_t> totp_used_;  // login -> last TOTP step accepted (no replay)
};

// sha256Hex of a secret (token, session id, code), the form stored.
std::string secretHash(const std::string& secret);
// Normalises a typed access code: upper case, without spaces or dashes.
std::string normaliseAccessCode(const std::string& code);

}  // namespace dualread
