#include "domain/cti.h"

#include <algorithm>

namespace dualread {

const char* toCode(CtiStatus s) {
  switch (s) {
    case CtiStatus::kOpen:
      return "open";
    case CtiStatus::kFulfilled:
      return "fulfilled";
    default:
      return "cancelled";
  }
}

CtiRequest makeCtiRequest(std::string id, const std::string& exam_id, const std::string& woman_id,
                          const std::string& cim_id, const L2Reading& reading, TimePoint now) {
  CtiRequest r;
  r.id = std::move(id);
  r.exam_id = exam_id;
  r.woman_id = woman_id;
  r.cim_id = cim_id;
  r.requested_by = reading.reader;
  r.requested_at = now;
  r.items = reading.cti;
  return r;
}

RetakeMatch matchRetake(const CtiRequest& request, const RetakeStudy& study) {
  RetakeMatch m;
  if (request.status != CtiStatus::kOpen)
    m.reasons.push_back("CTI request " + request.id + " is " + toCode(request.status) +
                        ", not open.");
  if (study.woman_id.empty())
    m.reasons.push_back("Study " + study.study_uid +
                        " is not matched to a woman yet; identity must be confirmed first.");
  else if (study.woman_id != request.woman_id)
    m.reasons.push_back("Study " + study.study_uid + " belongs to woman " + study.woman_id +
                        ", the request to woman " + request.woman_id + ".");
  if (study.cim_id != request.cim_id)
    m.reasons.push_back("Study " + study.study_uid + " comes from CIM " + study.cim_id +
                        "; the retake was requested from CIM " + request.cim_id + ".");
  std::vector<std::string> missing;
  for (const auto& item : request.items)
    if (std::find(study.views.begin(), study.views.end(), item.view) == study.views.end() &&
        std::find(missing.begin(), missing.end(), item.view) == missing.end())
      missing.push_back(item.view);
  if (!missing.empty()) {
    std::string list;
    for (const auto& v : missing) list += (list.empty() ? "" : ", ") + v;
    m.reasons.push_back("Study " + study.study_uid + " lacks the requested view(s) " + list + ".");
  }
  if (study.acquired_at <= request.requested_at)
    m.reasons.push_back("Study " + study.study_uid + " was acquired " +
                        toIsoDateTime(study.acquired_at) + ", not after the request (" +
                        toIsoDateTime(request.requested_at) + ").");
  m.matched = m.reasons.empty();
  return m;
}

RetakeAssignment findRequestForRetake(const std::vector<CtiRequest>& requests,
                                      const RetakeStudy& study) {
  RetakeAssignment out;
  std::vector<std::string> matches;
  for (const auto& r : requests) {
    if (r.status != CtiStatus::kOpen) continue;
    RetakeMatch m = matchRetake(r, study);
    if (m.matched)
      matches.push_back(r.id);
    else
      out.reasons.insert(out.reasons.end(), m.reasons.begin(), m.reasons.end());
  }
  if (matches.size() == 1) {
    out.request_id = matches.front();
    out.reasons.clear();
  } else if (matches.size() > 1) {
    out.ambiguous = true;
    out.reasons.clear();
    std::string list;
    for (const auto& id : matches) list += (list.empty() ? "" : ", ") + id;
    out.reasons.push_back("Study " + study.study_uid + " fits several open CTI requests (" + list +
                          "); a secretary must choose.");
  } else if (out.reasons.empty()) {
    out.reasons.push_back("No open CTI request to match study " + study.study_uid + " against.");
  }
  return out;
}

std::vector<CtiWorklistEntry> ctiWorklist(const std::vector<CtiRequest>& requests,
                                          const std::string& cim_id, const ProgrammeRules& rules,
                                          Date today) {
  std::vector<const CtiRequest*> open;
  for (const auto& r : requests)
    if (r.status == CtiStatus::kOpen && r.cim_id == cim_id) open.push_back(&r);
  std::stable_sort(open.begin(), open.end(), [](const CtiRequest* a, const CtiRequest* b) {
    return a->requested_at != b->requested_at ? a->requested_at < b->requested_at : a->id < b->id;
  });
  std::vector<CtiWorklistEntry> out;
  for (const CtiRequest* r : open) {
    CtiWorklistEntry e;
    e.request_id = r->id;
    e.exam_id = r->exam_id;
    e.woman_id = r->woman_id;
    e.requested_on = dateOf(r->requested_at);
    e.days_open = daysBetween(e.requested_on, today);
    e.reminder_due = e.days_open >= rules.cti_retake_reminder_days;
    e.items = r->items;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace dualread
