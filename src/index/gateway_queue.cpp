#include "index/gateway_queue.h"

#include <algorithm>

namespace dualread {
namespace {

constexpr int kSchemaVersion = 2;

// Append, never edit.
const char* const kQueueMigrations[] = {
    // v1
    R"sql(
CREATE TABLE gw_instances(
  sop_uid TEXT PRIMARY KEY,
  study_uid TEXT NOT NULL,
  patient_id TEXT NOT NULL DEFAULT '',
  sop_class TEXT NOT NULL DEFAULT '',
  transfer_syntax TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL,
  original_key TEXT NOT NULL,
  original_size INTEGER NOT NULL,
  pixel_sha256 TEXT NOT NULL DEFAULT '',
  send_key TEXT NOT NULL DEFAULT '',
  send_size INTEGER NOT NULL DEFAULT 0,
  send_transfer_syntax TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  upload_id TEXT NOT NULL DEFAULT '',
  confirmed_offset INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  sent_at TEXT NOT NULL DEFAULT '',
  prior INTEGER NOT NULL DEFAULT 0);
CREATE INDEX gw_instances_state ON gw_instances(state, next_attempt_ms);
CREATE INDEX gw_instances_study ON gw_instances(study_uid);
CREATE TABLE gw_exams(
  study_uid TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  first_received_at TEXT NOT NULL,
  last_received_ms INTEGER NOT NULL,
  manifest_attempts INTEGER NOT NULL DEFAULT 0,
  next_manifest_ms INTEGER NOT NULL DEFAULT 0,
  acknowledged_at TEXT NOT NULL DEFAULT '',
  acknowledged_ms INTEGER NOT NULL DEFAULT 0,
  prior INTEGER NOT NULL DEFAULT 0,
  purged INTEGER NOT NULL DEFAULT 0,
  priors_checked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX gw_exams_state ON gw_exams(state, last_received_ms);
CREATE TABLE gw_status(key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql",
    // v2: the technician's decisions on exams in error (retry, dismiss) and their journal.
    R"sql(
ALTER TABLE gw_exams ADD COLUMN dismissed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE gw_exams ADD COLUMN dismissed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE gw_exams ADD COLUMN dismissal_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE gw_exams ADD COLUMN dismissal_recorded_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE gw_journal(
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  study_uid TEXT NOT NULL,
  action TEXT NOT NULL,
  reason TEXT NOT NULL,
  by TEXT NOT NULL,
  source TEXT NOT NULL,
  previous_state TEXT NOT NULL,
  previous_reason TEXT NOT NULL);
CREATE INDEX gw_journal_study ON gw_journal(study_uid, id);
)sql",
};

constexpr const char* kInstanceColumns =
    "sop_uid, study_uid, patient_id, sop_class, transfer_syntax, received_at, original_key, "
    "original_size, pixel_sha256, send_key, send_size, send_transfer_syntax, state, upload_id, "
    "confirmed_offset, attempts, next_attempt_ms, last_error, sent_at, prior";

QueuedInstance instanceFrom(SqliteStmt& st) {
  QueuedInstance r;
  r.sop_uid = st.text(0);
  r.study_uid = st.text(1);
  r.patient_id = st.text(2);
  r.sop_class = st.text(3);
  r.transfer_syntax = st.text(4);
  r.received_at = st.text(5);
  r.original_key = st.text(6);
  r.original_size = static_cast<uint64_t>(st.integer(7));
  r.pixel_sha256 = st.text(8);
  r.send_key = st.text(9);
  r.send_size = static_cast<uint64_t>(st.integer(10));
  r.send_transfer_syntax = st.text(11);
  r.state = st.text(12);
  r.upload_id = st.text(13);
  r.confirmed_offset = static_cast<uint64_t>(st.integer(14));
  r.attempts = static_cast<int>(st.integer(15));
  r.next_attempt_ms = st.integer(16);
  r.last_error = st.text(17);
  r.sent_at = st.text(18);
  r.prior = st.integer(19) != 0;
  return r;
}

constexpr const char* kExamColumns =
    "e.study_uid, e.patient_id, e.state, e.reason, e.first_received_at, e.last_received_ms, "
    "e.manifest_attempts, e.next_manifest_ms, e.acknowledged_at, e.acknowledged_ms, e.prior, "
    "e.purged, e.priors_checked, "
    "(SELECT count(*) FROM gw_instances i WHERE i.study_uid = e.study_uid), "
    "e.dismissed_at, e.dismissed_by, e.dismissal_reason, e.dismissal_recorded_ms";

QueuedExam examFrom(SqliteStmt& st) {
  QueuedExam r;
  r.study_uid = st.text(0);
  r.patient_id = st.text(1);
  r.state = st.text(2);
  r.reason = st.text(3);
  r.first_received_at = st.text(4);
  r.last_received_ms = st.integer(5);
  r.manifest_attempts = static_cast<int>(st.integer(6));
  r.next_manifest_ms = st.integer(7);
  r.acknowledged_at = st.text(8);
  r.acknowledged_ms = st.integer(9);
  r.prior = st.integer(10) != 0;
  r.purged = st.integer(11) != 0;
  r.priors_checked = st.integer(12) != 0;
  r.instances = st.integer(13);
  r.dismissed_at = st.text(14);
  r.dismissed_by = st.text(15);
  r.dismissal_reason = st.text(16);
  r.dismissal_recorded_ms = st.integer(17);
  return r;
}

constexpr const char* kJournalColumns =
    "id, at, study_uid, action, reason, by, source, previous_state, previous_reason";

JournalEntry journalFrom(SqliteStmt& st) {
  JournalEntry j;
  j.id = st.integer(0);
  j.at = st.text(1);
  j.study_uid = st.text(2);
  j.action = st.text(3);
  j.reason = st.text(4);
  j.by = st.text(5);
  j.source = st.text(6);
  j.previous_state = st.text(7);
  j.previous_reason = st.text(8);
  return j;
}

void insertJournal(SqliteDb& db, const JournalEntry& j) {
  db.prepare(
        "INSERT INTO gw_journal(at, study_uid, action, reason, by, source, previous_state, "
        "previous_reason) VALUES(?,?,?,?,?,?,?,?)")
      .bind(1, j.at)
      .bind(2, j.study_uid)
      .bind(3, j.action)
      .bind(4, j.reason)
      .bind(5, j.by)
      .bind(6, j.source)
      .bind(7, j.previous_state)
      .bind(8, j.previous_reason)
      .step();
}

// The exam's state from its instances, unless acknowledged or in error.
void refreshExamState(SqliteDb& db, const std::string& study_uid) {
  db.prepare(R"sql(
UPDATE gw_exams SET state = CASE
  WHEN EXISTS(SELECT 1 FROM gw_instances WHERE study_uid = ?1 AND state = 'error') THEN 'error'
  WHEN EXISTS(SELECT 1 FROM gw_instances WHERE study_uid = ?1 AND state = 'sending') THEN 'sending'
  WHEN EXISTS(SELECT 1 FROM gw_instances WHERE study_uid = ?1 AND state IN ('received', 'ready'))
    THEN CASE WHEN EXISTS(SELECT 1 FROM gw_instances WHERE study_uid = ?1 AND state = 'sent')
              THEN 'sending' ELSE 'queued' END
  ELSE 'sent' END
WHERE study_uid = ?1 AND state NOT IN ('acknowledged', 'error', 'dismissed'))sql")
      .bind(1, study_uid)
      .step();
}

}  // namespace

GatewayQueue::GatewayQueue(const std::string& path) {
  db_ = std::make_unique<SqliteDb>(path, false);
  // A small write-ahead log, checkpointed often and cut back after each checkpoint: on a disk
  // that filled up, the queue must go on recording deliveries in the space it already holds
  // (the default lets the log grow to 4 MB before reusing it).
  db_->exec("PRAGMA wal_autocheckpoint=32");
  db_->exec("PRAGMA journal_size_limit=262144");
  SqliteTransaction tx(*db_);
  db_->exec("CREATE TABLE IF NOT EXISTS gw_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  int64_t current = 0;
  {
    auto st = db_->prepare("SELECT value FROM gw_meta WHERE key = 'schema_version'");
    if (st.step()) current = std::stoll(st.text(0));
  }
  if (current > kSchemaVersion)
    throw IndexError("the gateway queue " + path + " has schema version " +
                     std::to_string(current) + ", which this dualread (queue schema " +
                     std::to_string(kSchemaVersion) + ") does not know: use a newer dualread");
  for (int64_t v = current + 1; v <= kSchemaVersion; ++v) db_->exec(kQueueMigrations[v - 1]);
  db_->prepare("INSERT OR REPLACE INTO gw_meta(key, value) VALUES('schema_version', ?)")
      .bind(1, std::to_string(std::max<int64_t>(current, kSchemaVersion)))
      .step();
  tx.commit();
}

GatewayQueue::~GatewayQueue() = default;

int GatewayQueue::schemaVersion() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT value FROM gw_meta WHERE key = 'schema_version'");
  return st.step() ? std::stoi(st.text(0)) : 0;
}

EnqueueOutcome GatewayQueue::enqueue(const QueuedInstance& in, int64_t now_ms) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  {
    auto st = db_->prepare("SELECT original_key FROM gw_instances WHERE sop_uid = ?");
    st.bind(1, in.sop_uid);
    if (st.step())
      return st.text(0) == in.original_key ? EnqueueOutcome::kAlreadyQueued
                                           : EnqueueOutcome::kConflict;
  }
  db_->prepare(
         "INSERT INTO gw_instances(sop_uid, study_uid, patient_id, sop_class, transfer_syntax, "
         "received_at, original_key, original_size, state, prior) "
         "VALUES(?,?,?,?,?,?,?,?,'received', ? OR EXISTS(SELECT 1 FROM gw_exams "
         "WHERE study_uid = ?2 AND prior = 1))")
      .bind(1, in.sop_uid)
      .bind(2, in.study_uid)
      .bind(3, in.patient_id)
      .bind(4, in.sop_class)
      .bind(5, in.transfer_syntax)
      .bind(6, in.received_at)
      .bind(7, in.original_key)
      .bind(8, static_cast<int64_t>(in.original_size))
      .bind(9, static_cast<int64_t>(in.prior ? 1 : 0))
      .step();
  // A late image re-opens an exam already sent or acknowledged: a new manifest will follow.
  db_->prepare(
         "INSERT INTO gw_exams(study_uid, patient_id, state, first_received_at, "
         "last_received_ms, prior) VALUES(?,?,'queued',?,?,?) "
         "ON CONFLICT(study_uid) DO UPDATE SET last_received_ms = excluded.last_received_ms, "
         "state = CASE WHEN gw_exams.state = 'error' THEN 'error' ELSE 'queued' END, "
         "manifest_attempts = 0, next_manifest_ms = 0, purged = 0")
      .bind(1, in.study_uid)
      .bind(2, in.patient_id)
      .bind(3, in.received_at)
      .bind(4, now_ms)
      .bind(5, static_cast<int64_t>(in.prior ? 1 : 0))
      .step();
  refreshExamState(*db_, in.study_uid);
  tx.commit();
  return EnqueueOutcome::kQueued;
}

int GatewayQueue::recoverInterrupted() {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  db_->exec("UPDATE gw_instances SET state = 'ready' WHERE state = 'sending'");
  const int n = db_->changes();
  db_->exec(
      "UPDATE gw_exams SET state = 'queued' WHERE state = 'sending' AND NOT EXISTS("
      "SELECT 1 FROM gw_instances i WHERE i.study_uid = gw_exams.study_uid AND i.state = 'sent')");
  tx.commit();
  return n;
}

std::optional<QueuedInstance> GatewayQueue::nextToPrepare() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kInstanceColumns +
                         " FROM gw_instances WHERE state = 'received' ORDER BY rowid LIMIT 1");
  if (!st.step()) return std::nullopt;
  return instanceFrom(st);
}

