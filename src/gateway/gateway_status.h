#pragma once
// The gateway's status as one JSON document — queue, link rate, errors, last acknowledgement,
// recent exams with their state and reason, the technicians' recent decisions — read from
// GatewayQueue, so that `dualread gateway status` (another process) and the status page say the
// same thing. Also its rendering as text (command line) and as small HTML pages in French (the
// summary, and one exam with its refused images, its journal and, when offered, the retry and
// dismiss forms). Stateless; thread-safe.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "index/gateway_queue.h"

namespace dualread {

nlohmann::json gatewayStatus(GatewayQueue& queue, int recent_exams = 20);
std::string gatewayStatusText(const nlohmann::json& status);
std::string gatewayStatusHtml(const nlohmann::json& status);

// One exam: its state and reason, its images in error, its journal; nullopt when unknown.
std::optional<nlohmann::json> gatewayExamDetail(GatewayQueue& queue, const std::string& study_uid);

// What the exam page offers: with a non-empty `form_token` the retry/dismiss forms (carrying it),
// otherwise a sentence saying where the actions are available. `notice` (a success) or `error`
// (a refusal) is shown above, both in French.
struct ExamPageOptions {
  std::string form_token;
  std::string notice;
  std::string error;
};
std::string gatewayExamHtml(const nlohmann::json& detail, const ExamPageOptions& options);

}  // namespace dualread
