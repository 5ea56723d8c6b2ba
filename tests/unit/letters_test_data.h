#pragma once
// Sample letter data and PDF inspection helpers (poppler's pdftotext / pdfinfo / pdftoppm) for
// the letters tests. Not thread-safe: each test uses its own temporary directory.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>

#include "letters/letter_template.h"

namespace dualread::letters_test {

inline std::filesystem::path tempDir(const std::string& prefix) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

inline void writeFile(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs a shell command; returns its stdout (stderr discarded: poppler warns about libharu's
// ToUnicode CMap syntax, harmlessly).
inline std::string run(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = ::pclose(p);
  if (status) *status = rc;
  return out;
}

// The PDF's text with every run of whitespace collapsed to one space, so a wrapped sentence
// still matches.
inline std::string pdfText(const std::string& pdf, const std::filesystem::path& dir,
                           const std::string& name = "letter") {
  const auto file = dir / (name + ".pdf");
  writeFile(file, pdf);
  const std::string raw = run("pdftotext -enc UTF-8 '" + file.string() + "' -");
  std::string out;
  bool space = false;
  for (char c : raw) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

inline int pdfPages(const std::string& pdf, const std::filesystem::path& dir) {
  const auto file = dir / "count.pdf";
  writeFile(file, pdf);
  const std::string info = run("pdfinfo '" + file.string() + "'");
  const auto pos = info.find("Pages:");
  if (pos == std::string::npos) return -1;
  return std::stoi(info.substr(pos + 6));
}

inline nlohmann::json crcdc() {
  return {{"name", "CRCDC Auvergne-Rhône-Alpes – site du Rhône"},
          {"address_lines", {"Bâtiment Le Saphir", "14 rue de l'Épée"}},
          {"postal_code", "69003"},
          {"city", "Lyon"},
          {"phone", "04 72 00 00 00"},
          {"email", "depistage@crcdc-exemple.fr"},
          {"website", "www.crcdc-exemple.fr"},
          {"signatory", "Dr Hélène Roche"},
          {"signatory_title", "Médecin coordinatrice"}};
}

inline nlohmann::json womanAddress() {
  return {{"name", "Madame Élodie Lefèvre"},
          {"address_lines", {"Résidence Les Tilleuls, bât. B", "12 chemin des Écoliers"}},
          {"postal_code", "69100"},
          {"city", "Villeurbanne"}};
}

inline nlohmann::json doctorAddress() {
  return {{"name", "Docteur Jean Dupré"},
          {"address_lines", {"Cabinet médical du Parc", "3 place Maréchal Lyautey"}},
          {"postal_code", "69006"},
          {"city", "Lyon"}};
}

inline nlohmann::json cimAddress() {
  return {{"name", "Cabinet de radiologie des Brotteaux"},
          {"address_lines", {"Service de mammographie", "45 boulevard des Belges"}},
          {"postal_code", "69006"},
          {"city", "Lyon"}};
}

// A complete context for `kind`.
inline nlohmann::json sampleData(LetterKind kind) {
  nlohmann::json d = {
      {"crcdc", crcdc()},
      {"date", "3 mars 2025"},
      {"reference", "LR-2025-000123"},
      {"access_code", "K7QF-29XM-4TBD"},
      {"screening_number", "69-2025-004512"},
      {"portal_url", "https://portail.crcdc-exemple.fr"},
      {"exam", {{"date", "14 février 2025"}, {"accession", "A2025-88431"}}},
      {"cim", {{"name", "Cabinet de radiologie des Brotteaux"}, {"phone", "04 78 00 00 01"}}},
      {"l1", {{"name", "Dr Anne Martin"}}},
      {"woman", {{"name", "Élodie Lefèvre"}, {"birth_date", "12 juin 1968"}}},
      {"doctors", {{{"name", "Dr Jean Dupré"}, {"role", "médecin traitant"}}}},
      {"l2", {{"findings", {"Sein gauche, quadrant supéro-externe : masse de 8 mm (ACR 4)"}}}},
      {"cti",
       {{"items",
         {{{"view", "MLO droite"}, {"reason", "positionnement (muscle pectoral non visible)"}},
          {{"view", "CC gauche"}, {"reason", "flou de mouvement"}}}},
        {"requested_on", "28 février 2025"},
        {"due_date", "14 mars 2025"}}},
      {"received_date", "3 mars 2025"},
      {"received_items",
       {"4 clichés de mammographie et 2 clichés complémentaires", "fiche d'interprétation signée",
        "compte rendu du bilan immédiat"}},
  };
  switch (kind) {
    case LetterKind::kNegativeResult:
    case LetterKind::kRecall:
      d["recipient"] = womanAddress();
      break;
    case LetterKind::kNegativeResultDoctor:
    case LetterKind::kRecallDoctor:
      d["recipient"] = doctorAddress();
      break;
    case LetterKind::kCtiNotice:
    case LetterKind::kL1PositiveAck:
      d["recipient"] = cimAddress();
      break;
  }
  return d;
}

}  // namespace dualread::letters_test