void GatewayQueue::markPrepared(const std::string& sop_uid, const std::string& pixel_sha256,
                                const std::string& send_key, uint64_t send_size,
                                const std::string& send_ts) {
  std::lock_guard lk(mu_);
  db_->prepare(
         "UPDATE gw_instances SET pixel_sha256 = ?, send_key = ?, send_size = ?, "
         "send_transfer_syntax = ?, state = 'ready' WHERE sop_uid = ? AND state = 'received'")
      .bind(1, pixel_sha256)
      .bind(2, send_key)
      .bind(3, static_cast<int64_t>(send_size))
      .bind(4, send_ts)
      .bind(5, sop_uid)
      .step();
}

std::optional<QueuedInstance> GatewayQueue::claimNextToSend(int64_t now_ms) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  // Oldest exam first, so that whole exams arrive early rather than all exams partly.
  auto st = db_->prepare(std::string("SELECT ") + kInstanceColumns +
                         " FROM gw_instances WHERE state = 'ready' AND next_attempt_ms <= ? "
                         "AND NOT EXISTS(SELECT 1 FROM gw_exams e WHERE e.study_uid = "
                         "gw_instances.study_uid AND e.state = 'dismissed') "
                         "ORDER BY prior, next_attempt_ms, rowid LIMIT 1");
  st.bind(1, now_ms);
  if (!st.step()) return std::nullopt;
  QueuedInstance in = instanceFrom(st);
  db_->prepare("UPDATE gw_instances SET state = 'sending' WHERE sop_uid = ?")
      .bind(1, in.sop_uid)
      .step();
  refreshExamState(*db_, in.study_uid);
  tx.commit();
  in.state = "sending";
  return in;
}

