#include "domain/view_classifier.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace dualread {

const char* toString(Laterality l) {
  switch (l) {
    case Laterality::kRight: return "R";
    case Laterality::kLeft: return "L";
    case Laterality::kBoth: return "B";
    default: return "";
  }
}

const char* toString(Projection p) {
  switch (p) {
    case Projection::kCC: return "CC";
    case Projection::kMLO: return "MLO";
    case Projection::kML: return "ML";
    case Projection::kLM: return "LM";
    case Projection::kXCCL: return "XCCL";
    case Projection::kOther: return "OTHER";
    default: return "";
  }
}

const char* toString(ImageRole r) {
  switch (r) {
    case ImageRole::kStandardView: return "standard";
    case ImageRole::kExtraView: return "extra";
    case ImageRole::kUltrasound: return "ultrasound";
    case ImageRole::kTomosynthesis: return "tomosynthesis";
    default: return "other";
  }
}

namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

Laterality lateralityFromCode(const std::string& v) {
  std::string u = upper(v);
  if (u == "R") return Laterality::kRight;
  if (u == "L") return Laterality::kLeft;
  if (u == "B") return Laterality::kBoth;
  return Laterality::kUnknown;
}

Projection projectionFromCode(const CodedConcept& c) {
  // SNOMED CT (CID 4014) and the legacy SNOMED-RT codes older modalities still send.
  static const struct {
    const char* value;
    Projection p;
  } kCodes[] = {{"399162004", Projection::kCC},   {"R-10242", Projection::kCC},
                {"399368009", Projection::kMLO},  {"R-10226", Projection::kMLO},
                {"399260004", Projection::kML},   {"R-10224", Projection::kML},
                {"399352003", Projection::kLM},   {"R-10228", Projection::kLM},
                {"399192003", Projection::kXCCL}, {"R-1024B", Projection::kXCCL}};
  for (const auto& k : kCodes)
    if (c.value == k.value) return k.p;
  std::string m = upper(c.meaning);
  if (m.find("OBLIQUE") != std::string::npos && m.find("MEDIO") != std::string::npos)
    return Projection::kMLO;
  if (m.find("EXAGGERATED") != std::string::npos) return Projection::kXCCL;
  if (m.find("CRANIO") != std::string::npos && m.find("CAUDAL") != std::string::npos)
    return Projection::kCC;
  if (m.find("MEDIO") != std::string::npos && m.find("LATERAL") != std::string::npos)
    return Projection::kML;
  if (m.find("LATERO") != std::string::npos && m.find("MEDIAL") != std::string::npos)
    return Projection::kLM;
  return c.value.empty() && c.meaning.empty() ? Projection::kUnknown : Projection::kOther;
}

Projection projectionFromText(const std::string& t) {
  std::string u = upper(t);
  if (u == "CC") return Projection::kCC;
  if (u == "MLO") return Projection::kMLO;
  if (u == "ML") return Projection::kML;
  if (u == "LM") return Projection::kLM;
  if (u == "XCCL" || u == "XCC" || u == "CCX") return Projection::kXCCL;
  return Projection::kUnknown;
}

std::string modifierFromCode(const CodedConcept& c) {
  if (c.value == "399055006" || c.value == "R-102D7") return "SPOT";
  if (c.value == "399163009" || c.value == "R-10245") return "MAG";
  if (c.value == "399209000" || c.value == "R-102D2") return "ID";
  std::string m = upper(c.meaning);
  if (m.find("SPOT") != std::string::npos) return "SPOT";
  if (m.find("MAGNIF") != std::string::npos) return "MAG";
  if (m.find("IMPLANT") != std::string::npos) return "ID";
  return "";
}

std::string modifierFromText(const std::string& t) {
  std::string u = upper(t);
  if (u == "SPOT" || u == "S" || u == "COMPRESSION") return "SPOT";
  if (u == "MAG" || u == "M" || u == "MAGNIFICATION" || u == "AGRANDISSEMENT") return "MAG";
  if (u == "ID" || u == "EKLUND") return "ID";
  return "";
}

// A human view label ("R CC", "LMLO", "CC D", "L MLO MAG") split into what it says.
struct ParsedLabel {
  bool parsed = false;
  Laterality laterality = Laterality::kUnknown;
  Projection projection = Projection::kUnknown;
  std::vector<std::string> modifiers;
};

ParsedLabel parseLabel(const std::string& label) {
  ParsedLabel out;
  std::string norm;
  for (char ch : label) norm += (std::isalnum(static_cast<unsigned char>(ch)) ? ch : ' ');
  std::istringstream in(upper(norm));
  std::string tok;
  while (in >> tok) {
    Laterality l = Laterality::kUnknown;
    if (tok == "R" || tok == "RIGHT" || tok == "D" || tok == "DROIT" || tok == "DROITE")
      l = Laterality::kRight;
    else if (tok == "L" || tok == "LEFT" || tok == "G" || tok == "GAUCHE")
      l = Laterality::kLeft;
    if (l != Laterality::kUnknown) {
      out.laterality = l;
      continue;
    }
    // Glued forms: RCC, LMLO, RXCCL.
    if (tok.size() > 2 && (tok[0] == 'R' || tok[0] == 'L')) {
      Projection p = projectionFromText(tok.substr(1));
      if (p != Projection::kUnknown) {
        out.laterality = tok[0] == 'R' ? Laterality::kRight : Laterality::kLeft;
        out.projection = p;
        continue;
      }
    }
    if (Projection p = projectionFromText(tok); p != Projection::kUnknown) {
      out.projection = p;
      continue;
    }
    if (std::string m = modifierFromText(tok); !m.empty()) out.modifiers.push_back(m);
  }
  out.parsed = out.laterality != Laterality::kUnknown && out.projection != Projection::kUnknown;
  return out;
}

