// libFuzzer target for the ingest parsing path: arbitrary bytes as a received Part-10 file go
// through readInstanceSummary() and classifyView(). Any crash, hang or sanitizer report is a
// bug; a DicomRejected exception is the expected answer to garbage.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "dicom/instance_reader.h"
#include "domain/view_classifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/dev/shm/dualread-fuzz-" + std::to_string(::getpid()) + ".dcm";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    auto s = dualread::readInstanceSummary(path, dualread::defaultAcceptedSopClasses());
    (void)dualread::classifyView(s);
  } catch (const dualread::DicomRejected&) {
  }
  return 0;
}