void GatewayQueue::setUpload(const std::string& sop_uid, const std::string& upload_id,
                             uint64_t offset) {
  std::lock_guard lk(mu_);
  db_->prepare("UPDATE gw_instances SET upload_id = ?, confirmed_offset = ? WHERE sop_uid = ?")
      .bind(1, upload_id)
      .bind(2, static_cast<int64_t>(offset))
      .bind(3, sop_uid)
      .step();
}

void GatewayQueue::markSent(const std::string& sop_uid, const std::string& at) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  std::string study;
  {
    auto st = db_->prepare("SELECT study_uid FROM gw_instances WHERE sop_uid = ?");
    st.bind(1, sop_uid);
    if (!st.step()) return;
    study = st.text(0);
  }
  db_->prepare(
         "UPDATE gw_instances SET state = 'sent', sent_at = ?, last_error = '', "
         "confirmed_offset = send_size WHERE sop_uid = ?")
      .bind(1, at)
      .bind(2, sop_uid)
      .step();
  refreshExamState(*db_, study);
  tx.commit();
}

void GatewayQueue::markRetry(const std::string& sop_uid, const std::string& error,
                             int64_t next_ms) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  db_->prepare(
         "UPDATE gw_instances SET state = 'ready', attempts = attempts + 1, last_error = ?, "
         "next_attempt_ms = ? WHERE sop_uid = ?")
      .bind(1, error)
      .bind(2, next_ms)
      .bind(3, sop_uid)
      .step();
  tx.commit();
}

