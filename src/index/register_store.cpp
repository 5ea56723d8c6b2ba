#include "index/register_store.h"

#include "index/store_schema.h"

namespace dualread {

namespace {
const char* const kRegisterMigrations[] = {
    R"sql(
CREATE TABLE register_imports(
  id INTEGER PRIMARY KEY,
  file_name TEXT NOT NULL,
  rows INTEGER NOT NULL,
  added INTEGER NOT NULL,
  actor TEXT NOT NULL,
  imported_at TEXT NOT NULL);
CREATE TABLE register_women(
  ins TEXT PRIMARY KEY,
  screening_number TEXT NOT NULL DEFAULT '',
  birth_name TEXT NOT NULL,
  first_names TEXT NOT NULL,
  used_name TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL,
  invited_on TEXT NOT NULL DEFAULT '',
  address_json TEXT NOT NULL,
  doctors_json TEXT NOT NULL,
  import_id INTEGER NOT NULL REFERENCES register_imports(id),
  updated_at TEXT NOT NULL);
CREATE INDEX register_women_invited ON register_women(invited_on);
)sql",
};
}  // namespace

RegisterStore::RegisterStore(const std::string& path) {
  db_ = std::make_unique<SqliteDb>(path, false);
  applyStoreMigrations(*db_, "register", kRegisterMigrations, std::size(kRegisterMigrations), path);
}

RegisterStore::~RegisterStore() = default;

RegisterImportRow RegisterStore::importRows(const std::vector<RegisterWomanRow>& rows,
                                            const std::string& file_name, const std::string& actor,
                                            const std::function<void(int64_t)>& progress) {
  std::lock_guard lk(mu_);
  SqliteTransaction tx(*db_);
  RegisterImportRow imp;
  imp.file_name = file_name;
  imp.rows = static_cast<int64_t>(rows.size());
  imp.actor = actor;
  imp.imported_at = storeNowIso();
  db_->prepare(
         "INSERT INTO register_imports(file_name, rows, added, actor, imported_at) "
         "VALUES(?,?,0,?,?)")
      .bind(1, file_name)
      .bind(2, imp.rows)
      .bind(3, actor)
      .bind(4, imp.imported_at)
      .step();
  imp.id = db_->lastInsertId();
  auto exists = db_->prepare("SELECT 1 FROM register_women WHERE ins = ?");
  auto put = db_->prepare(
      "INSERT OR REPLACE INTO register_women(ins, screening_number, birth_name, first_names, "
      "used_name, birth_date, invited_on, address_json, doctors_json, import_id, updated_at) "
      "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  int64_t done = 0;
  for (const auto& r : rows) {
    exists.reset();
    exists.bind(1, r.ins);
    if (!exists.step()) ++imp.added;
    exists.reset();
    put.reset();
    put.bind(1, r.ins)
        .bind(2, r.screening_number)
        .bind(3, r.birth_name)
        .bind(4, r.first_names)
        .bind(5, r.used_name)
        .bind(6, r.birth_date)
        .bind(7, r.invited_on)
        .bind(8, r.address_json)
        .bind(9, r.doctors_json)
        .bind(10, imp.id)
        .bind(11, imp.imported_at);
    put.step();
    if (progress && ++done % 1000 == 0) progress(done);
  }
  db_->prepare("UPDATE register_imports SET added = ? WHERE id = ?")
      .bind(1, imp.added)
      .bind(2, imp.id)
      .step();
  tx.commit();
  return imp;
}

std::optional<RegisterWomanRow> RegisterStore::find(const std::string& ins) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT ins, screening_number, birth_name, first_names, used_name, birth_date, "
      "invited_on, address_json, doctors_json FROM register_women WHERE ins = ?");
  st.bind(1, ins);
  if (!st.step()) return std::nullopt;
  return RegisterWomanRow{st.text(0), st.text(1), st.text(2), st.text(3), st.text(4),
                          st.text(5), st.text(6), st.text(7), st.text(8)};
}

int64_t RegisterStore::countInvited(const std::string& from, const std::string& to) {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT COUNT(*) FROM register_women WHERE invited_on <> '' AND (? = '' OR invited_on >= ?) "
      "AND (? = '' OR invited_on <= ?)");
  st.bind(1, from).bind(2, from).bind(3, to).bind(4, to);
  st.step();
  return st.integer(0);
}

int64_t RegisterStore::count() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare("SELECT COUNT(*) FROM register_women");
  st.step();
  return st.integer(0);
}

std::vector<RegisterImportRow> RegisterStore::imports() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(
      "SELECT id, file_name, rows, added, actor, imported_at FROM register_imports ORDER BY id "
      "DESC");
  std::vector<RegisterImportRow> out;
  while (st.step())
    out.push_back(
        {st.integer(0), st.text(1), st.integer(2), st.integer(3), st.text(4), st.text(5)});
  return out;
}

}  // namespace dualread
