#include "index/gateway_ledger.h"

#include <algorithm>

namespace dualread {
namespace {

constexpr int kSchemaVersion = 2;

// Append, never edit.
const char* const kLedgerMigrations[] = {
    // v1
    R"sql(
CREATE TABLE ledger_uploads(
  upload_id TEXT PRIMARY KEY,
  cim TEXT NOT NULL,
  sop_uid TEXT NOT NULL,
  study_uid TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  original_sha256 TEXT NOT NULL,
  pixel_sha256 TEXT NOT NULL,
  transfer_syntax TEXT NOT NULL,
  prior INTEGER NOT NULL,
  offset INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  day TEXT NOT NULL,
  stored_at TEXT NOT NULL DEFAULT '');
CREATE INDEX ledger_uploads_instance ON ledger_uploads(cim, sop_uid, state);
CREATE INDEX ledger_uploads_day ON ledger_uploads(cim, day);
CREATE TABLE ledger_exams(
  cim TEXT NOT NULL,
  study_uid TEXT NOT NULL,
  day TEXT NOT NULL,
  announced_at TEXT NOT NULL,
  instance_count INTEGER NOT NULL,
  prior INTEGER NOT NULL,
  state TEXT NOT NULL,
  acknowledged_at TEXT NOT NULL DEFAULT '',
  complete INTEGER NOT NULL DEFAULT 0,
  missing_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(cim, study_uid));
CREATE INDEX ledger_exams_day ON ledger_exams(cim, day);
)sql",
    // v2: exams the centre dismissed (with why, who, when); finding the upload a stored file
    // came from, to tell a lossless copy of an object from a conflicting one.
    R"sql(
ALTER TABLE ledger_exams ADD COLUMN dismissed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_exams ADD COLUMN dismissed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE ledger_exams ADD COLUMN dismissed_at TEXT NOT NULL DEFAULT '';
CREATE INDEX ledger_uploads_sha256 ON ledger_uploads(sha256);
)sql",
};

constexpr const char* kUploadColumns =
    "upload_id, cim, sop_uid, study_uid, size, sha256, original_sha256, pixel_sha256, "
    "transfer_syntax, prior, offset, state, reason, created_at, day, stored_at";

UploadRow uploadFrom(SqliteStmt& st) {
  UploadRow r;
  r.upload_id = st.text(0);
  r.cim = st.text(1);
  r.sop_uid = st.text(2);
  r.study_uid = st.text(3);
  r.size = static_cast<uint64_t>(st.integer(4));
  r.sha256 = st.text(5);
  r.original_sha256 = st.text(6);
  r.pixel_sha256 = st.text(7);
  r.transfer_syntax = st.text(8);
  r.prior = st.integer(9) != 0;
  r.offset = static_cast<uint64_t>(st.integer(10));
  r.state = st.text(11);
  r.reason = st.text(12);
  r.created_at = st.text(13);
  r.day = st.text(14);
  r.stored_at = st.text(15);
  return r;
}

constexpr const char* kExamColumns =
    "cim, study_uid, day, announced_at, instance_count, prior, state, acknowledged_at, complete, "
    "missing_count, dismissed_reason, dismissed_by, dismissed_at";

LedgerExamRow examFrom(SqliteStmt& st) {
  LedgerExamRow r;
  r.cim = st.text(0);
  r.study_uid = st.text(1);
  r.day = st.text(2);
  r.announced_at = st.text(3);
  r.instance_count = st.integer(4);
  r.prior = st.integer(5) != 0;
  r.state = st.text(6);
  r.acknowledged_at = st.text(7);
  r.complete = st.integer(8) != 0;
  r.missing_count = st.integer(9);
  r.dismissed_reason = st.text(10);
  r.dismissed_by = st.text(11);
  r.dismissed_at = st.text(12);
  return r;
}

}  // namespace

