#include "index/identity_store.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "domain/identity_names.h"
#include "domain/time.h"
#include "util/wall_clock.h"

namespace dualread {

namespace {

constexpr int kSchemaVersion = 2;

// The list of migrations of the identity tables; append, never edit.
const char* const kIdentityMigrations[] = {
    // v1
    R"sql(
CREATE TABLE identity_women(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  nir TEXT NOT NULL DEFAULT '',
  ins_oid TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  birth_name TEXT NOT NULL DEFAULT '',
  first_names TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  birth_place TEXT NOT NULL DEFAULT '',
  used_names_json TEXT NOT NULL DEFAULT '[]',
  merged_into INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE INDEX identity_women_nir ON identity_women(nir) WHERE nir <> '';
CREATE INDEX identity_women_birth ON identity_women(birth_date);
CREATE TABLE identity_names(
  name_key TEXT NOT NULL,
  woman_id INTEGER NOT NULL REFERENCES identity_women(id),
  PRIMARY KEY(name_key, woman_id));
CREATE INDEX identity_names_woman ON identity_names(woman_id);
CREATE TABLE identity_ipps(
  cim TEXT NOT NULL,
  ipp TEXT NOT NULL,
  woman_id INTEGER NOT NULL REFERENCES identity_women(id),
  PRIMARY KEY(cim, ipp));
CREATE INDEX identity_ipps_woman ON identity_ipps(woman_id);
CREATE TABLE identity_cases(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  link_key TEXT NOT NULL,
  source TEXT NOT NULL,
  reason TEXT NOT NULL,
  explanation TEXT NOT NULL,
  traits_json TEXT NOT NULL,
  candidates_json TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'open',
  created_at TEXT NOT NULL,
  resolution_json TEXT NOT NULL DEFAULT '',
  resolved_by TEXT NOT NULL DEFAULT '',
  resolved_at TEXT NOT NULL DEFAULT '');
CREATE INDEX identity_cases_status ON identity_cases(status, id);
CREATE TABLE identity_case_subjects(
  case_id INTEGER NOT NULL REFERENCES identity_cases(id),
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  PRIMARY KEY(case_id, kind, subject));
CREATE INDEX identity_case_subjects_subject ON identity_case_subjects(subject, kind);
CREATE TABLE identity_links(
  link_key TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  traits_json TEXT NOT NULL,
  woman_id INTEGER REFERENCES identity_women(id),
  status TEXT NOT NULL,
  case_id INTEGER REFERENCES identity_cases(id),
  explanation TEXT NOT NULL DEFAULT '',
  decided_by TEXT NOT NULL,
  decided_at TEXT NOT NULL);
CREATE INDEX identity_links_woman ON identity_links(woman_id);
CREATE TABLE identity_merges(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  survivor_id INTEGER NOT NULL REFERENCES identity_women(id),
  absorbed_id INTEGER NOT NULL REFERENCES identity_women(id),
  moved_json TEXT NOT NULL,
  merged_by TEXT NOT NULL,
  merged_at TEXT NOT NULL,
  why TEXT NOT NULL,
  undone_by TEXT NOT NULL DEFAULT '',
  undone_at TEXT NOT NULL DEFAULT '',
  undo_why TEXT NOT NULL DEFAULT '');
CREATE INDEX identity_merges_survivor ON identity_merges(survivor_id);
CREATE INDEX identity_merges_absorbed ON identity_merges(absorbed_id);
)sql",
    // v2: a secretary's corrections of a woman's traits (kept, each undoable) and the matcher's
    // fresh verdict on an open case after a correction of one of its candidates.
    R"sql(
CREATE TABLE identity_corrections(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  woman_id INTEGER NOT NULL REFERENCES identity_women(id),
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL,
  why TEXT NOT NULL,
  corrected_by TEXT NOT NULL,
  corrected_at TEXT NOT NULL,
  undone_by TEXT NOT NULL DEFAULT '',
  undone_at TEXT NOT NULL DEFAULT '',
  undo_why TEXT NOT NULL DEFAULT '');
CREATE INDEX identity_corrections_woman ON identity_corrections(woman_id, id);
ALTER TABLE identity_cases ADD COLUMN reassessment_json TEXT NOT NULL DEFAULT '';
)sql",
};
static_assert(std::size(kIdentityMigrations) == kSchemaVersion);

const char* kWomanColumns =
    "id, nir, ins_oid, status, birth_name, first_names, birth_date, sex, birth_place, "
    "used_names_json, merged_into";

WomanIdentity womanFromRow(SqliteDb& db, const SqliteStmt& st) {
  WomanIdentity w;
  w.id = st.integer(0);
  w.nir = st.text(1);
  w.ins_oid = st.text(2);
  w.status = insStatusFromCode(st.text(3)).value_or(InsStatus::kUnknown);
  w.birth_name = st.text(4);
  w.first_names = st.text(5);
  w.birth_date = st.text(6);
  w.sex = st.text(7);
  w.birth_place = st.text(8);
  const auto used = nlohmann::json::parse(st.text(9), nullptr, false);
  if (used.is_array())
    for (const auto& u : used)
      if (u.is_string()) w.used_names.push_back(u.get<std::string>());
  if (!st.isNull(10)) w.merged_into = st.integer(10);
  auto ip = db.prepare("SELECT cim, ipp FROM identity_ipps WHERE woman_id = ? ORDER BY cim, ipp");
  ip.bind(1, w.id);
  while (ip.step()) w.ipps.push_back({ip.text(0), ip.text(1)});
  return w;
}

void writeNamesAndIpps(SqliteDb& db, const WomanIdentity& w) {
  db.prepare("DELETE FROM identity_names WHERE woman_id = ?").bind(1, w.id).step();
  std::set<std::string> keys;
  if (!nameKey(w.birth_name).empty()) keys.insert(nameKey(w.birth_name));
  for (const auto& u : w.used_names)
    if (!nameKey(u).empty()) keys.insert(nameKey(u));
  for (const auto& k : keys)
    db.prepare("INSERT INTO identity_names(name_key, woman_id) VALUES(?, ?)")
        .bind(1, k)
        .bind(2, w.id)
        .step();
  db.prepare("DELETE FROM identity_ipps WHERE woman_id = ?").bind(1, w.id).step();
  for (const auto& p : w.ipps)
    db.prepare("INSERT OR REPLACE INTO identity_ipps(cim, ipp, woman_id) VALUES(?, ?, ?)")
        .bind(1, p.cim)
        .bind(2, p.ipp)
        .bind(3, w.id)
        .step();
}

std::vector<int64_t> idsFromJson(const std::string& text) {
  std::vector<int64_t> out;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_array())
    for (const auto& v : j)
      if (v.is_number_integer()) out.push_back(v.get<int64_t>());
  return out;
}

