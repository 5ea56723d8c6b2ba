#pragma once
// The NIR (numéro d'inscription au répertoire, the number the INS is built on): 13 characters
// — sex, year and month of birth, department (2A/2B for Corsica), commune, order — and a
// 2-digit key = 97 - (number mod 97), Corsica's 2A/2B counted as 19/18. checkNir() tells a
// malformed value from a wrong key (a typo: one digit changes the key); nirTraitConflicts() says
// which traits the number itself contradicts (sex digit, year and month of birth). Pure
// functions, thread-safe.

#include <string>
#include <vector>

namespace dualread {

enum class NirCheck { kValid, kMalformed, kBadKey };

// 15 characters expected (no spaces); kMalformed when the shape is wrong, kBadKey when the key
// does not match the number.
NirCheck checkNir(const std::string& nir);

// Sentences naming each trait a well-formed NIR contradicts: its sex digit (1/3/7 male, 2/4/8
// female) against `sex` ("F"/"M"), its year (2 digits) and month (01-12; other values mean
// unknown) against `birth_date` (YYYYMMDD). Empty traits are not checked.
std::vector<std::string> nirTraitConflicts(const std::string& nir, const std::string& birth_date,
                                           const std::string& sex);

}  // namespace dualread
