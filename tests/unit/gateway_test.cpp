// The gateway's pieces without the network: JPEG-LS transcoding and the pixel hash, the hub's
// resumable upload receiver and manifests, the gateway's queue states, the bandwidth cap.

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "dicom/jpegls_transcoder.h"
#include "gateway/exam_actions.h"
#include "gateway/rate_limiter.h"
#include "http/gateway_status_routes.h"
#include "http/hub_client.h"
#include "hub_fixture.h"
#include "index/gateway_ledger.h"
#include "index/gateway_queue.h"
#include "services/gateway_receiver.h"
#include "storage/sha256.h"
#include "test_dicom.h"

namespace dualread {
namespace {

namespace fs = std::filesystem;
using testing::fourViews;
using testing::readFile;
using testing::writeTestImage;
using Kind = GatewayProtocolError::Kind;

TEST(JpegLsTranscoder, CopyIsLosslessAndKeepsThePixelHash) {
  const fs::path dir = testing::makeTempDir("gw-jls");
  auto t = fourViews()[0];
  t.rows = 64;
  t.cols = 48;
  writeTestImage(t, dir / "in.dcm");
  const TranscodeOutcome r = transcodeJpegLsLossless(dir / "in.dcm", dir / "out.dcm");
  ASSERT_TRUE(r.transcoded) << r.reason;
  EXPECT_EQ(r.pixel_sha256, pixelSha256(dir / "in.dcm"));
  EXPECT_EQ(r.pixel_sha256, pixelSha256(dir / "out.dcm"));
  EXPECT_NE(readFile(dir / "out.dcm").find("1.2.840.10008.1.2.4.80"), std::string::npos);
  // A second run gives the same bytes: a re-prepared instance is the same upload.
  transcodeJpegLsLossless(dir / "in.dcm", dir / "out2.dcm");
  EXPECT_EQ(sha256File(dir / "out.dcm"), sha256File(dir / "out2.dcm"));
  // Another image has another pixel hash.
  auto u = fourViews()[1];
  writeTestImage(u, dir / "other.dcm");
  EXPECT_NE(pixelSha256(dir / "other.dcm"), r.pixel_sha256);
  // A compressed input is kept as is.
  const TranscodeOutcome again = transcodeJpegLsLossless(dir / "out.dcm", dir / "out3.dcm");
  EXPECT_FALSE(again.transcoded);
  EXPECT_FALSE(fs::exists(dir / "out3.dcm"));
  EXPECT_EQ(again.pixel_sha256, r.pixel_sha256);
  // Not DICOM: a sentence, not a crash.
  std::ofstream(dir / "junk.dcm") << "not a dicom file";
  EXPECT_THROW(pixelSha256(dir / "junk.dcm"), TranscodeError);
  fs::remove_all(dir);
}

class GatewayReceiverTest : public testing::HubFixture {
 protected:
  void SetUp() override {
    HubFixture::SetUp();
    ledger_ = std::make_unique<GatewayLedger>((dir_ / "gateway-ledger.sqlite").string());
    rx_ = std::make_unique<GatewayReceiver>(*ingest_, *ledger_, dir_ / "gateway-uploads");
    // As app/Hub wires it: a JPEG-LS copy and its original are one object.
    ingest_->setOriginalResolver(
        [l = ledger_.get()](const std::string& k) { return l->originalOf(k).value_or(k); });
    src_ = testing::makeTempDir("gw-src");
  }
  void TearDown() override {
    ingest_->setOriginalResolver({});
    rx_.reset();
    ledger_.reset();
    fs::remove_all(src_);
    HubFixture::TearDown();
  }

  // An image prepared as the gateway does: JPEG-LS copy, hashes.
  struct Prepared {
    UploadRequest request;
    std::string bytes;
  };
  // The original as a modality would send it straight to the hub.
  IngestResult ingestOriginal(const testing::TestImage& t) {
    const fs::path in = src_ / (t.sop_uid + ".direct.dcm");
    writeTestImage(t, in);
    return ingest_->ingestBytes(readFile(in), IngestSource{"DIMSE", "MODALITY", "10.0.0.9"});
  }

