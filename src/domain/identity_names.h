#pragma once
// Comparison of identity traits as people and systems actually write them: names folded to
// upper-case ASCII without accents (É→E, Ç→C, Œ→OE), hyphens, apostrophes and spaces
// ignored ("LE GALL" = "LEGALL" = "Le-Gall", "D'ALMEIDA" = "DALMEIDA"), compound and married
// names ("DUPONT-MARTIN", "DUPONT ÉP. MARTIN") matched against a birth name and used names,
// first names compared against the civil list (the first one, or the first few), and the
// near misses that betray a typo (one letter, two swapped letters, one digit of a date, day and
// month swapped). Pure functions, thread-safe.

#include <string>
#include <vector>

namespace dualread {

// Upper-case ASCII, accents removed, every run of separators (space, hyphen, apostrophe, dot,
// comma, '^') as one space, trimmed. Bytes that are not Latin letters are dropped.
std::string foldName(const std::string& utf8);
// foldName without any separator: the key two spellings of one name share.
std::string nameKey(const std::string& utf8);
// The words of a (compound or married) family name, folded, without the markers "EP", "EPOUSE",
// "NEE", "VEUVE", "VVE", "DITE".
std::vector<std::string> familyWords(const std::string& utf8);

// Whether a family name as written matches a woman known by `birth_name` and `used_names`:
// equal keys to one of them, or a compound of her birth name and one used name in either order
// ("DUPONT MARTIN", "MARTIN-DUPONT", "MARTIN ÉP. DUPONT").
bool familyNameMatches(const std::string& written, const std::string& birth_name,
                       const std::vector<std::string>& used_names);

// Whether first names as written match the civil list `civil` (space separated, compound first
// names hyphenated): the written names, separators ignored, equal the first k civil names for
// some k >= 1 ("MARIE" matches "MARIE ANNE"; "MARIE NOELLE" matches "MARIE-NOËLLE"; "MARIE"
// does not match "MARIE-NOËLLE", another first name).
bool firstNamesMatch(const std::string& written, const std::string& civil);

// Optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps).
int editDistance(const std::string& a, const std::string& b);
// Two names that are probably one name mistyped: keys at distance 1 or 2 (1 for keys shorter
// than 6 letters), not equal.
bool nearName(const std::string& a, const std::string& b);

// Whether `yyyymmdd` is a valid calendar date written as 8 digits.
bool validDicomDate(const std::string& yyyymmdd);
// Two different birth dates that are probably one date mistyped: one digit differs, two
// adjacent digits swapped, day and month swapped, or one day apart.
bool nearDate(const std::string& a, const std::string& b);

}  // namespace dualread
