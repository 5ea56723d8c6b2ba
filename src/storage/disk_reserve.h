#pragma once
// DiskReserve: a ballast file that keeps a little disk space aside for the gateway's own
// bookkeeping. When the disk fills up completely (images are refused, but the queue database
// still has to record deliveries and acknowledgements), the ballast is deleted so that SQLite
// can write again and what was acknowledged to the modalities keeps flowing to the hub; while
// the reserve is spent, new images are refused and nothing optional (JPEG-LS copies) is written.
// Once enough space is free again the ballast is put back. Owned by app/Gateway; thread-safe.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>

namespace dualread {

class DiskReserve {
 public:
  // `bytes` == 0 disables the reserve (held() stays false, spent() false).
  DiskReserve(std::filesystem::path file, uint64_t bytes);

  // Creates the ballast if it is missing and the disk has room for it plus as much again
  // (so that putting it back does not immediately fill the disk). Returns true when it was
  // (re)created by this call. Never throws: a disk that cannot hold it is logged.
  bool restore();
  // Deletes the ballast when it is held and the disk is (nearly) full; returns true when this
  // call released it.
  bool releaseIfFull();

  // The ballast has been given up and not put back yet.
  bool spent() const { return spent_; }
  uint64_t bytes() const { return bytes_; }
  // Free bytes on the file's filesystem for an unprivileged writer (0 if unknown).
  uint64_t freeBytes() const;

 private:
  const std::filesystem::path file_;
  const uint64_t bytes_;
  std::mutex mu_;
  std::atomic<bool> spent_{false};
  bool warned_ = false;
};

}  // namespace dualread
