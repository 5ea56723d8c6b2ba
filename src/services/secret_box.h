#pragma once
// SecretBox: encryption at rest of the few secrets the hub must be able to read back (the TOTP
// shared secrets of staff accounts), with a host key kept outside the database. XChaCha20-
// Poly1305 (libsodium crypto_aead_xchacha20poly1305_ietf) with a random 192-bit nonce per
// value; the associated data binds each value to its owner (the login), so a row copied onto
// another account does not decrypt. The key is 32 random bytes, hex, in a file created with
// mode 0600 at first use (O_EXCL: two processes never write two keys). Owned by AccessService;
// immutable after construction, thread-safe.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

namespace dualread {

// The key file cannot be used (unreadable, malformed, readable by others, cannot be created):
// the sentence says which file and what to do.
class SecretKeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SecretBox {
 public:
  // Values sealed by this class start with this prefix; anything else is a legacy clear value.
  static constexpr const char* kPrefix = "xc1:";

  // Loads the key at `key_file`; when the file does not exist and `create` is true, creates it
  // (mode 0600) with a new random key. Throws SecretKeyError (missing and !create, unreadable,
  // not 64 hex digits, group/other permissions, cannot create).
  SecretBox(const std::filesystem::path& key_file, bool create);
  ~SecretBox();
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;

  // "xc1:" + base64(nonce || ciphertext || tag) of `plain`, bound to `owner`.
  std::string seal(const std::string& plain, const std::string& owner) const;
  // The plain value, or nullopt when `sealed` was not sealed with this key for `owner` (another
  // key, another owner, altered, or not a sealed value at all).
  std::optional<std::string> open(const std::string& sealed, const std::string& owner) const;
  static bool isSealed(const std::string& value);

  const std::filesystem::path& keyFile() const { return file_; }

 private:
  std::filesystem::path file_;
  unsigned char key_[32];
};

}  // namespace dualread
