// CDA R2 export of the FI and L2 result: well-formed XML (xmllint when installed, and a small
// checker of our own so the test never depends on it), header identifiers, coded entries.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <vector>

#include "services/cda_export.h"
#include "workflow_test_data.h"

namespace dualread {
namespace {

using namespace testdata;

// A small XML 1.0 well-formedness check: one root, balanced and properly nested tags, quoted
// and unique attributes, only the predefined or numeric entities, nothing but whitespace
// outside the root. Returns an empty string when well-formed, else what is wrong.
std::string wellFormed(const std::string& xml) {
  size_t i = 0;
  const size_t n = xml.size();
  std::vector<std::string> stack;
  int roots = 0;
  auto isNameStart = [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  auto isName = [&](char c) {
    return isNameStart(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  };
  auto entityOk = [&](size_t at) {  // xml[at] == '&'
    const size_t semi = xml.find(';', at);
    if (semi == std::string::npos) return false;
    const std::string e = xml.substr(at + 1, semi - at - 1);
    if (e == "amp" || e == "lt" || e == "gt" || e == "quot" || e == "apos") return true;
    if (e.size() > 1 && e[0] == '#')
      return e.find_first_not_of(e[1] == 'x' ? "x0123456789abcdefABCDEF" : "0123456789", 1) ==
             std::string::npos;
    return false;
  };
  auto readName = [&](std::string& out) {
    if (i >= n || !isNameStart(xml[i])) return false;
    const size_t start = i;
    while (i < n && isName(xml[i])) ++i;
    out = xml.substr(start, i - start);
    return true;
  };
  auto skipSpace = [&] {
    while (i < n && std::isspace(static_cast<unsigned char>(xml[i]))) ++i;
  };
  if (xml.rfind("<?xml", 0) == 0) {
    i = xml.find("?>");
    if (i == std::string::npos) return "unterminated XML declaration";
    i += 2;
  }
  while (i < n) {
    if (xml[i] != '<') {
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(xml[i])))
        return "text outside the root element at " + std::to_string(i);
      if (xml[i] == '&' && !entityOk(i)) return "bad entity at " + std::to_string(i);
      ++i;
      continue;
    }
    ++i;
    if (xml.compare(i, 3, "!--") == 0) {
      i = xml.find("-->", i);
      if (i == std::string::npos) return "unterminated comment";
      i += 3;
      continue;
    }
    if (i < n && xml[i] == '/') {
      ++i;
      std::string name;
      if (!readName(name)) return "bad closing tag at " + std::to_string(i);
      skipSpace();
      if (i >= n || xml[i] != '>') return "unterminated closing tag " + name;
      ++i;
      if (stack.empty() || stack.back() != name)
        return "closing </" + name + "> does not match <" + (stack.empty() ? "" : stack.back()) +
               ">";
      stack.pop_back();
      continue;
    }
    std::string name;
    if (!readName(name)) return "bad tag name at " + std::to_string(i);
    if (stack.empty() && ++roots > 1) return "second root element <" + name + ">";
    std::set<std::string> attrs;
    while (true) {
      const size_t before = i;
      skipSpace();
      if (i >= n) return "unterminated tag <" + name + ">";
      if (xml[i] == '/' || xml[i] == '>') break;
      if (i == before) return "missing space before attribute in <" + name + ">";
      std::string attr;
      if (!readName(attr)) return "bad attribute in <" + name + ">";
      if (!attrs.insert(attr).second) return "duplicate attribute " + attr + " in <" + name + ">";
      skipSpace();
      if (i >= n || xml[i] != '=') return "attribute " + attr + " without value";
      ++i;
      skipSpace();
      if (i >= n || (xml[i] != '"' && xml[i] != '\'')) return "unquoted attribute " + attr;
      const char q = xml[i++];
      while (i < n && xml[i] != q) {
        if (xml[i] == '<') return "'<' in attribute " + attr;
        if (xml[i] == '&' && !entityOk(i)) return "bad entity in attribute " + attr;
        ++i;
      }
      if (i >= n) return "unterminated attribute " + attr;
      ++i;
    }
    if (xml[i] == '/') {
      if (i + 1 >= n || xml[i + 1] != '>') return "bad empty tag <" + name + ">";
      i += 2;
    } else {
      ++i;
      stack.push_back(name);
    }
  }
  if (!stack.empty()) return "unclosed <" + stack.back() + ">";
  if (roots != 1) return "no root element";
  return "";
}

CdaDocumentContext context() {
  CdaDocumentContext c;
  c.document_id = "E1-FI-1";
  c.created_at = makeTime(2024, 3, 19, 9, 0);
  c.custodian_finess = "670000000";
  c.custodian_name = "CRCDC Grand Est";
  c.cim_name = "Centre d'imagerie A";
  return c;
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

TEST(CdaWellFormed, OwnCheckerCatchesBrokenXml) {
  EXPECT_EQ(wellFormed("<a><b x=\"1\"/>t &amp; u</a>"), "");
  EXPECT_NE(wellFormed("<a><b></a></b>"), "");
  EXPECT_NE(wellFormed("<a x=1/>"), "");
  EXPECT_NE(wellFormed("<a>&nbsp;</a>"), "");
  EXPECT_NE(wellFormed("<a/><b/>"), "");
  EXPECT_NE(wellFormed("<a x=\"1\" x=\"2\"/>"), "");
  EXPECT_NE(wellFormed("<a>"), "");
  EXPECT_NE(wellFormed("<a x=\"<\"/>"), "");
}

TEST(CdaWellFormed, ExportsAreWellFormed) {
  L1Form tricky = clearedByBdiForm();
  tricky.identification.birth_name = "D'ARC & <FILS>";
  tricky.conclusion.comment = "\"quoted\" <b>not markup</b> \x01";
  L2Reading l2 = positiveL2();
  l2.comment = "a < b && c > d";
  const std::vector<std::string> docs = {
      exportReadingFormCda(context(), negativeForm()),
      exportReadingFormCda(context(), positiveForm()),
      exportReadingFormCda(context(), tricky, l2),
      exportReadingFormCda(context(), negativeForm(), ctiL2()),
      exportReadingFormCda(context(), L1Form{}),
  };
  for (const auto& xml : docs) EXPECT_EQ(wellFormed(xml), "") << xml;

  // Cross-check with libxml2 when it is installed on this machine.
  if (!std::filesystem::exists("/usr/bin/xmllint")) GTEST_SKIP() << "xmllint not installed";
  const auto dir = std::filesystem::temp_directory_path();
  for (size_t k = 0; k < docs.size(); ++k) {
    const auto file =
        dir / ("dualread_cda_" + std::to_string(::getpid()) + "_" + std::to_string(k) + ".xml");
    std::ofstream(file) << docs[k];
    const std::string cmd = "/usr/bin/xmllint --noout '" + file.string() + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int status = ::pclose(p);
    std::filesystem::remove(file);
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out, "");
  }
}

TEST(CdaHeader, IdentifiesWomanAuthorsAndCustodian) {
  const std::string x = exportReadingFormCda(context(), negativeForm(), negativeL2());
  EXPECT_TRUE(contains(x, "<ClinicalDocument xmlns=\"urn:hl7-org:v3\""));
  EXPECT_TRUE(contains(x, "<typeId root=\"2.16.840.1.113883.1.3\" extension=\"POCD_HD000040\"/>"));
  EXPECT_TRUE(contains(x, "<id root=\"1.2.250.1.213.1.4.8\" extension=\"265037512345601\"/>"));
  EXPECT_TRUE(contains(x, "<family qualifier=\"BR\">MARTIN</family>"));
  EXPECT_TRUE(contains(x, "<birthTime value=\"19650301\"/>"));
  EXPECT_TRUE(contains(x, "<administrativeGenderCode code=\"F\""));
  EXPECT_TRUE(contains(x, "<id root=\"1.2.250.1.71.4.2.1\" extension=\"810000000001\"/>"));  // L1
  EXPECT_TRUE(contains(x, "<id root=\"1.2.250.1.71.4.2.1\" extension=\"810000000002\"/>"));  // L2
  EXPECT_TRUE(contains(x, "<id root=\"1.2.250.1.71.4.2.2\" extension=\"670000000\"/>"));
  EXPECT_TRUE(contains(x, "<name>CRCDC Grand Est</name>"));
  EXPECT_TRUE(contains(x, "<effectiveTime value=\"20240319090000+0000\"/>"));
  EXPECT_TRUE(contains(x, "<time value=\"20240312103000+0000\"/>")) << "L1 signature time";
  EXPECT_TRUE(contains(x, "<low value=\"20240312\"/>")) << "mammogram date";
  EXPECT_TRUE(contains(x, "<signatureCode code=\"S\"/>"));
}

TEST(CdaHeader, WithoutInsTheScreeningNumberIdentifies) {
  L1Form f = negativeForm();
  f.identification.ins.clear();
  const std::string x = exportReadingFormCda(context(), f);
  EXPECT_FALSE(contains(x, "1.2.250.1.213.1.4.8"));
  EXPECT_TRUE(contains(x, "extension=\"SN-0001\""));
}

TEST(CdaBody, BiradsDensityAndFindingsAreCodedEntries) {
  const std::string x = exportReadingFormCda(context(), clearedByBdiForm());
  // Density B and the overall assessment observation.
  EXPECT_TRUE(contains(x, "code=\"129715009\""));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"129717001\""));
  EXPECT_TRUE(contains(x, "code=\"111413\" codeSystem=\"1.2.840.10008.2.16.4\""));
  // L1 right ACR 3, after BDI ACR 2, left ACR 1.
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"397143007\""));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"397141009\""));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"397140005\""));
  EXPECT_TRUE(contains(x, "<targetSiteCode code=\"73056007\""));
  EXPECT_TRUE(contains(x, "<targetSiteCode code=\"80248007\""));
  // The asymmetry finding with quadrant, clock and size.
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"129790003\""));
  EXPECT_TRUE(contains(x, "code=\"upper_outer\""));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"INT\" value=\"10\"/>"));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"PQ\" value=\"8\" unit=\"mm\"/>"));
  // BDI and conclusion.
  EXPECT_TRUE(contains(x, "code=\"BDI-DONE\""));
  EXPECT_TRUE(contains(x, "code=\"L1-CONCLUSION\""));
  EXPECT_TRUE(contains(x, "Densité : B"));
  EXPECT_FALSE(contains(x, "FI-L2")) << "no L2 section before the L2";
}

TEST(CdaBody, L2ResultAndCti) {
  std::string x = exportReadingFormCda(context(), negativeForm(), positiveL2());
  EXPECT_TRUE(contains(x, "code=\"FI-L2\""));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"positive\""));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"397144001\""));  // L2 left ACR 4
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"129792006\""));  // distortion
  x = exportReadingFormCda(context(), negativeForm(), ctiL2());
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"technically_insufficient\""));
  EXPECT_TRUE(contains(x, "code=\"CTI\""));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"CD\" code=\"motion_blur\""));
  EXPECT_TRUE(contains(x, "<value xsi:type=\"ST\">RMLO</value>"));
  EXPECT_TRUE(contains(x, "CTI RMLO : flou cinétique"));
}

TEST(CdaBody, TextIsEscaped) {
  L1Form f = negativeForm();
  f.identification.birth_name = "D'ARC & <FILS>";
  const std::string x = exportReadingFormCda(context(), f);
  EXPECT_TRUE(contains(x, "D&apos;ARC &amp; &lt;FILS&gt;"));
  EXPECT_EQ(xmlEscape("a\"b\x02"), "a&quot;b ");
}

}  // namespace
}  // namespace dualread
