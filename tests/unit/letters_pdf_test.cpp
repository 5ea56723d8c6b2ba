#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "letters/pdf_renderer.h"
#include "letters_test_data.h"

namespace dualread {
namespace {

using letters_test::pdfPages;
using letters_test::pdfText;
using letters_test::sampleData;

constexpr double kMmPerPt = 25.4 / 72.0;

class LettersPdfTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = letters_test::tempDir("dualread-letters"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  struct Box {
    double x0 = -1, y0 = -1, x1 = -1, y1 = -1;  // millimetres from the top-left corner
  };
  // Where `word` is on the first page, from poppler's own reading of the PDF.
  Box wordBox(const std::string& pdf, const std::string& word) {
    const auto file = dir_ / "bbox.pdf";
    letters_test::writeFile(file, pdf);
    const std::string html =
        letters_test::run("pdftotext -bbox -f 1 -l 1 '" + file.string() + "' -");
    const std::regex re(
        "<word xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" yMax=\"([0-9.]+)\">" +
        word + "</word>");
    std::smatch m;
    Box b;
    if (std::regex_search(html, m, re)) {
      b = {std::stod(m[1]) * kMmPerPt, std::stod(m[2]) * kMmPerPt, std::stod(m[3]) * kMmPerPt,
           std::stod(m[4]) * kMmPerPt};
    }
    return b;
  }

  std::filesystem::path dir_;
  LetterTemplateSet set_ = LetterTemplateSet::loadDirectory(defaultLetterTemplateDir());
  LetterPdfRenderer renderer_;
};

TEST_F(LettersPdfTest, EveryDefaultTemplateRendersItsFrenchText) {
  const std::map<LetterKind, std::vector<std::string>> expected{
      {LetterKind::kNegativeResult,
       {"Madame Élodie Lefèvre", "12 chemin des Écoliers", "69100 Villeurbanne",
        "Code d'accès : K7QF-29XM-4TBD", "Lyon, le 3 mars 2025",
        "Vos examens de dépistage (mammographie et examen clinique des seins) ne montrent pas "
        "d'anomalie",
        "prochain dépistage dans deux ans", "Copie adressée à Dr Jean Dupré, médecin traitant",
        "CRCDC Auvergne-Rhône-Alpes – site du Rhône", "Médecin coordinatrice"}},
      {LetterKind::kNegativeResultDoctor,
       {"Docteur Jean Dupré", "Patiente : Élodie Lefèvre, née le 12 juin 1968",
        "ne montre pas d'anomalie après double lecture", "salutations confraternelles"}},
      {LetterKind::kRecall,
       {"Code d'accès : K7QF-29XM-4TBD", "un examen complémentaire est nécessaire",
        "ne signifie pas que vous êtes malade", "auprès de Dr Anne Martin",
        "(Cabinet de radiologie des Brotteaux, tél. 04 78 00 00 01)"}},
      {LetterKind::kRecallDoctor,
       {"seconde lecture positive", "bilan diagnostic différé",
        "Sein gauche, quadrant supéro-externe : masse de 8 mm (ACR 4)",
        "première lecture : Dr Anne Martin"}},
      {LetterKind::kCtiNotice,
       {"Cabinet de radiologie des Brotteaux", "clichés techniquement insuffisants",
        "MLO droite : positionnement (muscle pectoral non visible)",
        "CC gauche : flou de mouvement", "Merci de réaliser de nouveaux clichés",
        "Examen : A2025-88431 du 14 février 2025", "avant le 14 mars 2025"}},
      {LetterKind::kL1PositiveAck,
       {"Nous accusons réception, le 3 mars 2025", "jugé positif en première lecture",
        "fiche d'interprétation signée", "suivi des cas positifs"}},
  };
  for (const auto& [kind, phrases] : expected) {
    SCOPED_TRACE(std::string(letterKindName(kind)));
    int pages = 0;
    const std::string pdf = renderer_.render(set_.get(kind), sampleData(kind), &pages);
    ASSERT_EQ(pdf.compare(0, 5, "%PDF-"), 0);
    EXPECT_EQ(pages, 1);
    EXPECT_EQ(pdfPages(pdf, dir_), 1);
    const std::string text = pdfText(pdf, dir_, std::string(letterKindName(kind)));
    for (const auto& p : phrases) EXPECT_NE(text.find(p), std::string::npos) << p << "\n" << text;
    if (!letterIsForWoman(kind)) {
      EXPECT_EQ(text.find("K7QF-29XM-4TBD"), std::string::npos) << "access code leaked";
    }
  }
}

TEST_F(LettersPdfTest, AddressSitsInTheEnvelopeWindowAndTheAccessCodeDoesNot) {
  const std::string pdf = renderer_.render(set_.get(LetterKind::kNegativeResult),
                                           sampleData(LetterKind::kNegativeResult));
  // DL / C5-6 right window: about 100-205 mm from the left, 45-90 mm from the top.
  for (const char* word : {"Madame", "Villeurbanne", "Tilleuls,"}) {
    SCOPED_TRACE(word);
    const Box b = wordBox(pdf, word);
    EXPECT_GE(b.x0, 100.0);
    EXPECT_LE(b.x1, 205.0);
    EXPECT_GE(b.y0, 45.0);
    EXPECT_LE(b.y1, 90.0);
  }
  // The access code prints in the left column: hidden once the letter is folded.
  const Box code = wordBox(pdf, "K7QF-29XM-4TBD");
  ASSERT_GE(code.x0, 0.0);
  EXPECT_LT(code.x1, 100.0);
  // Sender top left, date under the window.
  const Box sender = wordBox(pdf, "CRCDC");
  EXPECT_LT(sender.x0, 25.0);
  EXPECT_LT(sender.y0, 25.0);
  const Box date = wordBox(pdf, "mars");
  EXPECT_GT(date.y0, 90.0);
}

TEST_F(LettersPdfTest, LongLettersBreakPagesAndNumberThem) {
  auto data = sampleData(LetterKind::kCtiNotice);
  nlohmann::json items = nlohmann::json::array();
  for (int i = 1; i <= 70; ++i)
    items.push_back({{"view", "Incidence " + std::to_string(i)},
                     {"reason", "artéfact de grille, exposition insuffisante"}});
  data["cti"]["items"] = items;
  int pages = 0;
  const std::string pdf = renderer_.render(set_.get(LetterKind::kCtiNotice), data, &pages);
  EXPECT_GE(pages, 2);
  EXPECT_EQ(pdfPages(pdf, dir_), pages);
  const std::string text = pdfText(pdf, dir_);
  EXPECT_NE(text.find("Incidence 70 : artéfact de grille"), std::string::npos);
  EXPECT_NE(text.find("Page 1/" + std::to_string(pages)), std::string::npos);
  EXPECT_NE(text.find("Page " + std::to_string(pages) + "/" + std::to_string(pages)),
            std::string::npos);
  EXPECT_NE(text.find("salutations distinguées"), std::string::npos);
}

TEST_F(LettersPdfTest, WrapsLongParagraphsAndLongWords) {
  const auto t = LetterTemplate::fromText(
      LetterKind::kCtiNotice, "@recipient\n{{recipient.name}}\n@body\n{{cti.comment}}\n");
  auto data = sampleData(LetterKind::kCtiNotice);
  std::string comment;
  for (int i = 0; i < 60; ++i) comment += "mot" + std::to_string(i) + " ";
  comment += std::string(300, 'x');
  data["cti"]["comment"] = comment;
  const std::string pdf = renderer_.render(t, data);
  const std::string text = pdfText(pdf, dir_);
  EXPECT_NE(text.find("mot0 mot1 mot2"), std::string::npos);
  EXPECT_NE(text.find("mot59"), std::string::npos);
  size_t xs = 0;
  for (size_t i = text.find("mot59"); i < text.size(); ++i) xs += text[i] == 'x' ? 1 : 0;
  EXPECT_EQ(xs, 300u);  // cut between characters, nothing lost
  // No word runs past the right margin (190 mm).
  const Box b = wordBox(pdf, "mot59");
  EXPECT_GT(b.x1, 0.0);
  EXPECT_LE(b.x1, 190.5);
}

TEST_F(LettersPdfTest, AddressTooLongForTheWindowIsRefused) {
  auto data = sampleData(LetterKind::kNegativeResult);
  // Six lines as written (the limit), seven once the first one wraps.
  data["recipient"]["address_lines"] = {
      "Résidence Les Tilleuls, bâtiment B, escalier C, porte 12, appartement du fond à gauche",
      "Lieu-dit Le Grand Champ", "Hameau des Granges", "12 chemin des Écoliers prolongé"};
  try {
    renderer_.render(set_.get(LetterKind::kNegativeResult), data);
    FAIL() << "expected LetterDataError";
  } catch (const LetterDataError& e) {
    EXPECT_NE(std::string(e.what()).find("envelope window"), std::string::npos) << e.what();
  }
}

TEST_F(LettersPdfTest, MissingFontIsAClearError) {
  PdfRenderOptions o;
  o.fonts.bold = "/nonexistent/DejaVuSans-Bold.ttf";
  try {
    LetterPdfRenderer r(o);
    FAIL() << "expected PdfRenderError";
  } catch (const PdfRenderError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("/nonexistent/DejaVuSans-Bold.ttf"), std::string::npos) << msg;
    EXPECT_NE(msg.find("bold font"), std::string::npos) << msg;
  }
  // A file that is not a font: libharu's error becomes a sentence, not a crash.
  const auto fake = dir_ / "fake.ttf";
  letters_test::writeFile(fake, "this is not a font");
  o.fonts.bold = fake;
  LetterPdfRenderer r(o);
  try {
    r.render(set_.get(LetterKind::kCtiNotice), sampleData(LetterKind::kCtiNotice));
    FAIL() << "expected PdfRenderError";
  } catch (const PdfRenderError& e) {
    EXPECT_NE(std::string(e.what()).find("loading the font " + fake.string()), std::string::npos)
        << e.what();
  }
}

TEST_F(LettersPdfTest, RendersFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        const LetterKind k = allLetterKinds()[static_cast<size_t>((t + i) % 6)];
        const std::string pdf = renderer_.render(set_.get(k), sampleData(k));
        if (pdf.compare(0, 5, "%PDF-") == 0 && pdf.find("%%EOF") != std::string::npos) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 12);
}