const char* kCaseColumns =
    "id, link_key, source, reason, explanation, traits_json, candidates_json, status, "
    "created_at, resolution_json, resolved_by, resolved_at, reassessment_json";

IdentityCaseRow caseFromRow(SqliteDb& db, const SqliteStmt& st) {
  IdentityCaseRow c;
  c.id = st.integer(0);
  c.link_key = st.text(1);
  c.source = st.text(2);
  c.reason = st.text(3);
  c.explanation = st.text(4);
  c.traits_json = st.text(5);
  c.candidates = idsFromJson(st.text(6));
  c.status = st.text(7);
  c.created_at = st.text(8);
  c.resolution_json = st.text(9);
  c.resolved_by = st.text(10);
  c.resolved_at = st.text(11);
  c.reassessment_json = st.text(12);
  auto sub = db.prepare(
      "SELECT kind, subject FROM identity_case_subjects WHERE case_id = ? ORDER BY kind, subject");
  sub.bind(1, c.id);
  while (sub.step()) (sub.text(0) == "study" ? c.studies : c.exams).push_back(sub.text(1));
  return c;
}

const char* kMergeColumns =
    "id, survivor_id, absorbed_id, moved_json, merged_by, merged_at, why, undone_by, undone_at, "
    "undo_why";

const char* kCorrectionColumns =
    "id, woman_id, before_json, after_json, why, corrected_by, corrected_at, undone_by, "
    "undone_at, undo_why";

