#pragma once
// DimseServer: the hub's DICOM door — a DIMSE SCP (C-ECHO, C-STORE into IngestService,
// C-FIND patient/study root, C-MOVE to configured remote AEs, C-GET) with concurrent
// associations. Owned by app/Hub; start() listens on its own threads, stop() ends them.
// Thread-safe.

#include <cstdint>
#include <memory>

#include "services/hub_services.h"

namespace dualread {

class DimseServer {
 public:
  explicit DimseServer(HubServices& services);
  ~DimseServer();
  // Listens on config.bind_address:config.dicom_port. Throws std::runtime_error with a
  // sentence when the port cannot be opened.
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dualread
