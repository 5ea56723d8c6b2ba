// The web app's files from config.static_dir: exact files, a directory's index.html, and the
// single-page-app fallback (index.html for unknown page paths). Paths are checked segment by
// segment: no "..", no hidden files, no backslashes, so nothing outside static_dir is served.

#include <filesystem>
#include <system_error>

#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/routes.h"

namespace dualread::http {
namespace {

namespace fs = std::filesystem;

std::string contentTypeOf(const fs::path& p) {
  const std::string ext = lower(p.extension().string());
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool isApiPath(const HttpRequest& req) {
  if (req.segments.empty()) return false;
  const std::string& first = req.segments.front();
  return first == "api" || first == "dicomweb" || first == "healthz";
}

void serveFile(ResponseWriter& w, const fs::path& file, bool no_cache) {
  std::error_code ec;
  const uint64_t size = fs::file_size(file, ec);
  if (ec) throw HttpError(404, "there is no file here");
  Headers headers = {{"Content-Type", contentTypeOf(file)}, {"X-Content-Type-Options", "nosniff"}};
  if (no_cache) headers.emplace_back("Cache-Control", "no-cache");
  w.beginStream(200, std::move(headers), size);
  if (streamFile(w, file) != size) throw std::runtime_error("file changed while being sent");
  w.finish();
}

}  // namespace

bool serveAppPage(HubServices& services, const HttpRequest& req, ResponseWriter& w) {
  const std::string accept = lower(req.header("accept"));
  if (accept.find("text/html") == std::string::npos ||
      accept.find("application/json") != std::string::npos)
    return false;
  const fs::path root = services.config.static_dir;
  std::error_code ec;
  if (root.empty() || !fs::is_regular_file(root / "index.html", ec)) return false;
  serveFile(w, root / "index.html", true);
  return true;
}

void setStaticFallback(Router& router, HubServices& services) {
  router.setFallback([&services](HttpRequest& req, ResponseWriter& w) {
    const fs::path root = services.config.static_dir;
    if (root.empty() || isApiPath(req)) throw HttpError(404, "there is no resource at " + req.path);
    fs::path rel;
    for (const auto& seg : req.segments) {
      if (seg == "." || seg == ".." || seg.front() == '.' ||
          seg.find_first_of("\\/") != std::string::npos || seg.find('\0') != std::string::npos)
        throw HttpError(
            400, "the path " + headerSafe(req.path, 200) + " has a segment the web app never uses");
      rel /= seg;
    }
    std::error_code ec;
    fs::path file = root / rel;
    if (fs::is_directory(file, ec)) file /= "index.html";
    if (fs::is_regular_file(file, ec)) {
      serveFile(w, file, file.filename() == "index.html");
      return;
    }
    // A page path of the single-page app (no extension): its index.html handles routing.
    if (req.segments.empty() || req.segments.back().find('.') == std::string::npos) {
      const fs::path index = root / "index.html";
      if (fs::is_regular_file(index, ec)) {
        serveFile(w, index, true);
        return;
      }
    }
    throw HttpError(404, "there is no file at " + req.path);
  });
}

}  // namespace dualread::http
