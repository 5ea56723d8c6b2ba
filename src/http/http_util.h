#pragma once
// Small, stateless HTTP helpers used by the server and the handlers: percent-decoding, query
// strings, media types with parameters (Content-Type, Accept), JSON error bodies, and cleaning
// text that goes into a header. Pure functions, thread-safe.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_types.h"

namespace dualread::http {

// Decodes %XX escapes (and '+' as space when `plus_as_space`). Returns nullopt on a malformed
// escape or an encoded NUL.
std::optional<std::string> percentDecode(std::string_view s, bool plus_as_space);

// Splits "/a/b%2Fc/" into {"a", "b/c"} (empty segments dropped). Returns nullopt when a segment
// cannot be decoded.
std::optional<std::vector<std::string>> splitPath(std::string_view path);

// Parses "a=1&b=x%20y&c" into ordered pairs. Returns nullopt on a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> parseQuery(std::string_view q);

// A media type with its parameters: "multipart/related; type=\"application/dicom\"".
// `type` and parameter names are lower case; parameter values are unquoted, case kept.
struct MediaType {
  std::string type;  // "multipart/related"
  std::map<std::string, std::string> params;
  double q = 1.0;  // from an Accept entry
  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
  bool has(const std::string& name) const { return params.count(name) != 0; }
};

// Parses one media type; nullopt when there is no "type/subtype".
std::optional<MediaType> parseMediaType(std::string_view s);
// Parses an Accept header into its media ranges, highest q first (order kept among equals);
// entries with q=0 are dropped. An empty header gives an empty list.
std::vector<MediaType> parseAccept(std::string_view s);

// Lower-cases ASCII.
std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string trim(std::string_view s);

// {"error": sentence} as text.
std::string errorBody(const std::string& sentence);

// Makes `s` safe inside a quoted header value: printable ASCII only (others become '?'), no
// double quotes or backslashes, at most `max` characters.
std::string headerSafe(std::string_view s, size_t max = 300);

// Parses a non-negative decimal integer; nullopt if `s` is not one or overflows.
std::optional<int64_t> parseNonNegative(std::string_view s);

// A fresh random multipart boundary.
std::string newBoundary();

// Joins "a", "b" -> "a, b".
std::string joinList(const std::vector<std::string>& items, std::string_view sep = ", ");

}  // namespace dualread::http
