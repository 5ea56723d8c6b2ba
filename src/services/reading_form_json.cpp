#include "services/reading_form_json.h"

#include <functional>
#include <limits>
#include <set>
#include <string>

namespace dualread {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

json optionalInt(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

json optionalDate(const std::optional<Date>& d) { return d ? json(toIsoDate(*d)) : json(nullptr); }

template <class E>
json optionalCode(const std::optional<E>& v) {
  return v ? json(toCode(*v)) : json(nullptr);
}

json locationJson(const FindingLocation& l) {
  return {{"quadrant", optionalCode(l.quadrant)},
          {"clock_hour", optionalInt(l.clock_hour)},
          {"depth", optionalCode(l.depth)}};
}

json assessmentJson(const BreastAssessment& a) {
  json findings = json::array();
  for (const auto& f : a.findings)
    findings.push_back({{"type", toCode(f.type)},
                        {"side", toCode(f.side)},
                        {"location", locationJson(f.location)},
                        {"size_mm", optionalInt(f.size_mm)},
                        {"description", f.description}});
  return {{"birads", a.birads ? json(static_cast<int>(*a.birads)) : json(nullptr)},
          {"findings", findings}};
}

json readerJson(const ReaderRef& r) { return {{"rpps", r.rpps}, {"name", r.name}}; }

json clinicalExamJson(const ClinicalBreastExam& e) {
  return {{"result", optionalCode(e.result)},
          {"finding", e.finding},
          {"location", locationJson(e.location)}};
}

// ---------------------------------------------------------------------------------------------
// Reading: one object at a time, every key accounted for.
// ---------------------------------------------------------------------------------------------

class ObjectReader {
 public:
  ObjectReader(const json& j, std::string path, std::vector<FormError>& errors)
      : j_(j), path_(std::move(path)), errors_(errors) {
    if (!j_.is_object()) {
      fail(path_, "must be a JSON object");
      valid_ = false;
    }
  }

  // Reports every key not read. Call once all fields were read.
  void finish() {
    if (!valid_) return;
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!seen_.count(it.key())) fail(at(it.key()), "unknown field");
  }

  std::string at(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  // The value of `key`, or null when absent (reported when required) or when the object is
  // invalid. JSON null is returned as is: callers decide whether null is allowed.
  const json* field(const std::string& key, bool required) {
    seen_.insert(key);
    if (!valid_) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) fail(at(key), "missing required field");
      return nullptr;
    }
    return &*it;
  }

  void string(const std::string& key, std::string& out, bool required) {
    const json* v = field(key, required);
    if (!v) return;
    if (!v->is_string()) return fail(at(key), "must be a string");
    out = v->get<std::string>();
  }

  void boolean(const std::string& key, bool& out) {
    const json* v = field(key, true);
    if (!v) return;
    if (!v->is_boolean()) return fail(at(key), "must be true or false");
    out = v->get<bool>();
  }

  void optionalBoolean(const std::string& key, std::optional<bool>& out) {
    const json* v = field(key, true);
    if (!v || v->is_null()) return;
    if (!v->is_boolean()) return fail(at(key), "must be true, false or null");
    out = v->get<bool>();
  }

  // Whole number in [min, max]; null gives nullopt when `nullable`.
  void integer(const std::string& key, std::optional<int>& out, bool required, bool nullable,
               int min, int max) {
    const json* v = field(key, required);
    if (!v) return;
    if (v->is_null()) {
      if (!nullable) fail(at(key), "must not be null");
      return;
    }
    if (!v->is_number_integer()) return fail(at(key), "must be a whole number");
    const auto n = v->get<long long>();
    if (n < min || n > max)
      return fail(at(key), "must be between " + std::to_string(min) + " and " +
                               std::to_string(max) + " (got " + std::to_string(n) + ")");
    out = static_cast<int>(n);
  }

  void date(const std::string& key, std::optional<Date>& out, bool required) {
    const json* v = field(key, required);
    if (!v || v->is_null()) return;
    if (!v->is_string()) return fail(at(key), "must be a date \"YYYY-MM-DD\" or null");
    out = parseIsoDate(v->get<std::string>());
    if (!out) fail(at(key), "\"" + v->get<std::string>() + "\" is not a date \"YYYY-MM-DD\"");
  }

