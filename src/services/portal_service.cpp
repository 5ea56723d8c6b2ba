#include "services/portal_service.h"

#include <algorithm>

#include "services/access_service.h"
#include "services/letter_service.h"

namespace dualread {

using nlohmann::json;

namespace {

std::optional<int64_t> womanNumber(const std::string& id) {
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(id);
}

std::string doctorRecipient(const Principal& who) { return "doctor:" + who.rpps; }

}  // namespace

bool PortalService::concerns(const Principal& who, const std::string& woman_id) {
  if (woman_id.empty()) return false;
  if (who.role == Role::kWoman) return !who.woman_id.empty() && who.woman_id == woman_id;
  if (who.role == Role::kDoctor)
    return !who.rpps.empty() && s_.access &&
           s_.access->store().womanNamedDoctor(woman_id, who.rpps);
  return false;
}

json PortalService::lettersJson(const std::string& woman_id, const std::string& recipient) {
  json out = json::array();
  if (!s_.letters) return out;
  for (const auto& l : s_.letters->lettersTo(woman_id, recipient))
    out.push_back({{"id", l.id},
                   {"kind", l.kind},
                   {"exam_id", l.exam_id},
                   {"date", l.created_at},
                   {"pages", l.pages},
                   {"url", "/api/portal/letters/" + l.id + "/pdf"}});
  return out;
}

json PortalService::examsJson(int64_t woman_id) {
  StudyQuery q;
  q.woman_id = woman_id;
  q.limit = 1000;
  auto studies = s_.index.findStudies(q);
  // Newest first: the exam her last letter is about comes first.
  std::sort(studies.begin(), studies.end(), [](const StudyRow& a, const StudyRow& b) {
    return a.study_date + a.study_time > b.study_date + b.study_time;
  });
  json out = json::array();
  for (const auto& st : studies) {
    InstanceQuery iq;
    iq.study_uids = {st.study_uid};
    json images = json::array();
    for (const auto& i : s_.index.findInstances(iq)) {
      json view = json::parse(i.view_json, nullptr, false);
      if (!view.is_object()) view = json::object();
      // Raw detector data (FOR PROCESSING) is not an image to look at.
      if (view.value("for_processing", false)) continue;
      images.push_back({{"sop_instance_uid", i.sop_uid},
                        {"series_instance_uid", i.series_uid},
                        {"view", view.value("code", "OTHER")},
                        {"role", view.value("role", "other")},
                        {"laterality", view.value("laterality", "")},
                        {"rows", i.rows},
                        {"columns", i.columns},
                        {"size", i.size},
                        {"url", "/api/portal/images/" + i.sop_uid}});
    }
    out.push_back({{"study_uid", st.study_uid},
                   {"study_date", st.study_date},
                   {"institution", st.institution},
                   {"cim_id", st.patient.issuer},
                   {"description", st.description},
                   {"modalities", st.modalities},
                   {"images", images}});
  }
  return out;
}

PortalDocuments PortalService::documents(const Principal& who) {
  PortalDocuments d;
  if (who.role == Role::kWoman) {
    const auto n = womanNumber(who.woman_id);
    WomanRow w;
    d.body = {{"role", "woman"}};
    if (!n || !s_.index.getWoman(*n, w)) {
      d.body["woman"] = nullptr;
      d.body["letters"] = json::array();
      d.body["exams"] = json::array();
      return d;
    }
    d.women.push_back(who.woman_id);
    d.body["woman"] = {{"id", who.woman_id}, {"name", w.name}, {"birth_date", w.birth_date}};
    d.body["letters"] = lettersJson(who.woman_id, "woman");
    d.body["exams"] = examsJson(*n);
    return d;
  }
  if (who.role != Role::kDoctor || who.rpps.empty() || !s_.access) {
    d.body = {{"role", std::string(roleName(who.role))}, {"women", json::array()}};
    return d;
  }
  json women = json::array();
  for (const auto& id : s_.access->store().womenOfDoctor(who.rpps)) {
    const auto n = womanNumber(id);
    WomanRow w;
    if (!n || !s_.index.getWoman(*n, w)) continue;
    d.women.push_back(id);
    women.push_back({{"woman", {{"id", id}, {"name", w.name}, {"birth_date", w.birth_date}}},
                     {"letters", lettersJson(id, doctorRecipient(who))},
                     {"exams", examsJson(*n)}});
  }
  d.body = {{"role", "doctor"}, {"rpps", who.rpps}, {"women", women}};
  return d;
}

PortalLetter PortalService::letter(const Principal& who, const std::string& id) {
  PortalLetter r;
  if (!s_.letters) return r;
  r.letter = s_.letters->letter(id);
  if (!r.letter) return r;
  const std::string addressed_to =
      who.role == Role::kWoman ? std::string("woman") : doctorRecipient(who);
  const bool mine = (who.role == Role::kWoman || who.role == Role::kDoctor) &&
                    r.letter->recipient == addressed_to && concerns(who, r.letter->woman_id);
  r.access = mine ? PortalAccess::kOk : PortalAccess::kNotYours;
  return r;
}

PortalImage PortalService::image(const Principal& who, const std::string& sop) {
  PortalImage r;
  if (!s_.index.findInstance(sop, r.instance)) return r;
  StudyRow st;
  if (s_.index.getStudy(r.instance.study_uid, st) && st.patient.woman_id)
    r.woman_id = std::to_string(*st.patient.woman_id);
  // An image not (yet) attached to a woman — held for the identity queue — is nobody's here.
  r.access = r.woman_id && concerns(who, *r.woman_id) ? PortalAccess::kOk : PortalAccess::kNotYours;
  return r;
}

}  // namespace dualread
