#include "index/follow_up_store.h"

#include "index/store_schema.h"

namespace dualread {

namespace {
const char* const kFollowUpMigrations[] = {
    R"sql(
CREATE TABLE follow_up_cases(
  exam_id TEXT PRIMARY KEY,
  woman_id TEXT NOT NULL,
  origin TEXT NOT NULL,
  positive_on TEXT NOT NULL,
  status TEXT NOT NULL,
  case_json TEXT NOT NULL,
  updated_at TEXT NOT NULL);
)sql",
};
const char* kColumns = "exam_id, woman_id, origin, positive_on, status, case_json, updated_at";
FollowUpCaseRow rowFrom(const SqliteStmt& st) {
  return {st.text(0), st.text(1), st.text(2), st.text(3), st.text(4), st.text(5), st.text(6)};
}
}  // namespace

FollowUpStore::FollowUpStore(const std::string& path) {
  db_ = std::make_unique<SqliteDb>(path, false);
  applyStoreMigrations(*db_, "follow_up", kFollowUpMigrations, std::size(kFollowUpMigrations),
                       path);
}

FollowUpStore::~FollowUpStore() = default;

void FollowUpStore::put(const FollowUpCaseRow& r) {
  std::lock_guard lk(mu_);
  db_->prepare(std::string("INSERT OR REPLACE INTO follow_up_cases(") + kColumns +
               ") VALUES(?,?,?,?,?,?,?)")
      .bind(1, r.exam_id)
      .bind(2, r.woman_id)
      .bind(3, r.origin)
      .bind(4, r.positive_on)
      .bind(5, r.status)
      .bind(6, r.case_json)
      .bind(7, storeNowIso())
      .step();
}

std::optional<FollowUpCaseRow> FollowUpStore::find(const std::string& exam_id) {
  std::lock_guard lk(mu_);
  auto st =
      db_->prepare(std::string("SELECT ") + kColumns + " FROM follow_up_cases WHERE exam_id = ?");
  st.bind(1, exam_id);
  if (!st.step()) return std::nullopt;
  return rowFrom(st);
}

std::vector<FollowUpCaseRow> FollowUpStore::all() {
  std::lock_guard lk(mu_);
  auto st = db_->prepare(std::string("SELECT ") + kColumns +
                         " FROM follow_up_cases ORDER BY positive_on, exam_id");
  std::vector<FollowUpCaseRow> out;
  while (st.step()) out.push_back(rowFrom(st));
  return out;
}

}  // namespace dualread
