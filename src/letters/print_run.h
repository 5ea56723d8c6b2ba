#pragma once
// The daily print run: the day's letters as one PDF for the print shop's duplex printer and
// folding machine (every letter starts on the front of a sheet) plus one PDF per letter, kept
// for the portal and the record, and a machine-readable summary. A letter whose data is
// incomplete is refused and listed, never half-printed; the others still go out (results have
// a 15-day deadline). Stateless function; thread-safe when the renderer and templates are
// shared read-only (letters are rendered on several threads). The caller stores the bytes (blob
// store) and records the run.

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "letters/letter_template.h"
#include "letters/pdf_renderer.h"

namespace dualread {

struct PrintRunItem {
  std::string id;  // the caller's letter id, echoed back (e.g. "L-2025-000123")
  LetterKind kind = LetterKind::kNegativeResult;
  nlohmann::json data;  // the template context (see templates/letters/README.md)
};

struct PrintedLetter {
  std::string id;
  LetterKind kind = LetterKind::kNegativeResult;
  int pages = 0;       // the letter's own pages (no padding)
  int first_page = 0;  // 1-based page of the combined PDF where it starts (always odd)
  std::string pdf;     // this letter alone; empty when handed to PrintRunOptions::on_letter
};

struct RefusedLetter {
  std::string id;
  LetterKind kind = LetterKind::kNegativeResult;
  std::string reason;  // sentence (missing required field, address too long...)
};

struct PrintRunOptions {
  std::string run_id;  // echoed in the summary, e.g. "2025-03-03"
  bool duplex = true;  // pad odd-length letters with a blank page
  // Letters rendered at once (each letter's PDF embeds its fonts: that is the cost of a run).
  // 0 = the machine's cores, at most 8.
  int threads = 0;
  // When set, each letter's PDF is handed over as soon as it is made and not kept in the
  // result (a day's run of a region is a few thousand letters).
  std::function<void(PrintedLetter&&)> on_letter;
};

struct PrintRun {
  std::string run_id;
  bool duplex = true;
  std::string combined_pdf;  // empty when no letter could be printed
  std::vector<PrintedLetter> letters;
  std::vector<RefusedLetter> refused;
  int total_pages = 0;  // pages of the combined PDF, blanks included
  int blank_pages = 0;
  // {"run_id", "letters", "refused", "pages", "sheets", "blank_pages",
  //  "by_kind": {"negative_result": {"letters": n, "pages": p}, ...},
  //  "items": [{"id", "kind", "pages", "first_page"}], "refused_items": [{"id", "kind",
  //  "reason"}]}
  nlohmann::json summary() const;
};

// Expands and renders every item. Throws PdfRenderError only when the combined PDF itself
// cannot be made (fonts, libharu); bad data refuses that letter alone.
PrintRun producePrintRun(const std::vector<PrintRunItem>& items, const LetterTemplateSet& templates,
                         const LetterPdfRenderer& renderer, const PrintRunOptions& options = {});

}  // namespace dualread
