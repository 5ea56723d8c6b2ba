// C-FIND matching rules and level parsing of the DIMSE query translator.

#include "dicom/dimse_query.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <gtest/gtest.h>

#include <set>

#include "hub_fixture.h"
#include "test_dicom.h"

namespace dualread {
namespace {

TEST(DimseQueryMatch, UniversalAndSingleValue) {
  EXPECT_TRUE(dicomValueMatches("", "anything", false, false, false));
  EXPECT_TRUE(dicomValueMatches("*", "", false, false, false));
  EXPECT_TRUE(dicomValueMatches("MG", "MG", false, false, false));
  EXPECT_FALSE(dicomValueMatches("MG", "US", false, false, false));
  EXPECT_FALSE(dicomValueMatches("MG", "", false, false, false));
}

TEST(DimseQueryMatch, WildcardsAndCase) {
  EXPECT_TRUE(dicomValueMatches("MART*", "MARTIN^CLAIRE", false, false, true));
  EXPECT_TRUE(dicomValueMatches("mart*", "MARTIN^CLAIRE", false, false, true));
  EXPECT_FALSE(dicomValueMatches("mart*", "MARTIN^CLAIRE", false, false, false));
  EXPECT_TRUE(dicomValueMatches("*^CL?IRE", "MARTIN^CLAIRE", false, false, true));
  EXPECT_FALSE(dicomValueMatches("*^CL?IRE", "MARTIN^CLAUDE", false, false, true));
}

TEST(DimseQueryMatch, DateRanges) {
  EXPECT_TRUE(dicomValueMatches("20250101-20251231", "20250610", true, false, false));
  EXPECT_FALSE(dicomValueMatches("20250101-20251231", "20260610", true, false, false));
  EXPECT_TRUE(dicomValueMatches("-20251231", "19990101", true, false, false));
  EXPECT_TRUE(dicomValueMatches("20250101-", "20990101", true, false, false));
  EXPECT_FALSE(dicomValueMatches("20250101-", "20241231", true, false, false));
}

TEST(DimseQueryMatch, ListsMatchAnyValue) {
  EXPECT_TRUE(dicomValueMatches("1.2.3\\1.2.4", "1.2.4", false, true, false));
  EXPECT_FALSE(dicomValueMatches("1.2.3\\1.2.4", "1.2.5", false, true, false));
  // Multi-valued stored attribute (ModalitiesInStudy).
  EXPECT_TRUE(dicomValueMatches("US", "MG\\US", false, true, false));
  EXPECT_TRUE(dicomValueMatches("CT\\US", "MG\\US", false, true, false));
}

TEST(DimseQueryLevel, ValidatesAgainstModel) {
  DcmDataset ds;
  EXPECT_THROW(parseQueryLevel(QueryModel::kStudyRoot, ds), DimseQueryError);
  ds.putAndInsertString(DCM_QueryRetrieveLevel, "PATIENT");
  EXPECT_EQ(parseQueryLevel(QueryModel::kPatientRoot, ds), QueryLevel::kPatient);
  try {
    parseQueryLevel(QueryModel::kStudyRoot, ds);
    FAIL() << "PATIENT level accepted in study root";
  } catch (const DimseQueryError& e) {
    EXPECT_EQ(e.status(), 0xA900);
    EXPECT_LE(e.comment().size(), 64u);
  }
  ds.putAndInsertString(DCM_QueryRetrieveLevel, "IMAGE");
  EXPECT_EQ(parseQueryLevel(QueryModel::kStudyRoot, ds), QueryLevel::kImage);
  ds.putAndInsertString(DCM_QueryRetrieveLevel, "FRAME");
  EXPECT_THROW(parseQueryLevel(QueryModel::kPatientRoot, ds), DimseQueryError);
}

// Two imaging centres with one woman each; the CIM02 study is the newer, so a confined query that
// filtered after paging would find nothing on the first page.
class DimseScopeTest : public testing::HubFixture {
 protected:
  void SetUp() override {
    HubFixture::SetUp();
    store(kStudy1, "CIM01", "IPP-7", "MARTIN^CLAIRE", "19650412", "265047512345678", "20250110");
    store(kStudy2, "CIM02", "IPP-7", "DURAND^ANNE", "19600203", "260027512345612", "20260110");
  }
  void store(const std::string& study, const std::string& cim, const std::string& ipp,
             const std::string& name, const std::string& birth, const std::string& ins,
             const std::string& date) {
    for (int i = 1; i <= 2; ++i) {
      testing::TestImage t;
      t.study_uid = study;
      t.series_uid = study + ".0";
      t.sop_uid = study + ".0." + std::to_string(i);
      t.issuer = cim;
      t.patient_id = ipp;  // the same IPP at both centres: only the issuer tells them apart
      t.patient_name = name;
      t.birth_date = birth;
      t.ins = ins;
      t.study_date = date;
      t.laterality = i == 1 ? "R" : "L";
      t.seed = static_cast<uint16_t>(i);
      const auto path = dir_ / "in.dcm";
      testing::writeTestImage(t, path);
      ASSERT_TRUE(ingest_->ingestBytes(testing::readFile(path), {"TEST", "UNIT", ""}).ok());
    }
  }
  // Every match of a C-FIND as (value of `key`) strings.
  std::vector<std::string> find(QueryModel model, const char* level, const CimScope& scope,
                                const DcmTagKey& key,
                                const std::vector<std::pair<DcmTagKey, std::string>>& keys = {}) {
    DcmDataset rq;
    rq.putAndInsertString(DCM_QueryRetrieveLevel, level);
    rq.insertEmptyElement(key);
    for (const auto& [k, v] : keys) rq.putAndInsertString(k, v.c_str());
    FindCursor c(*index_, model, rq, scope);
    std::vector<std::string> out;
    while (auto m = c.next()) {
      OFString v;
      m->findAndGetOFString(key, v);
      out.push_back(v.c_str());
    }
    return out;
  }
  const std::string kStudy1 = "1.2.826.0.1.3680043.10.1011.55.1";
  const std::string kStudy2 = "1.2.826.0.1.3680043.10.1011.55.2";
  const CimScope cim01_ = CimScope::only({"CIM01"});
};

TEST_F(DimseScopeTest, FindAtEveryLevelSeesOnlyTheBoundCentre) {
  using V = std::vector<std::string>;
  for (QueryModel m : {QueryModel::kPatientRoot, QueryModel::kStudyRoot}) {
    EXPECT_EQ(find(m, "STUDY", cim01_, DCM_StudyInstanceUID), V{kStudy1});
    EXPECT_EQ(find(m, "SERIES", cim01_, DCM_SeriesInstanceUID), V{kStudy1 + ".0"});
    EXPECT_EQ(find(m, "IMAGE", cim01_, DCM_SOPInstanceUID),
              (V{kStudy1 + ".0.1", kStudy1 + ".0.2"}));
    // An unbound peer (a regional PACS) sees both centres.
    EXPECT_EQ(find(m, "STUDY", CimScope(), DCM_StudyInstanceUID), (V{kStudy2, kStudy1}));
    EXPECT_EQ(find(m, "IMAGE", CimScope(), DCM_SOPInstanceUID).size(), 4u);
  }
  EXPECT_EQ(find(QueryModel::kPatientRoot, "PATIENT", cim01_, DCM_IssuerOfPatientID), V{"CIM01"});
  EXPECT_EQ(find(QueryModel::kPatientRoot, "PATIENT", CimScope(), DCM_IssuerOfPatientID),
            (V{"CIM01", "CIM02"}));
  // The patient's counts are those of the centre's own record.
  EXPECT_EQ(find(QueryModel::kPatientRoot, "PATIENT", cim01_, DCM_NumberOfPatientRelatedInstances),
            V{"2"});
}

TEST_F(DimseScopeTest, NoKeyWidensTheScope) {
  using V = std::vector<std::string>;
  const auto uid = DCM_StudyInstanceUID;
  // Asking for the other centre by issuer, by its study UID, by its series or images, or with
  // wildcards finds nothing of it.
  EXPECT_EQ(find(QueryModel::kStudyRoot, "STUDY", cim01_, uid, {{DCM_IssuerOfPatientID, "CIM02"}}),
            V{});
  EXPECT_EQ(find(QueryModel::kStudyRoot, "STUDY", cim01_, uid, {{DCM_IssuerOfPatientID, "*"}}),
            V{kStudy1});
  EXPECT_EQ(find(QueryModel::kStudyRoot, "STUDY", cim01_, uid, {{uid, kStudy2}}), V{});
  EXPECT_EQ(find(QueryModel::kStudyRoot, "STUDY", cim01_, uid, {{uid, kStudy1 + "\\" + kStudy2}}),
            V{kStudy1});
  EXPECT_EQ(find(QueryModel::kStudyRoot, "SERIES", cim01_, DCM_SeriesInstanceUID, {{uid, kStudy2}}),
            V{});
  EXPECT_EQ(find(QueryModel::kStudyRoot, "IMAGE", cim01_, DCM_SOPInstanceUID,
                 {{DCM_SOPInstanceUID, kStudy2 + ".0.1"}}),
            V{});
  EXPECT_EQ(
      find(QueryModel::kPatientRoot, "PATIENT", cim01_, DCM_PatientID, {{DCM_PatientID, "IPP-7"}}),
      V{"IPP-7"});
  EXPECT_EQ(find(QueryModel::kPatientRoot, "STUDY", cim01_, uid, {{DCM_PatientName, "DURAND*"}}),
            V{});
  // A scope with no centre reaches nothing at all.
  EXPECT_EQ(find(QueryModel::kStudyRoot, "STUDY", CimScope::only({}), uid), V{});
}

TEST_F(DimseScopeTest, TheIndexConfinesBeforeLimits) {
  // The CIM02 study is newer: a limit of one applied before the confinement would hide CIM01's.
  StudyQuery q;
  q.limit = 1;
  q.cims = std::vector<std::string>{"CIM01"};
  auto rows = index_->findStudies(q);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].study_uid, kStudy1);
  InstanceQuery iq;
  iq.limit = 1;
  iq.cims = std::vector<std::string>{"CIM01"};
  auto inst = index_->findInstances(iq);
  ASSERT_EQ(inst.size(), 1u);
  EXPECT_EQ(inst[0].study_uid, kStudy1);
  SeriesQuery sq;
  sq.cims = std::vector<std::string>{"CIM02"};
  ASSERT_EQ(index_->findSeries(sq).size(), 1u);
  PatientQuery pq;
  pq.cims = std::vector<std::string>{};
  EXPECT_TRUE(index_->findPatients(pq).empty());
  // The studies of the instances outside the scope (what a retrieve refuses).
  iq.limit = 100;
  iq.outside_cims = true;
  auto refused = index_->findStudiesOfInstances(iq);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].study_uid, kStudy2);
  EXPECT_EQ(refused[0].patient.issuer, "CIM02");
}

