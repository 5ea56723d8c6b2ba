#include "letters/letter_template.h"

#include <array>
#include <fstream>
#include <mstch/mstch.hpp>
#include <set>
#include <sstream>

namespace dualread {

namespace {

// Markers placed in the mustache output so the layout parser knows which characters came
// from the data. They are control characters, so neither the template text nor the data can
// contain them (both are cleaned first), and they are removed before anything is drawn.
constexpr char kVarMark = '\x1D';    // before every variable tag of the template
constexpr char kDataBegin = '\x1E';  // around every non-empty value of the data
constexpr char kDataEnd = '\x1F';

struct KindInfo {
  LetterKind kind;
  std::string_view name;
  bool for_woman;
};

constexpr std::array<KindInfo, 6> kKinds{{
    {LetterKind::kNegativeResult, "negative_result", true},
    {LetterKind::kNegativeResultDoctor, "negative_result_doctor", false},
    {LetterKind::kRecall, "recall", true},
    {LetterKind::kRecallDoctor, "recall_doctor", false},
    {LetterKind::kCtiNotice, "cti_notice", false},
    {LetterKind::kL1PositiveAck, "l1_positive_ack", false},
}};

const KindInfo& infoOf(LetterKind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k;
  throw std::logic_error("unknown letter kind");
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && s[b] == ' ') ++b;
  while (e > b && s[e - 1] == ' ') --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
}

int lineAt(std::string_view text, size_t pos) {
  int line = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

bool validTagName(std::string_view name) {
  if (name.empty()) return false;
  if (name == ".") return true;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return name.front() != '.' && name.back() != '.';
}

const std::map<std::string, LetterZone>& zoneNames() {
  static const std::map<std::string, LetterZone> m{
      {"@sender", LetterZone::kSender},       {"@recipient", LetterZone::kRecipient},
      {"@reference", LetterZone::kReference}, {"@date", LetterZone::kDate},
      {"@body", LetterZone::kBody},           {"@footer", LetterZone::kFooter},
  };
  return m;
}

// Checks the mustache syntax the way a strict implementation would (mstch itself accepts
// anything and silently drops what it cannot parse) and rewrites every variable as an
// unescaped, marked tag. Returns the rewritten text; fills `variables` with the names used and
// `skeleton` with the text whose comments are blanked (newlines kept) for the zone check.
std::string prepareMustache(std::string_view text, const std::string& origin,
                            std::set<std::string>& variables, std::string& skeleton) {
  struct Open {
    std::string name;
    int line;
  };
  std::vector<Open> stack;
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  auto fail = [&](size_t pos, const std::string& what) -> void {
    throw LetterTemplateError(origin + ", line " + std::to_string(lineAt(text, pos)) + ": " + what);
  };
  size_t i = 0;
  while (true) {
    const size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(text.substr(i));
      skeleton.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    skeleton.append(text.substr(i, open - i));
    const bool triple = text.compare(open, 3, "{{{") == 0;
    const size_t inner_start = open + (triple ? 3 : 2);
    const size_t close = text.find(triple ? "}}}" : "}}", inner_start);
    if (close == std::string_view::npos) {
      const size_t eol = text.find('\n', open);
      fail(open, "the tag '" + std::string(text.substr(open, std::min<size_t>(eol - open, 40))) +
                     "' is never closed with '" + (triple ? "}}}" : "}}") + "'");
    }
    const std::string_view raw_tag = text.substr(open, close + (triple ? 3 : 2) - open);
    std::string inner = trim(text.substr(inner_start, close - inner_start));
    i = close + (triple ? 3 : 2);
    if (inner.find('\n') != std::string::npos && (inner.empty() || inner[0] != '!'))
      fail(open, "the tag '" + std::string(raw_tag.substr(0, 40)) +
                     "' spans several lines (only comments may)");
    auto variable = [&](std::string name) {
      name = trim(name);
      if (!validTagName(name))
        fail(open, "'" + std::string(raw_tag) +
                       "' is not a valid variable name (letters, digits, '_', '-' and '.')");
      variables.insert(name);
      out += kVarMark;
      out += "{{&" + name + "}}";
    };
    if (triple) {
      variable(inner);
      continue;
    }
    if (inner.empty()) fail(open, "empty tag '{{}}'");
    const char sigil = inner[0];
    const std::string name = trim(std::string_view(inner).substr(1));
    switch (sigil) {
      case '!':
        out.append(raw_tag);
        for (char c : raw_tag)
          if (c == '\n') skeleton += '\n';
        break;
      case '#':
      case '^':
        if (!validTagName(name))
          fail(open, "'" + std::string(raw_tag) + "' does not name a valid section");
        variables.insert(name);
        stack.push_back({name, lineAt(text, open)});
        out += "{{";
        out += sigil;
        out += name + "}}";
        break;
      case '/':
        if (stack.empty())
          fail(open, "'" + std::string(raw_tag) + "' closes a section that was never opened");
        if (stack.back().name != name)
          fail(open, "'" + std::string(raw_tag) + "' closes '" + stack.back().name +
                         "' opened on line " + std::to_string(stack.back().line) +
                         " (sections must be closed in the reverse order they were opened)");
        stack.pop_back();
        out += "{{/" + name + "}}";
        break;
      case '>':
        fail(open, "partials ('" + std::string(raw_tag) + "') are not supported in letters");
        break;
      case '=':
        fail(open, "changing the delimiters ('" + std::string(raw_tag) +
                       "') is not supported in letters");
        break;
      case '&':
        variable(name);
        break;
      case '{':
      case '}':
        fail(open, "'" + std::string(raw_tag) + "' is not a valid tag");
        break;
      default:
        variable(inner);
    }
  }
  if (!stack.empty()) {
    throw LetterTemplateError(origin + ", line " + std::to_string(stack.back().line) +
                              ": the section '{{#" + stack.back().name +
                              "}}' is never closed (add '{{/" + stack.back().name + "}}')");
  }
  return out;
}

mstch::node toNode(const nlohmann::json& j) {
  auto wrap = [](std::string s) -> mstch::node {
    s = cleanLetterText(s, false);
    if (s.empty()) return std::string();  // stays falsy for sections
    return kDataBegin + s + kDataEnd;
  };
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mstch::map m;
      for (auto it = j.begin(); it != j.end(); ++it) m.emplace(it.key(), toNode(it.value()));
      return m;
    }
    case nlohmann::json::value_t::array: {
      mstch::array a;
      a.reserve(j.size());
      for (const auto& v : j) a.push_back(toNode(v));
      return a;
    }
    case nlohmann::json::value_t::string:
      return wrap(j.get<std::string>());
    case nlohmann::json::value_t::boolean:
      return j.get<bool>();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return wrap(j.dump());
    default:
      return std::string();
  }
}