void GatewayQueue::markInstanceError(const std::string& sop_uid, const std::string& reason) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  std::string study;
  {
    auto st = db_->prepare("SELECT study_uid FROM gw_instances WHERE sop_uid = ?");
    st.bind(1, sop_uid);
    if (!st.step()) return;
    study = st.text(0);
  }
  db_->prepare("UPDATE gw_instances SET state = 'error', last_error = ? WHERE sop_uid = ?")
      .bind(1, reason)
      .bind(2, sop_uid)
      .step();
  db_->prepare(
         "UPDATE gw_exams SET state = 'error', reason = ? WHERE study_uid = ? AND state <> "
         "'dismissed'")
      .bind(1, "image " + sop_uid + " refused by the hub: " + reason)
      .bind(2, study)
      .step();
  tx.commit();
}

std::vector<QueuedExam> GatewayQueue::examsDueForManifest(int64_t now_ms, int64_t quiet_ms) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM gw_exams e WHERE e.state = 'sent' AND e.last_received_ms <= ? "
                         "AND e.next_manifest_ms <= ? ORDER BY e.last_received_ms LIMIT 50");
  st.bind(1, now_ms - quiet_ms).bind(2, now_ms);
  std::vector<QueuedExam> out;
  while (st.step()) out.push_back(examFrom(st));
  return out;
}

std::vector<QueuedInstance> GatewayQueue::instancesOf(const std::string& study_uid) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kInstanceColumns +
                         " FROM gw_instances WHERE study_uid = ? ORDER BY rowid");
  st.bind(1, study_uid);
  std::vector<QueuedInstance> out;
  while (st.step()) out.push_back(instanceFrom(st));
  return out;
}

