#include "dicom/length_guard.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

namespace dualread {
namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFFu;

// VRs with a 2-byte length field; every other VR, including ones DCMTK does not know, has a
// 4-byte length field after 2 reserved bytes (DCMTK reads unknown VRs that way too).
bool isLongVr(char a, char b) {
  static const char* kShort[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FL", "FD", "IS",
                                 "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL",
                                 "US"};
  for (const char* v : kShort)
    if (v[0] == a && v[1] == b) return false;
  return true;
}

bool isVrChars(char a, char b) { return a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z'; }

std::string tagText(uint16_t g, uint16_t e) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "(%04X,%04X)", g, e);
  return buf;
}

// Random access to the bytes being checked: the file itself, or a deflated dataset inflated
// in memory.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual uint64_t size() const = 0;
  virtual bool read(uint64_t pos, unsigned char* out, size_t n) = 0;
};

class FileReader final : public Reader {
 public:
  explicit FileReader(const std::filesystem::path& p) : in_(p, std::ios::binary) {
    in_.seekg(0, std::ios::end);
    size_ = static_cast<uint64_t>(in_.tellg());
  }
  uint64_t size() const override { return size_; }
  bool read(uint64_t pos, unsigned char* out, size_t n) override {
    if (pos + n > size_) return false;
    in_.seekg(static_cast<std::streamoff>(pos));
    return static_cast<bool>(
        in_.read(reinterpret_cast<char*>(out), static_cast<std::streamsize>(n)));
  }

 private:
  std::ifstream in_;
  uint64_t size_ = 0;
};

class MemReader final : public Reader {
 public:
  explicit MemReader(std::vector<unsigned char> data) : data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  bool read(uint64_t pos, unsigned char* out, size_t n) override {
    if (pos + n > data_.size()) return false;
    std::memcpy(out, data_.data() + pos, n);
    return true;
  }

 private:
  std::vector<unsigned char> data_;
};

// Inflates a deflated dataset (raw deflate, PS3.5 A.5) from `offset`, refusing to grow past
// `cap` bytes (a few hundred bytes can inflate to gigabytes).
std::optional<std::vector<unsigned char>> inflateDataset(Reader& r, uint64_t offset, uint64_t cap,
                                                         std::string& error) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
    error = "cannot start inflating the deflated dataset";
    return std::nullopt;
  }
  std::vector<unsigned char> out;
  std::vector<unsigned char> in(1 << 16), buf(1 << 16);
  uint64_t pos = offset;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(in.size(), r.size() - pos));
      if (n == 0 || !r.read(pos, in.data(), n)) break;
      pos += n;
      z.next_in = in.data();
      z.avail_in = static_cast<uInt>(n);
    }
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.insert(out.end(), buf.data(), buf.data() + (buf.size() - z.avail_out));
    if (out.size() > cap) {
      inflateEnd(&z);
      error = "the deflated dataset inflates to more than " + std::to_string(cap) + " bytes";
      return std::nullopt;
    }
  }
  inflateEnd(&z);
  return out;
}