const nlohmann::json* lookup(const nlohmann::json& data, const std::string& path) {
  const nlohmann::json* cur = &data;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

bool isEmptyValue(const nlohmann::json& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return trim(cleanLetterText(v.get<std::string>(), false)).empty();
  if (v.is_array() || v.is_object()) return v.empty();
  return false;
}

std::string stripMarks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != kVarMark && c != kDataBegin && c != kDataEnd) out += c;
  return out;
}

void tidyZone(std::vector<LetterLine>& lines) {
  std::vector<LetterLine> out;
  for (auto& l : lines) {
    if (l.style == LetterLine::Style::kBlank &&
        (out.empty() || out.back().style == LetterLine::Style::kBlank ||
         out.back().style == LetterLine::Style::kPageBreak))
      continue;
    if (l.style == LetterLine::Style::kPageBreak && !out.empty() &&
        out.back().style == LetterLine::Style::kBlank)
      out.pop_back();
    out.push_back(std::move(l));
  }
  while (!out.empty() && out.back().style == LetterLine::Style::kBlank) out.pop_back();
  lines = std::move(out);
}

}  // namespace

const std::vector<LetterKind>& allLetterKinds() {
  static const std::vector<LetterKind> v = [] {
    std::vector<LetterKind> out;
    for (const auto& k : kKinds) out.push_back(k.kind);
    return out;
  }();
  return v;
}

std::string_view letterKindName(LetterKind kind) { return infoOf(kind).name; }

