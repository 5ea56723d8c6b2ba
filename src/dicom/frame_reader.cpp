#include "dicom/frame_reader.h"

#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace dualread {
namespace {

constexpr uint32_t kChunk = 1 << 20;

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string frameLabel(uint32_t n, uint32_t count) {
  return "frame " + std::to_string(n) + " (the object has " + std::to_string(count) +
         (count == 1 ? " frame)" : " frames)");
}

// Streams [offset, offset + size) of an element's value, converted to little endian.
void streamValue(DcmElement* e, uint64_t offset, uint64_t size, DcmFileCache& cache,
                 const FrameReader::Sink& sink) {
  std::vector<char> buf(static_cast<size_t>(std::min<uint64_t>(size, kChunk)));
  uint64_t done = 0;
  while (done < size) {
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(size - done, kChunk));
    OFCondition c = e->getPartialValue(buf.data(), static_cast<Uint32>(offset + done), n, &cache,
                                       EBO_LittleEndian);
    if (c.bad())
      throw FrameError(
          FrameError::Kind::kUnreadable,
          std::string("the stored object's pixel data cannot be read (") + c.text() + ")");
    sink(buf.data(), n);
    done += n;
  }
}

}  // namespace

std::string frameMediaTypeOf(const std::string& ts) {
  if (ts == UID_JPEGProcess1TransferSyntax || ts == UID_JPEGProcess2_4TransferSyntax ||
      ts == UID_JPEGProcess14TransferSyntax || ts == UID_JPEGProcess14SV1TransferSyntax)
    return "image/jpeg";
  if (ts == UID_JPEGLSLosslessTransferSyntax || ts == UID_JPEGLSLossyTransferSyntax)
    return "image/jls";
  if (ts == UID_JPEG2000LosslessOnlyTransferSyntax || ts == UID_JPEG2000TransferSyntax)
    return "image/jp2";
  if (ts == UID_JPEG2000Part2MulticomponentImageCompressionLosslessOnlyTransferSyntax ||
      ts == UID_JPEG2000Part2MulticomponentImageCompressionTransferSyntax)
    return "image/jpx";
  if (ts == UID_RLELosslessTransferSyntax) return "image/dicom-rle";
  if (startsWith(ts, "1.2.840.10008.1.2.4.20")) return "image/jphc";  // HTJ2K .201-.203
  if (ts == "1.2.840.10008.1.2.4.100" || ts == "1.2.840.10008.1.2.4.101") return "video/mpeg";
  if (startsWith(ts, "1.2.840.10008.1.2.4.10")) return "video/mp4";
  if (startsWith(ts, "1.2.840.10008.1.2.4.")) return "application/octet-stream";
  return "application/octet-stream";
}

struct FrameReader::Impl {
  DcmFileFormat ff;
  DcmDataset* ds = nullptr;
  std::string ts;
  bool encapsulated = false;
  DcmPixelData* pixels = nullptr;
  DcmPixelSequence* seq = nullptr;
  uint32_t frames = 0;
  uint64_t native_frame_size = 0;
  std::vector<std::pair<unsigned long, unsigned long>> fragments;  // [first, end) per frame
  DcmFileCache cache;

  void requirePixels() const {
    if (!pixels || frames == 0)
      throw FrameError(FrameError::Kind::kNoPixelData,
                       "this object has no pixel data, so it has no frames");
  }
  void requireFrame(uint32_t n) const {
    requirePixels();
    if (n < 1 || n > frames)
      throw FrameError(FrameError::Kind::kNoSuchFrame, "there is no " + frameLabel(n, frames));
  }

  Uint32 fragmentLength(unsigned long i) {
    DcmPixelItem* item = nullptr;
    if (seq->getItem(item, i).bad() || !item) return 0;
    return item->getLength();
  }

