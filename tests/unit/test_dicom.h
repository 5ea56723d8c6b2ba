#pragma once
// Builds small DICOM Part-10 files for tests (DCMTK), so unit tests do not depend on the
// synthetic generator. Header-only; each call is independent and thread-safe.

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace dualread::testing {

struct TestImage {
  std::string sop_class = UID_DigitalMammographyXRayImageStorageForPresentation;
  std::string sop_uid = "1.2.826.0.1.3680043.10.1011.99.1.1";
  std::string study_uid = "1.2.826.0.1.3680043.10.1011.99.1";
  std::string series_uid = "1.2.826.0.1.3680043.10.1011.99.1.0";
  std::string patient_id = "CIM01-000001";
  std::string issuer = "CIM01";
  std::string patient_name = "MARTIN^CLAIRE";
  std::string birth_date = "19650412";
  std::string ins = "265047512345678";
  std::string study_date = "20260110";
  std::string accession = "ACC0001";
  std::string laterality = "R";
  std::string view_position = "CC";
  std::string series_description = "R CC";
  uint16_t rows = 32, cols = 24;
  uint16_t seed = 1;  // changes the pixel content
};

inline void writeTestImage(const TestImage& t, const std::filesystem::path& path) {
  DcmFileFormat ff;
  DcmDataset* ds = ff.getDataset();
  ds->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  ds->putAndInsertString(DCM_SOPClassUID, t.sop_class.c_str());
  ds->putAndInsertString(DCM_SOPInstanceUID, t.sop_uid.c_str());
  ds->putAndInsertString(DCM_StudyInstanceUID, t.study_uid.c_str());
  ds->putAndInsertString(DCM_SeriesInstanceUID, t.series_uid.c_str());
  ds->putAndInsertString(DCM_PatientID, t.patient_id.c_str());
  ds->putAndInsertString(DCM_IssuerOfPatientID, t.issuer.c_str());
  ds->putAndInsertString(DCM_PatientName, t.patient_name.c_str());
  ds->putAndInsertString(DCM_PatientBirthDate, t.birth_date.c_str());
  ds->putAndInsertString(DCM_PatientSex, "F");
  if (!t.ins.empty()) {
    DcmItem* item = nullptr;
    ds->findOrCreateSequenceItem(DCM_OtherPatientIDsSequence, item, -2);
    item->putAndInsertString(DCM_PatientID, t.ins.c_str());
    item->putAndInsertString(DCM_IssuerOfPatientID, "INS-NIR");
    item->putAndInsertString(DCM_TypeOfPatientID, "TEXT");
  }
  ds->putAndInsertString(DCM_StudyDate, t.study_date.c_str());
  ds->putAndInsertString(DCM_StudyTime, "101500");
  ds->putAndInsertString(DCM_AccessionNumber, t.accession.c_str());
  ds->putAndInsertString(DCM_Modality, "MG");
  ds->putAndInsertString(DCM_SeriesNumber, "1");
  ds->putAndInsertString(DCM_InstanceNumber, "1");
  ds->putAndInsertString(DCM_SeriesDescription, t.series_description.c_str());
  ds->putAndInsertString(DCM_PresentationIntentType, "FOR PRESENTATION");
  ds->putAndInsertString(DCM_ImageLaterality, t.laterality.c_str());
  ds->putAndInsertString(DCM_ViewPosition, t.view_position.c_str());
  ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
  ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds->putAndInsertUint16(DCM_Rows, t.rows);
  ds->putAndInsertUint16(DCM_Columns, t.cols);
  ds->putAndInsertUint16(DCM_BitsAllocated, 16);
  ds->putAndInsertUint16(DCM_BitsStored, 12);
  ds->putAndInsertUint16(DCM_HighBit, 11);
  ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
  std::vector<Uint16> px(static_cast<size_t>(t.rows) * t.cols);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<Uint16>((i * 7 + t.seed * 13) & 0xFFF);
  ds->putAndInsertUint16Array(DCM_PixelData, px.data(), static_cast<unsigned long>(px.size()));
  OFCondition c = ff.saveFile(path.c_str(), EXS_LittleEndianExplicit);
  if (c.bad()) throw std::runtime_error(std::string("cannot write test DICOM: ") + c.text());
}

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The four standard views of one exam, ready to write.
inline std::vector<TestImage> fourViews(const std::string& study_suffix = "1") {
  std::vector<TestImage> out;
  const char* lat[] = {"R", "L", "R", "L"};
  const char* pos[] = {"CC", "CC", "MLO", "MLO"};
  for (int i = 0; i < 4; ++i) {
    TestImage t;
    t.study_uid = "1.2.826.0.1.3680043.10.1011.99." + study_suffix;
    t.series_uid = t.study_uid + "." + std::to_string(i + 1);
    t.sop_uid = t.series_uid + ".1";
    t.laterality = lat[i];
    t.view_position = pos[i];
    t.series_description = std::string(lat[i]) + " " + pos[i];
    t.seed = static_cast<uint16_t>(i + 1);
    out.push_back(t);
  }
  return out;
}

}  // namespace dualread::testing
