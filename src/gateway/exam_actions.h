#pragma once
// The technician's two decisions on an exam the hub refused (state error at the gateway):
// retry it (its refused images are sent again and the hub examines them afresh, e.g. once the
// conflict or the identity was settled at the CRCDC) or dismiss it (nothing more is sent; the
// hub's ledger records the dismissal with its reason; the files stay until the retention
// period after the hub recorded it). One place for both doors — `dualread gateway retry|dismiss`
// and the status page — so they check and word things alike; every decision is kept with its
// reason in the gateway's journal. Stateless; thread-safe (GatewayQueue is).

#include <string>

#include "index/gateway_queue.h"

namespace dualread {

struct ExamActionRequest {
  std::string study_uid;
  std::string reason;  // why, in the technician's words (required)
  std::string by;      // who (required)
  std::string source;  // where from: "command line", "status page (127.0.0.1)"
};

struct ExamActionResult {
  bool done = false;
  bool bad_input = false;  // the request itself is wrong (reason missing...): nothing looked up
  ExamActionStatus status = ExamActionStatus::kNoSuchExam;
  std::string message;     // English sentence (command line, log)
  std::string message_fr;  // the same in French (status page)
  int instances = 0;       // retry: images sent again
};

ExamActionResult retryGatewayExam(GatewayQueue& queue, const ExamActionRequest& request);
ExamActionResult dismissGatewayExam(GatewayQueue& queue, const ExamActionRequest& request);

}  // namespace dualread