  Prepared prepare(const testing::TestImage& t) {
    const fs::path in = src_ / (t.sop_uid + ".dcm"), out = src_ / (t.sop_uid + ".jls");
    writeTestImage(t, in);
    const TranscodeOutcome o = transcodeJpegLsLossless(in, out);
    EXPECT_TRUE(o.transcoded);
    Prepared p;
    p.bytes = readFile(out);
    p.request.cim = "CIM01";
    p.request.sop_instance_uid = t.sop_uid;
    p.request.study_instance_uid = t.study_uid;
    p.request.size = p.bytes.size();
    p.request.sha256 = sha256Hex(p.bytes);
    p.request.original_sha256 = sha256File(in);
    p.request.pixel_sha256 = o.pixel_sha256;
    p.request.transfer_syntax = "1.2.840.10008.1.2.4.80";
    return p;
  }

  // A reader over `data` that gives at most `n` bytes then breaks off like a cut link.
  static std::function<size_t(char*, size_t)> reader(const std::string& data, size_t from, size_t n,
                                                     bool cut) {
    auto pos = std::make_shared<size_t>(from);
    const size_t end = std::min(data.size(), from + n);
    return [&data, pos, end, cut](char* buf, size_t want) -> size_t {
      if (*pos >= end) {
        if (cut) throw std::runtime_error("link cut");
        return 0;
      }
      const size_t k = std::min(want, end - *pos);
      std::memcpy(buf, data.data() + *pos, k);
      *pos += k;
      return k;
    };
  }

  UploadRow upload(const Prepared& p) {
    UploadRow row = rx_->create(p.request);
    return rx_->append(row.upload_id, 0, reader(p.bytes, 0, p.bytes.size(), false), "test");
  }

  Manifest manifestOf(const std::vector<Prepared>& ps) {
    Manifest m;
    m.cim = "CIM01";
    m.study_instance_uid = ps.front().request.study_instance_uid;
    for (const auto& p : ps)
      m.instances.push_back({p.request.sop_instance_uid, p.request.sha256,
                             p.request.original_sha256, p.request.pixel_sha256});
    return m;
  }

