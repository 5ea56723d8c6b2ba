// The identity matcher over the adversarial corpus (tests/data/identity_corpus.json): every
// case's decision, reason, woman and register effects; plus the name, date and NIR helpers.

#include "domain/identity_matcher.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "domain/identity_names.h"
#include "domain/identity_nir.h"

namespace dualread {
namespace {

using nlohmann::json;

WomanIdentity womanFrom(const json& j) {
  WomanIdentity w;
  w.id = j.at("id").get<int64_t>();
  w.nir = j.value("nir", "");
  w.ins_oid = j.value("ins_oid", "");
  w.status = insStatusFromCode(j.value("status", "unknown")).value();
  w.birth_name = j.value("birth_name", "");
  w.first_names = j.value("first_names", "");
  w.birth_date = j.value("birth_date", "");
  w.sex = j.value("sex", "");
  w.used_names = j.value("used_names", std::vector<std::string>{});
  const json ipps = j.value("ipps", json::object());
  for (auto it = ipps.begin(); it != ipps.end(); ++it)
    w.ipps.push_back({it.key(), it.value().get<std::string>()});
  if (j.contains("merged_into")) w.merged_into = j["merged_into"].get<int64_t>();
  return w;
}

IncomingIdentity incomingFrom(const json& j) {
  IncomingIdentity in;
  in.source = j.at("source") == "form" ? TraitSource::kForm : TraitSource::kDicom;
  in.cim = j.value("cim", "");
  in.ipp = j.value("ipp", "");
  if (in.source == TraitSource::kDicom) {
    splitPersonName(j.value("patient_name", ""), in.family_name, in.first_names);
  } else {
    in.birth_name = j.value("birth_name", "");
    in.used_name = j.value("used_name", "");
    in.first_names = j.value("first_names", "");
  }
  in.birth_date = j.value("birth_date", "");
  in.sex = j.value("sex", "");
  in.ins = j.value("ins", "");
  in.ins_oid = j.value("ins_oid", "");
  if (j.contains("linked_woman")) in.linked_woman = j["linked_woman"].get<int64_t>();
  return in;
}

json loadCorpus() {
  std::ifstream f(std::string(DUALREAD_SOURCE_DIR) + "/tests/data/identity_corpus.json");
  EXPECT_TRUE(f.good());
  return json::parse(f);
}

TEST(IdentityCorpus, HasAtLeastThirtyAdversarialCases) {
  const json corpus = loadCorpus();
  EXPECT_GE(corpus["cases"].size(), 30u);
  int queued = 0, attached = 0, created = 0;
  for (const auto& c : corpus["cases"]) {
    const std::string o = c["expect"]["outcome"];
    queued += o == "queue";
    attached += o == "attach";
    created += o == "create";
  }
  EXPECT_GE(queued, 15);
  EXPECT_GE(attached, 10);
  EXPECT_GE(created, 2);
}

TEST(IdentityCorpus, EveryCaseGetsItsExpectedDecision) {
  const json corpus = loadCorpus();
  std::vector<WomanIdentity> base;
  for (const auto& w : corpus["register"]) base.push_back(womanFrom(w));
  for (const auto& c : corpus["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::vector<WomanIdentity> reg = base;
    for (const auto& w : c.value("extra_women", json::array())) reg.push_back(womanFrom(w));
    const IdentityDecision d = matchIdentity(incomingFrom(c["incoming"]), reg);
    const json& e = c["expect"];
    EXPECT_EQ(toCode(d.outcome), e["outcome"].get<std::string>()) << d.explanation;
    EXPECT_FALSE(d.explanation.empty());
    if (e.contains("reason")) {
      EXPECT_EQ(toCode(d.reason), e["reason"].get<std::string>()) << d.explanation;
    } else {
      EXPECT_EQ(d.reason, IdentityReason::kNone) << d.explanation;
    }
    if (e.contains("woman_id")) {
      ASSERT_TRUE(d.woman_id.has_value()) << d.explanation;
      EXPECT_EQ(*d.woman_id, e["woman_id"].get<int64_t>());
    } else {
      EXPECT_FALSE(d.woman_id.has_value()) << "queued or created: attached to nobody";
    }
    if (e.contains("status")) {
      EXPECT_EQ(toCode(d.status), e["status"].get<std::string>());
    }
    if (e.contains("candidates")) {
      std::vector<int64_t> want = e["candidates"].get<std::vector<int64_t>>();
      std::vector<int64_t> got = d.candidates;
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << d.explanation;
    }
    if (e.contains("record_ins")) {
      EXPECT_EQ(d.record_ins, e["record_ins"].get<bool>());
    }
    if (e.contains("record_ipp")) {
      EXPECT_EQ(d.record_ipp, e["record_ipp"].get<bool>());
    }
    if (e.contains("new_used_name")) {
      EXPECT_EQ(d.new_used_name, e["new_used_name"].get<std::string>());
    }
    // Never attached to a woman merged into another.
    if (d.woman_id) {
      for (const auto& w : reg) {
        if (w.id == *d.woman_id) {
          EXPECT_FALSE(w.merged_into.has_value());
        }
      }
    }
  }
}

TEST(IdentityNames, FoldsAccentsCaseAndSeparators) {
  EXPECT_EQ(foldName("Lefèvre"), "LEFEVRE");
  EXPECT_EQ(foldName("  le-gall "), "LE GALL");
  EXPECT_EQ(nameKey("D'ALMEIDA"), nameKey("Dalmeida"));
  EXPECT_EQ(nameKey("NOËL"), "NOEL");
  EXPECT_EQ(nameKey("ŒUVRARD"), "OEUVRARD");
  EXPECT_EQ(nameKey("GARÇON"), "GARCON");
  EXPECT_TRUE(firstNamesMatch("Marie Noelle", "MARIE-NOËLLE"));
  EXPECT_FALSE(firstNamesMatch("MARIE", "MARIE-NOËLLE"));
  EXPECT_TRUE(firstNamesMatch("MARIE", "MARIE ANNE"));
  EXPECT_FALSE(firstNamesMatch("ANNE", "MARIE ANNE"));
  EXPECT_TRUE(familyNameMatches("MARTIN DUPONT", "MARTIN", {"DUPONT"}));
  EXPECT_TRUE(familyNameMatches("Dupont épouse Martin", "MARTIN", {"DUPONT"}));
  EXPECT_FALSE(familyNameMatches("DURAND", "MARTIN", {"DUPONT"}));
}

TEST(IdentityNames, NearMissesAreTyposOnly) {
  EXPECT_TRUE(nearName("MARTIN", "MARTN"));
  EXPECT_TRUE(nearName("LEFEVRE", "LEFEBVRE"));
  EXPECT_TRUE(nearName("BERNARD", "BERANRD"));  // two letters swapped
  EXPECT_FALSE(nearName("MARTIN", "DUPONT"));
  EXPECT_FALSE(nearName("ROY", "REY") && nearName("ROY", "RAYE"));  // short names: 1 only
  EXPECT_TRUE(nearDate("19600315", "19600316"));
  EXPECT_TRUE(nearDate("19600101", "19591231"));  // one day before, another year
  EXPECT_TRUE(nearDate("19600312", "19601203"));  // day and month swapped
  EXPECT_FALSE(nearDate("19600315", "19720806"));
  EXPECT_FALSE(validDicomDate("19600230"));
  EXPECT_TRUE(validDicomDate("19600229"));
}

TEST(IdentityNir, KeyAndShape) {
  EXPECT_EQ(checkNir("260037505612367"), NirCheck::kValid);
  EXPECT_EQ(checkNir("260037505612368"), NirCheck::kBadKey);
  EXPECT_EQ(checkNir("26003750561236"), NirCheck::kMalformed);
  EXPECT_EQ(checkNir("26003750561236X"), NirCheck::kMalformed);
  EXPECT_EQ(checkNir("960037505612367"), NirCheck::kMalformed);  // no such sex digit
  // Corsica: 2A counts as 19.
  const std::string body = "2600319056123";
  const int key = static_cast<int>(97 - std::stoull(body) % 97);
  char k[3];
  std::snprintf(k, sizeof k, "%02d", key);
  EXPECT_EQ(checkNir("26003" + std::string("2A") + "056123" + k), NirCheck::kValid);
  EXPECT_TRUE(nirTraitConflicts("260037505612367", "19600315", "F").empty());
  EXPECT_EQ(nirTraitConflicts("260037505612367", "19600315", "M").size(), 1u);
  EXPECT_EQ(nirTraitConflicts("260037505612367", "19610415", "F").size(), 2u);
}

TEST(IdentityNames, SplitsPersonNames) {
  std::string f, g;
  splitPersonName("MARTIN^MARIE^ANNE^^", f, g);
  EXPECT_EQ(f, "MARTIN");
  EXPECT_EQ(g, "MARIE ANNE");
  splitPersonName("DUPONT", f, g);
  EXPECT_EQ(f, "DUPONT");
  EXPECT_EQ(g, "");
}

}  // namespace
}  // namespace dualread
