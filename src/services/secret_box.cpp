#include "services/secret_box.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

namespace dualread {

namespace {

constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kKeyBytes == 32);

std::string hexOf(const unsigned char* b, size_t n) {
  std::string out(2 * n + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), b, n);
  out.resize(2 * n);
  return out;
}

void createKeyFile(const std::filesystem::path& file, unsigned char* key) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return;  // another process created it first: read that one
    throw SecretKeyError("cannot create the key file " + file.string() + " (" +
                         std::strerror(errno) + ")");
  }
  randombytes_buf(key, kKeyBytes);
  const std::string text = hexOf(key, kKeyBytes) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(file, ec);
    throw SecretKeyError("cannot write the key file " + file.string());
  }
}

}  // namespace

SecretBox::SecretBox(const std::filesystem::path& key_file, bool create) : file_(key_file) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
  std::error_code ec;
  if (!std::filesystem::exists(file_, ec)) {
    if (!create)
      throw SecretKeyError("the key file " + file_.string() +
                           " is missing: the TOTP secrets stored in the index were encrypted with "
                           "it; restore it from the backup of the data directory");
    createKeyFile(file_, key_);
  }
  struct stat st {};
  if (::stat(file_.c_str(), &st) != 0)
    throw SecretKeyError("cannot read the key file " + file_.string() + " (" +
                         std::strerror(errno) + ")");
  if ((st.st_mode & 077) != 0)
    throw SecretKeyError("the key file " + file_.string() +
                         " may be read by other users: make it private (chmod 600 " +
                         file_.string() + ")");
  std::ifstream in(file_);
  std::string hex;
  if (!in || !std::getline(in, hex))
    throw SecretKeyError("cannot read the key file " + file_.string());
  while (!hex.empty() && (hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
  size_t len = 0;
  if (hex.size() != 2 * kKeyBytes ||
      sodium_hex2bin(key_, kKeyBytes, hex.c_str(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len != kKeyBytes) {
    sodium_memzero(key_, sizeof key_);
    throw SecretKeyError("the key file " + file_.string() +
                         " is not a key (64 hexadecimal digits expected)");
  }
  sodium_mlock(key_, sizeof key_);
}

SecretBox::~SecretBox() { sodium_munlock(key_, sizeof key_); }

bool SecretBox::isSealed(const std::string& value) { return value.rfind(kPrefix, 0) == 0; }

std::string SecretBox::seal(const std::string& plain, const std::string& owner) const {
  std::vector<unsigned char> buf(kNonceBytes + plain.size() + kTagBytes);
  randombytes_buf(buf.data(), kNonceBytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      buf.data() + kNonceBytes, &clen, reinterpret_cast<const unsigned char*>(plain.data()),
      plain.size(), reinterpret_cast<const unsigned char*>(owner.data()), owner.size(), nullptr,
      buf.data(), key_);
  const size_t n = kNonceBytes + clen;
  std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), buf.data(), n, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return kPrefix + out;
}

std::optional<std::string> SecretBox::open(const std::string& sealed,
                                           const std::string& owner) const {
  if (!isSealed(sealed)) return std::nullopt;
  const std::string b64 = sealed.substr(std::strlen(kPrefix));
  std::vector<unsigned char> buf(b64.size());
  size_t n = 0;
  if (sodium_base642bin(buf.data(), buf.size(), b64.c_str(), b64.size(), nullptr, &n, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      n < kNonceBytes + kTagBytes)
    return std::nullopt;
  std::string plain(n - kNonceBytes - kTagBytes, '\0');
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr, buf.data() + kNonceBytes,
          n - kNonceBytes, reinterpret_cast<const unsigned char*>(owner.data()), owner.size(),
          buf.data(), key_) != 0)
    return std::nullopt;
  plain.resize(plen);
  return plain;
}

}  // namespace dualread
