#include "http/http_util.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

namespace dualread::http {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits `s` on `sep` outside double quotes.
std::vector<std::string_view> splitOutsideQuotes(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == sep && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string unquote(std::string_view v) {
  std::string t = trim(v);
  if (t.size() >= 2 && t.front() == '"' && t.back() == '"') {
    std::string out;
    for (size_t i = 1; i + 1 < t.size(); ++i) {
      if (t[i] == '\\' && i + 2 < t.size()) ++i;
      out += t[i];
    }
    return out;
  }
  return t;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      const char d = static_cast<char>(hi * 16 + lo);
      if (d == '\0') return std::nullopt;
      out += d;
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::vector<std::string>> splitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (!seg.empty()) {
      auto d = percentDecode(seg, false);
      if (!d) return std::nullopt;
      out.push_back(std::move(*d));
    }
    start = slash + 1;
  }
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>> parseQuery(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= q.size()) {
    size_t amp = q.find('&', start);
    if (amp == std::string_view::npos) amp = q.size();
    std::string_view item = q.substr(start, amp - start);
    if (!item.empty()) {
      const size_t eq = item.find('=');
      auto key = percentDecode(item.substr(0, eq), true);
      auto value = percentDecode(
          eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1), true);
      if (!key || !value) return std::nullopt;
      out.emplace_back(std::move(*key), std::move(*value));
    }
    start = amp + 1;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

std::optional<MediaType> parseMediaType(std::string_view s) {
  auto pieces = splitOutsideQuotes(s, ';');
  MediaType m;
  m.type = lower(trim(pieces[0]));
  const size_t slash = m.type.find('/');
  if (m.type.empty() || slash == std::string::npos || slash == 0 || slash + 1 == m.type.size() ||
      m.type.find_first_of(" \t\"") != std::string::npos)
    return std::nullopt;
  for (size_t i = 1; i < pieces.size(); ++i) {
    const std::string_view p = pieces[i];
    const size_t eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string name = lower(trim(p.substr(0, eq)));
    const std::string value = unquote(p.substr(eq + 1));
    if (name == "q") {
      try {
        m.q = std::stod(value);
      } catch (...) {
        m.q = 0;
      }
      continue;
    }
    if (!name.empty()) m.params[name] = value;
  }
  return m;
}

std::vector<MediaType> parseAccept(std::string_view s) {
  std::vector<MediaType> out;
  for (auto item : splitOutsideQuotes(s, ',')) {
    if (trim(item).empty()) continue;
    auto m = parseMediaType(item);
    if (m && m->q > 0) out.push_back(std::move(*m));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const MediaType& a, const MediaType& b) { return a.q > b.q; });
  return out;
}

std::string errorBody(const std::string& sentence) {
  return nlohmann::json{{"error", sentence}}.dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
}

std::string headerSafe(std::string_view s, size_t max) {
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= max) break;
    if (c == '"' || c == '\\')
      out += '\'';
    else if (c < 0x20 || c >= 0x7f)
      out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : '?';
    else
      out += static_cast<char>(c);
  }
  return out;
}

std::optional<int64_t> parseNonNegative(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string newBoundary() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng(
      std::random_device{}() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  char buf[64];
  std::snprintf(buf, sizeof buf, "dualread-%016llx-%llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(++counter));
  return buf;
}

std::string joinList(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

}  // namespace dualread::http