std::optional<LetterKind> letterKindFromName(std::string_view name) {
  for (const auto& k : kKinds)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

bool letterIsForWoman(LetterKind kind) { return infoOf(kind).for_woman; }

const std::vector<std::string>& requiredLetterFields(LetterKind kind) {
  static const std::map<LetterKind, std::vector<std::string>> fields = [] {
    const std::vector<std::string> common{"crcdc.name",
                                          "crcdc.address_lines",
                                          "crcdc.postal_code",
                                          "crcdc.city",
                                          "recipient.name",
                                          "recipient.address_lines",
                                          "recipient.postal_code",
                                          "recipient.city",
                                          "date",
                                          "reference"};
    auto with = [&](std::vector<std::string> extra) {
      std::vector<std::string> v = common;
      v.insert(v.end(), extra.begin(), extra.end());
      return v;
    };
    return std::map<LetterKind, std::vector<std::string>>{
        {LetterKind::kNegativeResult, with({"exam.date", "access_code"})},
        {LetterKind::kNegativeResultDoctor, with({"woman.name", "woman.birth_date", "exam.date"})},
        {LetterKind::kRecall, with({"exam.date", "access_code", "cim.name", "l1.name"})},
        {LetterKind::kRecallDoctor,
         with({"woman.name", "woman.birth_date", "exam.date", "cim.name", "l1.name"})},
        {LetterKind::kCtiNotice,
         with({"woman.name", "woman.birth_date", "exam.date", "exam.accession", "cti.items"})},
        {LetterKind::kL1PositiveAck,
         with({"woman.name", "woman.birth_date", "exam.date", "exam.accession", "received_date"})},
    };
  }();
  return fields.at(kind);
}

std::string cleanLetterText(std::string_view text, bool keep_newlines) {
  std::string out;
  out.reserve(text.size());
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      if (c == '\r') {
        if (keep_newlines)
          out += '\n';
        else
          out += ' ';
        if (i + 1 < n && s[i + 1] == '\n') ++i;
      } else if (c == '\n') {
        out += keep_newlines ? '\n' : ' ';
      } else if (c == '\t') {
        out += ' ';
      } else if (c >= 0x20 && c != 0x7F) {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Multi-byte UTF-8: validate length, continuation bytes, overlongs and surrogates.
    int len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF)
      len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
      len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
      len = 4, cp = c & 0x07;
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80)
        ok = false;
      else
        cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
               (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
      ok = false;
    if (!ok) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (!(cp >= 0x80 && cp <= 0x9F)) out.append(text.substr(i, static_cast<size_t>(len)));
    i += static_cast<size_t>(len);
  }
  return out;
}

const std::vector<LetterLine>& LetterContent::zone(LetterZone z) const {
  static const std::vector<LetterLine> kEmpty;
  auto it = zones.find(z);
  return it == zones.end() ? kEmpty : it->second;
}

std::string LetterContent::plainText() const {
  std::string out;
  for (const auto& [z, lines] : zones) {
    for (const auto& l : lines) {
      if (l.style == LetterLine::Style::kPageBreak) continue;
      out += l.text;
      out += '\n';
    }
  }
  return out;
}

LetterTemplate LetterTemplate::fromText(LetterKind kind, std::string_view text,
                                        std::string origin) {
  LetterTemplate t;
  t.kind_ = kind;
  t.origin_ = std::move(origin);
  t.source_ = cleanLetterText(text, true);
  std::set<std::string> variables;
  std::string skeleton;
  t.prepared_ = prepareMustache(t.source_, t.origin_, variables, skeleton);

  bool has_recipient = false;
  const auto lines = splitLines(skeleton);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string l = trim(lines[i]);
    if (l.empty() || l[0] != '@') continue;
    if (l == "@newpage") continue;
    auto it = zoneNames().find(l);
    if (it == zoneNames().end()) {
      throw LetterTemplateError(t.origin_ + ", line " + std::to_string(i + 1) + ": unknown zone '" +
                                l +
                                "' (zones are @sender, @recipient, @reference, @date, @body, "
                                "@footer, each alone on its line; @newpage breaks the page)");
    }
    if (it->second == LetterZone::kRecipient) has_recipient = true;
  }
  if (!has_recipient) {
    throw LetterTemplateError(t.origin_ +
                              ": no @recipient zone: every letter is posted in a window "
                              "envelope and needs the recipient's name and address there");
  }
  if (letterIsForWoman(kind) && !variables.count("access_code")) {
    throw LetterTemplateError(t.origin_ +
                              ": a letter to the woman must print her portal access code "
                              "({{access_code}}): she signs in to the portal with it");
  }
  return t;
}

LetterTemplate LetterTemplate::fromFile(LetterKind kind, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw LetterTemplateError("the letter template " + path.string() +
                              " cannot be read (missing file or no permission)");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    throw LetterTemplateError("error while reading the letter template " + path.string());
  return fromText(kind, ss.str(), path.filename().string());
}

std::vector<std::string> LetterTemplate::dataProblems(const nlohmann::json& data) const {
  std::vector<std::string> problems;
  if (!data.is_object()) {
    problems.push_back("the letter data is not a JSON object");
    return problems;
  }
  for (const auto& path : requiredLetterFields(kind_)) {
    const nlohmann::json* v = lookup(data, path);
    if (!v)
      problems.push_back("required field '" + path + "' is missing");
    else if (isEmptyValue(*v))
      problems.push_back("required field '" + path + "' is empty");
  }
  return problems;
}