void GatewayQueue::markAcknowledged(const std::string& study_uid, const std::string& at,
                                    int64_t at_ms) {
  std::lock_guard lk(mu_);
  db_->prepare(
         "UPDATE gw_exams SET state = 'acknowledged', reason = '', acknowledged_at = ?, "
         "acknowledged_ms = ? WHERE study_uid = ? AND state = 'sent'")
      .bind(1, at)
      .bind(2, at_ms)
      .bind(3, study_uid)
      .step();
}

void GatewayQueue::markManifestRetry(const std::string& study_uid, const std::string& reason,
                                     int64_t next_ms) {
  std::lock_guard lk(mu_);
  db_->prepare(
         "UPDATE gw_exams SET manifest_attempts = manifest_attempts + 1, "
         "reason = CASE WHEN ?1 = '' THEN reason ELSE ?1 END, next_manifest_ms = ?2 "
         "WHERE study_uid = ?3")
      .bind(1, reason)
      .bind(2, next_ms)
      .bind(3, study_uid)
      .step();
}

void GatewayQueue::resend(const std::vector<std::string>& sop_uids) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  std::vector<std::string> studies;
  for (const auto& uid : sop_uids) {
    db_->prepare(
           "UPDATE gw_instances SET state = 'ready', upload_id = '', confirmed_offset = 0, "
           "attempts = 0, next_attempt_ms = 0 WHERE sop_uid = ? AND state = 'sent'")
        .bind(1, uid)
        .step();
    auto st = db_->prepare("SELECT study_uid FROM gw_instances WHERE sop_uid = ?");
    st.bind(1, uid);
    if (st.step()) studies.push_back(st.text(0));
  }
  for (const auto& s : studies) refreshExamState(*db_, s);
  tx.commit();
}

void GatewayQueue::markExamError(const std::string& study_uid, const std::string& reason) {
  std::lock_guard lk(mu_);
  db_->prepare("UPDATE gw_exams SET state = 'error', reason = ? WHERE study_uid = ?")
      .bind(1, reason)
      .bind(2, study_uid)
      .step();
}

std::vector<QueuedExam> GatewayQueue::purgeable(int64_t before_ms) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM gw_exams e WHERE e.purged = 0 AND ((e.state = 'acknowledged' "
                         "AND e.acknowledged_ms <= ?1) OR (e.state = 'dismissed' AND "
                         "e.dismissal_recorded_ms > 0 AND e.dismissal_recorded_ms <= ?1)) "
                         "ORDER BY e.acknowledged_ms LIMIT 200");
  st.bind(1, before_ms);
  std::vector<QueuedExam> out;
  while (st.step()) out.push_back(examFrom(st));
  return out;
}

std::vector<std::string> GatewayQueue::markPurged(const std::string& study_uid) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  std::vector<std::string> keys;
  {
    auto st = db_->prepare(
        "SELECT DISTINCT k FROM (SELECT original_key AS k FROM gw_instances WHERE study_uid = ?1 "
        "UNION SELECT send_key FROM gw_instances WHERE study_uid = ?1 AND send_key <> '') "
        "WHERE NOT EXISTS(SELECT 1 FROM gw_instances i JOIN gw_exams e ON e.study_uid = "
        "i.study_uid WHERE e.purged = 0 AND e.study_uid <> ?1 AND (i.original_key = k OR "
        "i.send_key = k))");
    st.bind(1, study_uid);
    while (st.step()) keys.push_back(st.text(0));
  }
  db_->prepare("UPDATE gw_exams SET purged = 1 WHERE study_uid = ?").bind(1, study_uid).step();
  tx.commit();
  return keys;
}

std::vector<QueuedExam> GatewayQueue::examsNeedingPriors() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM gw_exams e WHERE e.priors_checked = 0 AND e.prior = 0 "
                         "ORDER BY e.last_received_ms LIMIT 20");
  std::vector<QueuedExam> out;
  while (st.step()) out.push_back(examFrom(st));
  return out;
}

