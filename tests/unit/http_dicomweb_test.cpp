// DICOMweb through the real HTTP server in-process (port 0): STOW-RS outcomes, QIDO-RS filters,
// WADO-RS bit-exact retrieval, metadata, frames and bulk data, error statuses.

#include <gtest/gtest.h>

#include <set>

#include "http_test_fixture.h"

namespace dualread::testing {
namespace {

using nlohmann::json;

const std::string kStudy1 = "1.2.826.0.1.3680043.10.1011.99.1";
const std::string kStudy2 = "1.2.826.0.1.3680043.10.1011.99.2";

TestImage otherWoman() {
  TestImage t;
  t.study_uid = kStudy2;
  t.series_uid = kStudy2 + ".1";
  t.sop_uid = kStudy2 + ".1.1";
  t.patient_id = "CIM01-000002";
  t.patient_name = "DURAND^MARIE";
  t.ins = "";
  t.birth_date = "19700101";
  t.study_date = "20240315";
  t.accession = "ACC0002";
  t.seed = 9;
  return t;
}

// Expected native pixel bytes of writeTestImage(t): little-endian 16-bit values.
std::string expectedPixels(const TestImage& t) {
  std::string out;
  const size_t n = static_cast<size_t>(t.rows) * t.cols;
  for (size_t i = 0; i < n; ++i) {
    const uint16_t v = static_cast<uint16_t>((i * 7 + t.seed * 13) & 0xFFF);
    out += static_cast<char>(v & 0xFF);
    out += static_cast<char>(v >> 8);
  }
  return out;
}

std::set<std::string> studyUidsOf(const json& results) {
  std::set<std::string> out;
  for (const auto& r : results) out.insert(dicomValue(r, "0020000D").get<std::string>());
  return out;
}

class HttpDicomwebTest : public HttpTest {
 protected:
  // Stores the four views of study 1 and the one image of study 2; returns the SHA-256 of
  // every file sent, by SOP Instance UID.
  std::map<std::string, std::string> storeTwoStudies() {
    std::vector<std::string> files;
    std::map<std::string, std::string> sha;
    auto images = fourViews("1");
    images.push_back(otherWoman());
    for (const auto& t : images) {
      files.push_back(dicomBytes(t));
      sha[t.sop_uid] = sha256Hex(files.back());
    }
    auto r = stow(files);
    EXPECT_EQ(r.status, 200) << r.body;
    return sha;
  }
};

TEST_F(HttpDicomwebTest, StowStoresAndAnswersReferencedSops) {
  auto views = fourViews("1");
  std::vector<std::string> files;
  for (const auto& v : views) files.push_back(dicomBytes(v));
  auto r = stow(files);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/dicom+json");
  json body = parseBody(r);
  ASSERT_TRUE(body.contains("00081199")) << body;
  EXPECT_FALSE(body.contains("00081198"));
  ASSERT_EQ(body["00081199"]["Value"].size(), 4u);
  const json& item = body["00081199"]["Value"][0];
  EXPECT_EQ(dicomValue(item, "00081150"), UID_DigitalMammographyXRayImageStorageForPresentation);
  EXPECT_EQ(dicomValue(item, "00081155"), views[0].sop_uid);
  EXPECT_EQ(dicomValue(item, "00081190"), "http://127.0.0.1/dicomweb/studies/" + kStudy1 +
                                              "/series/" + views[0].series_uid + "/instances/" +
                                              views[0].sop_uid);
  EXPECT_EQ(dicomValue(body, "00081190"), "http://127.0.0.1/dicomweb/studies/" + kStudy1);
  EXPECT_EQ(index_->totals().instances, 4);
  EXPECT_EQ(stagingCount(), 0);

  // The same bytes again: success, no duplicate.
  r = stow({files[0]});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(index_->totals().instances, 4);
  EXPECT_EQ(blobCount(), 4);
}

TEST_F(HttpDicomwebTest, StowConflictMismatchAndPartialSuccess) {
  auto views = fourViews("1");
  ASSERT_EQ(stow({dicomBytes(views[0])}).status, 200);

  // Same SOP Instance UID, other pixels: conflict, quarantined, 409 with reason 0x0111.
  TestImage changed = views[0];
  changed.seed = 77;
  auto r = stow({dicomBytes(changed)});
  ASSERT_EQ(r.status, 409) << r.body;
  json body = parseBody(r);
  ASSERT_TRUE(body.contains("00081198"));
  EXPECT_EQ(dicomValue(body["00081198"]["Value"][0], "00081197"), 0x0111);
  EXPECT_EQ(dicomValue(body["00081198"]["Value"][0], "00081155"), views[0].sop_uid);
  ASSERT_EQ(r.all("warning").size(), 1u);
  EXPECT_EQ(r.all("warning")[0].rfind("299 dualread \"part 1", 0), 0u) << r.all("warning")[0];
  EXPECT_EQ(getJson("/api/quarantine")["items"].size(), 1u);

  // Study in the URL, instance of another study: 0xA900, nothing stored.
  const int before = blobCount();
  r = stow({dicomBytes(otherWoman())}, "/dicomweb/studies/" + kStudy1);
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(dicomValue(parseBody(r)["00081198"]["Value"][0], "00081197"), 0xA900);
  EXPECT_EQ(blobCount(), before);
  InstanceRow row;
  EXPECT_FALSE(index_->findInstance(otherWoman().sop_uid, row));

  // One good, one not DICOM: 202, the good one stored.
  r = stow({dicomBytes(views[1]), "hello, not DICOM"}, "/dicomweb/studies/" + kStudy1);
  ASSERT_EQ(r.status, 202) << r.body;
  body = parseBody(r);
  EXPECT_EQ(body["00081199"]["Value"].size(), 1u);
  EXPECT_EQ(dicomValue(body["00081198"]["Value"][0], "00081197"), 0xC000);
  EXPECT_TRUE(index_->findInstance(views[1].sop_uid, row));
  EXPECT_EQ(stagingCount(), 0);
}

TEST_F(HttpDicomwebTest, StowRefusesBadInputAndStoresNothing) {
  const std::string good = dicomBytes(fourViews("1")[0]);
  struct Case {
    const char* name;
    std::string content_type;
    std::string body;
    int status;
    int reason;  // FailureReason expected in FailedSOPSequence, 0 = no DICOM JSON body
  } cases[] = {
      {"JSON instead of multipart", "application/json", "{}", 415, 0},
      {"metadata+bulk STOW", "multipart/related; type=\"application/dicom+json\"; boundary=b",
       multipartBody({"{}"}, "b", "application/dicom+json"), 415, 0},
      {"no boundary", "multipart/related; type=\"application/dicom\"", "--b\r\n\r\nx\r\n--b--", 400,
       0},
      {"unclosed multipart", "multipart/related; type=\"application/dicom\"; boundary=b",
       "--b\r\nContent-Type: application/dicom\r\n\r\n" + good, 400, 0},
      {"wrong boundary", "multipart/related; type=\"application/dicom\"; boundary=zzz",
       multipartBody({good}, "b"), 400, 0},
      {"empty body", "multipart/related; type=\"application/dicom\"; boundary=b", "", 400, 0},
      {"no parts", "multipart/related; type=\"application/dicom\"; boundary=b", "--b--\r\n", 400,
       0},
      {"not DICOM", "multipart/related; type=\"application/dicom\"; boundary=b",
       multipartBody({"just text"}, "b"), 409, 0xC000},
      {"truncated DICOM", "multipart/related; boundary=b",
       multipartBody({good.substr(0, good.size() - 700)}, "b"), 409, 0xC000},
      {"DICOM header only", "multipart/related; boundary=b",
       multipartBody({good.substr(0, 140)}, "b"), 409, 0xC000},
      {"part of another type", "multipart/related; boundary=b",
       multipartBody({good}, "b", "text/plain"), 409, 0xC000},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r =
        httpRequest(port_, "POST", "/dicomweb/studies", {{"Content-Type", c.content_type}}, c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    json body = parseBody(r);
    if (c.reason) {
      ASSERT_TRUE(body.contains("00081198")) << r.body;
      EXPECT_EQ(dicomValue(body["00081198"]["Value"][0], "00081197"), c.reason);
      EXPECT_FALSE(r.all("warning").empty());
    } else {
      ASSERT_TRUE(body.is_object()) << r.body;
      EXPECT_TRUE(body["error"].is_string()) << r.body;
      EXPECT_GT(body["error"].get<std::string>().size(), 20u);
    }
    EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
    EXPECT_EQ(index_->totals().instances, 0);
    EXPECT_EQ(index_->totals().quarantined, 0);
    EXPECT_EQ(blobCount(), 0);
    EXPECT_EQ(stagingCount(), 0);
  }
}

TEST_F(HttpDicomwebTest, StowRefusesUnsupportedSopClass) {
  TestImage ct = fourViews("1")[0];
  ct.sop_class = UID_CTImageStorage;
  auto r = stow({dicomBytes(ct)});
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(dicomValue(parseBody(r)["00081198"]["Value"][0], "00081197"), 0x0122);
  EXPECT_NE(r.header("warning").find("SOP Class"), std::string::npos) << r.header("warning");
  EXPECT_EQ(blobCount(), 0);
}

TEST_F(HttpDicomwebTest, StowWithExpectContinueAndChunkedUpload) {
  const std::string file = dicomBytes(fourViews("1")[0]);
  const std::string body = multipartBody({file}, "cb");
  // Expect: 100-continue, the body sent only after the interim response.
  {
    TestConnection c(port_);
    c.sendAll(
        "POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; "
        "type=\"application/dicom\"; boundary=cb\r\nExpect: 100-continue\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n");
    auto interim = c.readResponse();
    ASSERT_EQ(interim.status, 100);
    c.sendAll(body);
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 200) << r.body;
  }
  // Chunked transfer encoding, in odd-sized chunks.
  {
    TestConnection c(port_);
    std::string req =
        "POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; "
        "type=\"application/dicom\"; boundary=cb\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n";
    for (size_t i = 0; i < body.size(); i += 333) {
      const std::string piece = body.substr(i, 333);
      char size[16];
      std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      req += size + piece + "\r\n";
    }
    req += "0\r\n\r\n";
    c.sendAll(req);
    auto r = c.readResponse();
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(index_->totals().instances, 1);
}

TEST_F(HttpDicomwebTest, QidoStudiesByPatientNameDateUidsAndPaging) {
  storeTwoStudies();
  json all = getJson("/dicomweb/studies");
  ASSERT_EQ(all.size(), 2u);
  const json* s1 = nullptr;
  for (const auto& s : all)
    if (dicomValue(s, "0020000D") == kStudy1) s1 = &s;
  ASSERT_NE(s1, nullptr);
  EXPECT_EQ(dicomValue(*s1, "00100010")["Alphabetic"], "MARTIN^CLAIRE");
  EXPECT_EQ(dicomValue(*s1, "00100020"), "CIM01-000001");
  EXPECT_EQ(dicomValue(*s1, "00080020"), "20260110");
  EXPECT_EQ(dicomValue(*s1, "00080050"), "ACC0001");
  EXPECT_EQ(dicomValue(*s1, "00080061"), "MG");
  EXPECT_EQ(dicomValue(*s1, "00201206"), 4);
  EXPECT_EQ(dicomValue(*s1, "00201208"), 4);
  EXPECT_EQ((*s1)["00100010"]["vr"], "PN");
  EXPECT_EQ(dicomValue(*s1, "00081190"), "http://127.0.0.1/dicomweb/studies/" + kStudy1);
  EXPECT_FALSE(s1->contains("00080080"));  // InstitutionName only on request

  auto uids = [&](const std::string& q) { return studyUidsOf(getJson("/dicomweb/studies?" + q)); };
  const std::set<std::string> one = {kStudy1}, two = {kStudy2}, both = {kStudy1, kStudy2},
                              none = {};
  EXPECT_EQ(uids("PatientID=CIM01-000001"), one);
  EXPECT_EQ(uids("00100020=CIM01-000002"), two);
  EXPECT_EQ(uids("PatientName=MART*"), one);
  EXPECT_EQ(uids("PatientName=mart*"), one);  // case-insensitive
  EXPECT_EQ(uids("PatientName=D?RAND*&fuzzymatching=false"), two);
  EXPECT_EQ(uids("00100010=*MARIE"), two);
  EXPECT_EQ(uids("StudyDate=20260101-20261231"), one);
  EXPECT_EQ(uids("StudyDate=-20250101"), two);
  EXPECT_EQ(uids("StudyDate=20240315"), two);
  EXPECT_EQ(uids("StudyDate=20200101-"), both);
  EXPECT_EQ(uids("StudyInstanceUID=" + kStudy1 + "," + kStudy2), both);
  EXPECT_EQ(uids("AccessionNumber=ACC0002"), two);
  EXPECT_EQ(uids("ModalitiesInStudy=MG"), both);
  EXPECT_EQ(uids("PatientBirthDate=19650412"), one);
  EXPECT_EQ(uids("PatientID=NOBODY"), none);

  // Paging: two pages of one, different studies.
  json p0 = getJson("/dicomweb/studies?limit=1&offset=0");
  json p1 = getJson("/dicomweb/studies?limit=1&offset=1");
  ASSERT_EQ(p0.size(), 1u);
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_NE(dicomValue(p0[0], "0020000D"), dicomValue(p1[0], "0020000D"));
  EXPECT_EQ(getJson("/dicomweb/studies?offset=2").size(), 0u);

  // includefield by keyword, by tag, and all.
  json inc = getJson("/dicomweb/studies?PatientID=CIM01-000001&includefield=InstitutionName");
  EXPECT_TRUE(inc[0].contains("00080080"));
  inc = getJson("/dicomweb/studies?PatientID=CIM01-000001&includefield=00100021,Manufacturer");
  EXPECT_EQ(dicomValue(inc[0], "00100021"), "CIM01");
  // An empty value asks for the attribute, even one that cannot be matched on.
  inc = getJson("/dicomweb/studies?PatientID=CIM01-000001&InstitutionName=&StudyTime=&00181000=");
  ASSERT_EQ(inc.size(), 1u);
  EXPECT_TRUE(inc[0].contains("00080080"));
  inc = getJson("/dicomweb/studies?PatientID=CIM01-000001&includefield=all");
  EXPECT_TRUE(inc[0].contains("00080080"));
  EXPECT_TRUE(inc[0].contains("00100021"));

  // Empty result: 200 and [].
  auto r = httpGet(port_, "/dicomweb/studies?PatientID=NOBODY");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[]");
  EXPECT_EQ(r.header("content-type"), "application/dicom+json");
}

TEST_F(HttpDicomwebTest, QidoSeriesAndInstances) {
  storeTwoStudies();
  auto views = fourViews("1");
  json series = getJson("/dicomweb/studies/" + kStudy1 + "/series");
  ASSERT_EQ(series.size(), 4u);
  EXPECT_EQ(dicomValue(series[0], "00080060"), "MG");
  EXPECT_EQ(dicomValue(series[0], "0020000D"), kStudy1);
  EXPECT_EQ(dicomValue(series[0], "00201209"), 1);
  EXPECT_EQ(dicomValue(series[0], "00200011"), 1);
  EXPECT_FALSE(series[0].contains("00100010"));  // in a study: no study attributes

  json by_uid =
      getJson("/dicomweb/studies/" + kStudy1 + "/series?SeriesInstanceUID=" + views[2].series_uid);
  ASSERT_EQ(by_uid.size(), 1u);
  EXPECT_EQ(dicomValue(by_uid[0], "0020000E"), views[2].series_uid);

  json all_series = getJson("/dicomweb/series?PatientName=DURAND*");
  ASSERT_EQ(all_series.size(), 1u);
  EXPECT_EQ(dicomValue(all_series[0], "0020000D"), kStudy2);
  EXPECT_EQ(dicomValue(all_series[0], "00100010")["Alphabetic"], "DURAND^MARIE");
  EXPECT_EQ(getJson("/dicomweb/series?Modality=MG").size(), 5u);
  EXPECT_EQ(getJson("/dicomweb/series?Modality=US").size(), 0u);

  json inst =
      getJson("/dicomweb/studies/" + kStudy1 + "/series/" + views[1].series_uid + "/instances");
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(dicomValue(inst[0], "00080018"), views[1].sop_uid);
  EXPECT_EQ(dicomValue(inst[0], "00080016"), UID_DigitalMammographyXRayImageStorageForPresentation);
  EXPECT_EQ(dicomValue(inst[0], "00280010"), 32);
  EXPECT_EQ(dicomValue(inst[0], "00280011"), 24);
  EXPECT_EQ(dicomValue(inst[0], "00280100"), 16);
  EXPECT_EQ(dicomValue(inst[0], "00083002"), "1.2.840.10008.1.2.1");
  EXPECT_EQ(dicomValue(inst[0], "00081190"), "http://127.0.0.1/dicomweb/studies/" + kStudy1 +
                                                 "/series/" + views[1].series_uid + "/instances/" +
                                                 views[1].sop_uid);

  EXPECT_EQ(getJson("/dicomweb/studies/" + kStudy1 + "/instances").size(), 4u);
  EXPECT_EQ(getJson("/dicomweb/studies/" + kStudy1 + "/instances?Modality=MG").size(), 4u);
  json found = getJson("/dicomweb/instances?SOPInstanceUID=" + views[3].sop_uid);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(dicomValue(found[0], "00100020"), "CIM01-000001");  // study context added
  EXPECT_EQ(dicomValue(found[0], "00080060"), "MG");            // series context added
  EXPECT_EQ(getJson("/dicomweb/instances?PatientID=CIM01-000002").size(), 1u);
  EXPECT_EQ(getJson("/dicomweb/instances?StudyDate=20260110&limit=2").size(), 2u);
  EXPECT_EQ(getJson("/dicomweb/instances?SOPClassUID=1.2.840.10008.5.1.4.1.1.2").size(), 0u);
}

TEST_F(HttpDicomwebTest, QidoRefusesBadQueries) {
  const char* bad[] = {
      "/dicomweb/studies?Manufacturer=ACME",
      "/dicomweb/studies?NoSuchKey=1",
      "/dicomweb/studies?StudyDate=2024",
      "/dicomweb/studies?StudyDate=20240101-2025",
      "/dicomweb/studies?StudyInstanceUID=1.2.abc",
      "/dicomweb/studies?limit=0",
      "/dicomweb/studies?limit=x",
      "/dicomweb/studies?offset=-1",
      "/dicomweb/studies?includefield=00-10",
      "/dicomweb/studies?Modality=MG",  // series-level key at study level
      "/dicomweb/studies?PatientName=%zz",
      "/dicomweb/studies/"
      "not.a.uid"
      "/series",
  };
  for (const char* target : bad) {
    SCOPED_TRACE(target);
    auto r = httpGet(port_, target);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_TRUE(parseBody(r)["error"].is_string()) << r.body;
  }
  auto r = httpGet(port_, "/dicomweb/studies", {{"Accept", "application/dicom+xml"}});
  EXPECT_EQ(r.status, 406);
}

TEST_F(HttpDicomwebTest, WadoRetrievesStudySeriesInstanceBitExact) {
  auto sha = storeTwoStudies();
  auto views = fourViews("1");
  auto check = [&](const std::string& target, size_t expected_parts,
                   const std::string& accept = "multipart/related; type=\"application/dicom\"") {
    SCOPED_TRACE(target + " Accept: " + accept);
    auto r = httpGet(port_, target, {{"Accept", accept}});
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.header("content-type").rfind("multipart/related; type=\"application/dicom\"", 0),
              0u);
    auto parts = splitMultipart(r.header("content-type"), r.body);
    ASSERT_EQ(parts.size(), expected_parts);
    std::set<std::string> seen;
    for (const auto& p : parts) {
      EXPECT_EQ(p.headers.at("content-type"),
                "application/dicom; transfer-syntax=1.2.840.10008.1.2.1");
      const std::string h = sha256Hex(p.body);
      bool known = false;
      for (const auto& [uid, s] : sha) known = known || s == h;
      EXPECT_TRUE(known) << "a part is not bit-identical to any file sent";
      seen.insert(h);
    }
    EXPECT_EQ(seen.size(), expected_parts);
  };
  check("/dicomweb/studies/" + kStudy1, 4);
  check("/dicomweb/studies/" + kStudy1, 4, "");
  check("/dicomweb/studies/" + kStudy1, 4,
        "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
  check("/dicomweb/studies/" + kStudy1, 4,
        "multipart/related; type=application/dicom; transfer-syntax=1.2.840.10008.1.2.1");
  check("/dicomweb/studies/" + kStudy1 + "/series/" + views[2].series_uid, 1, "*/*");
  check("/dicomweb/studies/" + kStudy1 + "/series/" + views[2].series_uid + "/instances/" +
            views[2].sop_uid,
        1);
  auto r = httpGet(port_,
                   "/dicomweb/studies/" + kStudy1 + "/series/" + views[2].series_uid +
                       "/instances/" + views[2].sop_uid,
                   {{"Accept", "multipart/related; type=\"application/dicom\""}});
  auto parts = splitMultipart(r.header("content-type"), r.body);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(sha256Hex(parts[0].body), sha[views[2].sop_uid]);

  // Unacceptable media types and transfer syntaxes.
  for (const char* accept : {"application/dicom+xml", "application/dicom",
                             "multipart/related; type=\"application/octet-stream\"",
                             "multipart/related; type=\"application/dicom\"; "
                             "transfer-syntax=1.2.840.10008.1.2.4.80"}) {
    SCOPED_TRACE(accept);
    auto bad = httpGet(port_, "/dicomweb/studies/" + kStudy1, {{"Accept", accept}});
    EXPECT_EQ(bad.status, 406) << bad.body;
    EXPECT_TRUE(parseBody(bad)["error"].is_string());
  }
}

TEST_F(HttpDicomwebTest, WadoNotFoundAndBadPaths) {
  storeTwoStudies();
  auto views = fourViews("1");
  struct Case {
    std::string target;
    int status;
  } cases[] = {
      {"/dicomweb/studies/1.2.3", 404},
      {"/dicomweb/studies/1.2.3/metadata", 404},
      {"/dicomweb/studies/" + kStudy1 + "/series/1.2.3", 404},
      {"/dicomweb/studies/" + kStudy2 + "/series/" + views[0].series_uid + "/instances/" +
           views[0].sop_uid,
       404},  // instance exists, but not in that study
      {"/dicomweb/studies/abc", 400},
      {"/dicomweb/studies/1.2.3%2F..%2F..%2Fetc", 400},
      {"/dicomweb/studies/..", 400},
      {"/dicomweb/studies/01.2", 400},
      {"/dicomweb/studies/" + std::string(70, '1'), 400},
      {"/dicomweb/nothing", 404},
      {"/no/such/thing", 404},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    auto r = httpGet(port_, c.target);
    EXPECT_EQ(r.status, c.status) << r.body;
    auto body = parseBody(r);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_TRUE(body["error"].is_string());
  }
  auto r = httpRequest(port_, "DELETE", "/dicomweb/studies");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "GET, POST");
}

TEST_F(HttpDicomwebTest, MetadataIsDicomJsonWithBulkDataUris) {
  storeTwoStudies();
  auto views = fourViews("1");
  const std::string instance_path = "/dicomweb/studies/" + kStudy1 + "/series/" +
                                    views[0].series_uid + "/instances/" + views[0].sop_uid;
  auto r = httpGet(port_, instance_path + "/metadata", {{"Accept", "application/dicom+json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/dicom+json");
  json md = parseBody(r);
  ASSERT_TRUE(md.is_array());
  ASSERT_EQ(md.size(), 1u);
  const json& m = md[0];
  EXPECT_EQ(dicomValue(m, "00080018"), views[0].sop_uid);
  EXPECT_EQ(m["00080018"]["vr"], "UI");
  EXPECT_EQ(dicomValue(m, "00100010")["Alphabetic"], "MARTIN^CLAIRE");
  EXPECT_EQ(dicomValue(m, "00280010"), 32);
  EXPECT_EQ(m["00280010"]["vr"], "US");
  EXPECT_EQ(dicomValue(m, "00200013"), 1);  // IS as a number
  EXPECT_EQ(dicomValue(m, "00080005"), "ISO_IR 192");
  EXPECT_EQ(m["00101002"]["vr"], "SQ");  // OtherPatientIDsSequence
  EXPECT_EQ(dicomValue(m["00101002"]["Value"][0], "00100020"), views[0].ins);
  EXPECT_FALSE(m.contains("00020010"));  // no file meta information
  ASSERT_TRUE(m.contains("7FE00010"));
  EXPECT_FALSE(m["7FE00010"].contains("InlineBinary"));
  const std::string uri = m["7FE00010"]["BulkDataURI"];
  EXPECT_EQ(uri, "http://127.0.0.1" + instance_path + "/bulkdata/7FE00010");
  for (const auto& [tag, attr] : m.items()) {
    EXPECT_EQ(tag.size(), 8u);
    EXPECT_TRUE(attr.contains("vr")) << tag;
  }

  // The bulk data URI gives the pixel data.
  r = httpGet(port_, uri.substr(std::string("http://127.0.0.1").size()),
              {{"Accept", "multipart/related; type=\"application/octet-stream\""}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto parts = splitMultipart(r.header("content-type"), r.body);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].body, expectedPixels(views[0]));
  r = httpGet(port_, instance_path + "/bulkdata/7FE00010",
              {{"Accept", "application/octet-stream"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, expectedPixels(views[0]));
  EXPECT_EQ(httpGet(port_, instance_path + "/bulkdata/00100010").status, 404);
  EXPECT_EQ(httpGet(port_, instance_path + "/bulkdata/xyz").status, 400);

  EXPECT_EQ(getJson("/dicomweb/studies/" + kStudy1 + "/metadata").size(), 4u);
  EXPECT_EQ(getJson("/dicomweb/studies/" + kStudy1 + "/series/" + views[0].series_uid + "/metadata")
                .size(),
            1u);
  EXPECT_EQ(
      httpGet(port_, instance_path + "/metadata", {{"Accept", "application/dicom+xml"}}).status,
      406);
}

TEST_F(HttpDicomwebTest, FramesOfAnUncompressedImage) {
  storeTwoStudies();
  auto views = fourViews("1");
  const std::string instance_path = "/dicomweb/studies/" + kStudy1 + "/series/" +
                                    views[3].series_uid + "/instances/" + views[3].sop_uid;
  for (const char* accept :
       {"multipart/related; type=\"application/octet-stream\"; transfer-syntax=*",
        "multipart/related; type=application/octet-stream",
        "multipart/related; type=\"application/octet-stream\"; "
        "transfer-syntax=1.2.840.10008.1.2.1",
        "*/*", ""}) {
    SCOPED_TRACE(accept);
    auto r = httpGet(port_, instance_path + "/frames/1", {{"Accept", accept}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(
        r.header("content-type").rfind("multipart/related; type=\"application/octet-stream\"", 0),
        0u);
    auto parts = splitMultipart(r.header("content-type"), r.body);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].headers.at("content-type"),
              "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1");
    EXPECT_EQ(parts[0].body.size(), 32u * 24u * 2u);
    EXPECT_EQ(parts[0].body, expectedPixels(views[3]));
  }
  auto r = httpGet(port_, instance_path + "/frames/1,1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(splitMultipart(r.header("content-type"), r.body).size(), 2u);
  EXPECT_EQ(httpGet(port_, instance_path + "/frames/2").status, 404);
  EXPECT_EQ(httpGet(port_, instance_path + "/frames/0").status, 400);
  EXPECT_EQ(httpGet(port_, instance_path + "/frames/one").status, 400);
  EXPECT_EQ(httpGet(port_, instance_path + "/frames/1",
                    {{"Accept", "multipart/related; type=\"image/jls\""}})
                .status,
            406);
}

TEST_F(HttpDicomwebTest, ReducedFrameForTheConsole) {
  storeTwoStudies();
  auto views = fourViews("1");
  const TestImage& t = views[3];
  const std::string path = "/dicomweb/studies/" + kStudy1 + "/series/" + t.series_uid +
                           "/instances/" + t.sop_uid + "/frames/1/reduced";
  // 32 rows x 24 columns in a 10 x 10 viewport: k = max(24 / 10, 32 / 10) = 3 -> 11 x 8.
  auto r = httpGet(port_, path + "?viewport=10,10");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  EXPECT_EQ(r.header("x-dualread-rows"), "11");
  EXPECT_EQ(r.header("x-dualread-columns"), "8");
  EXPECT_EQ(r.header("x-dualread-factor"), "3");
  EXPECT_EQ(r.header("x-dualread-bits-allocated"), "16");
  const std::string full = expectedPixels(t);
  auto at = [&](const std::string& px, size_t i) {
    return static_cast<int>(static_cast<uint8_t>(px[2 * i]) | static_cast<uint8_t>(px[2 * i + 1])
                                                                  << 8);
  };
  ASSERT_EQ(r.body.size(), 11u * 8u * 2u);
  for (uint32_t orow = 0; orow < 11; ++orow)
    for (uint32_t ocol = 0; ocol < 8; ++ocol) {
      int64_t sum = 0, n = 0;
      for (uint32_t row = orow * 3; row < std::min(32u, orow * 3 + 3); ++row)
        for (uint32_t col = ocol * 3; col < ocol * 3 + 3; ++col, ++n)
          sum += at(full, row * 24 + col);
      EXPECT_EQ(at(r.body, orow * 8 + ocol), (2 * sum + n) / (2 * n)) << orow << "," << ocol;
    }
  // A viewport as large as the image: the frame itself.
  r = httpGet(port_, path + "?viewport=1920,1080");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-dualread-factor"), "1");
  EXPECT_EQ(r.body, full);
  // Bad requests get a sentence; nothing else changes.
  for (const char* bad : {"", "?viewport=", "?viewport=10", "?viewport=0,10", "?viewport=10,x",
                          "?viewport=20000,10", "?viewport=10,10&size=2"}) {
    SCOPED_TRACE(bad);
    r = httpGet(port_, path + bad);
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(json::parse(r.body).contains("error")) << r.body;
  }
  const std::string instance =
      "/dicomweb/studies/" + kStudy1 + "/series/" + t.series_uid + "/instances/" + t.sop_uid;
  EXPECT_EQ(httpGet(port_, instance + "/frames/1,2/reduced?viewport=10,10").status, 400);
  EXPECT_EQ(httpGet(port_, instance + "/frames/2/reduced?viewport=10,10").status, 404);
  EXPECT_EQ(httpGet(port_, "/dicomweb/studies/" + kStudy1 + "/series/" + t.series_uid +
                               "/instances/1.2.3.999/frames/1/reduced?viewport=10,10")
                .status,
            404);
}

}  // namespace
}  // namespace dualread::testing
