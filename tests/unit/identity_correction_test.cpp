// The pure rules of a secretary's correction of a woman's identity: field validation, what
// changed, the INS OID kept or dropped, and when corrected traits are another woman's.

#include "domain/identity_correction.h"

#include <gtest/gtest.h>

namespace dualread {
namespace {

constexpr const char* kIns = "265037512345601";  // female, born 1965-03, valid key

IdentityTraits claire() {
  IdentityTraits t;
  t.birth_name = "MARTIN";
  t.first_names = "CLAIRE ANNE";
  t.birth_date = "19650301";
  t.sex = "F";
  t.nir = kIns;
  t.ins_oid = kInsNirOid;
  t.status = InsStatus::kVerified;
  return t;
}

std::vector<std::string> fields(const IdentityTraits& t) {
  std::vector<std::string> out;
  for (const auto& e : checkCorrectedTraits(t, "20261123")) out.push_back(e.field);
  return out;
}

TEST(IdentityCorrection, ValidTraitsPass) {
  EXPECT_TRUE(fields(claire()).empty());
  IdentityTraits t = claire();
  t.birth_place = "2B033";
  t.used_names = {"DURAND"};
  EXPECT_TRUE(fields(t).empty());
  t.nir.clear();
  t.status = InsStatus::kProvisional;
  EXPECT_TRUE(fields(t).empty());
}

TEST(IdentityCorrection, EachWrongFieldIsNamed) {
  using V = std::vector<std::string>;
  IdentityTraits t = claire();
  t.birth_name = "--";
  t.first_names = std::string(81, 'A');
  EXPECT_EQ(fields(t), (V{"birth_name", "first_names"}));
  t = claire();
  t.used_names = std::vector<std::string>(11, "X");
  EXPECT_EQ(fields(t), V{"used_names"});
  t = claire();
  t.birth_date = "19650230";
  EXPECT_EQ(fields(t), V{"birth_date"}) << "the NIR is not compared with an invalid date";
  t = claire();
  t.birth_date = "18991231";  // and the NIR's year and month contradict it: two sentences
  EXPECT_EQ(fields(t), (V{"birth_date", "ins", "ins"}));
  t = claire();
  t.birth_date = "20261124";  // tomorrow
  EXPECT_EQ(fields(t), (V{"birth_date", "ins", "ins"}));
  t = claire();
  t.sex = "f";
  EXPECT_EQ(fields(t), V{"sex"});
  t = claire();
  t.birth_place = "2C001";
  EXPECT_EQ(fields(t), V{"birth_place"});
  t.birth_place = "750561";
  EXPECT_EQ(fields(t), V{"birth_place"});
  t = claire();
  t.nir = "265037512345602";
  EXPECT_EQ(fields(t), V{"ins"});
  t.nir = "2650375123456";
  EXPECT_EQ(fields(t), V{"ins"});
  t = claire();
  t.sex = "M";
  EXPECT_EQ(fields(t), V{"ins"});
  t = claire();
  t.nir.clear();
  EXPECT_EQ(fields(t), V{"status"}) << "verified needs an INS";
}

TEST(IdentityCorrection, ChangedTraitsAndTheInsOid) {
  IdentityTraits a = claire(), b = claire();
  EXPECT_TRUE(changedTraits(a, b).empty());
  b.birth_name = "MARTNI";
  b.status = InsStatus::kProvisional;
  EXPECT_EQ(changedTraits(a, b), (std::vector<std::string>{"birth_name", "status"}));
  a.ins_oid = "INS-NIR";
  EXPECT_EQ(correctedInsOid(a, kIns, InsStatus::kVerified), "INS-NIR") << "kept as received";
  EXPECT_EQ(correctedInsOid(a, "", InsStatus::kProvisional), "");
  EXPECT_EQ(correctedInsOid(a, "270010101234522", InsStatus::kVerified), kInsNirOid);
  EXPECT_EQ(correctedInsOid(a, "270010101234522", InsStatus::kProvisional), "");
  a.ins_oid.clear();
  EXPECT_EQ(correctedInsOid(a, kIns, InsStatus::kVerified), kInsNirOid);
  WomanIdentity w = withTraits(WomanIdentity{}, claire());
  EXPECT_EQ(traitsOf(w), claire());
}

TEST(IdentityCorrection, SameWomanIsTheSameInsOrTheSameTraitsWithoutTwoInses) {
  WomanIdentity a = withTraits(WomanIdentity{}, claire());
  a.id = 1;
  WomanIdentity b = a;
  b.id = 2;
  b.nir.clear();
  b.first_names = "Claire-Anne";
  EXPECT_TRUE(sameWomanAs(a, b)) << "same traits, one INS";
  b.nir = "265037512345601";
  EXPECT_NE(sameWomanAs(a, b)->find("same INS"), std::string::npos);
  b.nir = "265037512345698";  // another INS: homonyms, two people
  EXPECT_FALSE(sameWomanAs(a, b));
  b.nir.clear();
  b.birth_date = "19650302";
  EXPECT_FALSE(sameWomanAs(a, b));
  b = a;
  b.id = 2;
  b.merged_into = 7;
  EXPECT_FALSE(sameWomanAs(a, b)) << "a merged woman is not a candidate";
  EXPECT_FALSE(sameWomanAs(a, a)) << "not herself";
}

}  // namespace
}  // namespace dualread