void GatewayQueue::markPriorsChecked(const std::string& study_uid) {
  std::lock_guard lk(mu_);
  db_->prepare("UPDATE gw_exams SET priors_checked = 1 WHERE study_uid = ?")
      .bind(1, study_uid)
      .step();
}

void GatewayQueue::expectPrior(const std::string& study_uid, const std::string& patient_id,
                               const std::string& at, int64_t now_ms) {
  std::lock_guard lk(mu_);
  db_->prepare(
         "INSERT INTO gw_exams(study_uid, patient_id, state, first_received_at, last_received_ms, "
         "prior, priors_checked) VALUES(?,?,'queued',?,?,1,1) "
         "ON CONFLICT(study_uid) DO UPDATE SET prior = 1, priors_checked = 1")
      .bind(1, study_uid)
      .bind(2, patient_id)
      .bind(3, at)
      .bind(4, now_ms)
      .step();
}

std::optional<QueuedExam> GatewayQueue::exam(const std::string& study_uid) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare(std::string("SELECT ") + kExamColumns + " FROM gw_exams e WHERE study_uid = ?");
  st.bind(1, study_uid);
  if (!st.step()) return std::nullopt;
  return examFrom(st);
}

std::vector<QueuedExam> GatewayQueue::recentExams(int limit) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM gw_exams e ORDER BY e.last_received_ms DESC LIMIT ?");
  st.bind(1, static_cast<int64_t>(limit));
  std::vector<QueuedExam> out;
  while (st.step()) out.push_back(examFrom(st));
  return out;
}

std::vector<QueuedInstance> GatewayQueue::recentErrors(int limit) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kInstanceColumns +
                         " FROM gw_instances WHERE last_error <> '' AND state <> 'sent' "
                         "ORDER BY rowid DESC LIMIT ?");
  st.bind(1, static_cast<int64_t>(limit));
  std::vector<QueuedInstance> out;
  while (st.step()) out.push_back(instanceFrom(st));
  return out;
}

GatewayTotals GatewayQueue::totals() {
  std::lock_guard lk(mu_);
  GatewayTotals t;
  {
    auto st = db_->prepare(
        "SELECT state, count(*), coalesce(sum(CASE WHEN send_size > 0 THEN send_size - "
        "confirmed_offset ELSE original_size END), 0) FROM gw_instances GROUP BY state");
    while (st.step()) {
      const std::string s = st.text(0);
      if (s == "sent") {
        t.instances_sent += st.integer(1);
      } else if (s == "error") {
        t.instances_error += st.integer(1);
      } else {
        t.instances_waiting += st.integer(1);
        t.bytes_waiting += static_cast<uint64_t>(st.integer(2));
      }
    }
  }
  {
    auto st = db_->prepare("SELECT state, count(*) FROM gw_exams GROUP BY state");
    while (st.step()) {
      const std::string s = st.text(0);
      const int64_t n = st.integer(1);
      if (s == "queued") t.exams_queued = n;
      if (s == "sending") t.exams_sending = n;
      if (s == "sent") t.exams_sent = n;
      if (s == "acknowledged") t.exams_acknowledged = n;
      if (s == "error") t.exams_error = n;
      if (s == "dismissed") t.exams_dismissed = n;
    }
  }
  {
    auto st = db_->prepare("SELECT coalesce(max(acknowledged_at), '') FROM gw_exams");
    if (st.step()) t.last_acknowledged_at = st.text(0);
  }
  return t;
}

