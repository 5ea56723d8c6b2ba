#include "dicom/instance_reader.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cstdio>
#include <fstream>

#include "dicom/length_guard.h"

namespace dualread {
namespace {

std::string get(DcmItem* item, const DcmTagKey& tag, bool search_into_sub = false) {
  OFString v;
  if (item && item->findAndGetOFStringArray(tag, v, search_into_sub).good()) {
    std::string s = v.c_str();
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    return s;
  }
  return {};
}

uint32_t getNum(DcmItem* item, const DcmTagKey& tag) {
  Uint16 u16 = 0;
  if (item->findAndGetUint16(tag, u16).good()) return u16;
  std::string s = get(item, tag);
  try {
    return s.empty() ? 0 : static_cast<uint32_t>(std::stoul(s));
  } catch (...) {
    return 0;
  }
}

void readCodes(DcmItem* item, const DcmTagKey& seq_tag, std::vector<CodedConcept>& out) {
  DcmSequenceOfItems* seq = nullptr;
  if (!item || item->findAndGetSequence(seq_tag, seq).bad() || !seq) return;
  for (unsigned long i = 0; i < seq->card(); ++i) {
    DcmItem* it = seq->getItem(i);
    CodedConcept c{get(it, DCM_CodeValue), get(it, DCM_CodingSchemeDesignator),
                   get(it, DCM_CodeMeaning)};
    if (c.value.empty()) c.value = get(it, DCM_LongCodeValue);
    out.push_back(c);
  }
}

// Finds the private block reserved by `creator` in group `group`; returns the element offset
// base (e.g. 0x1000) or 0 when absent.
Uint16 privateBase(DcmItem* ds, Uint16 group, const char* creator) {
  for (Uint16 e = 0x10; e <= 0xFF; ++e) {
    if (get(ds, DcmTagKey(group, e)) == creator) return static_cast<Uint16>(e << 8);
  }
  return 0;
}

}  // namespace

uint64_t part10DatasetOffset(const std::filesystem::path& file) {
  // File meta elements are always explicit VR little endian (PS3.10 7.1): walk group 0002.
  std::ifstream in(file, std::ios::binary);
  uint64_t pos = 132;
  in.seekg(static_cast<std::streamoff>(pos));
  for (;;) {
    unsigned char h[8];
    if (!in.read(reinterpret_cast<char*>(h), 8)) return pos;
    const uint16_t group = static_cast<uint16_t>(h[0] | (h[1] << 8));
    if (group != 0x0002) return pos;
    const std::string vr(reinterpret_cast<char*>(h + 4), 2);
    uint64_t len;
    uint64_t header = 8;
    if (vr == "OB" || vr == "OW" || vr == "OF" || vr == "SQ" || vr == "UT" || vr == "UN" ||
        vr == "UC" || vr == "UR" || vr == "OD" || vr == "OL" || vr == "OV") {
      unsigned char l[4];
      if (!in.read(reinterpret_cast<char*>(l), 4)) return pos;
      len = static_cast<uint64_t>(l[0]) | (static_cast<uint64_t>(l[1]) << 8) |
            (static_cast<uint64_t>(l[2]) << 16) | (static_cast<uint64_t>(l[3]) << 24);
      header = 12;
    } else {
      len = static_cast<uint64_t>(h[6] | (h[7] << 8));
    }
    pos += header + len;
    in.seekg(static_cast<std::streamoff>(pos));
  }
}

bool isValidUid(const std::string& uid) {
  if (uid.empty() || uid.size() > 64) return false;
  bool start = true;
  for (std::size_t i = 0; i < uid.size(); ++i) {
    char c = uid[i];
    if (c == '.') {
      if (start) return false;
      start = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (start && c == '0' && i + 1 < uid.size() && uid[i + 1] != '.') return false;
    start = false;
  }
  return !start;
}

const std::set<std::string>& defaultAcceptedSopClasses() {
  static const std::set<std::string> k = {
      UID_DigitalMammographyXRayImageStorageForPresentation,
      UID_DigitalMammographyXRayImageStorageForProcessing,
      UID_DigitalXRayImageStorageForPresentation,
      UID_DigitalXRayImageStorageForProcessing,
      UID_BreastTomosynthesisImageStorage,
      UID_BreastProjectionXRayImageStorageForPresentation,
      UID_BreastProjectionXRayImageStorageForProcessing,
      UID_UltrasoundImageStorage,
      UID_UltrasoundMultiframeImageStorage,
      UID_SecondaryCaptureImageStorage,
      UID_MultiframeGrayscaleByteSecondaryCaptureImageStorage,
      UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage,
      UID_MultiframeTrueColorSecondaryCaptureImageStorage,
      UID_BasicTextSRStorage,
      UID_EnhancedSRStorage,
      UID_ComprehensiveSRStorage,
      UID_MammographyCADSRStorage,
      UID_KeyObjectSelectionDocumentStorage,
      UID_EncapsulatedPDFStorage,
      UID_EncapsulatedCDAStorage,
      UID_GrayscaleSoftcopyPresentationStateStorage,
  };
  return k;
}

std::string sopClassName(const std::string& uid) {
  const char* name = dcmFindNameOfUID(uid.c_str(), nullptr);
  return name ? std::string(name) : uid;
}

InstanceSummary readInstanceSummary(const std::filesystem::path& file,
                                    const std::set<std::string>& accepted) {
  using K = DicomRejected::Kind;
  {
    std::ifstream in(file, std::ios::binary);
    char head[132] = {};
    in.read(head, sizeof head);
    if (in.gcount() < 132 || std::string(head + 128, 4) != "DICM") {
      throw DicomRejected(K::kNotDicom,
                          "this is not a DICOM file (no 'DICM' Part-10 header); nothing stored");
    }
  }
  if (auto problem = findImpossibleLength(file)) {
    throw DicomRejected(K::kTruncated, "the DICOM file is truncated or corrupt: " + *problem +
                                           "; nothing stored, please send it again");
  }
  DcmFileFormat ff;
  // Values above 64 KiB (pixel data) stay on disk: a 32 MB image is not read into memory.
  OFCondition cond =
      ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 64 * 1024, ERM_autoDetect);
  if (cond.bad()) {
    const std::string reason = cond.text();
    if (reason.find("end") != std::string::npos || reason.find("Premature") != std::string::npos)
      throw DicomRejected(K::kTruncated, "the DICOM file is truncated (" + reason +
                                             "); nothing stored, please send it again");
    throw DicomRejected(K::kNotDicom,
                        "the DICOM file cannot be read (" + reason + "); nothing stored");
  }
  DcmDataset* ds = ff.getDataset();
  DcmMetaInfo* meta = ff.getMetaInfo();

  // A value whose declared length runs past the end of the file means a cut transfer.
  const auto file_size = std::filesystem::file_size(file);
  DcmElement* pixels = nullptr;
  // A deflated dataset is smaller on disk than its declared lengths: DCMTK's own stream error
  // catches truncation there.
  const bool deflated = ds->getOriginalXfer() == EXS_DeflatedLittleEndianExplicit;
  if (!deflated && ds->findAndGetElement(DCM_PixelData, pixels).good() && pixels) {
    const Uint32 len = pixels->getLength();
    if (len != DCM_UndefinedLength && len > file_size) {
      throw DicomRejected(K::kTruncated,
                          "the DICOM file is truncated: its pixel data is declared " +
                              std::to_string(len) + " bytes but the file has " +
                              std::to_string(file_size) + "; nothing stored, please send again");
    }
  }
  if (ds->getLength(EXS_Unknown) == 0) {
    throw DicomRejected(K::kMissingAttribute, "the DICOM file has an empty dataset");
  }

  // Text in UTF-8 whatever the sender's character set.
  if (!get(ds, DCM_SpecificCharacterSet).empty()) {
    OFCondition c = ds->convertToUTF8();
    (void)c;  // unconvertible text is kept as received; identity checks still apply
  }

  InstanceSummary s;
  s.dataset_offset = part10DatasetOffset(file);
  s.sop_class_uid = get(ds, DCM_SOPClassUID);
  s.sop_instance_uid = get(ds, DCM_SOPInstanceUID);
  s.study_instance_uid = get(ds, DCM_StudyInstanceUID);
  s.series_instance_uid = get(ds, DCM_SeriesInstanceUID);
  s.transfer_syntax_uid = get(meta, DCM_TransferSyntaxUID);
  if (s.transfer_syntax_uid.empty()) {
    s.transfer_syntax_uid = DcmXfer(ds->getOriginalXfer()).getXferID();
  }

  const struct {
    const std::string& value;
    const char* name;
  } required[] = {{s.sop_class_uid, "SOP Class UID (0008,0016)"},
                  {s.sop_instance_uid, "SOP Instance UID (0008,0018)"},
                  {s.study_instance_uid, "Study Instance UID (0020,000D)"},
                  {s.series_instance_uid, "Series Instance UID (0020,000E)"}};
  for (const auto& r : required) {
    if (r.value.empty())
      throw DicomRejected(K::kMissingAttribute,
                          std::string("the object has no ") + r.name + "; nothing stored");
    if (!isValidUid(r.value))
      throw DicomRejected(K::kBadUid, std::string("the ") + r.name + " '" + r.value +
                                          "' is not a valid DICOM UID; nothing stored");
  }
  const std::string meta_sop = get(meta, DCM_MediaStorageSOPInstanceUID);
  if (!meta_sop.empty() && meta_sop != s.sop_instance_uid) {
    throw DicomRejected(K::kNotAsAnnounced, "the file meta header names SOP Instance " + meta_sop +
                                                " but the dataset says " + s.sop_instance_uid +
                                                "; nothing stored");
  }
  if (!accepted.count(s.sop_class_uid)) {
    throw DicomRejected(K::kSopClassNotAccepted,
                        "SOP Class " + sopClassName(s.sop_class_uid) + " (" + s.sop_class_uid +
                            ") is not a screening object this hub accepts; nothing stored");
  }

  s.patient_id = get(ds, DCM_PatientID);
  s.issuer_of_patient_id = get(ds, DCM_IssuerOfPatientID);
  s.patient_name = get(ds, DCM_PatientName);
  s.patient_birth_date = get(ds, DCM_PatientBirthDate);
  s.patient_sex = get(ds, DCM_PatientSex);
  DcmSequenceOfItems* other_ids = nullptr;
  if (ds->findAndGetSequence(DCM_OtherPatientIDsSequence, other_ids).good() && other_ids) {
    for (unsigned long i = 0; i < other_ids->card(); ++i) {
      DcmItem* it = other_ids->getItem(i);
      const std::string issuer = get(it, DCM_IssuerOfPatientID);
      std::string oid;
      DcmItem* q = nullptr;
      if (it->findAndGetSequenceItem(DCM_IssuerOfPatientIDQualifiersSequence, q, 0).good())
        oid = get(q, DCM_UniversalEntityID);
      // INS-NIR (1.2.250.1.213.1.4.8) and its test range INS-NIA (…4.9/4.10) per ANS.
      if (issuer.rfind("INS", 0) == 0 || oid.rfind("1.2.250.1.213.1.4.", 0) == 0) {
        s.ins = get(it, DCM_PatientID);
        s.ins_issuer = oid.empty() ? issuer : oid;
        break;
      }
    }
  }
  s.study_date = get(ds, DCM_StudyDate);
  s.study_time = get(ds, DCM_StudyTime);
  s.accession_number = get(ds, DCM_AccessionNumber);
  s.study_id = get(ds, DCM_StudyID);
  s.study_description = get(ds, DCM_StudyDescription);
  s.referring_physician_name = get(ds, DCM_ReferringPhysicianName);
  s.institution_name = get(ds, DCM_InstitutionName);
  s.modality = get(ds, DCM_Modality);
  s.series_number = get(ds, DCM_SeriesNumber);
  s.series_description = get(ds, DCM_SeriesDescription);
  s.series_date = get(ds, DCM_SeriesDate);
  s.body_part_examined = get(ds, DCM_BodyPartExamined);
  s.instance_number = get(ds, DCM_InstanceNumber);
  s.manufacturer = get(ds, DCM_Manufacturer);
  s.rows = getNum(ds, DCM_Rows);
  s.columns = getNum(ds, DCM_Columns);
  s.number_of_frames = getNum(ds, DCM_NumberOfFrames);
  if (s.number_of_frames == 0 && s.rows > 0) s.number_of_frames = 1;
  s.bits_allocated = static_cast<uint16_t>(getNum(ds, DCM_BitsAllocated));
  s.bits_stored = static_cast<uint16_t>(getNum(ds, DCM_BitsStored));
  s.photometric_interpretation = get(ds, DCM_PhotometricInterpretation);
  s.presentation_intent_type = get(ds, DCM_PresentationIntentType);
  s.image_laterality = get(ds, DCM_ImageLaterality);
  s.laterality = get(ds, DCM_Laterality);
  s.view_position = get(ds, DCM_ViewPosition);
  readCodes(ds, DCM_ViewCodeSequence, s.view_codes);
  DcmItem* view_item = nullptr;
  if (ds->findAndGetSequenceItem(DCM_ViewCodeSequence, view_item, 0).good())
    readCodes(view_item, DCM_ViewModifierCodeSequence, s.view_modifier_codes);
  readCodes(ds, DCM_ViewModifierCodeSequence, s.view_modifier_codes);
  if (Uint16 base = privateBase(ds, 0x0029, "BOREALIS 1.0")) {
    s.private_view_label = get(ds, DcmTagKey(0x0029, base | 0x10));
    s.private_view_modifier = get(ds, DcmTagKey(0x0029, base | 0x11));
  }
  return s;
}

}  // namespace dualread
