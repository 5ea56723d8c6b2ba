#pragma once
// Thin RAII wrapper over the SQLite C API: a connection and prepared statements. One
// SqliteDb is used by one thread at a time (callers lock or pool connections); errors throw
// IndexError with SQLite's message.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dualread {

class IndexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SqliteStmt {
 public:
  SqliteStmt(sqlite3* db, std::string_view sql);
  ~SqliteStmt();
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  SqliteStmt(SqliteStmt&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }

  // Binds by 1-based position. Empty optional binds NULL.
  SqliteStmt& bind(int i, std::string_view v);
  SqliteStmt& bind(int i, int64_t v);
  SqliteStmt& bindNull(int i);
  SqliteStmt& bindOpt(int i, const std::optional<std::string>& v);
  SqliteStmt& bindOpt(int i, const std::optional<int64_t>& v);
  // Returns true while a row is available; false when done. Throws on error.
  bool step();
  void reset();
  std::string text(int col) const;
  int64_t integer(int col) const;
  bool isNull(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
};

class SqliteDb {
 public:
  // Opens (creating if needed) with WAL, foreign keys and a busy timeout.
  SqliteDb(const std::string& path, bool read_only);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  void exec(std::string_view sql);
  SqliteStmt prepare(std::string_view sql) { return SqliteStmt(db_, sql); }
  int64_t lastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// Begins IMMEDIATE on construction; rolls back on destruction unless commit() was called.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDb& db);
  ~SqliteTransaction();
  void commit();

 private:
  SqliteDb& db_;
  bool done_ = false;
};

}  // namespace dualread