  void dateTime(const std::string& key, std::optional<TimePoint>& out, bool required,
                bool nullable) {
    const json* v = field(key, required);
    if (!v) return;
    if (v->is_null()) {
      if (!nullable) fail(at(key), "must not be null");
      return;
    }
    if (!v->is_string()) return fail(at(key), "must be a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"");
    out = parseIsoDateTime(v->get<std::string>());
    if (!out)
      fail(at(key), "\"" + v->get<std::string>() + "\" is not a UTC time \"YYYY-MM-DDTHH:MM:SSZ\"");
  }

  // An enum by its machine code; null gives nullopt when `nullable`.
  template <class E>
  void code(const std::string& key, std::optional<E>& out, bool required, bool nullable) {
    const json* v = field(key, required);
    if (!v) return;
    if (v->is_null()) {
      if (!nullable) fail(at(key), "must not be null");
      return;
    }
    parseCodeValue(*v, at(key), out);
  }

  template <class E>
  void parseCodeValue(const json& v, const std::string& path, std::optional<E>& out) {
    if (!v.is_string()) return fail(path, "must be a code (string)");
    E e{};
    if (!parseCode(v.get<std::string>(), e))
      return fail(path, "unknown code \"" + v.get<std::string>() + "\"");
    out = e;
  }

  void object(const std::string& key, bool required,
              const std::function<void(ObjectReader&)>& read) {
    const json* v = field(key, required);
    if (!v) return;
    ObjectReader sub(*v, at(key), errors_);
    read(sub);
    sub.finish();
  }

  void array(const std::string& key, bool required,
             const std::function<void(const json&, const std::string&)>& read) {
    const json* v = field(key, required);
    if (!v) return;
    if (!v->is_array()) return fail(at(key), "must be an array");
    for (size_t i = 0; i < v->size(); ++i) read((*v)[i], at(key) + "[" + std::to_string(i) + "]");
  }

  std::vector<FormError>& errors() { return errors_; }

 private:
  void fail(const std::string& path, const std::string& what) {
    errors_.push_back({path, what + "."});
  }

  const json& j_;
  std::string path_;
  std::vector<FormError>& errors_;
  std::set<std::string> seen_;
  bool valid_ = true;
};

void readLocation(ObjectReader& o, FindingLocation& l) {
  o.code("quadrant", l.quadrant, false, true);
  o.integer("clock_hour", l.clock_hour, false, true, 1, 12);
  o.code("depth", l.depth, false, true);
}

void readAssessment(ObjectReader& o, BreastAssessment& a) {
  std::optional<int> birads;
  o.integer("birads", birads, true, true, 0, 5);
  if (birads) {
    BiRads b{};
    if (biradsFromInt(*birads, b)) a.birads = b;
  }
  o.array("findings", true, [&](const json& item, const std::string& path) {
    ObjectReader f(item, path, o.errors());
    Finding finding;
    std::optional<FindingType> type;
    std::optional<Breast> side;
    f.code("type", type, true, false);
    f.code("side", side, true, false);
    if (type) finding.type = *type;
    if (side) finding.side = *side;
    f.object("location", true, [&](ObjectReader& l) { readLocation(l, finding.location); });
    f.integer("size_mm", finding.size_mm, false, true, 0, 10000);
    f.string("description", finding.description, false);
    f.finish();
    a.findings.push_back(std::move(finding));
  });
}

void readReader(ObjectReader& o, ReaderRef& r) {
  o.string("rpps", r.rpps, true);
  o.string("name", r.name, false);
}

void readClinicalExam(ObjectReader& o, ClinicalBreastExam& e) {
  o.code("result", e.result, true, true);
  o.string("finding", e.finding, false);
  o.object("location", false, [&](ObjectReader& l) { readLocation(l, e.location); });
}

void readForm(ObjectReader& root, L1Form& form) {
  std::optional<int> version;
  root.integer("format_version", version, true, false, kL1FormFormatVersion, kL1FormFormatVersion);

  root.object("identification", true, [&](ObjectReader& o) {
    auto& id = form.identification;
    o.string("woman_id", id.woman_id, false);
    o.string("ins", id.ins, true);
    o.string("screening_number", id.screening_number, true);
    o.string("birth_name", id.birth_name, true);
    o.string("first_names", id.first_names, true);
    o.string("used_name", id.used_name, false);
    o.date("birth_date", id.birth_date, true);
    o.string("cim_id", id.cim_id, true);
    o.string("site_id", id.site_id, false);
    o.string("mammography_unit", id.mammography_unit, false);
    o.date("mammogram_date", id.mammogram_date, true);
    o.object("l1_radiologist", true, [&](ObjectReader& r) { readReader(r, id.l1_radiologist); });
    o.string("technologist", id.technologist, false);
  });

  root.object("clinical", true, [&](ObjectReader& o) {
    auto& c = form.clinical;
    o.object("history", true, [&](ObjectReader& h) {
      h.boolean("benign_surgery", c.benign_surgery);
      h.boolean("breast_reduction", c.breast_reduction);
      h.boolean("prosthesis", c.prosthesis);
      h.boolean("previous_biopsy", c.previous_biopsy);
      h.boolean("personal_breast_cancer", c.personal_breast_cancer);
    });
    o.object("family_history", true, [&](ObjectReader& f) {
      f.boolean("breast_cancer", c.family.breast_cancer);
      f.boolean("ovarian_cancer", c.family.ovarian_cancer);
      f.integer("closest_degree", c.family.closest_degree, true, true, 1, 2);
    });
    o.optionalBoolean("hormone_therapy", c.hormone_therapy);
    std::optional<MenopausalStatus> menopause;
    o.code("menopause", menopause, true, false);
    if (menopause) c.menopause = *menopause;
    o.array("symptoms", true, [&](const json& item, const std::string& path) {
      std::optional<Symptom> s;
      o.parseCodeValue(item, path, s);
      if (s) c.symptoms.push_back(*s);
    });
    o.object("exam", true, [&](ObjectReader& e) {
      e.object("right", true, [&](ObjectReader& r) { readClinicalExam(r, c.exam_right); });
      e.object("left", true, [&](ObjectReader& l) { readClinicalExam(l, c.exam_left); });
    });
  });

  root.object("mammography", true, [&](ObjectReader& o) {
    auto& m = form.mammography;
    std::optional<int> views;
    o.integer("view_count", views, true, false, 0, 100);
    if (views) m.view_count = *views;
    o.boolean("extra_views", m.extra_views);
    o.code("density", m.density, true, true);
    o.object("right", true, [&](ObjectReader& a) { readAssessment(a, m.right); });
    o.object("left", true, [&](ObjectReader& a) { readAssessment(a, m.left); });
  });

  root.object("bdi", true, [&](ObjectReader& o) {
    auto& b = form.bdi;
    o.boolean("done", b.done);
    o.boolean("extra_views", b.extra_views);
    o.boolean("ultrasound", b.ultrasound);
    o.string("ultrasound_result", b.ultrasound_result, false);
    o.boolean("needle_procedure", b.needle_procedure);
    o.object("after", true, [&](ObjectReader& after) {
      after.object("right", true, [&](ObjectReader& a) { readAssessment(a, b.after_right); });
      after.object("left", true, [&](ObjectReader& a) { readAssessment(a, b.after_left); });
    });
  });

  root.object("conclusion", true, [&](ObjectReader& o) {
    o.code("result", form.conclusion.result, true, true);
    o.code("management", form.conclusion.management, true, true);
    o.string("comment", form.conclusion.comment, false);
  });

  root.object("signature", true, [&](ObjectReader& o) {
    o.boolean("signed", form.signature.is_signed);
    o.dateTime("signed_at", form.signature.signed_at, true, true);
  });
}

void readL2(ObjectReader& root, L2Reading& r) {
  root.object("reader", true, [&](ObjectReader& o) { readReader(o, r.reader); });
  std::optional<TimePoint> at;
  root.dateTime("read_at", at, true, false);
  if (at) r.read_at = *at;
  root.object("right", true, [&](ObjectReader& a) { readAssessment(a, r.right); });
  root.object("left", true, [&](ObjectReader& a) { readAssessment(a, r.left); });
  root.code("density", r.density, false, true);
  root.array("cti", true, [&](const json& item, const std::string& path) {
    ObjectReader c(item, path, root.errors());
    CtiFlag flag;
    std::optional<CtiReason> reason;
    c.string("view", flag.view, true);
    c.code("reason", reason, true, false);
    if (reason) flag.reason = *reason;
    c.string("comment", flag.comment, false);
    c.finish();
    r.cti.push_back(std::move(flag));
  });
  root.string("comment", r.comment, false);
  root.boolean("signed", r.is_signed);
}

void readCtiFlag(ObjectReader& c, CtiFlag& flag) {
  std::optional<CtiReason> reason;
  c.string("view", flag.view, true);
  c.code("reason", reason, true, false);
  if (reason) flag.reason = *reason;
  c.string("comment", flag.comment, false);
}

void readL3(ObjectReader& root, L3Decision& d) {
  root.array("readers", true, [&](const json& item, const std::string& path) {
    ObjectReader o(item, path, root.errors());
    ReaderRef r;
    readReader(o, r);
    o.finish();
    d.readers.push_back(std::move(r));
  });
  std::optional<TimePoint> at;
  root.dateTime("decided_at", at, false, false);
  if (at) d.decided_at = *at;
  root.boolean("positive", d.positive);
  root.object("right", false, [&](ObjectReader& a) { readAssessment(a, d.right); });
  root.object("left", false, [&](ObjectReader& a) { readAssessment(a, d.left); });
  root.string("comment", d.comment, false);
}

void readCtiRequest(ObjectReader& root, CtiRequest& r) {
  root.string("id", r.id, true);
  root.string("exam_id", r.exam_id, true);
  root.string("woman_id", r.woman_id, true);
  root.string("cim_id", r.cim_id, true);
  root.object("requested_by", true, [&](ObjectReader& o) { readReader(o, r.requested_by); });
  std::optional<TimePoint> at;
  root.dateTime("requested_at", at, true, false);
  if (at) r.requested_at = *at;
  root.array("items", true, [&](const json& item, const std::string& path) {
    ObjectReader c(item, path, root.errors());
    CtiFlag flag;
    readCtiFlag(c, flag);
    c.finish();
    r.items.push_back(std::move(flag));
  });
  std::string status;
  root.string("status", status, true);
  if (status == "open")
    r.status = CtiStatus::kOpen;
  else if (status == "fulfilled")
    r.status = CtiStatus::kFulfilled;
  else if (status == "cancelled")
    r.status = CtiStatus::kCancelled;
  else
    root.errors().push_back({root.at("status"), "unknown CTI status"});
  root.string("fulfilled_by_study_uid", r.fulfilled_by_study_uid, false);
  std::optional<TimePoint> done;
  root.dateTime("fulfilled_at", done, false, true);
  r.fulfilled_at = done;
}

template <class T>
Parsed<T> parseWith(const json& j, const std::function<void(ObjectReader&, T&)>& read) {
  Parsed<T> out;
  T value;
  try {
    ObjectReader root(j, "", out.errors);
    read(root, value);
    root.finish();
  } catch (const std::exception& e) {
    // The reader checks every type before converting; this is a last line of defence so that
    // nothing escapes to the caller as an exception.
    out.errors.push_back({"", std::string("unreadable document: ") + e.what()});
  }
  if (out.errors.empty()) out.value = std::move(value);
  return out;
}

template <class T>
Parsed<T> parseText(std::string_view text, Parsed<T> (*parse)(const json&)) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    Parsed<T> out;
    out.errors.push_back({"", "The document is not valid JSON."});
    return out;
  }
  return parse(j);
}

}  // namespace

