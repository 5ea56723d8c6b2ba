#pragma once
// Hub: one running `dualread hub` — opens the data directory (blob store + index), builds the
// services and starts the HTTP and DIMSE doors. Owned by main(); not copyable. start() and
// stop() are called from the main thread only.

#include <memory>

#include "services/hub_config.h"

namespace dualread {

class Hub {
 public:
  explicit Hub(HubConfig config);
  ~Hub();
  // Throws std::runtime_error with a sentence if the data directory or a port is unusable.
  void start();
  void stop();
  uint16_t httpPort() const;
  uint16_t httpsPort() const;  // 0 without HTTPS ([tls])

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dualread
