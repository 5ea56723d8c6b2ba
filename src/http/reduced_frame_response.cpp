#include "http/reduced_frame_response.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "http/handler_util.h"
#include "http/http_util.h"

namespace dualread::http {

std::pair<uint32_t, uint32_t> parseViewport(const HttpRequest& req) {
  requireKnownParams(req, {"viewport"});
  std::string text;
  for (const auto& [k, v] : req.query)
    if (k == "viewport") text = v;
  const size_t comma = text.find(',');
  const auto w = parseNonNegative(trim(text.substr(0, comma)));
  const auto h =
      comma == std::string::npos ? std::nullopt : parseNonNegative(trim(text.substr(comma + 1)));
  if (!w || !h || *w < 1 || *h < 1 || *w > 16384 || *h > 16384)
    throw HttpError(400,
                    "a reduced frame needs the viewport it is for, in screen pixels: "
                    "?viewport=width,height (each 1 to 16384), e.g. ?viewport=700,480");
  return {static_cast<uint32_t>(*w), static_cast<uint32_t>(*h)};
}

ReducedFrame reduceForViewport(const std::filesystem::path& file, const std::string& sop,
                               uint32_t frame, std::pair<uint32_t, uint32_t> viewport) {
  try {
    return reduceFrame(file, frame, viewport.first, viewport.second);
  } catch (const ReduceError& e) {
    switch (e.kind()) {
      case ReduceError::Kind::kNoPixelData:
      case ReduceError::Kind::kNoSuchFrame:
        throw HttpError(404, "instance " + sop + ": " + e.what());
      case ReduceError::Kind::kUnsupported:
        throw HttpError(406, "instance " + sop + ": " + e.what());
      case ReduceError::Kind::kUnreadable:
        spdlog::error("Instance {}: its stored file cannot give a reduced frame: {}", sop,
                      e.what());
        throw HttpError(500, std::string("the stored file cannot be read: ") + e.what());
    }
    throw;
  }
}

namespace {
std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}
}  // namespace

void sendReducedFrame(ResponseWriter& w, const ReducedFrame& r, Headers extra) {
  Headers headers = {
      {"Content-Type", "application/octet-stream"},
      {"X-Dualread-Rows", std::to_string(r.rows)},
      {"X-Dualread-Columns", std::to_string(r.columns)},
      {"X-Dualread-Factor", std::to_string(r.factor)},
      {"X-Dualread-Bits-Allocated", std::to_string(r.bits_allocated)},
      {"X-Dualread-Signed", r.is_signed ? "1" : "0"},
      {"X-Dualread-Photometric", r.photometric},
      {"X-Dualread-Rescale", number(r.rescale_slope) + "," + number(r.rescale_intercept)}};
  if (r.window_width > 0)
    headers.push_back(
        {"X-Dualread-Window", number(r.window_center) + "," + number(r.window_width)});
  for (auto& h : extra) headers.push_back(std::move(h));
  w.send(200, std::move(headers), std::string(r.pixels.begin(), r.pixels.end()));
}

}  // namespace dualread::http
