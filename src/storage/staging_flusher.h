#pragma once
// StagingFlusher: starts writing a staging file to disk while it is still being received, so
// the fsync that makes it durable (BlobStore::adopt) waits only for the last few megabytes
// instead of the whole 30 MB image, and hashes it on the way (the file's SHA-256, its blob key)
// from the page cache on a thread of its own, so that the receiver keeps reading the network
// while the image is hashed and nothing re-reads the image after it arrived. Owned by the
// receiver of one object: written() and finish() are called from that one thread.

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "storage/sha256.h"

namespace dualread {

class StagingFlusher {
 public:
  // `path` must exist (created by the receiver). Failing to open it only disables the
  // early writeback: durability still comes from adopt()'s fsync.
  // `dataset_offset`: where the dataset starts (after the file meta header the receiver wrote).
  StagingFlusher(const std::filesystem::path& path, uint64_t dataset_offset,
                 uint64_t chunk_bytes = 4 << 20);
  ~StagingFlusher();
  StagingFlusher(const StagingFlusher&) = delete;
  StagingFlusher& operator=(const StagingFlusher&) = delete;

  // Tells how many bytes the receiver has written so far; every `chunk_bytes` the kernel is
  // asked (asynchronously) to write the new range back, and the hashing thread may read it.
  void written(uint64_t total_bytes);
  uint64_t datasetOffset() const { return dataset_offset_; }
  // Once the writer has closed the file: hashes the rest and returns the file's digest, or
  // nullopt if the file could not be read (callers then hash it themselves). Only the first
  // call can succeed.
  std::optional<FileDigests> finish();

 private:
  void hashLoop();
  bool hashUpTo(uint64_t end);  // on the hashing thread only

  int fd_ = -1;
  uint64_t dataset_offset_;
  uint64_t chunk_;
  uint64_t flushed_ = 0;  // receiver thread only
  // Shared with the hashing thread, under mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t target_ = 0;
  bool closing_ = false;
  // Hashing thread only until it is joined.
  uint64_t hashed_ = 0;
  bool failed_ = false;
  bool finished_ = false;
  Sha256 whole_;
  std::vector<char> buf_;
  std::thread hasher_;
};

}  // namespace dualread
