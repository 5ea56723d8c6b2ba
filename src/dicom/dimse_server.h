#pragma once
// DimseServer: the hub's DICOM door — a DIMSE SCP (C-ECHO, C-STORE into IngestService,
// C-FIND patient/study root, C-MOVE to configured remote AEs, C-GET) with concurrent
// associations. Owned by app/Hub; start() listens on its own threads, stop() ends them.
// The same door serves the imaging-centre gateway with C-ECHO and C-STORE only, into another
// DimseStoreSink (its durable outbound queue). Thread-safe.

#include <cstdint>
#include <memory>

#include "dicom/dimse_store_sink.h"
#include "services/hub_services.h"

namespace dualread {

class DimseServer {
 public:
  explicit DimseServer(HubServices& services);
  // A storage-only door (C-ECHO, C-STORE into `sink`); `sink` must outlive the server.
  DimseServer(DimseDoorConfig config, DimseStoreSink& sink);
  ~DimseServer();
  // Listens on the configured address and port. Throws std::runtime_error with a
  // sentence when the port cannot be opened.
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dualread
