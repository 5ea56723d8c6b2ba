#pragma once
// HttpServer: the hub's HTTP door (Boost.Beast) — /healthz, DICOMweb under /dicomweb
// (QIDO-RS, WADO-RS, STOW-RS per PS3.18) and the REST API under /api. Owned by app/Hub;
// start() binds and serves on its own threads, stop() closes and joins. Thread-safe.

#include <cstdint>
#include <functional>
#include <memory>

#include "services/hub_services.h"

namespace dualread {
namespace http {
class Router;
}

class HttpServer {
 public:
  explicit HttpServer(HubServices& services);
  // A server for other routes (the gateway's status page): `listen` gives bind_address,
  // http_port, http_threads and max_request_bytes; `add_routes` fills the router once.
  HttpServer(HubConfig listen, const std::function<void(http::Router&)>& add_routes);
  ~HttpServer();
  // Binds config.bind_address:config.http_port (0 = any free port). Throws std::runtime_error
  // with a sentence when the port cannot be bound.
  void start();
  void stop();
  uint16_t port() const;
  // The HTTPS port ([tls]), 0 when HTTPS is off. port() is then 0 when [tls] http = "off".
  uint16_t tlsPort() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dualread
