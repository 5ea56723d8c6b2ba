#pragma once
// LetterTemplate: one kind of letter the centre sends (negative result, recall, CTI notice...)
// as a mustache text file the centre edits, plus the small layout markup below. Expanding a
// template with a JSON context gives a LetterContent: the text of each zone of the page (sender,
// envelope window, reference, date, body, footer), ready for the PDF renderer. Templates are
// immutable once loaded; every method is const and thread-safe. Owned by the caller (usually
// through a LetterTemplateSet loaded once from the centre's template directory).
//
// Template format (documented for the centre in templates/letters/README.md):
//  - Mustache (https://mustache.github.io/mustache.5.html): {{name}}, {{a.b}}, sections
//    {{#list}}…{{/list}}, inverted {{^x}}…{{/x}}, comments {{! … }}. Nothing is HTML-escaped (a
//    PDF is not markup). Partials ({{> x}}) and delimiter changes ({{=<% %>=}}) are refused.
//  - After mustache, each line of text is one line of the letter (long lines wrap to the
//    width of their zone). Zone lines, alone on their line: `@sender` (top left: the centre),
//    `@recipient` (the envelope window: name and postal address, at most 6 lines), `@reference`
//    (left column under the sender: references, access code — hidden when folded), `@date`
//    (right column under the window), `@body` (the letter itself), `@footer` (small print at the
//    bottom of every page). Text before any zone line goes to the body.
//  - Line markup, at the very start of a line: `# ` title (bold, large), `## ` bold line, `- `
//    bullet item, `> ` line in the right column (signature), `@newpage` alone forces a page
//    break in the body. A blank line is a paragraph break (several count as one).
//  - A line made only of variables that are all empty disappears (an address without a second
//    line leaves no gap). Text coming from the data never acts as markup, even when it starts
//    with `#` or `@`; control characters in the data are removed.

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/time.h"

namespace dualread {

// Every letter the centre prints. The name is the template file's stem
// (templates/letters/<name>.mustache) and the run summary's key.
enum class LetterKind {
  kNegativeResult,        // "negative_result": result to the woman, next round in two years
  kNegativeResultDoctor,  // "negative_result_doctor": the same result to a doctor she named
  kRecall,                // "recall": L2 positive, deferred work-up, to the woman
  kRecallDoctor,          // "recall_doctor": the recall to her doctors and the L1 radiologist
  kCtiNotice,             // "cti_notice": technically insufficient images, to the CIM
  kL1PositiveAck,         // "l1_positive_ack": L1-positive file received, to the CIM
};

const std::vector<LetterKind>& allLetterKinds();
std::string_view letterKindName(LetterKind kind);
std::optional<LetterKind> letterKindFromName(std::string_view name);
// Dotted paths into the JSON context that must be present and non-empty (a string with
// non-blank text, a non-empty array) before a letter of this kind is rendered.
const std::vector<std::string>& requiredLetterFields(LetterKind kind);
// Whether the letter goes to the woman herself (then it must print her portal access code).
bool letterIsForWoman(LetterKind kind);

// A template that cannot be used: mustache syntax, unknown zone, missing mandatory zone. The
// message names the template and the line.
class LetterTemplateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The data cannot make this letter (a required field is missing, the address is too long for
// the window). The message lists every problem.
class LetterDataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One line of a zone after expansion.
struct LetterLine {
  enum class Style {
    kText,       // plain line (wraps)
    kTitle,      // "# "
    kBold,       // "## "
    kBullet,     // "- "
    kRight,      // "> " right column
    kBlank,      // paragraph break
    kPageBreak,  // "@newpage" (body only)
  };
  Style style = Style::kText;
  std::string text;  // UTF-8, no control characters, markup removed
  bool operator==(const LetterLine&) const = default;
};

enum class LetterZone { kSender, kRecipient, kReference, kDate, kBody, kFooter };

// The expanded letter: every zone's lines. Blank lines are trimmed at zone edges.
struct LetterContent {
  LetterKind kind = LetterKind::kNegativeResult;
  std::map<LetterZone, std::vector<LetterLine>> zones;
  const std::vector<LetterLine>& zone(LetterZone z) const;
  // Every line of every zone, one per line, for logs and tests.
  std::string plainText() const;
};

class LetterTemplate {
 public:
  // Checks the mustache syntax and the zones. `origin` names the template in error messages
  // (a file name). Throws LetterTemplateError.
  static LetterTemplate fromText(LetterKind kind, std::string_view text,
                                 std::string origin = "template");
  // Reads a UTF-8 file. Throws LetterTemplateError (unreadable file or invalid template).
  static LetterTemplate fromFile(LetterKind kind, const std::filesystem::path& path);

  LetterKind kind() const { return kind_; }
  const std::string& origin() const { return origin_; }
  const std::string& source() const { return source_; }

  // Problems with `data` for this kind (missing required fields), one sentence each; empty
  // when the letter can be made.
  std::vector<std::string> dataProblems(const nlohmann::json& data) const;
  // Renders the mustache text with `data` (a JSON object) and parses the layout markup.
  // Throws LetterDataError when dataProblems() is not empty or the address does not fit the
  // window (more than kMaxAddressLines lines).
  LetterContent expand(const nlohmann::json& data) const;

  // La Poste: at most 6 lines in a postal address block.
  static constexpr int kMaxAddressLines = 6;

 private:
  LetterTemplate() = default;
  LetterKind kind_ = LetterKind::kNegativeResult;
  std::string origin_;
  std::string source_;    // as written by the centre (control characters removed)
  std::string prepared_;  // mustache text with unescaped, marked variables
};

// Every kind's template, loaded from one directory (<dir>/<kind name>.mustache) — the centre's
// editable copy, or defaultLetterTemplateDir(). Loaded once by the letters service, which owns
// it; reload by loading a new set. Immutable, thread-safe.
class LetterTemplateSet {
 public:
  // Loads and checks every kind. Throws LetterTemplateError naming every missing or invalid
  // file (the centre fixes them all at once).
  static LetterTemplateSet loadDirectory(const std::filesystem::path& dir);
  const LetterTemplate& get(LetterKind kind) const;

 private:
  std::map<LetterKind, LetterTemplate> templates_;
};

// The default templates shipped with dualread (templates/letters in the source tree).
std::filesystem::path defaultLetterTemplateDir();

// "3 mars 2025", "1er avril 2025": the date as a French letter writes it.
std::string frenchLongDate(Date d);

// `text` made safe for a letter: invalid UTF-8 bytes become U+FFFD, tabs become spaces, every
// other control character (C0, DEL, C1) is removed; newlines are kept only if `keep_newlines`
// (CR LF and lone CR become LF).
std::string cleanLetterText(std::string_view text, bool keep_newlines);

}  // namespace dualread