  std::unique_ptr<GatewayLedger> ledger_;
  std::unique_ptr<GatewayReceiver> rx_;
  fs::path src_;
};

TEST_F(GatewayReceiverTest, ResumesFromTheConfirmedOffsetAfterACut) {
  auto t = fourViews()[0];
  t.rows = 256;
  t.cols = 200;
  const Prepared p = prepare(t);
  ASSERT_GT(p.bytes.size(), 4000u);
  const UploadRow created = rx_->create(p.request);
  EXPECT_EQ(created.offset, 0u);
  EXPECT_EQ(created.state, "receiving");
  // The link breaks after 3000 bytes: what arrived is kept and confirmed.
  EXPECT_THROW(rx_->append(created.upload_id, 0, reader(p.bytes, 0, 3000, true), "test"),
               std::runtime_error);
  EXPECT_EQ(rx_->status(created.upload_id).offset, 3000u);
  // Creating again is idempotent and tells the same offset.
  const UploadRow again = rx_->create(p.request);
  EXPECT_EQ(again.upload_id, created.upload_id);
  EXPECT_EQ(again.offset, 3000u);
  // A sender that restarts from 0 is told the hub's offset.
  try {
    rx_->append(created.upload_id, 0, reader(p.bytes, 0, p.bytes.size(), false), "test");
    FAIL() << "offset 0 accepted";
  } catch (const GatewayProtocolError& e) {
    EXPECT_EQ(e.kind(), Kind::kOffsetMismatch);
    EXPECT_EQ(e.offset(), 3000u);
  }
  // Resuming from 3000 completes, verifies and ingests.
  const UploadRow done =
      rx_->append(created.upload_id, 3000, reader(p.bytes, 3000, p.bytes.size(), false), "test");
  EXPECT_EQ(done.state, "stored");
  EXPECT_EQ(done.offset, p.bytes.size());
  InstanceRow row;
  ASSERT_TRUE(index_->findInstance(t.sop_uid, row));
  EXPECT_EQ(row.transfer_syntax, "1.2.840.10008.1.2.4.80");
  // Sending the same upload again is harmless.
  EXPECT_EQ(rx_->create(p.request).state, "stored");
  EXPECT_EQ(index_->totals().instances, 1);
}

TEST_F(GatewayReceiverTest, SurvivesARestartOfTheHub) {
  auto t = fourViews()[0];
  t.rows = 256;
  t.cols = 200;
  const Prepared p = prepare(t);
  const UploadRow created = rx_->create(p.request);
  EXPECT_THROW(rx_->append(created.upload_id, 0, reader(p.bytes, 0, 2000, true), "test"),
               std::runtime_error);
  // Bytes past the confirmed offset (never confirmed) are dropped by a new receiver.
  {
    std::ofstream part(dir_ / "gateway-uploads" / (created.upload_id + ".part"),
                       std::ios::app | std::ios::binary);
    part << "garbage never confirmed";
  }
  rx_ = std::make_unique<GatewayReceiver>(*ingest_, *ledger_, dir_ / "gateway-uploads");
  EXPECT_EQ(rx_->status(created.upload_id).offset, 2000u);
  const UploadRow done =
      rx_->append(created.upload_id, 2000, reader(p.bytes, 2000, p.bytes.size(), false), "test");
  EXPECT_EQ(done.state, "stored");
}

TEST_F(GatewayReceiverTest, WrongBytesAreSentAgainAndWrongPixelsRefused) {
  const auto views = fourViews();
  Prepared p = prepare(views[0]);
  // Corrupted on the way (same size, one byte flipped): restart from 0, nothing ingested.
  std::string bad = p.bytes;
  bad[bad.size() / 2] ^= 0x01;
  UploadRow row = rx_->create(p.request);
  try {
    rx_->append(row.upload_id, 0, reader(bad, 0, bad.size(), false), "test");
    FAIL() << "corrupted bytes accepted";
  } catch (const GatewayProtocolError& e) {
    EXPECT_EQ(e.kind(), Kind::kOffsetMismatch);
    EXPECT_EQ(e.offset(), 0u);
  }
  EXPECT_EQ(rx_->status(row.upload_id).offset, 0u);
  EXPECT_EQ(index_->totals().instances, 0);
  EXPECT_EQ(upload(p).state, "stored");

  // Bytes that decompress to other pixels than announced: refused, not archived.
  Prepared q = prepare(views[1]);
  q.request.pixel_sha256 = std::string(64, 'a');
  const UploadRow refused = upload(q);
  EXPECT_EQ(refused.state, "refused");
  EXPECT_NE(refused.reason.find("pixel"), std::string::npos);
  InstanceRow ignored;
  EXPECT_FALSE(index_->findInstance(views[1].sop_uid, ignored));
  // A refused upload stays refused.
  EXPECT_THROW(rx_->append(refused.upload_id, 0, reader(q.bytes, 0, q.bytes.size(), false), "t"),
               GatewayProtocolError);
}

TEST_F(GatewayReceiverTest, BadRequestsAreRefusedWithASentence) {
  Prepared p = prepare(fourViews()[0]);
  auto expectBad = [&](UploadRequest q) {
    try {
      rx_->create(q);
      FAIL() << "accepted";
    } catch (const GatewayProtocolError& e) {
      EXPECT_EQ(e.kind(), Kind::kBadRequest);
      EXPECT_GT(std::string(e.what()).size(), 10u);
    }
  };
  UploadRequest q = p.request;
  q.cim = "";
  expectBad(q);
  q = p.request;
  q.sha256 = "XYZ";
  expectBad(q);
  q = p.request;
  q.sop_instance_uid = "1..2";
  expectBad(q);
  q = p.request;
  q.size = 0;
  expectBad(q);
  EXPECT_THROW(rx_->status("0123456789abcdef0123456789abcdef"), GatewayProtocolError);
  // More bytes than declared.
  const UploadRow row = rx_->create(p.request);
  const std::string longer = p.bytes + "extra";
  try {
    rx_->append(row.upload_id, 0, reader(longer, 0, longer.size(), false), "test");
    FAIL() << "longer body accepted";
  } catch (const GatewayProtocolError& e) {
    EXPECT_EQ(e.kind(), Kind::kBadRequest);
  }
}

TEST_F(GatewayReceiverTest, ManifestAcknowledgedOnlyWhenEveryInstanceIsVerified) {
  std::vector<Prepared> ps;
  for (const auto& v : fourViews()) ps.push_back(prepare(v));
  for (size_t i = 0; i < 3; ++i) ASSERT_EQ(upload(ps[i]).state, "stored");
  ManifestOutcome o = rx_->manifest(manifestOf(ps));
  EXPECT_FALSE(o.acknowledged);
  ASSERT_EQ(o.missing.size(), 1u);
  EXPECT_EQ(o.missing[0], ps[3].request.sop_instance_uid);
  auto day = ledger_->ledger("CIM01", "", "");
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].announced_exams, 1);
  EXPECT_EQ(day[0].announced_instances, 4);
  EXPECT_EQ(day[0].received_instances, 3);
  EXPECT_EQ(day[0].acknowledged_exams, 0);

