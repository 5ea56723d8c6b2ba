#include "services/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include <cctype>

namespace dualread {

namespace {
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr int64_t kStep = 30;
}  // namespace

std::string base32Encode(const std::string& bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> base32Decode(const std::string& text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == '=' || ch == ' ' || ch == '-') continue;
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= '2' && c <= '7') v = c - '2' + 26;
    if (v < 0) return std::nullopt;
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string newTotpSecret() {
  std::string key(20, '\0');
  randombytes_buf(key.data(), key.size());
  return base32Encode(key);
}

std::optional<std::string> totpCode(const std::string& secret_base32, int64_t unix_seconds) {
  auto key = base32Decode(secret_base32);
  if (!key) return std::nullopt;
  uint64_t counter = static_cast<uint64_t>(unix_seconds / kStep);
  unsigned char msg[8];
  for (int i = 7; i >= 0; --i) {
    msg[i] = static_cast<unsigned char>(counter & 0xff);
    counter >>= 8;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), key->data(), static_cast<int>(key->size()), msg, sizeof msg, mac,
            &mac_len) ||
      mac_len < 20)
    return std::nullopt;
  const int offset = mac[mac_len - 1] & 0x0f;
  const uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) |
                       (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                       (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                       static_cast<uint32_t>(mac[offset + 3]);
  std::string code = std::to_string(bin % 1000000);
  return std::string(6 - code.size(), '0') + code;
}

std::optional<int64_t> totpMatchStep(const std::string& secret_base32, const std::string& code,
                                     int64_t unix_seconds) {
  if (code.size() != 6) return std::nullopt;
  for (int64_t d : {0, -1, 1}) {
    const int64_t t = unix_seconds + d * kStep;
    auto c = totpCode(secret_base32, t);
    if (c && sodium_memcmp(c->data(), code.data(), 6) == 0) return t / kStep;
  }
  return std::nullopt;
}

std::string totpUri(const std::string& login, const std::string& secret_base32) {
  return "otpauth://totp/dualread:" + login + "?secret=" + secret_base32 +
         "&issuer=dualread&algorithm=SHA1&digits=6&period=30";
}

}  // namespace dualread
