#include "domain/identity_nir.h"

#include <cctype>
#include <cstdint>

namespace dualread {

NirCheck checkNir(const std::string& nir) {
  if (nir.size() != 15) return NirCheck::kMalformed;
  std::string digits = nir;
  const std::string dept = nir.substr(5, 2);
  if (dept == "2A" || dept == "2a") {
    digits.replace(5, 2, "19");
  } else if (dept == "2B" || dept == "2b") {
    digits.replace(5, 2, "18");
  }
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) return NirCheck::kMalformed;
  const char sex = digits[0];
  if (sex != '1' && sex != '2' && sex != '3' && sex != '4' && sex != '7' && sex != '8')
    return NirCheck::kMalformed;
  uint64_t number = 0;
  for (size_t i = 0; i < 13; ++i) number = number * 10 + static_cast<uint64_t>(digits[i] - '0');
  const int key = (digits[13] - '0') * 10 + (digits[14] - '0');
  return key == static_cast<int>(97 - number % 97) ? NirCheck::kValid : NirCheck::kBadKey;
}

std::vector<std::string> nirTraitConflicts(const std::string& nir, const std::string& birth_date,
                                           const std::string& sex) {
  std::vector<std::string> out;
  if (nir.size() != 15) return out;
  const char s = nir[0];
  const bool male = s == '1' || s == '3' || s == '7';
  if ((sex == "F" && male) || (sex == "M" && !male))
    out.push_back(std::string("its sex digit (") + s + ") contradicts sex " + sex);
  if (birth_date.size() == 8) {
    if (nir.substr(1, 2) != birth_date.substr(2, 2))
      out.push_back("its year of birth (" + nir.substr(1, 2) + ") contradicts the birth date " +
                    birth_date);
    const int mm = std::atoi(nir.substr(3, 2).c_str());
    if (mm >= 1 && mm <= 12 && nir.substr(3, 2) != birth_date.substr(4, 2))
      out.push_back("its month of birth (" + nir.substr(3, 2) + ") contradicts the birth date " +
                    birth_date);
  }
  return out;
}

}  // namespace dualread
