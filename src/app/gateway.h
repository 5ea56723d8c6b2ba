#pragma once
// Gateway: one running `dualread gateway` at an imaging centre — opens its data directory (blob
// store + queue), starts the DICOM door for the centre's modalities and PACS, the forwarder to
// the hub and the status page. Owned by main(); start() and stop() from the main thread only.

#include <memory>

#include "gateway/gateway_config.h"

namespace dualread {

class Gateway {
 public:
  explicit Gateway(GatewayConfig config);
  ~Gateway();
  // Throws std::runtime_error with a sentence if the data directory, a port, the hub URL or
  // the credentials are unusable.
  void start();
  void stop();
  uint16_t httpPort() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `dualread gateway status`: prints the status of the gateway whose data directory is `data`
// (text, or JSON when `as_json`). Returns 0, or 2 when there is no gateway there.
int printGatewayStatus(const std::filesystem::path& data, bool as_json, std::ostream& out);

// `dualread gateway retry|dismiss --data DIR --study UID --reason TEXT [--by NAME]`: the
// technician's decision on an exam in error, taken in the gateway's queue (a running gateway
// acts on it within a second) and kept in its journal. `by` defaults to the system user. Writes
// one sentence to `out`; returns 0 done, 1 refused (wrong state, bad input), 2 no gateway or no
// such exam there.
int runGatewayExamAction(const std::filesystem::path& data, bool retry, const std::string& study,
                         const std::string& reason, std::string by, std::ostream& out);

}  // namespace dualread
