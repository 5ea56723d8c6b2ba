#pragma once
// The HTTP vocabulary shared by the server and its handlers, free of Boost.Beast so that handler
// files and tests compile fast: a parsed request, a pull-style request body, a response writer
// that can send a whole body or stream one, and HttpError, the exception a handler throws to
// answer with an error status and a sentence. A request and its writer belong to the one
// connection thread serving them; none of these types is thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/access_role.h"

namespace dualread::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// An error answered to the client: `status` (4xx/5xx) and what() as a sentence, sent as
// {"error": "<sentence>"}. `headers` are added to the response (e.g. Allow for 405).
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& sentence, Headers headers = {})
      : std::runtime_error(sentence), status_(status), headers_(std::move(headers)) {}
  int status() const { return status_; }
  const Headers& headers() const { return headers_; }

 private:
  int status_;
  Headers headers_;
};

// The request body, read on demand so that a large upload can go straight to disk. read()
// returns 0 at the end; it throws HttpError(413) when the body exceeds the server's limit and
// HttpError(400) when the client stops sending mid-body.
class RequestBody {
 public:
  virtual ~RequestBody() = default;
  // Declared Content-Length, if any (chunked uploads have none).
  virtual std::optional<uint64_t> contentLength() const = 0;
  virtual size_t read(char* buf, size_t n) = 0;
  // Bytes read so far.
  virtual uint64_t consumed() const = 0;
};

struct HttpRequest {
  std::string method;                 // upper case, e.g. "GET"
  std::string target;                 // raw request target, path and query (never logged)
  std::string path;                   // path as sent (not decoded), without the query
  std::vector<std::string> segments;  // decoded path segments
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  std::map<std::string, std::string> headers;              // names lower case; repeats joined
  std::map<std::string, std::string> params;               // from the route pattern
  std::string peer;                                        // "127.0.0.1:51234"
  RequestBody* body = nullptr;                             // never null while handling
  std::string base_url;  // "scheme://host" the client used, for absolute URLs (RetrieveURL)
  bool secure = false;   // true when the request came over TLS (HTTPS)
  // HTTPS: subject CN of the client certificate verified against [tls] ca; empty when none.
  std::string client_cert_cn;
  // Who is calling, set by the access gate before the handler runs (null only in code paths
  // that bypass the gate, e.g. a handler called directly by a unit test).
  std::shared_ptr<const Principal> principal;

  // Header value or empty; `name` in lower case.
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  const std::string& param(const std::string& name) const { return params.at(name); }
};

// Writes the response of one request: either send() once, or beginStream() then any number of
// write() then finish(). A streamed body is chunked unless `content_length` is given, in which
// case exactly that many bytes must be written. Writes throw std::runtime_error when the client
// went away (the server then closes the connection).
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  virtual void send(int status, Headers headers, std::string body) = 0;
  virtual void beginStream(int status, Headers headers, std::optional<uint64_t> content_length) = 0;
  virtual void write(std::string_view data) = 0;
  virtual void finish() = 0;
  // True once a status line has been sent (errors can then only close the connection).
  virtual bool started() const = 0;
};

}  // namespace dualread::http
