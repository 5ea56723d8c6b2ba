#include "index/sqlite.h"

namespace dualread {

SqliteStmt::SqliteStmt(sqlite3* db, std::string_view sql) : db_(db) {
  if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &st_, nullptr) !=
      SQLITE_OK) {
    throw IndexError(std::string("index query could not be prepared: ") + sqlite3_errmsg(db) +
                     " in: " + std::string(sql.substr(0, 120)));
  }
}

SqliteStmt::~SqliteStmt() {
  if (st_) sqlite3_finalize(st_);
}

SqliteStmt& SqliteStmt::bind(int i, std::string_view v) {
  sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
SqliteStmt& SqliteStmt::bind(int i, int64_t v) {
  sqlite3_bind_int64(st_, i, v);
  return *this;
}
SqliteStmt& SqliteStmt::bindNull(int i) {
  sqlite3_bind_null(st_, i);
  return *this;
}
SqliteStmt& SqliteStmt::bindOpt(int i, const std::optional<std::string>& v) {
  return v ? bind(i, *v) : bindNull(i);
}
SqliteStmt& SqliteStmt::bindOpt(int i, const std::optional<int64_t>& v) {
  return v ? bind(i, *v) : bindNull(i);
}

bool SqliteStmt::step() {
  int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw IndexError(std::string("index error: ") + sqlite3_errmsg(db_));
}

void SqliteStmt::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

std::string SqliteStmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(st_, col);
  return t ? std::string(reinterpret_cast<const char*>(t),
                         static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
           : std::string();
}
int64_t SqliteStmt::integer(int col) const { return sqlite3_column_int64(st_, col); }
bool SqliteStmt::isNull(int col) const { return sqlite3_column_type(st_, col) == SQLITE_NULL; }

SqliteDb::SqliteDb(const std::string& path, bool read_only) {
  int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw IndexError("cannot open the index " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 10000);
  if (!read_only) {
    exec("PRAGMA journal_mode=WAL");
    // FULL: a transaction reported committed survives power loss, not only a process crash.
    exec("PRAGMA synchronous=FULL");
  }
  exec("PRAGMA foreign_keys=ON");
  exec("PRAGMA cache_size=-65536");
  exec("PRAGMA temp_store=MEMORY");
}

SqliteDb::~SqliteDb() {
  if (db_) sqlite3_close_v2(db_);
}

void SqliteDb::exec(std::string_view sql) {
  char* err = nullptr;
  std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw IndexError("index error: " + msg);
  }
}

SqliteTransaction::SqliteTransaction(SqliteDb& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
SqliteTransaction::~SqliteTransaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
    }
  }
}
void SqliteTransaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace dualread