IdentityCorrectionRow correctionFromRow(const SqliteStmt& st) {
  return {st.integer(0), st.integer(1), st.text(2), st.text(3), st.text(4),
          st.text(5),    st.text(6),    st.text(7), st.text(8), st.text(9)};
}

IdentityMergeRow mergeFromRow(const SqliteStmt& st) {
  return {st.integer(0), st.integer(1), st.integer(2), st.text(3), st.text(4),
          st.text(5),    st.text(6),    st.text(7),    st.text(8), st.text(9)};
}

}  // namespace

int64_t IdentityWriter::createWoman(const WomanIdentity& in) {
  const std::string now = nowIso();
  auto st = db_.prepare(
      "INSERT INTO identity_women(id, nir, ins_oid, status, birth_name, first_names, birth_date, "
      "sex, birth_place, used_names_json, merged_into, created_at, updated_at) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
  st.bindOpt(1, in.id > 0 ? std::optional<int64_t>(in.id) : std::nullopt);
  st.bind(2, in.nir)
      .bind(3, in.ins_oid)
      .bind(4, toCode(in.status))
      .bind(5, in.birth_name)
      .bind(6, in.first_names)
      .bind(7, in.birth_date)
      .bind(8, in.sex)
      .bind(9, in.birth_place)
      .bind(10, nlohmann::json(in.used_names).dump());
  st.bindOpt(11, in.merged_into);
  st.bind(12, now).bind(13, now).step();
  WomanIdentity w = in;
  w.id = db_.lastInsertId();
  writeNamesAndIpps(db_, w);
  return w.id;
}

void IdentityWriter::updateWoman(const WomanIdentity& w) {
  auto st = db_.prepare(
      "UPDATE identity_women SET nir = ?, ins_oid = ?, status = ?, birth_name = ?, first_names = "
      "?, birth_date = ?, sex = ?, birth_place = ?, used_names_json = ?, merged_into = ?, "
      "updated_at = ? WHERE id = ?");
  st.bind(1, w.nir)
      .bind(2, w.ins_oid)
      .bind(3, toCode(w.status))
      .bind(4, w.birth_name)
      .bind(5, w.first_names)
      .bind(6, w.birth_date)
      .bind(7, w.sex)
      .bind(8, w.birth_place)
      .bind(9, nlohmann::json(w.used_names).dump());
  st.bindOpt(10, w.merged_into);
  st.bind(11, nowIso()).bind(12, w.id).step();
  if (db_.changes() != 1)
    throw IndexError("no woman " + std::to_string(w.id) + " in the identity register");
  writeNamesAndIpps(db_, w);
}

void IdentityWriter::putLink(const IdentityLinkRow& l) {
  auto st = db_.prepare(
      "INSERT OR REPLACE INTO identity_links(link_key, source, traits_json, woman_id, status, "
      "case_id, explanation, decided_by, decided_at) VALUES(?,?,?,?,?,?,?,?,?)");
  st.bind(1, l.link_key).bind(2, l.source).bind(3, l.traits_json);
  st.bindOpt(4, l.woman_id);
  st.bind(5, l.status);
  st.bindOpt(6, l.case_id);
  st.bind(7, l.explanation).bind(8, l.decided_by).bind(9, l.decided_at).step();
}

int64_t IdentityWriter::openCase(const IdentityCaseRow& c) {
  db_.prepare(
         "INSERT INTO identity_cases(link_key, source, reason, explanation, traits_json, "
         "candidates_json, status, created_at) VALUES(?,?,?,?,?,?,'open',?)")
      .bind(1, c.link_key)
      .bind(2, c.source)
      .bind(3, c.reason)
      .bind(4, c.explanation)
      .bind(5, c.traits_json)
      .bind(6, nlohmann::json(c.candidates).dump())
      .bind(7, c.created_at.empty() ? nowIso() : c.created_at)
      .step();
  return db_.lastInsertId();
}

void IdentityWriter::addCaseSubject(int64_t case_id, const std::string& kind,
                                    const std::string& subject) {
  db_.prepare("INSERT OR IGNORE INTO identity_case_subjects(case_id, kind, subject) VALUES(?,?,?)")
      .bind(1, case_id)
      .bind(2, kind)
      .bind(3, subject)
      .step();
}

void IdentityWriter::resolveCase(int64_t case_id, const std::string& resolution_json,
                                 const std::string& by, const std::string& at) {
  db_.prepare(
         "UPDATE identity_cases SET status = 'resolved', resolution_json = ?, resolved_by = ?, "
         "resolved_at = ? WHERE id = ? AND status = 'open'")
      .bind(1, resolution_json)
      .bind(2, by)
      .bind(3, at)
      .bind(4, case_id)
      .step();
  if (db_.changes() != 1)
    throw IndexError("identity case " + std::to_string(case_id) + " is not open");
}

std::vector<std::string> IdentityWriter::moveLinks(int64_t from, int64_t to) {
  std::vector<std::string> keys;
  auto st = db_.prepare("SELECT link_key FROM identity_links WHERE woman_id = ? ORDER BY link_key");
  st.bind(1, from);
  while (st.step()) keys.push_back(st.text(0));
  moveLinksBack(keys, to);
  return keys;
}

void IdentityWriter::moveLinksBack(const std::vector<std::string>& keys, int64_t to) {
  for (const auto& k : keys)
    db_.prepare("UPDATE identity_links SET woman_id = ? WHERE link_key = ?")
        .bind(1, to)
        .bind(2, k)
        .step();
}

int64_t IdentityWriter::addMerge(const IdentityMergeRow& m) {
  db_.prepare(
         "INSERT INTO identity_merges(survivor_id, absorbed_id, moved_json, merged_by, "
         "merged_at, why) VALUES(?,?,?,?,?,?)")
      .bind(1, m.survivor_id)
      .bind(2, m.absorbed_id)
      .bind(3, m.moved_json)
      .bind(4, m.merged_by)
      .bind(5, m.merged_at)
      .bind(6, m.why)
      .step();
  return db_.lastInsertId();
}

void IdentityWriter::setMergeMoved(int64_t id, const std::string& moved_json) {
  db_.prepare("UPDATE identity_merges SET moved_json = ? WHERE id = ?")
      .bind(1, moved_json)
      .bind(2, id)
      .step();
}

void IdentityWriter::markMergeUndone(int64_t id, const std::string& by, const std::string& at,
                                     const std::string& why) {
  markUndone("identity_merges", "merge", id, by, at, why);
}

void IdentityWriter::setCaseCandidates(int64_t case_id, const std::vector<int64_t>& candidates,
                                       const std::string& reassessment_json) {
  db_.prepare(
         "UPDATE identity_cases SET candidates_json = ?, reassessment_json = ? WHERE id = ? AND "
         "status = 'open'")
      .bind(1, nlohmann::json(candidates).dump())
      .bind(2, reassessment_json)
      .bind(3, case_id)
      .step();
}

int64_t IdentityWriter::addCorrection(const IdentityCorrectionRow& c) {
  db_.prepare(
         "INSERT INTO identity_corrections(woman_id, before_json, after_json, why, corrected_by, "
         "corrected_at) VALUES(?,?,?,?,?,?)")
      .bind(1, c.woman_id)
      .bind(2, c.before_json)
      .bind(3, c.after_json)
      .bind(4, c.why)
      .bind(5, c.corrected_by)
      .bind(6, c.corrected_at)
      .step();
  return db_.lastInsertId();
}

void IdentityWriter::markCorrectionUndone(int64_t id, const std::string& by, const std::string& at,
                                          const std::string& why) {
  markUndone("identity_corrections", "correction", id, by, at, why);
}

void IdentityWriter::markUndone(const char* table, const char* what, int64_t id,
                                const std::string& by, const std::string& at,
                                const std::string& why) {
  db_.prepare(std::string("UPDATE ") + table +
              " SET undone_by = ?, undone_at = ?, undo_why = ? WHERE id = ? AND undone_at = ''")
      .bind(1, by)
      .bind(2, at)
      .bind(3, why)
      .bind(4, id)
      .step();
  if (db_.changes() != 1)
    throw IndexError(std::string(what) + " " + std::to_string(id) + " is not in force");
}

IdentityStore::IdentityStore(const std::string& path)
    : db_(std::make_unique<SqliteDb>(path, false)) {
  SqliteTransaction tx(*db_);
  db_->exec("CREATE TABLE IF NOT EXISTS identity_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  int64_t current = 0;
  {
    auto st = db_->prepare("SELECT value FROM identity_meta WHERE key = 'schema_version'");
    if (st.step()) current = std::stoll(st.text(0));
  }
  if (current > kSchemaVersion)
    throw IndexError("the identity tables in " + path + " have schema version " +
                     std::to_string(current) + ", which this dualread (identity schema " +
                     std::to_string(kSchemaVersion) + ") does not know: use a newer dualread");
  for (int64_t v = current + 1; v <= kSchemaVersion; ++v) db_->exec(kIdentityMigrations[v - 1]);
  if (current == 0) {
    // One id space for the hub's women: start above the ids the archive already gave.
    auto t = db_->prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'women'");
    if (t.step()) {
      auto m = db_->prepare("SELECT COALESCE(MAX(id), 0) FROM women");
      m.step();
      if (m.integer(0) > 0)
        db_->prepare("INSERT INTO sqlite_sequence(name, seq) VALUES('identity_women', ?)")
            .bind(1, m.integer(0))
            .step();
    }
  }
  db_->prepare("INSERT OR REPLACE INTO identity_meta(key, value) VALUES('schema_version', ?)")
      .bind(1, std::to_string(std::max<int64_t>(current, kSchemaVersion)))
      .step();
  tx.commit();
}

IdentityStore::~IdentityStore() = default;

int IdentityStore::schemaVersion() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT value FROM identity_meta WHERE key = 'schema_version'");
  return st.step() ? std::stoi(st.text(0)) : 0;
}

void IdentityStore::write(const std::function<void(IdentityWriter&)>& fn) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  IdentityWriter w(*db_);
  fn(w);
  tx.commit();
}

