#pragma once
// StagingFlusher: starts writing a staging file to disk while it is still being received, so
// the fsync that makes it durable (BlobStore::adopt) waits only for the last few megabytes
// instead of the whole 30 MB image. Owned by the receiver of one object; not thread-safe.

#include <cstdint>
#include <filesystem>

namespace dualread {

class StagingFlusher {
 public:
  // `path` must exist (created by the receiver). Failing to open it only disables the
  // early writeback: durability still comes from adopt()'s fsync.
  explicit StagingFlusher(const std::filesystem::path& path, uint64_t chunk_bytes = 8 << 20);
  ~StagingFlusher();
  StagingFlusher(const StagingFlusher&) = delete;
  StagingFlusher& operator=(const StagingFlusher&) = delete;

  // Tells how many bytes the receiver has written so far; every `chunk_bytes` the kernel is
  // asked (asynchronously) to write the new range back.
  void written(uint64_t total_bytes);

 private:
  int fd_ = -1;
  uint64_t chunk_;
  uint64_t flushed_ = 0;
};

}  // namespace dualread