LetterContent LetterTemplate::expand(const nlohmann::json& data) const {
  auto refuse = [&](const std::vector<std::string>& problems) {
    std::string msg = "the letter '" + std::string(letterKindName(kind_)) + "' (" + origin_ +
                      ") cannot be made: ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    throw LetterDataError(msg);
  };
  if (auto problems = dataProblems(data); !problems.empty()) refuse(problems);

  const std::string rendered = mstch::render(prepared_, toNode(data));

  LetterContent content;
  content.kind = kind_;
  LetterZone zone = LetterZone::kBody;
  for (const std::string& raw : splitLines(rendered)) {
    const bool has_var = raw.find(kVarMark) != std::string::npos;
    const std::string visible = trim(stripMarks(raw));
    if (has_var && visible.empty()) continue;  // only empty variables: the line disappears
    auto& lines = content.zones[zone];
    if (visible.empty()) {
      lines.push_back({LetterLine::Style::kBlank, ""});
      continue;
    }
    if (!has_var && visible[0] == '@') {
      if (visible == "@newpage") {
        lines.push_back({LetterLine::Style::kPageBreak, ""});
        continue;
      }
      if (auto it = zoneNames().find(visible); it != zoneNames().end()) {
        zone = it->second;
        continue;
      }
    }
    // Markup is recognised only in the template's own text: a line that starts with a
    // variable (marked) never matches these prefixes.
    struct Prefix {
      std::string_view text;
      LetterLine::Style style;
    };
    static constexpr std::array<Prefix, 4> kPrefixes{{{"## ", LetterLine::Style::kBold},
                                                      {"# ", LetterLine::Style::kTitle},
                                                      {"- ", LetterLine::Style::kBullet},
                                                      {"> ", LetterLine::Style::kRight}}};
    const std::string lead = trim(raw);
    LetterLine line{LetterLine::Style::kText, visible};
    for (const auto& p : kPrefixes) {
      if (lead.compare(0, p.text.size(), p.text) == 0) {
        line.style = p.style;
        line.text = trim(stripMarks(std::string_view(lead).substr(p.text.size())));
        break;
      }
    }
    if (line.text.empty()) continue;
    lines.push_back(std::move(line));
  }
  for (auto& [z, lines] : content.zones) tidyZone(lines);

  int address_lines = 0;
  for (const auto& l : content.zone(LetterZone::kRecipient))
    if (l.style != LetterLine::Style::kBlank && l.style != LetterLine::Style::kPageBreak)
      ++address_lines;
  if (address_lines > kMaxAddressLines) {
    refuse({"the recipient block has " + std::to_string(address_lines) +
            " lines; a postal address has at most " + std::to_string(kMaxAddressLines)});
  }
  return content;
}

LetterTemplateSet LetterTemplateSet::loadDirectory(const std::filesystem::path& dir) {
  LetterTemplateSet set;
  std::string errors;
  for (LetterKind kind : allLetterKinds()) {
    const auto path = dir / (std::string(letterKindName(kind)) + ".mustache");
    try {
      set.templates_.emplace(kind, LetterTemplate::fromFile(kind, path));
    } catch (const LetterTemplateError& e) {
      errors += errors.empty() ? "" : "\n";
      errors += e.what();
    }
  }
  if (!errors.empty()) {
    throw LetterTemplateError("the letter templates in " + dir.string() + " cannot be used:\n" +
                              errors);
  }
  return set;
}

const LetterTemplate& LetterTemplateSet::get(LetterKind kind) const {
  auto it = templates_.find(kind);
  if (it == templates_.end())
    throw LetterTemplateError("no template loaded for the letter '" +
                              std::string(letterKindName(kind)) + "'");
  return it->second;
}

std::filesystem::path defaultLetterTemplateDir() {
  return std::filesystem::path(DUALREAD_SOURCE_DIR) / "templates" / "letters";
}

std::string frenchLongDate(Date d) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "janvier", "février", "mars",      "avril",   "mai",      "juin",
      "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
  const std::chrono::year_month_day ymd{d};
  const unsigned day = static_cast<unsigned>(ymd.day());
  const unsigned month = static_cast<unsigned>(ymd.month());
  return (day == 1 ? std::string("1er") : std::to_string(day)) + " " +
         std::string(kMonths[month - 1]) + " " + std::to_string(static_cast<int>(ymd.year()));
}

}  // namespace dualread
