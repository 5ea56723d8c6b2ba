#include "index/archive_index.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

#include "util/wall_clock.h"

namespace dualread {
namespace {

// Each migration moves the schema one version up; never edit a released one, add a new one.
const char* const kMigrations[] = {
    // v1: the archive.
    R"sql(
CREATE TABLE women(
  id INTEGER PRIMARY KEY,
  ins TEXT,
  name TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL);
CREATE UNIQUE INDEX women_ins ON women(ins) WHERE ins IS NOT NULL AND ins <> '';
CREATE TABLE patients(
  id INTEGER PRIMARY KEY,
  woman_id INTEGER REFERENCES women(id),
  patient_id TEXT NOT NULL,
  issuer TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  name_key TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  ins TEXT NOT NULL DEFAULT '',
  identity_issue TEXT NOT NULL DEFAULT '',
  UNIQUE(patient_id, issuer, name, birth_date, sex, ins));
CREATE INDEX patients_pid ON patients(patient_id);
CREATE INDEX patients_name ON patients(name_key);
CREATE INDEX patients_woman ON patients(woman_id);
CREATE TABLE studies(
  id INTEGER PRIMARY KEY,
  study_uid TEXT NOT NULL UNIQUE,
  patient_ref INTEGER NOT NULL REFERENCES patients(id),
  study_date TEXT NOT NULL DEFAULT '',
  study_time TEXT NOT NULL DEFAULT '',
  accession TEXT NOT NULL DEFAULT '',
  study_id TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  referring TEXT NOT NULL DEFAULT '',
  institution TEXT NOT NULL DEFAULT '',
  modalities TEXT NOT NULL DEFAULT '',
  series_count INTEGER NOT NULL DEFAULT 0,
  instance_count INTEGER NOT NULL DEFAULT 0,
  exam_status TEXT NOT NULL DEFAULT 'incomplete',
  exam_json TEXT NOT NULL DEFAULT '{}',
  received_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE INDEX studies_patient ON studies(patient_ref);
CREATE INDEX studies_date ON studies(study_date);
CREATE INDEX studies_accession ON studies(accession);
CREATE INDEX studies_status ON studies(exam_status, study_date);
CREATE TABLE series(
  id INTEGER PRIMARY KEY,
  series_uid TEXT NOT NULL UNIQUE,
  study_ref INTEGER NOT NULL REFERENCES studies(id),
  modality TEXT NOT NULL DEFAULT '',
  series_number TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  body_part TEXT NOT NULL DEFAULT '',
  laterality TEXT NOT NULL DEFAULT '',
  series_date TEXT NOT NULL DEFAULT '',
  instance_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX series_study ON series(study_ref);
CREATE TABLE instances(
  id INTEGER PRIMARY KEY,
  sop_uid TEXT NOT NULL UNIQUE,
  series_ref INTEGER NOT NULL REFERENCES series(id),
  sop_class TEXT NOT NULL,
  instance_number TEXT NOT NULL DEFAULT '',
  transfer_syntax TEXT NOT NULL DEFAULT '',
  rows INTEGER NOT NULL DEFAULT 0,
  columns INTEGER NOT NULL DEFAULT 0,
  frames INTEGER NOT NULL DEFAULT 0,
  bits_allocated INTEGER NOT NULL DEFAULT 0,
  bits_stored INTEGER NOT NULL DEFAULT 0,
  photometric TEXT NOT NULL DEFAULT '',
  view_code TEXT NOT NULL DEFAULT '',
  view_role TEXT NOT NULL DEFAULT '',
  view_json TEXT NOT NULL DEFAULT '{}',
  blob_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  dataset_sha256 TEXT NOT NULL DEFAULT '',  -- no longer written (compared on a UID clash)
  source TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL);
CREATE INDEX instances_series ON instances(series_ref);
-- Blobs moved into the store whose index row is not committed yet; resolved at start-up so a
-- crash between the two never leaves an unreferenced file behind.
CREATE TABLE blob_intents(key TEXT PRIMARY KEY, created_at TEXT NOT NULL);
CREATE TABLE quarantine(
  id INTEGER PRIMARY KEY,
  sop_uid TEXT NOT NULL,
  study_uid TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  received_at TEXT NOT NULL,
  UNIQUE(sop_uid, sha256));
CREATE INDEX quarantine_study ON quarantine(study_uid);
)sql",
};

// Case-insensitive matching key for person names: uppercase ASCII, other bytes kept.
std::string nameKey(const std::string& s) {
  std::string out = s;
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool hasWildcard(const std::string& s) { return s.find_first_of("*?") != std::string::npos; }

// DICOM wildcard -> SQLite GLOB (same '*' and '?'; brackets are literal in DICOM).
std::string toGlob(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '[')
      out += "[[]";
    else if (c == ']')
      out += "[]]";
    else
      out += c;
  }
  return out;
}

// Collects SQL conditions and their bound values in order.
struct Where {
  std::string sql;
  std::vector<std::string> args;
  void add(const std::string& cond) { sql += (sql.empty() ? " WHERE " : " AND ") + cond; }
  void text(const std::string& column, const std::string& value, bool upper = false) {
    if (value.empty() || value == "*") return;
    std::string v = upper ? nameKey(value) : value;
    if (hasWildcard(v)) {
      add(column + " GLOB ?");
      args.push_back(toGlob(v));
    } else {
      add(column + " = ?");
      args.push_back(v);
    }
  }
  void date(const std::string& column, const std::string& value) {
    if (value.empty()) return;
    auto dash = value.find('-');
    if (dash == std::string::npos) {
      add(column + " = ?");
      args.push_back(value);
      return;
    }
    std::string from = value.substr(0, dash), to = value.substr(dash + 1);
    if (!from.empty()) {
      add(column + " >= ?");
      args.push_back(from);
    }
    if (!to.empty()) {
      add(column + " <= ?");
      args.push_back(to);
    }
  }
  // A CIM confinement (StudyQuery::cims...): exact values, never wildcards; an empty list
  // matches nothing.
  void cims(const std::optional<std::vector<std::string>>& values, bool outside = false) {
    if (!values) return;
    if (values->empty()) {
      if (!outside) add("0");
      return;
    }
    std::string q;
    for (std::size_t i = 0; i < values->size(); ++i) q += i ? ",?" : "?";
    add(std::string("p.issuer ") + (outside ? "NOT IN (" : "IN (") + q + ")");
    args.insert(args.end(), values->begin(), values->end());
  }
  void in(const std::string& column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    std::string q;
    for (std::size_t i = 0; i < values.size(); ++i) q += i ? ",?" : "?";
    add(column + " IN (" + q + ")");
    args.insert(args.end(), values.begin(), values.end());
  }
  int bindAll(SqliteStmt& st) const {
    int i = 1;
    for (const auto& a : args) st.bind(i++, a);
    return i;
  }
};

const char* kStudyColumns =
    "s.study_uid, s.study_date, s.study_time, s.accession, s.study_id, s.description, "
    "s.referring, s.institution, s.modalities, s.series_count, s.instance_count, s.exam_status, "
    "s.exam_json, s.received_at, s.updated_at, p.id, p.woman_id, p.patient_id, p.issuer, p.name, "
    "p.birth_date, p.sex, p.ins, p.identity_issue";

StudyRow readStudy(SqliteStmt& st) {
  StudyRow r;
  r.study_uid = st.text(0);
  r.study_date = st.text(1);
  r.study_time = st.text(2);
  r.accession = st.text(3);
  r.study_id = st.text(4);
  r.description = st.text(5);
  r.referring = st.text(6);
  r.institution = st.text(7);
  r.modalities = st.text(8);
  r.series_count = st.integer(9);
  r.instance_count = st.integer(10);
  r.exam_status = st.text(11);
  r.exam_json = st.text(12);
  r.received_at = st.text(13);
  r.updated_at = st.text(14);
  r.patient.id = st.integer(15);
  if (!st.isNull(16)) r.patient.woman_id = st.integer(16);
  r.patient.patient_id = st.text(17);
  r.patient.issuer = st.text(18);
  r.patient.name = st.text(19);
  r.patient.birth_date = st.text(20);
  r.patient.sex = st.text(21);
  r.patient.ins = st.text(22);
  r.patient.identity_issue = st.text(23);
  return r;
}

const char* kInstanceColumns =
    "i.sop_uid, i.sop_class, i.instance_number, se.series_uid, s.study_uid, i.transfer_syntax, "
    "i.rows, i.columns, i.frames, i.bits_allocated, i.bits_stored, i.photometric, i.view_code, "
    "i.view_role, i.view_json, i.blob_key, i.size, i.sha256, i.source, i.received_at";

InstanceRow readInstance(SqliteStmt& st) {
  InstanceRow r;
  r.sop_uid = st.text(0);
  r.sop_class = st.text(1);
  r.instance_number = st.text(2);
  r.series_uid = st.text(3);
  r.study_uid = st.text(4);
  r.transfer_syntax = st.text(5);
  r.rows = st.integer(6);
  r.columns = st.integer(7);
  r.frames = st.integer(8);
  r.bits_allocated = st.integer(9);
  r.bits_stored = st.integer(10);
  r.photometric = st.text(11);
  r.view_code = st.text(12);
  r.view_role = st.text(13);
  r.view_json = st.text(14);
  r.blob_key = st.text(15);
  r.size = st.integer(16);
  r.sha256 = st.text(17);
  r.source = st.text(18);
  r.received_at = st.text(19);
  return r;
}

std::string joinModalities(const std::string& existing, const std::string& add) {
  if (add.empty()) return existing;
  std::string padded = "\\" + existing + "\\";
  if (padded.find("\\" + add + "\\") != std::string::npos) return existing;
  return existing.empty() ? add : existing + "\\" + add;
}

// Binds a page's LIMIT and OFFSET at parameters `at` and `at + 1`: a missing, negative or too
// large limit becomes `max`, a negative offset 0.
void bindPage(SqliteStmt& st, int at, int64_t limit, int64_t offset, int64_t max) {
  st.bind(at, limit <= 0 || limit > max ? max : limit).bind(at + 1, std::max<int64_t>(0, offset));
}

}  // namespace

class ArchiveIndex::ReaderLease {
 public:
  ReaderLease(ArchiveIndex& idx, std::unique_ptr<SqliteDb> db) : idx_(idx), db_(std::move(db)) {}
  ReaderLease(ReaderLease&& o) noexcept : idx_(o.idx_), db_(std::move(o.db_)) {}
  ~ReaderLease() {
    if (db_) {
      std::lock_guard lk(idx_.pool_mu_);
      idx_.pool_.push_back(std::move(db_));
    }
  }
  SqliteDb& operator*() { return *db_; }
  SqliteDb* operator->() { return db_.get(); }

