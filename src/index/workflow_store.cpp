#include "index/workflow_store.h"

#include <chrono>

#include "domain/time.h"
#include "util/wall_clock.h"

namespace dualread {

namespace {

constexpr int kSchemaVersion = 1;

// The list of migrations of the workflow tables; append, never edit.
const char* const kWorkflowMigrations[] = {
    // v1
    R"sql(
CREATE TABLE workflow_exams(
  exam_id TEXT PRIMARY KEY,
  woman_id TEXT NOT NULL DEFAULT '',
  cim_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  images_complete INTEGER NOT NULL DEFAULT 0,
  received_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  assignment_json TEXT NOT NULL DEFAULT 'null',
  history_json TEXT NOT NULL DEFAULT '[]',
  follow_up_summary TEXT NOT NULL DEFAULT '',
  cancel_reason TEXT NOT NULL DEFAULT '');
CREATE INDEX workflow_exams_state ON workflow_exams(state, received_at);
CREATE INDEX workflow_exams_woman ON workflow_exams(woman_id);
CREATE TABLE workflow_exam_studies(
  study_uid TEXT PRIMARY KEY,
  exam_id TEXT NOT NULL REFERENCES workflow_exams(exam_id),
  role TEXT NOT NULL,
  position INTEGER NOT NULL);
CREATE INDEX workflow_exam_studies_exam ON workflow_exam_studies(exam_id, position);
CREATE TABLE workflow_l1_forms(
  exam_id TEXT PRIMARY KEY REFERENCES workflow_exams(exam_id),
  form_json TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  signer_name TEXT,
  signer_rpps TEXT,
  signed_at TEXT,
  form_sha256 TEXT,
  authenticated INTEGER);
CREATE TABLE workflow_l2_readings(
  exam_id TEXT NOT NULL REFERENCES workflow_exams(exam_id),
  seq INTEGER NOT NULL,
  reader_rpps TEXT NOT NULL,
  read_at TEXT NOT NULL,
  reading_json TEXT NOT NULL,
  PRIMARY KEY(exam_id, seq));
CREATE INDEX workflow_l2_readings_reader ON workflow_l2_readings(reader_rpps, read_at);
CREATE TABLE workflow_l3_decisions(
  exam_id TEXT PRIMARY KEY REFERENCES workflow_exams(exam_id),
  decided_at TEXT NOT NULL,
  decision_json TEXT NOT NULL);
CREATE TABLE workflow_cti_requests(
  id TEXT PRIMARY KEY,
  exam_id TEXT NOT NULL REFERENCES workflow_exams(exam_id),
  woman_id TEXT NOT NULL DEFAULT '',
  cim_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  request_json TEXT NOT NULL);
CREATE INDEX workflow_cti_cim ON workflow_cti_requests(cim_id, status, requested_at);
CREATE INDEX workflow_cti_woman ON workflow_cti_requests(woman_id, status);
CREATE TABLE workflow_sessions(
  id TEXT PRIMARY KEY,
  reader_rpps TEXT NOT NULL,
  reader_name TEXT NOT NULL DEFAULT '',
  number INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'open');
CREATE INDEX workflow_sessions_reader ON workflow_sessions(reader_rpps, created_at);
CREATE TABLE workflow_session_exams(
  session_id TEXT NOT NULL REFERENCES workflow_sessions(id),
  position INTEGER NOT NULL,
  exam_id TEXT NOT NULL,
  mammogram_date TEXT NOT NULL DEFAULT '',
  due TEXT NOT NULL DEFAULT '',
  days_left INTEGER NOT NULL DEFAULT 0,
  urgent INTEGER NOT NULL DEFAULT 0,
  outcome TEXT NOT NULL DEFAULT 'pending',
  PRIMARY KEY(session_id, position));
CREATE INDEX workflow_session_exams_exam ON workflow_session_exams(exam_id);
)sql",
};
static_assert(std::size(kWorkflowMigrations) == kSchemaVersion);

const char* kExamColumns =
    "exam_id, woman_id, cim_id, state, images_complete, received_at, updated_at, "
    "assignment_json, history_json, follow_up_summary, cancel_reason";

WorkflowExamRow examFromRow(const SqliteStmt& st) {
  WorkflowExamRow r;
  r.exam_id = st.text(0);
  r.woman_id = st.text(1);
  r.cim_id = st.text(2);
  r.state = st.text(3);
  r.images_complete = st.integer(4) != 0;
  r.received_at = st.text(5);
  r.updated_at = st.text(6);
  r.assignment_json = st.text(7);
  r.history_json = st.text(8);
  r.follow_up_summary = st.text(9);
  r.cancel_reason = st.text(10);
  return r;
}

std::vector<CtiRequestRow> readCti(SqliteStmt& st) {
  std::vector<CtiRequestRow> out;
  while (st.step())
    out.push_back(
        {st.text(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6)});
  return out;
}

const char* kCtiColumns = "id, exam_id, woman_id, cim_id, status, requested_at, request_json";

// Fills the children of `r` (studies, form, readings, L3, CTI).
void loadChildren(SqliteDb& db, WorkflowExamRow& r) {
  {
    auto st = db.prepare(
        "SELECT study_uid, role FROM workflow_exam_studies WHERE exam_id = ? ORDER BY position");
    st.bind(1, r.exam_id);
    while (st.step()) {
      r.study_uids.push_back(st.text(0));
      if (st.text(1) == "retake") r.retake_study_uids.push_back(st.text(0));
    }
  }
  {
    auto st = db.prepare(
        "SELECT form_json, signer_name, signer_rpps, signed_at, form_sha256, authenticated "
        "FROM workflow_l1_forms WHERE exam_id = ?");
    st.bind(1, r.exam_id);
    if (st.step()) {
      r.l1_form_json = st.text(0);
      if (!st.isNull(3)) {
        r.l1_signature =
            L1SignatureRow{st.text(1), st.text(2), st.text(3), st.text(4), st.integer(5) != 0};
      }
    }
  }
  {
    auto st =
        db.prepare("SELECT reading_json FROM workflow_l2_readings WHERE exam_id = ? ORDER BY seq");
    st.bind(1, r.exam_id);
    while (st.step()) r.l2_reading_jsons.push_back(st.text(0));
  }
  {
    auto st =
        db.prepare("SELECT decision_json, decided_at FROM workflow_l3_decisions WHERE exam_id = ?");
    st.bind(1, r.exam_id);
    if (st.step()) {
      r.l3_json = st.text(0);
      r.l3_decided_at = st.text(1);
    }
  }
  {
    auto st = db.prepare(std::string("SELECT ") + kCtiColumns +
                         " FROM workflow_cti_requests WHERE exam_id = ? ORDER BY requested_at, id");
    st.bind(1, r.exam_id);
    r.cti_requests = readCti(st);
  }
}

SessionRow sessionFromRow(SqliteDb& db, const SqliteStmt& st) {
  SessionRow s;
  s.id = st.text(0);
  s.reader_rpps = st.text(1);
  s.reader_name = st.text(2);
  s.number = st.integer(3);
  s.created_at = st.text(4);
  s.position = st.integer(5);
  s.status = st.text(6);
  auto ex = db.prepare(
      "SELECT exam_id, mammogram_date, due, days_left, urgent, outcome FROM "
      "workflow_session_exams WHERE session_id = ? ORDER BY position");
  ex.bind(1, s.id);
  while (ex.step())
    s.exams.push_back(
        {ex.text(0), ex.text(1), ex.text(2), ex.integer(3), ex.integer(4) != 0, ex.text(5)});
  return s;
}

const char* kSessionColumns = "id, reader_rpps, reader_name, number, created_at, position, status";

}  // namespace

