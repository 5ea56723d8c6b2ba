#pragma once
// AccessSettings: the operator's knobs for authentication — lockout, login rate limit, session
// lifetimes, validity of women's access codes and share links, and the cost of password
// hashing. Part of HubConfig ([access] in the TOML file); read-only once the hub runs.

#include <cstdint>
#include <string>

namespace dualread {

struct AccessSettings {
  int max_failed_logins = 5;           // consecutive failures before the account is locked
  int lockout_minutes = 15;            // how long a locked account stays locked
  int login_attempts_per_minute = 20;  // per source address, all logins together
  int session_idle_minutes = 30;       // a session unused this long ends
  int session_max_hours = 12;          // a session ends this long after login whatever happens
  int woman_code_valid_days = 400;     // a woman's access code (one per round) expires after
  int share_link_max_days = 30;        // longest validity a share link may be given
  // argon2id cost: "interactive" (libsodium's interactive limits, 64 MiB), "moderate"
  // (256 MiB), or "minimum" (tests only: fast, not for production).
  std::string password_cost = "interactive";
  // The key that encrypts TOTP secrets at rest (32 random bytes, hex, mode 0600). Empty: the
  // file access.key next to the index, created at first use.
  std::string totp_key_file;
};

}  // namespace dualread
