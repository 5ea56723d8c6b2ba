#include "domain/invitation_file.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "domain/reading.h"
#include "domain/reading_form.h"

namespace dualread {

namespace {

const std::vector<std::string> kRequired = {"ins",       "birth_name",  "first_names", "birth_date",
                                            "address_1", "postal_code", "city"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

// Splits one record starting at `pos` (quotes may span lines). Advances `pos` past the record
// and `line` by the lines it used. Returns false at the end of the text.
bool nextRecord(std::string_view text, size_t& pos, int& line, char sep,
                std::vector<std::string>& fields, std::string& error) {
  fields.clear();
  error.clear();
  if (pos >= text.size()) return false;
  std::string cur;
  bool quoted = false, was_quoted = false;
  while (pos < text.size()) {
    const char c = text[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          cur += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        cur += c;
      }
      continue;
    }
    if (c == '"' && trim(cur).empty()) {
      quoted = was_quoted = true;
      cur.clear();
    } else if (c == sep) {
      fields.push_back(was_quoted ? cur : trim(cur));
      cur.clear();
      was_quoted = false;
    } else if (c == '\n') {
      ++line;
      fields.push_back(was_quoted ? cur : trim(cur));
      return true;
    } else {
      cur += c;
    }
  }
  if (quoted) error = "a quoted field is not closed before the end of the file";
  fields.push_back(was_quoted ? cur : trim(cur));
  return true;
}

std::optional<Date> parseDate(const std::string& s) {
  if (auto d = parseIsoDate(s)) return d;
  if (s.size() == 10 && s[2] == '/' && s[5] == '/')
    return parseIsoDate(s.substr(6, 4) + "-" + s.substr(3, 2) + "-" + s.substr(0, 2));
  return std::nullopt;
}

bool isPostalCode(const std::string& s) {
  return s.size() == 5 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) || c == 'A' || c == 'B';
         });
}

bool hasControl(const std::string& s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 && c != '\t'; });
}

}  // namespace

const std::vector<std::string>& invitationColumns() {
  static const std::vector<std::string> kColumns = {"ins",
                                                    "screening_number",
                                                    "birth_name",
                                                    "first_names",
                                                    "used_name",
                                                    "birth_date",
                                                    "sex",
                                                    "address_1",
                                                    "address_2",
                                                    "address_3",
                                                    "postal_code",
                                                    "city",
                                                    "invited_on",
                                                    "gp_rpps",
                                                    "gp_name",
                                                    "gp_address",
                                                    "gp_postal_code",
                                                    "gp_city",
                                                    "gyn_rpps",
                                                    "gyn_name",
                                                    "gyn_address",
                                                    "gyn_postal_code",
                                                    "gyn_city"};
  return kColumns;
}

