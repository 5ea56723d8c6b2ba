#include "domain/synth_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace dualread::synth {
namespace {

PlanOptions options(uint64_t seed, int women = 20, int rounds = 2) {
  PlanOptions o;
  o.seed = seed;
  o.women = women;
  o.rounds = rounds;
  o.faults = allFaults();
  o.fault_rate = 0.1;
  return o;
}

// Everything that ends up in a file or the manifest, flattened for comparison.
std::vector<std::string> fingerprint(const SynthPlan& plan) {
  std::vector<std::string> out;
  for (const auto& w : plan.women) {
    out.push_back(w.ins + w.birth_name + w.first_names + w.used_name + w.birth_date);
    for (const auto& [cim, ipp] : w.ipps) out.push_back(cim + ipp);
  }
  for (const auto& s : plan.studies) {
    out.push_back(s.study_uid + s.patient_id + s.patient_name + s.patient_birth_date +
                  s.study_date + s.study_time + s.accession);
    for (const auto& i : s.images) {
      out.push_back(i.sop_uid + i.view_code + i.coded_laterality + std::to_string(i.pixel_seed) +
                    std::to_string(i.anatomy_seed));
    }
    for (const auto& f : s.faults) out.push_back(f.detail);
  }
  return out;
}

bool validUid(const std::string& uid) {
  if (uid.empty() || uid.size() > 64) return false;
  size_t start = 0;
  for (;;) {
    const size_t dot = uid.find('.', start);
    const std::string part = uid.substr(start, dot == std::string::npos ? dot : dot - start);
    if (part.empty() || (part.size() > 1 && part[0] == '0')) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

TEST(SynthPlan, RngIsPinnedAcrossMachines) {
  // xoshiro256** seeded by splitmix64: these values must never change with the compiler or
  // platform, or "same seed, same data set" would break.
  Rng rng(1);
  EXPECT_EQ(rng.next(), 0xb3f2af6d0fc710c5ULL);
  EXPECT_EQ(rng.next(), 0x853b559647364ceaULL);
  Rng bounded(42);
  for (int i = 0; i < 1000; ++i) {
    const auto v = bounded.range(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
  }
}

TEST(SynthPlan, SameSeedSamePlanDifferentSeedDiffers) {
  EXPECT_EQ(fingerprint(makeSynthPlan(options(7))), fingerprint(makeSynthPlan(options(7))));
  EXPECT_NE(fingerprint(makeSynthPlan(options(7))), fingerprint(makeSynthPlan(options(8))));
}

TEST(SynthPlan, FaultOrderDoesNotMatter) {
  auto a = options(3);
  auto b = options(3);
  std::reverse(b.faults.begin(), b.faults.end());
  EXPECT_EQ(fingerprint(makeSynthPlan(a)), fingerprint(makeSynthPlan(b)));
}

TEST(SynthPlan, UidsAreValidAndUnique) {
  auto o = options(123456789012345ULL, 30, 3);  // a long seed exercises the 64-char limit
  const auto plan = makeSynthPlan(o);
  std::set<std::string> seen;
  for (const auto& s : plan.studies) {
    EXPECT_TRUE(validUid(s.study_uid)) << s.study_uid;
    EXPECT_TRUE(seen.insert(s.study_uid).second);
    EXPECT_TRUE(seen.insert(s.accession).second) << s.accession;
    for (const auto& i : s.images) {
      EXPECT_TRUE(validUid(i.sop_uid)) << i.sop_uid;
      EXPECT_TRUE(validUid(i.series_uid)) << i.series_uid;
      EXPECT_TRUE(seen.insert(i.sop_uid).second) << i.sop_uid;
    }
  }
}

TEST(SynthPlan, WomenRoundsAndIdentities) {
  const auto plan = makeSynthPlan(options(11, 60, 3));
  ASSERT_EQ(plan.women.size(), 60u);
  ASSERT_EQ(plan.studies.size(), 180u);
  int moved = 0;
  for (const auto& w : plan.women) {
    ASSERT_EQ(w.ins.size(), 15u);
    const uint64_t body = std::stoull(w.ins.substr(0, 13));
    EXPECT_EQ(97 - body % 97, std::stoull(w.ins.substr(13))) << "NIR key of " << w.ins;
    EXPECT_EQ(w.ins[0], '2');  // women
    EXPECT_EQ(w.ins.substr(1, 2), w.birth_date.substr(2, 2));
    EXPECT_EQ(w.sex, "F");
    moved += w.ipps.size() > 1;
    for (const auto& [cim, ipp] : w.ipps) EXPECT_EQ(ipp.rfind(cim + "-", 0), 0u) << ipp;
  }
  EXPECT_GT(moved, 0) << "some women change CIM between rounds";
  for (const auto& s : plan.studies) {
    const auto& w = plan.women[s.woman];
    const int year = std::stoi(s.study_date.substr(0, 4));
    EXPECT_EQ(year, kLatestRoundYear - 2 * (3 - s.round));
    const int age = year - std::stoi(w.birth_date.substr(0, 4)) -
                    (s.study_date.substr(4) < w.birth_date.substr(4) ? 1 : 0);
    EXPECT_GE(age, 50);
    EXPECT_LE(age, 74);
    EXPECT_EQ(s.patient_id, w.ipps.at(plan.cims[s.cim].id));
  }
}

TEST(SynthPlan, EveryStudyHasTheFourViewsUnlessAViewIsMissing) {
  const auto plan = makeSynthPlan(options(5, 40, 2));
  int extras = 0, ultrasound = 0;
  for (const auto& s : plan.studies) {
    std::set<std::string> standard;
    for (const auto& i : s.images) {
      if (i.modality == Modality::kMammography && i.modifier == ViewModifier::kNone &&
          !i.for_processing) {
        standard.insert(i.view_code);
      }
      extras += i.modifier != ViewModifier::kNone;
      ultrasound += i.modality == Modality::kUltrasound;
    }
    const bool missing = std::any_of(s.faults.begin(), s.faults.end(),
                                     [](const auto& f) { return f.kind == Fault::kMissingView; });
    EXPECT_EQ(standard.size(), missing ? 3u : 4u);
  }
  EXPECT_GT(extras, 0);
  EXPECT_GT(ultrasound, 0);
}

TEST(SynthPlan, EachFaultHitsAboutTheRateOfStudies) {
  auto o = options(9, 50, 2);  // 100 studies
  const auto plan = makeSynthPlan(o);
  for (Fault f : allFaults()) {
    int count = 0;
    for (const auto& s : plan.studies) {
      for (const auto& r : s.faults) count += r.kind == f;
    }
    EXPECT_EQ(count, 10) << faultName(f);
  }
  // A tiny data set still gets every requested fault once.
  o.women = 1;
  o.rounds = 1;
  const auto tiny = makeSynthPlan(o);
  EXPECT_EQ(tiny.studies[0].faults.size(), allFaults().size());
}

TEST(SynthPlan, FullSizeGeometryPerVendor) {
  auto o = options(2, 10, 1);
  o.full_size = true;
  const auto plan = makeSynthPlan(o);
  for (const auto& s : plan.studies) {
    const Vendor v = plan.cims[s.cim].vendor;
    for (const auto& i : s.images) {
      if (i.modality != Modality::kMammography) continue;
      EXPECT_EQ(i.geometry.rows, v == Vendor::kAcme ? 4096 : 3584);
      EXPECT_EQ(i.geometry.cols, v == Vendor::kAcme ? 3328 : 2816);
      EXPECT_EQ(i.geometry.bits_stored, v == Vendor::kAcme ? 14 : 12);
    }
  }
}

TEST(SynthPlan, RejectsBadOptions) {
  auto o = options(1);
  o.rounds = 0;
  EXPECT_THROW(makeSynthPlan(o), std::invalid_argument);
  o = options(1);
  o.fault_rate = 1.5;
  EXPECT_THROW(makeSynthPlan(o), std::invalid_argument);
  EXPECT_EQ(faultFromName("uid-conflict"), Fault::kUidConflict);
  EXPECT_FALSE(faultFromName("uid_conflict").has_value());
}

}  // namespace
}  // namespace dualread::synth
