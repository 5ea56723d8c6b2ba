#include "tls/dev_cert.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

namespace dualread::tls {
namespace {

namespace fs = std::filesystem;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string opensslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("dev-cert: " + what + " failed (" + opensslError() + ")");
}

KeyPtr newKey() {
  // RSA 2048: accepted by every DICOM TLS profile DCMTK implements (BCP 195) and by browsers.
  EVP_PKEY* k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  check(k != nullptr, "generating an RSA key");
  return KeyPtr(k, &EVP_PKEY_free);
}

void addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "building the extension " + value);
  check(X509_add_ext(cert, ext, -1) == 1, "adding the extension " + value);
  X509_EXTENSION_free(ext);
}

X509Ptr newCertificate(EVP_PKEY* key, const std::string& cn, int days) {
  X509Ptr cert(X509_new(), &X509_free);
  check(cert != nullptr, "allocating a certificate");
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial) == 1, "drawing a serial number");
  serial[0] &= 0x7f;  // positive
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 &BN_free);
  check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) != nullptr,
        "setting the serial number");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);  // tolerate small clock skews
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add = [&](const char* field, const std::string& v) {
    check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1,
                                     0) == 1,
          std::string("setting the certificate ") + field);
  };
  add("O", "dualread test CA (not for production)");
  add("CN", cn);
  return cert;
}

void sign(X509* cert, X509* issuer, EVP_PKEY* issuer_key) {
  check(X509_set_issuer_name(cert, X509_get_subject_name(issuer)) == 1, "setting the issuer");
  check(X509_sign(cert, issuer_key, EVP_sha256()) > 0, "signing the certificate");
}

std::string pemOf(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  check(PEM_write_bio_X509(bio.get(), cert) == 1, "encoding a certificate");
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<size_t>(n));
}

std::string pemOf(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "encoding a private key");
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, static_cast<size_t>(n));
}

// Writes through a temporary file, fsync, rename, fsync of the directory: a crash leaves the
// old file or the new one, never half a key. Keys are created 0600 from the first byte.
void writeAtomic(const fs::path& path, const std::string& data, mode_t mode) {
  const fs::path tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0)
    throw std::runtime_error("dev-cert: cannot create " + tmp.string() + " (" +
                             std::strerror(errno) + ")");
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error("dev-cert: cannot write " + tmp.string() + " (" + err + ")");
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    ::unlink(tmp.c_str());
    throw std::runtime_error("dev-cert: cannot save " + tmp.string() + " (" + err + ")");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("dev-cert: cannot rename into " + path.string() + " (" +
                             std::strerror(errno) + ")");
  const int dfd = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("dev-cert: cannot read " + p.string());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool isIp(const std::string& h) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, h.c_str(), buf) == 1 || ::inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

void checkHost(const std::string& h) {
  if (isIp(h)) return;
  bool ok = !h.empty() && h.size() <= 253 && h.front() != '-' && h.front() != '.';
  for (char c : h)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '*'))
      ok = false;
  if (!ok)
    throw std::runtime_error("dev-cert: '" + h +
                             "' is neither a host name nor an IP address (--hosts)");
}

void checkClientName(const std::string& n) {
  bool ok = !n.empty() && n.size() <= 64;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      ok = false;
  if (!ok || n.front() == '.')
    throw std::runtime_error("dev-cert: client name '" + n +
                             "' must be 1 to 64 letters, digits, '-', '_' or '.' (it names "
                             "the file and the certificate's CN)");
}

}  // namespace

DevCertResult writeDevCertificates(const DevCertOptions& o) {
  if (o.out.empty()) throw std::runtime_error("dev-cert: --out is required");
  if (o.hosts.empty()) throw std::runtime_error("dev-cert: --hosts needs at least one name");
  if (o.days < 1 || o.days > 3650)
    throw std::runtime_error("dev-cert: --days must be from 1 to 3650");
  for (const auto& h : o.hosts) checkHost(h);
  for (const auto& c : o.clients) checkClientName(c);
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec)
    throw std::runtime_error("dev-cert: cannot create " + o.out.string() + " (" + ec.message() +
                             ")");
  DevCertResult result;
  const fs::path ca_pem = o.out / "ca.pem", ca_key_pem = o.out / "ca-key.pem";

  X509Ptr ca(nullptr, &X509_free);
  KeyPtr ca_key(nullptr, &EVP_PKEY_free);
  if (fs::exists(ca_pem) && fs::exists(ca_key_pem)) {
    const std::string cert_text = readAll(ca_pem), key_text = readAll(ca_key_pem);
    BioPtr cb(BIO_new_mem_buf(cert_text.data(), static_cast<int>(cert_text.size())), &BIO_free);
    BioPtr kb(BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size())), &BIO_free);
    ca.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    ca_key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    if (!ca || !ca_key || X509_check_private_key(ca.get(), ca_key.get()) != 1) {
      ERR_clear_error();
      throw std::runtime_error("dev-cert: " + ca_pem.string() + " and " + ca_key_pem.string() +
                               " exist but are not a matching certificate and key; move them "
                               "away to create a new test CA");
    }
    result.reused_ca = true;
  } else {
    ca_key = newKey();
    ca = newCertificate(ca_key.get(), "dualread test CA", 3650);
    addExt(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    addExt(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    addExt(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    sign(ca.get(), ca.get(), ca_key.get());
    writeAtomic(ca_key_pem, pemOf(ca_key.get()), 0600);
    writeAtomic(ca_pem, pemOf(ca.get()), 0644);
    result.written.push_back(ca_pem);
    result.written.push_back(ca_key_pem);
  }

  auto issue = [&](const std::string& cn, const std::string& file_stem, const std::string& eku,
                   const std::string& san) {
    KeyPtr key = newKey();
    X509Ptr cert = newCertificate(key.get(), cn, o.days);
    addExt(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    addExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    addExt(cert.get(), ca.get(), NID_ext_key_usage, eku);
    addExt(cert.get(), ca.get(), NID_subject_key_identifier, "hash");
    addExt(cert.get(), ca.get(), NID_authority_key_identifier, "keyid");
    if (!san.empty()) addExt(cert.get(), ca.get(), NID_subject_alt_name, san);
    sign(cert.get(), ca.get(), ca_key.get());
    const fs::path key_path = o.out / (file_stem + "-key.pem");
    const fs::path cert_path = o.out / (file_stem + ".pem");
    writeAtomic(key_path, pemOf(key.get()), 0600);
    writeAtomic(cert_path, pemOf(cert.get()), 0644);
    result.written.push_back(cert_path);
    result.written.push_back(key_path);
  };

  std::string san;
  for (const auto& h : o.hosts)
    san += std::string(san.empty() ? "" : ",") + (isIp(h) ? "IP:" : "DNS:") + h;
  // clientAuth too: the hub shows this certificate when it opens DICOM TLS to a remote AE.
  issue(o.hosts.front(), "server", "serverAuth,clientAuth", san);
  for (const auto& c : o.clients) issue(c, "client-" + c, "clientAuth", "");
  return result;
}

}  // namespace dualread::tls