std::optional<IdentityLinkRow> IdentityStore::link(const std::string& key) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT link_key, source, traits_json, woman_id, status, case_id, explanation, decided_by, "
      "decided_at FROM identity_links WHERE link_key = ?");
  st.bind(1, key);
  if (!st.step()) return std::nullopt;
  IdentityLinkRow l;
  l.link_key = st.text(0);
  l.source = st.text(1);
  l.traits_json = st.text(2);
  if (!st.isNull(3)) l.woman_id = st.integer(3);
  l.status = st.text(4);
  if (!st.isNull(5)) l.case_id = st.integer(5);
  l.explanation = st.text(6);
  l.decided_by = st.text(7);
  l.decided_at = st.text(8);
  return l;
}

std::optional<WomanIdentity> IdentityStore::woman(int64_t id) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare(std::string("SELECT ") + kWomanColumns + " FROM identity_women WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return womanFromRow(*db_, st);
}

std::vector<WomanIdentity> IdentityStore::candidates(const std::string& nir, const std::string& cim,
                                                     const std::string& ipp,
                                                     const std::optional<int64_t>& linked,
                                                     const std::string& birth_date,
                                                     const std::vector<std::string>& name_keys) {
  std::lock_guard lk(mu_);
  std::set<int64_t> ids;
  auto collect = [&](SqliteStmt& st) {
    while (st.step()) ids.insert(st.integer(0));
  };
  if (!nir.empty()) {
    auto st = db_->prepare("SELECT id FROM identity_women WHERE nir = ? AND nir <> ''");
    st.bind(1, nir);
    collect(st);
  }
  if (!cim.empty() && !ipp.empty()) {
    auto st = db_->prepare("SELECT woman_id FROM identity_ipps WHERE cim = ? AND ipp = ?");
    st.bind(1, cim).bind(2, ipp);
    collect(st);
  }
  if (linked) ids.insert(*linked);
  if (!birth_date.empty()) {
    auto st = db_->prepare("SELECT id FROM identity_women WHERE birth_date = ?");
    st.bind(1, birth_date);
    collect(st);
  }
  for (const auto& k : name_keys) {
    if (k.empty()) continue;
    auto st = db_->prepare("SELECT woman_id FROM identity_names WHERE name_key = ?");
    st.bind(1, k);
    collect(st);
  }
  std::vector<WomanIdentity> out;
  for (int64_t id : ids) {
    auto st =
        db_->prepare(std::string("SELECT ") + kWomanColumns + " FROM identity_women WHERE id = ?");
    st.bind(1, id);
    if (st.step()) out.push_back(womanFromRow(*db_, st));
  }
  return out;
}