json toJson(const L1Form& f) {
  const auto& id = f.identification;
  const auto& c = f.clinical;
  json symptoms = json::array();
  for (Symptom s : c.symptoms) symptoms.push_back(toCode(s));
  return {
      {"format_version", kL1FormFormatVersion},
      {"identification",
       {{"woman_id", id.woman_id},
        {"ins", id.ins},
        {"screening_number", id.screening_number},
        {"birth_name", id.birth_name},
        {"first_names", id.first_names},
        {"used_name", id.used_name},
        {"birth_date", optionalDate(id.birth_date)},
        {"cim_id", id.cim_id},
        {"site_id", id.site_id},
        {"mammography_unit", id.mammography_unit},
        {"mammogram_date", optionalDate(id.mammogram_date)},
        {"l1_radiologist", readerJson(id.l1_radiologist)},
        {"technologist", id.technologist}}},
      {"clinical",
       {{"history",
         {{"benign_surgery", c.benign_surgery},
          {"breast_reduction", c.breast_reduction},
          {"prosthesis", c.prosthesis},
          {"previous_biopsy", c.previous_biopsy},
          {"personal_breast_cancer", c.personal_breast_cancer}}},
        {"family_history",
         {{"breast_cancer", c.family.breast_cancer},
          {"ovarian_cancer", c.family.ovarian_cancer},
          {"closest_degree", optionalInt(c.family.closest_degree)}}},
        {"hormone_therapy", c.hormone_therapy ? json(*c.hormone_therapy) : json(nullptr)},
        {"menopause", toCode(c.menopause)},
        {"symptoms", symptoms},
        {"exam",
         {{"right", clinicalExamJson(c.exam_right)}, {"left", clinicalExamJson(c.exam_left)}}}}},
      {"mammography",
       {{"view_count", f.mammography.view_count},
        {"extra_views", f.mammography.extra_views},
        {"density", optionalCode(f.mammography.density)},
        {"right", assessmentJson(f.mammography.right)},
        {"left", assessmentJson(f.mammography.left)}}},
      {"bdi",
       {{"done", f.bdi.done},
        {"extra_views", f.bdi.extra_views},
        {"ultrasound", f.bdi.ultrasound},
        {"ultrasound_result", f.bdi.ultrasound_result},
        {"needle_procedure", f.bdi.needle_procedure},
        {"after",
         {{"right", assessmentJson(f.bdi.after_right)},
          {"left", assessmentJson(f.bdi.after_left)}}}}},
      {"conclusion",
       {{"result", optionalCode(f.conclusion.result)},
        {"management", optionalCode(f.conclusion.management)},
        {"comment", f.conclusion.comment}}},
      {"signature",
       {{"signed", f.signature.is_signed},
        {"signed_at",
         f.signature.signed_at ? json(toIsoDateTime(*f.signature.signed_at)) : json(nullptr)}}},
  };
}

