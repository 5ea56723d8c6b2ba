#pragma once
// CtiRequest: the centre's request that an imaging centre retake technically insufficient
// images (CTI), raised when an L2 reading flags views with a reason. It sits on the CIM's
// worklist until a retake study arrives; the retake is matched to the open request and joins the
// SAME exam, which then gets a new L2 (SCREENING.md §12; the experiments failed exactly here by
// creating a second file). Requests are owned by their exam record; pure value types and
// functions, thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "domain/programme_rules.h"
#include "domain/reading.h"
#include "domain/time.h"

namespace dualread {

enum class CtiStatus { kOpen, kFulfilled, kCancelled };

struct CtiRequest {
  std::string id;
  std::string exam_id;
  std::string woman_id;
  std::string cim_id;
  ReaderRef requested_by;
  TimePoint requested_at{};
  std::vector<CtiFlag> items;  // each view to retake with its reason
  CtiStatus status = CtiStatus::kOpen;
  std::string fulfilled_by_study_uid;
  std::optional<TimePoint> fulfilled_at;
  bool operator==(const CtiRequest&) const = default;
};

// A study received from a CIM that may be a retake: who, where, when, which view slots it holds.
struct RetakeStudy {
  std::string study_uid;
  std::string woman_id;  // after identity matching; empty = not matched yet
  std::string cim_id;
  TimePoint acquired_at{};
  std::vector<std::string> views;  // slot codes found in the study ("RCC", "LMLO"...)
  bool operator==(const RetakeStudy&) const = default;
};

struct RetakeMatch {
  bool matched = false;
  std::vector<std::string> reasons;  // why not, one sentence each; empty when matched
};

// The request raised by a signed L2 reading with CTI flags, on `now`.
CtiRequest makeCtiRequest(std::string id, const std::string& exam_id, const std::string& woman_id,
                          const std::string& cim_id, const L2Reading& reading, TimePoint now);

// Whether `study` fulfils `request`: the request is open; same woman (woman id, never a name
// guess); same CIM (the CIM that was asked retakes at its own cost); every requested view
// present; acquired strictly after the request.
RetakeMatch matchRetake(const CtiRequest& request, const RetakeStudy& study);

// Which open request a study fulfils among `requests`. Exactly one match gives its id; none
// gives every request's reasons; several is ambiguous and gives no id (a human decides: an image
// is never silently attached).
struct RetakeAssignment {
  std::optional<std::string> request_id;
  bool ambiguous = false;
  std::vector<std::string> reasons;
};
RetakeAssignment findRequestForRetake(const std::vector<CtiRequest>& requests,
                                      const RetakeStudy& study);

// One line of a CIM's CTI worklist.
struct CtiWorklistEntry {
  std::string request_id;
  std::string exam_id;
  std::string woman_id;
  Date requested_on{};
  int days_open = 0;
  bool reminder_due = false;  // open for rules.cti_retake_reminder_days or more
  std::vector<CtiFlag> items;
};

// The open requests addressed to `cim_id`, oldest first.
std::vector<CtiWorklistEntry> ctiWorklist(const std::vector<CtiRequest>& requests,
                                          const std::string& cim_id, const ProgrammeRules& rules,
                                          Date today);

const char* toCode(CtiStatus s);

}  // namespace dualread
