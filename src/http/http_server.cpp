// HttpServer on Boost.Beast, synchronous, one thread per connection (HTTP/1.1 keep-alive).
// Why not async: handlers stream large bodies from and to disk (STOW-RS uploads, WADO-RS
// retrievals) and call blocking services (SQLite, fsync); a blocking thread per connection
// keeps each of them a plain loop with bounded memory. Timeouts are enforced by a watchdog that
// shuts down sockets whose current read or write is overdue.

#include "http/http_server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include "http/access_gate.h"
#include "http/http_util.h"
#include "http/https_context.h"
#include "http/router.h"
#include "http/routes.h"
#include "tls/tls_files.h"  // commonName

namespace dualread {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using http::HttpError;

constexpr auto kIdleTimeout = std::chrono::seconds(60);  // between requests on a connection
constexpr auto kIoTimeout = std::chrono::seconds(120);   // for any one read or write to progress
constexpr auto kStopGrace = std::chrono::seconds(20);    // for requests in progress at stop()
constexpr size_t kHeaderLimit = 64 * 1024;
constexpr uint64_t kDrainLimit = 64ull << 20;  // unread body bytes swallowed before closing

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

using TlsStream = net::ssl::stream<tcp::socket&>;

// What requests are read from and responses written to: the TCP socket itself, or TLS over
// it once an HTTPS handshake succeeded. Meets Beast's SyncReadStream and SyncWriteStream.
class ConnStream {
 public:
  explicit ConnStream(tcp::socket& socket) : socket_(socket) {}
  void useTls(TlsStream* tls) { tls_ = tls; }
  template <class Buffers>
  size_t read_some(const Buffers& b, boost::system::error_code& ec) {
    return tls_ ? tls_->read_some(b, ec) : socket_.read_some(b, ec);
  }
  template <class Buffers>
  size_t read_some(const Buffers& b) {
    boost::system::error_code ec;
    const size_t n = read_some(b, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class Buffers>
  size_t write_some(const Buffers& b, boost::system::error_code& ec) {
    return tls_ ? tls_->write_some(b, ec) : socket_.write_some(b, ec);
  }
  template <class Buffers>
  size_t write_some(const Buffers& b) {
    boost::system::error_code ec;
    const size_t n = write_some(b, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  tcp::socket& socket_;
  TlsStream* tls_ = nullptr;
};

// One accepted connection, served by its own thread. The socket's descriptor may be shut down
// by the watchdog or stop() from other threads; only the owning thread closes it.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  ConnStream stream{socket};
  std::unique_ptr<TlsStream> tls;  // set on the HTTPS port, before the handshake
  std::string client_cert_cn;      // of a verified client certificate
  std::string hsts;                // Strict-Transport-Security value over HTTPS
  std::string peer;
  std::atomic<int64_t> deadline_ms{0};
  std::atomic<bool> idle{true};
  std::atomic<bool> done{false};
  std::mutex fd_mu;
  bool closed = false;
  std::thread thread;

  void armDeadline(std::chrono::seconds d) { deadline_ms = nowMs() + d.count() * 1000; }
  // Makes any blocked read or write fail; safe from any thread.
  void shutdownSocket() {
    std::lock_guard<std::mutex> lock(fd_mu);
    if (!closed && socket.is_open()) ::shutdown(socket.native_handle(), SHUT_RDWR);
  }
  void close() {
    std::lock_guard<std::mutex> lock(fd_mu);
    boost::system::error_code ec;
    socket.close(ec);
    closed = true;
  }
};

// The request body, pulled from the Beast parser into the caller's buffer.
class BeastBody final : public http::RequestBody {
 public:
  BeastBody(Connection& conn, beast::flat_buffer& buffer,
            bhttp::request_parser<bhttp::buffer_body>& parser, uint64_t limit)
      : conn_(conn), buffer_(buffer), parser_(parser), limit_(limit) {
    // Beast only knows the length once the header is complete (not when the body limit cut
    // the header short).
    if (parser_.is_header_done()) {
      auto cl = parser_.content_length();
      if (cl) length_ = *cl;
    }
    const auto expect = parser_.get()[bhttp::field::expect];
    expect_continue_ = http::iequals(http::trim(expect), "100-continue");
  }

  std::optional<uint64_t> contentLength() const override { return length_; }
  uint64_t consumed() const override { return consumed_; }
  bool done() const { return parser_.is_done(); }

  size_t read(char* buf, size_t n) override {
    if (parser_.is_done() || n == 0) return 0;
    if (expect_continue_) {
      expect_continue_ = false;
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
      boost::system::error_code ec;
      conn_.armDeadline(kIoTimeout);
      bhttp::write(conn_.stream, cont, ec);
      if (ec) throw HttpError(400, "the connection failed before the body was sent");
    }
    for (;;) {
      parser_.get().body().data = buf;
      parser_.get().body().size = n;
      boost::system::error_code ec;
      conn_.armDeadline(kIoTimeout);
      bhttp::read(conn_.stream, buffer_, parser_, ec);
      if (ec == bhttp::error::need_buffer) ec = {};
      const size_t got = n - parser_.get().body().size;
      consumed_ += got;
      if (ec == bhttp::error::body_limit)
        throw HttpError(413, "the request body is larger than the hub accepts (" +
                                 std::to_string(limit_) + " bytes)");
      if (ec)
        throw HttpError(400,
                        "the request body ended before it was complete (" + ec.message() + ")");
      if (got > 0 || parser_.is_done()) return got;
    }
  }

 private:
  Connection& conn_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  uint64_t limit_;
  std::optional<uint64_t> length_;
  uint64_t consumed_ = 0;
  bool expect_continue_ = false;
};

// Thrown when the client cannot be written to any more: the connection is dropped.
struct ConnectionLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class BeastWriter final : public http::ResponseWriter {
 public:
  // `body`, when given, is the request's body: a response sent before it was read whole says
  // "Connection: close" (the rest of the body is then discarded, not parsed as a request).
  BeastWriter(Connection& conn, unsigned version, bool keep_alive, const BeastBody* body = nullptr)
      : conn_(conn), version_(version), keep_alive_(keep_alive), body_(body) {}

  void send(int status, http::Headers headers, std::string body) override {
    if (started_) throw std::logic_error("response already started");
    started_ = true;
    status_ = status;
    bhttp::response<bhttp::string_body> res;
    res.version(version_);
    res.result(static_cast<unsigned>(status));
    res.set(bhttp::field::server, "dualread/" DUALREAD_VERSION);
    res.set("X-Content-Type-Options", "nosniff");  // a JSON body is never rendered as HTML
    for (auto& [k, v] : headers) res.insert(k, v);
    if (!conn_.hsts.empty()) res.set(bhttp::field::strict_transport_security, conn_.hsts);
    res.keep_alive(keepAlive());
    res.body() = std::move(body);
    res.prepare_payload();
    boost::system::error_code ec;
    conn_.armDeadline(kIoTimeout);
    bhttp::write(conn_.stream, res, ec);
    bytes_ += res.body().size();
    if (ec) throw ConnectionLost("client went away: " + ec.message());
  }

  void beginStream(int status, http::Headers headers,
                   std::optional<uint64_t> content_length) override {
    if (started_) throw std::logic_error("response already started");
    started_ = true;
    status_ = status;
    res_ = std::make_unique<bhttp::response<bhttp::buffer_body>>();
    res_->version(version_);
    res_->result(static_cast<unsigned>(status));
    res_->set(bhttp::field::server, "dualread/" DUALREAD_VERSION);
    res_->set("X-Content-Type-Options", "nosniff");
    for (auto& [k, v] : headers) res_->insert(k, v);
    if (!conn_.hsts.empty()) res_->set(bhttp::field::strict_transport_security, conn_.hsts);
    res_->keep_alive(keepAlive());
    if (content_length)
      res_->content_length(*content_length);
    else
      res_->chunked(true);
    expected_ = content_length;
    res_->body().data = nullptr;
    res_->body().more = true;
    sr_ = std::make_unique<bhttp::response_serializer<bhttp::buffer_body>>(*res_);
    boost::system::error_code ec;
    conn_.armDeadline(kIoTimeout);
    bhttp::write_header(conn_.stream, *sr_, ec);
    if (ec) throw ConnectionLost("client went away: " + ec.message());
  }

  void write(std::string_view data) override {
    if (!sr_) throw std::logic_error("write() before beginStream()");
    if (data.empty()) return;
    if (expected_ && bytes_ + data.size() > *expected_)
      throw std::logic_error("response body longer than its Content-Length");
    res_->body().data = const_cast<char*>(data.data());
    res_->body().size = data.size();
    res_->body().more = true;
    boost::system::error_code ec;
    conn_.armDeadline(kIoTimeout);
    bhttp::write(conn_.stream, *sr_, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) throw ConnectionLost("client went away: " + ec.message());
    bytes_ += data.size();
  }

  void finish() override {
    if (!sr_) throw std::logic_error("finish() before beginStream()");
    if (expected_ && bytes_ != *expected_)
      throw std::logic_error("response body shorter than its Content-Length");
    res_->body().data = nullptr;
    res_->body().size = 0;
    res_->body().more = false;
    boost::system::error_code ec;
    conn_.armDeadline(kIoTimeout);
    bhttp::write(conn_.stream, *sr_, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) throw ConnectionLost("client went away: " + ec.message());
    finished_ = true;
  }

  bool started() const override { return started_; }
  bool keepAlive() const { return keep_alive_ && (!body_ || body_->done()); }
  bool complete() const { return started_ && (!sr_ || finished_); }
  int status() const { return status_; }
  uint64_t bytes() const { return bytes_; }

 private:
  Connection& conn_;
  unsigned version_;
  bool keep_alive_;
  const BeastBody* body_;
  bool started_ = false;
  bool finished_ = false;
  int status_ = 0;
  uint64_t bytes_ = 0;
  std::optional<uint64_t> expected_;
  std::unique_ptr<bhttp::response<bhttp::buffer_body>> res_;
  std::unique_ptr<bhttp::response_serializer<bhttp::buffer_body>> sr_;
};

bool validHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']' || c == '_'))
      return false;
  }
  return true;
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(HubServices& s) : config(s.config) {
    http::registerHubRoutes(router, s);
    gate = std::make_unique<http::AccessGate>(s, router);
  }
  Impl(HubConfig c, const std::function<void(http::Router&)>& add_routes)
      : own_config(std::make_unique<HubConfig>(std::move(c))), config(*own_config) {
    add_routes(router);
  }

