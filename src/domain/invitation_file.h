#pragma once
// The invited population as the health-insurance invitation file gives it to the CRCDC: one
// woman per row — identity traits, INS, postal address, invitation date and the doctors she
// named (general practitioner, gynaecologist: RPPS, name, postal address). parseInvitationFile()
// reads the whole file and checks every row; the caller imports it only when there is no error
// at all (a file is never half imported). Pure functions over text, thread-safe.
//
// Format (documented for the centre in docs/notes/workflow-rest.md): UTF-8 text, one header
// line then one line per woman, fields separated by ';' (or ',' when the header uses commas),
// fields may be double-quoted ("" inside quotes is a quote). Columns, in any order, names
// case-insensitive:
//   required: ins, birth_name, first_names, birth_date (YYYY-MM-DD or DD/MM/YYYY),
//             address_1, postal_code (5 digits), city
//   optional: screening_number, used_name, sex (F), address_2, address_3, invited_on,
//             gp_rpps, gp_name, gp_address, gp_postal_code, gp_city,
//             gyn_rpps, gyn_name, gyn_address, gyn_postal_code, gyn_city
// A doctor is named when her RPPS is given; then her name and full address are required.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.h"
#include "domain/woman.h"

namespace dualread {

struct InvitedWoman {
  Woman woman;  // id empty: the register keys women by INS
  std::optional<Date> invited_on;
  int line = 0;  // line of the file (1 = header)
};

struct InvitationRowError {
  int line = 0;         // 1-based line of the file; 0 for the file as a whole
  std::string field;    // column name; empty for the row or file
  std::string message;  // sentence
};

struct InvitationFile {
  std::vector<InvitedWoman> women;
  std::vector<InvitationRowError> errors;
  bool ok() const { return errors.empty(); }
};

// Parses and checks the whole file. `progress`, when set, is called every `progress_every`
// rows with the number of rows read.
InvitationFile parseInvitationFile(std::string_view text, void (*progress)(int, void*) = nullptr,
                                   void* progress_ctx = nullptr, int progress_every = 1000);

// The column names, in the canonical order (the order `dualread synth` writes).
const std::vector<std::string>& invitationColumns();

// One CSV field quoted when needed (separator ';').
std::string csvField(std::string_view value, char separator = ';');

}  // namespace dualread
