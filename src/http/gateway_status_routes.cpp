#include "http/gateway_status_routes.h"

#include "gateway/gateway_status.h"
#include "http/handler_util.h"

namespace dualread::http {

void addGatewayStatusRoutes(Router& router, GatewayQueue& queue) {
  router.add("GET", "/", "the gateway's status page", [&queue](HttpRequest&, ResponseWriter& w) {
    w.send(200, {{"Content-Type", "text/html; charset=utf-8"}, {"Cache-Control", "no-store"}},
           gatewayStatusHtml(gatewayStatus(queue)));
  });
  router.add(
      "GET", "/status.json", "the gateway's status as JSON",
      [&queue](HttpRequest&, ResponseWriter& w) {
        sendJson(w, 200, gatewayStatus(queue), "application/json", {{"Cache-Control", "no-store"}});
      });
}

}  // namespace dualread::http
