#include <gtest/gtest.h>

#include "letters/letter_template.h"
#include "letters_test_data.h"

namespace dualread {
namespace {

using letters_test::sampleData;
using Style = LetterLine::Style;

std::vector<std::string> texts(const std::vector<LetterLine>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines)
    if (l.style != Style::kBlank) out.push_back(l.text);
  return out;
}

// The smallest valid template for a letter to a professional.
constexpr const char* kMinimal = "@recipient\n{{recipient.name}}\n@body\n";

std::string errorOf(LetterKind kind, const std::string& text) {
  try {
    LetterTemplate::fromText(kind, text, "essai.mustache");
  } catch (const LetterTemplateError& e) {
    return e.what();
  }
  return "";
}

TEST(LettersTemplate, DefaultTemplatesLoad) {
  const auto set = LetterTemplateSet::loadDirectory(defaultLetterTemplateDir());
  for (LetterKind k : allLetterKinds()) {
    EXPECT_EQ(set.get(k).kind(), k);
    EXPECT_EQ(set.get(k).origin(), std::string(letterKindName(k)) + ".mustache");
  }
}

TEST(LettersTemplate, KindNamesRoundTrip) {
  for (LetterKind k : allLetterKinds()) EXPECT_EQ(letterKindFromName(letterKindName(k)), k);
  EXPECT_FALSE(letterKindFromName("invitation"));
}

TEST(LettersTemplate, ExpandsZonesOfTheNegativeResult) {
  const auto set = LetterTemplateSet::loadDirectory(defaultLetterTemplateDir());
  const LetterContent c =
      set.get(LetterKind::kNegativeResult).expand(sampleData(LetterKind::kNegativeResult));
  // The country line is empty (France): it disappears instead of leaving a gap.
  EXPECT_EQ(texts(c.zone(LetterZone::kRecipient)),
            (std::vector<std::string>{"Madame Élodie Lefèvre", "Résidence Les Tilleuls, bât. B",
                                      "12 chemin des Écoliers", "69100 Villeurbanne"}));
  EXPECT_EQ(texts(c.zone(LetterZone::kReference)),
            (std::vector<std::string>{"Réf. : LR-2025-000123", "N° de dépistage : 69-2025-004512",
                                      "Code d'accès : K7QF-29XM-4TBD"}));
  EXPECT_EQ(texts(c.zone(LetterZone::kDate)), std::vector<std::string>{"Lyon, le 3 mars 2025"});
  const auto& sender = c.zone(LetterZone::kSender);
  ASSERT_FALSE(sender.empty());
  EXPECT_EQ(sender[0].style, Style::kBold);
  EXPECT_EQ(sender[0].text, "CRCDC Auvergne-Rhône-Alpes – site du Rhône");
  const auto& body = c.zone(LetterZone::kBody);
  ASSERT_FALSE(body.empty());
  EXPECT_EQ(body[0].style, Style::kBold);
  EXPECT_EQ(body[0].text, "Objet : résultat de votre mammographie de dépistage du 14 février 2025");
  bool signature = false;
  for (const auto& l : body)
    if (l.style == Style::kRight && l.text == "Dr Hélène Roche") signature = true;
  EXPECT_TRUE(signature);
  EXPECT_NE(c.plainText().find("ne montrent pas d'anomalie"), std::string::npos);
}

TEST(LettersTemplate, MissingOptionalVariableRendersEmpty) {
  const auto t = LetterTemplate::fromText(
      LetterKind::kCtiNotice, std::string(kMinimal) + "Bonjour {{personne.inconnue}}fin.\n");
  const auto c = t.expand(sampleData(LetterKind::kCtiNotice));
  EXPECT_EQ(texts(c.zone(LetterZone::kBody)), std::vector<std::string>{"Bonjour fin."});
}

TEST(LettersTemplate, MissingRequiredFieldsAreRefusedBeforeRendering) {
  const auto set = LetterTemplateSet::loadDirectory(defaultLetterTemplateDir());
  auto data = sampleData(LetterKind::kNegativeResult);
  data["recipient"].erase("address_lines");
  data.erase("access_code");
  data["recipient"]["name"] = "   ";
  try {
    set.get(LetterKind::kNegativeResult).expand(data);
    FAIL() << "expected LetterDataError";
  } catch (const LetterDataError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("negative_result"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'recipient.address_lines' is missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'access_code' is missing"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'recipient.name' is empty"), std::string::npos) << msg;
  }
  auto cti = sampleData(LetterKind::kCtiNotice);
  cti["cti"]["items"] = nlohmann::json::array();
  const auto problems = set.get(LetterKind::kCtiNotice).dataProblems(cti);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "required field 'cti.items' is empty");
  EXPECT_FALSE(set.get(LetterKind::kCtiNotice).dataProblems(nlohmann::json::array()).empty());
}

