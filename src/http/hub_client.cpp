// Each request runs its asynchronous steps on a private io_context, one step at a time, so that
// every step has a deadline (beast::tcp_stream's expiry) while the code reads like a blocking
// client. Synchronous Asio calls cannot time out on a link that is down: they would hang.

#include "http/hub_client.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <memory>
#include <vector>

#include "http/http_util.h"

namespace dualread {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

constexpr size_t kChunk = 64 << 10;
constexpr uint64_t kResponseLimit = 16 << 20;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string prefix;  // path prefix without trailing '/'
};

Url parseUrl(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    throw std::invalid_argument("the hub URL must start with http:// or https:// (got '" + url +
                                "')");
  }
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) u.prefix = rest.substr(slash);
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    u.host = authority.substr(0, colon);
    u.port = authority.substr(colon + 1);
  } else {
    u.host = authority;
    u.port = u.tls ? "443" : "80";
  }
  if (u.host.empty() || u.port.empty() ||
      u.port.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument("the hub URL has no valid host and port ('" + url + "')");
  return u;
}

}  // namespace

struct HubClient::Impl {
  HubClientOptions options;
  Url url;
  std::unique_ptr<ssl::context> tls;

  // Runs one asynchronous step to completion; throws HubLinkError naming `what` on failure.
  template <class Start>
  void step(net::io_context& ioc, const char* what, Start&& start) {
    boost::system::error_code result;
    bool done = false;
    start([&](boost::system::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    while (!done && ioc.run_one() > 0) {
    }
    if (!done) throw HubLinkError(std::string("the link to the hub stalled while ") + what);
    if (result) {
      const std::string why = result == beast::error::timeout
                                  ? std::string("no progress before the deadline")
                                  : result.message();
      throw HubLinkError("the link to the hub failed while " + std::string(what) + " (" + why +
                         ")");
    }
  }

  template <class Stream>
  HubResponse exchange(net::io_context& ioc, Stream& stream, const std::string& method,
                       const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string* body, const std::filesystem::path* file, uint64_t offset,
                       uint64_t length, const std::function<void(size_t)>* pace,
                       std::atomic<uint64_t>* sent) {
    auto& lowest = beast::get_lowest_layer(stream);
    bhttp::request<bhttp::empty_body> req;
    req.method_string(method);
    req.target(url.prefix + path);
    req.version(11);
    req.set(bhttp::field::host, url.host);
    req.set(bhttp::field::user_agent, "dualread-gateway/" DUALREAD_VERSION);
    req.set(bhttp::field::connection, "close");
    if (!options.bearer_token.empty())
      req.set(bhttp::field::authorization, "Bearer " + options.bearer_token);
    for (const auto& [k, v] : headers) req.set(k, v);
    const uint64_t body_size = body ? body->size() : length;
    if (body || file || method == "POST" || method == "PUT" || method == "PATCH")
      req.content_length(body_size);
    bhttp::request_serializer<bhttp::empty_body> sr{req};
    lowest.expires_after(options.io_timeout);
    step(ioc, "sending a request",
         [&](auto handler) { bhttp::async_write_header(stream, sr, std::move(handler)); });
    if (body && !body->empty()) {
      lowest.expires_after(options.io_timeout);
      step(ioc, "sending a request body",
           [&](auto handler) { net::async_write(stream, net::buffer(*body), std::move(handler)); });
    }
    if (file && length > 0) {
      std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file->c_str(), "rb"),
                                                         &std::fclose);
      if (!in || ::fseeko(in.get(), static_cast<off_t>(offset), SEEK_SET) != 0)
        throw std::runtime_error("cannot read the queued file " + file->filename().string());
      std::vector<char> buf(kChunk);
      uint64_t left = length;
      while (left > 0) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
        if (std::fread(buf.data(), 1, want, in.get()) != want)
          throw std::runtime_error("the queued file " + file->filename().string() +
                                   " is shorter than recorded");
        if (pace && *pace) (*pace)(want);
        lowest.expires_after(options.io_timeout);
        step(ioc, "sending image bytes", [&](auto handler) {
          net::async_write(stream, net::buffer(buf.data(), want), std::move(handler));
        });
        if (sent) *sent += want;
        left -= want;
      }
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kResponseLimit);
    lowest.expires_after(options.io_timeout);
    step(ioc, "waiting for the hub's answer",
         [&](auto handler) { bhttp::async_read(stream, buffer, parser, std::move(handler)); });
    HubResponse out;
    const auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) out.headers[http::lower(f.name_string())] = std::string(f.value());
    out.body = res.body();
    return out;
  }

  HubResponse run(const std::string& method, const std::string& path,
                  const std::vector<std::pair<std::string, std::string>>& headers,
                  const std::string* body, const std::filesystem::path* file, uint64_t offset,
                  uint64_t length, const std::function<void(size_t)>* pace,
                  std::atomic<uint64_t>* sent) {
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    step(ioc, "looking up the hub's address", [&](auto handler) {
      resolver.async_resolve(url.host, url.port,
                             [&endpoints, handler = std::move(handler)](
                                 boost::system::error_code ec, tcp::resolver::results_type r) {
                               endpoints = r;
                               handler(ec);
                             });
    });
    if (!url.tls) {
      beast::tcp_stream stream(ioc);
      stream.expires_after(options.connect_timeout);
      step(ioc, "connecting",
           [&](auto handler) { stream.async_connect(endpoints, std::move(handler)); });
      auto r = exchange(ioc, stream, method, path, headers, body, file, offset, length, pace, sent);
      boost::system::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      return r;
    }
    beast::ssl_stream<beast::tcp_stream> stream(ioc, *tls);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()))
      throw HubLinkError("cannot set the TLS server name");
    if (options.verify_peer) stream.set_verify_callback(ssl::host_name_verification(url.host));
    beast::get_lowest_layer(stream).expires_after(options.connect_timeout);
    step(ioc, "connecting", [&](auto handler) {
      beast::get_lowest_layer(stream).async_connect(endpoints, std::move(handler));
    });
    beast::get_lowest_layer(stream).expires_after(options.connect_timeout);
    try {
      step(ioc, "checking the hub's TLS certificate", [&](auto handler) {
        stream.async_handshake(ssl::stream_base::client, std::move(handler));
      });
    } catch (const HubLinkError& e) {
      throw HubLinkError(std::string(e.what()) +
                         "; check the hub's certificate and the gateway's CA file");
    }
    auto r = exchange(ioc, stream, method, path, headers, body, file, offset, length, pace, sent);
    boost::system::error_code ec;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
    return r;
  }
};

