#include "letters/pdf_renderer.h"

#include <hpdf.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace dualread {

namespace {

constexpr double kPtPerMm = 72.0 / 25.4;
constexpr double kLeading = 1.38;  // line height / font size
constexpr double kAscent = 0.80;   // baseline below the top of a line box / font size

struct HpdfErrorState {
  HPDF_STATUS code = HPDF_OK;
  HPDF_STATUS detail = HPDF_OK;
};

// libharu reports errors through this callback; we remember the first one and check it after
// each step (throwing through C code would skip libharu's own clean-up).
void onHpdfError(HPDF_STATUS code, HPDF_STATUS detail, void* user) {
  auto* s = static_cast<HpdfErrorState*>(user);
  if (s->code == HPDF_OK) {
    s->code = code;
    s->detail = detail;
  }
}

std::string hex(unsigned long v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%04lX", v);
  return buf;
}

void checkFontFile(const std::filesystem::path& p, const char* which) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    throw PdfRenderError(std::string("the ") + which + " font for letters (" + p.string() +
                         ") cannot be read: install fonts-dejavu-core or set the letter font "
                         "path in the configuration");
  }
}

// One piece of text placed on a page; y is the baseline in points from the top of the page.
struct Run {
  int page = 0;
  double x = 0;
  double y = 0;
  bool bold = false;
  bool gray = false;
  double size = 10;
  std::string text;
};

struct LaidOutLetter {
  int pages = 1;
  std::vector<Run> runs;
};

