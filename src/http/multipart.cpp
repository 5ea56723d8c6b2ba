#include "http/multipart.h"

#include <cstdio>
#include <memory>

#include "http/http_util.h"
#include "storage/sha256.h"

namespace dualread::http {
namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxPaddingBytes = 1024;

}  // namespace

MultipartParser::MultipartParser(std::string boundary, Sink& sink) : sink_(sink) {
  if (boundary.empty() || boundary.size() > 200)
    throw MultipartError("the multipart boundary must be 1 to 200 characters long");
  delimiter_ = "\r\n--" + boundary;
  // A body may start directly with its first delimiter, without the CRLF that precedes the
  // others: pretend it was there.
  buf_ = "\r\n";
}

void MultipartParser::parseHeaders(std::string_view block) {
  PartHeaders headers;
  std::string last;
  size_t start = 0;
  while (start < block.size()) {
    size_t eol = block.find("\r\n", start);
    if (eol == std::string_view::npos) eol = block.size();
    std::string_view line = block.substr(start, eol - start);
    start = eol + 2;
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !last.empty()) {  // folded continuation
      headers[last] += " " + trim(line);
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      throw MultipartError("part " + std::to_string(parts_ + 1) +
                           " has a header line without a name and ':'");
    last = lower(trim(line.substr(0, colon)));
    const std::string value = trim(line.substr(colon + 1));
    auto it = headers.find(last);
    if (it == headers.end())
      headers.emplace(last, value);
    else
      it->second += ", " + value;
  }
  ++parts_;
  sink_.beginPart(headers);
}

void MultipartParser::feed(std::string_view data) {
  buf_.append(data.data(), data.size());
  const size_t keep = delimiter_.size() - 1;
  for (;;) {
    switch (state_) {
      case State::kPreamble: {
        const size_t pos = buf_.find(delimiter_);
        if (pos == std::string::npos) {
          if (buf_.size() > keep) buf_.erase(0, buf_.size() - keep);
          return;
        }
        buf_.erase(0, pos + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter: {
        if (buf_.size() < 2) return;
        if (buf_.compare(0, 2, "--") == 0) {
          state_ = State::kEpilogue;
          buf_.clear();
          return;
        }
        const size_t eol = buf_.find("\r\n");
        if (eol == std::string::npos) {
          if (buf_.size() > kMaxPaddingBytes)
            throw MultipartError("a multipart boundary is followed by text instead of a line end");
          return;
        }
        for (size_t i = 0; i < eol; ++i) {
          if (buf_[i] != ' ' && buf_[i] != '\t')
            throw MultipartError(
                "a multipart boundary is followed by text instead of a line end (the boundary "
                "appears inside a part, or the body is not built with this boundary)");
        }
        buf_.erase(0, eol + 2);
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        size_t end;
        size_t skip;
        if (buf_.compare(0, 2, "\r\n") == 0 && buf_.size() >= 2) {
          end = 0;  // a part without headers
          skip = 2;
        } else {
          end = buf_.find("\r\n\r\n");
          if (end == std::string::npos) {
            if (buf_.size() > kMaxHeaderBytes)
              throw MultipartError("the headers of part " + std::to_string(parts_ + 1) +
                                   " exceed 16 KiB or never end with an empty line");
            return;
          }
          skip = 4;
        }
        if (buf_.size() < 2) return;
        parseHeaders(std::string_view(buf_).substr(0, end));
        buf_.erase(0, end + skip);
        state_ = State::kBody;
        break;
      }
      case State::kBody: {
        const size_t pos = buf_.find(delimiter_);
        if (pos == std::string::npos) {
          if (buf_.size() > keep) {
            sink_.partData(buf_.data(), buf_.size() - keep);
            buf_.erase(0, buf_.size() - keep);
          }
          return;
        }
        if (pos) sink_.partData(buf_.data(), pos);
        sink_.endPart();
        buf_.erase(0, pos + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kEpilogue:
        buf_.clear();
        return;
    }
  }
}

void MultipartParser::finish() {
  if (state_ == State::kEpilogue) return;
  if (state_ == State::kPreamble)
    throw MultipartError(
        "the body holds no multipart delimiter for the boundary given in the Content-Type");
  if (state_ == State::kBody || state_ == State::kHeaders)
    throw MultipartError("the multipart body ends inside part " + std::to_string(parts_ + 1) +
                         ", before its closing boundary: the upload is truncated");
  throw MultipartError(
      "the multipart body ends without its closing boundary ('--' after the "
      "last delimiter)");
}

namespace {

// Writes each part to its own staging file.
class FileSink : public MultipartParser::Sink {
 public:
  explicit FileSink(const std::function<std::filesystem::path()>& new_path) : new_path_(new_path) {}
  ~FileSink() override { closeCurrent(); }

  void beginPart(const PartHeaders& headers) override {
    StagedPart p;
    p.headers = headers;
    p.path = new_path_();
    file_ = std::fopen(p.path.c_str(), "wb");
    if (!file_) throw std::runtime_error("cannot create staging file " + p.path.string());
    parts_.push_back(std::move(p));
    hasher_ = std::make_unique<Sha256>();
  }
  void partData(const char* data, size_t n) override {
    if (std::fwrite(data, 1, n, file_) != n)
      throw std::runtime_error("cannot write staging file " + parts_.back().path.string());
    hasher_->update(data, n);
    parts_.back().size += n;
  }
  void endPart() override {
    if (std::fclose(file_) != 0) {
      file_ = nullptr;
      throw std::runtime_error("cannot write staging file " + parts_.back().path.string());
    }
    file_ = nullptr;
    parts_.back().sha256 = hasher_->hexDigest();
  }
  void removeAll() {
    closeCurrent();
    for (const auto& p : parts_) {
      std::error_code ec;
      std::filesystem::remove(p.path, ec);
    }
    parts_.clear();
  }
  std::vector<StagedPart> take() { return std::move(parts_); }

 private:
  void closeCurrent() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
  }
  const std::function<std::filesystem::path()>& new_path_;
  std::vector<StagedPart> parts_;
  std::FILE* file_ = nullptr;
  std::unique_ptr<Sha256> hasher_;
};

}  // namespace

std::vector<StagedPart> splitMultipartFile(const std::filesystem::path& body_file,
                                           const std::string& boundary,
                                           const std::function<std::filesystem::path()>& new_path) {
  FileSink sink(new_path);
  std::FILE* in = std::fopen(body_file.c_str(), "rb");
  if (!in) throw std::runtime_error("cannot read the received body " + body_file.string());
  try {
    MultipartParser parser(boundary, sink);
    std::vector<char> chunk(1 << 20);
    for (;;) {
      const size_t n = std::fread(chunk.data(), 1, chunk.size(), in);
      if (n > 0) parser.feed(std::string_view(chunk.data(), n));
      if (n < chunk.size()) {
        if (std::ferror(in)) throw std::runtime_error("cannot read the received body");
        break;
      }
    }
    parser.finish();
  } catch (...) {
    std::fclose(in);
    sink.removeAll();
    throw;
  }
  std::fclose(in);
  return sink.take();
}

}  // namespace dualread::http