  ASSERT_EQ(upload(ps[3]).state, "stored");
  o = rx_->manifest(manifestOf(ps));
  EXPECT_TRUE(o.acknowledged);
  EXPECT_TRUE(o.complete);  // the four standard views
  EXPECT_FALSE(o.acknowledged_at.empty());
  // A manifest whose hashes disagree with what was stored is not acknowledged.
  Manifest wrong = manifestOf(ps);
  wrong.instances[0].original_sha256 = std::string(64, 'b');
  EXPECT_FALSE(rx_->manifest(wrong).acknowledged);
  EXPECT_TRUE(rx_->manifest(manifestOf(ps)).acknowledged);
  day = ledger_->ledger("", "", "");
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].announced_exams, 1);  // one exam, however many manifests
  EXPECT_EQ(day[0].received_instances, 4);
  EXPECT_EQ(day[0].acknowledged_exams, 1);
  EXPECT_EQ(day[0].complete_exams, 1);
  EXPECT_TRUE(ledger_->ledger("CIM99", "", "").empty());
  EXPECT_EQ(ledger_->exams("CIM01", day[0].day).size(), 1u);
}

TEST_F(GatewayReceiverTest, ImageTheHubHoldsWithTheSameOriginalIsStoredWithoutSendingIt) {
  const auto views = fourViews();
  // Two views reached the hub straight from the modality; the gateway sends all four.
  ASSERT_EQ(ingestOriginal(views[0]).status, IngestStatus::kStored);
  ASSERT_EQ(ingestOriginal(views[1]).status, IngestStatus::kStored);
  std::vector<Prepared> ps;
  for (const auto& v : views) ps.push_back(prepare(v));
  for (size_t i = 0; i < 2; ++i) {
    const UploadRow r = rx_->create(ps[i].request);
    EXPECT_EQ(r.state, "stored") << "no byte needs to travel";
    EXPECT_EQ(r.offset, r.size);
    EXPECT_FALSE(fs::exists(dir_ / "gateway-uploads" / (r.upload_id + ".part")));
    // Created again (a gateway restarted): the same answer.
    EXPECT_EQ(rx_->create(ps[i].request).state, "stored");
  }
  for (size_t i = 2; i < 4; ++i) ASSERT_EQ(upload(ps[i]).state, "stored");
  const ManifestOutcome o = rx_->manifest(manifestOf(ps));
  EXPECT_TRUE(o.acknowledged);
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(index_->totals().instances, 4);
  EXPECT_EQ(index_->totals().quarantined, 0);
  // The directly received originals are what the archive keeps.
  InstanceRow row;
  ASSERT_TRUE(index_->findInstance(views[0].sop_uid, row));
  EXPECT_EQ(row.sha256, ps[0].request.original_sha256);
  EXPECT_EQ(ledger_->ledger("CIM01", "", "")[0].received_instances, 4);
}

TEST_F(GatewayReceiverTest, SameImageThroughTheGatewayFirstThenDirectlyIsNoConflict) {
  const auto views = fourViews();
  const Prepared p = prepare(views[0]);
  ASSERT_EQ(upload(p).state, "stored");
  // The modality sends the uncompressed original to the hub afterwards: success, no duplicate,
  // no quarantine (the archive keeps the JPEG-LS copy it verified).
  const IngestResult again = ingestOriginal(views[0]);
  EXPECT_EQ(again.status, IngestStatus::kAlreadyStored) << again.message;
  EXPECT_EQ(index_->totals().instances, 1);
  EXPECT_EQ(index_->totals().quarantined, 0);
  // And a race: the upload is created before the original arrives directly, and completes after.
  const Prepared q = prepare(views[1]);
  const UploadRow created = rx_->create(q.request);
  ASSERT_EQ(created.state, "receiving");
  ASSERT_EQ(ingestOriginal(views[1]).status, IngestStatus::kStored);
  const UploadRow done =
      rx_->append(created.upload_id, 0, reader(q.bytes, 0, q.bytes.size(), false), "test");
  EXPECT_EQ(done.state, "stored") << done.reason;
  EXPECT_EQ(index_->totals().instances, 2);
  EXPECT_EQ(index_->totals().quarantined, 0);
}

