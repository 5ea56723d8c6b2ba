#pragma once
// IndicatorService: the programme's indicators over the hub's exams (SCREENING.md §3 step 16),
// overall, per CIM, per L1 reader and per L2 reader — participation (exams / women invited in
// the period), L1-positive rate before/after BDI, CTI rate, discordance rate (L1-negative exams
// found positive at L2 / exams read at L2), L2 recall rate (recalled after L2, and L3 when held
// / exams read at L2), recall rate, cancers detected and detection rate, PPV, delays and
// overdue results — as JSON and CSV. Flattens exam records and follow-up cases into the
// domain's ExamOutcomeRecord and calls domain/indicators. Owned by app/Hub; thread-safe
// (stateless over thread-safe services).

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/indicators.h"
#include "services/follow_up_service.h"
#include "services/register_service.h"
#include "services/workflow_service.h"

namespace dualread {

struct IndicatorQuery {
  std::optional<Date> from;  // mammogram date (and invitation date for participation)
  std::optional<Date> to;
  std::optional<std::string> cim_id;
};

class IndicatorService {
 public:
  using Clock = WorkflowService::Clock;
  // `register_service` may be null (participation is then not computed).
  IndicatorService(const HubConfig& config, WorkflowService& workflow, FollowUpService& follow_up,
                   RegisterService* register_service, Clock clock = {});

  // Every exam (cancelled ones excepted) as an outcome record.
  std::vector<ExamOutcomeRecord> outcomes();
  nlohmann::json indicatorsJson(const IndicatorQuery& q);
  // One line per scope (overall, cim, l1_reader, l2_reader) and key; header first.
  std::string indicatorsCsv(const IndicatorQuery& q);

 private:
  const HubConfig& config_;
  WorkflowService& workflow_;
  FollowUpService& follow_up_;
  RegisterService* register_;
  Clock clock_;
};

}  // namespace dualread
