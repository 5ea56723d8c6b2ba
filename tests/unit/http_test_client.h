#pragma once
// A minimal blocking HTTP/1.1 client over POSIX sockets for the HTTP door's tests (no Beast in
// tests: it keeps the test binary fast to compile), a multipart/related splitter for responses
// and a builder for STOW-RS bodies. Test-only; each call opens its own connection.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dualread::testing {

struct ClientResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names lower case
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> out;
    auto [b, e] = headers.equal_range(name);
    for (auto it = b; it != e; ++it) out.push_back(it->second);
    return out;
  }
};

inline std::string lowerAscii(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

class TestConnection {
 public:
  explicit TestConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    timeval tv{30, 0};  // a hung server fails the test instead of hanging it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect() failed");
    }
  }
  ~TestConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  // Sends all bytes; returns false if the peer closed.
  bool sendAll(std::string_view data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  void shutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Reads one response (status line, headers, body by Content-Length, chunked or until close).
  // Throws std::runtime_error when the connection ends before a complete response.
  ClientResponse readResponse(bool head = false) {
    ClientResponse r;
    std::string head_text;
    for (;;) {
      const size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        head_text = buf_.substr(0, end);
        buf_.erase(0, end + 4);
        break;
      }
      if (!fill()) throw std::runtime_error("connection closed before the response headers");
    }
    size_t pos = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, pos);
    if (status_line.size() < 12) throw std::runtime_error("bad status line: " + status_line);
    r.status = std::stoi(status_line.substr(9, 3));
    while (pos != std::string::npos) {
      const size_t next = head_text.find("\r\n", pos + 2);
      const std::string line =
          head_text.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers.emplace(lowerAscii(line.substr(0, colon)), value);
      }
      pos = next;
    }
    if (head || r.status == 100 || r.status == 204 || r.status == 304) return r;
    if (lowerAscii(r.header("transfer-encoding")).find("chunked") != std::string::npos) {
      for (;;) {
        size_t eol;
        while ((eol = buf_.find("\r\n")) == std::string::npos)
          if (!fill()) throw std::runtime_error("connection closed inside a chunk header");
        const size_t size = std::stoul(buf_.substr(0, eol), nullptr, 16);
        buf_.erase(0, eol + 2);
        while (buf_.size() < size + 2)
          if (!fill()) throw std::runtime_error("connection closed inside a chunk");
        r.body.append(buf_, 0, size);
        buf_.erase(0, size + 2);
        if (size == 0) break;
      }
    } else if (!r.header("content-length").empty()) {
      const size_t size = std::stoull(r.header("content-length"));
      while (buf_.size() < size)
        if (!fill()) throw std::runtime_error("connection closed inside the body");
      r.body = buf_.substr(0, size);
      buf_.erase(0, size);
    } else {
      while (fill()) {
      }
      r.body = std::move(buf_);
      buf_.clear();
    }
    return r;
  }

  // True when the server closed the connection (reads EOF) before any more bytes.
  bool closedByPeer() { return buf_.empty() && !fill(); }

 private:
  bool fill() {
    char tmp[65536];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  std::string buf_;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

inline std::string buildRequest(const std::string& method, const std::string& target,
                                const HeaderList& headers, const std::string& body,
                                bool keep_alive = false) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) req += "Connection: close\r\n";
  req += "\r\n";
  req += body;
  return req;
}

inline ClientResponse httpRequest(uint16_t port, const std::string& method,
                                  const std::string& target, const HeaderList& headers = {},
                                  const std::string& body = {}) {
  TestConnection c(port);
  c.sendAll(buildRequest(method, target, headers, body));
  return c.readResponse(method == "HEAD");
}

inline ClientResponse httpGet(uint16_t port, const std::string& target,
                              const HeaderList& headers = {}) {
  return httpRequest(port, "GET", target, headers);
}

// Value of a media type parameter (e.g. boundary) in a Content-Type, unquoted.
inline std::string mediaParam(const std::string& content_type, const std::string& name) {
  const std::string lower = lowerAscii(content_type);
  size_t pos = lower.find(name + "=");
  while (pos != std::string::npos && pos > 0 && lower[pos - 1] != ';' && lower[pos - 1] != ' ')
    pos = lower.find(name + "=", pos + 1);
  if (pos == std::string::npos) return {};
  std::string v = content_type.substr(pos + name.size() + 1);
  if (!v.empty() && v.front() == '"') {
    v.erase(0, 1);
    return v.substr(0, v.find('"'));
  }
  return v.substr(0, v.find(';'));
}

struct ResponsePart {
  std::map<std::string, std::string> headers;  // names lower case
  std::string body;
};

// Splits a multipart/related response body. Throws std::runtime_error if malformed.
inline std::vector<ResponsePart> splitMultipart(const std::string& content_type,
                                                const std::string& body) {
  const std::string boundary = mediaParam(content_type, "boundary");
  if (boundary.empty()) throw std::runtime_error("no boundary in " + content_type);
  const std::string first = "--" + boundary + "\r\n";
  if (body.compare(0, first.size(), first) != 0)
    throw std::runtime_error("multipart body does not start with its boundary");
  const std::string delim = "\r\n--" + boundary;
  std::vector<ResponsePart> parts;
  size_t pos = first.size();
  for (;;) {
    const size_t head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) throw std::runtime_error("part without header end");
    ResponsePart p;
    size_t line = pos;
    while (line < head_end) {
      size_t eol = body.find("\r\n", line);
      if (eol > head_end) eol = head_end;
      const std::string h = body.substr(line, eol - line);
      const size_t colon = h.find(':');
      if (colon != std::string::npos) {
        std::string v = h.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        p.headers[lowerAscii(h.substr(0, colon))] = v;
      }
      line = eol + 2;
    }
    const size_t end = body.find(delim, head_end + 4);
    if (end == std::string::npos) throw std::runtime_error("part without closing delimiter");
    p.body = body.substr(head_end + 4, end - head_end - 4);
    parts.push_back(std::move(p));
    pos = end + delim.size();
    if (body.compare(pos, 2, "--") == 0) break;
    if (body.compare(pos, 2, "\r\n") != 0) throw std::runtime_error("junk after delimiter");
    pos += 2;
  }
  return parts;
}

// A STOW-RS body: each file as an application/dicom part.
inline std::string multipartBody(const std::vector<std::string>& parts, const std::string& boundary,
                                 const std::string& part_type = "application/dicom") {
  std::string body;
  for (const auto& p : parts) {
    body += "--" + boundary + "\r\n";
    if (!part_type.empty()) body += "Content-Type: " + part_type + "\r\n";
    body += "\r\n" + p + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return body;
}

}  // namespace dualread::testing