TEST(LettersTemplate, SyntaxErrorsNameTheFileAndLine) {
  const std::string head = kMinimal;  // 3 lines
  auto err = errorOf(LetterKind::kCtiNotice, head + "ok\n{{#cti.items}}\n- {{view}}\n");
  EXPECT_NE(err.find("essai.mustache, line 5"), std::string::npos) << err;
  EXPECT_NE(err.find("never closed"), std::string::npos) << err;

  err = errorOf(LetterKind::kCtiNotice, head + "{{#a}}{{#b}}x{{/a}}{{/b}}\n");
  EXPECT_NE(err.find("line 4"), std::string::npos) << err;
  EXPECT_NE(err.find("closes 'b'"), std::string::npos) << err;

  err = errorOf(LetterKind::kCtiNotice, head + "x\n{{/a}}\n");
  EXPECT_NE(err.find("line 5"), std::string::npos) << err;
  EXPECT_NE(err.find("never opened"), std::string::npos) << err;

  err = errorOf(LetterKind::kCtiNotice, head + "Bonjour {{woman.name\n");
  EXPECT_NE(err.find("line 4"), std::string::npos) << err;
  EXPECT_NE(err.find("never closed with '}}'"), std::string::npos) << err;

  err = errorOf(LetterKind::kCtiNotice, head + "{{> entete}}\n");
  EXPECT_NE(err.find("partials"), std::string::npos) << err;
  err = errorOf(LetterKind::kCtiNotice, head + "{{=<% %>=}}\n");
  EXPECT_NE(err.find("delimiters"), std::string::npos) << err;
  err = errorOf(LetterKind::kCtiNotice, head + "{{nom avec espaces}}\n");
  EXPECT_NE(err.find("not a valid variable name"), std::string::npos) << err;
  err = errorOf(LetterKind::kCtiNotice, head + "@entete\n");
  EXPECT_NE(err.find("line 4: unknown zone '@entete'"), std::string::npos) << err;
  // A zone name inside a comment is not a zone.
  EXPECT_EQ(errorOf(LetterKind::kCtiNotice, "{{! zones :\n@entete\n}}\n" + head), "");

  err = errorOf(LetterKind::kCtiNotice, "@body\nBonjour\n");
  EXPECT_NE(err.find("no @recipient zone"), std::string::npos) << err;
  err = errorOf(LetterKind::kNegativeResult, head + "Bonjour\n");
  EXPECT_NE(err.find("access code"), std::string::npos) << err;

  const auto missing = letters_test::tempDir("letters-missing");
  try {
    LetterTemplateSet::loadDirectory(missing);
    FAIL() << "expected LetterTemplateError";
  } catch (const LetterTemplateError& e) {
    const std::string msg = e.what();
    for (LetterKind k : allLetterKinds())
      EXPECT_NE(msg.find(std::string(letterKindName(k)) + ".mustache"), std::string::npos);
  }
  std::filesystem::remove_all(missing);
}

