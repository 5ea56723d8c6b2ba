#pragma once
// multipart/related (RFC 2046, RFC 2387) for STOW-RS: MultipartParser is a push parser that
// finds the parts of a body fed in chunks of any size, keeping at most one boundary's worth of
// bytes besides the chunk (a 128 MB upload is never held in memory); splitMultipartFile() runs
// it over a request body saved to disk and writes every part to its own staging file.
// A parser belongs to one thread; the free function is thread-safe.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dualread::http {

// A malformed multipart body; what() is a sentence for the client.
class MultipartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using PartHeaders = std::map<std::string, std::string>;  // names lower case

class MultipartParser {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void beginPart(const PartHeaders& headers) = 0;
    virtual void partData(const char* data, size_t n) = 0;
    virtual void endPart() = 0;
  };

  // `boundary` as given in the Content-Type (unquoted). Throws MultipartError if it is empty or
  // longer than 200 characters.
  MultipartParser(std::string boundary, Sink& sink);

  // Throws MultipartError on a malformed body (nothing after a delimiter but junk, headers
  // larger than 16 KiB, a header line without ':'). Exceptions thrown by the sink propagate.
  void feed(std::string_view data);
  // Throws MultipartError unless the closing delimiter "--boundary--" was seen.
  void finish();
  int parts() const { return parts_; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kEpilogue };
  void parseHeaders(std::string_view block);

  std::string delimiter_;  // "\r\n--" + boundary
  Sink& sink_;
  State state_ = State::kPreamble;
  std::string buf_;
  int parts_ = 0;
};

struct StagedPart {
  PartHeaders headers;
  std::filesystem::path path;
  uint64_t size = 0;
  std::string sha256;  // lowercase hex of the part's bytes
};

// Splits the multipart body stored in `body_file` into one file per part, each created at a
// path given by `new_path` (the blob store's staging area). Returns the parts in order. On a
// malformed body (MultipartError) or an I/O failure (std::runtime_error) every part file
// already written is removed before the exception propagates.
std::vector<StagedPart> splitMultipartFile(const std::filesystem::path& body_file,
                                           const std::string& boundary,
                                           const std::function<std::filesystem::path()>& new_path);

}  // namespace dualread::http