TEST_F(GatewayReceiverTest, SameUidWithOtherContentIsARealConflictAndNothingIsStored) {
  const auto views = fourViews();
  auto other = views[0];
  other.seed = 77;  // same SOP Instance UID, other pixels
  ASSERT_EQ(ingestOriginal(other).status, IngestStatus::kStored);
  const Prepared p = prepare(views[0]);
  const UploadRow r = rx_->create(p.request);
  EXPECT_EQ(r.state, "refused");
  EXPECT_NE(r.reason.find("other content"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find(views[0].sop_uid), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("real conflict"), std::string::npos) << r.reason;
  // Nothing stored, nothing quarantined: the bytes never had to travel.
  EXPECT_EQ(index_->totals().instances, 1);
  EXPECT_EQ(index_->totals().quarantined, 0);
  EXPECT_THROW(rx_->append(r.upload_id, 0, reader(p.bytes, 0, p.bytes.size(), false), "t"),
               GatewayProtocolError);
  const ManifestOutcome o = rx_->manifest(manifestOf({p}));
  EXPECT_FALSE(o.acknowledged);
  ASSERT_EQ(o.refused.size(), 1u);
  EXPECT_NE(o.refused[0].second.find("other content"), std::string::npos);
  EXPECT_EQ(ledger_->ledger("CIM01", "", "")[0].refused_instances, 1);
  // The centre retries (nothing settled at the hub): examined afresh, refused again.
  EXPECT_EQ(rx_->create(p.request).state, "refused");
}

TEST_F(GatewayReceiverTest, RefusedUploadIsExaminedAfreshWhenTheCentreRetries) {
  Prepared q = prepare(fourViews()[1]);
  q.request.pixel_sha256 = std::string(64, 'a');
  ASSERT_EQ(upload(q).state, "refused");
  // Created again: back to receiving from byte 0, sent, checked again (and refused again: the
  // bytes still do not decompress to the announced pixels).
  const UploadRow again = rx_->create(q.request);
  EXPECT_EQ(again.state, "receiving");
  EXPECT_EQ(again.offset, 0u);
  EXPECT_EQ(rx_->status(again.upload_id).offset, 0u);
  const UploadRow refused =
      rx_->append(again.upload_id, 0, reader(q.bytes, 0, q.bytes.size(), false), "test");
  EXPECT_EQ(refused.state, "refused");
  EXPECT_NE(refused.reason.find("pixel"), std::string::npos);
}

TEST_F(GatewayReceiverTest, DismissedExamIsRecordedInTheLedgerWithItsReason) {
  std::vector<Prepared> ps;
  for (const auto& v : fourViews()) ps.push_back(prepare(v));
  ASSERT_EQ(upload(ps[0]).state, "stored");
  Manifest m = manifestOf(ps);
  m.dismissal = Dismissal{"", "Mme Durand", "2026-11-23T10:00:00Z"};
  EXPECT_THROW(rx_->manifest(m), GatewayProtocolError);  // a dismissal needs its reason
  m.dismissal->reason = "doublon envoyé par erreur";
  const ManifestOutcome o = rx_->manifest(m);
  EXPECT_TRUE(o.dismissed);
  EXPECT_FALSE(o.acknowledged);
  EXPECT_EQ(o.missing.size(), 3u);
  auto day = ledger_->ledger("CIM01", "", "");
  ASSERT_EQ(day.size(), 1u);
  EXPECT_EQ(day[0].dismissed_exams, 1);
  EXPECT_EQ(day[0].acknowledged_exams, 0);
  auto exam = ledger_->exam("CIM01", m.study_instance_uid);
  ASSERT_TRUE(exam);
  EXPECT_EQ(exam->state, "dismissed");
  EXPECT_EQ(exam->dismissed_reason, "doublon envoyé par erreur");
  EXPECT_EQ(exam->dismissed_by, "Mme Durand");
  EXPECT_EQ(exam->dismissed_at, "2026-11-23T10:00:00Z");
  EXPECT_EQ(exam->missing_count, 3);
  // A resumed upload is not news; a new image of the exam is: it is announced again.
  EXPECT_EQ(rx_->create(ps[0].request).state, "stored");
  EXPECT_EQ(ledger_->exam("CIM01", m.study_instance_uid)->state, "dismissed");
  ASSERT_EQ(upload(ps[1]).state, "stored");
  EXPECT_EQ(ledger_->exam("CIM01", m.study_instance_uid)->state, "announced");
  EXPECT_EQ(ledger_->ledger("CIM01", "", "")[0].dismissed_exams, 0);
  // Delivered: the ledger says acknowledged.
  for (size_t i = 2; i < 4; ++i) ASSERT_EQ(upload(ps[i]).state, "stored");
  EXPECT_TRUE(rx_->manifest(manifestOf(ps)).acknowledged);
  day = ledger_->ledger("CIM01", "", "");
  EXPECT_EQ(day[0].dismissed_exams, 0);
  EXPECT_EQ(day[0].acknowledged_exams, 1);
  EXPECT_TRUE(ledger_->exam("CIM01", m.study_instance_uid)->dismissed_reason.empty());
}

class GatewayQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::makeTempDir("gw-queue");
    q_ = std::make_unique<GatewayQueue>((dir_ / "gateway.sqlite").string());
  }
  void TearDown() override {
    q_.reset();
    fs::remove_all(dir_);
  }
  QueuedInstance instance(const std::string& sop, const std::string& study,
                          const std::string& key) {
    QueuedInstance i;
    i.sop_uid = sop;
    i.study_uid = study;
    i.received_at = "2026-01-01T00:00:00Z";
    i.original_key = key;
    i.original_size = 100;
    return i;
  }
  fs::path dir_;
  std::unique_ptr<GatewayQueue> q_;
};

