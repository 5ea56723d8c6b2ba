#pragma once
// DirectOutputStream: a DCMTK output stream that hands what it is given to a DirectFileWriter
// (direct I/O + SHA-256 on the writer's own thread), so that DIMSE_receiveDataSetInFile writes
// a received image to its staging file without a copy into the page cache. The writer belongs
// to the caller and must outlive the stream; one thread (the receiving association's) uses both.

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcostrma.h>

#include "storage/direct_file_writer.h"

namespace dualread {

// The consumer end (kept apart so it is built before the stream that points to it).
class DirectFileConsumer : public DcmConsumer {
 public:
  explicit DirectFileConsumer(DirectFileWriter& writer) : writer_(writer) {}
  OFBool good() const override;
  OFCondition status() const override;
  OFBool isFlushed() const override { return OFTrue; }  // nothing is held back here
  offile_off_t avail() const override;
  offile_off_t write(const void* buf, offile_off_t buflen) override;
  void flush() override {}

 private:
  DirectFileWriter& writer_;
};

class DirectOutputStream : private DirectFileConsumer, public DcmOutputStream {
 public:
  explicit DirectOutputStream(DirectFileWriter& writer)
      : DirectFileConsumer(writer), DcmOutputStream(static_cast<DirectFileConsumer*>(this)) {}
  ~DirectOutputStream() override { DcmOutputStream::flush(); }
  DirectOutputStream(const DirectOutputStream&) = delete;
  DirectOutputStream& operator=(const DirectOutputStream&) = delete;
};

}  // namespace dualread
