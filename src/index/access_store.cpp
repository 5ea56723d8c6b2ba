#include "index/access_store.h"

#include <chrono>

#include "domain/time.h"

namespace dualread {

namespace {

// The list of migrations of the access tables; append, never edit.
const char* const kAccessMigrations[] = {
    // v1
    R"sql(
CREATE TABLE access_users(
  login TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  cims TEXT NOT NULL DEFAULT '',
  rpps TEXT NOT NULL DEFAULT '',
  display_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  totp_secret TEXT NOT NULL DEFAULT '',
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL);
CREATE INDEX access_users_rpps ON access_users(rpps) WHERE rpps <> '';
CREATE TABLE access_tokens(
  token_hash TEXT PRIMARY KEY,
  login TEXT NOT NULL REFERENCES access_users(login),
  created_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE access_sessions(
  id_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  expires_at INTEGER NOT NULL);
CREATE TABLE access_woman_codes(
  code_hash TEXT PRIMARY KEY,
  woman_id TEXT NOT NULL,
  round TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  UNIQUE(woman_id, round));
CREATE TABLE access_share_links(
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  study_uid TEXT NOT NULL,
  woman_id TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0,
  uses INTEGER NOT NULL DEFAULT 0);
CREATE INDEX access_share_links_study ON access_share_links(study_uid);
CREATE TABLE access_named_doctors(
  woman_id TEXT NOT NULL,
  rpps TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(woman_id, rpps));
CREATE INDEX access_named_doctors_rpps ON access_named_doctors(rpps, woman_id);
)sql",
    // v2: a machine account may authenticate with a TLS client certificate (its subject CN).
    R"sql(
ALTER TABLE access_users ADD COLUMN cert_cn TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX access_users_cert_cn ON access_users(cert_cn) WHERE cert_cn <> '';
)sql",
};
static_assert(std::size(kAccessMigrations) == AccessStore::kSchemaVersion);

std::string joinCims(const std::vector<std::string>& cims) {
  std::string s;
  for (const auto& c : cims) s += (s.empty() ? "" : ",") + c;
  return s;
}

std::vector<std::string> splitCims(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

const char* kUserColumns =
    "login, role, cims, rpps, display_name, password_hash, totp_secret, failed_logins, "
    "locked_until, disabled, created_at, cert_cn";

UserRow userFromRow(const SqliteStmt& st) {
  UserRow u;
  u.login = st.text(0);
  u.role = st.text(1);
  u.cims = splitCims(st.text(2));
  u.rpps = st.text(3);
  u.display_name = st.text(4);
  u.password_hash = st.text(5);
  u.totp_secret = st.text(6);
  u.failed_logins = st.integer(7);
  u.locked_until = st.integer(8);
  u.disabled = st.integer(9) != 0;
  u.created_at = st.text(10);
  u.cert_cn = st.text(11);
  return u;
}

const char* kLinkColumns =
    "id, token_hash, study_uid, woman_id, created_by, created_at, expires_at, revoked_at, uses";

ShareLinkRow linkFromRow(const SqliteStmt& st) {
  return {st.text(0),    st.text(1),    st.text(2),    st.text(3),   st.text(4),
          st.integer(5), st.integer(6), st.integer(7), st.integer(8)};
}

}  // namespace

AccessStore::AccessStore(const std::string& path) {
  db_ = std::make_unique<SqliteDb>(path, false);
  SqliteTransaction tx(*db_);
  db_->exec("CREATE TABLE IF NOT EXISTS access_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  int64_t current = 0;
  {
    auto st = db_->prepare("SELECT value FROM access_meta WHERE key = 'schema_version'");
    if (st.step()) current = std::stoll(st.text(0));
  }
  if (current > kSchemaVersion)
    throw IndexError("the access-control tables in " + path + " have schema version " +
                     std::to_string(current) + ", which this dualread (access schema " +
                     std::to_string(kSchemaVersion) + ") does not know: use a newer dualread");
  for (int64_t v = current + 1; v <= kSchemaVersion; ++v) db_->exec(kAccessMigrations[v - 1]);
  db_->prepare("INSERT OR REPLACE INTO access_meta(key, value) VALUES('schema_version', ?)")
      .bind(1, std::to_string(std::max<int64_t>(current, kSchemaVersion)))
      .step();
  tx.commit();
}

AccessStore::~AccessStore() = default;

int AccessStore::schemaVersion() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT value FROM access_meta WHERE key = 'schema_version'");
  return st.step() ? std::stoi(st.text(0)) : 0;
}

bool AccessStore::addUser(const UserRow& u) {
  std::lock_guard lk(mu_);
  const std::string now =
      toIsoDateTime(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  auto st = db_->prepare(
      "INSERT OR IGNORE INTO access_users(login, role, cims, rpps, display_name, password_hash, "
      "totp_secret, created_at, cert_cn) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, u.login)
      .bind(2, u.role)
      .bind(3, joinCims(u.cims))
      .bind(4, u.rpps)
      .bind(5, u.display_name)
      .bind(6, u.password_hash)
      .bind(7, u.totp_secret)
      .bind(8, now)
      .bind(9, u.cert_cn);
  st.step();
  return db_->changes() == 1;
}

std::optional<UserRow> AccessStore::user(const std::string& login) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare(std::string("SELECT ") + kUserColumns + " FROM access_users WHERE login = ?");
  st.bind(1, login);
  if (!st.step()) return std::nullopt;
  return userFromRow(st);
}

std::optional<UserRow> AccessStore::userByCertCn(const std::string& cn) {
  if (cn.empty()) return std::nullopt;
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare(std::string("SELECT ") + kUserColumns + " FROM access_users WHERE cert_cn = ?");
  st.bind(1, cn);
  if (!st.step()) return std::nullopt;
  return userFromRow(st);
}

bool AccessStore::setCertCn(const std::string& login, const std::string& cn) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("UPDATE access_users SET cert_cn = ? WHERE login = ?");
  st.bind(1, cn).bind(2, login);
  st.step();
  return db_->changes() == 1;
}

std::vector<UserRow> AccessStore::users() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kUserColumns +
                         " FROM access_users ORDER BY role, login");
  std::vector<UserRow> out;
  while (st.step()) out.push_back(userFromRow(st));
  return out;
}

