// The HTTP server itself and the REST API, in-process on port 0: health, errors as JSON
// sentences, keep-alive, malformed requests, body limits, clean stop, static files, /api/*.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "http_test_fixture.h"

namespace dualread::testing {
namespace {

using nlohmann::json;

class HttpServerTest : public HttpTest {};

TEST_F(HttpServerTest, HealthzAndErrorsAreJson) {
  auto r = httpGet(port_, "/healthz");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(parseBody(r)["status"], "ok");

  r = httpGet(port_, "/api/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(parseBody(r)["error"].is_string());
  r = httpRequest(port_, "POST", "/healthz");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET");
  r = httpGet(port_, "/healthz?verbose=1");
  EXPECT_EQ(r.status, 400);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  TestConnection c(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.sendAll(buildRequest("GET", "/healthz", {}, "", true)));
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 200);
  }
  // Two pipelined requests in one write.
  ASSERT_TRUE(c.sendAll(buildRequest("GET", "/healthz", {}, "", true) +
                        buildRequest("GET", "/api/stats", {}, "", false)));
  EXPECT_EQ(c.readResponse().status, 200);
  auto stats = c.readResponse();
  EXPECT_EQ(stats.status, 200);
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(HttpServerTest, MalformedRequestsGetAnswersNotCrashes) {
  {
    TestConnection c(port_);
    c.sendAll("THIS IS NOT HTTP\r\n\r\n");
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(parseBody(r)["error"].is_string());
  }
  {
    TestConnection c(port_);
    c.sendAll("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n");
    EXPECT_EQ(c.readResponse().status, 431);
  }
  {
    TestConnection c(port_);
    c.sendAll("GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(c.readResponse().status, 400);
  }
  {
    // A client that sends half a request and leaves.
    TestConnection c(port_);
    c.sendAll(
        "POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; "
        "boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n\r\nabc");
  }
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
  server_->stop();  // joins every connection thread: the abandoned upload is finished with
  EXPECT_EQ(stagingCount(), 0);
  EXPECT_EQ(index_->totals().instances, 0);
}

TEST_F(HttpServerTest, StopClosesIdleConnectionsPromptly) {
  TestConnection idle(port_);
  ASSERT_TRUE(idle.sendAll(buildRequest("GET", "/healthz", {}, "", true)));
  ASSERT_EQ(idle.readResponse().status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_TRUE(idle.closedByPeer());
  EXPECT_THROW(TestConnection{port_}, std::runtime_error);
}

class HttpSmallLimitTest : public HttpTest {
 protected:
  void configure(HubConfig& c) override { c.max_request_bytes = 64 * 1024; }
};

TEST_F(HttpSmallLimitTest, OversizeBodiesGet413AndNothingIsStored) {
  TestImage big = fourViews("1")[0];
  big.rows = 256;
  big.cols = 256;  // 128 KiB of pixels
  const std::string file = dicomBytes(big);
  const std::string body = multipartBody({file}, "b");
  // Declared length above the limit: refused before the body is read.
  auto r = httpRequest(port_, "POST", "/dicomweb/studies",
                       {{"Content-Type",
                         "multipart/related; type=\"application/dicom\"; "
                         "boundary=b"}},
                       body);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_TRUE(parseBody(r)["error"].is_string());
  // Chunked: refused once the limit is crossed.
  {
    TestConnection c(port_);
    std::string req =
        "POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; "
        "boundary=b\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    for (size_t i = 0; i < body.size(); i += 8192) {
      const std::string piece = body.substr(i, 8192);
      char size[16];
      std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      req += size + piece + "\r\n";
    }
    req += "0\r\n\r\n";
    c.sendAll(req);
    auto rr = c.readResponse();
    EXPECT_EQ(rr.status, 413) << rr.body;
  }
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
  EXPECT_EQ(index_->totals().instances, 0);
  EXPECT_EQ(blobCount(), 0);
  EXPECT_EQ(stagingCount(), 0);
  // A small one still goes through.
  EXPECT_EQ(stow({dicomBytes(fourViews("1")[1])}).status, 200);
}

class HttpStaticTest : public HttpTest {
 protected:
  void configure(HubConfig& c) override {
    static_root_ = makeTempDir("dualread-static");
    std::filesystem::create_directories(static_root_ / "assets");
    std::ofstream(static_root_ / "index.html") << "<html>app</html>";
    std::ofstream(static_root_ / "assets" / "app.js") << "console.log(1)";
    std::ofstream(static_root_ / ".secret") << "no";
    c.static_dir = static_root_;
  }
  void TearDown() override {
    HttpTest::TearDown();
    std::filesystem::remove_all(static_root_);
  }
  std::filesystem::path static_root_;
};

TEST_F(HttpStaticTest, ServesTheWebAppWithSpaFallbackAndNoTraversal) {
  auto r = httpGet(port_, "/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<html>app</html>");
  EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
  r = httpGet(port_, "/assets/app.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "console.log(1)");
  EXPECT_EQ(r.header("content-type"), "text/javascript; charset=utf-8");
  r = httpGet(port_, "/reading/session/12");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<html>app</html>");
  EXPECT_EQ(httpGet(port_, "/assets/missing.js").status, 404);
  EXPECT_EQ(httpGet(port_, "/.secret").status, 400);
  EXPECT_EQ(httpGet(port_, "/assets/%2e%2e/%2e%2e/etc/passwd").status, 400);
  EXPECT_EQ(httpGet(port_, "/assets/..%2F..%2Fetc").status, 400);
  r = httpGet(port_, "/api/unknown");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(parseBody(r)["error"].is_string());
}

class HttpRestTest : public HttpTest {};

TEST_F(HttpRestTest, ExamShowsViewsAndMissingOnes) {
  auto views = fourViews("1");
  ASSERT_EQ(stow({dicomBytes(views[0]), dicomBytes(views[1]), dicomBytes(views[2])}).status, 200);
  json exam = getJson("/api/exams/" + views[0].study_uid);
  EXPECT_EQ(exam["study_uid"], views[0].study_uid);
  EXPECT_EQ(exam["status"], "incomplete");
  EXPECT_EQ(exam["missing"], json::array({"LMLO"}));
  EXPECT_EQ(exam["views"].size(), 3u);
  ASSERT_TRUE(exam["woman"].is_object());

  ASSERT_EQ(stow({dicomBytes(views[3])}).status, 200);
  exam = getJson("/api/exams/" + views[0].study_uid);
  EXPECT_EQ(exam["status"], "complete");
  EXPECT_TRUE(exam["missing"].empty());
  EXPECT_EQ(exam["images"].size(), 4u);

  json list = getJson("/api/exams?status=complete");
  EXPECT_EQ(list["total"], 1);
  EXPECT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(getJson("/api/exams?status=incomplete")["total"], 0);
  EXPECT_EQ(getJson("/api/exams?limit=1&offset=0")["items"].size(), 1u);

  const int64_t woman = exam["woman"]["id"];
  json mine = getJson("/api/women/" + std::to_string(woman) + "/exams");
  EXPECT_EQ(mine["exams"].size(), 1u);
  EXPECT_EQ(mine["woman"]["ins"], views[0].ins);

  json stats = getJson("/api/stats");
  EXPECT_EQ(stats["index"]["instances"], 4);
  EXPECT_EQ(stats["ingest"]["stored"], 4);
  EXPECT_EQ(getJson("/api/quarantine")["items"].size(), 0u);
}

TEST_F(HttpRestTest, BadOrUnknownResourcesAreSentences) {
  struct Case {
    const char* target;
    int status;
  } cases[] = {
      {"/api/exams/1.2.3.4", 404},      {"/api/exams/not-a-uid", 400},
      {"/api/exams?status=bogus", 400}, {"/api/exams?limit=0", 400},
      {"/api/exams?limit=99999", 400},  {"/api/exams?color=red", 400},
      {"/api/women/abc/exams", 400},    {"/api/women/0/exams", 400},
      {"/api/women/424242/exams", 404}, {"/api/quarantine?offset=x", 400},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    auto r = httpGet(port_, c.target);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/json");
    auto body = parseBody(r);
    ASSERT_TRUE(body.is_object());
    EXPECT_TRUE(body["error"].is_string());
  }
  EXPECT_EQ(httpGet(port_, "/api/stats", {{"Accept", "text/html"}}).status, 406);
}

}  // namespace
}  // namespace dualread::testing