// Owns one libharu document with the two fonts loaded.
class PdfDocument {
 public:
  explicit PdfDocument(const PdfRenderOptions& o) {
    doc_ = HPDF_New(onHpdfError, &err_);
    if (!doc_) throw PdfRenderError("libharu could not create a PDF document (out of memory)");
    HPDF_SetCompressionMode(doc_, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(doc_);
    HPDF_SetCurrentEncoder(doc_, "UTF-8");
    check("setting up a UTF-8 document");
    regular_ = loadFont(o.fonts.regular);
    bold_ = loadFont(o.fonts.bold);
    HPDF_SetInfoAttr(doc_, HPDF_INFO_CREATOR, "dualread");
    check("writing the document information");
  }
  ~PdfDocument() { HPDF_Free(doc_); }
  PdfDocument(const PdfDocument&) = delete;
  PdfDocument& operator=(const PdfDocument&) = delete;

  void check(const std::string& doing) {
    if (err_.code == HPDF_OK) return;
    throw PdfRenderError("the PDF could not be made while " + doing + ": libharu error " +
                         hex(err_.code) + " (detail " + std::to_string(err_.detail) + ")");
  }

  HPDF_Font font(bool bold) const { return bold ? bold_ : regular_; }

  double width(bool bold, double size, std::string_view text) const {
    if (text.empty()) return 0;
    const HPDF_TextWidth tw =
        HPDF_Font_TextWidth(font(bold), reinterpret_cast<const HPDF_BYTE*>(text.data()),
                            static_cast<HPDF_UINT>(text.size()));
    return static_cast<double>(tw.width) * size / 1000.0;
  }

  HPDF_Page addPage() {
    HPDF_Page p = HPDF_AddPage(doc_);
    check("adding a page");
    HPDF_Page_SetSize(p, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    check("sizing a page");
    return p;
  }

  std::string bytes() {
    if (HPDF_SaveToStream(doc_) != HPDF_OK) check("writing the PDF");
    check("writing the PDF");
    HPDF_UINT32 size = HPDF_GetStreamSize(doc_);
    std::string out(size, '\0');
    HPDF_UINT32 got = size;
    const HPDF_STATUS st =
        HPDF_ReadFromStream(doc_, reinterpret_cast<HPDF_BYTE*>(out.data()), &got);
    if (st != HPDF_OK && st != HPDF_STREAM_EOF) check("reading the PDF back");
    out.resize(got);
    if (out.compare(0, 5, "%PDF-") != 0)
      throw PdfRenderError("libharu produced something that is not a PDF");
    return out;
  }

 private:
  HPDF_Font loadFont(const std::filesystem::path& path) {
    const char* name = HPDF_LoadTTFontFromFile(doc_, path.c_str(), HPDF_TRUE);
    check("loading the font " + path.string() + " (is it a TrueType font?)");
    HPDF_Font f = HPDF_GetFont(doc_, name, "UTF-8");
    check("selecting the font " + path.string() + " with UTF-8 encoding");
    return f;
  }

  HpdfErrorState err_;
  HPDF_Doc doc_ = nullptr;
  HPDF_Font regular_ = nullptr;
  HPDF_Font bold_ = nullptr;
};

size_t utf8Next(std::string_view s, size_t i) {
  ++i;
  while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  return i;
}

// Lays out letters: word wrapping, zones, page breaks. Measures with the document's fonts.
class Layout {
 public:
  Layout(const PdfDocument& doc, const PdfRenderOptions& o) : doc_(doc), o_(o), g_(o.geometry) {}

  LaidOutLetter run(const LetterContent& letter) {
    out_ = LaidOutLetter{};
    page_ = 0;
    const double page_w = 210.0 * kPtPerMm;
    const double left = mm(g_.margin_left);
    const double right = page_w - mm(g_.margin_right);

    // Sender, top left.
    double y = mm(g_.sender_top);
    for (const auto& l : letter.zone(LetterZone::kSender)) {
      const bool title = l.style == LetterLine::Style::kTitle;
      y = block(l, left, mm(g_.sender_width), y, title ? 11.0 : 9.0);
    }

    // Recipient, in the envelope window: refuse what would not show through it.
    const double wx = mm(g_.window_left);
    const double ww = mm(g_.window_width);
    y = mm(g_.window_top);
    int address_lines = 0;
    for (const auto& l : letter.zone(LetterZone::kRecipient)) {
      if (l.style == LetterLine::Style::kBlank || l.style == LetterLine::Style::kPageBreak)
        continue;
      const bool bold = l.style == LetterLine::Style::kBold || l.style == LetterLine::Style::kTitle;
      for (auto& piece : wrap(l.text, bold, o_.address_size, ww)) {
        place(wx, y, bold, o_.address_size, std::move(piece));
        y += o_.address_size * kLeading;
        ++address_lines;
      }
    }
    if (address_lines > LetterTemplate::kMaxAddressLines ||
        y - mm(g_.window_top) > mm(g_.window_height) + 0.01) {
      throw LetterDataError("the recipient's name and address do not fit the envelope window (" +
                            std::to_string(address_lines) + " lines once wrapped; at most " +
                            std::to_string(LetterTemplate::kMaxAddressLines) + " lines of " +
                            std::to_string(static_cast<int>(g_.window_width)) +
                            " mm): shorten the address lines");
    }

    // Reference (left column) and date (right column).
    double ref_y = mm(g_.reference_top);
    for (const auto& l : letter.zone(LetterZone::kReference))
      ref_y = block(l, left, mm(g_.reference_width), ref_y, 9.0);
    double date_y = mm(g_.date_top);
    for (const auto& l : letter.zone(LetterZone::kDate))
      date_y = block(l, wx, right - wx, date_y, o_.body_size);

    // Body.
    const double gap = o_.body_size * kLeading;
    y = std::max({mm(g_.body_top), ref_y + gap, date_y + gap});
    const double bottom = mm(g_.body_bottom);
    const double body_w = right - left;
    bool at_top = true;
    const auto& body = letter.zone(LetterZone::kBody);
    for (size_t li = 0; li < body.size(); ++li) {
      const LetterLine& l = body[li];
      using S = LetterLine::Style;
      if (l.style == S::kPageBreak) {
        newPage(y);
        at_top = true;
        continue;
      }
      if (l.style == S::kBlank) {
        if (!at_top) y += gap * 0.6;
        continue;
      }
      const bool title = l.style == S::kTitle;
      const bool bold = title || l.style == S::kBold;
      const double size = title ? o_.body_size + 2 : o_.body_size;
      const double lead = size * kLeading;
      double x = left;
      double w = body_w;
      if (l.style == S::kBullet) {
        x = left + mm(6);
        w = body_w - mm(6);
      } else if (l.style == S::kRight) {
        x = wx;
        w = right - wx;
      }
      auto pieces = wrap(l.text, bold, size, w);
      // A heading keeps at least two lines of what follows on its page; a signature block
      // (consecutive right-column lines) is never split.
      double need = bold ? lead + 2 * gap : lead;
      if (l.style == S::kRight && (li == 0 || body[li - 1].style != S::kRight)) {
        need = 0;
        for (size_t k = li; k < body.size() && body[k].style == S::kRight; ++k)
          need += lead * static_cast<double>(wrap(body[k].text, false, size, w).size());
      }
      if (y + need > bottom && !at_top) newPage(y);
      if (title && !at_top) y += gap * 0.3;
      for (size_t i = 0; i < pieces.size(); ++i) {
        if (y + lead > bottom) newPage(y);
        if (i == 0 && l.style == S::kBullet)
          place(left + mm(2), y, false, size, "\xE2\x80\xA2");  // U+2022 bullet
        place(x, y, bold, size, std::move(pieces[i]));
        y += lead;
      }
      if (title) y += gap * 0.3;
      at_top = false;
    }

    // Footer on every page, with page numbers when there are several.
    const int pages = page_ + 1;
    out_.pages = pages;
    const auto& footer = letter.zone(LetterZone::kFooter);
    std::vector<std::string> footer_lines;
    const double fsize = 7.5;
    const double number_w = mm(18);
    for (const auto& l : footer) {
      if (l.style == LetterLine::Style::kBlank || l.style == LetterLine::Style::kPageBreak)
        continue;
      for (auto& piece : wrap(l.text, false, fsize, body_w - number_w))
        footer_lines.push_back(std::move(piece));
    }
    const double flead = fsize * kLeading;
    const double fbase = mm(g_.footer_bottom);
    for (int p = 0; p < pages; ++p) {
      double fy =
          fbase - flead * static_cast<double>(footer_lines.empty() ? 0 : footer_lines.size() - 1);
      for (const auto& fl : footer_lines) {
        out_.runs.push_back({p, left, fy, false, true, fsize, fl});
        fy += flead;
      }
      if (pages > 1) {
        const std::string n = "Page " + std::to_string(p + 1) + "/" + std::to_string(pages);
        out_.runs.push_back({p, right - doc_.width(false, fsize, n), fbase, false, true, fsize, n});
      }
    }
    return std::move(out_);
  }

 private:
  static double mm(double v) { return v * kPtPerMm; }

  void newPage(double& y) {
    ++page_;
    y = mm(g_.page_top);
  }

  void place(double x, double top, bool bold, double size, std::string text) {
    out_.runs.push_back({page_, x, top + kAscent * size, bold, false, size, std::move(text)});
  }

  // A short zone line (sender, reference, date): wraps, no page breaks.
  double block(const LetterLine& l, double x, double w, double y, double size) {
    using S = LetterLine::Style;
    if (l.style == S::kBlank) return y + size * kLeading * 0.5;
    if (l.style == S::kPageBreak) return y;
    const bool bold = l.style == S::kBold || l.style == S::kTitle;
    for (auto& piece : wrap(l.text, bold, size, w)) {
      place(x, y, bold, size, std::move(piece));
      y += size * kLeading;
    }
    return y;
  }

  // Greedy word wrap; a word longer than the line is cut between characters.
  std::vector<std::string> wrap(const std::string& text, bool bold, double size, double max_w) {
    std::vector<std::string> lines;
    std::string line;
    size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size()) break;
      size_t e = text.find(' ', i);
      if (e == std::string::npos) e = text.size();
      std::string word = text.substr(i, e - i);
      i = e;
      std::string candidate = line.empty() ? word : line + " " + word;
      if (doc_.width(bold, size, candidate) <= max_w) {
        line = std::move(candidate);
        continue;
      }
      if (!line.empty()) lines.push_back(std::move(line));
      line = std::move(word);
      while (doc_.width(bold, size, line) > max_w) {
        size_t cut = utf8Next(line, 0);
        for (size_t next = utf8Next(line, cut);
             next <= line.size() && doc_.width(bold, size, line.substr(0, next)) <= max_w;
             next = utf8Next(line, next)) {
          cut = next;
          if (next == line.size()) break;
        }
        if (cut >= line.size()) break;
        lines.push_back(line.substr(0, cut));
        line.erase(0, cut);
      }
    }
    if (!line.empty()) lines.push_back(std::move(line));
    return lines;
  }

