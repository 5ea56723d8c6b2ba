#include "app/web_app_dir.h"

#include <system_error>

namespace dualread {

std::filesystem::path defaultWebAppDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path bin_dir = exe.parent_path();
  for (const fs::path& candidate :
       {bin_dir / ".." / "ui" / "dist", bin_dir / ".." / "share" / "dualread" / "ui"}) {
    if (fs::is_regular_file(candidate / "index.html", ec))
      return fs::weakly_canonical(candidate, ec);
  }
  return {};
}

}  // namespace dualread
