// C-FIND matching rules and level parsing of the DIMSE query translator.

#include "dicom/dimse_query.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <gtest/gtest.h>

namespace dualread {
namespace {

TEST(DimseQueryMatch, UniversalAndSingleValue) {
  EXPECT_TRUE(dicomValueMatches("", "anything", false, false, false));
  EXPECT_TRUE(dicomValueMatches("*", "", false, false, false));
  EXPECT_TRUE(dicomValueMatches("MG", "MG", false, false, false));
  EXPECT_FALSE(dicomValueMatches("MG", "US", false, false, false));
  EXPECT_FALSE(dicomValueMatches("MG", "", false, false, false));
}

TEST(DimseQueryMatch, WildcardsAndCase) {
  EXPECT_TRUE(dicomValueMatches("MART*", "MARTIN^CLAIRE", false, false, true));
  EXPECT_TRUE(dicomValueMatches("mart*", "MARTIN^CLAIRE", false, false, true));
  EXPECT_FALSE(dicomValueMatches("mart*", "MARTIN^CLAIRE", false, false, false));
  EXPECT_TRUE(dicomValueMatches("*^CL?IRE", "MARTIN^CLAIRE", false, false, true));
  EXPECT_FALSE(dicomValueMatches("*^CL?IRE", "MARTIN^CLAUDE", false, false, true));
}

TEST(DimseQueryMatch, DateRanges) {
  EXPECT_TRUE(dicomValueMatches("20250101-20251231", "20250610", true, false, false));
  EXPECT_FALSE(dicomValueMatches("20250101-20251231", "20260610", true, false, false));
  EXPECT_TRUE(dicomValueMatches("-20251231", "19990101", true, false, false));
  EXPECT_TRUE(dicomValueMatches("20250101-", "20990101", true, false, false));
  EXPECT_FALSE(dicomValueMatches("20250101-", "20241231", true, false, false));
}

TEST(DimseQueryMatch, ListsMatchAnyValue) {
  EXPECT_TRUE(dicomValueMatches("1.2.3\\1.2.4", "1.2.4", false, true, false));
  EXPECT_FALSE(dicomValueMatches("1.2.3\\1.2.4", "1.2.5", false, true, false));
  // Multi-valued stored attribute (ModalitiesInStudy).
  EXPECT_TRUE(dicomValueMatches("US", "MG\\US", false, true, false));
  EXPECT_TRUE(dicomValueMatches("CT\\US", "MG\\US", false, true, false));
}

TEST(DimseQueryLevel, ValidatesAgainstModel) {
  DcmDataset ds;
  EXPECT_THROW(parseQueryLevel(QueryModel::kStudyRoot, ds), DimseQueryError);
  ds.putAndInsertString(DCM_QueryRetrieveLevel, "PATIENT");
  EXPECT_EQ(parseQueryLevel(QueryModel::kPatientRoot, ds), QueryLevel::kPatient);
  try {
    parseQueryLevel(QueryModel::kStudyRoot, ds);
    FAIL() << "PATIENT level accepted in study root";
  } catch (const DimseQueryError& e) {
    EXPECT_EQ(e.status(), 0xA900);
    EXPECT_LE(e.comment().size(), 64u);
  }
  ds.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
  EXPECT_EQ(parseQueryLevel(QueryModel::kStudyRoot, ds), QueryLevel::kImage);
  ds.putAndInsertString(DCM_QueryRetrieveLevel, "FRAME");
  EXPECT_THROW(parseQueryLevel(QueryModel::kPatientRoot, ds), DimseQueryError);
}

}  // namespace
}  // namespace dualread
