#pragma once
// The HTTPS server context: the hub's certificate and key, the protocol floor ([tls]
// min_version, never below TLS 1.2), AEAD-only cipher suites and, when [tls] client_cert is
// "optional" or "require", verification of client certificates against [tls] ca. Built once
// by HttpServer::start(); an asio ssl::context is then shared read-only by every connection.

#include <boost/asio/ssl/context.hpp>

#include "services/hub_config.h"

namespace dualread::http {

// Throws std::runtime_error with a sentence when a file cannot be used (run
// tls::checkTlsConfig first for the detailed diagnosis).
boost::asio::ssl::context makeHttpsContext(const TlsConfig& tls);

}  // namespace dualread::http
