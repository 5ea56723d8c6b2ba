#pragma once
// HttpTest: HubFixture plus a running HttpServer on a free loopback port, and helpers to write
// test DICOM files and send them with STOW-RS. Not thread-safe itself.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/http_server.h"
#include "http_test_client.h"
#include "hub_fixture.h"
#include "storage/sha256.h"
#include "test_dicom.h"

namespace dualread::testing {

class HttpTest : public HubFixture {
 protected:
  void SetUp() override {
    HubFixture::SetUp();
    server_ = std::make_unique<HttpServer>(*services_);
    server_->start();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
    server_.reset();
    HubFixture::TearDown();
  }

  // Writes `t` under the test directory and returns its bytes.
  std::string dicomBytes(const TestImage& t) {
    const auto path = dir_ / ("src-" + t.sop_uid + "-" + std::to_string(t.seed) + ".dcm");
    writeTestImage(t, path);
    return readFile(path);
  }

  ClientResponse stow(const std::vector<std::string>& files,
                      const std::string& path = "/dicomweb/studies") {
    const std::string boundary = "test-boundary-42";
    return httpRequest(port_, "POST", path,
                       {{"Content-Type",
                         "multipart/related; type=\"application/dicom\"; "
                         "boundary=\"" +
                             boundary + "\""},
                        {"Accept", "application/dicom+json"}},
                       multipartBody(files, boundary));
  }

  nlohmann::json parseBody(const ClientResponse& r) {
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  nlohmann::json getJson(const std::string& target, int expect = 200) {
    auto r = httpGet(port_, target);
    EXPECT_EQ(r.status, expect) << target << ": " << r.body;
    return parseBody(r);
  }

  int blobCount() {
    int n = 0;
    blobs_->forEach([&](const std::string&, uint64_t) { ++n; });
    return n;
  }
  int stagingCount() {
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir_ / "staging")) (void)e, ++n;
    return n;
  }

  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

// First value of a DICOM JSON attribute, or null.
inline nlohmann::json dicomValue(const nlohmann::json& obj, const std::string& tag) {
  if (!obj.contains(tag) || !obj[tag].contains("Value") || obj[tag]["Value"].empty())
    return nullptr;
  return obj[tag]["Value"][0];
}

}  // namespace dualread::testing
