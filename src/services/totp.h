#pragma once
// TOTP (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits — what authenticator apps use) and the
// base32 (RFC 4648) encoding of its shared secrets. Stateless functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>

namespace dualread {

// A new random secret (20 bytes), base32 without padding.
std::string newTotpSecret();
// The 6-digit code of `secret_base32` for the 30-second step containing `unix_seconds`;
// nullopt when the secret is not valid base32.
std::optional<std::string> totpCode(const std::string& secret_base32, int64_t unix_seconds);
// The step (unix_seconds / 30) whose code `code` is, searching `now`'s step and one step
// either side (clock drift); nullopt when none matches.
std::optional<int64_t> totpMatchStep(const std::string& secret_base32, const std::string& code,
                                     int64_t unix_seconds);
// otpauth://totp/dualread:<login>?secret=...&issuer=dualread, for authenticator apps.
std::string totpUri(const std::string& login, const std::string& secret_base32);

std::string base32Encode(const std::string& bytes);
std::optional<std::string> base32Decode(const std::string& text);

}  // namespace dualread
