#pragma once
// LetterPdfRenderer: lays an expanded letter out on A4 pages and writes it as PDF with libharu —
// sender top left, recipient in the window of a DL / C5-6 right-window envelope, references in
// the left column (hidden once folded: the portal access code never shows through the window),
// date, body with word wrapping and page breaks, footer with page numbers. Text is UTF-8 drawn
// with embedded TrueType fonts (DejaVu Sans by default), so accents print as written. Owned by
// the letters service; immutable after construction, every call builds its own PDF document,
// so one renderer may be used from several threads at once.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "letters/letter_template.h"

namespace dualread {

// The PDF could not be produced (font missing or unreadable, libharu failure). The message
// says what was being done.
class PdfRenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LetterFonts {
  std::filesystem::path regular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  std::filesystem::path bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
};

// Where things go on the page, in millimetres from the top-left corner of an A4 sheet. The
// defaults fit French window envelopes (DL 110x220 and C5/6 114x229, window 45x100 on the
// right: 100-205 mm from the left edge, 45-90 mm from the top once the sheet is folded in three)
// and La Poste's address rules (at most 6 lines, 8 to 10 pt, no italics).
struct LetterGeometry {
  double margin_left = 20;
  double margin_right = 20;
  double page_top = 20;        // body top on the second and later pages
  double body_bottom = 267;    // the body stops here (room for the footer)
  double footer_bottom = 287;  // baseline of the footer's last line
  double sender_top = 15;
  double sender_width = 85;
  double window_left = 105;  // envelope window, with the inner padding already applied
  double window_top = 50;
  double window_width = 90;
  double window_height = 35;
  double reference_top = 58;  // left column, beside the window
  double reference_width = 78;
  double date_top = 96;
  double body_top = 110;  // first page; pushed down if the reference or date run longer
  double fold_1 = 99;     // fold marks (tri-fold), drawn on the left edge of the first page
  double fold_2 = 198;
};

struct PdfRenderOptions {
  LetterFonts fonts;
  LetterGeometry geometry;
  bool fold_marks = true;
  double body_size = 10.5;     // points
  double address_size = 10.0;  // La Poste: 8 to 10 points
};

class LetterPdfRenderer {
 public:
  // Throws PdfRenderError when a font file is missing or unreadable (the message names it and
  // the setting to change).
  explicit LetterPdfRenderer(PdfRenderOptions options = {});

  // One letter as PDF bytes; `pages` (optional) receives its page count. Throws
  // PdfRenderError, or LetterDataError when the address does not fit the envelope window.
  std::string render(const LetterContent& letter, int* pages = nullptr) const;
  // Checks the data, expands `tmpl` and renders it. Throws LetterDataError (missing required
  // field...) before anything is drawn, or PdfRenderError.
  std::string render(const LetterTemplate& tmpl, const nlohmann::json& data,
                     int* pages = nullptr) const;

  // Several letters in one PDF, in order, for the print shop. With `duplex`, every letter
  // starts on an odd page (front of a sheet): a blank page follows each letter with an odd
  // page count, so a folding machine never mixes two women's letters on one sheet.
  // `page_counts` receives each letter's own page count; `blank_pages` the blanks added. No
  // letters gives an empty string (a PDF needs at least one page).
  std::string renderCombined(const std::vector<LetterContent>& letters, bool duplex,
                             std::vector<int>* page_counts = nullptr,
                             int* blank_pages = nullptr) const;

  const PdfRenderOptions& options() const { return options_; }

 private:
  PdfRenderOptions options_;
};

// Convenience: one letter with the given options (the fonts are checked on each call).
std::string renderLetter(const LetterTemplate& tmpl, const nlohmann::json& data,
                         const PdfRenderOptions& options = {});

}  // namespace dualread
