#include "dicom/jpegls_transcoder.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/dcmjpls/djrparam.h>

#include <mutex>

#include "dicom/dimse_sender.h"
#include "storage/sha256.h"

namespace dualread {
namespace {

void registerCodecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerDicomDecoders();
    DJLSEncoderRegistration::registerCodecs();
  });
}

void load(DcmFileFormat& ff, const std::filesystem::path& file) {
  OFCondition c = ff.loadFile(OFFilename(file.c_str()));
  if (c.bad()) throw TranscodeError("cannot read " + file.filename().string() + ": " + c.text());
}

// Hash of the native pixel data held by `ds`, decompressing it in place if needed.
std::string nativePixelHash(DcmDataset& ds) {
  DcmElement* pixel = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, pixel).bad() || !pixel) return {};
  const E_TransferSyntax original = ds.getOriginalXfer();
  if (DcmXfer(original).isEncapsulated()) {
    OFCondition c = ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
    if (c.bad() || !ds.canWriteXfer(EXS_LittleEndianExplicit))
      throw TranscodeError(std::string("cannot decompress the pixel data (") +
                           DcmXfer(original).getXferName() + "): " + c.text());
    if (ds.findAndGetElement(DCM_PixelData, pixel).bad() || !pixel)
      throw TranscodeError("pixel data lost while decompressing");
  }
  Uint8* bytes = nullptr;
  if (pixel->getUint8Array(bytes).bad() || (!bytes && pixel->getLength() > 0))
    throw TranscodeError("cannot read the pixel data");
  Sha256 h;
  h.update(bytes, pixel->getLength());
  return h.hexDigest();
}

}  // namespace

std::string pixelSha256(const std::filesystem::path& file) {
  registerCodecs();
  DcmFileFormat ff;
  load(ff, file);
  return nativePixelHash(*ff.getDataset());
}

TranscodeOutcome transcodeJpegLsLossless(const std::filesystem::path& in,
                                         const std::filesystem::path& out) {
  registerCodecs();
  TranscodeOutcome r;
  DcmFileFormat ff;
  load(ff, in);
  DcmDataset& ds = *ff.getDataset();
  const E_TransferSyntax original = ds.getOriginalXfer();
  r.pixel_sha256 = nativePixelHash(ds);
  if (r.pixel_sha256.empty()) {
    r.reason = "no pixel data";
    return r;
  }
  if (DcmXfer(original).isEncapsulated()) {
    r.reason = std::string("already compressed (") + DcmXfer(original).getXferName() + ")";
    return r;
  }
  Uint16 bits_allocated = 0;
  ds.findAndGetUint16(DCM_BitsAllocated, bits_allocated);
  if (bits_allocated != 8 && bits_allocated != 16) {
    r.reason = "bits allocated " + std::to_string(bits_allocated) + " not supported by JPEG-LS";
    return r;
  }
  // Lossless: NEAR = 0 (the default of DJLSRepresentationParameter).
  DJLSRepresentationParameter lossless(0, OFTrue);
  OFCondition c = ds.chooseRepresentation(EXS_JPEGLSLossless, &lossless);
  if (c.bad() || !ds.canWriteXfer(EXS_JPEGLSLossless)) {
    r.reason = std::string("the JPEG-LS encoder refused it: ") + c.text();
    return r;
  }
  c = ff.saveFile(OFFilename(out.c_str()), EXS_JPEGLSLossless);
  if (c.bad()) throw TranscodeError("cannot write the compressed copy: " + std::string(c.text()));
  // The copy must give back exactly the original pixels.
  const std::string check = pixelSha256(out);
  if (check != r.pixel_sha256) {
    std::error_code ec;
    std::filesystem::remove(out, ec);
    throw TranscodeError("the JPEG-LS copy does not decompress to the original pixels");
  }
  r.transcoded = true;
  return r;
}

}  // namespace dualread
