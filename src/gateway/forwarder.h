#pragma once
// Forwarder: the gateway's outbound side. A preparer thread makes each queued instance ready
// for the link (lossless JPEG-LS copy and pixel hash); N sender threads upload ready instances
// to the hub with the resumable protocol (create, then PATCH from the offset the hub confirmed),
// sharing one bandwidth cap, retrying with exponential backoff and jitter; a steward thread
// sends the manifest of each stable exam and records the hub's acknowledgement, asks again for
// what the hub lacks, announces exams the technician dismissed, removes acknowledged (or
// dismissed and recorded) exams' files after the retention period, and
// publishes the link rate for the status page. Every decision is recorded in GatewayQueue, so
// a kill -9 at any point resumes where the hub's confirmation left off. Owned by app/Gateway;
// start()/stop() from one thread, wake() from any.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gateway/gateway_config.h"
#include "gateway/rate_limiter.h"
#include "http/hub_client.h"
#include "index/gateway_queue.h"
#include "storage/disk_reserve.h"
#include "storage/fs_blob_store.h"

namespace dualread {

class Forwarder {
 public:
  Forwarder(const GatewayConfig& config, GatewayQueue& queue, FsBlobStore& blobs, HubClient& client,
            DiskReserve* reserve = nullptr);
  ~Forwarder();

  void start();
  void stop();
  // New work (an instance queued): senders and preparer look now instead of at their next tick.
  void wake();

  // Optional: called once per new exam (not a prior) when its manifest is first due, to look
  // for priors; runs on the steward thread.
  void setPriorsHook(std::function<void(const QueuedExam&)> hook) {
    priors_hook_ = std::move(hook);
  }

  uint64_t bytesSent() const { return bytes_sent_; }

 private:
  void prepareLoop();
  void sendLoop(int stream);
  void stewardLoop();
  // One instance; returns normally whatever the outcome (recorded in the queue).
  void sendOne(QueuedInstance in);
  void sendManifest(const QueuedExam& exam);
  // Tells the hub an exam was dismissed (a manifest with the dismissal); once the hub has
  // recorded it, the retention period starts.
  void announceDismissal(const QueuedExam& exam);
  void purgeExpired();
  void publishStatus();
  int64_t backoffMs(int attempts);
  bool waitFor(std::chrono::milliseconds d);
  // A queue write failed: on a full disk, give up the emergency reserve so the next try works.
  void onQueueWriteFailure();

  const GatewayConfig& config_;
  GatewayQueue& queue_;
  FsBlobStore& blobs_;
  HubClient& client_;
  DiskReserve* reserve_;
  RateLimiter limiter_;
  std::function<void(const QueuedExam&)> priors_hook_;

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wake_seq_ = 0;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
  std::vector<std::thread> threads_;

  std::atomic<uint64_t> bytes_sent_{0};
  uint64_t last_bytes_ = 0;
  std::chrono::steady_clock::time_point last_sample_;
  double rate_bps_ = 0;
  std::string last_error_;
  std::mutex error_mu_;
  std::chrono::steady_clock::time_point last_purge_{};
};

}  // namespace dualread
