#pragma once
// RateLimiter: a token bucket shared by the gateway's parallel uploads, so that together they
// never use more than the bandwidth the centre allows for the hub (its ADSL link also carries
// its other traffic). acquire(n) blocks until n bytes may go. A rate of 0 means no cap.
// Thread-safe.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <thread>

namespace dualread {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // `burst_bytes`: how much may go at once after an idle period (default: 1/10 s of rate).
  explicit RateLimiter(uint64_t bytes_per_second, uint64_t burst_bytes = 0)
      : rate_(bytes_per_second),
        burst_(burst_bytes ? burst_bytes : std::max<uint64_t>(bytes_per_second / 10, 16 << 10)),
        tokens_(0),
        last_(Clock::now()) {}

  uint64_t rate() const { return rate_; }

  // Blocks until `n` bytes may be sent.
  void acquire(uint64_t n) {
    if (rate_ == 0 || n == 0) return;
    Clock::time_point ready;
    {
      std::lock_guard lk(mu_);
      refill();
      // Take the bytes now, going into debt if needed: the caller waits for the debt to clear.
      tokens_ -= static_cast<double>(n);
      if (tokens_ >= 0) return;
      ready = last_ + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(-tokens_ / static_cast<double>(rate_)));
    }
    std::this_thread::sleep_until(ready);
  }

 private:
  void refill() {
    const auto now = Clock::now();
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min<double>(static_cast<double>(burst_),
                               tokens_ + elapsed * static_cast<double>(rate_));
  }

  const uint64_t rate_;
  const uint64_t burst_;
  std::mutex mu_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace dualread