TEST_F(DimseScopeTest, RetrieveOfAnotherCentresStudySendsNothingAndSaysWhich) {
  auto retrieve = [&](const char* level, const DcmTagKey& key, const std::string& value,
                      const CimScope& scope) {
    DcmDataset rq;
    rq.putAndInsertString(DCM_QueryRetrieveLevel, level);
    rq.putAndInsertString(key, value.c_str());
    return resolveRetrieve(*index_, QueryModel::kPatientRoot, rq, scope);
  };
  auto m = retrieve("STUDY", DCM_StudyInstanceUID, kStudy2, cim01_);
  EXPECT_TRUE(m.instances.empty());
  ASSERT_EQ(m.refused_studies.size(), 1u);
  EXPECT_EQ(m.refused_studies[0].study_uid, kStudy2);
  EXPECT_EQ(m.refused_studies[0].patient.issuer, "CIM02");
  EXPECT_TRUE(m.refused_studies[0].patient.woman_id.has_value());

  m = retrieve("STUDY", DCM_StudyInstanceUID, kStudy1 + "\\" + kStudy2, cim01_);
  EXPECT_EQ(m.instances.size(), 2u);
  for (const auto& i : m.instances) EXPECT_EQ(i.study_uid, kStudy1);
  EXPECT_EQ(m.refused_studies.size(), 1u);

  // PATIENT level: the same IPP at two centres is two patients; only the centre's own goes.
  m = retrieve("PATIENT", DCM_PatientID, "IPP-7", cim01_);
  EXPECT_EQ(m.instances.size(), 2u);
  EXPECT_EQ(m.refused_studies.size(), 1u);
  m = retrieve("SERIES", DCM_SeriesInstanceUID, kStudy2 + ".0", cim01_);
  EXPECT_TRUE(m.instances.empty());
  EXPECT_EQ(m.refused_studies.size(), 1u);
  m = retrieve("IMAGE", DCM_SOPInstanceUID, kStudy2 + ".0.2", cim01_);
  EXPECT_TRUE(m.instances.empty());
  EXPECT_EQ(m.refused_studies.size(), 1u);

  // Unbound: everything, nothing refused; unknown UIDs: nothing either way.
  m = retrieve("PATIENT", DCM_PatientID, "IPP-7", CimScope());
  EXPECT_EQ(m.instances.size(), 4u);
  EXPECT_TRUE(m.refused_studies.empty());
  m = retrieve("STUDY", DCM_StudyInstanceUID, "1.2.3.4", cim01_);
  EXPECT_TRUE(m.instances.empty());
  EXPECT_TRUE(m.refused_studies.empty());
}

}  // namespace
}  // namespace dualread