GatewayLedger::GatewayLedger(const std::string& path) {
  db_ = std::make_unique<SqliteDb>(path, false);
  SqliteTransaction tx(*db_);
  db_->exec("CREATE TABLE IF NOT EXISTS ledger_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  int64_t current = 0;
  {
    auto st = db_->prepare("SELECT value FROM ledger_meta WHERE key = 'schema_version'");
    if (st.step()) current = std::stoll(st.text(0));
  }
  if (current > kSchemaVersion)
    throw IndexError("the gateway ledger " + path + " has schema version " +
                     std::to_string(current) + ", which this dualread (ledger schema " +
                     std::to_string(kSchemaVersion) + ") does not know: use a newer dualread");
  for (int64_t v = current + 1; v <= kSchemaVersion; ++v) db_->exec(kLedgerMigrations[v - 1]);
  db_->prepare("INSERT OR REPLACE INTO ledger_meta(key, value) VALUES('schema_version', ?)")
      .bind(1, std::to_string(std::max<int64_t>(current, kSchemaVersion)))
      .step();
  tx.commit();
}

GatewayLedger::~GatewayLedger() = default;

int GatewayLedger::schemaVersion() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT value FROM ledger_meta WHERE key = 'schema_version'");
  return st.step() ? std::stoi(st.text(0)) : 0;
}

UploadRow GatewayLedger::createUpload(const UploadRow& row, bool* inserted) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  db_->prepare(
         "INSERT OR IGNORE INTO ledger_uploads(upload_id, cim, sop_uid, study_uid, size, sha256, "
         "original_sha256, pixel_sha256, transfer_syntax, prior, offset, state, reason, "
         "created_at, day) VALUES(?,?,?,?,?,?,?,?,?,?,0,'receiving','',?,?)")
      .bind(1, row.upload_id)
      .bind(2, row.cim)
      .bind(3, row.sop_uid)
      .bind(4, row.study_uid)
      .bind(5, static_cast<int64_t>(row.size))
      .bind(6, row.sha256)
      .bind(7, row.original_sha256)
      .bind(8, row.pixel_sha256)
      .bind(9, row.transfer_syntax)
      .bind(10, static_cast<int64_t>(row.prior ? 1 : 0))
      .bind(11, row.created_at)
      .bind(12, row.day)
      .step();
  if (inserted) *inserted = db_->changes() > 0;
  auto st = db_->prepare(std::string("SELECT ") + kUploadColumns +
                         " FROM ledger_uploads WHERE upload_id = ?");
  st.bind(1, row.upload_id);
  if (!st.step()) throw IndexError("upload " + row.upload_id + " vanished");
  UploadRow out = uploadFrom(st);
  tx.commit();
  return out;
}

std::optional<UploadRow> GatewayLedger::upload(const std::string& upload_id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kUploadColumns +
                         " FROM ledger_uploads WHERE upload_id = ?");
  st.bind(1, upload_id);
  if (!st.step()) return std::nullopt;
  return uploadFrom(st);
}

void GatewayLedger::setOffset(const std::string& upload_id, uint64_t offset) {
  std::lock_guard lk(mu_);
  db_->prepare("UPDATE ledger_uploads SET offset = ? WHERE upload_id = ?")
      .bind(1, static_cast<int64_t>(offset))
      .bind(2, upload_id)
      .step();
}

void GatewayLedger::finishUpload(const std::string& upload_id, const std::string& state,
                                 const std::string& reason, const std::string& at) {
  std::lock_guard lk(mu_);
  db_->prepare(
         "UPDATE ledger_uploads SET state = ?, reason = ?, stored_at = ?, "
         "offset = CASE WHEN ? = 'receiving' THEN 0 ELSE offset END WHERE upload_id = ?")
      .bind(1, state)
      .bind(2, reason)
      .bind(3, at)
      .bind(4, state)
      .bind(5, upload_id)
      .step();
}

std::optional<std::string> GatewayLedger::originalOf(const std::string& sha256) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT original_sha256 FROM ledger_uploads WHERE sha256 = ? AND state <> 'refused' "
      "LIMIT 1");
  st.bind(1, sha256);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

