#include <dcmtk/config/osconfig.h>  // must come first for DCMTK
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <sstream>
#include <stdexcept>

#include "dicom/synth_writer.h"
#include "domain/invitation_file.h"
#include "domain/synth_plan.h"
#include "services/synth.h"

namespace dualread {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh directory under /tmp, removed at the end of the test.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("dualread-synth-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json manifestOf(const fs::path& out) { return json::parse(slurp(out / "manifest.json")); }

// One loaded DICOM file with a few convenience getters.
class Dicom {
 public:
  explicit Dicom(const fs::path& path) {
    const OFCondition c = file_.loadFile(path.c_str());
    if (c.bad()) throw std::runtime_error("cannot load " + path.string() + ": " + c.text());
  }
  std::string get(const DcmTagKey& tag) {
    OFString value;
    file_.getDataset()->findAndGetOFStringArray(tag, value);
    return value.c_str();
  }
  bool has(const DcmTagKey& tag) { return file_.getDataset()->tagExists(tag); }
  std::string inSequence(const DcmTagKey& seq, const DcmTagKey& tag) {
    DcmItem* item = nullptr;
    if (file_.getDataset()->findAndGetSequenceItem(seq, item, 0).bad() || !item) return "";
    OFString value;
    item->findAndGetOFString(tag, value);
    return value.c_str();
  }
  DcmItem* item(const DcmTagKey& seq) {
    DcmItem* it = nullptr;
    file_.getDataset()->findAndGetSequenceItem(seq, it, 0);
    return it;
  }
  std::string pixels() {
    const Uint8* data = nullptr;
    unsigned long count = 0;
    file_.getDataset()->findAndGetUint8Array(DCM_PixelData, data, &count);
    return std::string(reinterpret_cast<const char*>(data), count);
  }

 private:
  DcmFileFormat file_;
};

SynthOptions smallOptions(const fs::path& out, uint64_t seed) {
  SynthOptions o;
  o.out = out;
  o.women = 4;
  o.rounds = 2;
  o.seed = seed;
  o.faults = synthFaultNames();
  o.fault_rate = 0.25;
  o.threads = 2;
  return o;
}

std::map<std::string, std::string> allFiles(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = slurp(e.path());
  }
  return files;
}

const json* findFile(const json& study, const std::string& sop_uid) {
  for (const auto& f : study["files"]) {
    if (f["sop_uid"] == sop_uid) return &f;
  }
  return nullptr;
}

TEST(SynthService, SameSeedGivesIdenticalBytesWhateverTheThreads) {
  TempDir a("same-a"), b("same-b"), c("other");
  auto oa = smallOptions(a.path(), 42);
  auto ob = smallOptions(b.path(), 42);
  ob.threads = 1;
  std::vector<std::string> messages;
  const SynthResult ra = runSynth(oa, [&](const std::string& m) { messages.push_back(m); });
  runSynth(ob, nullptr);
  const auto files_a = allFiles(a.path());
  const auto files_b = allFiles(b.path());
  ASSERT_EQ(files_a.size(), files_b.size());
  EXPECT_TRUE(files_a == files_b) << "same seed must give byte-identical output";
  // + manifest.json + invitations.csv
  EXPECT_EQ(files_a.size(), static_cast<size_t>(ra.files) + 2);
  // The invitation file names every woman, and `dualread import women` accepts it whole.
  const InvitationFile inv = parseInvitationFile(files_a.at("invitations.csv"));
  EXPECT_TRUE(inv.ok()) << (inv.errors.empty() ? "" : inv.errors.front().message);
  ASSERT_EQ(inv.women.size(), 4u);
  EXPECT_EQ(inv.women[0].woman.ins, manifestOf(a.path())["women"][0]["ins"]);
  EXPECT_FALSE(inv.women[0].woman.doctors.empty());
  EXPECT_FALSE(inv.women[0].woman.address.lines.empty());
  EXPECT_TRUE(inv.women[0].invited_on.has_value());
  EXPECT_EQ(ra.studies, 8);
  ASSERT_FALSE(messages.empty());
  EXPECT_NE(messages.front().find("planned 4 women"), std::string::npos) << messages.front();
  bool wrote_all = false;
  for (const auto& m : messages) {
    wrote_all |= m.find("wrote " + std::to_string(ra.files) + "/" + std::to_string(ra.files)) == 0;
  }
  EXPECT_TRUE(wrote_all);

  runSynth(smallOptions(c.path(), 43), nullptr);
  EXPECT_NE(slurp(a.path() / "manifest.json"), slurp(c.path() / "manifest.json"));
}

TEST(SynthService, ManifestDescribesEveryFile) {
  TempDir dir("manifest");
  const SynthResult r = runSynth(smallOptions(dir.path(), 5), nullptr);
  const json m = manifestOf(dir.path());
  EXPECT_EQ(m["options"]["seed"], 5);
  EXPECT_EQ(m["totals"]["studies"], r.studies);
  EXPECT_EQ(m["totals"]["files"], r.files);
  EXPECT_EQ(m["totals"]["bytes"].get<uint64_t>(), r.bytes);
  EXPECT_EQ(m["women"].size(), 4u);
  uint64_t bytes = 0;
  int files = 0;
  for (const auto& s : m["studies"]) {
    for (const auto& f : s["files"]) {
      const fs::path p = dir.path() / f["path"].get<std::string>();
      ASSERT_TRUE(fs::exists(p)) << p;
      EXPECT_EQ(fs::file_size(p), f["bytes"].get<uint64_t>());
      bytes += f["bytes"].get<uint64_t>();
      ++files;
      Dicom d(p);
      EXPECT_EQ(d.get(DCM_SOPInstanceUID), f["sop_uid"]);
      EXPECT_EQ(d.get(DCM_SOPClassUID), f["sop_class"]);
      EXPECT_EQ(d.get(DCM_StudyInstanceUID), s["study_uid"]);
      EXPECT_EQ(d.get(DCM_PatientID), s["patient_id"]);
      EXPECT_EQ(d.get(DCM_IssuerOfPatientID), s["cim"]);
      EXPECT_EQ(d.get(DCM_StudyDate), s["study_date"]);
      EXPECT_EQ(d.get(DCM_AccessionNumber), s["accession"]);
      EXPECT_EQ(d.get(DCM_SeriesDescription), f["label"]);
      // INS with its national OID.
      DcmItem* other = d.item(DCM_OtherPatientIDsSequence);
      ASSERT_NE(other, nullptr);
      OFString ins, issuer;
      other->findAndGetOFString(DCM_PatientID, ins);
      other->findAndGetOFString(DCM_IssuerOfPatientID, issuer);
      EXPECT_EQ(ins.c_str(), s["woman_ins"].get<std::string>());
      EXPECT_EQ(issuer, "INS-NIR");
      DcmItem* qualifiers = nullptr;
      other->findAndGetSequenceItem(DCM_IssuerOfPatientIDQualifiersSequence, qualifiers, 0);
      ASSERT_NE(qualifiers, nullptr);
      OFString oid;
      qualifiers->findAndGetOFString(DCM_UniversalEntityID, oid);
      EXPECT_EQ(oid, "1.2.250.1.213.1.4.8");
    }
    for (const auto& fault : s["faults"]) {
      if (fault["kind"] == "uid-conflict") {
        bytes += fault["bytes"].get<uint64_t>();
        ++files;
      }
    }
  }
  EXPECT_EQ(bytes, r.bytes);
  EXPECT_EQ(files, r.files);
}

TEST(SynthService, VendorProfilesEncodeViewsDifferently) {
  TempDir dir("vendors");
  auto o = smallOptions(dir.path(), 8);
  o.faults.clear();
  o.women = 6;
  runSynth(o, nullptr);
  const json m = manifestOf(dir.path());
  std::set<std::string> vendors;
  for (const auto& s : m["studies"]) {
    const std::string vendor = s["vendor"];
    vendors.insert(vendor);
    for (const auto& f : s["files"]) {
      if (f["modality"] != "MG") continue;
      Dicom d(dir.path() / f["path"].get<std::string>());
      const std::string view = f["view"];
      const std::string side = f["laterality"];
      const bool cc = view.find("CC") != std::string::npos;
      EXPECT_EQ(d.get(DCM_Modality), "MG");
      EXPECT_EQ(d.get(DCM_PresentationIntentType), "FOR PRESENTATION");
      EXPECT_EQ(d.get(DCM_PhotometricInterpretation), "MONOCHROME2");
      EXPECT_EQ(d.get(DCM_ViewPosition), cc ? "CC" : "MLO");
      EXPECT_EQ(d.get(DCM_Rows), "320");
      EXPECT_EQ(d.get(DCM_Columns), "256");
      if (vendor == "ACME") {
        EXPECT_EQ(d.get(DCM_SpecificCharacterSet), "ISO_IR 192");
        EXPECT_EQ(d.get(DCM_ImageLaterality), side);
        EXPECT_FALSE(d.has(DCM_Laterality));
        EXPECT_EQ(d.get(DCM_BitsStored), "14");
        EXPECT_EQ(d.inSequence(DCM_ViewCodeSequence, DCM_CodeValue),
                  cc ? "399162004" : "399368009");
        EXPECT_EQ(d.inSequence(DCM_ViewCodeSequence, DCM_CodingSchemeDesignator), "SCT");
        DcmItem* code = d.item(DCM_ViewCodeSequence);
        DcmItem* modifier = nullptr;
        code->findAndGetSequenceItem(DCM_ViewModifierCodeSequence, modifier, 0);
        if (view.find("_SPOT") != std::string::npos || view.find("_MAG") != std::string::npos) {
          ASSERT_NE(modifier, nullptr);
          OFString value;
          modifier->findAndGetOFString(DCM_CodeValue, value);
          EXPECT_EQ(value, view.find("_SPOT") != std::string::npos ? "399055006" : "399163009");
        } else {
          EXPECT_EQ(modifier, nullptr);
        }
      } else {
        EXPECT_EQ(d.get(DCM_SpecificCharacterSet), "ISO_IR 100");
        EXPECT_EQ(d.get(DCM_Laterality), side);
        EXPECT_FALSE(d.has(DCM_ImageLaterality));
        EXPECT_FALSE(d.has(DCM_ViewCodeSequence));
        EXPECT_EQ(d.get(DCM_BitsStored), "12");
        EXPECT_EQ(d.get(DcmTagKey(0x0029, 0x0010)), "BOREALIS 1.0");
        EXPECT_EQ(d.get(DcmTagKey(0x0029, 0x1010)), f["label"]);
        const std::string mod = view.find("_SPOT") != std::string::npos  ? "SPOT"
                                : view.find("_MAG") != std::string::npos ? "MAG"
                                                                         : "";
        EXPECT_EQ(d.get(DcmTagKey(0x0029, 0x1011)), mod);
        // Names are stored in Latin-1.
        EXPECT_EQ(d.get(DCM_PatientName),
                  synth::utf8ToLatin1(s["patient_name"].get<std::string>()));
      }
    }
  }
  EXPECT_EQ(vendors.size(), 2u);
}

TEST(SynthService, FaultsAreInTheFilesAsRecorded) {
  TempDir dir("faults");
  auto o = smallOptions(dir.path(), 21);
  o.women = 5;
  o.fault_rate = 0.3;
  runSynth(o, nullptr);
  const json m = manifestOf(dir.path());
  std::map<std::string, json> women;
  for (const auto& w : m["women"]) women[w["ins"]] = w;
  std::set<std::string> seen;
  for (const auto& s : m["studies"]) {
    for (const auto& fault : s["faults"]) {
      const std::string kind = fault["kind"];
      seen.insert(kind);
      if (kind == "missing-view") {
        for (const auto& f : s["files"]) {
          EXPECT_FALSE(f["view"] == fault["view"] && !f["for_processing"].get<bool>());
        }
      } else if (kind == "laterality-mismatch") {
        Dicom d(dir.path() / fault["path"].get<std::string>());
        const std::string coded =
            s["vendor"] == "ACME" ? d.get(DCM_ImageLaterality) : d.get(DCM_Laterality);
        const std::string label = d.get(DCM_SeriesDescription);
        EXPECT_NE(coded, label.substr(0, 1)) << fault["detail"];
        if (s["vendor"] == "BOREALIS") {
          EXPECT_EQ(d.get(DcmTagKey(0x0029, 0x1010)), label);
        }
        const json* f = findFile(s, fault["sop_uid"]);
        ASSERT_NE(f, nullptr);
        EXPECT_EQ((*f)["coded_laterality"], coded);
        EXPECT_NE((*f)["laterality"], coded);
      } else if (kind == "identity-typo") {
        const json& w = women[s["woman_ins"]];
        const std::string first = w["first_names"].get<std::string>().substr(
            0, w["first_names"].get<std::string>().find(' '));
        const std::string by_birth = w["birth_name"].get<std::string>() + "^" + first;
        const std::string by_use = w["used_name"].get<std::string>() + "^" + first;
        const std::string written = s["patient_name"];
        const bool name_differs = written != by_birth && written != by_use;
        const bool date_differs = s["patient_birth_date"] != w["birth_date"];
        EXPECT_TRUE(name_differs || date_differs) << fault["detail"];
        for (const auto& f : s["files"]) {
          if (f["modality"] != "MG") continue;
          Dicom d(dir.path() / f["path"].get<std::string>());
          EXPECT_EQ(d.get(DCM_PatientBirthDate), s["patient_birth_date"]);
          EXPECT_EQ(d.inSequence(DCM_OtherPatientIDsSequence, DCM_PatientID), s["woman_ins"]);
        }
      } else if (kind == "uid-conflict") {
        const fs::path twin = dir.path() / fault["path"].get<std::string>();
        EXPECT_EQ(fault["path"].get<std::string>().rfind("conflicts/", 0), 0u);
        const json* f = findFile(s, fault["sop_uid"]);
        ASSERT_NE(f, nullptr);
        Dicom original(dir.path() / (*f)["path"].get<std::string>());
        Dicom conflict(twin);
        EXPECT_EQ(conflict.get(DCM_SOPInstanceUID), original.get(DCM_SOPInstanceUID));
        EXPECT_NE(conflict.pixels(), original.pixels());
      } else if (kind == "for-processing") {
        const json* f = findFile(s, fault["sop_uid"]);
        ASSERT_NE(f, nullptr);
        EXPECT_TRUE((*f)["for_processing"].get<bool>());
        Dicom d(dir.path() / fault["path"].get<std::string>());
        EXPECT_EQ(d.get(DCM_SOPClassUID), "1.2.840.10008.5.1.4.1.1.1.2.1");
        EXPECT_EQ(d.get(DCM_PresentationIntentType), "FOR PROCESSING");
      }
    }
  }
  EXPECT_EQ(seen.size(), 5u);
}

TEST(SynthService, FullSizeImagesHaveTheVendorGeometry) {
  TempDir dir("full");
  fs::create_directories(dir.path());
  synth::PlanOptions po;
  po.women = 6;
  po.rounds = 1;
  po.full_size = true;
  const auto plan = synth::makeSynthPlan(po);
  // One image of each vendor: two full-size files only, to keep the test fast.
  for (synth::Vendor vendor : {synth::Vendor::kAcme, synth::Vendor::kBorealis}) {
    const auto study = std::find_if(plan.studies.begin(), plan.studies.end(), [&](const auto& s) {
      return plan.cims[s.cim].vendor == vendor;
    });
    ASSERT_NE(study, plan.studies.end());
    const auto& image = study->images.at(0);
    const fs::path path = dir.path() / "full.dcm";
    synth::writeSynthImage(
        plan, *study, image, [](std::span<uint16_t> px) { std::fill(px.begin(), px.end(), 7); },
        nullptr, path);
    Dicom d(path);
    const bool acme = vendor == synth::Vendor::kAcme;
    EXPECT_EQ(d.get(DCM_Rows), acme ? "4096" : "3584");
    EXPECT_EQ(d.get(DCM_Columns), acme ? "3328" : "2816");
    EXPECT_EQ(d.get(DCM_BitsStored), acme ? "14" : "12");
    EXPECT_EQ(d.get(DCM_HighBit), acme ? "13" : "11");
    EXPECT_EQ(d.pixels().size(), acme ? 4096u * 3328u * 2u : 3584u * 2816u * 2u);
    EXPECT_FALSE(fs::exists(dir.path() / "full.dcm.tmp"));
  }
}

TEST(SynthService, RejectsUnknownFaultsAndNonEmptyOutput) {
  EXPECT_EQ(parseSynthFaults(" missing-view, uid-conflict,missing-view"),
            (std::vector<std::string>{"missing-view", "uid-conflict"}));
  EXPECT_EQ(parseSynthFaults("all").size(), 5u);
  try {
    parseSynthFaults("missing-view,wrong-side");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("wrong-side"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("laterality-mismatch"), std::string::npos);
  }
  EXPECT_THROW(parseSynthSize("huge"), std::invalid_argument);

  TempDir dir("reject");
  auto o = smallOptions(dir.path(), 1);
  o.faults = {"bogus"};
  EXPECT_THROW(runSynth(o, nullptr), std::invalid_argument);
  EXPECT_FALSE(fs::exists(dir.path())) << "bad options leave no trace";
  fs::create_directories(dir.path());
  std::ofstream(dir.path() / "something") << "x";
  o.faults.clear();
  EXPECT_THROW(runSynth(o, nullptr), std::runtime_error);
}

}  // namespace
}  // namespace dualread