std::vector<IdentityCaseRow> IdentityStore::cases(const std::string& status, int64_t limit,
                                                  int64_t offset) {
  std::lock_guard lk(mu_);
  std::string sql = std::string("SELECT ") + kCaseColumns + " FROM identity_cases";
  if (!status.empty()) sql += " WHERE status = ?";
  sql += " ORDER BY id DESC LIMIT ? OFFSET ?";
  auto st = db_->prepare(sql);
  int i = 1;
  if (!status.empty()) st.bind(i++, status);
  st.bind(i, limit).bind(i + 1, offset);
  std::vector<IdentityCaseRow> out;
  while (st.step()) out.push_back(caseFromRow(*db_, st));
  return out;
}

int64_t IdentityStore::countCases(const std::string& status) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(status.empty() ? "SELECT COUNT(*) FROM identity_cases"
                                        : "SELECT COUNT(*) FROM identity_cases WHERE status = ?");
  if (!status.empty()) st.bind(1, status);
  st.step();
  return st.integer(0);
}

std::optional<IdentityCaseRow> IdentityStore::caseById(int64_t id) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare(std::string("SELECT ") + kCaseColumns + " FROM identity_cases WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return caseFromRow(*db_, st);
}

std::vector<IdentityCaseRow> IdentityStore::openCasesFor(const std::vector<std::string>& studies,
                                                         const std::vector<std::string>& exams) {
  std::lock_guard lk(mu_);
  std::set<int64_t> ids;
  auto find = [&](const std::string& kind, const std::string& subject) {
    auto st = db_->prepare(
        "SELECT c.id FROM identity_case_subjects s JOIN identity_cases c ON c.id = s.case_id "
        "WHERE s.subject = ? AND s.kind = ? AND c.status = 'open'");
    st.bind(1, subject).bind(2, kind);
    while (st.step()) ids.insert(st.integer(0));
  };
  for (const auto& s : studies) find("study", s);
  for (const auto& e : exams) find("exam", e);
  std::vector<IdentityCaseRow> out;
  for (int64_t id : ids) {
    auto st =
        db_->prepare(std::string("SELECT ") + kCaseColumns + " FROM identity_cases WHERE id = ?");
    st.bind(1, id);
    if (st.step()) out.push_back(caseFromRow(*db_, st));
  }
  return out;
}