  const PdfDocument& doc_;
  const PdfRenderOptions& o_;
  const LetterGeometry& g_;
  LaidOutLetter out_;
  int page_ = 0;
};

void draw(PdfDocument& doc, const LaidOutLetter& letter, const PdfRenderOptions& o) {
  const double page_h = 297.0 * kPtPerMm;
  for (int p = 0; p < letter.pages; ++p) {
    HPDF_Page page = doc.addPage();
    if (p == 0 && o.fold_marks) {
      HPDF_Page_SetLineWidth(page, 0.3f);
      HPDF_Page_SetGrayStroke(page, 0.55f);
      for (double fold : {o.geometry.fold_1, o.geometry.fold_2}) {
        const auto fy = static_cast<HPDF_REAL>(page_h - fold * kPtPerMm);
        HPDF_Page_MoveTo(page, static_cast<HPDF_REAL>(4 * kPtPerMm), fy);
        HPDF_Page_LineTo(page, static_cast<HPDF_REAL>(9 * kPtPerMm), fy);
        HPDF_Page_Stroke(page);
      }
      doc.check("drawing the fold marks");
    }
    HPDF_Page_BeginText(page);
    bool gray = false;
    for (const Run& r : letter.runs) {
      if (r.page != p) continue;
      const std::string text = cleanLetterText(r.text, false);
      if (text.empty()) continue;
      if (r.gray != gray) {
        HPDF_Page_SetGrayFill(page, r.gray ? 0.35f : 0.0f);
        gray = r.gray;
      }
      HPDF_Page_SetFontAndSize(page, doc.font(r.bold), static_cast<HPDF_REAL>(r.size));
      HPDF_Page_TextOut(page, static_cast<HPDF_REAL>(r.x), static_cast<HPDF_REAL>(page_h - r.y),
                        text.c_str());
    }
    HPDF_Page_EndText(page);
    doc.check("writing the text of page " + std::to_string(p + 1));
  }
}

}  // namespace

