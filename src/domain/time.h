#pragma once
// Calendar vocabulary of the screening domain: a civil date (Date) and an instant (TimePoint),
// both UTC, plus the few date computations the programme rules need (completed age, adding
// months, ISO 8601 text). The domain never reads a clock: callers pass `now` / `today` in, so
// every rule is reproducible in tests. Header-only, pure functions, thread-safe.

#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace dualread {

// A civil date (mammogram date, birth date, deadline). Day precision, no time zone: the
// programme counts in days.
using Date = std::chrono::sys_days;
// An instant (signature, event time), UTC, second precision.
using TimePoint = std::chrono::sys_seconds;

inline Date makeDate(int y, unsigned m, unsigned d) {
  return Date{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

inline TimePoint makeTime(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  return TimePoint{makeDate(y, m, d)} + std::chrono::hours{hh} + std::chrono::minutes{mm} +
         std::chrono::seconds{ss};
}

inline Date dateOf(TimePoint t) { return std::chrono::floor<std::chrono::days>(t); }

// Whole days from `from` to `to` (negative when `to` is earlier).
inline int daysBetween(Date from, Date to) { return static_cast<int>((to - from).count()); }

inline Date addDays(Date d, int days) { return d + std::chrono::days{days}; }

// Adds calendar months; a day that does not exist in the target month (31 April, 29 February of
// a common year) is clamped to the month's last day, so 29 Feb + 12 months = 28 Feb.
inline Date addMonths(Date d, int months) {
  using namespace std::chrono;
  year_month_day ymd{d};
  year_month ym = ymd.year() / ymd.month();
  ym += std::chrono::months{months};
  const day last = year_month_day_last{ym.year(), month_day_last{ym.month()}}.day();
  return Date{ym.year() / ym.month() / (ymd.day() > last ? last : ymd.day())};
}

inline Date addYears(Date d, int years) { return addMonths(d, 12 * years); }

// Completed years on `on`. Somebody born on 29 February has her birthday on 1 March in a
// common year (she is not a year older on 28 February).
inline int ageInYears(Date birth, Date on) {
  using namespace std::chrono;
  const year_month_day b{birth};
  const year_month_day o{on};
  int age = static_cast<int>(o.year()) - static_cast<int>(b.year());
  if (o.month() < b.month() || (o.month() == b.month() && o.day() < b.day())) --age;
  return age;
}

// The day somebody born on `birth` turns `years`, consistent with ageInYears(): a 29 February
// birthday falls on 1 March in a common year.
inline Date anniversary(Date birth, int years) {
  using namespace std::chrono;
  const year_month_day b{birth};
  const year y = b.year() + std::chrono::years{years};
  const year_month_day target{y, b.month(), b.day()};
  if (target.ok()) return Date{target};
  return Date{y / March / 1};
}

// "YYYY-MM-DD".
inline std::string toIsoDate(Date d) {
  const std::chrono::year_month_day ymd{d};
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  const unsigned dd = static_cast<unsigned>(ymd.day());
  std::string out(10, '0');
  auto put = [&](int pos, int width, int value) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      out[pos + i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, y);
  out[4] = '-';
  put(5, 2, static_cast<int>(m));
  out[7] = '-';
  put(8, 2, static_cast<int>(dd));
  return out;
}

// "YYYY-MM-DDTHH:MM:SSZ".
inline std::string toIsoDateTime(TimePoint t) {
  const Date d = dateOf(t);
  const auto secs = static_cast<int>((t - TimePoint{d}).count());
  std::string out = toIsoDate(d) + "T00:00:00Z";
  auto put2 = [&](int pos, int v) {
    out[pos] = static_cast<char>('0' + v / 10);
    out[pos + 1] = static_cast<char>('0' + v % 10);
  };
  put2(11, secs / 3600);
  put2(14, (secs / 60) % 60);
  put2(17, secs % 60);
  return out;
}

namespace time_detail {
inline bool parseFixed(std::string_view s, size_t pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  for (size_t i = pos; i < pos + width; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return std::from_chars(s.data() + pos, s.data() + pos + width, out).ec == std::errc{};
}
}  // namespace time_detail

// Parses "YYYY-MM-DD"; nullopt when malformed or not a real calendar date.
inline std::optional<Date> parseIsoDate(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  if (!time_detail::parseFixed(s, 0, 4, y) || !time_detail::parseFixed(s, 5, 2, m) ||
      !time_detail::parseFixed(s, 8, 2, d))
    return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Date{ymd};
}

// Parses "YYYY-MM-DDTHH:MM:SSZ" (UTC only: the exchange format is always UTC so that two sites
// in different time zones agree on deadlines); nullopt otherwise.
inline std::optional<TimePoint> parseIsoDateTime(std::string_view s) {
  if (s.size() != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
    return std::nullopt;
  const auto d = parseIsoDate(s.substr(0, 10));
  int hh = 0, mm = 0, ss = 0;
  if (!d || !time_detail::parseFixed(s, 11, 2, hh) || !time_detail::parseFixed(s, 14, 2, mm) ||
      !time_detail::parseFixed(s, 17, 2, ss) || hh > 23 || mm > 59 || ss > 59)
    return std::nullopt;
  return TimePoint{*d} + std::chrono::hours{hh} + std::chrono::minutes{mm} +
         std::chrono::seconds{ss};
}

}  // namespace dualread
