#pragma once
// The wall clock, read by the adapters and services that stamp what they record (the domain
// never reads it: callers pass `now` in). Header-only, thread-safe.

#include <chrono>
#include <cstdint>
#include <string>

#include "domain/time.h"

namespace dualread {

// Now, UTC, as "YYYY-MM-DDTHH:MM:SSZ".
inline std::string nowIso() {
  return toIsoDateTime(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

// Now, in milliseconds since the Unix epoch (deadlines, rates, backoff).
inline int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace dualread
