#pragma once
// Router: the hub's table of HTTP routes — method, path pattern with {named} segments, a
// one-line summary and the handler. The table can be listed (the OpenAPI test checks that
// docs/openapi.yaml documents exactly these routes). Filled once at start-up, then read-only:
// match() and routes() may be called from any number of connection threads.

#include <functional>
#include <string>
#include <vector>

#include "http/http_types.h"

namespace dualread::http {

using Handler = std::function<void(HttpRequest&, ResponseWriter&)>;

struct RouteInfo {
  std::string method;   // "GET", "POST"
  std::string pattern;  // "/dicomweb/studies/{study}/series"
  std::string summary;  // one line for logs and docs
};

class Router {
 public:
  // Adds a route. Patterns start with '/'; a segment "{name}" matches any one non-empty segment
  // and is passed to the handler as req.params["name"].
  void add(std::string method, std::string pattern, std::string summary, Handler handler);

  // Handler for GET requests no route matches (static files); may be empty.
  void setFallback(Handler handler) { fallback_ = std::move(handler); }

  // The route matching req.method and req.segments, with req.params filled; nullptr when none.
  // `allowed` receives the methods of routes matching the path with another method (for 405).
  const Handler* match(HttpRequest& req, std::vector<std::string>& allowed) const;
  const Handler* fallback() const { return fallback_ ? &fallback_ : nullptr; }

  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
  Handler fallback_;
};

}  // namespace dualread::http