void WorkflowWriter::putExam(const WorkflowExamRow& e) {
  const std::string now = nowIso();
  db_.prepare(
         "INSERT INTO workflow_exams(exam_id, woman_id, cim_id, state, images_complete, "
         "received_at, updated_at, assignment_json, history_json, follow_up_summary, "
         "cancel_reason) VALUES(?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(exam_id) DO UPDATE SET "
         "woman_id = excluded.woman_id, cim_id = excluded.cim_id, state = excluded.state, "
         "images_complete = excluded.images_complete, updated_at = excluded.updated_at, "
         "assignment_json = excluded.assignment_json, history_json = excluded.history_json, "
         "follow_up_summary = excluded.follow_up_summary, cancel_reason = excluded.cancel_reason")
      .bind(1, e.exam_id)
      .bind(2, e.woman_id)
      .bind(3, e.cim_id)
      .bind(4, e.state)
      .bind(5, int64_t{e.images_complete ? 1 : 0})
      .bind(6, e.received_at)
      .bind(7, now)
      .bind(8, e.assignment_json)
      .bind(9, e.history_json)
      .bind(10, e.follow_up_summary)
      .bind(11, e.cancel_reason)
      .step();
  for (const char* table : {"workflow_exam_studies", "workflow_l1_forms", "workflow_l2_readings",
                            "workflow_l3_decisions", "workflow_cti_requests"}) {
    db_.prepare(std::string("DELETE FROM ") + table + " WHERE exam_id = ?")
        .bind(1, e.exam_id)
        .step();
  }
  int64_t pos = 0;
  for (const auto& uid : e.study_uids) {
    bool retake = false;
    for (const auto& r : e.retake_study_uids) retake = retake || r == uid;
    // A study already linked to another exam fails on the primary key: never attached twice.
    db_.prepare(
           "INSERT INTO workflow_exam_studies(study_uid, exam_id, role, position) VALUES(?,?,?,?)")
        .bind(1, uid)
        .bind(2, e.exam_id)
        .bind(3, pos == 0 ? "first" : (retake ? "retake" : "extra"))
        .bind(4, pos)
        .step();
    ++pos;
  }
  if (e.l1_form_json) {
    auto st = db_.prepare(
        "INSERT INTO workflow_l1_forms(exam_id, form_json, updated_at, signer_name, signer_rpps, "
        "signed_at, form_sha256, authenticated) VALUES(?,?,?,?,?,?,?,?)");
    st.bind(1, e.exam_id).bind(2, *e.l1_form_json).bind(3, now);
    if (e.l1_signature) {
      st.bind(4, e.l1_signature->signer_name)
          .bind(5, e.l1_signature->signer_rpps)
          .bind(6, e.l1_signature->signed_at)
          .bind(7, e.l1_signature->form_sha256)
          .bind(8, int64_t{e.l1_signature->authenticated ? 1 : 0});
    } else {
      st.bindNull(4).bindNull(5).bindNull(6).bindNull(7).bindNull(8);
    }
    st.step();
  }
  int64_t seq = 0;
  for (const auto& j : e.l2_reading_jsons) {
    // reader and time are duplicated into columns for the yearly summaries' queries; the
    // service passes them inside the JSON, extracted here with SQLite's JSON functions.
    db_.prepare(
           "INSERT INTO workflow_l2_readings(exam_id, seq, reader_rpps, read_at, reading_json) "
           "VALUES(?1, ?2, COALESCE(json_extract(?3, '$.reader.rpps'), ''), "
           "COALESCE(json_extract(?3, '$.read_at'), ''), ?3)")
        .bind(1, e.exam_id)
        .bind(2, seq++)
        .bind(3, j)
        .step();
  }
  if (e.l3_json) {
    db_.prepare(
           "INSERT INTO workflow_l3_decisions(exam_id, decided_at, decision_json) VALUES(?,?,?)")
        .bind(1, e.exam_id)
        .bind(2, e.l3_decided_at)
        .bind(3, *e.l3_json)
        .step();
  }
  for (const auto& c : e.cti_requests) {
    db_.prepare(std::string("INSERT INTO workflow_cti_requests(") + kCtiColumns +
                ") VALUES(?,?,?,?,?,?,?)")
        .bind(1, c.id)
        .bind(2, e.exam_id)
        .bind(3, c.woman_id)
        .bind(4, c.cim_id)
        .bind(5, c.status)
        .bind(6, c.requested_at)
        .bind(7, c.json)
        .step();
  }
}

