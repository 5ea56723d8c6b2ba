#include "services/audit_chain.h"

#include <gtest/gtest.h>

#include "domain/audit_event.h"

namespace dualread {
namespace {

AuditEvent sample(int64_t seq = 1) {
  AuditEvent e;
  e.seq = seq;
  e.time = "2025-03-03T10:15:00Z";
  e.actor = "u-l2-0042";
  e.role = "l2_reader";
  e.action = "exam.read";
  e.object_type = "exam";
  e.object_id = "1.2.250.1.59.3.1";
  e.woman_id = "W-000123";
  e.source = "203.0.113.7";
  e.detail = R"({"views":4})";
  e.prev_hash = std::string(kAuditGenesisHash);
  return e;
}

TEST(AuditChain, CanonicalBytesSeparateEveryField) {
  AuditEvent a = sample();
  AuditEvent b = a;
  b.woman_id = std::string();
  AuditEvent c = a;
  c.woman_id.reset();
  EXPECT_NE(canonicalAuditBytes(a), canonicalAuditBytes(b));
  EXPECT_NE(canonicalAuditBytes(b), canonicalAuditBytes(c));
  // Moving text from one field to the next changes the bytes (length prefixes).
  AuditEvent d = a;
  d.actor = "u-l2-004";
  d.role = "2l2_reader";
  EXPECT_NE(canonicalAuditBytes(a), canonicalAuditBytes(d));
  // The hashes are not part of the canonical bytes.
  AuditEvent e = a;
  e.entry_hash = "x";
  e.prev_hash = "y";
  EXPECT_EQ(canonicalAuditBytes(a), canonicalAuditBytes(e));
}

TEST(AuditChain, HashCoversPrevHashAndEveryField) {
  const AuditEvent a = sample();
  const std::string h = auditEntryHash(a);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(h, auditEntryHash(a));
  auto changed = [&](auto mutate) {
    AuditEvent x = a;
    mutate(x);
    return auditEntryHash(x) != h;
  };
  EXPECT_TRUE(changed([](AuditEvent& x) { x.seq = 2; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.time = "2025-03-03T10:15:01Z"; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.actor = "mallory"; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.role = "admin"; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.action = "exam.sign"; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.object_type = "woman"; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.object_id = "2"; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.woman_id.reset(); }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.source = "10.0.0.1"; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.detail = "{}"; }));
  EXPECT_TRUE(changed([](AuditEvent& x) { x.prev_hash[0] = '1'; }));
  EXPECT_FALSE(changed([](AuditEvent& x) { x.entry_hash = "ignored"; }));
}

TEST(AuditChain, EventProblems) {
  EXPECT_TRUE(auditEventProblems(sample()).empty());
  AuditEvent e = sample();
  e.actor.clear();
  e.time = "2025-03-03 10:15";
  e.source = "1.2.3.4\n";
  const auto p = auditEventProblems(e);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0], "the audit actor is empty");
  EXPECT_NE(p[1].find("source address contains control characters"), std::string::npos);
  EXPECT_NE(p[2].find("not a UTC time"), std::string::npos);
}

TEST(AuditChain, LinkChecks) {
  AuditEvent first = sample(1);
  first.entry_hash = auditEntryHash(first);
  AuditEvent second = sample(2);
  second.prev_hash = first.entry_hash;
  second.entry_hash = auditEntryHash(second);
  auto hash_with = [](const AuditEvent& e) {
    return [e](int64_t s) {
      AuditEvent m = e;
      m.seq = s;
      return auditEntryHash(m);
    };
  };
  EXPECT_FALSE(checkAuditLink(nullptr, first, auditEntryHash(first), hash_with(first)));
  EXPECT_FALSE(checkAuditLink(&first, second, auditEntryHash(second), hash_with(second)));

  // Gap.
  AuditEvent fourth = second;
  fourth.seq = 4;
  auto brk = checkAuditLink(&first, fourth, auditEntryHash(fourth), hash_with(fourth));
  ASSERT_TRUE(brk);
  EXPECT_EQ(brk->seq, 2);
  EXPECT_EQ(brk->kind, AuditBreakKind::kMissing);
  EXPECT_NE(brk->sentence.find("entries 2 to 3 are missing"), std::string::npos);

  // Edited.
  AuditEvent edited = second;
  edited.actor = "mallory";
  brk = checkAuditLink(&first, edited, auditEntryHash(edited), hash_with(edited));
  ASSERT_TRUE(brk);
  EXPECT_EQ(brk->kind, AuditBreakKind::kAltered);
  EXPECT_EQ(brk->seq, 2);

  // Re-hashed after editing: its own hash holds, its link does not.
  AuditEvent rehashed = second;
  rehashed.prev_hash = std::string(kAuditGenesisHash);
  rehashed.entry_hash = auditEntryHash(rehashed);
  brk = checkAuditLink(&first, rehashed, auditEntryHash(rehashed), hash_with(rehashed));
  ASSERT_TRUE(brk);
  EXPECT_EQ(brk->kind, AuditBreakKind::kBrokenLink);

  // Written as entry 3, stored as entry 2.
  AuditEvent moved = sample(3);
  moved.prev_hash = first.entry_hash;
  moved.entry_hash = auditEntryHash(moved);
  moved.seq = 2;
  brk = checkAuditLink(&first, moved, auditEntryHash(moved), hash_with(moved));
  ASSERT_TRUE(brk);
  EXPECT_EQ(brk->kind, AuditBreakKind::kReordered);
  EXPECT_NE(brk->sentence.find("written as number 3"), std::string::npos);
}

}  // namespace
}  // namespace dualread
