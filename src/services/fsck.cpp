#include "services/fsck.h"

#include <chrono>
#include <filesystem>
#include <map>

#include "storage/sha256.h"

namespace dualread {

FsckReport runFsck(BlobStore& blobs, ArchiveIndex& index,
                   const std::function<void(const std::string&)>& progress) {
  FsckReport report;
  struct Ref {
    std::string sha;
    int64_t size;
    std::string what;
  };
  std::multimap<std::string, Ref> refs;
  index.forEachBlobRef([&](const std::string& key, const std::string& sha, int64_t size,
                           const std::string& what) { refs.emplace(key, Ref{sha, size, what}); });
  progress("checking " + std::to_string(refs.size()) + " archived objects against their SHA-256");

  auto last = std::chrono::steady_clock::now();
  std::map<std::string, bool> verified;  // key -> content ok
  for (const auto& [key, ref] : refs) {
    auto it = verified.find(key);
    if (it == verified.end()) {
      bool ok = false;
      if (!blobs.exists(key)) {
        report.missing.push_back(ref.what + ": blob " + key + " is missing");
        verified[key] = false;
        continue;
      }
      const auto path = blobs.pathOf(key);
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      std::string actual;
      try {
        actual = sha256File(path);
      } catch (const std::exception& e) {
        actual = std::string("unreadable: ") + e.what();
      }
      ok = actual == ref.sha && static_cast<int64_t>(size) == ref.size;
      if (!ok) {
        report.corrupt.push_back(ref.what + ": blob " + key + " has SHA-256 " + actual + " and " +
                                 std::to_string(size) + " bytes, expected " + ref.sha + " and " +
                                 std::to_string(ref.size));
      }
      verified[key] = ok;
      ++report.checked;
      report.bytes += static_cast<int64_t>(size);
      if (std::chrono::steady_clock::now() - last > std::chrono::seconds(3)) {
        last = std::chrono::steady_clock::now();
        progress("checked " + std::to_string(report.checked) + " of " +
                 std::to_string(refs.size()) + " objects (" +
                 std::to_string(report.bytes >> 20) + " MB)");
      }
    } else if (!it->second && !blobs.exists(key)) {
      report.missing.push_back(ref.what + ": blob " + key + " is missing");
    }
  }
  blobs.forEach([&](const std::string& key, uint64_t) {
    if (!refs.count(key)) report.orphans.push_back("blob " + key + " is referenced by nothing");
  });
  return report;
}

}  // namespace dualread
