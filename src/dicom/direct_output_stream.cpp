#include "dicom/direct_output_stream.h"

#include <dcmtk/dcmdata/dcerror.h>

#include <limits>

namespace dualread {

OFBool DirectFileConsumer::good() const { return writer_.ok() ? OFTrue : OFFalse; }

OFCondition DirectFileConsumer::status() const {
  if (writer_.ok()) return EC_Normal;
  return makeOFCondition(OFM_dcmdata, 18, OF_error, writer_.error().c_str());
}

offile_off_t DirectFileConsumer::avail() const {
  return writer_.ok() ? std::numeric_limits<offile_off_t>::max() : 0;
}

offile_off_t DirectFileConsumer::write(const void* buf, offile_off_t buflen) {
  if (buflen <= 0) return 0;
  return writer_.write(buf, static_cast<size_t>(buflen)) ? buflen : 0;
}

}  // namespace dualread