  std::unique_ptr<HubConfig> own_config;  // only for a server built without HubServices
  const HubConfig& config;                // listening address, port, threads, limits, TLS
  http::Router router;
  // Authentication and the permission matrix; absent only on a server built without
  // HubServices (the gateway's status page on the centre's LAN).
  std::unique_ptr<http::AccessGate> gate;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  uint16_t port = 0;
  std::string bind_host;
  bool running = false;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  std::thread watchdog_thread;
  // HTTPS ([tls]): its own port and accept thread; the plain port may be off or redirect.
  std::optional<net::ssl::context> tls_ctx;
  tcp::acceptor tls_acceptor{ioc};
  uint16_t tls_port = 0;
  std::thread tls_accept_thread;
  std::mutex mu;  // guards conns
  std::condition_variable cv;
  std::list<std::unique_ptr<Connection>> conns;

  size_t maxConnections() const {
    return static_cast<size_t>(std::max(64, config.http_threads * 16));
  }

  void reapLocked() {
    for (auto it = conns.begin(); it != conns.end();) {
      if ((*it)->done) {
        if ((*it)->thread.joinable()) (*it)->thread.join();
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  }

  void acceptLoop(tcp::acceptor& acceptor, bool secure) {
    for (;;) {
      tcp::socket socket(ioc);
      boost::system::error_code ec;
      acceptor.accept(socket, ec);
      if (stopping) break;
      if (ec) {
        spdlog::warn("HTTP: could not accept a connection ({}); retrying", ec.message());
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // e.g. out of descriptors
        continue;
      }
      std::lock_guard<std::mutex> lock(mu);
      reapLocked();
      if (conns.size() >= maxConnections() && secure) {
        spdlog::warn("HTTPS: {} connections open, refusing a new one", conns.size());
        socket.close(ec);
        continue;
      }
      if (conns.size() >= maxConnections()) {
        spdlog::warn("HTTP: {} connections open, refusing a new one", conns.size());
        static const char kBusy[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Connection: close\r\nContent-Length: 66\r\n\r\n"
            "{\"error\":\"the hub has too many open connections; retry shortly\"}";
        net::write(socket, net::buffer(kBusy, sizeof kBusy - 1), ec);
        socket.close(ec);
        continue;
      }
      auto conn = std::make_unique<Connection>(std::move(socket));
      if (secure) {
        conn->tls = std::make_unique<TlsStream>(conn->socket, *tls_ctx);
        const int64_t max_age = config.tls.hsts_max_age;
        if (max_age > 0) conn->hsts = "max-age=" + std::to_string(max_age);
      }
      auto ep = conn->socket.remote_endpoint(ec);
      conn->peer = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
      Connection* raw = conn.get();
      conns.push_back(std::move(conn));
      raw->thread = std::thread([this, raw] { serve(*raw); });
    }
  }

  void watchdog() {
    std::unique_lock<std::mutex> lock(mu);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::seconds(1));
      const int64_t now = nowMs();
      for (auto& c : conns) {
        const int64_t d = c->deadline_ms;
        if (!c->done && d != 0 && d < now) {
          c->deadline_ms = 0;
          c->shutdownSocket();
        }
      }
    }
  }

  std::string baseUrl(const bhttp::request_parser<bhttp::buffer_body>& parser,
                      bool secure = false) const {
    const auto& h = parser.get();
    std::string scheme = secure ? "https" : "http";
    if (http::iequals(http::trim(h["X-Forwarded-Proto"]), "https")) scheme = "https";
    std::string host(h[bhttp::field::host]);
    if (!validHost(host)) host = bind_host + ":" + std::to_string(secure ? tls_port : port);
    return scheme + "://" + host;
  }

  // [tls] http = "redirect": where the same request goes over HTTPS.
  std::string httpsLocation(const http::HttpRequest& req) const {
    std::string host = req.header("host");
    if (!validHost(host)) host = bind_host;
    const size_t bracket = host.rfind(']');
    const size_t colon = host.rfind(':');
    if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket))
      host.resize(colon);
    return "https://" + host + (tls_port == 443 ? "" : ":" + std::to_string(tls_port)) + req.target;
  }

  // Before the first request: a TLS ClientHello starts with byte 0x16, HTTP with a letter.
  // Each port refuses the other protocol with a log line that says what happened; the HTTPS
  // port then runs the handshake and notes a verified client certificate's common name.
  bool startConnection(Connection& conn) {
    conn.armDeadline(kIdleTimeout);
    unsigned char first = 0;
    boost::system::error_code ec;
    const size_t n = conn.socket.receive(net::buffer(&first, 1), tcp::socket::message_peek, ec);
    if (ec || n == 0) return false;  // closed, or shut down by the watchdog / stop()
    const bool tls_hello = first == 0x16;
    if (!conn.tls) {
      if (!tls_hello) return true;
      spdlog::warn("HTTP from {}: a TLS (https://) connection reached the plain HTTP port {}; {}",
                   conn.peer, port,
                   tls_port ? "the HTTPS port is " + std::to_string(tls_port)
                            : std::string("this hub has no HTTPS port"));
      drain(conn);  // read the hello and close with FIN, not with a reset
      return false;
    }
    if (!tls_hello) {
      spdlog::warn(
          "HTTPS from {}: plain HTTP reached the HTTPS port {}; the client must use "
          "https://",
          conn.peer, tls_port);
      conn.tls.reset();  // answer in plain HTTP, the only thing this client can read
      conn.hsts.clear();
      BeastWriter w(conn, 11, false);
      try {
        w.send(400, {{"Content-Type", "application/json"}},
               http::errorBody("this port speaks HTTPS only; use https://"));
      } catch (const std::exception&) {
      }
      drain(conn);
      return false;
    }
    conn.armDeadline(std::chrono::seconds(30));
    conn.tls->handshake(net::ssl::stream_base::server, ec);
    if (ec) {
      const std::string m = ec.message();
      std::string why = m;
      if (m.find("unsupported protocol") != std::string::npos)
        why =
            "the client offers only TLS versions below " + config.tls.min_version + " (" + m + ")";
      else if (m.find("peer did not return a certificate") != std::string::npos)
        why = "the client showed no certificate and [tls] client_cert = \"require\"";
      else if (m.find("certificate verify failed") != std::string::npos)
        why =
            "the client certificate is not signed by a CA of [tls] ca, or has expired (" + m + ")";
      else if (m.find("unknown ca") != std::string::npos ||
               m.find("bad certificate") != std::string::npos ||
               m.find("certificate unknown") != std::string::npos)
        why = "the client does not trust the hub's certificate: install the hub's CA on it (" + m +
              ")";
      else if (m.find("no shared cipher") != std::string::npos)
        why = "the client offers none of the modern cipher suites (" + m + ")";
      spdlog::warn("HTTPS from {}: TLS handshake failed: {}", conn.peer, why);
      return false;
    }
    conn.stream.useTls(conn.tls.get());
    SSL* ssl = conn.tls->native_handle();
    if (X509* cert = SSL_get0_peer_certificate(ssl)) {
      if (SSL_get_verify_result(ssl) == X509_V_OK) conn.client_cert_cn = tls::commonName(cert);
    }
    return true;
  }

  void dispatch(http::HttpRequest& req, http::ResponseWriter& w) {
    try {
      if (req.target.empty() || req.target.front() != '/')
        throw HttpError(400, "the request target must be an absolute path starting with '/'");
      if (gate) gate->check(req);  // who is calling, and may they: the only access-control call
      std::vector<std::string> allowed;
      if (const http::Handler* h = router.match(req, allowed)) {
        (*h)(req, w);
        return;
      }
      if (!allowed.empty())
        throw HttpError(405,
                        req.method + " is not allowed on " + req.path + "; use " +
                            http::joinList(allowed, " or "),
                        {{"Allow", http::joinList(allowed)}});
      if (req.method == "GET" && router.fallback()) {
        (*router.fallback())(req, w);
        return;
      }
      throw HttpError(404, "there is no resource at " + req.path);
    } catch (const HttpError& e) {
      if (w.started()) throw;
      http::Headers headers = e.headers();
      headers.emplace_back("Content-Type", "application/json");
      w.send(e.status(), std::move(headers), http::errorBody(e.what()));
    } catch (const ConnectionLost&) {
      throw;
    } catch (const std::exception& e) {
      spdlog::error("HTTP {} {} failed: {}", req.method, http::loggablePath(req.path), e.what());
      if (w.started()) throw;
      w.send(500, {{"Content-Type", "application/json"}},
             http::errorBody("the hub failed to answer this request (internal error); it is "
                             "logged, please retry or report it"));
    }
  }

  // Swallows what is left of a request body (bounded) so that the client reads the response
  // before the connection closes, instead of a reset.
  void drain(Connection& conn) {
    boost::system::error_code ec;
    // Over TLS the read side must stay able to answer TLS records: no half-close then.
    if (!conn.tls) conn.socket.shutdown(tcp::socket::shutdown_send, ec);
    std::vector<char> sink(64 * 1024);
    uint64_t total = 0;
    while (total < kDrainLimit) {
      conn.armDeadline(std::chrono::seconds(5));
      const size_t n = conn.stream.read_some(net::buffer(sink), ec);
      if (ec) return;
      total += n;
    }
  }

  void serve(Connection& conn) {
    beast::flat_buffer buffer;
    const uint64_t limit = config.max_request_bytes;
    const bool ready = startConnection(conn);
    while (ready) {
      conn.idle = true;
      conn.armDeadline(kIdleTimeout);
      if (stopping) break;
      bhttp::request_parser<bhttp::buffer_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(limit);
      boost::system::error_code ec;
      bhttp::read_header(conn.stream, buffer, parser, ec);
      conn.idle = false;
      conn.armDeadline(kIoTimeout);
      const auto t0 = Clock::now();
      if (ec && ec != bhttp::error::body_limit) {
        if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
            ec == net::error::connection_reset || ec == net::error::not_connected ||
            ec == net::error::operation_aborted || ec == net::error::bad_descriptor ||
            ec == bhttp::error::partial_message || ec == net::ssl::error::stream_truncated ||
            (conn.tls && ec.category() == net::error::get_ssl_category()))
          break;  // client closed, or the watchdog / stop() shut the socket
        BeastWriter w(conn, 11, false);
        const bool too_big = ec == bhttp::error::header_limit;
        try {
          w.send(too_big ? 431 : 400, {{"Content-Type", "application/json"}},
                 http::errorBody(too_big
                                     ? "the request headers exceed 64 KiB"
                                     : "the request is not valid HTTP/1.1 (" + ec.message() + ")"));
        } catch (const std::exception&) {
        }
        spdlog::info("HTTP from {}: malformed request refused with {} ({})", conn.peer,
                     too_big ? 431 : 400, ec.message());
        drain(conn);
        break;
      }
      const auto& msg = parser.get();
      http::HttpRequest req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      req.peer = conn.peer;
      req.secure = conn.tls != nullptr;
      req.client_cert_cn = conn.client_cert_cn;
      for (const auto& f : msg) {
        const std::string name = http::lower(std::string(f.name_string()));
        auto it = req.headers.find(name);
        if (it == req.headers.end())
          req.headers.emplace(name, std::string(f.value()));
        else
          it->second += ", " + std::string(f.value());
      }
      req.base_url = baseUrl(parser, req.secure);
      const size_t qmark = req.target.find('?');
      const std::string raw_path = req.target.substr(0, qmark);
      auto segments = http::splitPath(raw_path);
      auto query = http::parseQuery(qmark == std::string::npos
                                        ? std::string_view()
                                        : std::string_view(req.target).substr(qmark + 1));
      req.path = raw_path;
      bool keep_alive = msg.keep_alive() && !stopping;
      BeastBody body(conn, buffer, parser, limit);
      req.body = &body;
      BeastWriter w(conn, msg.version(), keep_alive, &body);
      bool lost = false;
      try {
        if (ec == bhttp::error::body_limit) {
          const std::string declared(msg[bhttp::field::content_length]);
          throw HttpError(413, "the request body (" + (declared.empty() ? "?" : declared) +
                                   " bytes) is larger than the hub accepts (" +
                                   std::to_string(limit) + " bytes)");
        }
        if (!req.secure && tls_port && config.tls.http == "redirect")
          throw HttpError(308, "this hub answers over HTTPS only: " + httpsLocation(req),
                          {{"Location", httpsLocation(req)}});
        if (!segments || !query)
          throw HttpError(400, "the request path or query has a malformed %-escape");
        req.segments = std::move(*segments);
        req.query = std::move(*query);
        dispatch(req, w);
      } catch (const HttpError& e) {
        // Only from before dispatch, or a handler failing after its response started.
        if (!w.started()) {
          try {
            http::Headers headers = e.headers();
            headers.emplace_back("Content-Type", "application/json");
            w.send(e.status(), std::move(headers), http::errorBody(e.what()));
          } catch (const std::exception&) {
            lost = true;
          }
        } else {
          lost = true;
        }
      } catch (const std::exception& e) {
        lost = true;
        if (!dynamic_cast<const ConnectionLost*>(&e))
          spdlog::warn("HTTP {} {} from {} aborted after its response started: {}", req.method,
                       http::loggablePath(req.path), conn.peer, e.what());
      }
      if (!lost && !w.complete()) lost = true;  // a handler that did not finish its response
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
      spdlog::info("HTTP{} {} {} -> {} in {} ms ({} bytes, {}{})", req.secure ? "S" : "",
                   req.method, http::loggablePath(req.path), w.status() ? w.status() : 0, ms,
                   w.bytes(), conn.peer,
                   conn.client_cert_cn.empty() ? "" : ", certificate " + conn.client_cert_cn);
      if (lost) break;
      if (!body.done()) {
        drain(conn);
        break;
      }
      if (!keep_alive || stopping) break;
    }
    boost::system::error_code ec;
    if (ready && conn.tls) SSL_shutdown(conn.tls->native_handle());  // close_notify, no wait
    conn.socket.shutdown(tcp::socket::shutdown_both, ec);
    conn.close();
    // Under the lock: the accept thread joins done connections while holding it.
    std::lock_guard<std::mutex> lock(mu);
    conn.done = true;
    cv.notify_all();
  }
};