TEST_F(GatewayQueueTest, ExamGoesFromQueuedToAcknowledged) {
  const std::string k1(64, '1'), k2(64, '2');
  EXPECT_EQ(q_->enqueue(instance("1.1", "1", k1), 1000), EnqueueOutcome::kQueued);
  EXPECT_EQ(q_->enqueue(instance("1.2", "1", k2), 2000), EnqueueOutcome::kQueued);
  EXPECT_EQ(q_->enqueue(instance("1.1", "1", k1), 2500), EnqueueOutcome::kAlreadyQueued);
  EXPECT_EQ(q_->enqueue(instance("1.1", "1", k2), 2500), EnqueueOutcome::kConflict);
  EXPECT_EQ(q_->exam("1")->state, "queued");
  while (auto p = q_->nextToPrepare()) q_->markPrepared(p->sop_uid, "", p->original_key, 100, "");
  auto a = q_->claimNextToSend(3000);
  ASSERT_TRUE(a);
  EXPECT_EQ(q_->exam("1")->state, "sending");
  // A kill -9 while sending: back to ready at start-up.
  EXPECT_EQ(q_->recoverInterrupted(), 1);
  a = q_->claimNextToSend(3000);
  auto b = q_->claimNextToSend(3000);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(q_->claimNextToSend(3000));
  q_->markSent(a->sop_uid, "t");
  q_->markRetry(b->sop_uid, "link cut", 10000);
  EXPECT_FALSE(q_->claimNextToSend(5000));  // backing off
  b = q_->claimNextToSend(10000);
  ASSERT_TRUE(b);
  q_->markSent(b->sop_uid, "t");
  EXPECT_EQ(q_->exam("1")->state, "sent");
  EXPECT_TRUE(q_->examsDueForManifest(2500, 1000).empty());  // not stable yet
  ASSERT_EQ(q_->examsDueForManifest(3500, 1000).size(), 1u);
  // The hub lacks one: it goes back to the senders.
  q_->resend({a->sop_uid});
  EXPECT_EQ(q_->exam("1")->state, "sending");
  a = q_->claimNextToSend(20000);
  ASSERT_TRUE(a);
  q_->markSent(a->sop_uid, "t");
  q_->markAcknowledged("1", "2026-01-02T00:00:00Z", 50000);
  EXPECT_EQ(q_->exam("1")->state, "acknowledged");
  EXPECT_EQ(q_->totals().exams_acknowledged, 1);
  // Nothing is removed before the retention period.
  EXPECT_TRUE(q_->purgeable(40000).empty());
  ASSERT_EQ(q_->purgeable(60000).size(), 1u);
  auto keys = q_->markPurged("1");
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_TRUE(q_->purgeable(60000).empty());
}

TEST_F(GatewayQueueTest, RefusalPutsTheExamInErrorWithItsReason) {
  q_->enqueue(instance("2.1", "2", std::string(64, '3')), 1000);
  auto p = q_->nextToPrepare();
  q_->markPrepared(p->sop_uid, "", p->original_key, 100, "");
  auto c = q_->claimNextToSend(2000);
  q_->markInstanceError(c->sop_uid, "conflict at the hub");
  auto e = q_->exam("2");
  EXPECT_EQ(e->state, "error");
  EXPECT_NE(e->reason.find("conflict at the hub"), std::string::npos);
  EXPECT_EQ(q_->totals().instances_error, 1);
  EXPECT_EQ(q_->recentErrors(5).size(), 1u);
}