// Renders the first page as an image for a person to look at (kept in the temp directory).
TEST_F(LettersPdfTest, FirstPageRendersAsAnImage) {
  const auto out = std::filesystem::temp_directory_path() / "dualread-letters-preview";
  std::filesystem::create_directories(out);
  for (LetterKind k : allLetterKinds()) {
    const std::string name(letterKindName(k));
    const auto pdf = out / (name + ".pdf");
    letters_test::writeFile(pdf, renderer_.render(set_.get(k), sampleData(k)));
    int status = -1;
    letters_test::run("pdftoppm -png -r 60 -f 1 -l 1 -singlefile '" + pdf.string() + "' '" +
                          (out / name).string() + "'",
                      &status);
    EXPECT_EQ(status, 0);
    const auto png = out / (name + ".png");
    ASSERT_TRUE(std::filesystem::exists(png)) << png;
    EXPECT_GT(std::filesystem::file_size(png), 5000u);
  }
  // And the second page of a long letter (continuation layout, footer, page number).
  auto data = sampleData(LetterKind::kCtiNotice);
  for (int i = 1; i <= 60; ++i)
    data["cti"]["items"].push_back(
        {{"view", "Incidence " + std::to_string(i)}, {"reason", "exposition insuffisante"}});
  const auto pdf = out / "cti_notice_long.pdf";
  letters_test::writeFile(pdf, renderer_.render(set_.get(LetterKind::kCtiNotice), data));
  int status = -1;
  letters_test::run("pdftoppm -png -r 60 -f 2 -l 2 -singlefile '" + pdf.string() + "' '" +
                        (out / "cti_notice_long-2").string() + "'",
                    &status);
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(std::filesystem::exists(out / "cti_notice_long-2.png"));
}

}  // namespace
}  // namespace dualread
