#pragma once
// TLS material checks: the hub's certificate, private key and trusted CAs are read with OpenSSL
// before any port opens, so that a wrong file or setting is one sentence at start (and exit
// code 1), never a crash nor a handshake that fails later for every client. Also the small
// certificate helpers both doors use (common name of a peer certificate, protocol floor).
// Free functions, no state; thread-safe.

#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <vector>

#include "services/hub_config.h"

namespace dualread::tls {

// What the hub logs at start about its own certificate.
struct CertificateSummary {
  std::string subject_cn;          // may be empty
  std::vector<std::string> names;  // subjectAltName entries, "DNS:x" / "IP:y"
  std::string not_after;           // "2027-02-25 08:50 UTC"
  int64_t days_left = 0;
};

// Checks [tls] and every remote AE with tls = true. Returns a summary of the hub certificate
// (empty when TLS is off). Throws std::runtime_error with a sentence naming the file and the
// fix: missing or unreadable file, not PEM, encrypted key, key of another certificate, expired
// or not yet valid certificate, empty CA file, unknown setting.
CertificateSummary checkTlsConfig(const HubConfig& config);

// OpenSSL protocol constant for "1.2" / "1.3"; throws std::runtime_error otherwise.
int minProtocolVersion(const std::string& version);

// TLS 1.2 suites offered (TLS 1.3 uses OpenSSL's, all AEAD): ECDHE with AES-GCM or
// ChaCha20-Poly1305 only (Mozilla "intermediate", without finite-field DHE).
extern const char* const kTls12CipherList;

// The subject common name of a certificate, UTF-8; empty when it has none.
std::string commonName(X509* cert);
// Same, from a DER-encoded certificate (as DCMTK hands the peer certificate over).
std::string commonNameOfDer(const unsigned char* der, size_t length);

}  // namespace dualread::tls
