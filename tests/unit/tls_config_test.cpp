// TLS configuration: the [tls] table and [[remote_ae]] tls key of the hub's TOML file, the
// checks of the certificate, key and CA files run before any port opens (each bad file or
// setting refused with a sentence, never a crash), and the test CA of `admin dev-cert`.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "app/config_loader.h"
#include "hub_fixture.h"
#include "tls/dev_cert.h"
#include "tls/tls_files.h"

namespace dualread::testing {
namespace {

namespace fs = std::filesystem;

X509* readCert(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (!f) return nullptr;
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return x;
}

EVP_PKEY* readKey(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (!f) return nullptr;
  EVP_PKEY* k = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return k;
}

// X.509 path validation of `leaf` against the CA file, for `purpose` (X509_PURPOSE_*).
bool verifies(const fs::path& ca, const fs::path& leaf, int purpose) {
  X509_STORE* store = X509_STORE_new();
  X509* ca_cert = readCert(ca);
  X509* cert = readCert(leaf);
  bool ok = false;
  if (ca_cert && cert && X509_STORE_add_cert(store, ca_cert) == 1) {
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, cert, nullptr);
    X509_STORE_CTX_set_purpose(ctx, purpose);
    ok = X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
  }
  X509_free(ca_cert);
  X509_free(cert);
  X509_STORE_free(store);
  return ok;
}

class TlsConfigTest : public ::testing::Test {
 protected:
  // RSA key generation is slow: one test CA for the suite, copied for each test.
  static void SetUpTestSuite() {
    shared_ = new fs::path(makeTempDir("dualread-tls-pki"));
    tls::DevCertOptions o;
    o.out = *shared_ / "pki";
    o.clients = {"gateway-cim1"};
    shared_result_ = new tls::DevCertResult(tls::writeDevCertificates(o));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*shared_, ec);
    delete shared_;
    delete shared_result_;
  }
  void SetUp() override {
    dir_ = makeTempDir("dualread-tls");
    fs::copy(*shared_ / "pki", dir_ / "pki", fs::copy_options::recursive);
    result_ = *shared_result_;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  HubConfig load(const std::string& toml) {
    const auto file = dir_ / "hub.toml";
    std::ofstream(file) << toml;
    HubConfig c;
    loadHubConfig(file, c);
    return c;
  }
  std::string loadError(const std::string& toml) {
    try {
      load(toml);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  HubConfig good() const {
    HubConfig c;
    c.tls.cert = dir_ / "pki/server.pem";
    c.tls.key = dir_ / "pki/server-key.pem";
    c.tls.ca = dir_ / "pki/ca.pem";
    return c;
  }
  static std::string checkError(const HubConfig& c) {
    try {
      tls::checkTlsConfig(c);
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
  static inline fs::path* shared_ = nullptr;
  static inline tls::DevCertResult* shared_result_ = nullptr;
  fs::path dir_;
  tls::DevCertResult result_;
};

TEST_F(TlsConfigTest, ParsesTheTlsTableWithPathsRelativeToTheFile) {
  const HubConfig c = load(R"(
[tls]
cert = "pki/server.pem"
key = "/etc/dualread/server-key.pem"
ca = "pki/ca.pem"
min_version = "1.3"
client_cert = "optional"
https_port = 9443
http = "redirect"
dicom_port = 2763
dicom_plain = false
hsts_max_age = 600

[[remote_ae]]
aet = "PACS"
port = 2762
tls = true
)");
  EXPECT_EQ(c.tls.cert, dir_ / "pki/server.pem");
  EXPECT_EQ(c.tls.key, fs::path("/etc/dualread/server-key.pem"));
  EXPECT_EQ(c.tls.ca, dir_ / "pki/ca.pem");
  EXPECT_EQ(c.tls.min_version, "1.3");
  EXPECT_EQ(c.tls.client_cert, "optional");
  EXPECT_EQ(c.tls.https_port, 9443);
  EXPECT_EQ(c.tls.http, "redirect");
  EXPECT_EQ(c.tls.dicom_port, 2763);
  EXPECT_FALSE(c.tls.dicom_plain);
  EXPECT_EQ(c.tls.hsts_max_age, 600);
  ASSERT_EQ(c.remote_aes.size(), 1u);
  EXPECT_TRUE(c.remote_aes[0].tls);
  EXPECT_TRUE(c.tls.enabled());
}

TEST_F(TlsConfigTest, DefaultsLeaveTlsOff) {
  const HubConfig c = load("[hub]\naet = \"X\"\n");
  EXPECT_FALSE(c.tls.enabled());
  EXPECT_EQ(c.tls.https_port, 8443);
  EXPECT_EQ(c.tls.dicom_port, 2762);
  EXPECT_EQ(c.tls.min_version, "1.2");
  EXPECT_NO_THROW(tls::checkTlsConfig(c));
}

TEST_F(TlsConfigTest, RefusesUnknownKeysAndWrongTypes) {
  EXPECT_NE(loadError("[tls]\ncertificate = \"a.pem\"\n").find("unknown key 'certificate'"),
            std::string::npos);
  EXPECT_NE(loadError("[tls]\nhttps_port = \"443\"\n").find("https_port must be a port"),
            std::string::npos);
  EXPECT_NE(loadError("[tls]\ndicom_port = 70000\n").find("dicom_port must be a port"),
            std::string::npos);
  EXPECT_NE(loadError("[tls]\ndicom_plain = \"no\"\n").find("true or false"), std::string::npos);
  EXPECT_NE(loadError("[tls]\ncert = 3\n").find("cert must be a string"), std::string::npos);
  EXPECT_NE(loadError("tls = 1\n").find("[tls] must be a table"), std::string::npos);
  EXPECT_NE(loadError("[[remote_ae]]\naet = \"P\"\ntls = \"yes\"\n").find("tls must be true"),
            std::string::npos);
}

TEST_F(TlsConfigTest, AcceptsTheDevCertificatesAndSummarisesThem) {
  const auto s = tls::checkTlsConfig(good());
  EXPECT_EQ(s.subject_cn, "localhost");
  EXPECT_NE(std::find(s.names.begin(), s.names.end(), "DNS:localhost"), s.names.end());
  EXPECT_NE(std::find(s.names.begin(), s.names.end(), "IP:127.0.0.1"), s.names.end());
  EXPECT_GT(s.days_left, 800);
}

TEST_F(TlsConfigTest, RefusesAMissingKeyFile) {
  HubConfig c = good();
  c.tls.key = dir_ / "pki/nope-key.pem";
  const std::string e = checkError(c);
  EXPECT_NE(e.find("nope-key.pem does not exist"), std::string::npos) << e;
}

TEST_F(TlsConfigTest, RefusesAKeyOfAnotherCertificate) {
  HubConfig c = good();
  c.tls.key = dir_ / "pki/client-gateway-cim1-key.pem";
  const std::string e = checkError(c);
  EXPECT_NE(e.find("does not belong to the certificate"), std::string::npos) << e;
}

TEST_F(TlsConfigTest, RefusesFilesThatAreNotPem) {
  std::ofstream(dir_ / "junk.pem") << "not a certificate\n";
  HubConfig c = good();
  c.tls.cert = dir_ / "junk.pem";
  EXPECT_NE(checkError(c).find("holds no PEM certificate"), std::string::npos);
  c = good();
  c.tls.key = dir_ / "junk.pem";
  EXPECT_NE(checkError(c).find("holds no PEM private key"), std::string::npos);
  c = good();
  c.tls.ca = dir_ / "junk.pem";
  EXPECT_NE(checkError(c).find("[tls] ca file"), std::string::npos);
  std::ofstream(dir_ / "empty.pem").close();
  c = good();
  c.tls.cert = dir_ / "empty.pem";
  EXPECT_NE(checkError(c).find("is empty"), std::string::npos);
}

TEST_F(TlsConfigTest, RefusesAPassphraseProtectedKey) {
  EVP_PKEY* key = readKey(dir_ / "pki/server-key.pem");
  ASSERT_NE(key, nullptr);
  FILE* f = std::fopen((dir_ / "enc-key.pem").c_str(), "w");
  ASSERT_NE(f, nullptr);
  static const char kPass[] = "secret";
  ASSERT_EQ(PEM_write_PKCS8PrivateKey(f, key, EVP_aes_256_cbc(), kPass, sizeof kPass - 1, nullptr,
                                      nullptr),
            1);
  std::fclose(f);
  EVP_PKEY_free(key);
  HubConfig c = good();
  c.tls.key = dir_ / "enc-key.pem";
  EXPECT_NE(checkError(c).find("protected by a passphrase"), std::string::npos);
}

TEST_F(TlsConfigTest, RefusesAnExpiredCertificate) {
  EVP_PKEY* key = readKey(dir_ / "pki/server-key.pem");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3 * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), -86400);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("old"), -1, -1, 0);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  FILE* f = std::fopen((dir_ / "old.pem").c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  HubConfig c = good();
  c.tls.cert = dir_ / "old.pem";
  EXPECT_NE(checkError(c).find("expired on"), std::string::npos) << checkError(c);
}

TEST_F(TlsConfigTest, RefusesInconsistentSettings) {
  HubConfig c = good();
  c.tls.min_version = "1.1";
  EXPECT_NE(checkError(c).find("TLS 1.0 and 1.1 are never offered"), std::string::npos);
  c = good();
  c.tls.client_cert = "always";
  EXPECT_NE(checkError(c).find("client_cert is 'always'"), std::string::npos);
  c = good();
  c.tls.ca.clear();
  c.tls.client_cert = "require";
  EXPECT_NE(checkError(c).find("needs ca"), std::string::npos);
  c = good();
  c.tls.http = "off";
  c.tls.https_port = 0;
  EXPECT_NE(checkError(c).find("leaves no web door"), std::string::npos);
  c = good();
  c.tls.dicom_plain = false;
  c.tls.dicom_port = 0;
  EXPECT_NE(checkError(c).find("no DICOM door"), std::string::npos);
  c = good();
  c.tls.key.clear();
  EXPECT_NE(checkError(c).find("key is not"), std::string::npos);
  c = good();
  c.tls.dicom_port = c.dicom_port;
  EXPECT_NE(checkError(c).find("both"), std::string::npos);
  HubConfig off;
  off.remote_aes.push_back({"PACS", "127.0.0.1", 2762, true});
  EXPECT_NE(checkError(off).find("remote AE PACS"), std::string::npos);
  off.tls.key = "k.pem";
  EXPECT_NE(checkError(off).find("cert is not"), std::string::npos);
}

TEST_F(TlsConfigTest, DevCertWritesPrivateKeysForTheOwnerOnly) {
  for (const char* name : {"ca-key.pem", "server-key.pem", "client-gateway-cim1-key.pem"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "pki" / name).c_str(), &st), 0) << name;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
  }
  EXPECT_FALSE(result_.reused_ca);
  EXPECT_EQ(result_.written.size(), 6u);
}

TEST_F(TlsConfigTest, DevCertIssuesServerAndClientCertificatesTheCaVerifies) {
  const fs::path pki = dir_ / "pki";
  EXPECT_TRUE(verifies(pki / "ca.pem", pki / "server.pem", X509_PURPOSE_SSL_SERVER));
  EXPECT_TRUE(verifies(pki / "ca.pem", pki / "client-gateway-cim1.pem", X509_PURPOSE_SSL_CLIENT));
  // A client certificate is not a server certificate.
  EXPECT_FALSE(verifies(pki / "ca.pem", pki / "client-gateway-cim1.pem", X509_PURPOSE_SSL_SERVER));
  X509* client = readCert(pki / "client-gateway-cim1.pem");
  EXPECT_EQ(tls::commonName(client), "gateway-cim1");
  X509_free(client);
}

TEST_F(TlsConfigTest, DevCertReusesItsCaForNewClients) {
  tls::DevCertOptions o;
  o.out = dir_ / "pki";
  o.hosts = {"hub.example.org", "10.0.0.5"};
  o.clients = {"gateway-cim2"};
  const auto r = tls::writeDevCertificates(o);
  EXPECT_TRUE(r.reused_ca);
  EXPECT_TRUE(
      verifies(o.out / "ca.pem", o.out / "client-gateway-cim2.pem", X509_PURPOSE_SSL_CLIENT));
  EXPECT_TRUE(verifies(o.out / "ca.pem", o.out / "server.pem", X509_PURPOSE_SSL_SERVER));
  HubConfig c = good();
  const auto s = tls::checkTlsConfig(c);
  EXPECT_EQ(s.subject_cn, "hub.example.org");
  EXPECT_NE(std::find(s.names.begin(), s.names.end(), "IP:10.0.0.5"), s.names.end());
}

TEST_F(TlsConfigTest, DevCertRefusesBadNamesAndAMismatchedCa) {
  tls::DevCertOptions o;
  o.out = dir_ / "pki2";
  o.hosts = {"bad host"};
  EXPECT_THROW(tls::writeDevCertificates(o), std::runtime_error);
  o.hosts = {"localhost"};
  o.clients = {"../evil"};
  EXPECT_THROW(tls::writeDevCertificates(o), std::runtime_error);
  // A CA key that is not the CA certificate's: refused, nothing overwritten.
  o.clients.clear();
  o.out = dir_ / "pki";
  fs::copy_file(dir_ / "pki/server-key.pem", dir_ / "pki/ca-key.pem",
                fs::copy_options::overwrite_existing);
  try {
    tls::writeDevCertificates(o);
    FAIL() << "a mismatched CA was used";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a matching certificate and key"), std::string::npos);
  }
}

}  // namespace
}  // namespace dualread::testing