  // Which fragments make each frame: one frame = all fragments; one fragment per frame; else
  // the Basic (or Extended) Offset Table; else the frames' start markers.
  void mapFragments() {
    if (!fragments.empty()) return;
    const unsigned long items = seq->card();
    if (items < 2)
      throw FrameError(FrameError::Kind::kUnreadable,
                       "the encapsulated pixel data holds no fragment");
    const unsigned long count = items - 1;
    if (frames == 1) {
      fragments.push_back({1, items});
      return;
    }
    if (count == frames) {
      for (unsigned long i = 1; i < items; ++i) fragments.push_back({i, i + 1});
      return;
    }
    std::vector<uint64_t> offsets;
    DcmElement* eot = nullptr;
    if (ds->findAndGetElement(DCM_ExtendedOffsetTable, eot).good() && eot &&
        eot->getLength() == 8ull * frames) {
      offsets.resize(frames);
      if (eot->getPartialValue(offsets.data(), 0, 8 * frames, &cache, EBO_LittleEndian).bad())
        offsets.clear();
    }
    if (offsets.empty() && fragmentLength(0) == 4ull * frames) {
      std::vector<Uint32> bot(frames);
      DcmPixelItem* item = nullptr;
      if (seq->getItem(item, 0).good() && item &&
          item->getPartialValue(bot.data(), 0, 4 * frames, &cache, EBO_LittleEndian).good())
        offsets.assign(bot.begin(), bot.end());
    }
    std::vector<unsigned long> starts;
    if (!offsets.empty()) {
      uint64_t pos = 0;
      size_t next = 0;
      for (unsigned long i = 1; i < items && next < offsets.size(); ++i) {
        if (pos == offsets[next]) {
          starts.push_back(i);
          ++next;
        }
        pos += 8ull + fragmentLength(i);
      }
    } else {
      // No offsets: a frame starts where a fragment starts with a JPEG SOI or J2K SOC marker.
      for (unsigned long i = 1; i < items; ++i) {
        unsigned char head[2] = {0, 0};
        DcmPixelItem* item = nullptr;
        if (fragmentLength(i) >= 2 && seq->getItem(item, i).good() &&
            item->getPartialValue(head, 0, 2, &cache).good() && head[0] == 0xFF &&
            (head[1] == 0xD8 || head[1] == 0x4F))
          starts.push_back(i);
      }
    }
    if (starts.size() != frames || starts.front() != 1)
      throw FrameError(FrameError::Kind::kUnsupported,
                       "the frames of this object cannot be told apart: " + std::to_string(count) +
                           " fragments for " + std::to_string(frames) +
                           " frames and no usable offset table");
    for (size_t f = 0; f < starts.size(); ++f)
      fragments.push_back({starts[f], f + 1 < starts.size() ? starts[f + 1] : items});
  }
};

FrameReader::FrameReader(const std::filesystem::path& file) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  OFCondition c = m.ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
  if (c.bad())
    throw FrameError(FrameError::Kind::kUnreadable,
                     std::string("the stored object cannot be read as DICOM (") + c.text() + ")");
  m.ds = m.ff.getDataset();
  OFString ts;
  if (m.ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts).good() && !ts.empty())
    m.ts = ts.c_str();
  else
    m.ts = DcmXfer(m.ds->getOriginalXfer()).getXferID();
  const DcmXfer xfer(m.ds->getOriginalXfer());
  m.encapsulated = xfer.isEncapsulated() != OFFalse;

  DcmElement* e = nullptr;
  if (m.ds->findAndGetElement(DCM_PixelData, e).good() && e)
    m.pixels = dynamic_cast<DcmPixelData*>(e);
  if (!m.pixels) return;
  long frames = 1;
  OFString nf;
  if (m.ds->findAndGetOFString(DCM_NumberOfFrames, nf).good() && !nf.empty())
    frames = std::strtol(nf.c_str(), nullptr, 10);
  if (frames < 1) frames = 1;
  m.frames = static_cast<uint32_t>(frames);
  if (m.encapsulated) {
    E_TransferSyntax rep = EXS_Unknown;
    const DcmRepresentationParameter* param = nullptr;
    m.pixels->getOriginalRepresentationKey(rep, param);
    if (m.pixels->getEncapsulatedRepresentation(rep, param, m.seq).bad() || !m.seq) {
      m.frames = 0;
      m.pixels = nullptr;
    }
  } else {
    Uint32 size = 0;
    if (m.pixels->getUncompressedFrameSize(m.ds, size).bad() || size == 0) {
      // Without a usable geometry the whole value is one frame.
      size = m.pixels->getLength();
      m.frames = 1;
    }
    m.native_frame_size = size;
    const uint64_t available = m.pixels->getLength() / size;
    if (available < m.frames) m.frames = static_cast<uint32_t>(available);
  }
}

