// The DCMTK adapters behind WADO-RS: FrameReader (frames and bulk data of native, big-endian,
// deflated, multi-frame and RLE-encapsulated files) and dicomJsonOfFile (PS3.18 F.2 shapes).

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvrat.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dicom/dicom_json.h"
#include "dicom/frame_reader.h"
#include "hub_fixture.h"

namespace dualread::testing {
namespace {

namespace fs = std::filesystem;

class HttpFrameReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = makeTempDir("dualread-frames"); }
  void TearDown() override { fs::remove_all(dir_); }

  // An 8-bit MONOCHROME2 image of `frames` frames of 16x12, frame f filled with f*10 + x.
  static void fill(DcmDataset* ds, int frames) {
    ds->putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
    ds->putAndInsertString(DCM_SOPInstanceUID, "1.2.3.4.5.6");
    ds->putAndInsertString(DCM_StudyInstanceUID, "1.2.3.4");
    ds->putAndInsertString(DCM_SeriesInstanceUID, "1.2.3.4.5");
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
    ds->putAndInsertUint16(DCM_Rows, 12);
    ds->putAndInsertUint16(DCM_Columns, 16);
    ds->putAndInsertUint16(DCM_BitsAllocated, 8);
    ds->putAndInsertUint16(DCM_BitsStored, 8);
    ds->putAndInsertUint16(DCM_HighBit, 7);
    ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
    ds->putAndInsertString(DCM_NumberOfFrames, std::to_string(frames).c_str());
    std::vector<Uint8> px(static_cast<size_t>(frames) * 12 * 16);
    for (size_t i = 0; i < px.size(); ++i)
      px[i] = static_cast<Uint8>((i / (12 * 16)) * 10 + (i % 16));
    ds->putAndInsertUint8Array(DCM_PixelData, px.data(), static_cast<unsigned long>(px.size()));
  }
  static std::string expectedFrame(int f) {  // 1-based
    std::string out;
    for (int i = 0; i < 12 * 16; ++i) out += static_cast<char>((f - 1) * 10 + (i % 16));
    return out;
  }
  static std::string readAll(FrameReader& r, uint32_t n) {
    std::string out;
    r.readFrame(n, [&](const char* d, size_t k) { out.append(d, k); });
    return out;
  }

  fs::path dir_;
};

TEST_F(HttpFrameReaderTest, NativeMultiFrameGivesEachFrame) {
  DcmFileFormat ff;
  fill(ff.getDataset(), 3);
  const auto path = dir_ / "native.dcm";
  ASSERT_TRUE(ff.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());
  FrameReader r(path);
  EXPECT_EQ(r.frameCount(), 3u);
  EXPECT_FALSE(r.encapsulated());
  EXPECT_EQ(r.frameMediaType(), "application/octet-stream");
  EXPECT_EQ(r.frameTransferSyntax(), UID_LittleEndianExplicitTransferSyntax);
  for (uint32_t f = 1; f <= 3; ++f) {
    EXPECT_EQ(r.frameSize(f), 192u);
    EXPECT_EQ(readAll(r, f), expectedFrame(static_cast<int>(f)));
  }
  EXPECT_THROW(r.frameSize(4), FrameError);
  EXPECT_THROW(readAll(r, 0), FrameError);
  EXPECT_EQ(r.attributeSize(0x7FE00010u), 576u);
  EXPECT_THROW(r.attributeSize(0x00100010u), FrameError);
}

TEST_F(HttpFrameReaderTest, BigEndianAndDeflatedAreReturnedLittleEndian) {
  DcmFileFormat ff;
  DcmDataset* ds = ff.getDataset();
  fill(ds, 1);
  ds->putAndInsertUint16(DCM_BitsAllocated, 16);
  ds->putAndInsertUint16(DCM_BitsStored, 12);
  ds->putAndInsertUint16(DCM_HighBit, 11);
  std::vector<Uint16> px(12 * 16);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<Uint16>(0x0100 * (i % 16) + i);
  ds->putAndInsertUint16Array(DCM_PixelData, px.data(), static_cast<unsigned long>(px.size()));
  std::string little;
  for (Uint16 v : px) {
    little += static_cast<char>(v & 0xFF);
    little += static_cast<char>(v >> 8);
  }
  for (E_TransferSyntax xfer :
       {EXS_BigEndianExplicit, EXS_DeflatedLittleEndianExplicit, EXS_LittleEndianImplicit}) {
    SCOPED_TRACE(DcmXfer(xfer).getXferName());
    const auto path = dir_ / "image.dcm";
    ASSERT_TRUE(ff.saveFile(path.c_str(), xfer).good());
    FrameReader r(path);
    ASSERT_EQ(r.frameCount(), 1u);
    EXPECT_EQ(r.transferSyntax(), DcmXfer(xfer).getXferID());
    EXPECT_EQ(r.frameTransferSyntax(), UID_LittleEndianExplicitTransferSyntax);
    EXPECT_EQ(readAll(r, 1), little);
    std::string bulk;
    r.readAttribute(0x7FE00010u, [&](const char* d, size_t n) { bulk.append(d, n); });
    EXPECT_EQ(bulk, little);
    nlohmann::json j = dicomJsonOfFile(path, {"http://h/b", 1024, 65536});
    EXPECT_EQ(j["00280010"]["Value"][0], 12);
    EXPECT_EQ(j["7FE00010"]["BulkDataURI"], "http://h/b/7FE00010");
  }
}

