#include "dicom/dicom_json.h"

#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dcvrat.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace dualread {
namespace {

using nlohmann::json;

std::string tagKey(const DcmTagKey& t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04X%04X", t.getGroup(), t.getElement());
  return buf;
}

std::string base64(const unsigned char* data, size_t n) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    const uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == n) {
    const uint32_t v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == n) {
    const uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

struct Context {
  const DicomJsonOptions& options;
  bool encapsulated = false;  // the file's transfer syntax is encapsulated
};

json itemJson(DcmItem* item, const Context& ctx, int depth);

// Strings of a multi-valued text element; empty components become null.
json stringValues(DcmElement* e, bool single) {
  json values = json::array();
  const unsigned long vm = single ? 1 : e->getVM();
  for (unsigned long i = 0; i < vm; ++i) {
    OFString s;
    if (e->getOFString(s, i, OFTrue).bad()) break;
    if (s.empty())
      values.push_back(nullptr);
    else
      values.push_back(std::string(s.c_str(), s.length()));
  }
  return values;
}

json personNames(DcmElement* e) {
  json values = json::array();
  for (unsigned long i = 0; i < e->getVM(); ++i) {
    OFString s;
    if (e->getOFString(s, i, OFTrue).bad()) break;
    const std::string name(s.c_str(), s.length());
    if (name.empty()) {
      values.push_back(nullptr);
      continue;
    }
    json pn = json::object();
    static const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
    size_t start = 0;
    for (int g = 0; g < 3 && start <= name.size(); ++g) {
      size_t eq = name.find('=', start);
      if (eq == std::string::npos) eq = name.size();
      if (eq > start) pn[kGroups[g]] = name.substr(start, eq - start);
      start = eq + 1;
    }
    values.push_back(pn);
  }
  return values;
}

json decimalValues(DcmElement* e, bool integer) {
  json values = json::array();
  for (unsigned long i = 0; i < e->getVM(); ++i) {
    OFString s;
    if (e->getOFString(s, i, OFTrue).bad()) break;
    std::string text(s.c_str(), s.length());
    while (!text.empty() && text.front() == ' ') text.erase(0, 1);
    if (text.empty()) {
      values.push_back(nullptr);
      continue;
    }
    char* end = nullptr;
    if (integer) {
      const long long v = std::strtoll(text.c_str(), &end, 10);
      if (end && *end == '\0') {
        values.push_back(static_cast<int64_t>(v));
        continue;
      }
    } else {
      const double v = std::strtod(text.c_str(), &end);
      if (end && *end == '\0' && std::isfinite(v)) {
        values.push_back(v);
        continue;
      }
    }
    values.push_back(text);  // not a valid number: keep the text rather than lose it
  }
  return values;
}

json numericValues(DcmElement* e, DcmEVR vr) {
  json values = json::array();
  const unsigned long vm = e->getVM();
  for (unsigned long i = 0; i < vm; ++i) {
    OFCondition c = EC_IllegalCall;
    switch (vr) {
      case EVR_US: {
        Uint16 v = 0;
        c = e->getUint16(v, i);
        if (c.bad()) {
          Sint16 s = 0;
          c = e->getSint16(s, i);
          if (c.good()) values.push_back(s);
        } else {
          values.push_back(v);
        }
        continue;
      }
      case EVR_SS: {
        Sint16 v = 0;
        c = e->getSint16(v, i);
        if (c.bad()) {
          Uint16 u = 0;
          c = e->getUint16(u, i);
          if (c.good()) values.push_back(u);
        } else {
          values.push_back(v);
        }
        continue;
      }
      case EVR_UL: {
        Uint32 v = 0;
        if ((c = e->getUint32(v, i)).good()) values.push_back(v);
        break;
      }
      case EVR_SL: {
        Sint32 v = 0;
        if ((c = e->getSint32(v, i)).good()) values.push_back(v);
        break;
      }
      case EVR_FL: {
        Float32 v = 0;
        if ((c = e->getFloat32(v, i)).good()) {
          if (std::isfinite(v))
            values.push_back(static_cast<double>(v));
          else
            values.push_back(nullptr);
        }
        break;
      }
      case EVR_FD: {
        Float64 v = 0;
        if ((c = e->getFloat64(v, i)).good()) {
          if (std::isfinite(v))
            values.push_back(v);
          else
            values.push_back(nullptr);
        }
        break;
      }
      case EVR_SV: {
        Sint64 v = 0;
        if ((c = e->getSint64(v, i)).good()) values.push_back(static_cast<int64_t>(v));
        break;
      }
      case EVR_UV: {
        Uint64 v = 0;
        if ((c = e->getUint64(v, i)).good()) values.push_back(static_cast<uint64_t>(v));
        break;
      }
      default:
        break;
    }
    if (c.bad()) break;
  }
  return values;
}

json tagValues(DcmElement* e) {
  json values = json::array();
  auto* at = dynamic_cast<DcmAttributeTag*>(e);
  if (!at) return values;
  for (unsigned long i = 0; i < e->getVM(); ++i) {
    DcmTagKey t;
    if (at->getTagVal(t, i).bad()) break;
    values.push_back(tagKey(t));
  }
  return values;
}

bool isBinary(DcmEVR vr) {
  switch (vr) {
    case EVR_OB:
    case EVR_OD:
    case EVR_OF:
    case EVR_OL:
    case EVR_OV:
    case EVR_OW:
    case EVR_UN:
      return true;
    default:
      return false;
  }
}

void addElement(json& obj, DcmElement* e, const Context& ctx, int depth) {
  const DcmTagKey tag = e->getTag();
  if (tag.getElement() == 0x0000) return;  // group lengths are retired
  if (tag == DCM_DataSetTrailingPadding) return;
  const DcmVR dvr(e->getVR());
  DcmEVR vr = dvr.getValidEVR();
  const bool pixel_data =
      tag == DCM_PixelData || tag == DCM_FloatPixelData || tag == DCM_DoubleFloatPixelData;
  if (tag == DCM_PixelData && ctx.encapsulated) vr = EVR_OB;
  json attr = {{"vr", DcmVR(vr).getVRName()}};
  const Uint32 length = e->getLength();
  const bool empty = vr == EVR_SQ ? false : (length == 0 && !(pixel_data && ctx.encapsulated));

  if (vr == EVR_SQ) {
    auto* seq = dynamic_cast<DcmSequenceOfItems*>(e);
    if (seq && seq->card() > 0) {
      json items = json::array();
      for (unsigned long i = 0; i < seq->card(); ++i)
        items.push_back(itemJson(seq->getItem(i), ctx, depth + 1));
      attr["Value"] = items;
    }
  } else if (empty) {
    // attribute present without a value: {"vr": ...} only
  } else if (isBinary(vr) || pixel_data) {
    const bool bulk = depth == 0 && (pixel_data || length > ctx.options.inline_binary_limit);
    if (bulk) {
      if (!ctx.options.bulkdata_base.empty())
        attr["BulkDataURI"] = ctx.options.bulkdata_base + "/" + tagKey(tag);
    } else if (!(pixel_data && ctx.encapsulated) && length != DCM_UndefinedLength &&
               length <= ctx.options.nested_binary_limit) {
      std::vector<unsigned char> bytes(length);
      if (e->getPartialValue(bytes.data(), 0, length, nullptr, EBO_LittleEndian).good())
        attr["InlineBinary"] = base64(bytes.data(), bytes.size());
    }
  } else {
    json values;
    switch (vr) {
      case EVR_PN:
        values = personNames(e);
        break;
      case EVR_DS:
        values = decimalValues(e, false);
        break;
      case EVR_IS:
        values = decimalValues(e, true);
        break;
      case EVR_AT:
        values = tagValues(e);
        break;
      case EVR_LT:
      case EVR_ST:
      case EVR_UT:
      case EVR_UR:
        values = stringValues(e, true);
        break;
      case EVR_US:
      case EVR_SS:
      case EVR_UL:
      case EVR_SL:
      case EVR_FL:
      case EVR_FD:
      case EVR_SV:
      case EVR_UV:
        values = numericValues(e, vr);
        break;
      default:
        values = stringValues(e, false);
        break;
    }
    if (!values.empty()) attr["Value"] = values;
  }
  obj[tagKey(tag)] = std::move(attr);
}

json itemJson(DcmItem* item, const Context& ctx, int depth) {
  json obj = json::object();
  if (!item) return obj;
  for (unsigned long i = 0; i < item->card(); ++i) {
    DcmElement* e = item->getElement(i);
    if (e) addElement(obj, e, ctx, depth);
  }
  return obj;
}

}  // namespace

nlohmann::json dicomJsonOfFile(const std::filesystem::path& file, const DicomJsonOptions& options) {
  DcmFileFormat ff;
  // Values above 4 KiB stay on disk until asked for: bulk data is never read here.
  OFCondition c = ff.loadFile(file.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
  if (c.bad())
    throw DicomJsonError("the stored object " + file.filename().string() +
                         " cannot be read as DICOM (" + c.text() + ")");
  DcmDataset* ds = ff.getDataset();
  OFString charset;
  if (ds->findAndGetOFString(DCM_SpecificCharacterSet, charset).good() && !charset.empty()) {
    // Text becomes UTF-8 and SpecificCharacterSet "ISO_IR 192"; text that cannot be converted
    // is kept as received (the HTTP layer replaces invalid UTF-8 when it serialises).
    (void)ds->convertToUTF8();
  }
  Context ctx{options, DcmXfer(ds->getOriginalXfer()).isEncapsulated() != OFFalse};
  return itemJson(ds, ctx, 0);
}

}  // namespace dualread
