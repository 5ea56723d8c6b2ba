#pragma once
// AccessStore: the persistent side of access control — user accounts (role, CIMs, RPPS,
// password hash, optional TOTP secret, failed-login counter and lockout), machine tokens,
// sessions, women's access codes, share links and the doctors each woman named. Its access_*
// tables live in the hub's index database with their own version in access_meta (like the
// workflow store). Secrets are never stored: tokens, session ids, access codes and share-link
// tokens are kept as SHA-256 hashes, passwords as argon2id strings (computed by the caller).
// One connection behind a mutex; every method is one statement or one transaction.
// Thread-safe. Every method throws IndexError when the database fails.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/sqlite.h"

namespace dualread {

struct UserRow {
  std::string login;
  std::string role;
  std::vector<std::string> cims;
  std::string rpps;
  std::string display_name;
  std::string password_hash;  // argon2id string; empty for machine accounts
  std::string totp_secret;    // base32; empty = no second factor
  int64_t failed_logins = 0;
  int64_t locked_until = 0;  // unix seconds; 0 = not locked
  bool disabled = false;
  std::string created_at;
  std::string cert_cn;  // machine accounts: subject CN of its TLS client certificate; empty = none
};

// A machine token as the administrator sees it: never the token, only an id (the first 16 hex
// digits of its SHA-256, enough to name it, useless to authenticate).
struct TokenRow {
  std::string id;
  std::string login;
  int64_t created_at = 0;
  bool revoked = false;
};

struct SessionRecord {
  std::string id_hash;
  std::string kind;     // "user" or "woman"
  std::string subject;  // login, or woman id
  std::string csrf_token;
  int64_t created_at = 0;
  int64_t last_seen = 0;
  int64_t expires_at = 0;  // absolute end
};

struct WomanCodeRow {
  std::string woman_id;
  std::string round;
  int64_t issued_at = 0;
  int64_t expires_at = 0;
};

struct ShareLinkRow {
  std::string id;
  std::string token_hash;
  std::string study_uid;
  std::string woman_id;
  std::string created_by;
  int64_t created_at = 0;
  int64_t expires_at = 0;
  int64_t revoked_at = 0;  // 0 = active
  int64_t uses = 0;
};

struct NamedDoctorRow {
  std::string woman_id;
  std::string rpps;
  std::string name;
};

class AccessStore {
 public:
  // Opens the index database at `path` and creates the access tables if needed. Throws
  // IndexError (cannot open; schema written by a newer dualread).
  explicit AccessStore(const std::string& path);
  ~AccessStore();
  AccessStore(const AccessStore&) = delete;
  AccessStore& operator=(const AccessStore&) = delete;

  static constexpr int kSchemaVersion = 2;
  int schemaVersion();

  // Users. addUser returns false when the login exists.
  bool addUser(const UserRow& u);
  std::optional<UserRow> user(const std::string& login);
  // The account whose client-certificate CN is `cn`, or nullopt.
  std::optional<UserRow> userByCertCn(const std::string& cn);
  // Sets (or clears, with "") the client-certificate CN of `login`. False when no such login;
  // throws IndexError when another account has that CN (unique).
  bool setCertCn(const std::string& login, const std::string& cn);
  std::vector<UserRow> users();
  int64_t userCount();
  // Failed login: increments the counter; when it reaches `max_failed`, sets locked_until and
  // resets the counter. Returns the updated row's locked_until.
  int64_t recordFailedLogin(const std::string& login, int max_failed, int64_t lock_until);
  void recordSuccessfulLogin(const std::string& login);
  bool setPassword(const std::string& login, const std::string& password_hash);
  // Account administration; each returns false when there is no such login.
  bool updateUser(const std::string& login, const std::string& role,
                  const std::vector<std::string>& cims, const std::string& rpps,
                  const std::string& display_name);
  bool setDisabled(const std::string& login, bool disabled);
  bool unlock(const std::string& login);  // failed-login counter and lockout cleared
  bool setTotpSecret(const std::string& login, const std::string& stored_secret);
  // Ends every cookie session of `login`; returns how many.
  int deleteSessionsOf(const std::string& login);

  // Machine tokens (by hash).
  void addToken(const std::string& token_hash, const std::string& login, int64_t now);
  std::optional<std::string> loginOfToken(const std::string& token_hash);
  std::vector<TokenRow> tokensOf(const std::string& login);
  // Revokes the active token of `login` whose id is `id`; false when none.
  bool revokeToken(const std::string& login, const std::string& id);

  // Sessions (by hash of the id).
  void putSession(const SessionRecord& s);
  std::optional<SessionRecord> session(const std::string& id_hash);
  void touchSession(const std::string& id_hash, int64_t now);
  void deleteSession(const std::string& id_hash);
  // Removes sessions past their end or unused since `idle_before`; returns how many.
  int purgeSessions(int64_t now, int64_t idle_before);

  // Women's access codes: one per (woman, round); putting a new one replaces the old.
  void putWomanCode(const std::string& code_hash, const WomanCodeRow& c);
  std::optional<WomanCodeRow> womanCode(const std::string& code_hash);

  // Share links.
  void addShareLink(const ShareLinkRow& l);
  std::optional<ShareLinkRow> shareLinkByToken(const std::string& token_hash);
  std::optional<ShareLinkRow> shareLink(const std::string& id);
  std::vector<ShareLinkRow> shareLinksOfStudy(const std::string& study_uid);
  // Returns false when no such active link.
  bool revokeShareLink(const std::string& id, int64_t now);
  void countShareLinkUse(const std::string& id);

  // The doctors a woman named (replaces the list) and the women who named a doctor.
  void setNamedDoctors(const std::string& woman_id, const std::vector<NamedDoctorRow>& doctors);
  std::vector<NamedDoctorRow> namedDoctors(const std::string& woman_id);
  bool womanNamedDoctor(const std::string& woman_id, const std::string& rpps);
  std::vector<std::string> womenOfDoctor(const std::string& rpps);

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace dualread