LetterPdfRenderer::LetterPdfRenderer(PdfRenderOptions options) : options_(std::move(options)) {
  checkFontFile(options_.fonts.regular, "regular");
  checkFontFile(options_.fonts.bold, "bold");
}

std::string LetterPdfRenderer::render(const LetterContent& letter, int* pages) const {
  PdfDocument doc(options_);
  Layout layout(doc, options_);
  const LaidOutLetter laid = layout.run(letter);
  draw(doc, laid, options_);
  if (pages) *pages = laid.pages;
  return doc.bytes();
}

std::string LetterPdfRenderer::render(const LetterTemplate& tmpl, const nlohmann::json& data,
                                      int* pages) const {
  return render(tmpl.expand(data), pages);
}

std::string LetterPdfRenderer::renderCombined(const std::vector<LetterContent>& letters,
                                              bool duplex, std::vector<int>* page_counts,
                                              int* blank_pages) const {
  if (page_counts) page_counts->clear();
  if (blank_pages) *blank_pages = 0;
  if (letters.empty()) return std::string();
  PdfDocument doc(options_);
  Layout layout(doc, options_);
  int blanks = 0;
  for (const auto& letter : letters) {
    const LaidOutLetter laid = layout.run(letter);
    draw(doc, laid, options_);
    if (page_counts) page_counts->push_back(laid.pages);
    if (duplex && laid.pages % 2 == 1) {
      doc.addPage();
      ++blanks;
    }
  }
  if (blank_pages) *blank_pages = blanks;
  return doc.bytes();
}

std::string renderLetter(const LetterTemplate& tmpl, const nlohmann::json& data,
                         const PdfRenderOptions& options) {
  return LetterPdfRenderer(options).render(tmpl, data);
}

}  // namespace dualread