int64_t AccessStore::userCount() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT COUNT(*) FROM access_users");
  st.step();
  return st.integer(0);
}

int64_t AccessStore::recordFailedLogin(const std::string& login, int max_failed,
                                       int64_t lock_until) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  int64_t failed = 0;
  {
    auto st = db_->prepare("SELECT failed_logins FROM access_users WHERE login = ?");
    st.bind(1, login);
    if (!st.step()) return 0;
    failed = st.integer(0) + 1;
  }
  int64_t locked = 0;
  if (failed >= max_failed) {
    locked = lock_until;
    failed = 0;
  }
  auto st = db_->prepare(
      "UPDATE access_users SET failed_logins = ?, locked_until = CASE WHEN ? > 0 THEN ? ELSE "
      "locked_until END WHERE login = ?");
  st.bind(1, failed).bind(2, locked).bind(3, locked).bind(4, login);
  st.step();
  tx.commit();
  return locked;
}

void AccessStore::recordSuccessfulLogin(const std::string& login) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "UPDATE access_users SET failed_logins = 0, locked_until = 0 WHERE login = ? AND "
      "(failed_logins <> 0 OR locked_until <> 0)");
  st.bind(1, login);
  st.step();
}

bool AccessStore::setPassword(const std::string& login, const std::string& password_hash) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "UPDATE access_users SET password_hash = ?, failed_logins = 0, locked_until = 0 WHERE "
      "login = ?");
  st.bind(1, password_hash).bind(2, login);
  st.step();
  return db_->changes() == 1;
}

bool AccessStore::updateUser(const std::string& login, const std::string& role,
                             const std::vector<std::string>& cims, const std::string& rpps,
                             const std::string& display_name) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "UPDATE access_users SET role = ?, cims = ?, rpps = ?, display_name = ? WHERE login = ?");
  st.bind(1, role).bind(2, joinCims(cims)).bind(3, rpps).bind(4, display_name).bind(5, login);
  st.step();
  return db_->changes() == 1;
}

