#pragma once
// FollowUpStore: the follow-up of positives in the index database — one row per positive exam
// with what came back (deferred work-ups, biopsy, pathology, treatment, reminders) as a JSON
// document (the mapping to the domain's PositiveCase is the services') and the columns the
// lists need. Own schema version (`follow_up_meta`). Thread-safe: one connection behind a
// mutex. Methods throw IndexError on database failure.
//
// Table: follow_up_cases(exam_id PK, woman_id, origin, positive_on, status, case_json,
//   updated_at).

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/sqlite.h"

namespace dualread {

struct FollowUpCaseRow {
  std::string exam_id;
  std::string woman_id;
  std::string origin;       // "l1", "l2", "l3"
  std::string positive_on;  // YYYY-MM-DD
  std::string status;       // toCode(FollowUpStatus) when last saved
  std::string case_json = "{}";
  std::string updated_at;
};

class FollowUpStore {
 public:
  explicit FollowUpStore(const std::string& path);
  ~FollowUpStore();
  FollowUpStore(const FollowUpStore&) = delete;
  FollowUpStore& operator=(const FollowUpStore&) = delete;

  void put(const FollowUpCaseRow& row);
  std::optional<FollowUpCaseRow> find(const std::string& exam_id);
  std::vector<FollowUpCaseRow> all();

 private:
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace dualread
