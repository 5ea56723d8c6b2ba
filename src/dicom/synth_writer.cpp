#include "dicom/synth_writer.h"

#include <dcmtk/config/osconfig.h>  // must come first for DCMTK
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcvrlo.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace dualread::synth {
namespace {

// Private block of the BOREALIS vendor profile.
constexpr Uint16 kPrivateGroup = 0x0029;
constexpr const char* kPrivateCreator = "BOREALIS 1.0";

// Sets string attributes, transcoding to Latin-1 for centres that declare ISO_IR 100.
class AttributeSink {
 public:
  AttributeSink(DcmItem& item, bool latin1, const std::filesystem::path& path)
      : item_(item), latin1_(latin1), path_(path) {}

  void put(const DcmTag& tag, std::string_view value) {
    const std::string encoded = latin1_ ? utf8ToLatin1(value) : std::string(value);
    check(item_.putAndInsertString(tag, encoded.c_str()), tag);
  }
  void putU16(const DcmTagKey& tag, Uint16 value) {
    check(item_.putAndInsertUint16(tag, value), DcmTag(tag));
  }
  AttributeSink newItem(const DcmTagKey& sequence) {
    DcmItem* child = nullptr;
    check(item_.findOrCreateSequenceItem(sequence, child, -2), DcmTag(sequence));
    return AttributeSink(*child, latin1_, path_);
  }
  void check(const OFCondition& cond, const DcmTag& tag) const {
    if (cond.bad()) {
      throw std::runtime_error("cannot set " + std::string(tag.toString().c_str()) + " in " +
                               path_.string() + ": " + cond.text());
    }
  }
  DcmItem& item() { return item_; }

 private:
  DcmItem& item_;
  bool latin1_;
  const std::filesystem::path& path_;
};

std::string decimal(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return buf;
}

void putCode(AttributeSink sink, const char* value, const char* meaning) {
  sink.put(DCM_CodeValue, value);
  sink.put(DCM_CodingSchemeDesignator, "SCT");
  sink.put(DCM_CodeMeaning, meaning);
}

void putPatientAndStudy(AttributeSink& ds, const SynthPlan& plan, const PlannedStudy& study,
                        const PlannedImage& image) {
  const Cim& cim = plan.cims[study.cim];
  const Woman& woman = plan.women[study.woman];
  ds.put(DCM_SpecificCharacterSet, cim.vendor == Vendor::kAcme ? "ISO_IR 192" : "ISO_IR 100");
  ds.put(DCM_SOPClassUID, image.sop_class_uid);
  ds.put(DCM_SOPInstanceUID, image.sop_uid);
  ds.put(DCM_StudyDate, study.study_date);
  ds.put(DCM_SeriesDate, study.study_date);
  ds.put(DCM_AcquisitionDate, study.study_date);
  ds.put(DCM_ContentDate, study.study_date);
  ds.put(DCM_StudyTime, study.study_time);
  ds.put(DCM_SeriesTime, image.content_time);
  ds.put(DCM_AcquisitionTime, image.content_time);
  ds.put(DCM_ContentTime, image.content_time);
  ds.put(DCM_AccessionNumber, study.accession);
  ds.put(DCM_InstitutionName, cim.name);
  ds.put(DCM_ReferringPhysicianName, study.referring_physician);
  ds.put(DCM_StationName, cim.station);
  ds.put(DCM_StudyDescription, "MAMMOGRAPHIE DE DEPISTAGE");
  ds.put(DCM_SeriesDescription, image.series_description);

  ds.put(DCM_PatientName, study.patient_name);
  ds.put(DCM_PatientID, study.patient_id);
  ds.put(DCM_IssuerOfPatientID, cim.id);
  ds.put(DCM_PatientBirthDate, study.patient_birth_date);
  ds.put(DCM_PatientSex, woman.sex);
  // The INS travels as a second identifier, qualified by its national OID.
  AttributeSink other = ds.newItem(DCM_OtherPatientIDsSequence);
  other.put(DCM_PatientID, woman.ins);
  other.put(DCM_IssuerOfPatientID, "INS-NIR");
  other.put(DCM_TypeOfPatientID, "TEXT");
  AttributeSink qualifiers = other.newItem(DCM_IssuerOfPatientIDQualifiersSequence);
  qualifiers.put(DCM_UniversalEntityID, "1.2.250.1.213.1.4.8");
  qualifiers.put(DCM_UniversalEntityIDType, "ISO");

  ds.put(DCM_StudyInstanceUID, study.study_uid);
  ds.put(DCM_SeriesInstanceUID, image.series_uid);
  ds.put(DCM_StudyID, study.study_id);
  ds.put(DCM_SeriesNumber, std::to_string(image.series_number));
  ds.put(DCM_InstanceNumber, std::to_string(image.instance_number));
  ds.put(DCM_BodyPartExamined, "BREAST");
}

void putMammography(AttributeSink& ds, const SynthPlan& plan, const PlannedStudy& study,
                    const PlannedImage& image) {
  const Cim& cim = plan.cims[study.cim];
  const bool acme = cim.vendor == Vendor::kAcme;
  const bool cc = image.view == ViewKind::kCC;
  ds.put(DCM_ImageType, image.for_processing ? "ORIGINAL\\PRIMARY" : "DERIVED\\PRIMARY");
  ds.put(DCM_Modality, "MG");
  ds.put(DCM_PresentationIntentType, image.for_processing ? "FOR PROCESSING" : "FOR PRESENTATION");
  ds.put(DCM_Manufacturer, cim.manufacturer);
  ds.put(DCM_ManufacturerModelName, cim.model);
  ds.put(DCM_KVP, std::to_string(image.kvp));
  ds.put(DCM_BodyPartThickness, std::to_string(image.thickness_mm));
  ds.put(DCM_CompressionForce, std::to_string(image.compression_n));
  ds.put(DCM_PositionerType, "MAMMOGRAPHIC");
  ds.put(DCM_ViewPosition, cc ? "CC" : "MLO");
  const char* orientation =
      image.laterality == 'R' ? (cc ? "P\\L" : "P\\FL") : (cc ? "A\\R" : "A\\FR");
  ds.put(DCM_PatientOrientation, orientation);
  const std::string coded(1, image.coded_laterality);

  if (acme) {
    ds.put(DCM_ImageLaterality, coded);
    AttributeSink region = ds.newItem(DCM_AnatomicRegionSequence);
    putCode(region, "76752008", "Breast");
    AttributeSink view = ds.newItem(DCM_ViewCodeSequence);
    putCode(view, cc ? "399162004" : "399368009", cc ? "cranio-caudal" : "medio-lateral oblique");
    if (image.modifier == ViewModifier::kSpot) {
      putCode(view.newItem(DCM_ViewModifierCodeSequence), "399055006", "Spot Compression");
    } else if (image.modifier == ViewModifier::kMag) {
      putCode(view.newItem(DCM_ViewModifierCodeSequence), "399163009", "Magnification");
    }
  } else {
    ds.put(DCM_Laterality, coded);
    // The private label follows the (true) view: a laterality fault contradicts it.
    ds.put(DcmTag(kPrivateGroup, 0x0010, EVR_LO), kPrivateCreator);
    ds.put(DcmTag(kPrivateGroup, 0x1010, EVR_LO), image.series_description);
    const char* modifier = image.modifier == ViewModifier::kSpot  ? "SPOT"
                           : image.modifier == ViewModifier::kMag ? "MAG"
                                                                  : "";
    ds.put(DcmTag(kPrivateGroup, 0x1011, EVR_LO), modifier);
  }

  const PixelGeometry& g = image.geometry;
  const double max_value = static_cast<double>((1 << g.bits_stored) - 1);
  ds.put(DCM_ImagerPixelSpacing, decimal(g.pixel_spacing_mm) + "\\" + decimal(g.pixel_spacing_mm));
  ds.put(DCM_PixelSpacing, decimal(g.pixel_spacing_mm) + "\\" + decimal(g.pixel_spacing_mm));
  ds.putU16(DCM_SamplesPerPixel, 1);
  ds.put(DCM_PhotometricInterpretation, "MONOCHROME2");
  ds.putU16(DCM_Rows, static_cast<Uint16>(g.rows));
  ds.putU16(DCM_Columns, static_cast<Uint16>(g.cols));
  ds.putU16(DCM_BitsAllocated, 16);
  ds.putU16(DCM_BitsStored, static_cast<Uint16>(g.bits_stored));
  ds.putU16(DCM_HighBit, static_cast<Uint16>(g.bits_stored - 1));
  ds.putU16(DCM_PixelRepresentation, 0);
  ds.put(DCM_PixelIntensityRelationship, "LOG");
  ds.item().putAndInsertSint16(DCM_PixelIntensityRelationshipSign, 1);
  ds.put(DCM_RescaleIntercept, "0");
  ds.put(DCM_RescaleSlope, "1");
  ds.put(DCM_RescaleType, "US");
  if (image.for_processing) {
    ds.put(DCM_WindowCenter, decimal(std::floor(0.36 * max_value)));
    ds.put(DCM_WindowWidth, decimal(std::floor(0.30 * max_value)));
    ds.put(DCM_WindowCenterWidthExplanation, "RAW");
  } else if (acme) {
    // ACME ships two presets; BOREALIS one.
    ds.put(DCM_WindowCenter,
           decimal(std::floor(0.45 * max_value)) + "\\" + decimal(std::floor(0.52 * max_value)));
    ds.put(DCM_WindowWidth,
           decimal(std::floor(0.62 * max_value)) + "\\" + decimal(std::floor(0.40 * max_value)));
    ds.put(DCM_WindowCenterWidthExplanation, "NORMAL\\HARDER");
  } else {
    ds.put(DCM_WindowCenter, decimal(std::floor(0.45 * max_value)));
    ds.put(DCM_WindowWidth, decimal(std::floor(0.62 * max_value)));
    ds.put(DCM_WindowCenterWidthExplanation, "STANDARD");
  }
  ds.put(DCM_VOILUTFunction, "LINEAR");
  ds.put(DCM_PresentationLUTShape, "IDENTITY");
  ds.put(DCM_LossyImageCompression, "00");
  ds.put(DCM_BurnedInAnnotation, "NO");
  ds.put(DCM_BreastImplantPresent, "NO");
}

void putUltrasound(AttributeSink& ds, const SynthPlan& plan, const PlannedStudy& study,
                   const PlannedImage& image) {
  const Cim& cim = plan.cims[study.cim];
  ds.put(DCM_ImageType, "ORIGINAL\\PRIMARY\\\\0001");
  ds.put(DCM_Modality, "US");
  ds.put(DCM_Manufacturer, cim.us_manufacturer);
  ds.put(DCM_ManufacturerModelName, cim.us_model);
  if (image.coded_laterality == 'R' || image.coded_laterality == 'L') {
    ds.put(DCM_Laterality, std::string(1, image.coded_laterality));
  }
  const PixelGeometry& g = image.geometry;
  ds.putU16(DCM_SamplesPerPixel, 1);
  ds.put(DCM_PhotometricInterpretation, "MONOCHROME2");
  ds.putU16(DCM_Rows, static_cast<Uint16>(g.rows));
  ds.putU16(DCM_Columns, static_cast<Uint16>(g.cols));
  ds.putU16(DCM_BitsAllocated, 8);
  ds.putU16(DCM_BitsStored, 8);
  ds.putU16(DCM_HighBit, 7);
  ds.putU16(DCM_PixelRepresentation, 0);
  ds.put(DCM_LossyImageCompression, "00");
  ds.put(DCM_BurnedInAnnotation, "NO");
}

}  // namespace

std::string utf8ToLatin1(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if ((c & 0xE0) == 0xC0 && i + 1 < utf8.size()) {
      const unsigned code = ((c & 0x1Fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3Fu);
      out.push_back(code <= 0xFF ? static_cast<char>(code) : '?');
    } else {
      out.push_back('?');
    }
    i += len;
  }
  return out;
}

uint64_t writeSynthImage(const SynthPlan& plan, const PlannedStudy& study,
                         const PlannedImage& image, const Mammo16Filler& fill_mammo,
                         const Ultrasound8Filler& fill_us, const std::filesystem::path& path) {
  DcmFileFormat file;
  DcmDataset& dataset = *file.getDataset();
  const bool latin1 = plan.cims[study.cim].vendor == Vendor::kBorealis;
  AttributeSink ds(dataset, latin1, path);
  putPatientAndStudy(ds, plan, study, image);

  const PixelGeometry& g = image.geometry;
  const auto count = static_cast<Uint32>(static_cast<size_t>(g.rows) * g.cols);
  auto pixels = std::make_unique<DcmPixelData>(DCM_PixelData);
  if (image.modality == Modality::kMammography) {
    putMammography(ds, plan, study, image);
    if (!fill_mammo) throw std::runtime_error("no pixel filler for " + path.string());
    pixels->setVR(EVR_OW);
    Uint16* words = nullptr;
    ds.check(pixels->createUint16Array(count, words), DcmTag(DCM_PixelData));
    fill_mammo(std::span<uint16_t>(words, count));
  } else {
    putUltrasound(ds, plan, study, image);
    if (!fill_us) throw std::runtime_error("no pixel filler for " + path.string());
    pixels->setVR(EVR_OB);
    Uint8* bytes = nullptr;
    ds.check(pixels->createUint8Array(count, bytes), DcmTag(DCM_PixelData));
    fill_us(std::span<uint8_t>(bytes, count));
  }
  ds.check(dataset.insert(pixels.release(), true), DcmTag(DCM_PixelData));

  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const OFCondition saved = file.saveFile(tmp.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength,
                                          EGL_recalcGL, EPD_noChange, 0, 0, EWM_fileformat);
  if (saved.bad()) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw std::runtime_error("cannot write " + path.string() + ": " + saved.text());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw std::runtime_error("cannot rename " + tmp.string() + " to " + path.string());
  }
  return std::filesystem::file_size(path);
}

}  // namespace dualread::synth
