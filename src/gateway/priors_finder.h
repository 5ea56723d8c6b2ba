#pragma once
// PriorsFinder: when a new exam has arrived at the gateway, looks in the imaging centre's PACS
// for the woman's earlier mammography studies (no age limit), asks the hub (QIDO-RS) which of
// them it already holds, and has the PACS send the others to the gateway (C-MOVE to the
// gateway's own AE); they are queued, forwarded and announced as priors. A CIM that changes
// its PACS thus never loses priors the hub did not have. Owned by app/Gateway; called from the
// forwarder's steward thread only.

#include <string>

#include "gateway/gateway_config.h"
#include "http/hub_client.h"
#include "index/gateway_queue.h"

namespace dualread {

class PriorsFinder {
 public:
  PriorsFinder(const GatewayConfig& config, GatewayQueue& queue, HubClient& hub);

  // Never throws: failures are logged in words and the exam is marked as looked at.
  void onNewExam(const QueuedExam& exam);

 private:
  // True when the hub answers that it holds the study; throws HubLinkError / runtime_error.
  bool hubHas(const std::string& study_uid);

  const GatewayConfig& config_;
  GatewayQueue& queue_;
  HubClient& hub_;
};

}  // namespace dualread
