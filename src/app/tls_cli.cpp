#include "app/tls_cli.h"

#include <iostream>
#include <string>
#include <vector>

namespace dualread {

void addHubTlsOptions(CLI::App& hub, TlsConfig& tls) {
  hub.add_option("--tls-cert", tls.cert,
                 "PEM certificate of the hub: turns HTTPS and DICOM TLS on");
  hub.add_option("--tls-key", tls.key, "PEM private key of --tls-cert (unencrypted, mode 600)");
  hub.add_option("--tls-ca", tls.ca, "PEM CAs trusted for client certificates and remote AEs");
  hub.add_option("--tls-min-version", tls.min_version, "lowest TLS version accepted: 1.2 or 1.3");
  hub.add_option("--tls-client-cert", tls.client_cert,
                 "client certificates: none, optional (verified if shown) or require");
  hub.add_option("--https-port", tls.https_port, "HTTPS port (0 = no HTTPS; default 8443)");
  hub.add_option("--http-mode", tls.http,
                 "with TLS, the plain HTTP port: serve, redirect (to HTTPS) or off");
  hub.add_option("--dicom-tls-port", tls.dicom_port, "DICOM TLS port (0 = none; default 2762)");
  hub.add_option("--dicom-plain", tls.dicom_plain,
                 "with TLS, keep the plain DICOM port open too (true or false)");
}

std::string hubReadyWithTls(const HubConfig& config, uint16_t http_port, uint16_t https_port) {
  const TlsConfig& t = config.tls;
  std::vector<std::string> web, dicom;
  if (https_port)
    web.push_back("https://" + config.bind_address + ":" + std::to_string(https_port));
  if (http_port)
    web.push_back("http://" + config.bind_address + ":" + std::to_string(http_port) +
                  (t.http == "redirect" ? " (redirects to HTTPS)" : ""));
  if (t.dicom_port) dicom.push_back("TLS port " + std::to_string(t.dicom_port));
  if (t.dicom_plain) dicom.push_back("plain port " + std::to_string(config.dicom_port));
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " and ") + s;
    return out;
  };
  return "Hub ready: web and DICOMweb on " + join(web) + ", DICOM AE " + config.aet + " on " +
         join(dicom);
}

CLI::App* addDevCertCommand(CLI::App& admin, tls::DevCertOptions& o) {
  auto* cmd = admin.add_subcommand(
      "dev-cert",
      "make a local test certificate authority, a server certificate and client "
      "certificates (tests and demos only)");
  cmd->add_option("--out", o.out, "directory for the PEM files")->required();
  cmd->add_option("--hosts", o.hosts, "server names and addresses (default localhost,127.0.0.1)")
      ->delimiter(',');
  cmd->add_option("--client", o.clients, "a client certificate with this name (repeatable)");
  cmd->add_option("--days", o.days, "validity of the server and client certificates (days)");
  return cmd;
}

int runDevCertCommand(const tls::DevCertOptions& o) {
  const tls::DevCertResult r = tls::writeDevCertificates(o);
  if (r.reused_ca)
    std::cout << "Using the existing test CA in " << o.out.string() << " (ca.pem, ca-key.pem)\n";
  for (const auto& f : r.written) std::cout << "wrote " << f.string() << "\n";
  std::error_code ec;
  const std::string dir = std::filesystem::absolute(o.out, ec).lexically_normal().string();
  std::cout << "\nTest certificates only: never use this CA for a production hub.\n"
            << "Hub configuration:\n"
            << "  [tls]\n"
            << "  cert = \"" << dir << "/server.pem\"\n"
            << "  key = \"" << dir << "/server-key.pem\"\n"
            << "  ca = \"" << dir << "/ca.pem\"\n"
            << "Clients trust " << dir << "/ca.pem (curl --cacert, storescu +tls ... +cf).\n";
  return 0;
}

}  // namespace dualread
