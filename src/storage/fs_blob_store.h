#pragma once
// FsBlobStore: the embedded default BlobStore — files under DATA/blobs/ab/cd/<sha256>, staging
// under DATA/staging/. Writes are atomic and durable (temp file, fsync, rename, fsync dir).
// Thread-safe: every method may be called concurrently; no shared mutable state besides the
// filesystem and an atomic counter.

#include <atomic>

#include "storage/blob_store.h"

namespace dualread {

class FsBlobStore final : public BlobStore {
 public:
  // Creates the directories if needed. Throws StorageError if the root is not writable.
  explicit FsBlobStore(std::filesystem::path root);

  std::filesystem::path newStagingPath() override;
  BlobInfo adopt(const std::filesystem::path& staged, const std::string& known_sha256) override;
  BlobInfo put(std::string_view bytes) override;
  std::filesystem::path pathOf(const std::string& key) const override;
  bool exists(const std::string& key) const override;
  void remove(const std::string& key) override;
  void forEach(const std::function<void(const std::string&, uint64_t)>& fn) const override;
  int cleanStaging() override;

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path blobPath(const std::string& key) const;

  std::filesystem::path root_;
  std::filesystem::path blobs_;
  std::filesystem::path staging_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace dualread
