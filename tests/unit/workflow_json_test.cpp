// JSON exchange of the FI and the L2 reading: round trips, strict error reporting (never an
// exception), and the sync between docs/schemas/l1-form.schema.json and the parser.

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <regex>
#include <set>

#include "services/reading_form_json.h"
#include "workflow_test_data.h"

namespace dualread {
namespace {

using namespace testdata;
using nlohmann::json;

// A form using every optional part, so that its JSON holds every schema property.
L1Form fullForm() {
  L1Form f = positiveForm();
  f.identification.used_name = "DUPONT";
  f.clinical.benign_surgery = true;
  f.clinical.family = {true, true, 2};
  f.clinical.hormone_therapy = true;
  f.clinical.symptoms = {Symptom::kPain, Symptom::kNippleDischarge};
  f.clinical.exam_left.result = ClinicalExamResult::kAbnormal;
  f.clinical.exam_left.finding = "thickening";
  f.clinical.exam_left.location = {Quadrant::kUpperOuter, 2, Depth::kAnterior};
  f.mammography.extra_views = true;
  f.mammography.right.findings[0].location.depth = Depth::kPosterior;
  f.mammography.right.findings[0].description = "spiculated";
  f.bdi.extra_views = true;
  f.bdi.needle_procedure = true;
  f.conclusion.comment = "biopsy planned";
  return f;
}

bool hasErrorAt(const std::vector<FormError>& errors, const std::string& field,
                const std::string& fragment = "") {
  for (const auto& e : errors)
    if (e.field == field && e.message.find(fragment) != std::string::npos) return true;
  return false;
}

std::string dump(const std::vector<FormError>& errors) {
  std::string s;
  for (const auto& e : errors) s += "[" + e.field + ": " + e.message + "] ";
  return s;
}

// ---------------------------------------------------------------- round trips

TEST(ReadingFormJson, L1FormRoundTrips) {
  for (const L1Form& f :
       {negativeForm(), clearedByBdiForm(), positiveForm(), fullForm(), L1Form{}}) {
    const auto parsed = l1FormFromJson(toJson(f));
    ASSERT_TRUE(parsed.ok()) << dump(parsed.errors);
    EXPECT_EQ(*parsed.value, f);
  }
}

TEST(ReadingFormJson, L2ReadingRoundTrips) {
  for (const L2Reading& r : {negativeL2(), positiveL2(), ctiL2()}) {
    const auto parsed = l2ReadingFromJson(toJson(r));
    ASSERT_TRUE(parsed.ok()) << dump(parsed.errors);
    EXPECT_EQ(*parsed.value, r);
  }
  L2Reading d = negativeL2();
  d.density = Density::kD;
  d.comment = "dense";
  EXPECT_EQ(*l2ReadingFromJson(toJson(d)).value, d);
}

TEST(ReadingFormJson, TextRoundTripAndSyntaxError) {
  const auto ok = l1FormFromJsonText(toJson(negativeForm()).dump());
  ASSERT_TRUE(ok.ok());
  const auto bad = l1FormFromJsonText("{\"identification\": ");
  EXPECT_FALSE(bad.ok());
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_EQ(bad.errors[0].field, "");
  EXPECT_FALSE(l2ReadingFromJsonText("not json").ok());
}

TEST(ReadingFormJson, ParsingDoesNotJudgeCoherence) {
  L1Form f = negativeForm();
  f.mammography.right.birads = BiRads::k4;  // no finding, no BDI: incoherent but well-formed
  const auto parsed = l1FormFromJson(toJson(f));
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(checkL1Form(*parsed.value, {}).empty());
}

// ---------------------------------------------------------------- strict errors

TEST(ReadingFormJson, UnknownCodesAreErrorsNotExceptions) {
  json j = toJson(fullForm());
  j["mammography"]["density"] = "E";
  j["clinical"]["menopause"] = "perimenopausal";
  j["clinical"]["symptoms"][1] = "itching";
  j["mammography"]["right"]["findings"][0]["type"] = "cyst";
  j["mammography"]["right"]["findings"][0]["location"]["quadrant"] = "north";
  j["conclusion"]["management"] = "wait";
  const auto parsed = l1FormFromJson(j);
  EXPECT_FALSE(parsed.ok());
  EXPECT_FALSE(parsed.value);
  EXPECT_EQ(parsed.errors.size(), 6u) << dump(parsed.errors);
  EXPECT_TRUE(hasErrorAt(parsed.errors, "mammography.density", "unknown code \"E\""));
  EXPECT_TRUE(hasErrorAt(parsed.errors, "clinical.menopause", "perimenopausal"));
  EXPECT_TRUE(hasErrorAt(parsed.errors, "clinical.symptoms[1]", "itching"));
  EXPECT_TRUE(hasErrorAt(parsed.errors, "mammography.right.findings[0].type", "cyst"));
  EXPECT_TRUE(hasErrorAt(parsed.errors, "mammography.right.findings[0].location.quadrant"));
  EXPECT_TRUE(hasErrorAt(parsed.errors, "conclusion.management"));
  json l2 = toJson(ctiL2());
  l2["cti"][0]["reason"] = "blurry";
  const auto p2 = l2ReadingFromJson(l2);
  EXPECT_TRUE(hasErrorAt(p2.errors, "cti[0].reason", "blurry")) << dump(p2.errors);
}

TEST(ReadingFormJson, WrongTypesAndRanges) {
  json j = toJson(positiveForm());
  j["mammography"]["right"]["birads"] = "4";
  j["mammography"]["left"]["birads"] = 1.5;
  j["bdi"]["after"]["right"]["birads"] = 6;
  j["mammography"]["view_count"] = -1;
  j["signature"]["signed_at"] = "2024-03-12 10:30";
  j["identification"]["birth_date"] = "01/03/1965";
  j["bdi"]["done"] = "yes";
  j["clinical"]["family_history"]["closest_degree"] = 3;
  j["mammography"]["right"]["findings"][0]["location"]["clock_hour"] = 13;
  const auto p = l1FormFromJson(j);
  EXPECT_EQ(p.errors.size(), 9u) << dump(p.errors);
  EXPECT_TRUE(hasErrorAt(p.errors, "mammography.right.birads", "whole number"));
  EXPECT_TRUE(hasErrorAt(p.errors, "mammography.left.birads", "whole number"));
  EXPECT_TRUE(hasErrorAt(p.errors, "bdi.after.right.birads", "between 0 and 5"));
  EXPECT_TRUE(hasErrorAt(p.errors, "mammography.view_count"));
  EXPECT_TRUE(hasErrorAt(p.errors, "signature.signed_at", "UTC time"));
  EXPECT_TRUE(hasErrorAt(p.errors, "identification.birth_date", "YYYY-MM-DD"));
  EXPECT_TRUE(hasErrorAt(p.errors, "bdi.done", "true or false"));
  EXPECT_TRUE(hasErrorAt(p.errors, "clinical.family_history.closest_degree"));
  EXPECT_TRUE(hasErrorAt(p.errors, "mammography.right.findings[0].location.clock_hour"));
}

TEST(ReadingFormJson, UnknownFieldsAndWrongShapes) {
  json j = toJson(negativeForm());
  j["mammography"]["densty"] = "B";
  j["extra"] = 1;
  j["clinical"]["exam"] = json::array();
  auto p = l1FormFromJson(j);
  EXPECT_TRUE(hasErrorAt(p.errors, "mammography.densty", "unknown field"));
  EXPECT_TRUE(hasErrorAt(p.errors, "extra", "unknown field"));
  EXPECT_TRUE(hasErrorAt(p.errors, "clinical.exam", "JSON object")) << dump(p.errors);
  for (const json& odd : {json::array(), json("form"), json(nullptr), json(42)}) {
    p = l1FormFromJson(odd);
    EXPECT_FALSE(p.ok());
    EXPECT_FALSE(p.errors.empty());
  }
  j = toJson(negativeForm());
  j["format_version"] = 2;
  EXPECT_TRUE(hasErrorAt(l1FormFromJson(j).errors, "format_version"));
  j = toJson(negativeForm());
  j["signature"]["signed_at"] = nullptr;  // nullable
  EXPECT_TRUE(l1FormFromJson(j).ok());
  json l2 = toJson(negativeL2());
  l2["read_at"] = nullptr;  // not nullable
  EXPECT_TRUE(hasErrorAt(l2ReadingFromJson(l2).errors, "read_at", "null"));
}

// ---------------------------------------------------------------- schema sync

json loadSchema() {
  std::ifstream in(std::string(DUALREAD_SOURCE_DIR) + "/docs/schemas/l1-form.schema.json");
  EXPECT_TRUE(in.good()) << "schema file missing";
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

const json& resolve(const json& node, const json& root) {
  if (node.is_object() && node.contains("$ref")) {
    const std::string ref = node["$ref"].get<std::string>();
    const std::string prefix = "#/$defs/";
    if (ref.rfind(prefix, 0) == 0) return root["$defs"][ref.substr(prefix.size())];
  }
  return node;
}

// Visits every property of `schema` that the document `doc` holds, depth first.
struct PropertyVisit {
  std::string path;            // "mammography.right.findings[0].type"
  json::json_pointer pointer;  // to the value in the document
  const json* schema;          // resolved schema of the property
  bool required;
  bool present;
};

void walk(const json& doc, const json& schema, const json& root, const std::string& path,
          const json::json_pointer& ptr, const std::function<void(const PropertyVisit&)>& visit) {
  const json& s = resolve(schema, root);
  if (s.contains("properties") && doc.is_object()) {
    std::set<std::string> required;
    if (s.contains("required"))
      for (const auto& r : s["required"]) required.insert(r.get<std::string>());
    for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
      const std::string p = path.empty() ? it.key() : path + "." + it.key();
      const json& sub = resolve(it.value(), root);
      const bool present = doc.contains(it.key());
      visit({p, ptr / it.key(), &sub, required.count(it.key()) > 0, present});
      if (present) walk(doc[it.key()], sub, root, p, ptr / it.key(), visit);
    }
  } else if (s.contains("items") && doc.is_array()) {
    for (size_t i = 0; i < doc.size(); ++i)
      walk(doc[i], s["items"], root, path + "[" + std::to_string(i) + "]", ptr / i, visit);
  }
}

TEST(ReadingFormSchema, SchemaFileIsValidJson) {
  const json schema = loadSchema();
  ASSERT_FALSE(schema.is_discarded());
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

TEST(ReadingFormSchema, EverySchemaPropertyIsWrittenAndEveryWrittenKeyIsInTheSchema) {
  const json schema = loadSchema();
  const json doc = toJson(fullForm());
  std::set<std::string> visited;
  walk(doc, schema, schema, "", json::json_pointer{}, [&](const PropertyVisit& v) {
    EXPECT_TRUE(v.present) << v.path << " is in the schema but toJson() does not write it";
    visited.insert(v.pointer.to_string());
  });
  // The reverse: every leaf and object key written is a schema property.
  std::function<void(const json&, const json::json_pointer&)> keys =
      [&](const json& node, const json::json_pointer& ptr) {
        if (node.is_object()) {
          for (auto it = node.begin(); it != node.end(); ++it) {
            EXPECT_TRUE(visited.count((ptr / it.key()).to_string()))
                << (ptr / it.key()).to_string() << " is written but not in the schema";
            keys(it.value(), ptr / it.key());
          }
        } else if (node.is_array()) {
          for (size_t i = 0; i < node.size(); ++i) keys(node[i], ptr / i);
        }
      };
  keys(doc, json::json_pointer{});
  EXPECT_GT(visited.size(), 80u);
}

TEST(ReadingFormSchema, RequiredInTheSchemaIsRequiredByTheParserAndOnlyThat) {
  const json schema = loadSchema();
  const json doc = toJson(fullForm());
  int required = 0, optional = 0;
  walk(doc, schema, schema, "", json::json_pointer{}, [&](const PropertyVisit& v) {
    json broken = doc;
    broken[v.pointer.parent_pointer()].erase(v.pointer.back());
    const auto parsed = l1FormFromJson(broken);
    if (v.required) {
      ++required;
      EXPECT_TRUE(hasErrorAt(parsed.errors, v.path, "missing required field"))
          << v.path << " is required in the schema but the parser accepts it missing";
    } else {
      ++optional;
      EXPECT_TRUE(parsed.ok()) << v.path << " is optional in the schema but the parser says "
                               << dump(parsed.errors);
    }
  });
  EXPECT_GT(required, 60);
  EXPECT_GT(optional, 10);
}

TEST(ReadingFormSchema, EnumsInTheSchemaAreExactlyTheParserCodes) {
  const json schema = loadSchema();
  const json doc = toJson(fullForm());
  int enums = 0;
  walk(doc, schema, schema, "", json::json_pointer{}, [&](const PropertyVisit& v) {
    const json* s = v.schema;
    if (s->contains("type") && (*s)["type"] == "array" && s->contains("items"))
      s = &resolve((*s)["items"], schema);
    if (!s->contains("enum") || !v.present) return;
    const bool is_array = doc.at(v.pointer).is_array();
    const json& current = is_array ? doc.at(v.pointer)[0] : doc.at(v.pointer);
    EXPECT_NE(std::find((*s)["enum"].begin(), (*s)["enum"].end(), current), (*s)["enum"].end())
        << v.path << " is written as " << current.dump() << ", which the schema does not list";
    const json::json_pointer target = is_array ? v.pointer / 0 : v.pointer;
    const std::string path = is_array ? v.path + "[0]" : v.path;
    for (const auto& value : (*s)["enum"]) {
      json changed = doc;
      changed[target] = value;
      const auto parsed = l1FormFromJson(changed);
      EXPECT_TRUE(parsed.ok()) << path << " = " << value.dump() << ": " << dump(parsed.errors);
      ++enums;
    }
    json changed = doc;
    changed[target] = "not-a-code";
    EXPECT_TRUE(hasErrorAt(l1FormFromJson(changed).errors, path, "unknown code"))
        << path << " accepts a code the schema does not list";
  });
  EXPECT_GT(enums, 40);
}

// Every machine code of every enum the FI uses is listed in the schema.
TEST(ReadingFormSchema, ParserCodesAreAllInTheSchema) {
  const json schema = loadSchema();
  auto listed = [&](const char* pointer, const json& code) {
    const json& e = schema.at(json::json_pointer(pointer));
    return std::find(e.begin(), e.end(), code) != e.end();
  };
  for (Quadrant v :
       {Quadrant::kUpperOuter, Quadrant::kUpperInner, Quadrant::kLowerOuter, Quadrant::kLowerInner,
        Quadrant::kUpperJunction, Quadrant::kLowerJunction, Quadrant::kOuterJunction,
        Quadrant::kInnerJunction, Quadrant::kRetroareolar, Quadrant::kAxillaryTail})
    EXPECT_TRUE(listed("/$defs/location/properties/quadrant/enum", toCode(v))) << toCode(v);
  for (Depth v : {Depth::kAnterior, Depth::kMiddle, Depth::kPosterior})
    EXPECT_TRUE(listed("/$defs/location/properties/depth/enum", toCode(v))) << toCode(v);
  for (FindingType v : {FindingType::kMass, FindingType::kCalcifications,
                        FindingType::kArchitecturalDistortion, FindingType::kAsymmetry})
    EXPECT_TRUE(listed("/$defs/finding/properties/type/enum", toCode(v))) << toCode(v);
  for (Breast v : {Breast::kRight, Breast::kLeft})
    EXPECT_TRUE(listed("/$defs/finding/properties/side/enum", toCode(v))) << toCode(v);
  for (ClinicalExamResult v : {ClinicalExamResult::kNormal, ClinicalExamResult::kAbnormal})
    EXPECT_TRUE(listed("/$defs/clinical_exam/properties/result/enum", toCode(v))) << toCode(v);
  for (Density v : {Density::kA, Density::kB, Density::kC, Density::kD})
    EXPECT_TRUE(listed("/properties/mammography/properties/density/enum", toCode(v)));
  for (MenopausalStatus v : {MenopausalStatus::kUnknown, MenopausalStatus::kPremenopausal,
                             MenopausalStatus::kPostmenopausal})
    EXPECT_TRUE(listed("/properties/clinical/properties/menopause/enum", toCode(v)));
  for (Symptom v :
       {Symptom::kLump, Symptom::kNippleDischarge, Symptom::kSkinOrNippleChange, Symptom::kPain})
    EXPECT_TRUE(listed("/properties/clinical/properties/symptoms/items/enum", toCode(v)));
  for (L1Conclusion v : {L1Conclusion::kNegative, L1Conclusion::kPositive})
    EXPECT_TRUE(listed("/properties/conclusion/properties/result/enum", toCode(v)));
  for (Management v :
       {Management::kNone, Management::kShortFollowUp, Management::kBiopsy, Management::kReferral})
    EXPECT_TRUE(listed("/properties/conclusion/properties/management/enum", toCode(v)));
}

TEST(ReadingFormSchema, EveryCoherenceErrorPathIsASchemaPath) {
  const json schema = loadSchema();
  // Every path the schema can describe, with array indexes normalised to [].
  std::set<std::string> paths;
  std::function<void(const json&, const std::string&)> collect = [&](const json& node,
                                                                     const std::string& path) {
    const json& s = resolve(node, schema);
    if (s.contains("properties"))
      for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
        const std::string p = path.empty() ? it.key() : path + "." + it.key();
        paths.insert(p);
        collect(it.value(), p);
      }
    if (s.contains("items")) collect(s["items"], path + "[]");
  };
  collect(schema, "");
  paths.insert("bdi");  // section-level errors name the section itself

  std::vector<L1Form> broken = {L1Form{}};
  L1Form f = fullForm();
  f.identification.ins = "bad";
  f.identification.l1_radiologist.rpps = "1";
  f.clinical.personal_breast_cancer = true;
  f.clinical.family.closest_degree.reset();
  f.mammography.view_count = 2;
  f.mammography.right.findings[0].side = Breast::kLeft;
  f.mammography.right.findings[0].size_mm = 0;
  f.mammography.right.findings[0].location = {Quadrant::kUpperOuter, 14, std::nullopt};
  f.mammography.left.birads = BiRads::k1;
  f.mammography.left.findings = {f.mammography.right.findings[0]};
  f.bdi.after_right.birads = BiRads::k0;
  f.bdi.ultrasound_result.clear();
  f.conclusion.management = Management::kNone;
  f.signature.signed_at = makeTime(2020, 1, 1);
  broken.push_back(f);
  L1Form g = negativeForm();
  g.bdi.extra_views = true;
  g.bdi.after_left.birads = BiRads::k1;
  broken.push_back(g);
  L1Form h = clearedByBdiForm();
  h.bdi.extra_views = false;
  h.signature.signed_at.reset();
  broken.push_back(h);

  const std::regex index(R"(\[[0-9]+\])");
  int checked = 0;
  for (const auto& form : broken)
    for (const auto& e : checkL1Form(form, {})) {
      const std::string normalised = std::regex_replace(e.field, index, "[]");
      EXPECT_TRUE(paths.count(normalised)) << e.field << " (" << e.message << ")";
      ++checked;
    }
  EXPECT_GT(checked, 30);
}

}  // namespace
}  // namespace dualread
