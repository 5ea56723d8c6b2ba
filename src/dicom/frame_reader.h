#pragma once
// FrameReader: the frames and bulk data of one stored DICOM file, for WADO-RS frames and
// bulkdata. Native (uncompressed) pixel data gives each frame's raw bytes in little-endian
// order (Explicit VR Little Endian, application/octet-stream); encapsulated pixel data gives
// each frame's compressed bitstream (its fragments, concatenated) with the media type of the
// stored transfer syntax (image/jls, image/jp2, image/jpeg, image/dicom-rle...). Bytes are
// streamed to a sink in chunks of at most 1 MiB read from disk: a frame is never held whole.
// One reader per request; not thread-safe.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace dualread {

class FrameError : public std::runtime_error {
 public:
  enum class Kind {
    kUnreadable,       // not a readable DICOM file
    kNoPixelData,      // the object has no pixel data (SR, PDF...)
    kNoSuchFrame,      // frame number out of range
    kNoSuchAttribute,  // no such top-level binary attribute
    kUnsupported,      // layout the reader cannot split (e.g. fragments without offsets)
  };
  FrameError(Kind kind, const std::string& sentence) : std::runtime_error(sentence), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Media type of frames (and of encapsulated bulk data) stored in `transfer_syntax_uid`:
// "application/octet-stream" for native syntaxes.
std::string frameMediaTypeOf(const std::string& transfer_syntax_uid);

class FrameReader {
 public:
  using Sink = std::function<void(const char* data, size_t n)>;

  // Opens `file`, reading everything but large values. Throws FrameError(kUnreadable).
  explicit FrameReader(const std::filesystem::path& file);
  ~FrameReader();
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // Number of frames (1 for a single-frame image, 0 without pixel data).
  uint32_t frameCount() const;
  bool encapsulated() const;
  // Transfer syntax UID as stored.
  const std::string& transferSyntax() const;
  // Media type and transfer syntax UID of the frames as readFrame() gives them.
  std::string frameMediaType() const;
  std::string frameTransferSyntax() const;

  // Size in bytes of frame `n` (1-based) as readFrame() writes it. Throws FrameError.
  uint64_t frameSize(uint32_t n);
  // Streams frame `n` (1-based). Throws FrameError; exceptions from the sink propagate.
  void readFrame(uint32_t n, const Sink& sink);

  // A top-level attribute with a binary or numeric value, as bulk data (little endian): size
  // and bytes. `tag` is (group << 16 | element). Encapsulated Pixel Data is not available
  // here (use the frames). Throws FrameError(kNoSuchAttribute) when absent or not bulk-like.
  uint64_t attributeSize(uint32_t tag);
  void readAttribute(uint32_t tag, const Sink& sink);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dualread
