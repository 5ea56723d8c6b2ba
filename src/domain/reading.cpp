#include "domain/reading.h"

#include <algorithm>
#include <initializer_list>

#include "domain/vocabulary.h"

namespace dualread {

namespace {

using vocab::parseRow;
using vocab::row;
using vocab::Vocab;

constexpr Vocab<Breast> kBreasts[] = {
    {Breast::kRight, "right", "right breast", "sein droit"},
    {Breast::kLeft, "left", "left breast", "sein gauche"},
};

constexpr Vocab<BiRads> kBiRads[] = {
    {BiRads::k0, "0", "ACR 0 - incomplete, needs further imaging",
     "ACR 0 - classement d'attente, bilan complémentaire nécessaire"},
    {BiRads::k1, "1", "ACR 1 - negative", "ACR 1 - mammographie normale"},
    {BiRads::k2, "2", "ACR 2 - benign finding", "ACR 2 - anomalie bénigne"},
    {BiRads::k3, "3", "ACR 3 - probably benign, short-interval follow-up",
     "ACR 3 - anomalie probablement bénigne, surveillance à court terme"},
    {BiRads::k4, "4", "ACR 4 - suspicious abnormality",
     "ACR 4 - anomalie indéterminée ou suspecte"},
    {BiRads::k5, "5", "ACR 5 - highly suggestive of malignancy",
     "ACR 5 - anomalie évocatrice d'un cancer"},
};

constexpr Vocab<Density> kDensities[] = {
    {Density::kA, "A", "almost entirely fatty", "seins presque entièrement graisseux"},
    {Density::kB, "B", "scattered fibroglandular densities", "opacités fibroglandulaires éparses"},
    {Density::kC, "C", "heterogeneously dense", "tissu dense hétérogène"},
    {Density::kD, "D", "extremely dense", "tissu extrêmement dense"},
};

constexpr Vocab<FindingType> kFindingTypes[] = {
    {FindingType::kMass, "mass", "mass", "masse / opacité"},
    {FindingType::kCalcifications, "calcifications", "calcifications", "calcifications"},
    {FindingType::kArchitecturalDistortion, "architectural_distortion", "architectural distortion",
     "distorsion architecturale"},
    {FindingType::kAsymmetry, "asymmetry", "asymmetry", "asymétrie de densité"},
};

constexpr Vocab<Quadrant> kQuadrants[] = {
    {Quadrant::kUpperOuter, "upper_outer", "upper outer quadrant", "quadrant supéro-externe"},
    {Quadrant::kUpperInner, "upper_inner", "upper inner quadrant", "quadrant supéro-interne"},
    {Quadrant::kLowerOuter, "lower_outer", "lower outer quadrant", "quadrant inféro-externe"},
    {Quadrant::kLowerInner, "lower_inner", "lower inner quadrant", "quadrant inféro-interne"},
    {Quadrant::kUpperJunction, "upper_junction", "junction of the upper quadrants",
     "union des quadrants supérieurs"},
    {Quadrant::kLowerJunction, "lower_junction", "junction of the lower quadrants",
     "union des quadrants inférieurs"},
    {Quadrant::kOuterJunction, "outer_junction", "junction of the outer quadrants",
     "union des quadrants externes"},
    {Quadrant::kInnerJunction, "inner_junction", "junction of the inner quadrants",
     "union des quadrants internes"},
    {Quadrant::kRetroareolar, "retroareolar", "retro-areolar / central", "rétro-aréolaire"},
    {Quadrant::kAxillaryTail, "axillary_tail", "axillary tail", "prolongement axillaire"},
};

constexpr Vocab<Depth> kDepths[] = {
    {Depth::kAnterior, "anterior", "anterior third", "tiers antérieur"},
    {Depth::kMiddle, "middle", "middle third", "tiers moyen"},
    {Depth::kPosterior, "posterior", "posterior third", "tiers postérieur"},
};

constexpr Vocab<CtiReason> kCtiReasons[] = {
    {CtiReason::kPositioning, "positioning", "positioning", "positionnement"},
    {CtiReason::kCompression, "compression", "compression", "compression"},
    {CtiReason::kExposure, "exposure", "exposure", "exposition"},
    {CtiReason::kMotionBlur, "motion_blur", "motion blur", "flou cinétique"},
    {CtiReason::kArtefact, "artefact", "artefact", "artefact"},
    {CtiReason::kMissingView, "missing_view", "missing view", "incidence manquante"},
    {CtiReason::kImageQuality, "image_quality", "image quality", "qualité d'image"},
};

// Clock hours compatible with a quadrant, facing the woman: on the right breast the outer side
// is at 9 o'clock, on the left breast at 3 o'clock. Boundary hours belong to both neighbours.
bool clockFitsQuadrant(Quadrant q, Breast b, int hour) {
  auto in = [hour](std::initializer_list<int> hours) {
    return std::find(hours.begin(), hours.end(), hour) != hours.end();
  };
  const bool right = b == Breast::kRight;
  switch (q) {
    case Quadrant::kUpperOuter:
      return right ? in({9, 10, 11, 12}) : in({12, 1, 2, 3});
    case Quadrant::kUpperInner:
      return right ? in({12, 1, 2, 3}) : in({9, 10, 11, 12});
    case Quadrant::kLowerOuter:
      return right ? in({6, 7, 8, 9}) : in({3, 4, 5, 6});
    case Quadrant::kLowerInner:
      return right ? in({3, 4, 5, 6}) : in({6, 7, 8, 9});
    case Quadrant::kUpperJunction:
      return in({11, 12, 1});
    case Quadrant::kLowerJunction:
      return in({5, 6, 7});
    case Quadrant::kOuterJunction:
      return right ? in({8, 9, 10}) : in({2, 3, 4});
    case Quadrant::kInnerJunction:
      return right ? in({2, 3, 4}) : in({8, 9, 10});
    default:
      return true;  // central and axillary tail: any hour is plausible
  }
}

std::string acr(BiRads b) { return "ACR " + std::to_string(static_cast<int>(b)); }

// Whether a CTI flag concerns a view of `breast` ("RCC", "RMLO_SPOT" -> right).
bool flagConcerns(const CtiFlag& f, Breast breast) {
  return !f.view.empty() && f.view[0] == (breast == Breast::kRight ? 'R' : 'L');
}

}  // namespace

const char* toCode(Breast v) { return row(kBreasts, v).code; }
const char* toCode(Density v) { return row(kDensities, v).code; }
const char* toCode(FindingType v) { return row(kFindingTypes, v).code; }
const char* toCode(Quadrant v) { return row(kQuadrants, v).code; }
const char* toCode(Depth v) { return row(kDepths, v).code; }
const char* toCode(CtiReason v) { return row(kCtiReasons, v).code; }
const char* labelEn(Breast v) { return row(kBreasts, v).en; }
const char* labelEn(BiRads v) { return row(kBiRads, v).en; }
const char* labelEn(Density v) { return row(kDensities, v).en; }
const char* labelEn(FindingType v) { return row(kFindingTypes, v).en; }
const char* labelEn(Quadrant v) { return row(kQuadrants, v).en; }
const char* labelEn(Depth v) { return row(kDepths, v).en; }
const char* labelEn(CtiReason v) { return row(kCtiReasons, v).en; }
const char* labelFr(Breast v) { return row(kBreasts, v).fr; }
const char* labelFr(BiRads v) { return row(kBiRads, v).fr; }
const char* labelFr(Density v) { return row(kDensities, v).fr; }
const char* labelFr(FindingType v) { return row(kFindingTypes, v).fr; }
const char* labelFr(Quadrant v) { return row(kQuadrants, v).fr; }
const char* labelFr(Depth v) { return row(kDepths, v).fr; }
const char* labelFr(CtiReason v) { return row(kCtiReasons, v).fr; }
bool parseCode(std::string_view code, Breast& out) { return parseRow(kBreasts, code, out); }
bool parseCode(std::string_view code, Density& out) { return parseRow(kDensities, code, out); }
bool parseCode(std::string_view code, FindingType& out) {
  return parseRow(kFindingTypes, code, out);
}
bool parseCode(std::string_view code, Quadrant& out) { return parseRow(kQuadrants, code, out); }
bool parseCode(std::string_view code, Depth& out) { return parseRow(kDepths, code, out); }
bool parseCode(std::string_view code, CtiReason& out) { return parseRow(kCtiReasons, code, out); }

bool biradsFromInt(int value, BiRads& out) {
  if (value < 0 || value > 5) return false;
  out = static_cast<BiRads>(value);
  return true;
}

bool isRpps(std::string_view s) {
  return s.size() == 11 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

L2Verdict verdictOf(const L2Reading& reading) {
  if (isAbnormal(reading.right) || isAbnormal(reading.left)) return L2Verdict::kPositive;
  if (!reading.cti.empty()) return L2Verdict::kTechnicallyInsufficient;
  return L2Verdict::kNegative;
}

void checkAssessment(const BreastAssessment& a, Breast breast, const std::string& path,
                     bool require_birads, std::vector<FormError>& out) {
  const std::string side = labelEn(breast);
  if (!a.birads) {
    if (require_birads)
      out.push_back({path + ".birads", "The BI-RADS assessment of the " + side + " is required."});
  } else if (static_cast<int>(*a.birads) >= 3 && a.findings.empty()) {
    out.push_back({path + ".findings", acr(*a.birads) + " on the " + side +
                                           " needs at least one finding (type, location, size)."});
  } else if (*a.birads == BiRads::k1 && !a.findings.empty()) {
    out.push_back({path + ".findings",
                   "ACR 1 on the " + side +
                       " means nothing to report; remove the findings or assess ACR 2 or above."});
  }
  for (size_t i = 0; i < a.findings.size(); ++i) {
    const Finding& f = a.findings[i];
    const std::string fp = path + ".findings[" + std::to_string(i) + "]";
    if (f.side != breast)
      out.push_back({fp + ".side", "Finding " + std::to_string(i + 1) + " is on the " +
                                       labelEn(f.side) + " but listed under the " + side + "."});
    const auto& loc = f.location;
    if (!loc.quadrant && !loc.clock_hour)
      out.push_back({fp + ".location", "Finding " + std::to_string(i + 1) + " on the " + side +
                                           " needs a quadrant or a clock position."});
    if (loc.clock_hour && (*loc.clock_hour < 1 || *loc.clock_hour > 12))
      out.push_back({fp + ".location.clock_hour",
                     "Clock position " + std::to_string(*loc.clock_hour) + " of finding " +
                         std::to_string(i + 1) + " is not between 1 and 12."});
    else if (loc.clock_hour && loc.quadrant && f.side == breast &&
             !clockFitsQuadrant(*loc.quadrant, breast, *loc.clock_hour))
      out.push_back({fp + ".location",
                     "Finding " + std::to_string(i + 1) + ": " + std::to_string(*loc.clock_hour) +
                         " o'clock is not in the " + labelEn(*loc.quadrant) + " of the " + side +
                         "; check the side or the location."});
    if (f.size_mm && (*f.size_mm <= 0 || *f.size_mm > 300))
      out.push_back({fp + ".size_mm", "Size " + std::to_string(*f.size_mm) + " mm of finding " +
                                          std::to_string(i + 1) +
                                          " is not plausible (1 to 300 mm)."});
  }
}

std::vector<FormError> checkL2Reading(const L2Reading& reading) {
  std::vector<FormError> out;
  if (reading.reader.rpps.empty())
    out.push_back({"reader.rpps", "The L2 reader's RPPS number is required."});
  else if (!isRpps(reading.reader.rpps))
    out.push_back({"reader.rpps", "The L2 reader's RPPS number \"" + reading.reader.rpps +
                                      "\" is not 11 digits."});
  for (Breast b : {Breast::kRight, Breast::kLeft}) {
    const BreastAssessment& a = b == Breast::kRight ? reading.right : reading.left;
    const std::string path = toCode(b);
    const bool has_cti = std::any_of(reading.cti.begin(), reading.cti.end(),
                                     [b](const CtiFlag& f) { return flagConcerns(f, b); });
    checkAssessment(a, b, path, !has_cti, out);
    if (a.birads == BiRads::k0)
      out.push_back({path + ".birads",
                     "ACR 0 is not a second-reading result: assess the " + std::string(labelEn(b)) +
                         " 1-2 (normal/benign) or 3-5 (abnormal), or flag the images as CTI."});
  }
  for (size_t i = 0; i < reading.cti.size(); ++i) {
    const CtiFlag& f = reading.cti[i];
    if (f.view.empty() || (f.view[0] != 'R' && f.view[0] != 'L'))
      out.push_back({"cti[" + std::to_string(i) + "].view",
                     "CTI " + std::to_string(i + 1) +
                         " must name the view to retake (RCC, LCC, RMLO, LMLO...)."});
  }
  if (!reading.is_signed)
    out.push_back({"signed", "The second reading must be signed by the L2 reader."});
  return out;
}

}  // namespace dualread