HttpServer::HttpServer(HubServices& services) : impl_(std::make_unique<Impl>(services)) {}

HttpServer::HttpServer(HubConfig listen, const std::function<void(http::Router&)>& add_routes)
    : impl_(std::make_unique<Impl>(std::move(listen), add_routes)) {}

HttpServer::~HttpServer() { stop(); }

namespace {

void listenOn(tcp::acceptor& acceptor, const net::ip::address& address, uint16_t port,
              const std::string& what, const std::string& bind_address) {
  boost::system::error_code ec;
  const tcp::endpoint ep(address, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    throw std::runtime_error("cannot listen for " + what + " on " + bind_address + ":" +
                             std::to_string(port) + " (" + ec.message() +
                             "); is another program using that port?");
  }
}

}  // namespace

void HttpServer::start() {
  auto& m = *impl_;
  if (m.running) return;
  const auto& cfg = m.config;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(cfg.bind_address, ec);
  if (ec)
    throw std::runtime_error("the HTTP bind address '" + cfg.bind_address +
                             "' is not an IP address");
  const bool https = cfg.tls.enabled() && cfg.tls.https_port != 0;
  const bool plain = !https || cfg.tls.http != "off";
  if (https) {
    m.tls_ctx.emplace(http::makeHttpsContext(cfg.tls));
    listenOn(m.tls_acceptor, address, cfg.tls.https_port, "HTTPS", cfg.bind_address);
    m.tls_port = m.tls_acceptor.local_endpoint().port();
  }
  if (plain) {
    try {
      listenOn(m.acceptor, address, cfg.http_port, "HTTP", cfg.bind_address);
    } catch (const std::exception&) {
      m.tls_acceptor.close(ec);
      throw;
    }
    m.port = m.acceptor.local_endpoint().port();
  }
  m.bind_host = address.is_v6() ? "[" + cfg.bind_address + "]" : cfg.bind_address;
  if (address.is_unspecified()) m.bind_host = "127.0.0.1";
  m.stopping = false;
  m.running = true;
  if (plain) m.accept_thread = std::thread([&m] { m.acceptLoop(m.acceptor, false); });
  if (https) m.tls_accept_thread = std::thread([&m] { m.acceptLoop(m.tls_acceptor, true); });
  m.watchdog_thread = std::thread([&m] { m.watchdog(); });
  if (plain)
    spdlog::info("HTTP listening on {}:{}{}", cfg.bind_address, m.port,
                 https && cfg.tls.http == "redirect" ? " (redirects to HTTPS)" : "");
  if (https)
    spdlog::info("HTTPS listening on {}:{} (TLS {} and up, client certificates: {})",
                 cfg.bind_address, m.tls_port, cfg.tls.min_version, cfg.tls.client_cert);
}

