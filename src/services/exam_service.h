#pragma once
// ExamService: read side of screening exams for the REST API — one exam with its woman, views,
// what is missing and its problems; exams by status; a woman's exams across rounds (priors).
// Returns JSON documents (the API's contract, see docs/openapi.yaml). Thread-safe.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "index/archive_index.h"

namespace dualread {

class ExamService {
 public:
  explicit ExamService(ArchiveIndex& index) : index_(index) {}

  // nullopt when no such study.
  std::optional<nlohmann::json> exam(const std::string& study_uid);
  // `status` empty = all. Returns {"total", "items": [...]}.
  nlohmann::json listExams(const std::string& status, int64_t limit, int64_t offset);
  // nullopt when no such woman.
  std::optional<nlohmann::json> womanExams(int64_t woman_id);
  nlohmann::json quarantine(int64_t limit, int64_t offset);

 private:
  nlohmann::json summary(const StudyRow& row);
  ArchiveIndex& index_;
};

}  // namespace dualread
