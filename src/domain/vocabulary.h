#pragma once
// Vocabulary tables for the domain's enums: each value with its machine code (used in JSON and
// the database) and its English and French labels (used in letters and the UI). Header-only
// helpers over constexpr tables; thread-safe (read-only data).

#include <cstddef>
#include <string_view>

namespace dualread::vocab {

// One row of an enum's vocabulary: machine code, English label, French label.
template <class E>
struct Vocab {
  E value;
  const char* code;
  const char* en;
  const char* fr;
};

// The row of `v`; tables list every value, so the fallback to the first row never happens.
template <class E, std::size_t N>
const Vocab<E>& row(const Vocab<E> (&table)[N], E v) {
  for (const auto& r : table)
    if (r.value == v) return r;
  return table[0];
}

// Sets `out` to the value whose code is `code`; returns false when no row has that code.
template <class E, std::size_t N>
bool parseRow(const Vocab<E> (&table)[N], std::string_view code, E& out) {
  for (const auto& r : table)
    if (code == r.code) {
      out = r.value;
      return true;
    }
  return false;
}

}  // namespace dualread::vocab
