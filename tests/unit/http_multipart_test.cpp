// Unit tests of the HTTP helpers that need no server: multipart/related parsing (chunk
// boundaries anywhere, malformed bodies), media types and Accept, percent-decoding, the router.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "http/http_util.h"
#include "http/multipart.h"
#include "http/router.h"
#include "hub_fixture.h"
#include "storage/sha256.h"

namespace dualread::http {
namespace {

struct Collected {
  std::vector<std::pair<PartHeaders, std::string>> parts;
  bool open = false;
};

class CollectSink : public MultipartParser::Sink {
 public:
  explicit CollectSink(Collected& c) : c_(c) {}
  void beginPart(const PartHeaders& h) override {
    EXPECT_FALSE(c_.open);
    c_.parts.push_back({h, ""});
    c_.open = true;
  }
  void partData(const char* d, size_t n) override {
    ASSERT_TRUE(c_.open);
    c_.parts.back().second.append(d, n);
  }
  void endPart() override {
    EXPECT_TRUE(c_.open);
    c_.open = false;
  }

 private:
  Collected& c_;
};

Collected parseInChunks(const std::string& body, const std::string& boundary, size_t chunk) {
  Collected c;
  CollectSink sink(c);
  MultipartParser p(boundary, sink);
  for (size_t i = 0; i < body.size(); i += chunk) p.feed(std::string_view(body).substr(i, chunk));
  p.finish();
  return c;
}

TEST(HttpMultipartTest, SplitsPartsWhateverTheChunkSize) {
  for (size_t chunk :
       {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{7}, size_t{64}, size_t{4096}}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    // The first part's data holds text that looks like the boundary but is not a delimiter
    // (not preceded by CRLF, or followed by other text): only a full "\r\n--XyZ" counts, and
    // "\r\n--XyZ-not-quite" would be malformed, so the body avoids it.
    const std::string body =
        "--XyZ\r\nContent-Type: application/dicom\r\n\r\nA--XyZ in the middle\r\n-XyZ\r\n"
        "--XyZ\r\n\r\n\r\n\r\nsecond\r\n\r\n--XyZ--";
    Collected c = parseInChunks(body, "XyZ", chunk);
    ASSERT_EQ(c.parts.size(), 2u);
    EXPECT_EQ(c.parts[0].first.at("content-type"), "application/dicom");
    EXPECT_EQ(c.parts[0].second, "A--XyZ in the middle\r\n-XyZ");
    EXPECT_TRUE(c.parts[1].first.empty());
    EXPECT_EQ(c.parts[1].second, "\r\n\r\nsecond\r\n");
  }
}

TEST(HttpMultipartTest, PreambleEpilogueFoldedHeadersAndPadding) {
  const std::string body =
      "preamble\r\n--B\r\nContent-Type: application/dicom\r\nX-Long: a\r\n  b\r\n\r\nONE"
      "\r\n--B \t\r\n\r\nTWO\r\n--B--\r\nepilogue\r\n--B\r\nignored";
  Collected c = parseInChunks(body, "B", 4);
  ASSERT_EQ(c.parts.size(), 2u);
  EXPECT_EQ(c.parts[0].first.at("x-long"), "a b");
  EXPECT_EQ(c.parts[0].second, "ONE");
  EXPECT_EQ(c.parts[1].second, "TWO");
}

TEST(HttpMultipartTest, RejectsMalformedBodies) {
  struct Case {
    const char* name;
    std::string body;
  } cases[] = {
      {"no delimiter at all", "just some bytes"},
      {"truncated inside a part", "--B\r\nContent-Type: application/dicom\r\n\r\nhalf a file"},
      {"truncated in headers", "--B\r\nContent-Type: appl"},
      {"no closing delimiter", "--B\r\n\r\ndata\r\n--B"},
      {"junk after delimiter", "--B\r\n\r\ndata\r\n--Bjunk\r\n\r\nx\r\n--B--"},
      {"header without colon", "--B\r\nnot a header\r\n\r\ndata\r\n--B--"},
      {"empty", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Collected out;
    CollectSink sink(out);
    MultipartParser p("B", sink);
    EXPECT_THROW(
        {
          p.feed(c.body);
          p.finish();
        },
        MultipartError);
  }
  Collected out;
  CollectSink sink(out);
  EXPECT_THROW(MultipartParser("", sink), MultipartError);
  EXPECT_THROW(MultipartParser(std::string(201, 'a'), sink), MultipartError);
}

TEST(HttpMultipartTest, RejectsHugeHeaders) {
  Collected out;
  CollectSink sink(out);
  MultipartParser p("B", sink);
  p.feed("--B\r\nX: ");
  EXPECT_THROW(p.feed(std::string(20000, 'a')), MultipartError);
}

TEST(HttpMultipartTest, SplitFileWritesOnePartPerFileAndCleansUpOnError) {
  const auto dir = dualread::testing::makeTempDir("dualread-multipart");
  int counter = 0;
  auto next = [&] { return dir / ("part" + std::to_string(counter++)); };
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 31) ^ (i >> 9));
  const std::string body = "--b0undary\r\nContent-Type: application/dicom\r\n\r\n" + big +
                           "\r\n--b0undary\r\nContent-Type: application/dicom\r\n\r\nsmall"
                           "\r\n--b0undary--\r\n";
  const auto body_file = dir / "body";
  std::ofstream(body_file, std::ios::binary) << body;
  auto parts = splitMultipartFile(body_file, "b0undary", next);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size, big.size());
  EXPECT_EQ(parts[0].sha256, sha256Hex(big));
  EXPECT_EQ(sha256File(parts[0].path), sha256Hex(big));
  EXPECT_EQ(parts[1].size, 5u);
  EXPECT_EQ(parts[1].sha256, sha256Hex("small"));