 private:
  ArchiveIndex& idx_;
  std::unique_ptr<SqliteDb> db_;
};

ArchiveIndex::ArchiveIndex(const std::string& path, int readers) : path_(path) {
  writer_ = std::make_unique<SqliteDb>(path, false);
  migrate();
  for (int i = 0; i < readers; ++i) pool_.push_back(std::make_unique<SqliteDb>(path, true));
}

ArchiveIndex::~ArchiveIndex() = default;

ArchiveIndex::ReaderLease ArchiveIndex::reader() {
  std::unique_ptr<SqliteDb> db;
  {
    std::lock_guard lk(pool_mu_);
    if (!pool_.empty()) {
      db = std::move(pool_.back());
      pool_.pop_back();
    }
  }
  if (!db) db = std::make_unique<SqliteDb>(path_, true);
  return ReaderLease(*this, std::move(db));
}

void ArchiveIndex::migrate() {
  std::lock_guard lk(write_mu_);
  writer_->exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, "
      "applied_at TEXT NOT NULL)");
  auto st = writer_->prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  st.step();
  const int64_t current = st.integer(0);
  const int64_t target = static_cast<int64_t>(std::size(kMigrations));
  for (int64_t v = current + 1; v <= target; ++v) {
    SqliteTransaction tx(*writer_);
    writer_->exec(kMigrations[v - 1]);
    writer_->prepare("INSERT INTO schema_migrations(version, applied_at) VALUES(?, ?)")
        .bind(1, v)
        .bind(2, nowIso())
        .step();
    tx.commit();
  }
}

