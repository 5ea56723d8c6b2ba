// DimseServer in-process against the real DCMTK command-line tools (echoscu, storescu, findscu,
// movescu, getscu, storescp) run as subprocesses on free loopback ports.

#include "dicom/dimse_server.h"

#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <set>
#include <thread>

#include "hub_fixture.h"
#include "index/sqlite.h"
#include "storage/sha256.h"
#include "test_dicom.h"

extern char** environ;

namespace dualread::testing {
namespace {

namespace fs = std::filesystem;

uint16_t freePort() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

bool portOpen(uint16_t port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// Polls until a server accepts connections (readiness, not a fixed delay).
bool waitPort(uint16_t port, std::chrono::seconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (portOpen(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

struct ToolRun {
  int code = -1;
  std::string out;
};

ToolRun run(const std::string& cmd) {
  ToolRun r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The bytes after the Part-10 meta header: what a sender's dataset was on the wire.
std::string datasetBytes(const fs::path& p) {
  const std::string all = readFile(p);
  std::size_t pos = 132;
  while (pos + 8 <= all.size()) {
    const uint16_t group = static_cast<uint8_t>(all[pos]) | static_cast<uint8_t>(all[pos + 1]) << 8;
    if (group != 0x0002) break;
    const std::string vr = all.substr(pos + 4, 2);
    if (vr == "OB" || vr == "OW" || vr == "UN" || vr == "SQ" || vr == "UT") {
      uint32_t len = 0;
      std::memcpy(&len, all.data() + pos + 8, 4);
      pos += 12 + len;
    } else {
      uint16_t len = 0;
      std::memcpy(&len, all.data() + pos + 6, 2);
      pos += 8 + len;
    }
  }
  return all.substr(pos);
}

std::string transferSyntaxOf(const fs::path& p) {
  DcmFileFormat ff;
  if (ff.loadFile(p.c_str()).bad()) return {};
  OFString ts;
  ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, ts);
  return ts.c_str();
}

std::vector<fs::path> dicomFilesIn(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  return out;
}

// A child process (storescp) stopped at the end of the test.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  bool ok() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

class DimseServerTest : public HubFixture {
 protected:
  void configure(HubConfig& c) override {
    port_ = freePort();
    peer_port_ = freePort();
    c.dicom_port = port_;
    c.aet = "DUALREAD";
    c.dicom_max_associations = 8;
    c.remote_aes.push_back({"PEER_SCP", "127.0.0.1", peer_port_});
    c.remote_aes.push_back({"NOBODY", "127.0.0.1", freePort()});
  }
  void SetUp() override {
    HubFixture::SetUp();
    files_ = dir_ / "files";
    fs::create_directories(files_);
    server_ = std::make_unique<DimseServer>(*services_);
    server_->start();
  }
  void TearDown() override {
    server_.reset();
    HubFixture::TearDown();
  }

  std::string target() const { return "127.0.0.1 " + std::to_string(port_); }

  // Writes a test image with explicit-length sequences: the encoding storescu puts on the wire,
  // so the file's dataset bytes are exactly what the hub receives.
  fs::path write(const TestImage& t, const std::string& name) {
    fs::path p = files_ / name;
    const fs::path tmp = files_ / (name + ".tmp");
    writeTestImage(t, tmp);
    DcmFileFormat ff;
    EXPECT_TRUE(ff.loadFile(tmp.c_str()).good());
    ff.loadAllDataIntoMemory();
    EXPECT_TRUE(ff.saveFile(p.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength).good());
    fs::remove(tmp);
    return p;
  }

  // An association held open (Verification only) until release(): a sender that stays connected.
  struct HeldAssociation {
    T_ASC_Network* net = nullptr;
    T_ASC_Association* assoc = nullptr;
    bool accepted = false;
    void release() {
      if (assoc) {
        if (accepted) ASC_releaseAssociation(assoc);
        ASC_destroyAssociation(&assoc);
      }
      if (net) ASC_dropNetwork(&net);
    }
    ~HeldAssociation() { release(); }
  };
  void hold(HeldAssociation& h) {
    ASSERT_TRUE(ASC_initializeNetwork(NET_REQUESTOR, 0, 30, &h.net).good());
    T_ASC_Parameters* params = nullptr;
    ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU);
    ASC_setAPTitles(params, "HOLDER", "DUALREAD", nullptr);
    const std::string peer = "127.0.0.1:" + std::to_string(port_);
    ASC_setPresentationAddresses(params, "localhost", peer.c_str());
    const char* ts[] = {UID_LittleEndianExplicitTransferSyntax};
    ASC_addPresentationContext(params, 1, UID_VerificationSOPClass, ts, 1);
    h.accepted = ASC_requestAssociation(h.net, params, &h.assoc).good();
  }

  // A C-STORE whose command says what the caller wants, whatever the dataset says (a sender
  // storescu cannot imitate). Returns the response status, or -1 on a network failure.
  int storeRaw(const std::string& context_class, DcmDataset& dataset, const std::string& cmd_sop) {
    T_ASC_Network* net = nullptr;
    if (ASC_initializeNetwork(NET_REQUESTOR, 0, 30, &net).bad()) return -1;
    T_ASC_Parameters* params = nullptr;
    ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU);
    ASC_setAPTitles(params, "RAWSCU", "DUALREAD", nullptr);
    const std::string peer = "127.0.0.1:" + std::to_string(port_);
    ASC_setPresentationAddresses(params, "localhost", peer.c_str());
    const char* ts[] = {UID_LittleEndianExplicitTransferSyntax};
    ASC_addPresentationContext(params, 1, context_class.c_str(), ts, 1);
    T_ASC_Association* assoc = nullptr;
    int status = -1;
    if (ASC_requestAssociation(net, params, &assoc).good() &&
        ASC_countAcceptedPresentationContexts(assoc->params) == 1) {
      T_DIMSE_C_StoreRQ req;
      std::memset(&req, 0, sizeof req);
      req.MessageID = assoc->nextMsgID++;
      OFStandard::strlcpy(req.AffectedSOPClassUID, context_class.c_str(),
                          sizeof req.AffectedSOPClassUID);
      OFStandard::strlcpy(req.AffectedSOPInstanceUID, cmd_sop.c_str(),
                          sizeof req.AffectedSOPInstanceUID);
      req.DataSetType = DIMSE_DATASET_PRESENT;
      req.Priority = DIMSE_PRIORITY_MEDIUM;
      T_DIMSE_C_StoreRSP rsp;
      std::memset(&rsp, 0, sizeof rsp);
      DcmDataset* detail = nullptr;
      if (DIMSE_storeUser(assoc, 1, &req, nullptr, &dataset, nullptr, nullptr, DIMSE_BLOCKING, 0,
                          &rsp, &detail)
              .good())
        status = rsp.DimseStatus;
      delete detail;
      ASC_releaseAssociation(assoc);
    }
    if (assoc) ASC_destroyAssociation(&assoc);
    ASC_dropNetwork(&net);
    return status;
  }

  ToolRun storescu(const std::string& files, const std::string& extra = "") {
    return run("storescu -aet TESTSCU -aec DUALREAD " + extra + " " + target() + " " + files);
  }

  std::vector<fs::path> writeStudy(const std::string& suffix, const std::string& patient_id,
                                   const std::string& name, const std::string& date) {
    std::vector<fs::path> out;
    int k = 0;
    for (auto t : fourViews(suffix)) {
      t.patient_id = patient_id;
      t.patient_name = name;
      t.study_date = date;
      t.accession = "ACC" + suffix;
      t.ins.clear();
      out.push_back(write(t, "s" + suffix + "_" + std::to_string(k++) + ".dcm"));
    }
    return out;
  }

  std::string join(const std::vector<fs::path>& files) {
    std::string s;
    for (const auto& f : files) s += " " + f.string();
    return s;
  }

  uint16_t port_ = 0, peer_port_ = 0;
  fs::path files_;
  std::unique_ptr<DimseServer> server_;
};

TEST_F(DimseServerTest, EchoSucceeds) {
  ToolRun r = run("echoscu -aet TESTSCU -aec DUALREAD " + target());
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST_F(DimseServerTest, WrongCalledAeTitleIsRejected) {
  ToolRun r = run("echoscu -aet TESTSCU -aec NOT_THE_HUB " + target());
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Called AE Title Not Recognized"), std::string::npos) << r.out;
}

TEST_F(DimseServerTest, StoreValidMammogramIsIndexedWithIdenticalBytes) {
  TestImage t;
  const fs::path f = write(t, "rcc.dcm");
  ToolRun r = storescu(f.string());
  ASSERT_EQ(r.code, 0) << r.out;
  InstanceRow row;
  ASSERT_TRUE(index_->findInstance(t.sop_uid, row));
  const fs::path stored = blobs_->pathOf(row.blob_key);
  EXPECT_EQ(sha256File(stored), row.sha256);
  EXPECT_EQ(datasetBytes(stored), datasetBytes(f));
  EXPECT_EQ(row.transfer_syntax, UID_LittleEndianExplicitTransferSyntax);
}

TEST_F(DimseServerTest, SameFileTwiceSucceedsWithOneRow) {
  const fs::path f = write(TestImage{}, "rcc.dcm");
  ASSERT_EQ(storescu(f.string()).code, 0);
  ToolRun r = storescu(f.string());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(index_->totals().instances, 1);
  EXPECT_EQ(index_->totals().quarantined, 0);
}

TEST_F(DimseServerTest, SameUidOtherBytesIsRefusedAsDuplicateAndQuarantined) {
  TestImage a;
  TestImage b = a;
  b.seed = 42;
  ASSERT_EQ(storescu(write(a, "a.dcm").string()).code, 0);
  ToolRun r = storescu(write(b, "b.dcm").string(), "-d");
  EXPECT_NE(r.out.find("0x0111: Failure"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Same SOP Instance UID already stored"), std::string::npos) << r.out;
  EXPECT_EQ(index_->totals().instances, 1);
  EXPECT_EQ(index_->listQuarantine(10, 0).size(), 1u);
}

TEST_F(DimseServerTest, SopClassNotAcceptedIsRefusedAndNothingStored) {
  TestImage t;
  t.sop_class = UID_CTImageStorage;
  ToolRun r = storescu(write(t, "ct.dcm").string(), "-v");
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_EQ(index_->totals().instances, 0);
}

TEST_F(DimseServerTest, DatasetThatContradictsItsCommandIsRefused) {
  TestImage t;
  DcmFileFormat ff;
  ASSERT_TRUE(ff.loadFile(write(t, "x.dcm").c_str()).good());
  ff.loadAllDataIntoMemory();
  // SOP Instance UID of the command differs from the dataset's.
  EXPECT_EQ(storeRaw(t.sop_class, *ff.getDataset(), "1.2.3.4.5.6.7"), 0xA900);
  // Dataset of another SOP Class than its presentation context.
  EXPECT_EQ(storeRaw(UID_DigitalXRayImageStorageForPresentation, *ff.getDataset(), t.sop_uid),
            0xA900);
  EXPECT_EQ(index_->totals().instances, 0);
  // The honest version of the same exchange is stored.
  EXPECT_EQ(storeRaw(t.sop_class, *ff.getDataset(), t.sop_uid), 0x0000);
  EXPECT_EQ(index_->totals().instances, 1);
}

TEST_F(DimseServerTest, CompressedTransferSyntaxesAreStoredAsReceived) {
  TestImage t;
  const fs::path plain = write(t, "plain.dcm");
  struct Case {
    const char* tool;
    const char* ts;
    const char* propose;
  } cases[] = {{"dcmcjpls", UID_JPEGLSLosslessTransferSyntax, "-R -xt"},
               {"dcmcrle", UID_RLELosslessTransferSyntax, "-R -xr"},
               {"dcmcjpeg", UID_JPEGProcess14SV1TransferSyntax, "-R -xs"},
               {"dcmcjpeg +ee +un", UID_JPEGProcess2_4TransferSyntax, "-R -xx"},
               {"dcmcjpls +en +un", UID_JPEGLSLossyTransferSyntax, "-R -xu"}};
  int n = 0;
  for (const auto& c : cases) {
    TestImage u = t;
    u.sop_uid = t.sop_uid + "." + std::to_string(++n);
    const fs::path src = write(u, "u" + std::to_string(n) + ".dcm");
    const fs::path out = files_ / ("c" + std::to_string(n) + ".dcm");
    ToolRun conv = run(std::string(c.tool) + " " + src.string() + " " + out.string());
    ASSERT_EQ(conv.code, 0) << conv.out;
    ASSERT_EQ(transferSyntaxOf(out), c.ts);
    ToolRun r = storescu(out.string(), c.propose);
    ASSERT_EQ(r.code, 0) << c.tool << ": " << r.out;
    InstanceRow row;
    ASSERT_TRUE(index_->findInstance(u.sop_uid, row)) << c.tool;
    EXPECT_EQ(row.transfer_syntax, c.ts);
    const fs::path stored = blobs_->pathOf(row.blob_key);
    EXPECT_EQ(transferSyntaxOf(stored), c.ts);
    EXPECT_EQ(datasetBytes(stored), datasetBytes(out)) << c.tool;
  }
  (void)plain;
}

TEST_F(DimseServerTest, FindPatientAndStudyRootCountMatches) {
  auto s1 = writeStudy("1", "PAT-A", "MARTIN^CLAIRE", "20240110");
  auto s2 = writeStudy("2", "PAT-A", "MARTIN^CLAIRE", "20260110");
  auto s3 = writeStudy("3", "PAT-B", "DURAND^ANNE", "20260215");
  ASSERT_EQ(storescu(join(s1) + join(s2) + join(s3)).code, 0);
  auto countFind = [&](const std::string& model, const std::string& keys) {
    const fs::path out = dir_ / ("find" + std::to_string(std::rand()));
    fs::create_directories(out);
    ToolRun r = run("findscu -aet TESTSCU -aec DUALREAD " + model + " -X -od " + out.string() +
                    " " + keys + " " + target());
    EXPECT_EQ(r.code, 0) << r.out;
    return dicomFilesIn(out).size();
  };
  EXPECT_EQ(countFind("-P", "-k QueryRetrieveLevel=PATIENT -k PatientID=PAT-A -k PatientName"), 1u);
  EXPECT_EQ(countFind("-P", "-k QueryRetrieveLevel=PATIENT -k PatientName=MARTIN*"), 1u);
  EXPECT_EQ(countFind("-P", "-k QueryRetrieveLevel=STUDY -k PatientID=PAT-A -k StudyInstanceUID"),
            2u);
  EXPECT_EQ(countFind("-S", "-k QueryRetrieveLevel=STUDY -k PatientName=*ANNE -k StudyDate"), 1u);
  EXPECT_EQ(countFind("-S",
                      "-k QueryRetrieveLevel=STUDY -k StudyDate=20250101-20261231 "
                      "-k NumberOfStudyRelatedInstances"),
            2u);
  EXPECT_EQ(countFind("-S", "-k QueryRetrieveLevel=STUDY -k ModalitiesInStudy=US"), 0u);
  EXPECT_EQ(countFind("-S",
                      "-k QueryRetrieveLevel=SERIES "
                      "-k StudyInstanceUID=1.2.826.0.1.3680043.10.1011.99.3 -k Modality"),
            4u);
  EXPECT_EQ(countFind("-S",
                      "-k QueryRetrieveLevel=IMAGE -k StudyInstanceUID=1.2.826.0.1."
                      "3680043.10.1011.99.2 -k SOPInstanceUID -k Rows"),
            4u);

  // Only the requested keys come back, filled, with the character set.
  const fs::path out = dir_ / "find-keys";
  fs::create_directories(out);
  ToolRun r =
      run("findscu -aet TESTSCU -aec DUALREAD -S -X -od " + out.string() +
          " -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=1.2.826.0.1.3680043.10.1011.99.1"
          " -k NumberOfStudyRelatedInstances -k PatientID " +
          target());
  ASSERT_EQ(r.code, 0) << r.out;
  auto rsp = dicomFilesIn(out);
  ASSERT_EQ(rsp.size(), 1u);
  DcmFileFormat ff;
  ASSERT_TRUE(ff.loadFile(rsp[0].c_str()).good());
  OFString v;
  ff.getDataset()->findAndGetOFString(DCM_NumberOfStudyRelatedInstances, v);
  EXPECT_EQ(std::string(v.c_str()), "4");
  ff.getDataset()->findAndGetOFString(DCM_PatientID, v);
  EXPECT_EQ(std::string(v.c_str()), "PAT-A");
  ff.getDataset()->findAndGetOFString(DCM_SpecificCharacterSet, v);
  EXPECT_EQ(std::string(v.c_str()), "ISO_IR 192");
  EXPECT_FALSE(ff.getDataset()->tagExists(DCM_PatientName));
}

TEST_F(DimseServerTest, FindWithInvalidLevelFails) {
  ToolRun r =
      run("findscu -v -aet TESTSCU -aec DUALREAD -S -k QueryRetrieveLevel=PATIENT -k PatientID " +
          target());
  EXPECT_NE(r.out.find("Error: DataSetDoesNotMatchSOPClass"), std::string::npos) << r.out;
}

TEST_F(DimseServerTest, MoveStudyToStorescpGivesIdenticalDatasets) {
  auto study = writeStudy("7", "PAT-M", "MOVE^ME", "20260301");
  // One of them JPEG-LS compressed: it must travel compressed, as stored.
  const fs::path jls = files_ / "jls.dcm";
  ASSERT_EQ(run("dcmcjpls " + study[3].string() + " " + jls.string()).code, 0);
  study[3] = jls;
  ASSERT_EQ(storescu(join(study), "-xt").code, 0);

  const fs::path received = dir_ / "peer";
  fs::create_directories(received);
  Child scp({"storescp", "-aet", "PEER_SCP", "-od", received.string(), "+xa",
             std::to_string(peer_port_)});
  ASSERT_TRUE(scp.ok());
  ASSERT_TRUE(waitPort(peer_port_));
  ToolRun r =
      run("movescu -v -aet TESTSCU -aec DUALREAD -aem PEER_SCP -S -k QueryRetrieveLevel=STUDY"
          " -k StudyInstanceUID=1.2.826.0.1.3680043.10.1011.99.7 " +
          target());
  ASSERT_EQ(r.code, 0) << r.out;
  auto got = dicomFilesIn(received);
  ASSERT_EQ(got.size(), 4u) << r.out;
  std::set<std::string> want, have;
  for (const auto& f : study) want.insert(sha256Hex(datasetBytes(f)));
  for (const auto& f : got) have.insert(sha256Hex(datasetBytes(f)));
  EXPECT_EQ(want, have);
}

TEST_F(DimseServerTest, MoveToUncompressedOnlyPeerDecompresses) {
  TestImage t;
  const fs::path src = write(t, "src.dcm");
  const fs::path jls = files_ / "jls.dcm";
  ASSERT_EQ(run("dcmcjpls " + src.string() + " " + jls.string()).code, 0);
  ASSERT_EQ(storescu(jls.string(), "-xt").code, 0);
  const fs::path received = dir_ / "peer";
  fs::create_directories(received);
  Child scp({"storescp", "-aet", "PEER_SCP", "-od", received.string(),
             std::to_string(peer_port_)});  // default: uncompressed only
  ASSERT_TRUE(waitPort(peer_port_));
  ToolRun r =
      run("movescu -aet TESTSCU -aec DUALREAD -aem PEER_SCP -S -k QueryRetrieveLevel=IMAGE"
          " -k StudyInstanceUID=" +
          t.study_uid + " -k SeriesInstanceUID=" + t.series_uid +
          " -k SOPInstanceUID=" + t.sop_uid + " " + target());
  ASSERT_EQ(r.code, 0) << r.out;
  auto got = dicomFilesIn(received);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(transferSyntaxOf(got[0]), UID_LittleEndianExplicitTransferSyntax);
  // Same pixels as the original uncompressed file.
  DcmFileFormat a, b;
  ASSERT_TRUE(a.loadFile(src.c_str()).good());
  ASSERT_TRUE(b.loadFile(got[0].c_str()).good());
  const Uint16 *pa = nullptr, *pb = nullptr;
  unsigned long na = 0, nb = 0;
  ASSERT_TRUE(a.getDataset()->findAndGetUint16Array(DCM_PixelData, pa, &na).good());
  ASSERT_TRUE(b.getDataset()->findAndGetUint16Array(DCM_PixelData, pb, &nb).good());
  ASSERT_EQ(na, nb);
  EXPECT_EQ(0, std::memcmp(pa, pb, na * 2));
}

TEST_F(DimseServerTest, MoveToUnknownDestinationAnswersA801) {
  ASSERT_EQ(storescu(write(TestImage{}, "x.dcm").string()).code, 0);
  ToolRun r =
      run("movescu -v -aet TESTSCU -aec DUALREAD -aem STRANGER -S -k QueryRetrieveLevel=STUDY"
          " -k StudyInstanceUID=1.2.826.0.1.3680043.10.1011.99.1 " +
          target());
  EXPECT_NE(r.out.find("Refused: MoveDestinationUnknown"), std::string::npos) << r.out;
}

TEST_F(DimseServerTest, MoveToUnreachableDestinationFailsCleanly) {
  ASSERT_EQ(storescu(write(TestImage{}, "x.dcm").string()).code, 0);
  ToolRun r =
      run("movescu -v -aet TESTSCU -aec DUALREAD -aem NOBODY -S -k QueryRetrieveLevel=STUDY"
          " -k StudyInstanceUID=1.2.826.0.1.3680043.10.1011.99.1 " +
          target());
  EXPECT_NE(r.out.find("Refused: OutOfResourcesSubOperations"), std::string::npos) << r.out;
  // The hub still serves.
  EXPECT_EQ(run("echoscu -aet TESTSCU -aec DUALREAD " + target()).code, 0);
}

TEST_F(DimseServerTest, GetRetrievesAStudyOnTheSameAssociation) {
  auto study = writeStudy("8", "PAT-G", "GET^ME", "20260302");
  ASSERT_EQ(storescu(join(study)).code, 0);
  const fs::path out = dir_ / "got";
  fs::create_directories(out);
  ToolRun r =
      run("getscu -v -aet TESTSCU -aec DUALREAD -S -od " + out.string() +
          " -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=1.2.826.0.1.3680043.10.1011.99.8 " +
          target());
  ASSERT_EQ(r.code, 0) << r.out;
  auto got = dicomFilesIn(out);
  ASSERT_EQ(got.size(), 4u) << r.out;
  std::set<std::string> want, have;
  for (const auto& f : study) want.insert(sha256Hex(datasetBytes(f)));
  for (const auto& f : got) have.insert(sha256Hex(datasetBytes(f)));
  EXPECT_EQ(want, have);
}

TEST_F(DimseServerTest, ParallelAssociationsAllSucceed) {
  constexpr int kSenders = 6;
  std::vector<std::string> batches;
  for (int i = 0; i < kSenders; ++i)
    batches.push_back(join(writeStudy(std::to_string(100 + i), "PAT-P" + std::to_string(i),
                                      "PARALLEL^P", "20260101")));
  std::vector<std::future<ToolRun>> runs;
  for (const auto& b : batches)
    runs.push_back(std::async(std::launch::async, [this, b] { return storescu(b); }));
  for (auto& f : runs) {
    ToolRun r = f.get();
    EXPECT_EQ(r.code, 0) << r.out;
  }
  EXPECT_EQ(index_->totals().instances, kSenders * 4);
}

TEST_F(DimseServerTest, FindHonoursCancel) {
  constexpr int kImages = 30;
  TestImage t;
  for (int i = 0; i < kImages; ++i) {
    t.sop_uid = t.series_uid + "." + std::to_string(i + 1);
    t.seed = static_cast<uint16_t>(i);
    const fs::path f = files_ / "bulk.dcm";
    writeTestImage(t, f);
    ASSERT_TRUE(ingest_->ingestBytes(readFile(f), IngestSource{"TEST", "UNIT", ""}).ok());
  }
  // C-FIND-RQ immediately followed by C-CANCEL-RQ, then read what comes back.
  T_ASC_Network* net = nullptr;
  ASSERT_TRUE(ASC_initializeNetwork(NET_REQUESTOR, 0, 30, &net).good());
  T_ASC_Parameters* params = nullptr;
  ASC_createAssociationParameters(&params, ASC_DEFAULTMAXPDU);
  ASC_setAPTitles(params, "CANCELLER", "DUALREAD", nullptr);
  const std::string peer = "127.0.0.1:" + std::to_string(port_);
  ASC_setPresentationAddresses(params, "localhost", peer.c_str());
  const char* ts[] = {UID_LittleEndianExplicitTransferSyntax};
  ASC_addPresentationContext(params, 1, UID_FINDStudyRootQueryRetrieveInformationModel, ts, 1);
  T_ASC_Association* assoc = nullptr;
  ASSERT_TRUE(ASC_requestAssociation(net, params, &assoc).good());
  DcmDataset ids;
  ids.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
  ids.putAndInsertString(DCM_StudyInstanceUID, t.study_uid.c_str());
  ids.insertEmptyElement(DCM_SOPInstanceUID);
  T_DIMSE_Message req;
  std::memset(&req, 0, sizeof req);
  req.CommandField = DIMSE_C_FIND_RQ;
  req.msg.CFindRQ.MessageID = assoc->nextMsgID++;
  OFStandard::strlcpy(req.msg.CFindRQ.AffectedSOPClassUID,
                      UID_FINDStudyRootQueryRetrieveInformationModel,
                      sizeof req.msg.CFindRQ.AffectedSOPClassUID);
  req.msg.CFindRQ.Priority = DIMSE_PRIORITY_MEDIUM;
  req.msg.CFindRQ.DataSetType = DIMSE_DATASET_PRESENT;
  ASSERT_TRUE(
      DIMSE_sendMessageUsingMemoryData(assoc, 1, &req, nullptr, &ids, nullptr, nullptr).good());
  ASSERT_TRUE(DIMSE_sendCancelRequest(assoc, 1, req.msg.CFindRQ.MessageID).good());
  int pending = 0;
  DIC_US final_status = 0;
  while (true) {
    T_DIMSE_Message rsp;
    T_ASC_PresentationContextID pc = 0;
    ASSERT_TRUE(DIMSE_receiveCommand(assoc, DIMSE_BLOCKING, 0, &pc, &rsp, nullptr).good());
    ASSERT_EQ(rsp.CommandField, DIMSE_C_FIND_RSP);
    if (rsp.msg.CFindRSP.DataSetType != DIMSE_DATASET_NULL) {
      DcmDataset* d = nullptr;
      ASSERT_TRUE(
          DIMSE_receiveDataSetInMemory(assoc, DIMSE_BLOCKING, 0, &pc, &d, nullptr, nullptr).good());
      delete d;
    }
    if (rsp.msg.CFindRSP.DimseStatus != STATUS_FIND_Pending_MatchesAreContinuing) {
      final_status = rsp.msg.CFindRSP.DimseStatus;
      break;
    }
    ++pending;
  }
  ASC_releaseAssociation(assoc);
  ASC_destroyAssociation(&assoc);
  ASC_dropNetwork(&net);
  EXPECT_EQ(final_status, STATUS_FIND_Cancel_MatchingTerminatedDueToCancelRequest);
  EXPECT_LT(pending, kImages);
}

TEST_F(DimseServerTest, StopEndsAnIdleAssociationQuickly) {
  HeldAssociation held;
  hold(held);
  ASSERT_TRUE(held.accepted);
  // The sender waits for whatever comes, as a real one does, and so sees the hub's A-ABORT.
  std::thread sender([&held] {
    T_DIMSE_Message msg;
    T_ASC_PresentationContextID pc = 0;
    DIMSE_receiveCommand(held.assoc, DIMSE_BLOCKING, 0, &pc, &msg, nullptr);
    ASC_dropAssociation(held.assoc);
  });
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  sender.join();
  held.accepted = false;  // the hub aborted it
}

class DimseServerLimitTest : public DimseServerTest {
 protected:
  void configure(HubConfig& c) override {
    DimseServerTest::configure(c);
    c.dicom_max_associations = 1;
  }
};

TEST_F(DimseServerLimitTest, AssociationsBeyondTheLimitAreRejectedTransiently) {
  HeldAssociation held;
  hold(held);
  ASSERT_TRUE(held.accepted);
  ToolRun r = run("echoscu -aet TESTSCU -aec DUALREAD " + target());
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Local Limit Exceeded"), std::string::npos) << r.out;
  held.release();
  // The slot is freed once the association ends (the server notices within its poll).
  bool ok = false;
  for (int i = 0; i < 50 && !ok; ++i) {
    ok = run("echoscu -aet TESTSCU -aec DUALREAD " + target()).code == 0;
    if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ok);
}

TEST_F(DimseServerTest, StopIsQuickWithAnIdleServer) {
  ASSERT_EQ(run("echoscu -aet TESTSCU -aec DUALREAD " + target()).code, 0);
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_FALSE(portOpen(port_));
}

}  // namespace
}  // namespace dualread::testing

namespace dualread::testing {
namespace {

// C-FIND, C-GET and C-MOVE of a woman's data are recorded like HTTP reads (who, from where,
// which study, whose), before anything is sent; when the audit trail cannot be written the
// request fails with a failure status and nothing leaves.
TEST_F(DimseServerTest, QueriesAndRetrievalsAreAuditedAndFailClosed) {
  auto study = writeStudy("7", "PAT-H", "AUDIT^ME", "20260303");
  ASSERT_EQ(storescu(join(study)).code, 0);
  const std::string uid = "1.2.826.0.1.3680043.10.1011.99.7";
  const fs::path found = dir_ / "found";
  fs::create_directories(found);
  ToolRun r =
      run("findscu -aet TESTSCU -aec DUALREAD -S -X -od " + found.string() +
          " -k QueryRetrieveLevel=STUDY -k PatientName=AUDIT* -k StudyInstanceUID " + target());
  ASSERT_EQ(r.code, 0) << r.out;
  const fs::path got = dir_ / "got-audit";
  fs::create_directories(got);
  r = run("getscu -aet TESTSCU -aec DUALREAD -S -od " + got.string() +
          " -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=" + uid + " " + target());
  ASSERT_EQ(r.code, 0) << r.out;
  ASSERT_EQ(dicomFilesIn(got).size(), 4u);

  AuditQuery q;
  q.limit = 100;
  std::vector<AuditEvent> finds, gets;
  for (const auto& e : audit_->query(q)) {
    if (e.action == "dicom-find") finds.push_back(e);
    if (e.action == "dicom-get") gets.push_back(e);
  }
  ASSERT_EQ(finds.size(), 1u);
  EXPECT_EQ(finds[0].actor, "dicom:TESTSCU");
  EXPECT_EQ(finds[0].object_id, "STUDY");
  EXPECT_NE(finds[0].detail.find("PatientName"), std::string::npos);
  EXPECT_EQ(finds[0].detail.find("AUDIT"), std::string::npos);  // keys, never values
  ASSERT_EQ(gets.size(), 1u);
  EXPECT_EQ(gets[0].object_id, uid);
  EXPECT_TRUE(gets[0].woman_id.has_value());
  EXPECT_NE(gets[0].source.find("TESTSCU"), std::string::npos);

  {
    SqliteDb db((dir_ / "index.sqlite").string(), false);
    db.exec("ALTER TABLE audit_log RENAME TO audit_log_moved");
  }
  const fs::path found2 = dir_ / "found2";
  fs::create_directories(found2);
  r = run("findscu -v -aet TESTSCU -aec DUALREAD -S -X -od " + found2.string() +
          " -k QueryRetrieveLevel=STUDY -k PatientName=AUDIT* -k StudyInstanceUID " + target());
  EXPECT_NE(r.out.find("UnableToProcess"), std::string::npos) << r.out;
  EXPECT_TRUE(dicomFilesIn(found2).empty());
  const fs::path got2 = dir_ / "got-audit-2";
  fs::create_directories(got2);
  r = run("getscu -v -aet TESTSCU -aec DUALREAD -S -od " + got2.string() +
          " -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=" + uid + " " + target());
  EXPECT_TRUE(dicomFilesIn(got2).empty()) << r.out;
  EXPECT_NE(r.out.find("UnableToProcess"), std::string::npos) << r.out;
  r =
      run("movescu -v -aet TESTSCU -aec DUALREAD -aem PEER_SCP -S -k QueryRetrieveLevel=STUDY "
          "-k StudyInstanceUID=" +
          uid + " " + target());
  EXPECT_NE(r.out.find("UnableToProcess"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace dualread::testing
