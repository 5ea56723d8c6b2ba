// The portal API with access control on: a woman sees her own letters and images and nothing of
// another woman (her letters, her images, a letter to her doctor are refused with 403 and the
// attempts recorded); a doctor sees the women who named her, the letters addressed to her and
// their images, and loses them when the woman no longer names her; every read is audited with
// its woman; a share link opened by a browser gets the web app's page without a use counted.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "access_fixture.h"
#include "storage/durable_file.h"

namespace dualread::testing {
namespace {

using nlohmann::json;

class HttpPortalTest : public AccessHttpTest {
 protected:
  void configureAccess(HubConfig& c) override {
    c.static_dir = dir_ / "web";
    std::filesystem::create_directories(c.static_dir);
    std::ofstream(c.static_dir / "index.html") << "<!doctype html><title>dualread</title>";
  }

  void SetUp() override {
    AccessHttpTest::SetUp();
    // One print run: woman A's letter to her and to her doctor (doc), and to a doctor she did
    // not name (doc2); woman B's letter to her.
    PrintRunRow run;
    run.id = "R20260110-1";
    run.created_at = "2026-01-10T09:00:00Z";
    run.actor = "sec";
    std::vector<LetterRow> rows;
    auto add = [&](const std::string& n, const std::string& exam, const std::string& woman,
                   const std::string& recipient) {
      LetterRow l;
      l.id = run.id + "-0000" + n;
      l.run_id = run.id;
      l.dedupe_key = exam + "/negative_result/" + recipient;
      l.exam_id = exam;
      l.woman_id = woman;
      l.kind = "negative_result";
      l.recipient = recipient;
      l.file = "letters/" + run.id + "/" + l.id + ".pdf";
      writeFileDurably(dir_ / l.file, "%PDF-1.4 letter " + l.id + "\n%%EOF\n");
      l.pages = 1;
      l.created_at = run.created_at;
      rows.push_back(l);
      return l.id;
    };
    letter_a_ = add("1", kStudyA, woman_a_, "woman");
    letter_a_doc_ = add("2", kStudyA, woman_a_, "doctor:10000000009");
    letter_a_doc2_ = add("3", kStudyA, woman_a_, "doctor:10000000008");
    letter_b_ = add("4", kStudyB, woman_b_, "woman");
    run.letters = static_cast<int64_t>(rows.size());
    letter_store_->recordRun(run, rows);
  }

  std::vector<AuditEvent> auditOf(const std::string& action) {
    AuditQuery q;
    q.limit = 1000;
    std::vector<AuditEvent> out;
    for (auto& e : audit_->query(q))
      if (e.action == action) out.push_back(e);
    return out;
  }

  std::string letter_a_, letter_a_doc_, letter_a_doc2_, letter_b_;
  const std::string kImageA = kStudyA + ".0.1";
  const std::string kImageB = kStudyB + ".0.1";
};

TEST_F(HttpPortalTest, WomanSeesHerOwnLettersAndImagesOnly) {
  const Caller woman = loginAs("woman");
  auto r = httpGet(port_, "/api/portal/documents", woman.headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("cache-control"), "no-store");
  const json d = json::parse(r.body);
  EXPECT_EQ(d["role"], "woman");
  EXPECT_EQ(d["woman"]["id"], woman_a_);
  ASSERT_EQ(d["letters"].size(), 1u) << d.dump();
  EXPECT_EQ(d["letters"][0]["id"], letter_a_);
  EXPECT_EQ(d["letters"][0]["url"], "/api/portal/letters/" + letter_a_ + "/pdf");
  ASSERT_EQ(d["exams"].size(), 1u);
  EXPECT_EQ(d["exams"][0]["study_uid"], kStudyA);
  ASSERT_EQ(d["exams"][0]["images"].size(), 1u);
  EXPECT_EQ(d["exams"][0]["images"][0]["url"], "/api/portal/images/" + kImageA);
  // Nothing of woman B, nor the letters to doctors.
  EXPECT_EQ(r.body.find(kStudyB), std::string::npos);
  EXPECT_EQ(r.body.find(letter_b_), std::string::npos);
  EXPECT_EQ(r.body.find(letter_a_doc_), std::string::npos);
  const auto read = auditOf("portal.documents");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].woman_id, woman_a_);
  EXPECT_EQ(read[0].actor, "woman:" + woman_a_);

