// The one rule "an exam belongs to the CIM its IssuerOfPatientID names" and what a CIM-bound
// sender may send (domain/cim_scope.h).

#include "domain/cim_scope.h"

#include <gtest/gtest.h>

namespace dualread {
namespace {

TEST(CimScopeTest, UnrestrictedCoversEveryCentreRestrictedOnlyItsOwn) {
  const CimScope all;
  EXPECT_TRUE(all.unrestricted());
  EXPECT_TRUE(all.covers("CIM01"));
  EXPECT_TRUE(all.covers(""));
  EXPECT_EQ(all.describe(), "every imaging centre");

  const CimScope two = CimScope::only({"CIM01", "CIM03"});
  EXPECT_FALSE(two.unrestricted());
  EXPECT_TRUE(two.covers("CIM01"));
  EXPECT_TRUE(two.covers("CIM03"));
  EXPECT_FALSE(two.covers("CIM02"));
  EXPECT_FALSE(two.covers("cim01"));  // exact: the issuer is a code, not a name
  EXPECT_FALSE(two.covers("CIM0*"));  // never a wildcard
  EXPECT_FALSE(two.covers(""));       // an exam without issuer belongs to no centre
  EXPECT_EQ(two.describe(), "CIM01, CIM03");

  const CimScope none = CimScope::only({});
  EXPECT_FALSE(none.covers("CIM01"));
  EXPECT_EQ(none.describe(), "no imaging centre");
}

TEST(CimScopeTest, PrincipalsAreConfinedByTheirRole) {
  Principal p;
  p.cims = {"CIM01"};
  for (Role r : {Role::kL1Radiologist, Role::kTechnologist, Role::kGateway}) {
    p.role = r;
    const CimScope s = cimScopeOf(p);
    EXPECT_FALSE(s.unrestricted()) << roleName(r);
    EXPECT_TRUE(s.covers("CIM01"));
    EXPECT_FALSE(s.covers("CIM02"));
  }
  for (Role r : {Role::kAdministrator, Role::kCoordinator, Role::kSecretary, Role::kL2Radiologist,
                 Role::kOpen}) {
    p.role = r;
    EXPECT_TRUE(cimScopeOf(p).unrestricted()) << roleName(r);
  }
  // A CIM-bound account without CIM reaches nothing (fail closed).
  p.role = Role::kTechnologist;
  p.cims.clear();
  EXPECT_FALSE(cimScopeOf(p).covers("CIM01"));
}

TEST(CimScopeTest, DicomPeersAreConfinedToTheirCim) {
  EXPECT_TRUE(cimScopeOf(static_cast<const DicomPeer*>(nullptr)).unrestricted());  // --open
  DicomPeer pacs{"REGION_PACS", "", {}, {DimseService::kFind}};
  EXPECT_TRUE(cimScopeOf(&pacs).unrestricted());
  DicomPeer cim{"CIM02_PACS", "CIM02", {}, {DimseService::kFind}};
  const CimScope s = cimScopeOf(&cim);
  EXPECT_TRUE(s.covers("CIM02"));
  EXPECT_FALSE(s.covers("CIM01"));
}

TEST(CimScopeTest, ABoundSenderSendsOnlyItsOwnCentresImages) {
  // Unbound: the object keeps its issuer, whatever it is.
  auto d = decideSenderIssuer(CimScope(), "CIM02");
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.issuer, "CIM02");
  d = decideSenderIssuer(CimScope(), "");
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.issuer, "");
  EXPECT_FALSE(d.issuer_from_sender);

  const CimScope cim01 = CimScope::only({"CIM01"});
  d = decideSenderIssuer(cim01, "CIM01");
  EXPECT_TRUE(d.accepted);
  EXPECT_FALSE(d.issuer_from_sender);

  // No issuer: the sender's centre, as identity vigilance will key the IPP.
  d = decideSenderIssuer(cim01, "");
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.issuer, "CIM01");
  EXPECT_TRUE(d.issuer_from_sender);

  d = decideSenderIssuer(cim01, "CIM02");
  EXPECT_FALSE(d.accepted);
  EXPECT_NE(d.sentence.find("not authorized"), std::string::npos) << d.sentence;
  EXPECT_NE(d.sentence.find("'CIM02'"), std::string::npos) << d.sentence;
  EXPECT_NE(d.sentence.find("(CIM01)"), std::string::npos) << d.sentence;
  EXPECT_NE(d.sentence.find("nothing stored"), std::string::npos) << d.sentence;

  // An issuer that is no centre of the sender is refused too (it would be misattributed).
  EXPECT_FALSE(decideSenderIssuer(cim01, "RIS-LOCAL").accepted);
  // A long hostile issuer is cut in the sentence.
  d = decideSenderIssuer(cim01, std::string(500, 'X'));
  EXPECT_FALSE(d.accepted);
  EXPECT_LT(d.sentence.size(), 300u);

  // Several centres and no issuer: the sender must say which.
  const CimScope two = CimScope::only({"CIM01", "CIM03"});
  EXPECT_TRUE(decideSenderIssuer(two, "CIM03").accepted);
  d = decideSenderIssuer(two, "");
  EXPECT_FALSE(d.accepted);
  EXPECT_NE(d.sentence.find("several imaging centres (CIM01, CIM03)"), std::string::npos)
      << d.sentence;
  d = decideSenderIssuer(CimScope::only({}), "");
  EXPECT_FALSE(d.accepted);
  EXPECT_NE(d.sentence.find("bound to no imaging centre"), std::string::npos);
}

}  // namespace
}  // namespace dualread