FrameReader::~FrameReader() = default;

uint32_t FrameReader::frameCount() const { return impl_->pixels ? impl_->frames : 0; }
bool FrameReader::encapsulated() const { return impl_->encapsulated; }
const std::string& FrameReader::transferSyntax() const { return impl_->ts; }

std::string FrameReader::frameMediaType() const {
  return impl_->encapsulated ? frameMediaTypeOf(impl_->ts) : "application/octet-stream";
}

std::string FrameReader::frameTransferSyntax() const {
  return impl_->encapsulated ? impl_->ts : UID_LittleEndianExplicitTransferSyntax;
}

uint64_t FrameReader::frameSize(uint32_t n) {
  impl_->requireFrame(n);
  if (!impl_->encapsulated) return impl_->native_frame_size;
  impl_->mapFragments();
  const auto [first, end] = impl_->fragments[n - 1];
  uint64_t size = 0;
  for (unsigned long i = first; i < end; ++i) size += impl_->fragmentLength(i);
  return size;
}

void FrameReader::readFrame(uint32_t n, const Sink& sink) {
  auto& m = *impl_;
  m.requireFrame(n);
  if (!m.encapsulated) {
    streamValue(m.pixels, static_cast<uint64_t>(n - 1) * m.native_frame_size, m.native_frame_size,
                m.cache, sink);
    return;
  }
  m.mapFragments();
  const auto [first, end] = m.fragments[n - 1];
  for (unsigned long i = first; i < end; ++i) {
    DcmPixelItem* item = nullptr;
    if (m.seq->getItem(item, i).bad() || !item) break;
    streamValue(item, 0, item->getLength(), m.cache, sink);
  }
}

namespace {

DcmElement* bulkElement(DcmDataset* ds, uint32_t tag, bool encapsulated) {
  const DcmTagKey key(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xFFFF));
  DcmElement* e = nullptr;
  if (ds->findAndGetElement(key, e, OFFalse).bad() || !e)
    throw FrameError(FrameError::Kind::kNoSuchAttribute,
                     "this object has no attribute " + std::string(key.toString().c_str()));
  if (key == DCM_PixelData && encapsulated)
    throw FrameError(FrameError::Kind::kUnsupported,
                     "compressed pixel data is available as frames, not as one bulk value");
  switch (DcmVR(e->getVR()).getValidEVR()) {
    case EVR_OB:
    case EVR_OD:
    case EVR_OF:
    case EVR_OL:
    case EVR_OV:
    case EVR_OW:
    case EVR_UN:
      return e;
    default:
      throw FrameError(FrameError::Kind::kNoSuchAttribute,
                       "attribute " + std::string(key.toString().c_str()) +
                           " is not bulk data (its value is in the metadata)");
  }
}

}  // namespace

uint64_t FrameReader::attributeSize(uint32_t tag) {
  return bulkElement(impl_->ds, tag, impl_->encapsulated)->getLength();
}

void FrameReader::readAttribute(uint32_t tag, const Sink& sink) {
  DcmElement* e = bulkElement(impl_->ds, tag, impl_->encapsulated);
  streamValue(e, 0, e->getLength(), impl_->cache, sink);
}

}  // namespace dualread
