#include "domain/view_classifier.h"

#include <gtest/gtest.h>

namespace dualread {
namespace {

InstanceSummary mammo() {
  InstanceSummary s;
  s.sop_class_uid = sop_class::kMgForPresentation;
  s.modality = "MG";
  s.rows = 320;
  s.columns = 256;
  s.presentation_intent_type = "FOR PRESENTATION";
  return s;
}

TEST(ViewClassifier, CodedViewAndImageLaterality) {
  auto s = mammo();
  s.image_laterality = "R";
  s.view_codes = {{"399162004", "SCT", "cranio-caudal"}};
  auto v = classifyView(s);
  EXPECT_EQ(v.code, "RCC");
  EXPECT_EQ(v.role, ImageRole::kStandardView);
  EXPECT_TRUE(v.problems.empty());
}

TEST(ViewClassifier, LegacySrtCodeMlo) {
  auto s = mammo();
  s.image_laterality = "L";
  s.view_codes = {{"R-10226", "SRT", "medio-lateral oblique"}};
  EXPECT_EQ(classifyView(s).code, "LMLO");
}

TEST(ViewClassifier, ViewPositionAndSeriesLateralityOnly) {
  auto s = mammo();
  s.laterality = "L";
  s.view_position = "MLO";
  auto v = classifyView(s);
  EXPECT_EQ(v.code, "LMLO");
  EXPECT_EQ(v.role, ImageRole::kStandardView);
}

TEST(ViewClassifier, PrivateLabelWithModifier) {
  auto s = mammo();
  s.laterality = "R";
  s.view_position = "CC";
  s.private_view_label = "R CC SPOT";
  s.private_view_modifier = "SPOT";
  auto v = classifyView(s);
  EXPECT_EQ(v.code, "RCC_SPOT");
  EXPECT_EQ(v.role, ImageRole::kExtraView);
  EXPECT_TRUE(v.problems.empty());
}

TEST(ViewClassifier, CodedModifierMagnification) {
  auto s = mammo();
  s.image_laterality = "L";
  s.view_codes = {{"399162004", "SCT", "cranio-caudal"}};
  s.view_modifier_codes = {{"399163009", "SCT", "Magnification"}};
  EXPECT_EQ(classifyView(s).code, "LCC_MAG");
}

TEST(ViewClassifier, LabelOnlyFrenchLaterality) {
  auto s = mammo();
  s.series_description = "CC G";
  auto v = classifyView(s);
  EXPECT_EQ(v.code, "LCC");
}

TEST(ViewClassifier, LateralityContradictingLabelIsFlagged) {
  auto s = mammo();
  s.image_laterality = "R";
  s.view_codes = {{"399162004", "SCT", "cranio-caudal"}};
  s.series_description = "L CC";
  auto v = classifyView(s);
  EXPECT_EQ(v.code, "RCC");
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_NE(v.problems[0].find("contradicts the view label 'L CC'"), std::string::npos);
}

TEST(ViewClassifier, ImageAndSeriesLateralityDisagree) {
  auto s = mammo();
  s.image_laterality = "R";
  s.laterality = "L";
  s.view_position = "CC";
  EXPECT_FALSE(classifyView(s).problems.empty());
}

TEST(ViewClassifier, CodeAndViewPositionDisagree) {
  auto s = mammo();
  s.image_laterality = "R";
  s.view_codes = {{"399162004", "SCT", "cranio-caudal"}};
  s.view_position = "MLO";
  EXPECT_FALSE(classifyView(s).problems.empty());
}

TEST(ViewClassifier, ForProcessingIsNotAStandardView) {
  auto s = mammo();
  s.sop_class_uid = sop_class::kMgForProcessing;
  s.presentation_intent_type = "FOR PROCESSING";
  s.image_laterality = "R";
  s.view_position = "CC";
  auto v = classifyView(s);
  EXPECT_TRUE(v.for_processing);
  EXPECT_EQ(v.code, "RCC_PROC");
  EXPECT_EQ(v.role, ImageRole::kExtraView);
}

TEST(ViewClassifier, MissingLateralityIsAProblem) {
  auto s = mammo();
  s.view_position = "CC";
  auto v = classifyView(s);
  EXPECT_NE(v.role, ImageRole::kStandardView);
  EXPECT_FALSE(v.problems.empty());
}

TEST(ViewClassifier, Ultrasound) {
  InstanceSummary s;
  s.sop_class_uid = sop_class::kUltrasound;
  s.modality = "US";
  s.laterality = "L";
  auto v = classifyView(s);
  EXPECT_EQ(v.role, ImageRole::kUltrasound);
  EXPECT_EQ(v.code, "US_L");
}

TEST(ViewClassifier, PdfIsOther) {
  InstanceSummary s;
  s.sop_class_uid = sop_class::kEncapsulatedPdf;
  s.modality = "DOC";
  EXPECT_EQ(classifyView(s).role, ImageRole::kOther);
}

}  // namespace
}  // namespace dualread