HubClient::HubClient(HubClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->url = parseUrl(impl_->options.base_url);
  if (impl_->url.tls) {
    impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    if (impl_->options.ca_file.empty())
      impl_->tls->set_default_verify_paths(ec);
    else
      impl_->tls->load_verify_file(impl_->options.ca_file, ec);
    if (ec)
      throw std::invalid_argument(
          "cannot load the trusted certificate authorities" +
          (impl_->options.ca_file.empty() ? std::string() : " from " + impl_->options.ca_file) +
          ": " + ec.message());
    if (impl_->options.verify_peer) {
      impl_->tls->set_verify_mode(ssl::verify_peer);
    } else {
      impl_->tls->set_verify_mode(ssl::verify_none);
      spdlog::warn(
          "The hub's TLS certificate is NOT checked (tls_verify = false): use this only "
          "for tests");
    }
  }
}

HubClient::~HubClient() = default;

HubResponse HubClient::request(const std::string& method, const std::string& path,
                               const std::vector<std::pair<std::string, std::string>>& headers,
                               const std::string& body) {
  return impl_->run(method, path, headers, &body, nullptr, 0, 0, nullptr, nullptr);
}

HubResponse HubClient::upload(const std::string& method, const std::string& path,
                              const std::vector<std::pair<std::string, std::string>>& headers,
                              const std::filesystem::path& file, uint64_t offset, uint64_t length,
                              const std::function<void(size_t)>& pace,
                              std::atomic<uint64_t>* sent) {
  return impl_->run(method, path, headers, nullptr, &file, offset, length, &pace, sent);
}

const std::string& HubClient::baseUrl() const { return impl_->options.base_url; }
bool HubClient::secure() const { return impl_->url.tls; }

}  // namespace dualread
