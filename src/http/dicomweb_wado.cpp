// WADO-RS (PS3.18 10.4): studies, series and instances as multipart/related application/dicom
// streamed from the blob store exactly as stored; metadata as application/dicom+json; frames
// and bulk data as multipart/related parts. Memory stays bounded: files, frames and values go
// out in 1 MiB chunks, metadata one instance at a time.

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "dicom/dicom_json.h"
#include "dicom/frame_reader.h"
#include "http/handler_util.h"
#include "http/http_util.h"
#include "http/reduced_frame_response.h"
#include "http/routes.h"

namespace dualread::http {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kExplicitLittle = "1.2.840.10008.1.2.1";
constexpr const char* kImplicitLittle = "1.2.840.10008.1.2";

// Instances addressed by a WADO-RS path; 404 with a sentence when there are none.
std::vector<InstanceRow> resolveInstances(HubServices& services, const HttpRequest& req,
                                          bool with_series, bool with_instance) {
  const std::string study = uidParam(req, "study", "Study Instance UID");
  const std::string series =
      with_series ? uidParam(req, "series", "Series Instance UID") : std::string();
  const std::string instance =
      with_instance ? uidParam(req, "instance", "SOP Instance UID") : std::string();
  if (with_instance) {
    InstanceRow row;
    if (!services.index.findInstance(instance, row) || row.study_uid != study ||
        row.series_uid != series)
      throw HttpError(
          404, "no instance " + instance + " is stored in series " + series + " of study " + study);
    return {row};
  }
  InstanceQuery q;
  q.study_uids = {study};
  if (with_series) q.series_uids = {series};
  q.limit = 1000000;
  auto rows = services.index.findInstances(q);
  if (rows.empty()) {
    if (with_series) throw HttpError(404, "no series " + series + " is stored in study " + study);
    throw HttpError(404, "no study with Study Instance UID " + study + " is stored in this hub");
  }
  return rows;
}

// Records the retrieval (`action`: "retrieve", "retrieve-metadata"...) of the object a WADO-RS
// path addresses before anything is sent; 503 when it cannot be recorded.
void auditRetrieve(HubServices& services, const HttpRequest& req, const std::string& action,
                   const std::vector<InstanceRow>& rows, bool with_series, bool with_instance) {
  const InstanceRow& r = rows.front();
  const std::string type = with_instance ? "instance" : with_series ? "series" : "study";
  const std::string& id = with_instance ? r.sop_uid : with_series ? r.series_uid : r.study_uid;
  json detail = {{"instances", rows.size()}};
  if (with_series || with_instance) detail["study"] = r.study_uid;
  auditRead(services, req, action, type, id, womanOfStudy(services, r.study_uid), detail);
}

fs::path blobPath(HubServices& services, const InstanceRow& row) {
  try {
    fs::path p = services.blobs.pathOf(row.blob_key);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  } catch (const std::exception&) {
  }
  spdlog::error("Instance {} is indexed but its file (blob {}) is missing; run fsck", row.sop_uid,
                row.blob_key);
  throw HttpError(500, "the file of instance " + row.sop_uid +
                           " is missing from the archive; the operator has been alerted");
}

// Which transfer syntax the client wants instances in: "*" (as stored) or a UID. 406 when the
// Accept header admits no multipart/related application/dicom.
std::string negotiateDicom(const HttpRequest& req, const std::vector<InstanceRow>& rows) {
  const std::string accept = req.header("accept");
  if (trim(accept).empty()) return "*";
  for (const auto& m : parseAccept(accept)) {
    if (m.type == "*/*" || m.type == "multipart/*") return "*";
    if (m.type != "multipart/related") continue;
    const std::string type = lower(m.param("type"));
    if (!type.empty() && type != "application/dicom") continue;
    const std::string ts = m.param("transfer-syntax");
    if (ts.empty() || ts == "*") return "*";
    bool all = true;
    for (const auto& r : rows) all = all && r.transfer_syntax == ts;
    if (all) return ts;
  }
  std::string stored;
  if (!rows.empty()) stored = rows.front().transfer_syntax;
  throw HttpError(406,
                  "instances are returned as multipart/related; type=\"application/dicom\" in "
                  "the transfer syntax they were stored in (e.g. " +
                      stored + "); ask for transfer-syntax=* or that one");
}

void retrieveInstances(HubServices& services, HttpRequest& req, ResponseWriter& w, bool with_series,
                       bool with_instance) {
  auto rows = resolveInstances(services, req, with_series, with_instance);
  negotiateDicom(req, rows);
  const std::string boundary = newBoundary();
  struct Part {
    fs::path path;
    uint64_t size;
    std::string head;
  };
  std::vector<Part> parts;
  uint64_t total = 0;
  for (const auto& r : rows) {
    Part p;
    p.path = blobPath(services, r);
    std::error_code ec;
    p.size = fs::file_size(p.path, ec);
    if (ec) throw HttpError(500, "the file of instance " + r.sop_uid + " cannot be read");
    p.head = (parts.empty() ? "--" : "\r\n--") + boundary +
             "\r\nContent-Type: application/dicom; transfer-syntax=" + r.transfer_syntax +
             "\r\nContent-Location: " + instanceUrl(req, r.study_uid, r.series_uid, r.sop_uid) +
             "\r\n\r\n";
    total += p.head.size() + p.size;
    parts.push_back(std::move(p));
  }
  const std::string tail = "\r\n--" + boundary + "--\r\n";
  total += tail.size();
  auditRetrieve(services, req, "retrieve", rows, with_series, with_instance);
  w.beginStream(
      200,
      {{"Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary}},
      total);
  for (const auto& p : parts) {
    w.write(p.head);
    if (streamFile(w, p.path) != p.size)
      throw std::runtime_error("file " + p.path.string() + " changed size while being sent");
  }
  w.write(tail);
  w.finish();
}

std::string bulkdataBase(const HttpRequest& req, const InstanceRow& r) {
  return instanceUrl(req, r.study_uid, r.series_uid, r.sop_uid) + "/bulkdata";
}

void retrieveMetadata(HubServices& services, HttpRequest& req, ResponseWriter& w, bool with_series,
                      bool with_instance) {
  if (!acceptsAny(req.header("accept"), {"application/dicom+json", "application/json"}))
    throw HttpError(406, "metadata is only available as application/dicom+json");
  auto rows = resolveInstances(services, req, with_series, with_instance);
  std::vector<fs::path> paths;
  for (const auto& r : rows) paths.push_back(blobPath(services, r));
  // The first instance is read before the status line so that an unreadable file is a clean 500.
  auto render = [&](size_t i) {
    DicomJsonOptions opts;
    opts.bulkdata_base = bulkdataBase(req, rows[i]);
    json j = dicomJsonOfFile(paths[i], opts);
    if (!j.contains("00083002"))
      j["00083002"] = {{"vr", "UI"}, {"Value", json::array({rows[i].transfer_syntax})}};
    return dumpJson(j);
  };
  std::string first;
  try {
    first = render(0);
  } catch (const DicomJsonError& e) {
    spdlog::error("Metadata of instance {} cannot be read: {}", rows[0].sop_uid, e.what());
    throw HttpError(500, "the stored file of instance " + rows[0].sop_uid +
                             " cannot be read; the operator has been alerted");
  }
  auditRetrieve(services, req, "retrieve-metadata", rows, with_series, with_instance);
  w.beginStream(200, {{"Content-Type", "application/dicom+json"}}, std::nullopt);
  w.write("[");
  w.write(first);
  for (size_t i = 1; i < rows.size(); ++i) {
    w.write(",");
    w.write(render(i));
  }
  w.write("]");
  w.finish();
}

std::vector<uint32_t> parseFrameList(const std::string& s) {
  std::vector<uint32_t> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = s.find(',', start);
    const std::string item =
        trim(s.substr(start, comma == std::string::npos ? comma : comma - start));
    auto n = parseNonNegative(item);
    if (!n || *n < 1 || *n > 0xFFFFFFFFll)
      throw HttpError(400,
                      "frame numbers must be positive integers separated by commas, e.g. "
                      "frames/1,2");
    out.push_back(static_cast<uint32_t>(*n));
    if (out.size() > 10000) throw HttpError(400, "at most 10000 frames per request");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The media type frames are returned as, after Accept negotiation (406 when none fits).
void negotiateFrames(const HttpRequest& req, const FrameReader& reader) {
  const std::string accept = req.header("accept");
  if (trim(accept).empty()) return;
  const std::string media = reader.frameMediaType();
  const std::string frame_ts = reader.frameTransferSyntax();
  for (const auto& m : parseAccept(accept)) {
    if (m.type == "*/*" || m.type == "multipart/*") return;
    if (m.type != "multipart/related") continue;
    const std::string type = lower(m.param("type"));
    const std::string ts = m.param("transfer-syntax");
    const bool ts_ok = ts.empty() || ts == "*" || ts == frame_ts ||
                       (!reader.encapsulated() && ts == kImplicitLittle);
    if (type.empty() || type == "*/*" || type == media) {
      if (ts_ok) return;
      continue;
    }
    // application/octet-stream without a transfer syntax: compressed frames are returned as
    // stored, with their media type in the part headers (this hub does not transcode).
    if (type == "application/octet-stream" && (ts.empty() || ts == "*")) return;
  }
  throw HttpError(406, "the frames of this instance are available as multipart/related; type=\"" +
                           media + "\"; transfer-syntax=" + frame_ts +
                           " (this hub does not transcode); ask for that or transfer-syntax=*");
}

FrameReader openFrames(const fs::path& path) {
  try {
    return FrameReader(path);
  } catch (const FrameError& e) {
    throw HttpError(500, std::string("the stored file cannot be read: ") + e.what());
  }
}

void retrieveFrames(HubServices& services, HttpRequest& req, ResponseWriter& w) {
  const auto frames = parseFrameList(req.param("frames"));
  auto rows = resolveInstances(services, req, true, true);
  FrameReader reader = openFrames(blobPath(services, rows.front()));
  if (reader.frameCount() == 0)
    throw HttpError(404, "instance " + rows.front().sop_uid + " has no pixel data, so no frames");
  for (uint32_t f : frames)
    if (f > reader.frameCount())
      throw HttpError(404, "instance " + rows.front().sop_uid + " has no frame " +
                               std::to_string(f) + " (it has " +
                               std::to_string(reader.frameCount()) + ")");
  negotiateFrames(req, reader);
  const std::string media = reader.frameMediaType();
  const std::string boundary = newBoundary();
  const std::string part_type =
      "Content-Type: " + media + "; transfer-syntax=" + reader.frameTransferSyntax() + "\r\n";
  std::vector<std::string> heads;
  uint64_t total = 0;
  try {
    for (uint32_t f : frames) {
      heads.push_back((heads.empty() ? "--" : "\r\n--") + boundary + "\r\n" + part_type +
                      "Content-Location: " + req.base_url + req.path + "\r\n\r\n");
      total += heads.back().size() + reader.frameSize(f);
    }
  } catch (const FrameError& e) {
    throw HttpError(e.kind() == FrameError::Kind::kUnsupported ? 406 : 500, e.what());
  }
  const std::string tail = "\r\n--" + boundary + "--\r\n";
  total += tail.size();
  auditRetrieve(services, req, "retrieve-frames", rows, true, true);
  w.beginStream(
      200, {{"Content-Type", "multipart/related; type=\"" + media + "\"; boundary=" + boundary}},
      total);
  for (size_t i = 0; i < frames.size(); ++i) {
    w.write(heads[i]);
    reader.readFrame(frames[i], [&w](const char* d, size_t n) { w.write({d, n}); });
  }
  w.write(tail);
  w.finish();
}

// dualread extension: one grayscale frame averaged down to the resolution of the viewport it is
// shown in (dicom/reduced_frame.h), as little-endian samples; the geometry in headers. The
// reading console shows it first and the full frame when it has come.
void retrieveReducedFrame(HubServices& services, HttpRequest& req, ResponseWriter& w) {
  const auto frames = parseFrameList(req.param("frame"));
  if (frames.size() != 1)
    throw HttpError(400, "a reduced rendition is of one frame: frames/1/reduced, not a list");
  const auto viewport = parseViewport(req);
  auto rows = resolveInstances(services, req, true, true);
  const ReducedFrame r = reduceForViewport(blobPath(services, rows.front()), rows.front().sop_uid,
                                           frames.front(), viewport);
  auditRetrieve(services, req, "retrieve-reduced-frame", rows, true, true);
  sendReducedFrame(w, r);
}

void retrieveBulkData(HubServices& services, HttpRequest& req, ResponseWriter& w) {
  const std::string& tag_text = req.param("tag");
  if (tag_text.size() != 8 ||
      tag_text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    throw HttpError(400, "bulk data is addressed by an 8-hex-digit tag, e.g. 7FE00010");
  const uint32_t tag = static_cast<uint32_t>(std::stoul(tag_text, nullptr, 16));
  auto rows = resolveInstances(services, req, true, true);
  FrameReader reader = openFrames(blobPath(services, rows.front()));
  if (tag == 0x7FE00010u && reader.encapsulated()) {
    // Compressed pixel data: one part per frame, as frames/1,2,...
    std::string list;
    for (uint32_t f = 1; f <= reader.frameCount(); ++f)
      list += (f > 1 ? "," : "") + std::to_string(f);
    if (list.empty()) throw HttpError(404, "this instance has no pixel data");
    req.params["frames"] = list;
    retrieveFrames(services, req, w);
    return;
  }
  uint64_t size = 0;
  try {
    size = reader.attributeSize(tag);
  } catch (const FrameError& e) {
    throw HttpError(404, std::string("no bulk data here: ") + e.what());
  }
  // A single application/octet-stream body when that is what the client asks for first;
  // multipart/related otherwise (the PS3.18 default).
  bool single = false;
  const std::string accept = req.header("accept");
  if (!trim(accept).empty()) {
    bool ok = false;
    for (const auto& m : parseAccept(accept)) {
      if (m.type == "multipart/related" || m.type == "multipart/*" || m.type == "*/*") {
        ok = true;
        break;
      }
      if (m.type == "application/octet-stream") {
        ok = single = true;
        break;
      }
    }
    if (!ok)
      throw HttpError(406,
                      "bulk data is available as multipart/related; "
                      "type=\"application/octet-stream\" or application/octet-stream");
  }
  auditRetrieve(services, req, "retrieve-bulkdata", rows, true, true);
  auto sink = [&w](const char* d, size_t n) { w.write({d, n}); };
  if (single) {
    w.beginStream(200, {{"Content-Type", "application/octet-stream"}}, size);
    reader.readAttribute(tag, sink);
    w.finish();
    return;
  }
  const std::string boundary = newBoundary();
  const std::string head = "--" + boundary +
                           "\r\nContent-Type: application/octet-stream; "
                           "transfer-syntax=" +
                           std::string(kExplicitLittle) + "\r\nContent-Location: " + req.base_url +
                           req.path + "\r\n\r\n";
  const std::string tail = "\r\n--" + boundary + "--\r\n";
  w.beginStream(200,
                {{"Content-Type",
                  "multipart/related; type=\"application/octet-stream\"; boundary=" + boundary}},
                head.size() + size + tail.size());
  w.write(head);
  reader.readAttribute(tag, sink);
  w.write(tail);
  w.finish();
}

}  // namespace

void addWadoRoutes(Router& router, HubServices& services) {
  HubServices* s = &services;
  const std::string study = "/dicomweb/studies/{study}";
  const std::string series = study + "/series/{series}";
  const std::string instance = series + "/instances/{instance}";
  router.add(
      "GET", study, "WADO-RS: retrieve a study's instances",
      [s](HttpRequest& req, ResponseWriter& w) { retrieveInstances(*s, req, w, false, false); });
  router.add(
      "GET", series, "WADO-RS: retrieve a series' instances",
      [s](HttpRequest& req, ResponseWriter& w) { retrieveInstances(*s, req, w, true, false); });
  router.add(
      "GET", instance, "WADO-RS: retrieve one instance",
      [s](HttpRequest& req, ResponseWriter& w) { retrieveInstances(*s, req, w, true, true); });
  router.add(
      "GET", study + "/metadata", "WADO-RS: metadata of a study's instances",
      [s](HttpRequest& req, ResponseWriter& w) { retrieveMetadata(*s, req, w, false, false); });
  router.add(
      "GET", series + "/metadata", "WADO-RS: metadata of a series' instances",
      [s](HttpRequest& req, ResponseWriter& w) { retrieveMetadata(*s, req, w, true, false); });
  router.add(
      "GET", instance + "/metadata", "WADO-RS: metadata of one instance",
      [s](HttpRequest& req, ResponseWriter& w) { retrieveMetadata(*s, req, w, true, true); });
  router.add("GET", instance + "/frames/{frames}", "WADO-RS: frames of an instance",
             [s](HttpRequest& req, ResponseWriter& w) { retrieveFrames(*s, req, w); });
  router.add("GET", instance + "/frames/{frame}/reduced",
             "dualread: one frame at the resolution of the viewport it is shown in",
             [s](HttpRequest& req, ResponseWriter& w) { retrieveReducedFrame(*s, req, w); });
  router.add("GET", instance + "/bulkdata/{tag}", "WADO-RS: bulk data of an attribute",
             [s](HttpRequest& req, ResponseWriter& w) { retrieveBulkData(*s, req, w); });
}

}  // namespace dualread::http
