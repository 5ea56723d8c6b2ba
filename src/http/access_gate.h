#pragma once
// AccessGate: the one place where the HTTP door decides who is calling and whether they may —
// called by HttpServer's dispatch before any handler. It authenticates (cookie session with its
// CSRF token on state-changing requests, bearer token, HTTP Basic over TLS only, or a verified
// TLS client certificate whose CN is bound to a gateway account), finds the
// route's entry in the permission matrix (http/access_policy.h), checks the role and the
// row-level rule, and leaves the Principal in req.principal for the handler and the audit.
// With config.open every request is served as "open-access". A route the router serves but
// the matrix does not list is refused (fail closed). Immutable after construction; check() may
// be called from any number of connection threads.

#include "http/http_types.h"
#include "http/router.h"
#include "services/hub_services.h"

namespace dualread::http {

inline constexpr const char* kSessionCookie = "dualread_session";
inline constexpr const char* kCsrfHeader = "x-csrf-token";

class AccessGate {
 public:
  AccessGate(HubServices& services, const Router& router) : services_(services), router_(router) {}

  // Sets req.principal (null for an anonymous call to a public route). Throws HttpError: 401
  // when credentials are missing or invalid, 403 (with a sentence) when the caller may not,
  // 429 when an address makes too many login attempts, 503 when access control is not set up.
  void check(HttpRequest& req) const;

 private:
  void authenticate(HttpRequest& req, bool& cookie_session) const;
  void checkRow(HttpRequest& req, const struct RoutePolicy& policy,
                const std::map<std::string, std::string>& params) const;

  HubServices& services_;
  const Router& router_;
};

// The value of cookie `name` in a Cookie header, or empty.
std::string cookieValue(const std::string& cookie_header, const std::string& name);

// The Set-Cookie header value of a session cookie: HttpOnly, SameSite=Strict, Path=/, and
// Secure when the request came over TLS. An empty `value` expires the cookie.
std::string sessionCookie(const std::string& value, bool secure, int max_age_seconds);

// `path` as it may be logged: a share link's token is a credential, so "/share/<token>..." is
// logged as "/share/(token)...".
std::string loggablePath(const std::string& path);

}  // namespace dualread::http