int ArchiveIndex::schemaVersion() {
  auto db = reader();
  auto st = db->prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  st.step();
  return static_cast<int>(st.integer(0));
}

RecordResult ArchiveIndex::recordInstance(const StoredInstance& in, const ExamRecompute& recompute,
                                          const SameObjectCheck& same_object) {
  const InstanceSummary& s = in.summary;
  std::lock_guard lk(write_mu_);
  SqliteDb& db = *writer_;
  SqliteTransaction tx(db);
  const std::string now = in.received_at.empty() ? nowIso() : in.received_at;

  // Once a row references the blob, it is no longer pending.
  auto resolveIntent = [&] {
    db.prepare("DELETE FROM blob_intents WHERE key = ?").bind(1, in.blob_key).step();
  };

  auto quarantine = [&](const std::string& reason) {
    resolveIntent();
    db.prepare(
          "INSERT OR IGNORE INTO quarantine(sop_uid, study_uid, reason, blob_key, size, sha256, "
          "source, received_at) VALUES(?,?,?,?,?,?,?,?)")
        .bind(1, s.sop_instance_uid)
        .bind(2, s.study_instance_uid)
        .bind(3, reason)
        .bind(4, in.blob_key)
        .bind(5, static_cast<int64_t>(in.size))
        .bind(6, in.sha256)
        .bind(7, in.source)
        .bind(8, now)
        .step();
  };

  // Recomputes the exam of `study_ref` from its images and its quarantine entries.
  auto refreshExam = [&](int64_t study_ref, const std::string& identity_issue) {
    std::vector<ExamImageRow> images;
    auto st = db.prepare(
        "SELECT i.sop_uid, se.series_uid, i.view_json FROM instances i JOIN series se ON "
        "se.id = i.series_ref WHERE se.study_ref = ? ORDER BY i.id");
    st.bind(1, study_ref);
    while (st.step()) images.push_back({st.text(0), st.text(1), st.text(2)});
    std::vector<std::string> extra;
    if (!identity_issue.empty()) extra.push_back(identity_issue);
    auto q = db.prepare(
        "SELECT q.sop_uid, q.reason FROM quarantine q JOIN studies s ON s.study_uid = "
        "q.study_uid WHERE s.id = ? ORDER BY q.id");
    q.bind(1, study_ref);
    while (q.step()) extra.push_back("quarantined image " + q.text(0) + ": " + q.text(1));
    ExamUpdate up = recompute(images, extra);
    db.prepare("UPDATE studies SET exam_status = ?, exam_json = ?, updated_at = ? WHERE id = ?")
        .bind(1, up.status)
        .bind(2, up.json)
        .bind(3, now)
        .bind(4, study_ref)
        .step();
  };

  // 1. Same SOP Instance UID already stored? Same object = same dataset bytes (the file meta
  // header differs between doors: DIMSE carries none, STOW keeps the sender's).
  {
    auto st = db.prepare("SELECT sha256, blob_key FROM instances WHERE sop_uid = ?");
    st.bind(1, s.sop_instance_uid);
    if (st.step()) {
      const bool same = st.text(0) == in.sha256 || (same_object && same_object(st.text(1)));
      if (same) {
        if (st.text(0) == in.sha256) {
          resolveIntent();
          tx.commit();
        }
        // Otherwise the new file (other meta header) is referenced by nothing: the caller
        // releases it with releaseIfUnreferenced().
        return {RecordOutcome::kSameBytes, "already stored with identical content"};
      }
      const std::string reason =
          "an instance with this SOP Instance UID is already stored with different content "
          "(stored SHA-256 " +
          st.text(0).substr(0, 12) + "…, received " + in.sha256.substr(0, 12) +
          "…); the new one is kept in quarantine for review";
      quarantine(reason);
      auto sr = db.prepare(
          "SELECT s.id, p.identity_issue FROM instances i JOIN series se ON se.id = "
          "i.series_ref JOIN studies s ON s.id = se.study_ref JOIN patients p ON p.id = "
          "s.patient_ref WHERE i.sop_uid = ?");
      sr.bind(1, s.sop_instance_uid);
      if (sr.step()) refreshExam(sr.integer(0), sr.text(1));
      tx.commit();
      return {RecordOutcome::kConflict, reason};
    }
  }

  // 2. Patient (this CIM's identity tuple) and the woman it belongs to.
  int64_t patient_ref = 0;
  std::string identity_issue;
  {
    auto st = db.prepare(
        "SELECT id, identity_issue FROM patients WHERE patient_id = ? AND issuer = ? AND "
        "name = ? AND birth_date = ? AND sex = ? AND ins = ?");
    st.bind(1, s.patient_id)
        .bind(2, s.issuer_of_patient_id)
        .bind(3, s.patient_name)
        .bind(4, s.patient_birth_date)
        .bind(5, s.patient_sex)
        .bind(6, s.ins);
    if (st.step()) {
      patient_ref = st.integer(0);
      identity_issue = st.text(1);
    }
  }

  // 3. Study: an existing study must belong to the same patient tuple.
  int64_t study_ref = 0;
  {
    auto st = db.prepare(
        "SELECT s.id, s.patient_ref, p.patient_id, p.name, p.birth_date FROM studies s JOIN "
        "patients p ON p.id = s.patient_ref WHERE s.study_uid = ?");
    st.bind(1, s.study_instance_uid);
    if (st.step()) {
      study_ref = st.integer(0);
      if (patient_ref == 0 || st.integer(1) != patient_ref) {
        const std::string reason = "identity conflict: this image names patient '" +
                                   s.patient_name + "' (ID " + s.patient_id + ", born " +
                                   s.patient_birth_date + ") but its study belongs to '" +
                                   st.text(3) + "' (ID " + st.text(2) + ", born " + st.text(4) +
                                   "); kept in quarantine, not attached";
        quarantine(reason);
        auto ps = db.prepare("SELECT identity_issue FROM patients WHERE id = ?");
        ps.bind(1, st.integer(1));
        refreshExam(study_ref, ps.step() ? ps.text(0) : std::string());
        tx.commit();
        return {RecordOutcome::kIdentityConflict, reason};
      }
    }
  }

  if (patient_ref == 0) {
    // Woman: an exact national identifier with the same traits attaches; anything else is
    // left unattached with the reason, for the identity queue.
    std::optional<int64_t> woman_id;
    if (in.identity.decided) {
      // Identity vigilance decided (the hub): its woman, or none while a human decides.
      woman_id = in.identity.woman_id;
      identity_issue = in.identity.issue;
      if (woman_id) {
        // Another row may hold the INS (a woman merged away keeps hers): then none here.
        auto taken = db.prepare("SELECT 1 FROM women WHERE ins = ? AND id <> ?");
        taken.bind(1, in.identity.ins).bind(2, *woman_id);
        const bool ins_free = !in.identity.ins.empty() && !taken.step();
        db.prepare(
              "INSERT OR IGNORE INTO women(id, ins, name, birth_date, sex, created_at) "
              "VALUES(?, ?, ?, ?, ?, ?)")
            .bind(1, *woman_id)
            .bindOpt(2, ins_free ? std::optional<std::string>(in.identity.ins) : std::nullopt)
            .bind(3, in.identity.name)
            .bind(4, in.identity.birth_date)
            .bind(5, in.identity.sex)
            .bind(6, now)
            .step();
      }
    } else if (!s.ins.empty()) {
      auto st = db.prepare("SELECT id, name, birth_date, sex FROM women WHERE ins = ?");
      st.bind(1, s.ins);
      if (st.step()) {
        if (st.text(2) == s.patient_birth_date && st.text(3) == s.patient_sex &&
            nameKey(st.text(1)) == nameKey(s.patient_name)) {
          woman_id = st.integer(0);
        } else {
          identity_issue = "identity differs from the woman with INS " + s.ins + " ('" +
                           st.text(1) + "', born " + st.text(2) + ") : this CIM sent '" +
                           s.patient_name + "', born " + s.patient_birth_date +
                           "; not attached until a secretary decides";
        }
      } else {
        db.prepare("INSERT INTO women(ins, name, birth_date, sex, created_at) VALUES(?,?,?,?,?)")
            .bind(1, s.ins)
            .bind(2, s.patient_name)
            .bind(3, s.patient_birth_date)
            .bind(4, s.patient_sex)
            .bind(5, now)
            .step();
        woman_id = db.lastInsertId();
      }
    }
    if (!in.identity.decided && !woman_id && identity_issue.empty()) {
      // No national identifier: attach to the woman this CIM already knows under the same IPP
      // with the same traits, else a new woman of her own.
      auto st = db.prepare(
          "SELECT woman_id, name, birth_date FROM patients WHERE patient_id = ? AND issuer = ? "
          "AND woman_id IS NOT NULL LIMIT 1");
      st.bind(1, s.patient_id).bind(2, s.issuer_of_patient_id);
      if (st.step()) {
        identity_issue = "patient ID " + s.patient_id + " of " + s.issuer_of_patient_id +
                         " is already used for '" + st.text(1) + "', born " + st.text(2) +
                         "; this image says '" + s.patient_name + "', born " +
                         s.patient_birth_date + "; not attached until a secretary decides";
      } else {
        db.prepare("INSERT INTO women(ins, name, birth_date, sex, created_at) VALUES(NULL,?,?,?,?)")
            .bind(1, s.patient_name)
            .bind(2, s.patient_birth_date)
            .bind(3, s.patient_sex)
            .bind(4, now)
            .step();
        woman_id = db.lastInsertId();
      }
    }
    auto st = db.prepare(
        "INSERT INTO patients(woman_id, patient_id, issuer, name, name_key, birth_date, sex, "
        "ins, identity_issue) VALUES(?,?,?,?,?,?,?,?,?)");
    st.bindOpt(1, woman_id);
    st.bind(2, s.patient_id)
        .bind(3, s.issuer_of_patient_id)
        .bind(4, s.patient_name)
        .bind(5, nameKey(s.patient_name))
        .bind(6, s.patient_birth_date)
        .bind(7, s.patient_sex)
        .bind(8, s.ins)
        .bind(9, identity_issue)
        .step();
    patient_ref = db.lastInsertId();
  }

  if (study_ref == 0) {
    db.prepare(
          "INSERT INTO studies(study_uid, patient_ref, study_date, study_time, accession, "
          "study_id, description, referring, institution, received_at, updated_at) "
          "VALUES(?,?,?,?,?,?,?,?,?,?,?)")
        .bind(1, s.study_instance_uid)
        .bind(2, patient_ref)
        .bind(3, s.study_date)
        .bind(4, s.study_time)
        .bind(5, s.accession_number)
        .bind(6, s.study_id)
        .bind(7, s.study_description)
        .bind(8, s.referring_physician_name)
        .bind(9, s.institution_name)
        .bind(10, now)
        .bind(11, now)
        .step();
    study_ref = db.lastInsertId();
  }

  // 4. Series.
  int64_t series_ref = 0;
  {
    auto st = db.prepare("SELECT id, study_ref FROM series WHERE series_uid = ?");
    st.bind(1, s.series_instance_uid);
    if (st.step()) {
      series_ref = st.integer(0);
      if (st.integer(1) != study_ref) {
        const std::string reason = "series " + s.series_instance_uid +
                                   " already belongs to another study; kept in "
                                   "quarantine, not attached";
        quarantine(reason);
        refreshExam(study_ref, identity_issue);
        tx.commit();
        return {RecordOutcome::kIdentityConflict, reason};
      }
    } else {
      db.prepare(
            "INSERT INTO series(series_uid, study_ref, modality, series_number, description, "
            "body_part, laterality, series_date) VALUES(?,?,?,?,?,?,?,?)")
          .bind(1, s.series_instance_uid)
          .bind(2, study_ref)
          .bind(3, s.modality)
          .bind(4, s.series_number)
          .bind(5, s.series_description)
          .bind(6, s.body_part_examined)
          .bind(7, s.laterality)
          .bind(8, s.series_date)
          .step();
      series_ref = db.lastInsertId();
      db.prepare("UPDATE studies SET series_count = series_count + 1 WHERE id = ?")
          .bind(1, study_ref)
          .step();
    }
  }

  // 5. Instance.
  resolveIntent();
  db.prepare(
        "INSERT INTO instances(sop_uid, series_ref, sop_class, instance_number, transfer_syntax, "
        "rows, columns, frames, bits_allocated, bits_stored, photometric, view_code, view_role, "
        "view_json, blob_key, size, sha256, source, received_at) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
      .bind(1, s.sop_instance_uid)
      .bind(2, series_ref)
      .bind(3, s.sop_class_uid)
      .bind(4, s.instance_number)
      .bind(5, s.transfer_syntax_uid)
      .bind(6, static_cast<int64_t>(s.rows))
      .bind(7, static_cast<int64_t>(s.columns))
      .bind(8, static_cast<int64_t>(s.number_of_frames))
      .bind(9, static_cast<int64_t>(s.bits_allocated))
      .bind(10, static_cast<int64_t>(s.bits_stored))
      .bind(11, s.photometric_interpretation)
      .bind(12, in.view_code)
      .bind(13, in.view_role)
      .bind(14, in.view_json)
      .bind(15, in.blob_key)
      .bind(16, static_cast<int64_t>(in.size))
      .bind(17, in.sha256)
      .bind(18, in.source)
      .bind(19, now)
      .step();
  db.prepare("UPDATE series SET instance_count = instance_count + 1 WHERE id = ?")
      .bind(1, series_ref)
      .step();
  {
    auto st = db.prepare("SELECT modalities FROM studies WHERE id = ?");
    st.bind(1, study_ref);
    st.step();
    const std::string mods = joinModalities(st.text(0), s.modality);
    db.prepare(
          "UPDATE studies SET instance_count = instance_count + 1, modalities = ? WHERE id = ?")
        .bind(1, mods)
        .bind(2, study_ref)
        .step();
  }
  refreshExam(study_ref, identity_issue);
  tx.commit();
  return {RecordOutcome::kInserted, ""};
}

void ArchiveIndex::addBlobIntent(const std::string& key) {
  std::lock_guard lk(write_mu_);
  writer_->prepare("INSERT OR IGNORE INTO blob_intents(key, created_at) VALUES(?, ?)")
      .bind(1, key)
      .bind(2, nowIso())
      .step();
}

std::vector<std::string> ArchiveIndex::unreferencedBlobIntents() {
  std::lock_guard lk(write_mu_);
  std::vector<std::string> out;
  auto st = writer_->prepare(
      "SELECT b.key FROM blob_intents b WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE "
      "i.blob_key = b.key) AND NOT EXISTS (SELECT 1 FROM quarantine q WHERE q.blob_key = b.key)");
  while (st.step()) out.push_back(st.text(0));
  return out;
}

bool ArchiveIndex::releaseIfUnreferenced(const std::string& key,
                                         const std::function<void()>& remove_file) {
  std::lock_guard lk(write_mu_);
  auto st = writer_->prepare(
      "SELECT (SELECT COUNT(*) FROM instances WHERE blob_key = ?1) + (SELECT COUNT(*) FROM "
      "quarantine WHERE blob_key = ?1)");
  st.bind(1, key);
  st.step();
  if (st.integer(0) > 0) return false;
  // Under the writer lock: no ingest can reference this key while the file goes.
  remove_file();
  writer_->prepare("DELETE FROM blob_intents WHERE key = ?").bind(1, key).step();
  return true;
}

void ArchiveIndex::clearBlobIntents() {
  std::lock_guard lk(write_mu_);
  writer_->exec("DELETE FROM blob_intents");
}

bool ArchiveIndex::findInstance(const std::string& sop_uid, InstanceRow& out) {
  auto db = reader();
  auto st = db->prepare(std::string("SELECT ") + kInstanceColumns +
                        " FROM instances i JOIN series se ON se.id = i.series_ref JOIN studies s "
                        "ON s.id = se.study_ref WHERE i.sop_uid = ?");
  st.bind(1, sop_uid);
  if (!st.step()) return false;
  out = readInstance(st);
  return true;
}

namespace {

// The SQL and arguments of a study query (shared by findStudies and explainStudies).
std::string studySql(const StudyQuery& q, Where& w) {
  w.text("p.patient_id", q.patient_id);
  w.text("p.issuer", q.issuer);
  w.text("p.name_key", q.patient_name, true);
  w.date("p.birth_date", q.patient_birth_date);
  w.date("s.study_date", q.study_date);
  w.text("s.accession", q.accession);
  w.in("s.study_uid", q.study_uids);
  w.text("s.study_id", q.study_id);
  w.text("s.description", q.study_description);
  w.text("s.referring", q.referring);
  if (!q.modality.empty()) {
    w.add("('\\' || s.modalities || '\\') LIKE ?");
    w.args.push_back("%\\" + q.modality + "\\%");
  }
  if (q.woman_id) {
    w.add("p.woman_id = ?");
    w.args.push_back(std::to_string(*q.woman_id));
  }
  w.cims(q.cims);
  return std::string("SELECT ") + kStudyColumns +
         " FROM studies s JOIN patients p ON p.id = s.patient_ref" + w.sql +
         " ORDER BY s.study_date DESC, s.id DESC LIMIT ? OFFSET ?";
}

}  // namespace

std::vector<StudyRow> ArchiveIndex::findStudies(const StudyQuery& q) {
  Where w;
  const std::string sql = studySql(q, w);
  auto db = reader();
  auto st = db->prepare(sql);
  int i = w.bindAll(st);
  bindPage(st, i, q.limit, q.offset, 100000);
  std::vector<StudyRow> out;
  while (st.step()) out.push_back(readStudy(st));
  return out;
}

std::string ArchiveIndex::explainStudies(const StudyQuery& q) {
  Where w;
  const std::string sql = "EXPLAIN QUERY PLAN " + studySql(q, w);
  auto db = reader();
  auto st = db->prepare(sql);
  int i = w.bindAll(st);
  bindPage(st, i, q.limit, q.offset, 100000);
  std::string plan;
  while (st.step()) plan += st.text(3) + "\n";
  return plan;
}

std::vector<SeriesRow> ArchiveIndex::findSeries(const SeriesQuery& q) {
  Where w;
  w.in("s.study_uid", q.study_uids);
  w.in("se.series_uid", q.series_uids);
  w.text("se.modality", q.modality);
  w.text("se.series_number", q.series_number);
  w.text("p.patient_id", q.patient_id);
  w.cims(q.cims);
  auto db = reader();
  auto st = db->prepare(
      "SELECT se.series_uid, s.study_uid, se.modality, se.series_number, se.description, "
      "se.body_part, se.laterality, se.series_date, se.instance_count FROM series se JOIN "
      "studies s ON s.id = se.study_ref JOIN patients p ON p.id = s.patient_ref" +
      w.sql + " ORDER BY se.id LIMIT ? OFFSET ?");
  int i = w.bindAll(st);
  bindPage(st, i, q.limit, q.offset, 100000);
  std::vector<SeriesRow> out;
  while (st.step()) {
    SeriesRow r;
    r.series_uid = st.text(0);
    r.study_uid = st.text(1);
    r.modality = st.text(2);
    r.series_number = st.text(3);
    r.description = st.text(4);
    r.body_part = st.text(5);
    r.laterality = st.text(6);
    r.series_date = st.text(7);
    r.instance_count = st.integer(8);
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

// An instance with its series, study and patient (aliases i, se, s, p).
constexpr const char* kInstanceJoins =
    " FROM instances i JOIN series se ON se.id = i.series_ref JOIN studies s ON s.id = "
    "se.study_ref JOIN patients p ON p.id = s.patient_ref";

void instanceWhere(const InstanceQuery& q, Where& w) {
  w.in("s.study_uid", q.study_uids);
  w.in("se.series_uid", q.series_uids);
  w.in("i.sop_uid", q.sop_uids);
  w.text("i.sop_class", q.sop_class);
  w.text("i.instance_number", q.instance_number);
  w.text("p.patient_id", q.patient_id);
  w.cims(q.cims, q.outside_cims);
}

}  // namespace

std::vector<StudyRow> ArchiveIndex::findStudiesOfInstances(const InstanceQuery& q) {
  Where w;
  instanceWhere(q, w);
  auto db = reader();
  auto st = db->prepare(std::string("SELECT ") + kStudyColumns +
                        " FROM studies s JOIN patients p ON p.id = s.patient_ref WHERE s.id IN "
                        "(SELECT se.study_ref" +
                        kInstanceJoins + w.sql + ") ORDER BY s.id LIMIT ? OFFSET ?");
  int i = w.bindAll(st);
  bindPage(st, i, q.limit, q.offset, 1000000);
  std::vector<StudyRow> out;
  while (st.step()) out.push_back(readStudy(st));
  return out;
}

std::vector<InstanceRow> ArchiveIndex::findInstances(const InstanceQuery& q) {
  Where w;
  instanceWhere(q, w);
  auto db = reader();
  auto st = db->prepare(std::string("SELECT ") + kInstanceColumns + kInstanceJoins + w.sql +
                        " ORDER BY i.id LIMIT ? OFFSET ?");
  int i = w.bindAll(st);
  bindPage(st, i, q.limit, q.offset, 1000000);
  std::vector<InstanceRow> out;
  while (st.step()) out.push_back(readInstance(st));
  return out;
}

std::vector<PatientRow> ArchiveIndex::findPatients(const PatientQuery& q) {
  Where w;
  w.text("p.patient_id", q.patient_id);
  w.text("p.name_key", q.patient_name, true);
  w.date("p.birth_date", q.birth_date);
  w.cims(q.cims);
  auto db = reader();
  auto st = db->prepare(
      "SELECT p.id, p.woman_id, p.patient_id, p.issuer, p.name, p.birth_date, p.sex, p.ins, "
      "p.identity_issue, (SELECT COUNT(*) FROM studies s WHERE s.patient_ref = p.id), "
      "(SELECT COALESCE(SUM(instance_count),0) FROM studies s WHERE s.patient_ref = p.id) "
      "FROM patients p" +
      w.sql + " ORDER BY p.id LIMIT ? OFFSET ?");
  int i = w.bindAll(st);
  bindPage(st, i, q.limit, q.offset, 100000);
  std::vector<PatientRow> out;
  while (st.step()) {
    PatientRow r;
    r.id = st.integer(0);
    if (!st.isNull(1)) r.woman_id = st.integer(1);
    r.patient_id = st.text(2);
    r.issuer = st.text(3);
    r.name = st.text(4);
    r.birth_date = st.text(5);
    r.sex = st.text(6);
    r.ins = st.text(7);
    r.identity_issue = st.text(8);
    r.study_count = st.integer(9);
    r.instance_count = st.integer(10);
    out.push_back(std::move(r));
  }
  return out;
}

bool ArchiveIndex::getStudy(const std::string& study_uid, StudyRow& out) {
  StudyQuery q;
  q.study_uids = {study_uid};
  q.limit = 1;
  auto rows = findStudies(q);
  if (rows.empty()) return false;
  out = std::move(rows.front());
  return true;
}

std::vector<StudyRow> ArchiveIndex::listExamsByStatus(const std::string& status, int64_t limit,
                                                      int64_t offset) {
  auto db = reader();
  std::string sql = std::string("SELECT ") + kStudyColumns +
                    " FROM studies s JOIN patients p ON p.id = s.patient_ref";
  if (!status.empty()) sql += " WHERE s.exam_status = ?";
  sql += " ORDER BY s.study_date DESC, s.id DESC LIMIT ? OFFSET ?";
  auto st = db->prepare(sql);
  int i = 1;
  if (!status.empty()) st.bind(i++, status);
  bindPage(st, i, limit, offset, 10000);
  std::vector<StudyRow> out;
  while (st.step()) out.push_back(readStudy(st));
  return out;
}

int64_t ArchiveIndex::countExamsByStatus(const std::string& status) {
  auto db = reader();
  auto st = db->prepare(status.empty() ? "SELECT COUNT(*) FROM studies"
                                       : "SELECT COUNT(*) FROM studies WHERE exam_status = ?");
  if (!status.empty()) st.bind(1, status);
  st.step();
  return st.integer(0);
}

bool ArchiveIndex::getWoman(int64_t id, WomanRow& out) {
  auto db = reader();
  auto st =
      db->prepare("SELECT id, COALESCE(ins,''), name, birth_date, sex FROM women WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return false;
  out = {st.integer(0), st.text(1), st.text(2), st.text(3), st.text(4)};
  return true;
}

std::vector<WomanRow> ArchiveIndex::findWomenByIns(const std::string& ins) {
  auto db = reader();
  auto st =
      db->prepare("SELECT id, COALESCE(ins,''), name, birth_date, sex FROM women WHERE ins = ?");
  st.bind(1, ins);
  std::vector<WomanRow> out;
  while (st.step()) out.push_back({st.integer(0), st.text(1), st.text(2), st.text(3), st.text(4)});
  return out;
}

std::vector<PatientRow> ArchiveIndex::patientsOfWoman(int64_t woman_id) {
  auto db = reader();
  auto st = db->prepare(
      "SELECT id, patient_id, issuer, name, birth_date, sex, ins, identity_issue FROM patients "
      "WHERE woman_id = ? ORDER BY id");
  st.bind(1, woman_id);
  std::vector<PatientRow> out;
  while (st.step()) {
    PatientRow r;
    r.id = st.integer(0);
    r.woman_id = woman_id;
    r.patient_id = st.text(1);
    r.issuer = st.text(2);
    r.name = st.text(3);
    r.birth_date = st.text(4);
    r.sex = st.text(5);
    r.ins = st.text(6);
    r.identity_issue = st.text(7);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<QuarantineRow> ArchiveIndex::listQuarantine(int64_t limit, int64_t offset) {
  auto db = reader();
  auto st = db->prepare(
      "SELECT id, sop_uid, study_uid, reason, blob_key, size, sha256, source, received_at FROM "
      "quarantine ORDER BY id DESC LIMIT ? OFFSET ?");
  bindPage(st, 1, limit, offset, 10000);
  std::vector<QuarantineRow> out;
  while (st.step()) {
    out.push_back({st.integer(0), st.text(1), st.text(2), st.text(3), st.text(4), st.integer(5),
                   st.text(6), st.text(7), st.text(8)});
  }
  return out;
}

void ArchiveIndex::mirrorWoman(int64_t id, const std::string& ins, const std::string& name,
                               const std::string& birth_date, const std::string& sex) {
  std::lock_guard lk(write_mu_);
  SqliteTransaction tx(*writer_);
  // Another row may still hold the INS (a woman merged away keeps hers): then none here.
  auto taken = writer_->prepare("SELECT 1 FROM women WHERE ins = ? AND id <> ?");
  taken.bind(1, ins).bind(2, id);
  const bool ins_free = !ins.empty() && !taken.step();
  writer_
      ->prepare(
          "INSERT INTO women(id, ins, name, birth_date, sex, created_at) VALUES(?,?,?,?,?,?) "
          "ON CONFLICT(id) DO UPDATE SET ins = excluded.ins, name = excluded.name, birth_date = "
          "excluded.birth_date, sex = excluded.sex")
      .bindOpt(2, ins_free ? std::optional<std::string>(ins) : std::nullopt)
      .bind(1, id)
      .bind(3, name)
      .bind(4, birth_date)
      .bind(5, sex)
      .bind(6, nowIso())
      .step();
  tx.commit();
}

std::vector<int64_t> ArchiveIndex::setTupleWoman(const PatientTuple& t,
                                                 std::optional<int64_t> woman_id,
                                                 const std::string& issue) {
  std::lock_guard lk(write_mu_);
  SqliteTransaction tx(*writer_);
  std::vector<int64_t> ids;
  auto st = writer_->prepare(
      "SELECT id FROM patients WHERE patient_id = ? AND issuer = ? AND name = ? AND birth_date = "
      "? AND sex = ? AND ins = ?");
  st.bind(1, t.patient_id)
      .bind(2, t.issuer)
      .bind(3, t.name)
      .bind(4, t.birth_date)
      .bind(5, t.sex)
      .bind(6, t.ins);
  while (st.step()) ids.push_back(st.integer(0));
  for (int64_t id : ids) {
    auto up = writer_->prepare("UPDATE patients SET woman_id = ?, identity_issue = ? WHERE id = ?");
    up.bindOpt(1, woman_id);
    up.bind(2, issue).bind(3, id).step();
  }
  tx.commit();
  return ids;
}

void ArchiveIndex::setPatientsWoman(const std::vector<int64_t>& patient_ids,
                                    std::optional<int64_t> woman_id) {
  std::lock_guard lk(write_mu_);
  SqliteTransaction tx(*writer_);
  for (int64_t id : patient_ids) {
    auto up = writer_->prepare("UPDATE patients SET woman_id = ? WHERE id = ?");
    up.bindOpt(1, woman_id);
    up.bind(2, id).step();
  }
  tx.commit();
}

std::vector<std::string> ArchiveIndex::studiesOfPatients(const std::vector<int64_t>& patient_ids) {
  auto db = reader();
  std::vector<std::string> out;
  for (int64_t id : patient_ids) {
    auto st = db->prepare("SELECT study_uid FROM studies WHERE patient_ref = ? ORDER BY id");
    st.bind(1, id);
    while (st.step()) out.push_back(st.text(0));
  }
  return out;
}

void ArchiveIndex::reassessStudies(const std::vector<std::string>& study_uids,
                                   const ExamRecompute& recompute) {
  std::lock_guard lk(write_mu_);
  SqliteDb& db = *writer_;
  SqliteTransaction tx(db);
  for (const auto& uid : study_uids) {
    auto s = db.prepare(
        "SELECT s.id, p.identity_issue FROM studies s JOIN patients p ON p.id = s.patient_ref "
        "WHERE s.study_uid = ?");
    s.bind(1, uid);
    if (!s.step()) continue;
    const int64_t study_ref = s.integer(0);
    std::vector<ExamImageRow> images;
    auto st = db.prepare(
        "SELECT i.sop_uid, se.series_uid, i.view_json FROM instances i JOIN series se ON "
        "se.id = i.series_ref WHERE se.study_ref = ? ORDER BY i.id");
    st.bind(1, study_ref);
    while (st.step()) images.push_back({st.text(0), st.text(1), st.text(2)});
    std::vector<std::string> extra;
    if (!s.text(1).empty()) extra.push_back(s.text(1));
    auto q = db.prepare("SELECT sop_uid, reason FROM quarantine WHERE study_uid = ? ORDER BY id");
    q.bind(1, uid);
    while (q.step()) extra.push_back("quarantined image " + q.text(0) + ": " + q.text(1));
    const ExamUpdate up = recompute(images, extra);
    db.prepare("UPDATE studies SET exam_status = ?, exam_json = ?, updated_at = ? WHERE id = ?")
        .bind(1, up.status)
        .bind(2, up.json)
        .bind(3, nowIso())
        .bind(4, study_ref)
        .step();
  }
  tx.commit();
}

void ArchiveIndex::forEachBlobRef(const std::function<void(const std::string&, const std::string&,
                                                           int64_t, const std::string&)>& fn) {
  auto db = reader();
  auto st = db->prepare(
      "SELECT blob_key, sha256, size, 'instance ' || sop_uid FROM instances UNION ALL "
      "SELECT blob_key, sha256, size, 'quarantined ' || sop_uid FROM quarantine");
  while (st.step()) fn(st.text(0), st.text(1), st.integer(2), st.text(3));
}

ArchiveIndex::Totals ArchiveIndex::totals() {
  auto db = reader();
  auto st = db->prepare(
      "SELECT (SELECT COUNT(*) FROM women), (SELECT COUNT(*) FROM patients), (SELECT COUNT(*) "
      "FROM studies), (SELECT COUNT(*) FROM series), (SELECT COUNT(*) FROM instances), (SELECT "
      "COUNT(*) FROM quarantine), (SELECT COALESCE(SUM(size),0) FROM instances)");
  st.step();
  return {st.integer(0), st.integer(1), st.integer(2), st.integer(3),
          st.integer(4), st.integer(5), st.integer(6)};
}

void ArchiveIndex::bulkInsertSyntheticExams(int64_t first, int64_t count, int per_exam) {
  std::lock_guard lk(write_mu_);
  SqliteDb& db = *writer_;
  const std::string now = nowIso();
  SqliteTransaction tx(db);
  auto pw =
      db.prepare("INSERT INTO women(ins, name, birth_date, sex, created_at) VALUES(?,?,?,?,?)");
  auto pp = db.prepare(
      "INSERT INTO patients(woman_id, patient_id, issuer, name, name_key, birth_date, sex, ins) "
      "VALUES(?,?,?,?,?,?,?,?)");
  auto ps = db.prepare(
      "INSERT INTO studies(study_uid, patient_ref, study_date, study_time, accession, "
      "institution, modalities, series_count, instance_count, exam_status, received_at, "
      "updated_at) VALUES(?,?,?,?,?,?,'MG',?,?,'complete',?,?)");
  auto pse = db.prepare(
      "INSERT INTO series(series_uid, study_ref, modality, series_number, instance_count) "
      "VALUES(?,?,'MG',?,1)");
  auto pi = db.prepare(
      "INSERT INTO instances(sop_uid, series_ref, sop_class, instance_number, transfer_syntax, "
      "rows, columns, frames, bits_allocated, bits_stored, photometric, view_code, view_role, "
      "blob_key, size, sha256, received_at) VALUES(?,?,'1.2.840.10008.5.1.4.1.1.1.2','1',"
      "'1.2.840.10008.1.2.1',4096,3328,1,16,14,'MONOCHROME2',?,'standard',?,0,?,?)");
  static const char* kViews[] = {"RCC", "LCC", "RMLO", "LMLO"};
  int64_t patient_ref = 0;
  for (int64_t n = first; n < first + count; ++n) {
    // Two rounds per woman: exam n belongs to woman n/2, seen by one CIM under one IPP.
    const int64_t woman = n / 2;
    const std::string ns = std::to_string(n), ws = std::to_string(woman);
    if (n % 2 == 0 || n == first) {
      pw.reset();
      pw.bind(1, "9" + std::string(14 - std::min<size_t>(14, ws.size()), '0') + ws)
          .bind(2, "SYNTH" + ws + "^ANNE")
          .bind(3, "19600101")
          .bind(4, "F")
          .bind(5, now);
      try {
        pw.step();
      } catch (const IndexError&) {
      }
      pp.reset();
      pp.bind(1, db.lastInsertId())
          .bind(2, "IPP" + ws)
          .bind(3, "CIM" + std::to_string(woman % 40))
          .bind(4, "SYNTH" + ws + "^ANNE")
          .bind(5, "SYNTH" + ws + "^ANNE")
          .bind(6, "19600101")
          .bind(7, "F")
          .bind(8, "");
      pp.step();
      patient_ref = db.lastInsertId();
    }
    const std::string study_uid = "2.25.1" + ns;
    // Her two rounds on the same day of the year, two years apart.
    const int year = 2022 + static_cast<int>(n % 2) * 2;
    char date[16];
    std::snprintf(date, sizeof date, "%04d%02d%02d", year, static_cast<int>(1 + woman % 12),
                  static_cast<int>(1 + woman % 28));
    ps.reset();
    ps.bind(1, study_uid)
        .bind(2, patient_ref)
        .bind(3, date)
        .bind(4, "101500")
        .bind(5, "ACC" + ns)
        .bind(6, "CIM" + std::to_string(woman % 40))
        .bind(7, per_exam)
        .bind(8, per_exam)
        .bind(9, now)
        .bind(10, now);
    ps.step();
    const int64_t study_ref = db.lastInsertId();
    for (int v = 0; v < per_exam; ++v) {
      const std::string vs = std::to_string(v);
      pse.reset();
      pse.bind(1, study_uid + "." + vs).bind(2, study_ref).bind(3, vs);
      pse.step();
      const int64_t series_ref = db.lastInsertId();
      pi.reset();
      pi.bind(1, study_uid + "." + vs + ".1")
          .bind(2, series_ref)
          .bind(3, kViews[v % 4])
          .bind(4, std::string(64, 'f'))
          .bind(5, std::string(64, 'f'))
          .bind(6, now);
      pi.step();
    }
  }
  tx.commit();
}

}  // namespace dualread
