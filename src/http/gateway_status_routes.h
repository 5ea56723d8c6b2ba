#pragma once
// The gateway's own small HTTP site: GET / (status page in French, refreshes itself) and
// GET /status.json (the same as `dualread gateway status --json`). Read-only; the handlers hold
// a reference to the queue, which is thread-safe.

#include "http/router.h"
#include "index/gateway_queue.h"

namespace dualread::http {

void addGatewayStatusRoutes(Router& router, GatewayQueue& queue);

}  // namespace dualread::http
