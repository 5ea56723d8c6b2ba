#include "http/router.h"

#include <algorithm>
#include <stdexcept>

namespace dualread::http {
namespace {

std::vector<std::string> patternSegments(const std::string& pattern) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string::npos) slash = pattern.size();
    if (slash > start) out.push_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool isParam(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string pattern, std::string summary, Handler handler) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  Route r;
  r.segments = patternSegments(pattern);
  r.info = {std::move(method), std::move(pattern), std::move(summary)};
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

const Handler* Router::match(HttpRequest& req, std::vector<std::string>& allowed) const {
  allowed.clear();
  for (const auto& r : routes_) {
    if (r.segments.size() != req.segments.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < r.segments.size() && ok; ++i) {
      const std::string& p = r.segments[i];
      if (isParam(p))
        params[p.substr(1, p.size() - 2)] = req.segments[i];
      else
        ok = p == req.segments[i];
    }
    if (!ok) continue;
    if (r.info.method != req.method) {
      if (std::find(allowed.begin(), allowed.end(), r.info.method) == allowed.end())
        allowed.push_back(r.info.method);
      continue;
    }
    req.params = std::move(params);
    return &r.handler;
  }
  return nullptr;
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  out.reserve(routes_.size());
  for (const auto& r : routes_) out.push_back(r.info);
  return out;
}

}  // namespace dualread::http
