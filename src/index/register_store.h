#pragma once
// RegisterStore: the invited population (the register built from the health-insurance
// invitation files) in the index database — one row per woman keyed by her INS, with her
// identity traits, postal address and named doctors kept as JSON documents (the mapping to the
// domain's Woman is the services'), and one row per import. Own schema version
// (`register_meta`). An import is one IMMEDIATE transaction: a file is imported whole or not at
// all. Thread-safe: one connection behind a mutex. Methods throw IndexError on database failure.
//
// Tables: register_women(ins PK, screening_number, birth_name, first_names, used_name,
//   birth_date, invited_on, address_json, doctors_json, import_id, updated_at),
//   register_imports(id PK, file_name, rows, actor, imported_at).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/sqlite.h"

namespace dualread {

struct RegisterWomanRow {
  std::string ins;
  std::string screening_number;
  std::string birth_name;
  std::string first_names;
  std::string used_name;
  std::string birth_date;  // YYYY-MM-DD
  std::string invited_on;  // YYYY-MM-DD or empty
  std::string address_json = "{}";
  std::string doctors_json = "[]";
};

struct RegisterImportRow {
  int64_t id = 0;
  std::string file_name;
  int64_t rows = 0;
  int64_t added = 0;
  std::string actor;
  std::string imported_at;
};

class RegisterStore {
 public:
  // Opens the index database at `path`, creating the register tables if needed. Throws
  // IndexError.
  explicit RegisterStore(const std::string& path);
  ~RegisterStore();
  RegisterStore(const RegisterStore&) = delete;
  RegisterStore& operator=(const RegisterStore&) = delete;

  // Inserts or replaces every row in one transaction and records the import. `progress`
  // (may be empty) is called every 1,000 rows with the rows written. Returns the import row
  // (added = women new to the register).
  RegisterImportRow importRows(const std::vector<RegisterWomanRow>& rows,
                               const std::string& file_name, const std::string& actor,
                               const std::function<void(int64_t)>& progress = {});
  std::optional<RegisterWomanRow> find(const std::string& ins);
  // Women invited on a day in [from, to] (YYYY-MM-DD, inclusive; empty = unbounded).
  int64_t countInvited(const std::string& from, const std::string& to);
  int64_t count();
  std::vector<RegisterImportRow> imports();

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace dualread