bool AccessStore::setDisabled(const std::string& login, bool disabled) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("UPDATE access_users SET disabled = ? WHERE login = ?");
  st.bind(1, int64_t{disabled ? 1 : 0}).bind(2, login);
  st.step();
  return db_->changes() == 1;
}

bool AccessStore::unlock(const std::string& login) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare("UPDATE access_users SET failed_logins = 0, locked_until = 0 WHERE login = ?");
  st.bind(1, login);
  st.step();
  return db_->changes() == 1;
}

bool AccessStore::setTotpSecret(const std::string& login, const std::string& stored_secret) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("UPDATE access_users SET totp_secret = ? WHERE login = ?");
  st.bind(1, stored_secret).bind(2, login);
  st.step();
  return db_->changes() == 1;
}

int AccessStore::deleteSessionsOf(const std::string& login) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("DELETE FROM access_sessions WHERE kind = 'user' AND subject = ?");
  st.bind(1, login);
  st.step();
  return db_->changes();
}

std::vector<TokenRow> AccessStore::tokensOf(const std::string& login) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT substr(token_hash, 1, 16), login, created_at, revoked FROM access_tokens WHERE "
      "login = ? ORDER BY created_at, token_hash");
  st.bind(1, login);
  std::vector<TokenRow> out;
  while (st.step()) out.push_back({st.text(0), st.text(1), st.integer(2), st.integer(3) != 0});
  return out;
}

bool AccessStore::revokeToken(const std::string& login, const std::string& id) {
  std::lock_guard lk(mu_);
  if (id.size() != 16) return false;
  auto st = db_->prepare(
      "UPDATE access_tokens SET revoked = 1 WHERE login = ? AND substr(token_hash, 1, 16) = ? "
      "AND revoked = 0");
  st.bind(1, login).bind(2, id);
  st.step();
  return db_->changes() >= 1;
}

void AccessStore::addToken(const std::string& token_hash, const std::string& login, int64_t now) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare("INSERT INTO access_tokens(token_hash, login, created_at) VALUES(?, ?, ?)");
  st.bind(1, token_hash).bind(2, login).bind(3, now);
  st.step();
}

std::optional<std::string> AccessStore::loginOfToken(const std::string& token_hash) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT login FROM access_tokens WHERE token_hash = ? AND revoked = 0");
  st.bind(1, token_hash);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void AccessStore::putSession(const SessionRecord& s) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "INSERT OR REPLACE INTO access_sessions(id_hash, kind, subject, csrf_token, created_at, "
      "last_seen, expires_at) VALUES(?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, s.id_hash)
      .bind(2, s.kind)
      .bind(3, s.subject)
      .bind(4, s.csrf_token)
      .bind(5, s.created_at)
      .bind(6, s.last_seen)
      .bind(7, s.expires_at);
  st.step();
}

std::optional<SessionRecord> AccessStore::session(const std::string& id_hash) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT id_hash, kind, subject, csrf_token, created_at, last_seen, expires_at FROM "
      "access_sessions WHERE id_hash = ?");
  st.bind(1, id_hash);
  if (!st.step()) return std::nullopt;
  return SessionRecord{st.text(0),    st.text(1),    st.text(2),   st.text(3),
                       st.integer(4), st.integer(5), st.integer(6)};
}

void AccessStore::touchSession(const std::string& id_hash, int64_t now) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("UPDATE access_sessions SET last_seen = ? WHERE id_hash = ?");
  st.bind(1, now).bind(2, id_hash);
  st.step();
}

void AccessStore::deleteSession(const std::string& id_hash) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("DELETE FROM access_sessions WHERE id_hash = ?");
  st.bind(1, id_hash);
  st.step();
}

int AccessStore::purgeSessions(int64_t now, int64_t idle_before) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("DELETE FROM access_sessions WHERE expires_at <= ? OR last_seen < ?");
  st.bind(1, now).bind(2, idle_before);
  st.step();
  return db_->changes();
}

