#pragma once
// GatewayConfig: everything an imaging centre sets for its gateway, with defaults. Filled by
// app/gateway_config_loader from the TOML file and the command line; read-only once the gateway
// runs.

#include <cstdint>
#include <filesystem>
#include <string>

#include "services/hub_config.h"

namespace dualread {

struct GatewayConfig {
  std::filesystem::path data_dir = "var/gateway";
  std::string cim;  // the imaging centre's identifier at the hub (CIM)
  // DICOM door for the centre's modalities and PACS.
  std::string bind_address = "127.0.0.1";
  uint16_t dicom_port = 11113;
  std::string aet = "DUALREAD_GW";
  int dicom_max_associations = 16;
  // Status page (0 = any free port; -1 in config = none), on loopback unless said otherwise: it
  // has no accounts, and its retry/dismiss decisions are only accepted from loopback anyway.
  int http_port = 8081;
  std::string http_bind_address = "127.0.0.1";
  // The hub.
  std::string hub_url;                     // http(s)://host:port
  std::filesystem::path credentials_file;  // holds the bearer token (one line)
  std::string ca_file;                     // trusted CAs for https; empty = the system's
  bool tls_verify = true;
  // Transfer.
  bool transcode = true;                    // lossless JPEG-LS before sending
  int streams = 2;                          // parallel uploads
  uint64_t bandwidth_bytes_per_second = 0;  // 0 = no cap
  double backoff_initial_seconds = 1.0;
  double backoff_max_seconds = 300.0;
  int io_timeout_seconds = 30;
  // Manifests and retention.
  int quiet_seconds = 60;                // an exam is stable once no image came for this long
  int retention_days = 30;               // files kept after the hub acknowledged the exam
  uint64_t min_free_bytes = 1ull << 30;  // below this, new images are refused (0xA700)
  // Ballast kept aside for the queue database: released when the disk is completely full so
  // that deliveries can still be recorded (0 = none).
  uint64_t reserve_bytes = 64ull << 20;
  // Priors from the centre's PACS (empty aet = no priors retrieval): C-FIND of the woman's
  // studies, C-MOVE of those the hub lacks to this gateway's AE (known to the PACS).
  RemoteAe pacs;
  int pacs_timeout_seconds = 30;
};

}  // namespace dualread