TEST_F(GatewayQueueTest, RetryAndDismissAreGuardedAndJournalled) {
  q_->enqueue(instance("3.1", "3", std::string(64, '4')), 1000);
  q_->enqueue(instance("3.2", "3", std::string(64, '5')), 1000);
  while (auto p = q_->nextToPrepare()) q_->markPrepared(p->sop_uid, "", p->original_key, 100, "");
  JournalEntry e;
  e.at = "2026-11-23T10:00:00Z";
  e.study_uid = "3";
  e.reason = "conflit réglé au CRCDC";
  e.by = "Mme Durand";
  e.source = "test";
  // Neither decision on an exam still on its way.
  EXPECT_EQ(q_->dismissExam(e).status, ExamActionStatus::kWrongState);
  EXPECT_EQ(q_->retryExam(e).status, ExamActionStatus::kWrongState);
  JournalEntry unknown = e;
  unknown.study_uid = "9";
  EXPECT_EQ(q_->retryExam(unknown).status, ExamActionStatus::kNoSuchExam);
  EXPECT_TRUE(q_->journal("", 10).empty());

  auto a = q_->claimNextToSend(2000);
  ASSERT_TRUE(a);
  q_->markInstanceError(a->sop_uid, "HTTP 409: other content");
  ASSERT_EQ(q_->exam("3")->state, "error");
  // Retry: the refused image goes back to the senders, the exam leaves the error state.
  ExamActionOutcome r = q_->retryExam(e);
  EXPECT_EQ(r.status, ExamActionStatus::kDone);
  EXPECT_EQ(r.instances, 1);
  EXPECT_EQ(r.previous_state, "error");
  EXPECT_EQ(q_->exam("3")->state, "queued");
  EXPECT_EQ(q_->exam("3")->reason, "");
  auto j = q_->journal("3", 10);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0].action, "retry");
  EXPECT_EQ(j[0].reason, "conflit réglé au CRCDC");
  EXPECT_EQ(j[0].by, "Mme Durand");
  EXPECT_NE(j[0].previous_reason.find("other content"), std::string::npos);

  // Refused again; this time the technician dismisses it.
  a = q_->claimNextToSend(3000);
  ASSERT_TRUE(a);
  q_->markInstanceError(a->sop_uid, "HTTP 409: other content");
  e.reason = "examen refait sous un autre numéro";
  EXPECT_EQ(q_->dismissExam(e).status, ExamActionStatus::kDone);
  auto x = q_->exam("3");
  EXPECT_EQ(x->state, "dismissed");
  EXPECT_EQ(x->dismissal_reason, "examen refait sous un autre numéro");
  EXPECT_EQ(x->dismissed_by, "Mme Durand");
  EXPECT_EQ(q_->totals().exams_dismissed, 1);
  // Nothing more is sent for it; a late refusal or sent image does not change its state.
  EXPECT_FALSE(q_->claimNextToSend(1'000'000));
  q_->markInstanceError(a->sop_uid, "late");
  EXPECT_EQ(q_->exam("3")->state, "dismissed");
  // Its files stay until the hub recorded the dismissal, then for the retention period.
  EXPECT_TRUE(q_->purgeable(1'000'000'000).empty());
  ASSERT_EQ(q_->dismissalsToAnnounce(5000).size(), 1u);
  q_->markDismissalRecorded("3", 100'000);
  EXPECT_TRUE(q_->dismissalsToAnnounce(5000).empty());
  EXPECT_TRUE(q_->purgeable(99'999).empty());
  ASSERT_EQ(q_->purgeable(100'000).size(), 1u);
  EXPECT_EQ(q_->journal("", 10).size(), 2u);
  EXPECT_EQ(q_->journal("", 10)[0].action, "dismiss");
  // Dismissing twice is refused; retrying a dismissed exam is allowed while its files exist.
  EXPECT_EQ(q_->dismissExam(e).status, ExamActionStatus::kWrongState);
  q_->markPurged("3");
  EXPECT_EQ(q_->retryExam(e).status, ExamActionStatus::kFilesRemoved);
  EXPECT_EQ(q_->exam("3")->state, "dismissed");
  EXPECT_EQ(q_->journal("3", 10).size(), 2u);
}

TEST_F(GatewayQueueTest, ExamActionsRefuseBadInputWithASentence) {
  q_->enqueue(instance("4.1", "4", std::string(64, '6')), 1000);
  auto p = q_->nextToPrepare();
  q_->markPrepared(p->sop_uid, "", p->original_key, 100, "");
  q_->markInstanceError(q_->claimNextToSend(2000)->sop_uid, "refused");
  ExamActionRequest r{"4", "ok", "Mme Durand", "test"};
  ExamActionResult x = dismissGatewayExam(*q_, r);
  EXPECT_TRUE(x.bad_input);  // reason too short
  EXPECT_NE(x.message.find("reason"), std::string::npos);
  EXPECT_NE(x.message_fr.find("motif"), std::string::npos);
  r.reason = "doublon";
  r.by = "  ";
  EXPECT_TRUE(dismissGatewayExam(*q_, r).bad_input);
  r.by = "Mme Durand";
  r.study_uid = "4\r\nX";
  EXPECT_TRUE(retryGatewayExam(*q_, r).bad_input);
  r.study_uid = "4";
  r.reason = "line one\nline two";
  EXPECT_TRUE(retryGatewayExam(*q_, r).bad_input);
  EXPECT_TRUE(q_->journal("", 10).empty());
  EXPECT_EQ(q_->exam("4")->state, "error");
  r.reason = "  doublon  ";
  x = dismissGatewayExam(*q_, r);
  EXPECT_TRUE(x.done) << x.message;
  EXPECT_EQ(q_->journal("4", 1)[0].reason, "doublon");
  r.study_uid = "5";
  x = retryGatewayExam(*q_, r);
  EXPECT_FALSE(x.done);
  EXPECT_EQ(x.status, ExamActionStatus::kNoSuchExam);
}

TEST(GatewayStatusPageTest, DecisionsOnlyFromTheGatewayMachineItself) {
  http::HttpRequest req;
  req.peer = "127.0.0.1:50000";
  req.headers["host"] = "127.0.0.1:8081";
  EXPECT_EQ(http::statusPageDecisionRefusal(req), "");
  req.headers["origin"] = "http://127.0.0.1:8081";
  req.headers["sec-fetch-site"] = "same-origin";
  EXPECT_EQ(http::statusPageDecisionRefusal(req), "");
  req.headers["host"] = "localhost:8081";
  req.headers["origin"] = "http://localhost:8081";
  EXPECT_EQ(http::statusPageDecisionRefusal(req), "");
  // Another machine on the LAN.
  req.peer = "10.1.2.3:50000";
  EXPECT_NE(http::statusPageDecisionRefusal(req).find("127.0.0.1"), std::string::npos);
  // A web site open in the browser of the gateway machine: cross-site form, or a DNS name
  // rebound to 127.0.0.1.
  req.peer = "127.0.0.1:50000";
  req.headers["origin"] = "https://evil.example";
  EXPECT_NE(http::statusPageDecisionRefusal(req).find("autre site"), std::string::npos);
  req.headers.erase("origin");
  req.headers["sec-fetch-site"] = "cross-site";
  EXPECT_NE(http::statusPageDecisionRefusal(req), "");
  req.headers.erase("sec-fetch-site");
  req.headers["host"] = "evil.example:8081";
  EXPECT_NE(http::statusPageDecisionRefusal(req).find("inattendue"), std::string::npos);
  req.headers["host"] = "127.0.0.1.evil.example:8081";
  EXPECT_NE(http::statusPageDecisionRefusal(req), "");
  req.headers["host"] = "[::1]:8081";
  EXPECT_EQ(http::statusPageDecisionRefusal(req), "");
}

TEST(RateLimiterTest, KeepsTheAverageUnderTheCap) {
  RateLimiter r(1'000'000, 10'000);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 30; ++i) r.acquire(10'000);  // 300 kB at 1 MB/s
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(s, 0.25);
  EXPECT_LT(s, 1.0);
  RateLimiter none(0);
  none.acquire(1ull << 40);  // no cap: returns at once
}

TEST(HubClientTest, RefusesAUrlItCannotUse) {
  HubClientOptions o;
  o.base_url = "ftp://hub";
  EXPECT_THROW(HubClient{o}, std::invalid_argument);
  o.base_url = "https://hub:port";
  EXPECT_THROW(HubClient{o}, std::invalid_argument);
  o.base_url = "https://127.0.0.1:1";
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(HubClient{o}, std::invalid_argument);
  o.base_url = "http://127.0.0.1:1";
  o.ca_file.clear();
  o.connect_timeout = std::chrono::seconds(2);
  HubClient c(o);
  EXPECT_THROW(c.request("GET", "/healthz"), HubLinkError);  // nobody listens on port 1
}

}  // namespace
}  // namespace dualread
