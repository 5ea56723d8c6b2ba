#pragma once
// LetterStore: the letters the centre printed and their print runs, in the index database. Each
// letter row says which exam and woman it concerns, its kind, its recipient, the file holding
// its PDF (under DATA/letters/<run>/) with the file's SHA-256, and a `dedupe_key` that makes a
// letter unique (the same result is never printed twice for the same recipient). A run and all
// its letters are recorded in one transaction, after their files are durably written. Own
// schema version (`letters_meta`). Thread-safe: one connection behind a mutex. Methods throw
// IndexError on database failure.
//
// Tables: letters_runs(id PK, created_at, actor, letters, refused, pages, combined_file,
//   combined_sha256, summary_json), letters(id PK, run_id, dedupe_key UNIQUE, exam_id,
//   woman_id, kind, recipient, file, sha256, pages, access_code_sha256, created_at).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/sqlite.h"

namespace dualread {

struct LetterRow {
  std::string id;
  std::string run_id;
  std::string dedupe_key;
  std::string exam_id;
  std::string woman_id;
  std::string kind;
  std::string recipient;  // "woman", "doctor:<rpps>", "l1:<rpps>", "cim:<id>"
  std::string file;       // relative to the data directory
  std::string sha256;
  int64_t pages = 0;
  std::string access_code_sha256;  // letters to the woman: her portal code, hashed
  std::string created_at;
};

struct PrintRunRow {
  std::string id;
  std::string created_at;
  std::string actor;
  int64_t letters = 0;
  int64_t refused = 0;
  int64_t pages = 0;
  std::string combined_file;  // relative to the data directory; empty when nothing printed
  std::string combined_sha256;
  std::string summary_json = "{}";
};

class LetterStore {
 public:
  explicit LetterStore(const std::string& path);
  ~LetterStore();
  LetterStore(const LetterStore&) = delete;
  LetterStore& operator=(const LetterStore&) = delete;

  // Records the run and its letters in one transaction.
  void recordRun(const PrintRunRow& run, const std::vector<LetterRow>& letters);
  bool hasDedupeKey(const std::string& key);
  std::optional<LetterRow> letter(const std::string& id);
  // Letters of a run and/or an exam (empty = any), oldest first; at most `limit`.
  std::vector<LetterRow> letters(const std::string& run_id, const std::string& exam_id,
                                 int64_t limit = 10000);
  // Letters about woman `woman_id` addressed to `recipient` ("woman", "doctor:<rpps>"), newest
  // first; at most `limit`. What the portal shows her, or one of her doctors.
  std::vector<LetterRow> lettersTo(const std::string& woman_id, const std::string& recipient,
                                   int64_t limit = 1000);
  std::optional<PrintRunRow> run(const std::string& id);
  std::vector<PrintRunRow> runs(int64_t limit = 100);
  // Runs whose id starts with `prefix` (ids of one day).
  int64_t countRunsWithPrefix(const std::string& prefix);

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace dualread