void AccessStore::putWomanCode(const std::string& code_hash, const WomanCodeRow& c) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  auto del = db_->prepare("DELETE FROM access_woman_codes WHERE woman_id = ? AND round = ?");
  del.bind(1, c.woman_id).bind(2, c.round);
  del.step();
  auto st = db_->prepare(
      "INSERT INTO access_woman_codes(code_hash, woman_id, round, issued_at, expires_at) "
      "VALUES(?, ?, ?, ?, ?)");
  st.bind(1, code_hash)
      .bind(2, c.woman_id)
      .bind(3, c.round)
      .bind(4, c.issued_at)
      .bind(5, c.expires_at);
  st.step();
  tx.commit();
}

std::optional<WomanCodeRow> AccessStore::womanCode(const std::string& code_hash) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT woman_id, round, issued_at, expires_at FROM access_woman_codes WHERE code_hash = ?");
  st.bind(1, code_hash);
  if (!st.step()) return std::nullopt;
  return WomanCodeRow{st.text(0), st.text(1), st.integer(2), st.integer(3)};
}

void AccessStore::addShareLink(const ShareLinkRow& l) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "INSERT INTO access_share_links(id, token_hash, study_uid, woman_id, created_by, "
      "created_at, expires_at) VALUES(?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, l.id)
      .bind(2, l.token_hash)
      .bind(3, l.study_uid)
      .bind(4, l.woman_id)
      .bind(5, l.created_by)
      .bind(6, l.created_at)
      .bind(7, l.expires_at);
  st.step();
}

std::optional<ShareLinkRow> AccessStore::shareLinkByToken(const std::string& token_hash) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kLinkColumns +
                         " FROM access_share_links WHERE token_hash = ?");
  st.bind(1, token_hash);
  if (!st.step()) return std::nullopt;
  return linkFromRow(st);
}

std::optional<ShareLinkRow> AccessStore::shareLink(const std::string& id) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare(std::string("SELECT ") + kLinkColumns + " FROM access_share_links WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return linkFromRow(st);
}

std::vector<ShareLinkRow> AccessStore::shareLinksOfStudy(const std::string& study_uid) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kLinkColumns +
                         " FROM access_share_links WHERE study_uid = ? ORDER BY created_at, id");
  st.bind(1, study_uid);
  std::vector<ShareLinkRow> out;
  while (st.step()) out.push_back(linkFromRow(st));
  return out;
}

bool AccessStore::revokeShareLink(const std::string& id, int64_t now) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare("UPDATE access_share_links SET revoked_at = ? WHERE id = ? AND revoked_at = 0");
  st.bind(1, now).bind(2, id);
  st.step();
  return db_->changes() == 1;
}

void AccessStore::countShareLinkUse(const std::string& id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("UPDATE access_share_links SET uses = uses + 1 WHERE id = ?");
  st.bind(1, id);
  st.step();
}

void AccessStore::setNamedDoctors(const std::string& woman_id,
                                  const std::vector<NamedDoctorRow>& doctors) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  auto del = db_->prepare("DELETE FROM access_named_doctors WHERE woman_id = ?");
  del.bind(1, woman_id);
  del.step();
  for (const auto& d : doctors) {
    auto st = db_->prepare(
        "INSERT OR REPLACE INTO access_named_doctors(woman_id, rpps, name) VALUES(?, ?, ?)");
    st.bind(1, woman_id).bind(2, d.rpps).bind(3, d.name);
    st.step();
  }
  tx.commit();
}

std::vector<NamedDoctorRow> AccessStore::namedDoctors(const std::string& woman_id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT woman_id, rpps, name FROM access_named_doctors WHERE woman_id = ? ORDER BY rpps");
  st.bind(1, woman_id);
  std::vector<NamedDoctorRow> out;
  while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2)});
  return out;
}

bool AccessStore::womanNamedDoctor(const std::string& woman_id, const std::string& rpps) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT 1 FROM access_named_doctors WHERE woman_id = ? AND rpps = ?");
  st.bind(1, woman_id).bind(2, rpps);
  return st.step();
}

std::vector<std::string> AccessStore::womenOfDoctor(const std::string& rpps) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT woman_id FROM access_named_doctors WHERE rpps = ? ORDER BY CAST(woman_id AS "
      "INTEGER), woman_id");
  st.bind(1, rpps);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

}  // namespace dualread
