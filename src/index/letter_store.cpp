#include "index/letter_store.h"

#include "index/store_schema.h"

namespace dualread {

namespace {
const char* const kLetterMigrations[] = {
    R"sql(
CREATE TABLE letters_runs(
  id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  letters INTEGER NOT NULL,
  refused INTEGER NOT NULL,
  pages INTEGER NOT NULL,
  combined_file TEXT NOT NULL,
  combined_sha256 TEXT NOT NULL,
  summary_json TEXT NOT NULL);
CREATE TABLE letters(
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES letters_runs(id),
  dedupe_key TEXT NOT NULL UNIQUE,
  exam_id TEXT NOT NULL,
  woman_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL,
  file TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  pages INTEGER NOT NULL,
  access_code_sha256 TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE INDEX letters_exam ON letters(exam_id);
CREATE INDEX letters_run ON letters(run_id);
)sql",
    // The portal lists one woman's letters.
    R"sql(
CREATE INDEX letters_woman ON letters(woman_id, recipient);
)sql",
};

const char* kLetterColumns =
    "id, run_id, dedupe_key, exam_id, woman_id, kind, recipient, file, sha256, pages, "
    "access_code_sha256, created_at";
const char* kRunColumns =
    "id, created_at, actor, letters, refused, pages, combined_file, combined_sha256, summary_json";

LetterRow letterFrom(const SqliteStmt& st) {
  return {st.text(0), st.text(1), st.text(2), st.text(3),    st.text(4),  st.text(5),
          st.text(6), st.text(7), st.text(8), st.integer(9), st.text(10), st.text(11)};
}
PrintRunRow runFrom(const SqliteStmt& st) {
  return {st.text(0),    st.text(1), st.text(2), st.integer(3), st.integer(4),
          st.integer(5), st.text(6), st.text(7), st.text(8)};
}
}  // namespace

LetterStore::LetterStore(const std::string& path) {
  db_ = std::make_unique<SqliteDb>(path, false);
  applyStoreMigrations(*db_, "letters", kLetterMigrations, std::size(kLetterMigrations), path);
}

LetterStore::~LetterStore() = default;

void LetterStore::recordRun(const PrintRunRow& r, const std::vector<LetterRow>& letters) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  db_->prepare(std::string("INSERT INTO letters_runs(") + kRunColumns +
               ") VALUES(?,?,?,?,?,?,?,?,?)")
      .bind(1, r.id)
      .bind(2, r.created_at)
      .bind(3, r.actor)
      .bind(4, r.letters)
      .bind(5, r.refused)
      .bind(6, r.pages)
      .bind(7, r.combined_file)
      .bind(8, r.combined_sha256)
      .bind(9, r.summary_json)
      .step();
  auto st = db_->prepare(std::string("INSERT INTO letters(") + kLetterColumns +
                         ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  for (const auto& l : letters) {
    st.reset();
    st.bind(1, l.id)
        .bind(2, l.run_id)
        .bind(3, l.dedupe_key)
        .bind(4, l.exam_id)
        .bind(5, l.woman_id)
        .bind(6, l.kind)
        .bind(7, l.recipient)
        .bind(8, l.file)
        .bind(9, l.sha256)
        .bind(10, l.pages)
        .bind(11, l.access_code_sha256)
        .bind(12, l.created_at);
    st.step();
  }
  tx.commit();
}

bool LetterStore::hasDedupeKey(const std::string& key) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT 1 FROM letters WHERE dedupe_key = ?");
  st.bind(1, key);
  return st.step();
}

std::optional<LetterRow> LetterStore::letter(const std::string& id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kLetterColumns + " FROM letters WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return letterFrom(st);
}

std::vector<LetterRow> LetterStore::letters(const std::string& run_id, const std::string& exam_id,
                                            int64_t limit) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kLetterColumns +
                         " FROM letters WHERE (? = '' OR run_id = ?) AND (? = '' OR exam_id = ?) "
                         "ORDER BY rowid LIMIT ?");
  st.bind(1, run_id).bind(2, run_id).bind(3, exam_id).bind(4, exam_id).bind(5, limit);
  std::vector<LetterRow> out;
  while (st.step()) out.push_back(letterFrom(st));
  return out;
}

std::vector<LetterRow> LetterStore::lettersTo(const std::string& woman_id,
                                              const std::string& recipient, int64_t limit) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kLetterColumns +
                         " FROM letters WHERE woman_id = ? AND recipient = ? "
                         "ORDER BY created_at DESC, rowid DESC LIMIT ?");
  st.bind(1, woman_id).bind(2, recipient).bind(3, limit);
  std::vector<LetterRow> out;
  while (st.step()) out.push_back(letterFrom(st));
  return out;
}

std::optional<PrintRunRow> LetterStore::run(const std::string& id) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kRunColumns + " FROM letters_runs WHERE id = ?");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return runFrom(st);
}

std::vector<PrintRunRow> LetterStore::runs(int64_t limit) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kRunColumns +
                         " FROM letters_runs ORDER BY created_at DESC, id DESC LIMIT ?");
  st.bind(1, limit);
  std::vector<PrintRunRow> out;
  while (st.step()) out.push_back(runFrom(st));
  return out;
}

int64_t LetterStore::countRunsWithPrefix(const std::string& prefix) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT COUNT(*) FROM letters_runs WHERE substr(id, 1, ?) = ?");
  st.bind(1, static_cast<int64_t>(prefix.size())).bind(2, prefix);
  st.step();
  return st.integer(0);
}

}  // namespace dualread