void HttpServer::stop() {
  auto& m = *impl_;
  if (!m.running) return;
  m.running = false;
  m.stopping = true;
  // Unblocks accept(); closing an acceptor another thread waits on is not safe in Asio.
  if (m.acceptor.is_open()) ::shutdown(m.acceptor.native_handle(), SHUT_RDWR);
  if (m.tls_acceptor.is_open()) ::shutdown(m.tls_acceptor.native_handle(), SHUT_RDWR);
  if (m.accept_thread.joinable()) m.accept_thread.join();
  if (m.tls_accept_thread.joinable()) m.tls_accept_thread.join();
  boost::system::error_code ec;
  m.acceptor.close(ec);
  m.tls_acceptor.close(ec);
  {
    std::unique_lock<std::mutex> lock(m.mu);
    for (auto& c : m.conns)
      if (c->idle) c->shutdownSocket();
    const auto deadline = Clock::now() + kStopGrace;
    m.cv.wait_until(lock, deadline, [&m] {
      for (auto& c : m.conns)
        if (!c->done) return false;
      return true;
    });
    for (auto& c : m.conns) c->shutdownSocket();
    m.cv.notify_all();
  }
  if (m.watchdog_thread.joinable()) m.watchdog_thread.join();
  std::list<std::unique_ptr<Connection>> conns;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    conns.swap(m.conns);
  }
  for (auto& c : conns)
    if (c->thread.joinable()) c->thread.join();
  spdlog::info("HTTP stopped");
}

uint16_t HttpServer::port() const { return impl_->port; }

uint16_t HttpServer::tlsPort() const { return impl_->tls_port; }

}  // namespace dualread