TEST(LettersTemplate, DataNeverActsAsMarkupAndIsNotEscaped) {
  const auto t = LetterTemplate::fromText(LetterKind::kCtiNotice,
                                          "@recipient\n{{recipient.name}}\n@body\n"
                                          "{{woman.name}}\n- {{woman.name}}\n{{cim.name}}\n");
  auto data = sampleData(LetterKind::kCtiNotice);
  data["recipient"]["name"] = "@body";
  data["woman"]["name"] = "## Dupont & Fils <SA>";
  data["cim"]["name"] = "@newpage";
  const auto c = t.expand(data);
  EXPECT_EQ(texts(c.zone(LetterZone::kRecipient)), std::vector<std::string>{"@body"});
  const auto& body = c.zone(LetterZone::kBody);
  ASSERT_EQ(body.size(), 3u);
  EXPECT_EQ(body[0].style, Style::kText);
  EXPECT_EQ(body[0].text, "## Dupont & Fils <SA>");
  EXPECT_EQ(body[1].style, Style::kBullet);
  EXPECT_EQ(body[1].text, "## Dupont & Fils <SA>");
  EXPECT_EQ(body[2].style, Style::kText);
  EXPECT_EQ(body[2].text, "@newpage");
}

TEST(LettersTemplate, ControlCharactersAreStripped) {
  const auto t = LetterTemplate::fromText(LetterKind::kCtiNotice,
                                          "@recipient\r\n{{recipient.name}}\r\n@body\r\n"
                                          "Note\t: {{cti.comment}}.\r\n");
  auto data = sampleData(LetterKind::kCtiNotice);
  data["recipient"]["name"] = "Cabinet\x07 des\nBrotteaux\x1b[31m";
  data["cti"]["comment"] = "bip\x01\x7f\xc2\x85 fin \xff!";
  const auto c = t.expand(data);
  EXPECT_EQ(texts(c.zone(LetterZone::kRecipient)),
            std::vector<std::string>{"Cabinet des Brotteaux[31m"});
  EXPECT_EQ(texts(c.zone(LetterZone::kBody)),
            std::vector<std::string>{"Note : bip fin \xEF\xBF\xBD!."});
  EXPECT_EQ(cleanLetterText("a\r\nb\rc\n", true), "a\nb\nc\n");
}

TEST(LettersTemplate, AddressLongerThanSixLinesIsRefused) {
  const auto set = LetterTemplateSet::loadDirectory(defaultLetterTemplateDir());
  auto data = sampleData(LetterKind::kNegativeResult);
  data["recipient"]["address_lines"] = {"a", "b", "c", "d", "e"};
  try {
    set.get(LetterKind::kNegativeResult).expand(data);
    FAIL() << "expected LetterDataError";
  } catch (const LetterDataError& e) {
    EXPECT_NE(std::string(e.what()).find("7 lines"), std::string::npos) << e.what();
  }
}

TEST(LettersTemplate, SectionsAndBlankLines) {
  const auto t = LetterTemplate::fromText(
      LetterKind::kCtiNotice,
      "@recipient\n{{recipient.name}}\n@body\n# Titre\n\n\n\nListe :\n{{#cti.items}}\n- {{view}} : "
      "{{reason}}\n{{/cti.items}}\n{{^absent}}\nrien\n{{/absent}}\n\n@newpage\nsuite\n\n");
  const auto c = t.expand(sampleData(LetterKind::kCtiNotice));
  const auto& body = c.zone(LetterZone::kBody);
  ASSERT_EQ(body.size(), 8u);
  EXPECT_EQ(body[0], (LetterLine{Style::kTitle, "Titre"}));
  EXPECT_EQ(body[1].style, Style::kBlank);  // three blank lines count as one
  EXPECT_EQ(body[2].text, "Liste :");
  EXPECT_EQ(body[3], (LetterLine{Style::kBullet,
                                 "MLO droite : positionnement (muscle pectoral non visible)"}));
  EXPECT_EQ(body[4], (LetterLine{Style::kBullet, "CC gauche : flou de mouvement"}));
  EXPECT_EQ(body[5].text, "rien");
  EXPECT_EQ(body[6].style, Style::kPageBreak);  // the blank before it is dropped
  EXPECT_EQ(body[7].text, "suite");
}

TEST(LettersTemplate, FrenchLongDate) {
  EXPECT_EQ(frenchLongDate(makeDate(2025, 3, 1)), "1er mars 2025");
  EXPECT_EQ(frenchLongDate(makeDate(2025, 8, 15)), "15 août 2025");
  EXPECT_EQ(frenchLongDate(makeDate(2024, 12, 31)), "31 décembre 2024");
}

}  // namespace
}  // namespace dualread
