#pragma once
// SHA-256 helpers (OpenSSL). Sha256 is an incremental hasher owned by one thread at a time;
// the free functions are thread-safe.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace dualread {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t n);
  // Returns the lowercase hex digest; the hasher cannot be updated afterwards.
  std::string hexDigest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256Hex(std::string_view data);
// Hashes a file from byte `from` on (0: the whole file; a DICOM object's dataset starts after
// its file meta header). Throws std::runtime_error (with the path) if it cannot be read.
std::string sha256File(const std::filesystem::path& path, uint64_t from = 0);

// What a receiver computed while the object arrived: the file's SHA-256 (its blob key), or
// empty when it could not.
struct FileDigests {
  std::string file;
};

}  // namespace dualread