  // Truncated body: no part file is left behind.
  const auto cut_file = dir / "cut";
  std::ofstream(cut_file, std::ios::binary) << body.substr(0, body.size() / 2);
  counter = 100;
  EXPECT_THROW(splitMultipartFile(cut_file, "b0undary", next), MultipartError);
  for (int i = 100; i < counter; ++i)
    EXPECT_FALSE(std::filesystem::exists(dir / ("part" + std::to_string(i))));
  std::filesystem::remove_all(dir);
}

TEST(HttpUtilTest, MediaTypesAndAccept) {
  auto m =
      parseMediaType("Multipart/Related; type=\"application/dicom\"; boundary=\"a b;c\"; start=x");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "multipart/related");
  EXPECT_EQ(m->param("type"), "application/dicom");
  EXPECT_EQ(m->param("boundary"), "a b;c");
  EXPECT_EQ(m->param("start"), "x");
  m = parseMediaType("multipart/related;type=application/dicom;boundary=XYZ");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->param("boundary"), "XYZ");
  EXPECT_FALSE(parseMediaType("nonsense"));
  EXPECT_FALSE(parseMediaType(""));

  auto a = parseAccept(
      "application/json;q=0.5, multipart/related; type=\"application/octet-stream\"; "
      "transfer-syntax=*, text/html;q=0");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].type, "multipart/related");
  EXPECT_EQ(a[0].param("transfer-syntax"), "*");
  EXPECT_EQ(a[1].type, "application/json");
}

TEST(HttpUtilTest, PercentDecodingAndPaths) {
  EXPECT_EQ(percentDecode("a%20b+c", true).value(), "a b c");
  EXPECT_EQ(percentDecode("a+b", false).value(), "a+b");
  EXPECT_FALSE(percentDecode("%2", false));
  EXPECT_FALSE(percentDecode("%zz", false));
  EXPECT_FALSE(percentDecode("%00", false));
  auto segs = splitPath("/dicomweb//studies/1.2%2F3/");
  ASSERT_TRUE(segs);
  ASSERT_EQ(segs->size(), 3u);
  EXPECT_EQ((*segs)[2], "1.2/3");
  auto q = parseQuery("PatientName=MAR*&includefield=00081030&includefield=all&x");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->size(), 4u);
  EXPECT_EQ((*q)[0].second, "MAR*");
  EXPECT_EQ((*q)[3].first, "x");
  EXPECT_EQ(headerSafe("a \"quoted\"\r\nline é"), "a 'quoted'  line ??");
}

TEST(HttpRouterTest, MatchesPatternsAndReportsAllowedMethods) {
  Router r;
  int hit = 0;
  r.add("GET", "/a/{x}/b", "get", [&](HttpRequest&, ResponseWriter&) { hit = 1; });
  r.add("POST", "/a/{x}/b", "post", [&](HttpRequest&, ResponseWriter&) { hit = 2; });
  r.add("GET", "/a", "list", [&](HttpRequest&, ResponseWriter&) { hit = 3; });
  HttpRequest req;
  req.method = "GET";
  req.segments = {"a", "1.2", "b"};
  std::vector<std::string> allowed;
  const Handler* h = r.match(req, allowed);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(req.params.at("x"), "1.2");
  req.method = "DELETE";
  EXPECT_EQ(r.match(req, allowed), nullptr);
  EXPECT_EQ(allowed, (std::vector<std::string>{"GET", "POST"}));
  req.segments = {"a", "1", "c"};
  req.method = "GET";
  EXPECT_EQ(r.match(req, allowed), nullptr);
  EXPECT_TRUE(allowed.empty());
  EXPECT_EQ(r.routes().size(), 3u);
  EXPECT_EQ(r.routes()[0].pattern, "/a/{x}/b");
}

}  // namespace
}  // namespace dualread::http