void WorkflowWriter::putSession(const SessionRow& s) {
  db_.prepare(std::string("INSERT OR REPLACE INTO workflow_sessions(") + kSessionColumns +
              ") VALUES(?,?,?,?,?,?,?)")
      .bind(1, s.id)
      .bind(2, s.reader_rpps)
      .bind(3, s.reader_name)
      .bind(4, s.number)
      .bind(5, s.created_at)
      .bind(6, s.position)
      .bind(7, s.status)
      .step();
  db_.prepare("DELETE FROM workflow_session_exams WHERE session_id = ?").bind(1, s.id).step();
  int64_t pos = 0;
  for (const auto& x : s.exams) {
    db_.prepare(
           "INSERT INTO workflow_session_exams(session_id, position, exam_id, mammogram_date, "
           "due, days_left, urgent, outcome) VALUES(?,?,?,?,?,?,?,?)")
        .bind(1, s.id)
        .bind(2, pos++)
        .bind(3, x.exam_id)
        .bind(4, x.mammogram_date)
        .bind(5, x.due)
        .bind(6, x.days_left)
        .bind(7, int64_t{x.urgent ? 1 : 0})
        .bind(8, x.outcome)
        .step();
  }
}

WorkflowStore::WorkflowStore(const std::string& path) {
  db_ = std::make_unique<SqliteDb>(path, false);
  SqliteTransaction tx(*db_);
  db_->exec("CREATE TABLE IF NOT EXISTS workflow_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  int64_t current = 0;
  {
    auto st = db_->prepare("SELECT value FROM workflow_meta WHERE key = 'schema_version'");
    if (st.step()) current = std::stoll(st.text(0));
  }
  if (current > kSchemaVersion)
    throw IndexError("the workflow tables in " + path + " have schema version " +
                     std::to_string(current) + ", which this dualread (workflow schema " +
                     std::to_string(kSchemaVersion) + ") does not know: use a newer dualread");
  for (int64_t v = current + 1; v <= kSchemaVersion; ++v) db_->exec(kWorkflowMigrations[v - 1]);
  db_->prepare("INSERT OR REPLACE INTO workflow_meta(key, value) VALUES('schema_version', ?)")
      .bind(1, std::to_string(std::max<int64_t>(current, kSchemaVersion)))
      .step();
  tx.commit();
}

WorkflowStore::~WorkflowStore() = default;

int WorkflowStore::schemaVersion() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT value FROM workflow_meta WHERE key = 'schema_version'");
  return st.step() ? std::stoi(st.text(0)) : 0;
}