std::vector<int64_t> IdentityStore::openCasesWithCandidate(int64_t woman_id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT c.id FROM identity_cases c WHERE c.status = 'open' AND EXISTS (SELECT 1 FROM "
      "json_each(c.candidates_json) j WHERE j.value = ?) ORDER BY c.id");
  st.bind(1, woman_id);
  std::vector<int64_t> out;
  while (st.step()) out.push_back(st.integer(0));
  return out;
}

std::optional<IdentityCorrectionRow> IdentityStore::correction(int64_t id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kCorrectionColumns +
                         " FROM identity_corrections WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return correctionFromRow(st);
}

std::vector<IdentityCorrectionRow> IdentityStore::correctionsOf(int64_t woman_id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kCorrectionColumns +
                         " FROM identity_corrections WHERE woman_id = ? ORDER BY id DESC");
  st.bind(1, woman_id);
  std::vector<IdentityCorrectionRow> out;
  while (st.step()) out.push_back(correctionFromRow(st));
  return out;
}

std::optional<IdentityMergeRow> IdentityStore::merge(int64_t id) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare(std::string("SELECT ") + kMergeColumns + " FROM identity_merges WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return mergeFromRow(st);
}

std::vector<IdentityMergeRow> IdentityStore::mergesOf(int64_t woman_id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kMergeColumns +
                         " FROM identity_merges WHERE survivor_id = ?1 OR absorbed_id = ?1 "
                         "ORDER BY id DESC");
  st.bind(1, woman_id);
  std::vector<IdentityMergeRow> out;
  while (st.step()) out.push_back(mergeFromRow(st));
  return out;
}

}  // namespace dualread
