#pragma once
// The gateway's status as one JSON document — queue, link rate, errors, last acknowledgement,
// recent exams with their state and reason — read from GatewayQueue, so that
// `dualread gateway status` (another process) and the status page say the same thing. Also
// its rendering as text (command line) and as a small HTML page in French. Stateless;
// thread-safe.

#include <nlohmann/json.hpp>
#include <string>

#include "index/gateway_queue.h"

namespace dualread {

nlohmann::json gatewayStatus(GatewayQueue& queue, int recent_exams = 20);
std::string gatewayStatusText(const nlohmann::json& status);
std::string gatewayStatusHtml(const nlohmann::json& status);

}  // namespace dualread
