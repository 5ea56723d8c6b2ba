#pragma once
// DirectFileWriter: writes an image that is still arriving to its staging file with direct I/O
// (O_DIRECT, 4 MiB aligned blocks, straight from a reused buffer to the disk, no copy into the
// page cache) and computes the file's SHA-256 (its blob key) from the same buffers on a thread
// of its own, so the receiver keeps reading the network while the image is hashed and written,
// and nothing re-reads the image after it arrived. When the filesystem refuses direct I/O
// (tmpfs) the same code writes through the page cache. The caller still makes the file durable
// with fsync (BlobStore::adopt): direct I/O leaves the drive's cache and the metadata to it.
// Owned by the receiver of one object: write(), finish() and the destructor are called from
// that one thread; the internal writer thread touches only the buffers handed to it.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/sha256.h"

namespace dualread {

class DirectFileWriter {
 public:
  // Creates (or truncates) `path`. Check ok() before writing: false with error() when the file
  // could not be created.
  explicit DirectFileWriter(const std::filesystem::path& path, size_t block_bytes = 1 << 20);
  ~DirectFileWriter();  // an unfinished file is abandoned as it is (the caller removes it)
  DirectFileWriter(const DirectFileWriter&) = delete;
  DirectFileWriter& operator=(const DirectFileWriter&) = delete;

  // Appends n bytes; false once anything failed (disk full, I/O error): see error().
  bool write(const void* data, size_t n);
  // Writes what is left and returns the whole file's SHA-256, or nullopt after a failure.
  // Only the first call can succeed.
  std::optional<FileDigests> finish();
  bool ok() const;
  // The failure in words with the system's reason (e.g. "No space left on device").
  std::string error() const;
  // ENOSPC/EDQUOT: the disk is full (the DICOM door answers out-of-resources).
  bool diskFull() const;
  uint64_t bytesWritten() const { return total_; }
  bool direct() const { return direct_; }

 private:
  struct Block;  // an aligned buffer and how much of it is filled
  void writerLoop();
  void fail(int err, const char* what);  // under mu_
  bool submit(bool last);                // hands cur_ to the writer thread

  int fd_ = -1;
  bool direct_ = false;
  size_t block_bytes_;
  uint64_t total_ = 0;  // receiver thread only
  std::unique_ptr<Block> cur_;
  bool finished_ = false;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Block>> full_;  // to write, in order
  std::vector<std::unique_ptr<Block>> free_;
  int blocks_out_ = 0;  // allocated blocks not in free_ (bounded memory)
  bool last_queued_ = false;
  bool stop_ = false;
  bool done_ = false;  // the writer wrote the last block
  int errno_ = 0;
  std::string error_;
  uint64_t offset_ = 0;  // writer thread only
  Sha256 hash_;          // writer thread only until done_
  std::thread writer_;
};

}  // namespace dualread
