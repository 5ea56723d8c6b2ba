#pragma once
// The HTTP side of a reduced frame (dicom/reduced_frame.h), shared by the WADO-RS extension
// (.../frames/{frame}/reduced), the portal and share links: the ?viewport=W,H parameter, the
// reduction with its failures as HTTP statuses, and the answer (little-endian samples, the
// geometry and what a viewer needs to show them in X-Dualread-* headers). Stateless functions;
// thread-safe.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>

#include "dicom/reduced_frame.h"
#include "http/http_types.h"

namespace dualread::http {

// "W,H": the viewport (in screen pixels) a reduced frame is for, as PS3.18's rendered resources
// take it; each between 1 and 16384. Refuses (400) any other query parameter.
std::pair<uint32_t, uint32_t> parseViewport(const HttpRequest& req);

// Frame `frame` of the stored file `file` (instance `sop`) reduced for the viewport: 404 without
// pixel data or such a frame, 406 for colour or a codec the hub lacks, 500 when unreadable.
ReducedFrame reduceForViewport(const std::filesystem::path& file, const std::string& sop,
                               uint32_t frame, std::pair<uint32_t, uint32_t> viewport);

// Sends `r` as application/octet-stream with its X-Dualread-* headers (and `extra`).
void sendReducedFrame(ResponseWriter& w, const ReducedFrame& r, Headers extra = {});

}  // namespace dualread::http
