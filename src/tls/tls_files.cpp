#include "tls/tls_files.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <stdexcept>

namespace dualread::tls {

const char* const kTls12CipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

std::runtime_error fail(const std::string& sentence) {
  return std::runtime_error("TLS configuration: " + sentence);
}

// Reads a whole file the hub must be able to open; names the setting in the error.
std::string readFile(const std::filesystem::path& path, const std::string& setting) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw fail("the " + setting + " file " + path.string() + " does not exist");
  if (!std::filesystem::is_regular_file(path, ec))
    throw fail("the " + setting + " " + path.string() + " is not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw fail("the " + setting + " file " + path.string() +
               " cannot be read by the hub's user (check its permissions)");
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) throw fail("the " + setting + " file " + path.string() + " is empty");
  return data;
}

BioPtr memBio(const std::string& data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free);
}

std::vector<X509Ptr> readCertificates(const std::filesystem::path& path,
                                      const std::string& setting) {
  const std::string data = readFile(path, setting);
  auto bio = memBio(data);
  std::vector<X509Ptr> certs;
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    certs.emplace_back(x, &X509_free);
  ERR_clear_error();  // the end of the file reads as an error
  if (certs.empty())
    throw fail("the " + setting + " file " + path.string() +
               " holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)");
  return certs;
}

// Refuses passphrase prompts: the hub starts unattended.
int noPassphrase(char*, int, int, void*) { return -1; }

KeyPtr readKey(const std::filesystem::path& path) {
  const std::string data = readFile(path, "[tls] key");
  auto bio = memBio(data);
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio.get(), nullptr, &noPassphrase, nullptr);
  ERR_clear_error();
  if (!k) {
    if (data.find("ENCRYPTED") != std::string::npos)
      throw fail("the private key " + path.string() +
                 " is protected by a passphrase; the hub starts unattended and needs an "
                 "unencrypted key readable only by its own user");
    throw fail("the [tls] key file " + path.string() +
               " holds no PEM private key (expected -----BEGIN PRIVATE KEY-----)");
  }
  return KeyPtr(k, &EVP_PKEY_free);
}

std::string formatTime(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

std::vector<std::string> altNames(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_DNS) {
      const ASN1_STRING* s = n->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                         static_cast<size_t>(ASN1_STRING_length(s))));
    } else if (n->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = n->d.iPAddress;
      const unsigned char* p = ASN1_STRING_get0_data(s);
      char buf[64] = "?";
      if (ASN1_STRING_length(s) == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
      } else if (ASN1_STRING_length(s) == 16) {
        char text[INET6_ADDRSTRLEN] = {};
        if (::inet_ntop(AF_INET6, p, text, sizeof text)) std::snprintf(buf, sizeof buf, "%s", text);
      }
      out.push_back(std::string("IP:") + buf);
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

void checkChoice(const std::string& value, std::initializer_list<const char*> allowed,
                 const std::string& setting) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw fail(setting + " is '" + value + "'; it must be one of: " + list);
}

}  // namespace

int minProtocolVersion(const std::string& version) {
  if (version == "1.2") return TLS1_2_VERSION;
  if (version == "1.3") return TLS1_3_VERSION;
  throw fail("[tls] min_version is '" + version +
             "'; it must be \"1.2\" or \"1.3\" (TLS 1.0 and 1.1 are never offered)");
}

std::string commonName(X509* cert) {
  if (!cert) return {};
  X509_NAME* name = X509_get_subject_name(cert);
  const int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return {};
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return cn;
}

std::string commonNameOfDer(const unsigned char* der, size_t length) {
  const unsigned char* p = der;
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(length)), &X509_free);
  ERR_clear_error();
  return commonName(cert.get());
}

CertificateSummary checkTlsConfig(const HubConfig& config) {
  const TlsConfig& t = config.tls;
  CertificateSummary summary;
  if (!t.enabled()) {
    if (!t.key.empty() || !t.ca.empty())
      throw fail("[tls] key or ca is set but cert is not; set cert to turn TLS on");
    for (const auto& ae : config.remote_aes)
      if (ae.tls)
        throw fail("remote AE " + ae.aet +
                   " is reached over TLS (tls = true) but the hub has no [tls] cert, key and ca");
    return summary;
  }
  minProtocolVersion(t.min_version);
  checkChoice(t.client_cert, {"none", "optional", "require"}, "[tls] client_cert");
  checkChoice(t.http, {"serve", "redirect", "off"}, "[tls] http");
  if (t.key.empty()) throw fail("[tls] cert is set but key is not");
  if (t.client_cert != "none" && t.ca.empty())
    throw fail("[tls] client_cert = \"" + t.client_cert +
               "\" needs ca: the file of the CAs whose client certificates are accepted");
  if (t.http != "serve" && t.https_port == 0)
    throw fail("[tls] http = \"" + t.http + "\" leaves no web door: set https_port");
  if (!t.dicom_plain && t.dicom_port == 0)
    throw fail("[tls] dicom_plain = false and dicom_port = 0 leave no DICOM door");
  if (t.https_port != 0 && t.https_port == config.http_port && t.http != "off")
    throw fail("[tls] https_port and the HTTP port are both " + std::to_string(t.https_port));
  if (t.dicom_port != 0 && t.dicom_port == config.dicom_port && t.dicom_plain)
    throw fail("[tls] dicom_port and the plain DICOM port are both " +
               std::to_string(t.dicom_port));
  if (t.hsts_max_age < 0) throw fail("[tls] hsts_max_age must be 0 (off) or a number of seconds");
  for (const auto& ae : config.remote_aes)
    if (ae.tls && t.ca.empty())
      throw fail("remote AE " + ae.aet +
                 " is reached over TLS (tls = true): set [tls] ca to the CA that signed its "
                 "certificate");

  auto certs = readCertificates(t.cert, "[tls] cert");
  X509* leaf = certs.front().get();
  KeyPtr key = readKey(t.key);
  if (X509_check_private_key(leaf, key.get()) != 1) {
    ERR_clear_error();
    throw fail("the private key " + t.key.string() + " does not belong to the certificate " +
               t.cert.string() + " (they come from different certificate requests)");
  }
  if (!t.ca.empty()) readCertificates(t.ca, "[tls] ca");

  time_t now = std::time(nullptr);
  if (X509_cmp_time(X509_get0_notBefore(leaf), &now) > 0)
    throw fail("the certificate " + t.cert.string() + " is not valid before " +
               formatTime(X509_get0_notBefore(leaf)) + " (check the clock)");
  if (X509_cmp_time(X509_get0_notAfter(leaf), &now) < 0)
    throw fail("the certificate " + t.cert.string() + " expired on " +
               formatTime(X509_get0_notAfter(leaf)) + "; install a renewed one");
  int days = 0, secs = 0;
  ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(leaf));
  summary.days_left = days;
  summary.not_after = formatTime(X509_get0_notAfter(leaf));
  summary.subject_cn = commonName(leaf);
  summary.names = altNames(leaf);

  struct stat st {};
  if (::stat(t.key.c_str(), &st) == 0 && (st.st_mode & 0077))
    spdlog::warn(
        "The private key {} can be read by other users of this machine; restrict it "
        "(chmod 600)",
        t.key.string());
  if (summary.days_left < 30)
    spdlog::warn("The hub certificate {} expires in {} days ({}); renew it", t.cert.string(),
                 summary.days_left, summary.not_after);
  return summary;
}

}  // namespace dualread::tls