void GatewayLedger::recordManifest(const LedgerExamRow& row) {
  std::lock_guard lk(mu_);
  db_->prepare(
         "INSERT INTO ledger_exams(cim, study_uid, day, announced_at, instance_count, prior, "
         "state, acknowledged_at, complete, missing_count, dismissed_reason, dismissed_by, "
         "dismissed_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) "
         "ON CONFLICT(cim, study_uid) DO UPDATE SET instance_count = excluded.instance_count, "
         "prior = excluded.prior, state = excluded.state, "
         "acknowledged_at = CASE WHEN excluded.state = 'acknowledged' AND "
         "ledger_exams.acknowledged_at <> '' AND ledger_exams.state = 'acknowledged' "
         "THEN ledger_exams.acknowledged_at ELSE excluded.acknowledged_at END, "
         "complete = excluded.complete, missing_count = excluded.missing_count, "
         "dismissed_reason = excluded.dismissed_reason, dismissed_by = excluded.dismissed_by, "
         "dismissed_at = CASE WHEN excluded.state = 'dismissed' AND ledger_exams.state = "
         "'dismissed' AND ledger_exams.dismissed_at <> '' THEN ledger_exams.dismissed_at "
         "ELSE excluded.dismissed_at END")
      .bind(1, row.cim)
      .bind(2, row.study_uid)
      .bind(3, row.day)
      .bind(4, row.announced_at)
      .bind(5, row.instance_count)
      .bind(6, static_cast<int64_t>(row.prior ? 1 : 0))
      .bind(7, row.state)
      .bind(8, row.acknowledged_at)
      .bind(9, static_cast<int64_t>(row.complete ? 1 : 0))
      .bind(10, row.missing_count)
      .bind(11, row.dismissed_reason)
      .bind(12, row.dismissed_by)
      .bind(13, row.dismissed_at)
      .step();
}

bool GatewayLedger::reopenDismissed(const std::string& cim, const std::string& study_uid) {
  std::lock_guard lk(mu_);
  db_->prepare(
         "UPDATE ledger_exams SET state = 'announced', dismissed_reason = '', dismissed_by = '', "
         "dismissed_at = '' WHERE cim = ? AND study_uid = ? AND state = 'dismissed'")
      .bind(1, cim)
      .bind(2, study_uid)
      .step();
  return db_->changes() > 0;
}

std::optional<LedgerExamRow> GatewayLedger::exam(const std::string& cim,
                                                 const std::string& study_uid) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM ledger_exams WHERE cim = ? AND study_uid = ?");
  st.bind(1, cim).bind(2, study_uid);
  if (!st.step()) return std::nullopt;
  return examFrom(st);
}

std::vector<LedgerDay> GatewayLedger::ledger(const std::string& cim, const std::string& from,
                                             const std::string& to) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(R"sql(
WITH days AS (SELECT cim, day FROM ledger_exams UNION SELECT cim, day FROM ledger_uploads)
SELECT d.cim, d.day,
  (SELECT count(*) FROM ledger_exams e WHERE e.cim = d.cim AND e.day = d.day),
  (SELECT coalesce(sum(instance_count), 0) FROM ledger_exams e
     WHERE e.cim = d.cim AND e.day = d.day),
  (SELECT count(*) FROM ledger_uploads u WHERE u.cim = d.cim AND u.day = d.day
     AND u.state = 'stored'),
  (SELECT count(*) FROM ledger_uploads u WHERE u.cim = d.cim AND u.day = d.day
     AND u.state = 'refused'),
  (SELECT count(*) FROM ledger_exams e WHERE e.cim = d.cim AND e.day = d.day
     AND e.state = 'acknowledged'),
  (SELECT count(*) FROM ledger_exams e WHERE e.cim = d.cim AND e.day = d.day
     AND e.state = 'acknowledged' AND e.complete = 1),
  (SELECT coalesce(sum(size), 0) FROM ledger_uploads u WHERE u.cim = d.cim AND u.day = d.day
     AND u.state = 'stored'),
  (SELECT count(*) FROM ledger_exams e WHERE e.cim = d.cim AND e.day = d.day
     AND e.state = 'dismissed')
FROM days d
WHERE (?1 = '' OR d.cim = ?1) AND (?2 = '' OR d.day >= ?2) AND (?3 = '' OR d.day <= ?3)
ORDER BY d.day DESC, d.cim)sql");
  st.bind(1, cim).bind(2, from).bind(3, to);
  std::vector<LedgerDay> out;
  while (st.step()) {
    LedgerDay d;
    d.cim = st.text(0);
    d.day = st.text(1);
    d.announced_exams = st.integer(2);
    d.announced_instances = st.integer(3);
    d.received_instances = st.integer(4);
    d.refused_instances = st.integer(5);
    d.acknowledged_exams = st.integer(6);
    d.complete_exams = st.integer(7);
    d.received_bytes = static_cast<uint64_t>(st.integer(8));
    d.dismissed_exams = st.integer(9);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<LedgerExamRow> GatewayLedger::exams(const std::string& cim, const std::string& day) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM ledger_exams WHERE cim = ? AND day = ? ORDER BY announced_at");
  st.bind(1, cim).bind(2, day);
  std::vector<LedgerExamRow> out;
  while (st.step()) out.push_back(examFrom(st));
  return out;
}

}  // namespace dualread