std::string csvField(std::string_view value, char separator) {
  if (value.find_first_of(std::string("\"\n\r") + separator) == std::string_view::npos &&
      (value.empty() || (value.front() != ' ' && value.back() != ' ')))
    return std::string(value);
  std::string out = "\"";
  for (char c : value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

InvitationFile parseInvitationFile(std::string_view text, void (*progress)(int, void*),
                                   void* progress_ctx, int progress_every) {
  InvitationFile out;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // BOM
  size_t pos = 0;
  int line = 1;
  std::vector<std::string> fields;
  std::string error;
  const size_t first_nl = text.find('\n');
  const std::string_view header_line = text.substr(0, first_nl);
  const char sep = header_line.find(';') == std::string_view::npos &&
                           header_line.find(',') != std::string_view::npos
                       ? ','
                       : ';';
  if (!nextRecord(text, pos, line, sep, fields, error) ||
      (fields.size() == 1 && fields[0].empty())) {
    out.errors.push_back(
        {0, "", "the file is empty: a header line naming the columns is required"});
    return out;
  }
  std::map<std::string, size_t> col;
  const auto& known = invitationColumns();
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string name = lower(trim(fields[i]));
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      out.errors.push_back({1, name, "unknown column '" + name + "'"});
      continue;
    }
    if (col.count(name)) out.errors.push_back({1, name, "column '" + name + "' appears twice"});
    col[name] = i;
  }
  for (const auto& r : kRequired)
    if (!col.count(r)) out.errors.push_back({1, r, "the required column '" + r + "' is missing"});
  if (!out.errors.empty()) return out;

  std::map<std::string, int> seen_ins;
  int rows = 0;
  while (true) {
    const int row_line = line;
    if (!nextRecord(text, pos, line, sep, fields, error)) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    ++rows;
    if (progress && progress_every > 0 && rows % progress_every == 0) progress(rows, progress_ctx);
    auto err = [&](const std::string& field, const std::string& message) {
      out.errors.push_back({row_line, field, message});
    };
    if (!error.empty()) {
      err("", error);
      break;
    }
    if (fields.size() != col.size() &&
        !(fields.size() > col.size() &&
          std::all_of(fields.begin() + col.size(), fields.end(),
                      [](const std::string& f) { return f.empty(); }))) {
      err("", "the row has " + std::to_string(fields.size()) + " fields but the header names " +
                  std::to_string(col.size()) + " columns");
      continue;
    }
    auto get = [&](const std::string& name) -> std::string {
      auto it = col.find(name);
      return it == col.end() || it->second >= fields.size() ? std::string() : fields[it->second];
    };
    const size_t errors_before = out.errors.size();
    for (const auto& name : known)
      if (hasControl(get(name))) err(name, "contains control characters");
    InvitedWoman w;
    w.line = row_line;
    Woman& wo = w.woman;
    wo.ins = get("ins");
    if (wo.ins.empty())
      err("ins", "is required");
    else if (!isValidIns(wo.ins))
      err("ins", "'" + wo.ins + "' is not a valid INS (15 characters with a correct key)");
    else if (seen_ins.count(wo.ins))
      err("ins", "appears twice in the file (also line " + std::to_string(seen_ins[wo.ins]) + ")");
    else
      seen_ins[wo.ins] = row_line;
    wo.ins_qualified = false;
    wo.screening_number = get("screening_number");
    wo.birth_name = get("birth_name");
    wo.first_names = get("first_names");
    wo.used_name = get("used_name");
    if (wo.birth_name.empty()) err("birth_name", "is required");
    if (wo.first_names.empty()) err("first_names", "is required");
    const std::string bd = get("birth_date");
    wo.birth_date = parseDate(bd);
    if (!wo.birth_date)
      err("birth_date",
          bd.empty() ? "is required" : "'" + bd + "' is not a date (YYYY-MM-DD or DD/MM/YYYY)");
    const std::string sex = get("sex");
    if (!sex.empty() && sex != "F")
      err("sex", "'" + sex + "': the breast screening programme invites women (F)");
    for (const char* a : {"address_1", "address_2", "address_3"})
      if (!get(a).empty()) wo.address.lines.push_back(get(a));
    if (get("address_1").empty()) err("address_1", "is required (street and number)");
    wo.address.postal_code = get("postal_code");
    wo.address.city = get("city");
    if (!isPostalCode(wo.address.postal_code))
      err("postal_code", "'" + wo.address.postal_code + "' is not a French postal code (5 digits)");
    if (wo.address.city.empty()) err("city", "is required");
    const std::string inv = get("invited_on");
    if (!inv.empty()) {
      w.invited_on = parseDate(inv);
      if (!w.invited_on) err("invited_on", "'" + inv + "' is not a date");
    }
    for (const auto& [prefix, role] :
         {std::pair{std::string("gp_"), DoctorRole::kGeneralPractitioner},
          std::pair{std::string("gyn_"), DoctorRole::kGynaecologist}}) {
      NamedDoctor d;
      d.role = role;
      d.rpps = get(prefix + "rpps");
      d.name = get(prefix + "name");
      const std::string street = get(prefix + "address");
      d.address.postal_code = get(prefix + "postal_code");
      d.address.city = get(prefix + "city");
      const bool any = !d.rpps.empty() || !d.name.empty() || !street.empty() ||
                       !d.address.postal_code.empty() || !d.address.city.empty();
      if (!any) continue;
      if (!isRpps(d.rpps))
        err(prefix + "rpps", d.rpps.empty() ? "is required when a doctor is named"
                                            : "'" + d.rpps + "' is not an RPPS (11 digits)");
      if (d.name.empty()) err(prefix + "name", "is required when a doctor is named");
      if (street.empty()) err(prefix + "address", "is required when a doctor is named");
      if (!isPostalCode(d.address.postal_code))
        err(prefix + "postal_code",
            "'" + d.address.postal_code + "' is not a French postal code (5 digits)");
      if (d.address.city.empty()) err(prefix + "city", "is required when a doctor is named");
      if (!street.empty()) d.address.lines.push_back(street);
      wo.doctors.push_back(std::move(d));
    }
    if (out.errors.size() == errors_before) out.women.push_back(std::move(w));
  }
  if (progress) progress(rows, progress_ctx);
  if (rows == 0 && out.errors.empty())
    out.errors.push_back({0, "", "the file has a header but no woman"});
  return out;
}

}  // namespace dualread