TEST_F(HttpFrameReaderTest, RleFramesAreTheirFragments) {
  DcmRLEEncoderRegistration::registerCodecs();
  DcmFileFormat ff;
  fill(ff.getDataset(), 3);
  ASSERT_TRUE(ff.getDataset()->chooseRepresentation(EXS_RLELossless, nullptr).good());
  const auto path = dir_ / "rle.dcm";
  ASSERT_TRUE(ff.saveFile(path.c_str(), EXS_RLELossless).good());
  FrameReader r(path);
  ASSERT_EQ(r.frameCount(), 3u);
  EXPECT_TRUE(r.encapsulated());
  EXPECT_EQ(r.frameMediaType(), "image/dicom-rle");
  EXPECT_EQ(r.frameTransferSyntax(), UID_RLELosslessTransferSyntax);
  for (uint32_t f = 1; f <= 3; ++f) {
    const std::string frame = readAll(r, f);
    EXPECT_EQ(frame.size(), r.frameSize(f));
    // An RLE frame starts with its 64-byte header: one segment for 8-bit grey, at offset 64.
    ASSERT_GE(frame.size(), 64u);
    EXPECT_EQ(frame.substr(0, 8), std::string("\x01\0\0\0\x40\0\0\0", 8));
  }
  EXPECT_THROW(r.attributeSize(0x7FE00010u), FrameError);
  nlohmann::json j = dicomJsonOfFile(path, {"http://h/b", 1024, 65536});
  EXPECT_EQ(j["7FE00010"]["vr"], "OB");
  EXPECT_EQ(j["7FE00010"]["BulkDataURI"], "http://h/b/7FE00010");
  EXPECT_EQ(frameMediaTypeOf("1.2.840.10008.1.2.4.80"), "image/jls");
  EXPECT_EQ(frameMediaTypeOf("1.2.840.10008.1.2.4.90"), "image/jp2");
  EXPECT_EQ(frameMediaTypeOf("1.2.840.10008.1.2.4.50"), "image/jpeg");
  EXPECT_EQ(frameMediaTypeOf("1.2.840.10008.1.2.1"), "application/octet-stream");
}

TEST_F(HttpFrameReaderTest, DicomJsonShapes) {
  DcmFileFormat ff;
  DcmDataset* ds = ff.getDataset();
  fill(ds, 1);
  ds->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
  ds->putAndInsertString(DCM_PatientName, "M\xfcller^Ren\xe9=Yamada^Tarou=");  // Latin-1
  ds->putAndInsertString(DCM_PixelSpacing, "0.085\\0.085");
  ds->putAndInsertString(DCM_InstanceNumber, "007");
  ds->putAndInsertString(DCM_ImageType, "ORIGINAL\\\\PRIMARY");
  ds->putAndInsertString(DCM_StudyDescription, "");
  ds->putAndInsertFloat64(DCM_RealWorldValueSlope, 2.5);
  DcmAttributeTag* at = new DcmAttributeTag(DCM_FrameIncrementPointer);
  at->putTagVal(DCM_FrameTime);
  ds->insert(at);
  const Uint8 small[3] = {1, 2, 3};
  ds->putAndInsertString(DcmTag(0x0009, 0x0010, EVR_LO), "ACME 1.0");
  ds->putAndInsertUint8Array(DcmTag(0x0009, 0x1001, EVR_OB), small, 3);
  DcmItem* item = nullptr;
  ds->findOrCreateSequenceItem(DCM_ViewCodeSequence, item, -2);
  item->putAndInsertString(DCM_CodeValue, "399162004");
  item->putAndInsertString(DCM_CodeMeaning, "cranio-caudal");
  const auto path = dir_ / "shapes.dcm";
  ASSERT_TRUE(ff.saveFile(path.c_str(), EXS_LittleEndianExplicit).good());

  nlohmann::json j = dicomJsonOfFile(path, {"http://h/b", 1024, 65536});
  EXPECT_EQ(j["00080005"]["Value"][0], "ISO_IR 192");  // converted to UTF-8
  EXPECT_EQ(j["00100010"]["vr"], "PN");
  EXPECT_EQ(j["00100010"]["Value"][0]["Alphabetic"], "M\xc3\xbcller^Ren\xc3\xa9");
  EXPECT_EQ(j["00100010"]["Value"][0]["Ideographic"], "Yamada^Tarou");
  EXPECT_FALSE(j["00100010"]["Value"][0].contains("Phonetic"));
  EXPECT_EQ(j["00280030"]["vr"], "DS");
  EXPECT_DOUBLE_EQ(j["00280030"]["Value"][1].get<double>(), 0.085);
  EXPECT_EQ(j["00200013"]["Value"][0], 7);
  EXPECT_EQ(j["00080008"]["Value"], nlohmann::json::parse(R"(["ORIGINAL", null, "PRIMARY"])"));
  EXPECT_EQ(j["00081030"], nlohmann::json::parse(R"({"vr": "LO"})"));
  EXPECT_EQ(j["00409225"]["vr"], "FD");
  EXPECT_EQ(j["00409225"]["Value"][0], 2.5);
  EXPECT_EQ(j["00280009"]["Value"][0], "00181063");
  EXPECT_EQ(j["00091001"]["InlineBinary"], "AQIDAA==");  // padded to even length on write
  EXPECT_EQ(j["00540220"]["vr"], "SQ");
  EXPECT_EQ(j["00540220"]["Value"][0]["00080100"]["Value"][0], "399162004");
  EXPECT_EQ(j["00280010"]["Value"][0], 12);
  EXPECT_FALSE(j.contains("00020010"));
  EXPECT_NO_THROW(j.dump());  // valid UTF-8 throughout

  std::ofstream(dir_ / "junk.dcm") << "not dicom";
  EXPECT_THROW(dicomJsonOfFile(dir_ / "junk.dcm", {}), DicomJsonError);
  EXPECT_THROW(FrameReader{dir_ / "junk.dcm"}, FrameError);
}

}  // namespace
}  // namespace dualread::testing
