#include "services/cda_export.h"

#include <functional>
#include <utility>
#include <vector>

namespace dualread {

namespace {

constexpr const char* kSnomed = "2.16.840.1.113883.6.96";
constexpr const char* kLoinc = "2.16.840.1.113883.6.1";
constexpr const char* kDicom = "1.2.840.10008.2.16.4";
constexpr const char* kConfidentiality = "2.16.840.1.113883.5.25";
constexpr const char* kGender = "2.16.840.1.113883.5.1";

using Attrs = std::vector<std::pair<std::string, std::string>>;

// A coded concept: code, code system OID and name, display name.
struct Code {
  std::string code;
  std::string system;
  std::string system_name;
  std::string display;
};

Code sct(const char* code, const char* display) { return {code, kSnomed, "SNOMED CT", display}; }
Code local(const std::string& code, const std::string& display) {
  return {code, kDualreadCodeSystemOid, "dualread", display};
}

Code biradsCode(BiRads b) {
  switch (b) {
    case BiRads::k0:
      return sct("397138000", "Mammography assessment (Category 0)");
    case BiRads::k1:
      return sct("397140005", "Mammography assessment (Category 1)");
    case BiRads::k2:
      return sct("397141009", "Mammography assessment (Category 2)");
    case BiRads::k3:
      return sct("397143007", "Mammography assessment (Category 3)");
    case BiRads::k4:
      return sct("397144001", "Mammography assessment (Category 4)");
    case BiRads::k5:
      return sct("397145000", "Mammography assessment (Category 5)");
  }
  return sct("397138000", "Mammography assessment (Category 0)");
}

Code densityCode(Density d) {
  switch (d) {
    case Density::kA:
      return sct("129716005", "Almost entirely fat");
    case Density::kB:
      return sct("129717001", "Scattered fibroglandular densities");
    case Density::kC:
      return sct("129718006", "Heterogeneously dense");
    case Density::kD:
      return sct("129719003", "Extremely dense");
  }
  return sct("129716005", "Almost entirely fat");
}

Code findingCode(FindingType t) {
  switch (t) {
    case FindingType::kMass:
      return sct("129788004", "Mammographic breast mass");
    case FindingType::kCalcifications:
      return sct("309587003", "Calcification of breast");
    case FindingType::kArchitecturalDistortion:
      return sct("129792006", "Architectural distortion of breast");
    case FindingType::kAsymmetry:
      return sct("129790003", "Asymmetric breast tissue");
  }
  return sct("129788004", "Mammographic breast mass");
}

Code breastSite(Breast b) {
  return b == Breast::kRight ? sct("73056007", "Right breast structure")
                             : sct("80248007", "Left breast structure");
}

const Code kAssessmentObs{"111413", kDicom, "DCM", "Overall Assessment"};
const Code kFindingObs{"121071", kDicom, "DCM", "Finding"};
const Code kCompositionObs = sct("129715009", "Breast composition");

// "20240312101500+0000".
std::string ts(TimePoint t) {
  const std::string iso = toIsoDateTime(t);  // 2024-03-12T10:15:00Z
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2) + iso.substr(11, 2) +
         iso.substr(14, 2) + iso.substr(17, 2) + "+0000";
}

std::string day(Date d) {
  const std::string iso = toIsoDate(d);
  return iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
}

// Minimal streaming XML writer: elements are closed in order, attribute values escaped.
class Xml {
 public:
  Xml() { out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"; }

  Xml& open(const std::string& name, const Attrs& attrs = {}) {
    start(name, attrs);
    out_ += ">\n";
    stack_.push_back(name);
    return *this;
  }
  Xml& empty(const std::string& name, const Attrs& attrs = {}) {
    start(name, attrs);
    out_ += "/>\n";
    return *this;
  }
  Xml& text(const std::string& name, const std::string& content, const Attrs& attrs = {}) {
    start(name, attrs);
    out_ += ">" + xmlEscape(content) + "</" + name + ">\n";
    return *this;
  }
  Xml& close() {
    const std::string name = stack_.back();
    stack_.pop_back();
    indent();
    out_ += "</" + name + ">\n";
    return *this;
  }
  Xml& code(const std::string& element, const Code& c) {
    return empty(element, {{"code", c.code},
                           {"codeSystem", c.system},
                           {"codeSystemName", c.system_name},
                           {"displayName", c.display}});
  }
  Xml& codedValue(const Code& c) {
    return empty("value", {{"xsi:type", "CD"},
                           {"code", c.code},
                           {"codeSystem", c.system},
                           {"codeSystemName", c.system_name},
                           {"displayName", c.display}});
  }
  std::string finish() {
    while (!stack_.empty()) close();
    return std::move(out_);
  }

 private:
  void indent() { out_.append(stack_.size() * 2, ' '); }
  void start(const std::string& name, const Attrs& attrs) {
    indent();
    out_ += "<" + name;
    for (const auto& [k, v] : attrs) out_ += " " + k + "=\"" + xmlEscape(v) + "\"";
  }

  std::string out_;
  std::vector<std::string> stack_;
};

// <entry><observation>...</observation></entry> helpers.
void beginObservation(Xml& x, const Code& code) {
  x.open("entry").open("observation", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
  x.code("code", code);
  x.empty("statusCode", {{"code", "completed"}});
}
void endObservation(Xml& x) { x.close().close(); }

void codedObservation(Xml& x, const Code& code, const Code& value,
                      const std::optional<Breast>& site = std::nullopt) {
  beginObservation(x, code);
  x.codedValue(value);
  if (site) x.code("targetSiteCode", breastSite(*site));
  endObservation(x);
}

void booleanObservation(Xml& x, const Code& code, bool value) {
  beginObservation(x, code);
  x.empty("value", {{"xsi:type", "BL"}, {"value", value ? "true" : "false"}});
  endObservation(x);
}

void textObservation(Xml& x, const Code& code, const std::string& value) {
  beginObservation(x, code);
  x.text("value", value, {{"xsi:type", "ST"}});
  endObservation(x);
}

// A nested observation (inside entryRelationship) for a finding's location or size.
void component(Xml& x, const Code& code, const std::function<void()>& value) {
  x.open("entryRelationship", {{"typeCode", "COMP"}})
      .open("observation", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
  x.code("code", code);
  value();
  x.close().close();
}

std::string findingNarrative(const Finding& f) {
  std::string s = labelFr(f.type);
  if (f.location.quadrant) s += ", " + std::string(labelFr(*f.location.quadrant));
  if (f.location.clock_hour) s += ", " + std::to_string(*f.location.clock_hour) + " h";
  if (f.location.depth) s += ", " + std::string(labelFr(*f.location.depth));
  if (f.size_mm) s += ", " + std::to_string(*f.size_mm) + " mm";
  if (!f.description.empty()) s += " (" + f.description + ")";
  return s;
}

std::string assessmentNarrative(const BreastAssessment& a) {
  if (!a.birads) return "non renseigné";
  std::string s = labelFr(*a.birads);
  for (const auto& f : a.findings) s += "; " + findingNarrative(f);
  return s;
}

// Per-breast BI-RADS and its findings as coded entries.
void assessmentEntries(Xml& x, const BreastAssessment& a, Breast b) {
  if (a.birads) codedObservation(x, kAssessmentObs, biradsCode(*a.birads), b);
  for (const auto& f : a.findings) {
    beginObservation(x, kFindingObs);
    x.codedValue(findingCode(f.type));
    x.code("targetSiteCode", breastSite(f.side));
    if (f.location.quadrant)
      component(x, local("LOCATION-QUADRANT", "Quadrant"), [&] {
        x.codedValue(local(toCode(*f.location.quadrant), labelEn(*f.location.quadrant)));
      });
    if (f.location.clock_hour)
      component(x, local("LOCATION-CLOCK", "Clock position"), [&] {
        x.empty("value", {{"xsi:type", "INT"}, {"value", std::to_string(*f.location.clock_hour)}});
      });
    if (f.location.depth)
      component(x, local("LOCATION-DEPTH", "Depth"), [&] {
        x.codedValue(local(toCode(*f.location.depth), labelEn(*f.location.depth)));
      });
    if (f.size_mm)
      component(x, local("FINDING-SIZE", "Largest dimension"), [&] {
        x.empty("value",
                {{"xsi:type", "PQ"}, {"value", std::to_string(*f.size_mm)}, {"unit", "mm"}});
      });
    endObservation(x);
  }
}

void beginSection(Xml& x, const Code& code, const std::string& title,
                  const std::vector<std::string>& narrative) {
  x.open("component").open("section");
  x.code("code", code);
  x.text("title", title);
  x.open("text").open("list");
  for (const auto& line : narrative) x.text("item", line);
  x.close().close();
}
void endSection(Xml& x) { x.close().close(); }

void personName(Xml& x, const std::string& full) {
  x.open("assignedPerson").open("name");
  x.text("family", full);
  x.close().close();
}

std::string yesNo(bool b) { return b ? "oui" : "non"; }

}  // namespace

std::string xmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab/newline/CR are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

std::string exportReadingFormCda(const CdaDocumentContext& ctx, const L1Form& form,
                                 const std::optional<L2Reading>& l2) {
  const auto& id = form.identification;
  const auto& c = form.clinical;
  const auto& m = form.mammography;
  Xml x;
  x.open("ClinicalDocument",
         {{"xmlns", "urn:hl7-org:v3"}, {"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"}});
  x.empty("realmCode", {{"code", "FR"}});
  x.empty("typeId", {{"root", "2.16.840.1.113883.1.3"}, {"extension", "POCD_HD000040"}});
  x.empty("templateId", {{"root", kDualreadTemplateOid}});
  x.empty("id", {{"root", ctx.document_id_root}, {"extension", ctx.document_id}});
  x.code("code", {"24606-6", kLoinc, "LOINC", "MG Breast Screening"});
  x.text("title", "Fiche d'interprétation - dépistage organisé du cancer du sein");
  x.empty("effectiveTime", {{"value", ts(ctx.created_at)}});
  x.empty("confidentialityCode", {{"code", "N"}, {"codeSystem", kConfidentiality}});
  x.empty("languageCode", {{"code", "fr-FR"}});
  x.empty("setId", {{"root", ctx.document_id_root},
                    {"extension", ctx.set_id.empty() ? ctx.document_id : ctx.set_id}});
  x.empty("versionNumber", {{"value", std::to_string(ctx.version)}});

  // --- recordTarget: the woman ---
  x.open("recordTarget").open("patientRole");
  if (!id.ins.empty()) x.empty("id", {{"root", kInsOid}, {"extension", id.ins}});
  if (!id.screening_number.empty())
    x.empty("id",
            {{"root", std::string(kDualreadOidRoot) + ".4"}, {"extension", id.screening_number}});
  x.open("patient").open("name");
  x.text("given", id.first_names);
  x.text("family", id.birth_name, {{"qualifier", "BR"}});
  if (!id.used_name.empty()) x.text("family", id.used_name, {{"qualifier", "SP"}});
  x.close();
  x.empty("administrativeGenderCode", {{"code", "F"}, {"codeSystem", kGender}});
  if (id.birth_date) x.empty("birthTime", {{"value", day(*id.birth_date)}});
  x.close().close().close();

  // --- authors: the L1 reader (and the L2 reader) ---
  auto author = [&](const ReaderRef& r, TimePoint when, bool with_cim) {
    x.open("author");
    x.empty("time", {{"value", ts(when)}});
    x.open("assignedAuthor");
    x.empty("id", {{"root", kRppsOid}, {"extension", "8" + r.rpps}});
    personName(x, r.name.empty() ? r.rpps : r.name);
    if (with_cim && !id.cim_id.empty()) {
      x.open("representedOrganization");
      x.empty("id", {{"root", ctx.cim_id_root}, {"extension", id.cim_id}});
      if (!ctx.cim_name.empty()) x.text("name", ctx.cim_name);
      x.close();
    }
    x.close().close();
  };
  author(id.l1_radiologist, form.signature.signed_at.value_or(ctx.created_at), true);
  if (l2) author(l2->reader, l2->read_at, false);

  // --- custodian: the coordination centre ---
  x.open("custodian").open("assignedCustodian").open("representedCustodianOrganization");
  x.empty("id", {{"root", kFinessOid}, {"extension", ctx.custodian_finess}});
  if (!ctx.custodian_name.empty()) x.text("name", ctx.custodian_name);
  x.close().close().close();

  if (form.signature.is_signed && form.signature.signed_at) {
    x.open("legalAuthenticator");
    x.empty("time", {{"value", ts(*form.signature.signed_at)}});
    x.empty("signatureCode", {{"code", "S"}});
    x.open("assignedEntity");
    x.empty("id", {{"root", kRppsOid}, {"extension", "8" + id.l1_radiologist.rpps}});
    x.close().close();
  }
  if (id.mammogram_date) {
    x.open("documentationOf").open("serviceEvent", {{"classCode", "ACT"}});
    x.code("code", {"24606-6", kLoinc, "LOINC", "MG Breast Screening"});
    x.open("effectiveTime").empty("low", {{"value", day(*id.mammogram_date)}}).close();
    x.close().close();
  }

  x.open("component").open("structuredBody");

  // --- Clinical information ---
  {
    std::vector<std::string> lines = {
        "Chirurgie bénigne : " + yesNo(c.benign_surgery),
        "Réduction mammaire : " + yesNo(c.breast_reduction),
        "Prothèse : " + yesNo(c.prosthesis),
        "Biopsie antérieure : " + yesNo(c.previous_biopsy),
        "Antécédent familial de cancer du sein : " + yesNo(c.family.breast_cancer) +
            ", de l'ovaire : " + yesNo(c.family.ovarian_cancer) +
            (c.family.closest_degree ? ", degré " + std::to_string(*c.family.closest_degree)
                                     : std::string()),
        "Traitement hormonal substitutif : " +
            (c.hormone_therapy ? yesNo(*c.hormone_therapy) : std::string("non renseigné")),
    };
    for (Symptom s : c.symptoms) lines.push_back(std::string("Symptôme : ") + labelFr(s));
    for (Breast b : {Breast::kRight, Breast::kLeft}) {
      const auto& e = b == Breast::kRight ? c.exam_right : c.exam_left;
      lines.push_back(std::string("Examen clinique, ") + labelFr(b) + " : " +
                      (!e.result                                  ? "non renseigné"
                       : *e.result == ClinicalExamResult::kNormal ? "normal"
                                                                  : "anormal - " + e.finding));
    }
    beginSection(x, local("FI-CLINICAL", "Clinical information"), "Informations cliniques", lines);
    booleanObservation(x, local("HISTORY-BENIGN-SURGERY", "Benign breast surgery"),
                       c.benign_surgery);
    booleanObservation(x, local("HISTORY-REDUCTION", "Breast reduction"), c.breast_reduction);
    booleanObservation(x, local("HISTORY-PROSTHESIS", "Breast prosthesis"), c.prosthesis);
    booleanObservation(x, local("HISTORY-BIOPSY", "Previous breast biopsy"), c.previous_biopsy);
    booleanObservation(x, local("FAMILY-BREAST", "Family history of breast cancer"),
                       c.family.breast_cancer);
    booleanObservation(x, local("FAMILY-OVARIAN", "Family history of ovarian cancer"),
                       c.family.ovarian_cancer);
    if (c.hormone_therapy)
      booleanObservation(x, local("HRT", "Hormone replacement therapy"), *c.hormone_therapy);
    codedObservation(x, local("MENOPAUSE", "Menopausal status"),
                     local(toCode(c.menopause), toCode(c.menopause)));
    for (Symptom s : c.symptoms)
      codedObservation(x, local("SYMPTOM", "Symptom"), local(toCode(s), labelEn(s)));
    for (Breast b : {Breast::kRight, Breast::kLeft}) {
      const auto& e = b == Breast::kRight ? c.exam_right : c.exam_left;
      if (e.result)
        codedObservation(x, local("CLINICAL-EXAM", "Clinical breast examination"),
                         local(toCode(*e.result), toCode(*e.result)), b);
    }
    endSection(x);
  }

  // --- L1 mammography ---
  {
    std::vector<std::string> lines = {
        "Nombre d'incidences : " + std::to_string(m.view_count) +
            (m.extra_views ? ", clichés complémentaires" : ""),
        "Densité : " + (m.density ? std::string(toCode(*m.density)) + " - " + labelFr(*m.density)
                                  : std::string("non renseignée")),
        "Sein droit : " + assessmentNarrative(m.right),
        "Sein gauche : " + assessmentNarrative(m.left),
    };
    beginSection(x, {"18782-3", kLoinc, "LOINC", "Radiology Study observation"},
                 "Mammographie - première lecture (L1)", lines);
    if (m.density) codedObservation(x, kCompositionObs, densityCode(*m.density));
    assessmentEntries(x, m.right, Breast::kRight);
    assessmentEntries(x, m.left, Breast::kLeft);
    endSection(x);
  }

  // --- Immediate work-up ---
  {
    const auto& w = form.bdi;
    std::vector<std::string> lines = {"BDI réalisé : " + yesNo(w.done)};
    if (w.done) {
      lines.push_back("Clichés complémentaires : " + yesNo(w.extra_views));
      lines.push_back("Échographie : " + yesNo(w.ultrasound) +
                      (w.ultrasound_result.empty() ? "" : " - " + w.ultrasound_result));
      lines.push_back("Prélèvement : " + yesNo(w.needle_procedure));
      lines.push_back("Après BDI, sein droit : " + assessmentNarrative(w.after_right));
      lines.push_back("Après BDI, sein gauche : " + assessmentNarrative(w.after_left));
    }
    beginSection(x, local("FI-BDI", "Immediate diagnostic work-up"),
                 "Bilan diagnostic immédiat (BDI)", lines);
    booleanObservation(x, local("BDI-DONE", "Immediate work-up done"), w.done);
    if (w.done) {
      booleanObservation(x, local("BDI-EXTRA-VIEWS", "Extra views"), w.extra_views);
      booleanObservation(x, local("BDI-ULTRASOUND", "Ultrasound"), w.ultrasound);
      if (!w.ultrasound_result.empty())
        textObservation(x, local("BDI-ULTRASOUND-RESULT", "Ultrasound result"),
                        w.ultrasound_result);
      booleanObservation(x, local("BDI-NEEDLE", "Needle procedure"), w.needle_procedure);
      assessmentEntries(x, w.after_right, Breast::kRight);
      assessmentEntries(x, w.after_left, Breast::kLeft);
    }
    endSection(x);
  }

  // --- L1 conclusion ---
  {
    const auto& k = form.conclusion;
    std::vector<std::string> lines = {
        "Conclusion L1 : " + std::string(!k.result                              ? "non renseignée"
                                         : *k.result == L1Conclusion::kNegative ? "négative"
                                                                                : "positive")};
    if (k.management) lines.push_back(std::string("Conduite à tenir : ") + labelFr(*k.management));
    if (!k.comment.empty()) lines.push_back(k.comment);
    beginSection(x, {"19005-8", kLoinc, "LOINC", "Radiology Imaging study [Impression]"},
                 "Conclusion de la première lecture", lines);
    if (k.result)
      codedObservation(x, local("L1-CONCLUSION", "L1 conclusion"),
                       local(toCode(*k.result), toCode(*k.result)));
    if (k.management)
      codedObservation(x, local("L1-MANAGEMENT", "Recommended management"),
                       local(toCode(*k.management), labelEn(*k.management)));
    endSection(x);
  }

  // --- Second reading ---
  if (l2) {
    const L2Verdict verdict = verdictOf(*l2);
    const char* verdict_code = verdict == L2Verdict::kNegative   ? "negative"
                               : verdict == L2Verdict::kPositive ? "positive"
                                                                 : "technically_insufficient";
    const char* verdict_fr = verdict == L2Verdict::kNegative   ? "négative"
                             : verdict == L2Verdict::kPositive ? "positive"
                                                               : "clichés techniquement "
                                                                 "insuffisants (CTI)";
    std::vector<std::string> lines = {
        std::string("Résultat L2 : ") + verdict_fr,
        "Sein droit : " + assessmentNarrative(l2->right),
        "Sein gauche : " + assessmentNarrative(l2->left),
    };
    for (const auto& f : l2->cti)
      lines.push_back("CTI " + f.view + " : " + labelFr(f.reason) +
                      (f.comment.empty() ? "" : " - " + f.comment));
    if (!l2->comment.empty()) lines.push_back(l2->comment);
    beginSection(x, local("FI-L2", "Second reading"), "Seconde lecture (L2)", lines);
    x.open("author");
    x.empty("time", {{"value", ts(l2->read_at)}});
    x.open("assignedAuthor");
    x.empty("id", {{"root", kRppsOid}, {"extension", "8" + l2->reader.rpps}});
    x.close().close();
    codedObservation(x, local("L2-RESULT", "Second reading result"),
                     local(verdict_code, verdict_code));
    if (l2->density) codedObservation(x, kCompositionObs, densityCode(*l2->density));
    assessmentEntries(x, l2->right, Breast::kRight);
    assessmentEntries(x, l2->left, Breast::kLeft);
    for (const auto& f : l2->cti) {
      beginObservation(x, local("CTI", "Technically insufficient image"));
      x.codedValue(local(toCode(f.reason), labelEn(f.reason)));
      component(x, local("CTI-VIEW", "View to retake"), [&] {
        x.text("value", f.view, {{"xsi:type", "ST"}});
      });
      endObservation(x);
    }
    endSection(x);
  }

  return x.finish();
}

}  // namespace dualread
