#pragma once
// BlobStore: where the bytes of every received object live, addressed by their SHA-256.
// The interface is what the ingest and retrieval services need; FsBlobStore implements it on a
// local filesystem, an S3-compatible store can implement it later without touching callers.
// Implementations must be thread-safe.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dualread {

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BlobInfo {
  std::string key;  // the lowercase hex SHA-256 of the content
  uint64_t size = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // A fresh path where a receiver may write an incoming object before adopt(). Staging files
  // never count as stored; leftovers are removed by cleanStaging() at start-up.
  virtual std::filesystem::path newStagingPath() = 0;

  // Makes a staged file durable under its content hash (fsync, atomic rename, fsync of the
  // directory) and returns its key. `known_sha256` may be given when the caller hashed while
  // writing; otherwise the file is hashed here. If the same content is already stored the
  // staged file is dropped. Throws StorageError on any I/O failure; the staged file is then
  // left for the caller to remove.
  virtual BlobInfo adopt(const std::filesystem::path& staged, const std::string& known_sha256) = 0;

  // Writes bytes durably in one call (same guarantees as adopt()).
  virtual BlobInfo put(std::string_view bytes) = 0;

  // Local path of a stored blob for streaming reads. Throws StorageError if absent.
  virtual std::filesystem::path pathOf(const std::string& key) const = 0;
  virtual bool exists(const std::string& key) const = 0;
  // Removes a blob; missing blobs are not an error.
  virtual void remove(const std::string& key) = 0;
  // Calls `fn` for every stored blob (key, size). Used by fsck.
  virtual void forEach(const std::function<void(const std::string&, uint64_t)>& fn) const = 0;
  // Removes staging leftovers of receptions interrupted by a crash; returns how many.
  virtual int cleanStaging() = 0;
};

}  // namespace dualread
