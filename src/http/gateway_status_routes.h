#pragma once
// The gateway's own small HTTP site: GET / (status page in French, refreshes itself),
// GET /status.json (the same as `dualread gateway status --json`), GET /exams/{study} (one exam,
// its refused images and journal) and the technician's two decisions on an exam in error,
// POST /exams/{study}/retry and POST /exams/{study}/dismiss (an HTML form: motif, par).
//
// The page has no accounts; the decisions are guarded so that only a person at the gateway
// machine can take them: the request must come from a loopback address, name a loopback host
// (Host: 127.0.0.1 / localhost / [::1], so a DNS-rebound name is refused), come from the page
// itself when the browser says where it comes from (Origin, Sec-Fetch-Site), and carry the form
// token the page embeds (random per run, compared in constant time), so another web site open
// in the same browser cannot submit the form. Every decision is journalled by
// gateway/exam_actions. The handlers hold a reference to the queue, which is thread-safe.

#include "http/router.h"
#include "index/gateway_queue.h"

namespace dualread::http {

void addGatewayStatusRoutes(Router& router, GatewayQueue& queue);

// Empty when `req` may carry a retry/dismiss decision (loopback peer and host, same-origin);
// otherwise why not, in French for the page. The form token is checked by the handler.
std::string statusPageDecisionRefusal(const HttpRequest& req);

}  // namespace dualread::http