  HeaderList pdf = woman.headers;
  pdf.emplace_back("Accept", "application/pdf");
  r = httpGet(port_, "/api/portal/letters/" + letter_a_ + "/pdf", pdf);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/pdf");
  EXPECT_EQ(r.body, "%PDF-1.4 letter " + letter_a_ + "\n%%EOF\n");
  r = httpGet(port_, "/api/portal/images/" + kImageA, woman.headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/dicom");
  EXPECT_EQ(r.body.substr(128, 4), "DICM");
  ASSERT_EQ(auditOf("portal.letter").size(), 1u);
  EXPECT_EQ(auditOf("portal.letter")[0].woman_id, woman_a_);
  ASSERT_EQ(auditOf("portal.image").size(), 1u);
  EXPECT_EQ(auditOf("portal.image")[0].object_id, kImageA);
}

TEST_F(HttpPortalTest, WomanIsRefusedAnotherWomansLetterImageAndHerDoctorsLetter) {
  const Caller woman = loginAs("woman");
  HeaderList pdf = woman.headers;
  pdf.emplace_back("Accept", "application/pdf");
  auto r = httpGet(port_, "/api/portal/letters/" + letter_b_ + "/pdf", pdf);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("not addressed to you"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("PDF"), std::string::npos);
  EXPECT_EQ(httpGet(port_, "/api/portal/letters/" + letter_a_doc_ + "/pdf", pdf).status, 403);
  r = httpGet(port_, "/api/portal/images/" + kImageB, woman.headers);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("not of your exams"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("DICM"), std::string::npos);
  // The attempts are on the record, with the woman they were about.
  const auto refused = auditOf("portal.refused");
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_EQ(refused[0].woman_id, woman_b_);
  EXPECT_EQ(refused[0].object_id, letter_b_);
  EXPECT_EQ(refused[2].woman_id, woman_b_);
  EXPECT_EQ(refused[2].object_id, kImageB);
  EXPECT_TRUE(auditOf("portal.letter").empty());
  EXPECT_TRUE(auditOf("portal.image").empty());
  // Unknown and malformed ids.
  EXPECT_EQ(httpGet(port_, "/api/portal/letters/R20990101-1-00001/pdf", pdf).status, 404);
  EXPECT_EQ(httpGet(port_, "/api/portal/letters/..%2Fx/pdf", pdf).status, 400);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/1.2.3.999", woman.headers).status, 404);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/not-a-uid", woman.headers).status, 400);
  EXPECT_EQ(httpGet(port_, "/api/portal/documents?woman=" + woman_b_, woman.headers).status, 400);
  // The staff's letter route stays closed to her.
  EXPECT_EQ(httpGet(port_, "/api/letters/" + letter_a_ + "/pdf", pdf).status, 403);
  // Without a session: 401.
  EXPECT_EQ(httpGet(port_, "/api/portal/documents").status, 401);
}

TEST_F(HttpPortalTest, DoctorSeesTheWomenWhoNamedHerAndTheLettersToHer) {
  const Caller doc = loginAs("doc");
  auto r = httpGet(port_, "/api/portal/documents", doc.headers);
  ASSERT_EQ(r.status, 200) << r.body;
  const json d = json::parse(r.body);
  EXPECT_EQ(d["role"], "doctor");
  EXPECT_EQ(d["rpps"], "10000000009");
  ASSERT_EQ(d["women"].size(), 1u);
  EXPECT_EQ(d["women"][0]["woman"]["id"], woman_a_);
  ASSERT_EQ(d["women"][0]["letters"].size(), 1u);
  EXPECT_EQ(d["women"][0]["letters"][0]["id"], letter_a_doc_);
  EXPECT_EQ(d["women"][0]["exams"][0]["study_uid"], kStudyA);
  EXPECT_EQ(r.body.find(kStudyB), std::string::npos);
  HeaderList pdf = doc.headers;
  pdf.emplace_back("Accept", "application/pdf");
  EXPECT_EQ(httpGet(port_, "/api/portal/letters/" + letter_a_doc_ + "/pdf", pdf).status, 200);
  EXPECT_EQ(httpGet(port_, "/api/portal/letters/" + letter_a_ + "/pdf", pdf).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/portal/letters/" + letter_a_doc2_ + "/pdf", pdf).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageA, doc.headers).status, 200);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageB, doc.headers).status, 403);

  // Another doctor: nobody named her, she reaches nothing of woman A.
  const Caller doc2 = loginAs("doc2");
  const json d2 = json::parse(httpGet(port_, "/api/portal/documents", doc2.headers).body);
  EXPECT_TRUE(d2["women"].empty()) << d2.dump();
  HeaderList pdf2 = doc2.headers;
  pdf2.emplace_back("Accept", "application/pdf");
  // The letter was addressed to her, but woman A does not name her: refused.
  EXPECT_EQ(httpGet(port_, "/api/portal/letters/" + letter_a_doc2_ + "/pdf", pdf2).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageA, doc2.headers).status, 403);

  // Woman A no longer names doc: doc loses her at once.
  access_->store().setNamedDoctors(woman_a_, {});
  EXPECT_TRUE(
      json::parse(httpGet(port_, "/api/portal/documents", doc.headers).body)["women"].empty());
  EXPECT_EQ(httpGet(port_, "/api/portal/letters/" + letter_a_doc_ + "/pdf", pdf).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageA, doc.headers).status, 403);
  const auto read = auditOf("portal.documents");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].actor, "doc");
  EXPECT_EQ(read[0].woman_id, woman_a_);
}