uint16_t u16(const unsigned char* p, bool big) {
  return big ? static_cast<uint16_t>((p[0] << 8) | p[1])
             : static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t u32(const unsigned char* p, bool big) {
  return big ? (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) |
                   (static_cast<uint32_t>(p[2]) << 8) | p[3]
             : static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                   (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

std::string tooLong(uint16_t g, uint16_t e, uint64_t len, uint64_t remain) {
  return "element " + tagText(g, e) + " declares " + std::to_string(len) + " bytes but only " +
         std::to_string(remain) + " remain in the file";
}

constexpr uint64_t kMaxInflatedBytes = 256ull << 20;

std::optional<std::string> walkDataset(Reader& r, uint64_t pos, bool implicit, bool big);

}  // namespace

std::optional<std::string> findImpossibleLength(const std::filesystem::path& file) {
  FileReader fr(file);
  Reader& r = fr;
  const uint64_t end = r.size();
  unsigned char h[12];
  // File meta group: explicit VR little endian.
  uint64_t pos = 132;
  std::string ts;
  while (r.read(pos, h, 8) && u16(h, false) == 0x0002) {
    const uint16_t e = u16(h + 2, false);
    if (!isVrChars(static_cast<char>(h[4]), static_cast<char>(h[5]))) return std::nullopt;
    uint64_t len, hdr = 8;
    if (isLongVr(static_cast<char>(h[4]), static_cast<char>(h[5]))) {
      if (!r.read(pos, h, 12)) return std::nullopt;
      len = u32(h + 8, false);
      hdr = 12;
    } else {
      len = u16(h + 6, false);
    }
    pos += hdr;
    if (len > end - pos) return tooLong(0x0002, e, len, end - pos);
    if (e == 0x0010 && len < 128) {
      std::vector<unsigned char> v(len);
      if (r.read(pos, v.data(), len)) ts.assign(v.begin(), v.end());
      while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
    }
    pos += len;
  }
  if (ts == "1.2.840.10008.1.2.1.99") {
    // Deflated: check the inflated dataset (deflate is for reports and key objects, small).
    std::string error;
    auto inflated = inflateDataset(r, pos, kMaxInflatedBytes, error);
    if (!inflated) return error;
    MemReader mem(std::move(*inflated));
    return walkDataset(mem, 0, false, false);
  }
  if (ts.empty()) return std::nullopt;  // DCMTK guesses the syntax: do not second-guess it
  const bool big = ts == "1.2.840.10008.1.2.2";
  // Like DCMTK, trust the bytes over the meta header: a dataset whose first element has no
  // VR letters is read as implicit VR whatever the header says.
  bool implicit = ts == "1.2.840.10008.1.2";
  if (!big && r.read(pos, h, 8) && u16(h, false) != 0xFFFE) {
    implicit = !isVrChars(static_cast<char>(h[4]), static_cast<char>(h[5]));
  }
  return walkDataset(r, pos, implicit, big);
}

namespace {

std::optional<std::string> walkDataset(Reader& r, uint64_t pos, bool implicit, bool big) {
  const uint64_t end = r.size();
  unsigned char h[12];
  int encapsulated_depth = -1;  // nesting level of undefined-length pixel data, -1 = none
  int depth = 0;
  while (pos + 8 <= end) {
    if (!r.read(pos, h, 8)) return std::nullopt;
    const uint16_t g = u16(h, big), e = u16(h + 2, big);
    if (g == 0xFFFE) {  // items and delimiters: tag + 4-byte length in every syntax
      const uint32_t len = u32(h + 4, big);
      pos += 8;
      if (e == 0xE0DD) {  // sequence delimiter
        if (encapsulated_depth == depth) encapsulated_depth = -1;
        if (depth > 0) --depth;
        continue;
      }
      if (e != 0xE000 || len == kUndefined) continue;
      if (len > end - pos) return tooLong(g, e, len, end - pos);
      if (encapsulated_depth == depth) pos += len;  // a pixel data fragment: opaque bytes
      continue;
    }
    uint64_t len, hdr = 8;
    bool sequence = false;
    if (implicit) {
      len = u32(h + 4, big);
    } else {
      const char a = static_cast<char>(h[4]), b = static_cast<char>(h[5]);
      // Like DCMTK: a VR of letters it does not know has a 4-byte length, anything else 2.
      if (isVrChars(a, b) && isLongVr(a, b)) {
        if (!r.read(pos, h, 12)) return std::nullopt;
        len = u32(h + 8, big);
        hdr = 12;
      } else {
        len = u16(h + 6, big);
      }
      if (a == 'U' && b == 'N' && len == kUndefined) return std::nullopt;  // implicit inside
      sequence = a == 'S' && b == 'Q';
    }
    pos += hdr;
    if (len == kUndefined) {
      ++depth;
      if (g == 0x7FE0 && e == 0x0010) encapsulated_depth = depth;
      continue;
    }
    if (len > end - pos) return tooLong(g, e, len, end - pos);
    if (!sequence) pos += len;  // defined-length sequences are walked into, others skipped
  }
  return std::nullopt;
}

}  // namespace

}  // namespace dualread
