#pragma once
// FollowUpService: the follow-up of positives (SCREENING.md §3 step 14) — what came back for an
// L1-positive exam or a recall after L2/L3 (deferred work-up, biopsy, pathology, treatment), the
// reminders due when nothing came back (ProgrammeRules delays) and the close of the file once
// the case is concluded (the exam's "follow-up concluded" transition). Cases are stored in
// FollowUpStore; the exam's state stays the workflow's. Owned by app/Hub. Thread-safe: updates
// are serialised by a mutex.

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/follow_up.h"
#include "index/follow_up_store.h"
#include "services/workflow_service.h"

namespace dualread {

class AuditService;

class FollowUpService {
 public:
  using Clock = WorkflowService::Clock;
  FollowUpService(const HubConfig& config, WorkflowService& workflow, FollowUpStore& store,
                  AuditService* audit, Clock clock = {});

  // POST body: any of {"bdd": {"date", "result": normal|benign|probably_benign|biopsy_needed,
  // "comment"}, "biopsy": {"date", "kind"}, "pathology": {"date", "result":
  // benign|in_situ|invasive, "grade", "size_mm", "comment"}, "treatment": {"date",
  // "description"}}. A BDD is appended; the others replace. kConflict when the exam is not
  // followed (not L1 positive / positive follow-up); kInvalid with field errors for bad input or
  // an incoherent case. When the case is then concluded the exam is closed.
  WorkflowResult record(const std::string& exam_id, const nlohmann::json& body,
                        const AuditActor& by);
  // The case (created empty for a followed exam with nothing recorded yet).
  WorkflowResult get(const std::string& exam_id);
  // Every followed case whose reminder is due today.
  WorkflowResult reminders();
  // Every positive case (followed or concluded), for indicators.
  std::vector<PositiveCase> cases();

 private:
  std::optional<PositiveCase> caseFor(const ExamRecord& r);
  nlohmann::json caseJson(const PositiveCase& c, Date today) const;

  const HubConfig& config_;
  WorkflowService& workflow_;
  FollowUpStore& store_;
  AuditService* audit_;
  Clock clock_;
  std::mutex mu_;
};

nlohmann::json positiveCaseToJson(const PositiveCase& c);
std::optional<PositiveCase> positiveCaseFromJson(const nlohmann::json& j);

}  // namespace dualread