void WorkflowStore::write(const std::function<void(WorkflowWriter&)>& fn) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  WorkflowWriter w(*db_);
  fn(w);
  tx.commit();
}

std::optional<WorkflowExamRow> WorkflowStore::loadExam(const std::string& exam_id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM workflow_exams WHERE exam_id = ?");
  st.bind(1, exam_id);
  if (!st.step()) return std::nullopt;
  WorkflowExamRow r = examFromRow(st);
  loadChildren(*db_, r);
  return r;
}

std::optional<std::string> WorkflowStore::examOfStudy(const std::string& study_uid) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT exam_id FROM workflow_exam_studies WHERE study_uid = ?");
  st.bind(1, study_uid);
  if (!st.step()) return std::nullopt;
  return st.text(0);
}

std::vector<std::string> WorkflowStore::studiesNotInAnExam() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT s.study_uid FROM studies s WHERE NOT EXISTS (SELECT 1 FROM workflow_exam_studies "
      "w WHERE w.study_uid = s.study_uid) ORDER BY s.id");
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

std::vector<std::string> WorkflowStore::examIdsOfWoman(const std::string& woman_id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT exam_id FROM workflow_exams WHERE woman_id = ? ORDER BY received_at, exam_id");
  st.bind(1, woman_id);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

std::vector<WorkflowExamRow> WorkflowStore::examsInState(const std::string& state) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kExamColumns +
                         " FROM workflow_exams WHERE state = ? ORDER BY received_at, exam_id");
  st.bind(1, state);
  std::vector<WorkflowExamRow> out;
  while (st.step()) out.push_back(examFromRow(st));
  for (auto& r : out) loadChildren(*db_, r);
  return out;
}

std::vector<CtiRequestRow> WorkflowStore::ctiRequests(const std::string& cim_id,
                                                      const std::string& woman_id,
                                                      const std::string& status) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kCtiColumns +
                         " FROM workflow_cti_requests WHERE (?1 = '' OR cim_id = ?1) AND "
                         "(?2 = '' OR woman_id = ?2) AND (?3 = '' OR status = ?3) "
                         "ORDER BY requested_at, id");
  st.bind(1, cim_id).bind(2, woman_id).bind(3, status);
  return readCti(st);
}

std::optional<SessionRow> WorkflowStore::loadSession(const std::string& id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kSessionColumns +
                         " FROM workflow_sessions WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return sessionFromRow(*db_, st);
}

std::vector<SessionRow> WorkflowStore::sessions(const std::string& reader_rpps) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kSessionColumns +
                         " FROM workflow_sessions WHERE (?1 = '' OR reader_rpps = ?1) "
                         "ORDER BY created_at DESC, id DESC");
  st.bind(1, reader_rpps);
  std::vector<SessionRow> out;
  while (st.step()) out.push_back(sessionFromRow(*db_, st));
  return out;
}

int64_t WorkflowStore::sessionCount() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT COUNT(*) FROM workflow_sessions");
  st.step();
  return st.integer(0);
}

}  // namespace dualread
