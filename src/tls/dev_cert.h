#pragma once
// DevCertificates: a local test certificate authority for `dualread admin dev-cert` — a CA
// key and certificate, a server certificate for the given host names and addresses, and
// optional client certificates (gateways, DICOM senders), all made with OpenSSL 3 in process.
// For tests, demos and pilots on a closed network only: a production hub uses certificates
// from the region's PKI. Keys are written 0600, every file atomically. Not thread-safe (one
// call at a time per output directory).

#include <filesystem>
#include <string>
#include <vector>

namespace dualread::tls {

struct DevCertOptions {
  std::filesystem::path out;
  std::vector<std::string> hosts = {"localhost", "127.0.0.1"};  // DNS names or IP addresses
  std::vector<std::string> clients;                             // one client certificate each
  int days = 825;                                               // validity of issued certificates
};

struct DevCertResult {
  bool reused_ca = false;  // ca.pem + ca-key.pem were already in `out` and signed the rest
  std::vector<std::filesystem::path> written;
};

// Writes into options.out: ca.pem, ca-key.pem (kept if both exist: new certificates are then
// signed by the same CA), server.pem, server-key.pem and, per client NAME, client-NAME.pem and
// client-NAME-key.pem. Throws std::runtime_error with a sentence on bad names or I/O errors.
DevCertResult writeDevCertificates(const DevCertOptions& options);

}  // namespace dualread::tls
