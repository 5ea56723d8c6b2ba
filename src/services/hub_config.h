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
#include "services/access_settings.h"

namespace dualread {

// A DICOM peer the hub may send to (C-MOVE destination) or accept queries from.
struct RemoteAe {
  std::string aet;
  std::string host;
  uint16_t port = 104;
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
  AccessSettings access;              // [access]: lockout, sessions, codes, password cost
  std::vector<DicomPeer> dicom_peers;  // [[dicom_peer]]: AE titles allowed when not --open
};

}  // namespace dualread
