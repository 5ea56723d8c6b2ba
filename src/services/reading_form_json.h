#pragma once
// JSON exchange form of the reading form (L1Form, the FI) and of the L2 reading, as sent by the
// CIM gateway and the reading console and stored by the hub. Parsing is strict: a missing
// required field, a wrong type, an unknown field or an unknown code is reported in the error
// list with the field's JSON path — never thrown. The JSON Schema of the FI is
// docs/schemas/l1-form.schema.json (kept in sync by a unit test). Pure functions, thread-safe.

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "domain/cti.h"
#include "domain/reading.h"
#include "domain/reading_form.h"

namespace dualread {

// The outcome of parsing: `value` is set only when `errors` is empty.
template <class T>
struct Parsed {
  std::optional<T> value;
  std::vector<FormError> errors;
  bool ok() const { return value.has_value(); }
};

inline constexpr int kL1FormFormatVersion = 1;

nlohmann::json toJson(const L1Form& form);
nlohmann::json toJson(const L2Reading& reading);

Parsed<L1Form> l1FormFromJson(const nlohmann::json& j);
Parsed<L2Reading> l2ReadingFromJson(const nlohmann::json& j);
// From text; a syntax error is reported as one error with an empty field path.
Parsed<L1Form> l1FormFromJsonText(std::string_view text);
Parsed<L2Reading> l2ReadingFromJsonText(std::string_view text);

// The L3/consensus decision: {"readers": [{rpps, name}], "decided_at", "positive", "right",
// "left", "comment"}; `decided_at`, `right`, `left` and `comment` are optional when parsing
// (the hub stamps the time).
nlohmann::json toJson(const L3Decision& decision);
Parsed<L3Decision> l3DecisionFromJson(const nlohmann::json& j);

// A CTI request as stored and shown on the CIM's worklist.
nlohmann::json toJson(const CtiRequest& request);
Parsed<CtiRequest> ctiRequestFromJson(const nlohmann::json& j);

}  // namespace dualread