json toJson(const L2Reading& r) {
  json cti = json::array();
  for (const auto& c : r.cti)
    cti.push_back({{"view", c.view}, {"reason", toCode(c.reason)}, {"comment", c.comment}});
  return {{"reader", readerJson(r.reader)},
          {"read_at", toIsoDateTime(r.read_at)},
          {"right", assessmentJson(r.right)},
          {"left", assessmentJson(r.left)},
          {"density", optionalCode(r.density)},
          {"cti", cti},
          {"comment", r.comment},
          {"signed", r.is_signed}};
}

Parsed<L1Form> l1FormFromJson(const json& j) {
  return parseWith<L1Form>(j, [](ObjectReader& o, L1Form& f) { readForm(o, f); });
}

Parsed<L2Reading> l2ReadingFromJson(const json& j) {
  return parseWith<L2Reading>(j, [](ObjectReader& o, L2Reading& r) { readL2(o, r); });
}

Parsed<L1Form> l1FormFromJsonText(std::string_view text) {
  return parseText<L1Form>(text, &l1FormFromJson);
}

Parsed<L2Reading> l2ReadingFromJsonText(std::string_view text) {
  return parseText<L2Reading>(text, &l2ReadingFromJson);
}

json toJson(const L3Decision& d) {
  json readers = json::array();
  for (const auto& r : d.readers) readers.push_back(readerJson(r));
  return {{"readers", readers},
          {"decided_at", toIsoDateTime(d.decided_at)},
          {"positive", d.positive},
          {"right", assessmentJson(d.right)},
          {"left", assessmentJson(d.left)},
          {"comment", d.comment}};
}

Parsed<L3Decision> l3DecisionFromJson(const json& j) {
  return parseWith<L3Decision>(j, [](ObjectReader& o, L3Decision& d) { readL3(o, d); });
}

json toJson(const CtiRequest& r) {
  json items = json::array();
  for (const auto& c : r.items)
    items.push_back({{"view", c.view}, {"reason", toCode(c.reason)}, {"comment", c.comment}});
  return {{"id", r.id},
          {"exam_id", r.exam_id},
          {"woman_id", r.woman_id},
          {"cim_id", r.cim_id},
          {"requested_by", readerJson(r.requested_by)},
          {"requested_at", toIsoDateTime(r.requested_at)},
          {"items", items},
          {"status", toCode(r.status)},
          {"fulfilled_by_study_uid", r.fulfilled_by_study_uid},
          {"fulfilled_at", r.fulfilled_at ? json(toIsoDateTime(*r.fulfilled_at)) : json(nullptr)}};
}

Parsed<CtiRequest> ctiRequestFromJson(const json& j) {
  return parseWith<CtiRequest>(j, [](ObjectReader& o, CtiRequest& r) { readCtiRequest(o, r); });
}

}  // namespace dualread
