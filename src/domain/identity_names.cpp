#include "domain/identity_names.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

namespace dualread {
namespace {

// Folding of the two-byte UTF-8 letters of Latin-1 (C3 xx) and of Œ/œ (C5 92/93).
const char* foldC3(unsigned char b) {
  switch (b) {
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83:
    case 0x84:
    case 0x85:
    case 0xA0:
    case 0xA1:
    case 0xA2:
    case 0xA3:
    case 0xA4:
    case 0xA5:
      return "A";
    case 0x86:
    case 0xA6:
      return "AE";
    case 0x87:
    case 0xA7:
      return "C";
    case 0x88:
    case 0x89:
    case 0x8A:
    case 0x8B:
    case 0xA8:
    case 0xA9:
    case 0xAA:
    case 0xAB:
      return "E";
    case 0x8C:
    case 0x8D:
    case 0x8E:
    case 0x8F:
    case 0xAC:
    case 0xAD:
    case 0xAE:
    case 0xAF:
      return "I";
    case 0x91:
    case 0xB1:
      return "N";
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x95:
    case 0x96:
    case 0x98:
    case 0xB2:
    case 0xB3:
    case 0xB4:
    case 0xB5:
    case 0xB6:
    case 0xB8:
      return "O";
    case 0x99:
    case 0x9A:
    case 0x9B:
    case 0x9C:
    case 0xB9:
    case 0xBA:
    case 0xBB:
    case 0xBC:
      return "U";
    case 0x9D:
    case 0xBD:
    case 0xBF:
      return "Y";
    case 0x9F:
      return "SS";
    default:
      return "";
  }
}

std::vector<std::string> words(const std::string& folded) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < folded.size()) {
    size_t j = folded.find(' ', i);
    if (j == std::string::npos) j = folded.size();
    if (j > i) out.push_back(folded.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool isMarker(const std::string& w) {
  return w == "EP" || w == "EPOUSE" || w == "EPSE" || w == "NEE" || w == "VEUVE" || w == "VVE" ||
         w == "DITE";
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& w : v) out += w;
  return out;
}

}  // namespace

std::string foldName(const std::string& s) {
  std::string out;
  bool pending_space = false;
  auto letters = [&](const char* l) {
    if (!*l) return;
    if (pending_space && !out.empty()) out += ' ';
    pending_space = false;
    out += l;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 'a' && c <= 'z') {
      const char l[2] = {static_cast<char>(c - 32), 0};
      letters(l);
    } else if (c >= 'A' && c <= 'Z') {
      const char l[2] = {static_cast<char>(c), 0};
      letters(l);
    } else if (c == 0xC3 && i + 1 < s.size()) {
      letters(foldC3(static_cast<unsigned char>(s[++i])));
    } else if (c == 0xC5 && i + 1 < s.size()) {
      const unsigned char n = static_cast<unsigned char>(s[++i]);
      letters(n == 0x92 || n == 0x93 ? "OE" : "");
    } else if (c >= 0xC0) {
      // Another multi-byte letter: skip its continuation bytes.
      while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
    } else if (c == ' ' || c == '-' || c == '\'' || c == '.' || c == ',' || c == '^' || c == '\t') {
      pending_space = true;
    } else if (c == 0xE2) {
      // U+2019 RIGHT SINGLE QUOTATION MARK (E2 80 99), a typographic apostrophe.
      i += 2;
      pending_space = true;
    }
  }
  return out;
}

std::string nameKey(const std::string& s) {
  std::string out;
  for (char c : foldName(s))
    if (c != ' ') out += c;
  return out;
}

std::vector<std::string> familyWords(const std::string& s) {
  std::vector<std::string> out;
  for (auto& w : words(foldName(s)))
    if (!isMarker(w)) out.push_back(std::move(w));
  return out;
}

bool familyNameMatches(const std::string& written, const std::string& birth_name,
                       const std::vector<std::string>& used_names) {
  const std::string key = nameKey(written);
  if (key.empty()) return false;
  if (!birth_name.empty() && key == nameKey(birth_name)) return true;
  for (const auto& u : used_names)
    if (key == nameKey(u)) return true;
  // Compound of birth and used name, in either order, markers ignored.
  const std::string compact = joined(familyWords(written));
  const std::string b = nameKey(birth_name);
  for (const auto& u : used_names) {
    const std::string k = nameKey(u);
    if (!b.empty() && !k.empty() && (compact == b + k || compact == k + b)) return true;
  }
  return false;
}

bool firstNamesMatch(const std::string& written, const std::string& civil) {
  const std::string w = nameKey(written);
  if (w.empty()) return false;
  // Civil first names are separated by spaces or commas; a hyphen joins a compound first name.
  std::vector<std::string> units;
  std::string cur;
  for (char c : civil) {
    if (c == ' ' || c == ',') {
      if (!cur.empty()) units.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) units.push_back(cur);
  std::string prefix;
  for (const auto& u : units) {
    prefix += nameKey(u);
    if (prefix == w) return true;
    if (prefix.size() >= w.size()) break;
  }
  return false;
}

int editDistance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

bool nearName(const std::string& a, const std::string& b) {
  const std::string ka = nameKey(a), kb = nameKey(b);
  if (ka.empty() || kb.empty() || ka == kb) return false;
  const int max = std::min(ka.size(), kb.size()) < 6 ? 1 : 2;
  return editDistance(ka, kb) <= max;
}

bool validDicomDate(const std::string& s) {
  if (s.size() != 8 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  using namespace std::chrono;
  const year_month_day ymd{year{std::atoi(s.substr(0, 4).c_str())},
                           month{static_cast<unsigned>(std::atoi(s.substr(4, 2).c_str()))},
                           day{static_cast<unsigned>(std::atoi(s.substr(6, 2).c_str()))}};
  return ymd.ok();
}

bool nearDate(const std::string& a, const std::string& b) {
  if (a == b || !validDicomDate(a) || !validDicomDate(b)) return false;
  int diff = 0;
  for (size_t i = 0; i < 8; ++i) diff += a[i] != b[i];
  if (diff == 1) return true;
  for (size_t i = 0; i + 1 < 8; ++i) {
    std::string s = a;
    std::swap(s[i], s[i + 1]);
    if (s == b) return true;
  }
  if (a.substr(0, 4) == b.substr(0, 4) && a.substr(4, 2) == b.substr(6, 2) &&
      a.substr(6, 2) == b.substr(4, 2))
    return true;
  using namespace std::chrono;
  auto days = [](const std::string& s) {
    return sys_days{year{std::atoi(s.substr(0, 4).c_str())} /
                    month{static_cast<unsigned>(std::atoi(s.substr(4, 2).c_str()))} /
                    day{static_cast<unsigned>(std::atoi(s.substr(6, 2).c_str()))}};
  };
  return std::abs((days(a) - days(b)).count()) == 1;
}

}  // namespace dualread
