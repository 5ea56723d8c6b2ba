#pragma once
// HubClient: the gateway's HTTP/1.1 client to the hub (Boost.Beast), over plain TCP or TLS with
// certificate and host name checking (the system's trusted authorities, or one CA file). Every
// request carries "Authorization: Bearer <token>" when a token is set. Every network step has a
// deadline, so a cut link fails a request in bounded time instead of hanging. Uploads stream a
// file range as the body, paced by a caller's function (bandwidth cap) and counted (link rate).
// One connection per request, closed after it. Thread-safe: each call uses its own connection;
// the TLS context is shared read-only.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace dualread {

// The hub could not be reached or the exchange broke off (connection refused, cut, timeout,
// TLS failure). what() is a sentence for the technician.
class HubLinkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HubResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HubClientOptions {
  std::string base_url;      // "https://hub.example.fr:8443" (a path prefix is allowed)
  std::string bearer_token;  // empty = no Authorization header
  std::string ca_file;       // PEM file of trusted authorities; empty = the system's
  bool verify_peer = true;   // false only for tests against self-signed hubs: logged loudly
  std::chrono::seconds connect_timeout{15};
  std::chrono::seconds io_timeout{60};  // for any one read or write step to progress
};

class HubClient {
 public:
  // Throws std::invalid_argument with a sentence when the URL is not http(s)://host[:port][/path]
  // or the CA file cannot be loaded.
  explicit HubClient(HubClientOptions options);
  ~HubClient();

  // A request with an in-memory body. Throws HubLinkError.
  HubResponse request(const std::string& method, const std::string& path,
                      const std::vector<std::pair<std::string, std::string>>& headers = {},
                      const std::string& body = {});

  // A request whose body is `length` bytes of `file` from `offset`. `pace(n)` is called before
  // each chunk of n bytes is written (it may sleep: bandwidth cap); `sent` is increased by the
  // body bytes written. Throws HubLinkError (bytes already written may have reached the hub).
  HubResponse upload(const std::string& method, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::filesystem::path& file, uint64_t offset, uint64_t length,
                     const std::function<void(size_t)>& pace, std::atomic<uint64_t>* sent);

  const std::string& baseUrl() const;
  bool secure() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dualread
