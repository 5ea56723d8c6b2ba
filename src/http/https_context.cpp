#include "http/https_context.h"

#include <openssl/ssl.h>

#include <stdexcept>

#include "tls/tls_files.h"

namespace dualread::http {

namespace ssl = boost::asio::ssl;

ssl::context makeHttpsContext(const TlsConfig& tls) {
  ssl::context ctx(ssl::context::tls_server);
  SSL_CTX* native = ctx.native_handle();
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                  ssl::context::no_compression | ssl::context::single_dh_use);
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, tls::minProtocolVersion(tls.min_version)) != 1 ||
      SSL_CTX_set_cipher_list(native, tls::kTls12CipherList) != 1)
    throw std::runtime_error("HTTPS: OpenSSL refused the protocol or cipher settings");
  boost::system::error_code ec;
  ctx.use_certificate_chain_file(tls.cert.string(), ec);
  if (ec)
    throw std::runtime_error("HTTPS: cannot use the certificate " + tls.cert.string() + " (" +
                             ec.message() + ")");
  ctx.use_private_key_file(tls.key.string(), ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("HTTPS: cannot use the private key " + tls.key.string() + " (" +
                             ec.message() + ")");
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::runtime_error("HTTPS: the private key " + tls.key.string() +
                             " does not belong to the certificate " + tls.cert.string());
  if (tls.client_cert != "none") {
    ctx.load_verify_file(tls.ca.string(), ec);
    if (ec)
      throw std::runtime_error("HTTPS: cannot load the client CAs " + tls.ca.string() + " (" +
                               ec.message() + ")");
    // Tells clients which CAs are accepted, so that a gateway picks the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.ca.c_str()))
      SSL_CTX_set_client_CA_list(native, names);
    ssl::verify_mode mode = ssl::verify_peer;
    if (tls.client_cert == "require") mode |= ssl::verify_fail_if_no_peer_cert;
    ctx.set_verify_mode(mode);
    // Session resumption with client certificates needs a context id.
    static const unsigned char kSessionContext[] = "dualread-https";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  } else {
    ctx.set_verify_mode(ssl::verify_none);
  }
  return ctx;
}

}  // namespace dualread::http