TEST_F(HttpPortalTest, ImagesAtScreenResolutionForTheirOwnersAndShareLinksOnly) {
  const Caller woman = loginAs("woman");
  const std::string reduced = "/reduced?viewport=10,10";
  // 32 x 24 in a 10 x 10 viewport: k = 3, 11 x 8 samples of 16 bits.
  auto r = httpGet(port_, "/api/portal/images/" + kImageA + reduced, woman.headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  EXPECT_EQ(r.header("x-dualread-rows"), "11");
  EXPECT_EQ(r.header("x-dualread-columns"), "8");
  EXPECT_EQ(r.header("x-dualread-factor"), "3");
  EXPECT_EQ(r.header("x-dualread-signed"), "0");
  EXPECT_EQ(r.header("x-dualread-photometric"), "MONOCHROME2");
  EXPECT_EQ(r.header("x-dualread-rescale"), "1,0");
  EXPECT_EQ(r.body.size(), 11u * 8u * 2u);
  ASSERT_EQ(auditOf("portal.image-reduced").size(), 1u);
  EXPECT_EQ(auditOf("portal.image-reduced")[0].woman_id, woman_a_);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageB + reduced, woman.headers).status, 403);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/1.2.3.999" + reduced, woman.headers).status, 404);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageA + "/reduced", woman.headers).status,
            400);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageA + reduced).status, 401);
  const Caller doc = loginAs("doc");
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageA + reduced, doc.headers).status, 200);
  EXPECT_EQ(httpGet(port_, "/api/portal/images/" + kImageB + reduced, doc.headers).status, 403);

  // A share link: its exam's images, nothing else; a malformed request costs no use.
  HeaderList post = woman.headers;
  post.emplace_back("Content-Type", "application/json");
  r = httpRequest(port_, "POST", "/api/exams/" + kStudyA + "/share-links", post, "{}");
  ASSERT_EQ(r.status, 201) << r.body;
  const json link = json::parse(r.body);
  const std::string url = link["url"].get<std::string>();
  const std::string id = link["id"].get<std::string>();
  r = httpGet(port_, url + "/instances/" + kImageA + reduced);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-dualread-factor"), "3");
  EXPECT_EQ(r.header("cache-control"), "no-store");
  EXPECT_EQ(access_->shareLink(id)->uses, 1);
  ASSERT_EQ(auditOf("share.retrieve-reduced").size(), 1u);
  EXPECT_EQ(auditOf("share.retrieve-reduced")[0].woman_id, woman_a_);
  EXPECT_EQ(httpGet(port_, url + "/instances/" + kImageB + reduced).status, 404);
  EXPECT_EQ(httpGet(port_, url + "/instances/" + kImageA + "/reduced?viewport=0,0").status, 400);
  EXPECT_EQ(access_->shareLink(id)->uses, 2);  // the refused image, not the malformed request
  EXPECT_EQ(httpGet(port_, "/share/no-such-token/instances/" + kImageA + reduced).status, 404);
}

TEST_F(HttpPortalTest, ShareLinkOpenedByABrowserGetsThePageWithoutAUse) {
  const Caller woman = loginAs("woman");
  auto r = httpRequest(
      port_, "POST", "/api/exams/" + kStudyA + "/share-links",
      [&] {
        HeaderList h = woman.headers;
        h.emplace_back("Content-Type", "application/json");
        return h;
      }(),
      "{}");
  ASSERT_EQ(r.status, 201) << r.body;
  const json link = json::parse(r.body);
  const std::string url = link["url"].get<std::string>();
  const std::string id = link["id"].get<std::string>();
  r = httpGet(port_, url, {{"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(r.body.find("<title>dualread</title>"), std::string::npos);
  EXPECT_EQ(access_->shareLink(id)->uses, 0);
  r = httpGet(port_, url, {{"Accept", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["study_uid"], kStudyA);
  EXPECT_EQ(access_->shareLink(id)->uses, 1);
  // An unknown token still answers 404 to a JSON request.
  EXPECT_EQ(httpGet(port_, "/share/no-such-token", {{"Accept", "application/json"}}).status, 404);
}

}  // namespace
}  // namespace dualread::testing
