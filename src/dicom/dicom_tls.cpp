#include "dicom/dicom_tls.h"

#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmtls/tlsciphr.h>
#include <openssl/ssl.h>

#include <stdexcept>
#include <vector>

#include "tls/tls_files.h"

namespace dualread {

std::unique_ptr<DcmTLSTransportLayer> makeDicomTlsLayer(const TlsConfig& tls, bool acceptor) {
  auto layer = std::make_unique<DcmTLSTransportLayer>(acceptor ? NET_ACCEPTOR : NET_REQUESTOR,
                                                      nullptr, OFTrue);
  if (!*layer) throw std::runtime_error("DICOM TLS: OpenSSL could not be initialised");
  const std::string where = acceptor ? "the TLS DICOM port" : "DICOM TLS to remote AEs";
  // BCP 195 non-downgrading: TLS 1.2 and up, ECDHE with AES-GCM (DCMTK's default profile,
  // the one storescu +tls uses).
  OFCondition cond = layer->setTLSProfile(TSP_Profile_BCP195_ND);
  if (cond.good()) cond = layer->activateCipherSuites();
  if (cond.bad())
    throw std::runtime_error("DICOM TLS: cannot set the BCP 195 profile for " + where + " (" +
                             cond.text() + ")");
  // Within the profile, TLS 1.2 keeps the ECDHE suites only (the same list as HTTPS: BCP 195
  // also allows finite-field DHE, slower and which OpenSSL would otherwise prefer).
  SSL_CTX* ctx = layer->getNativeHandle();
  if (!ctx || SSL_CTX_set_min_proto_version(ctx, tls::minProtocolVersion(tls.min_version)) != 1 ||
      SSL_CTX_set_cipher_list(ctx, tls::kTls12CipherList) != 1)
    throw std::runtime_error("DICOM TLS: OpenSSL refused the protocol or cipher settings for " +
                             where);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (layer->setPrivateKeyFile(tls.key.c_str(), DCF_Filetype_PEM).bad())
    throw std::runtime_error("DICOM TLS: cannot use the private key " + tls.key.string() + " for " +
                             where);
  if (layer->setCertificateFile(tls.cert.c_str(), DCF_Filetype_PEM).bad())
    throw std::runtime_error("DICOM TLS: cannot use the certificate " + tls.cert.string() +
                             " for " + where);
  if (!layer->checkPrivateKeyMatchesCertificate())
    throw std::runtime_error("DICOM TLS: the private key " + tls.key.string() +
                             " does not belong to the certificate " + tls.cert.string());
  if (!tls.ca.empty() && layer->addTrustedCertificateFile(tls.ca.c_str(), DCF_Filetype_PEM).bad())
    throw std::runtime_error("DICOM TLS: cannot load the trusted CAs " + tls.ca.string());
  if (acceptor) {
    if (tls.client_cert == "require")
      layer->setCertificateVerification(DCV_requireCertificate);
    else if (tls.client_cert == "optional")
      layer->setCertificateVerification(DCV_checkCertificate);
    else
      layer->setCertificateVerification(DCV_ignoreCertificate);
    static const unsigned char kSessionContext[] = "dualread-dicom";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  } else {
    layer->setCertificateVerification(DCV_requireCertificate);  // the remote AE must prove it
  }
  return layer;
}

std::string peerCertificateCn(T_ASC_Association* assoc) {
  const unsigned long length = ASC_getPeerCertificateLength(assoc);
  if (length == 0) return {};
  std::vector<unsigned char> der(length);
  if (ASC_getPeerCertificate(assoc, der.data(), length) != length) return {};
  return tls::commonNameOfDer(der.data(), der.size());
}

}  // namespace dualread
