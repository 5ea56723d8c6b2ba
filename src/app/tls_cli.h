#pragma once
// The TLS parts of the command line: `dualread hub` options that set [tls] (they win over the
// configuration file), and `dualread admin dev-cert`, the local test certificate authority.
// Called from main() only; not thread-safe.

#include <CLI/CLI.hpp>

#include "services/hub_config.h"
#include "tls/dev_cert.h"

namespace dualread {

// --tls-cert, --tls-key, --tls-ca, --tls-min-version, --tls-client-cert, --https-port,
// --http-mode, --dicom-tls-port, --dicom-plain.
void addHubTlsOptions(CLI::App& hub, TlsConfig& tls);

// The "Hub ready" log line when [tls] is on: which doors are open, on which ports.
std::string hubReadyWithTls(const HubConfig& config, uint16_t http_port, uint16_t https_port);

// `admin dev-cert --out DIR [--hosts a,b] [--client NAME ...] [--days N]`.
CLI::App* addDevCertCommand(CLI::App& admin, tls::DevCertOptions& options);
// Writes the certificates and prints what was written and how to use it; exit code.
int runDevCertCommand(const tls::DevCertOptions& options);

}  // namespace dualread