ExamActionOutcome GatewayQueue::retryExam(const JournalEntry& entry) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  ExamActionOutcome out;
  {
    auto st = db_->prepare("SELECT state, reason, purged FROM gw_exams WHERE study_uid = ?");
    st.bind(1, entry.study_uid);
    if (!st.step()) return out;  // kNoSuchExam
    out.previous_state = st.text(0);
    out.previous_reason = st.text(1);
    if (out.previous_state != "error" && out.previous_state != "dismissed") {
      out.status = ExamActionStatus::kWrongState;
      return out;
    }
    if (st.integer(2) != 0) {
      out.status = ExamActionStatus::kFilesRemoved;
      return out;
    }
  }
  // Refused images go back to the senders (never-prepared ones to the preparer); the hub looks
  // at them afresh.
  db_->prepare(
         "UPDATE gw_instances SET state = CASE WHEN send_key = '' THEN 'received' ELSE 'ready' "
         "END, upload_id = '', confirmed_offset = 0, attempts = 0, next_attempt_ms = 0, "
         "last_error = '' WHERE study_uid = ? AND state = 'error'")
      .bind(1, entry.study_uid)
      .step();
  out.instances = db_->changes();
  db_->prepare(
         "UPDATE gw_exams SET state = 'queued', reason = '', manifest_attempts = 0, "
         "next_manifest_ms = 0, dismissed_at = '', dismissed_by = '', dismissal_reason = '', "
         "dismissal_recorded_ms = 0 WHERE study_uid = ?")
      .bind(1, entry.study_uid)
      .step();
  refreshExamState(*db_, entry.study_uid);
  JournalEntry j = entry;
  j.action = "retry";
  j.previous_state = out.previous_state;
  j.previous_reason = out.previous_reason;
  insertJournal(*db_, j);
  tx.commit();
  out.status = ExamActionStatus::kDone;
  return out;
}

ExamActionOutcome GatewayQueue::dismissExam(const JournalEntry& entry) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  ExamActionOutcome out;
  {
    auto st = db_->prepare("SELECT state, reason FROM gw_exams WHERE study_uid = ?");
    st.bind(1, entry.study_uid);
    if (!st.step()) return out;  // kNoSuchExam
    out.previous_state = st.text(0);
    out.previous_reason = st.text(1);
    if (out.previous_state != "error") {
      out.status = ExamActionStatus::kWrongState;
      return out;
    }
  }
  // The files stay: they are removed by the retention rule, counted from the moment the hub
  // has recorded the dismissal (dismissal_recorded_ms).
  db_->prepare(
         "UPDATE gw_exams SET state = 'dismissed', dismissed_at = ?, dismissed_by = ?, "
         "dismissal_reason = ?, dismissal_recorded_ms = 0, manifest_attempts = 0, "
         "next_manifest_ms = 0 WHERE study_uid = ?")
      .bind(1, entry.at)
      .bind(2, entry.by)
      .bind(3, entry.reason)
      .bind(4, entry.study_uid)
      .step();
  JournalEntry j = entry;
  j.action = "dismiss";
  j.previous_state = out.previous_state;
  j.previous_reason = out.previous_reason;
  insertJournal(*db_, j);
  tx.commit();
  out.status = ExamActionStatus::kDone;
  return out;
}

std::vector<QueuedExam> GatewayQueue::dismissalsToAnnounce(int64_t now_ms) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM gw_exams e WHERE e.state = 'dismissed' AND "
                         "e.dismissal_recorded_ms = 0 AND e.next_manifest_ms <= ? "
                         "ORDER BY e.dismissed_at LIMIT 50");
  st.bind(1, now_ms);
  std::vector<QueuedExam> out;
  while (st.step()) out.push_back(examFrom(st));
  return out;
}

void GatewayQueue::markDismissalRecorded(const std::string& study_uid, int64_t at_ms) {
  std::lock_guard lk(mu_);
  db_->prepare(
         "UPDATE gw_exams SET dismissal_recorded_ms = ? WHERE study_uid = ? AND state = "
         "'dismissed'")
      .bind(1, at_ms)
      .bind(2, study_uid)
      .step();
}

std::vector<JournalEntry> GatewayQueue::journal(const std::string& study_uid, int limit) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kJournalColumns +
                         " FROM gw_journal WHERE (?1 = '' OR study_uid = ?1) ORDER BY id DESC "
                         "LIMIT ?2");
  st.bind(1, study_uid).bind(2, static_cast<int64_t>(limit));
  std::vector<JournalEntry> out;
  while (st.step()) out.push_back(journalFrom(st));
  return out;
}

void GatewayQueue::setStatus(const std::string& key, const std::string& value) {
  std::lock_guard lk(mu_);
  db_->prepare("INSERT OR REPLACE INTO gw_status(key, value) VALUES(?, ?)")
      .bind(1, key)
      .bind(2, value)
      .step();
}

std::string GatewayQueue::status(const std::string& key) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT value FROM gw_status WHERE key = ?");
  st.bind(1, key);
  return st.step() ? st.text(0) : std::string();
}

}  // namespace dualread
