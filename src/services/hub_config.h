#pragma once
// HubConfig: everything an operator sets for a hub, with the national defaults. Filled by
// app/config_loader from the TOML file and the command line; read-only once the hub runs.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "domain/dicom_peer.h"
#include "domain/exam_assessment.h"
#include "domain/programme_rules.h"
#include "domain/session_dealer.h"
#include "services/letters_config.h"
#include "services/access_settings.h"

namespace dualread {

// A DICOM peer the hub may send to (C-MOVE destination) or accept queries from.
struct RemoteAe {
  std::string aet;
  std::string host;
  uint16_t port = 104;
  bool tls = false;  // C-MOVE to this AE over DICOM TLS (trusting [tls] ca, showing [tls] cert)
};

// [tls]: HTTPS and DICOM TLS (docs/notes/tls.md). Everything off while `cert` is empty.
struct TlsConfig {
  std::filesystem::path cert;        // PEM: the hub's certificate (then any intermediates)
  std::filesystem::path key;         // PEM: its private key, unencrypted, readable by the hub only
  std::filesystem::path ca;          // PEM: CAs trusted for client certificates and remote AEs
  std::string min_version = "1.2";   // "1.2" or "1.3"
  std::string client_cert = "none";  // none | optional | require (the last two need `ca`)
  uint16_t https_port = 8443;        // 0 = no HTTPS
  std::string http = "serve";        // the plain HTTP port: serve | redirect (to HTTPS) | off
  uint16_t dicom_port = 2762;        // DICOM over TLS; 0 = none
  bool dicom_plain = true;           // keep the plain DICOM port open as well
  int64_t hsts_max_age = 31536000;   // Strict-Transport-Security over HTTPS; 0 = not sent
  bool enabled() const { return !cert.empty(); }
};

struct HubConfig {
  std::filesystem::path data_dir = "var/hub";
  std::string bind_address = "127.0.0.1";
  uint16_t http_port = 8080;
  uint16_t dicom_port = 11112;
  std::string aet = "DUALREAD";
  bool open = false;  // no credentials required (until access control lands)
  int http_threads = 8;
  int dicom_max_associations = 32;
  uint64_t max_object_bytes = 2ull << 30;       // one DICOM object
  uint64_t max_request_bytes = 8ull << 30;      // one STOW-RS request
  std::vector<std::string> accepted_sop_classes;  // empty = defaults
  std::vector<RemoteAe> remote_aes;
  CompletenessRule completeness;
  std::filesystem::path static_dir;  // web app files; empty = none
  ProgrammeRules programme;          // [programme]: national defaults unless overridden
  std::vector<L2Reader> l2_readers;  // [[l2_reader]]: the centre's second readers
  LettersConfig letters;             // [letters] and [[cim]]: addresses for the print runs
  TlsConfig tls;                     // [tls]
  AccessSettings access;              // [access]: lockout, sessions, codes, password cost
  std::vector<DicomPeer> dicom_peers;  // [[dicom_peer]]: AE titles allowed when not --open
};

}  // namespace dualread