void addModifier(std::vector<std::string>& mods, const std::string& m) {
  if (!m.empty() && std::find(mods.begin(), mods.end(), m) == mods.end()) mods.push_back(m);
}

bool isMammoClass(const std::string& uid) {
  return uid == sop_class::kMgForPresentation || uid == sop_class::kMgForProcessing ||
         uid == sop_class::kDxForPresentation || uid == sop_class::kDxForProcessing ||
         uid == sop_class::kBreastProjectionForPresentation ||
         uid == sop_class::kBreastProjectionForProcessing;
}

}  // namespace

ViewClassification classifyView(const InstanceSummary& s) {
  ViewClassification out;
  const std::string modality = upper(s.modality);
  const bool is_us = s.sop_class_uid == sop_class::kUltrasound ||
                     s.sop_class_uid == sop_class::kUltrasoundMultiframe || modality == "US";
  const bool is_dbt = s.sop_class_uid == sop_class::kBreastTomosynthesis;
  const bool is_mammo = !is_us && !is_dbt && (isMammoClass(s.sop_class_uid) ||
                                               (modality == "MG" && s.rows > 0));

  // Laterality: image level first, then series level, then the label.
  const std::string label = !s.private_view_label.empty() ? s.private_view_label
                                                           : s.series_description;
  const ParsedLabel parsed = parseLabel(label);
  const Laterality img_lat = lateralityFromCode(s.image_laterality);
  const Laterality ser_lat = lateralityFromCode(s.laterality);
  Laterality coded = img_lat != Laterality::kUnknown ? img_lat : ser_lat;
  if (img_lat != Laterality::kUnknown && ser_lat != Laterality::kUnknown && img_lat != ser_lat &&
      ser_lat != Laterality::kBoth) {
    out.problems.push_back(std::string("image laterality ") + toString(img_lat) +
                           " contradicts series laterality " + toString(ser_lat));
  }
  out.laterality = coded != Laterality::kUnknown ? coded : parsed.laterality;

  if (is_us) {
    out.role = ImageRole::kUltrasound;
    out.code = out.laterality == Laterality::kRight  ? "US_R"
               : out.laterality == Laterality::kLeft ? "US_L"
                                                     : "US";
    return out;
  }
  if (!is_mammo && !is_dbt) {
    out.role = ImageRole::kOther;
    out.code = "OTHER";
    return out;
  }

  // Projection: coded concept first, then ViewPosition, then the label.
  Projection from_code = Projection::kUnknown;
  for (const auto& c : s.view_codes) {
    from_code = projectionFromCode(c);
    if (from_code != Projection::kUnknown) break;
  }
  const Projection from_position = projectionFromText(s.view_position);
  if (from_code != Projection::kUnknown && from_position != Projection::kUnknown &&
      from_code != from_position) {
    out.problems.push_back(std::string("view code says ") + toString(from_code) +
                           " but ViewPosition says " + toString(from_position));
  }
  out.projection = from_code != Projection::kUnknown       ? from_code
                   : from_position != Projection::kUnknown ? from_position
                                                           : parsed.projection;

  for (const auto& c : s.view_modifier_codes) addModifier(out.modifiers, modifierFromCode(c));
  addModifier(out.modifiers, modifierFromText(s.private_view_modifier));
  for (const auto& m : parsed.modifiers) addModifier(out.modifiers, m);

  if (parsed.parsed && coded != Laterality::kUnknown && parsed.laterality != coded) {
    out.problems.push_back(std::string("laterality ") + toString(coded) +
                           " encoded in the image contradicts the view label '" + label + "'");
  }
  if (parsed.parsed && out.projection != Projection::kUnknown &&
      parsed.projection != out.projection) {
    out.problems.push_back(std::string("projection ") + toString(out.projection) +
                           " encoded in the image contradicts the view label '" + label + "'");
  }
  if (out.laterality == Laterality::kUnknown) out.problems.push_back("laterality is not encoded");
  if (out.projection == Projection::kUnknown) out.problems.push_back("view is not encoded");

  out.for_processing = upper(s.presentation_intent_type) == "FOR PROCESSING" ||
                       s.sop_class_uid == sop_class::kMgForProcessing ||
                       s.sop_class_uid == sop_class::kDxForProcessing ||
                       s.sop_class_uid == sop_class::kBreastProjectionForProcessing;

  std::string code = std::string(toString(out.laterality)) + toString(out.projection);
  if (code.empty()) code = "UNKNOWN";
  for (const auto& m : out.modifiers) code += "_" + m;
  if (is_dbt) {
    out.role = ImageRole::kTomosynthesis;
    out.code = "DBT_" + code;
    return out;
  }
  if (out.for_processing) code += "_PROC";
  out.code = code;
  const bool standard_projection =
      out.projection == Projection::kCC || out.projection == Projection::kMLO;
  out.role = standard_projection && out.modifiers.empty() && !out.for_processing &&
                     (out.laterality == Laterality::kRight || out.laterality == Laterality::kLeft)
                 ? ImageRole::kStandardView
                 : ImageRole::kExtraView;
  return out;
}

}  // namespace dualread
