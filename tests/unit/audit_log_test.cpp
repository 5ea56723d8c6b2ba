#include "index/audit_log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "index/archive_index.h"
#include "services/audit_chain.h"
#include "services/audit_service.h"

namespace dualread {
namespace {

std::filesystem::path tempDir() {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() /
             ("dualread-audit-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

// A clock that moves one second per call, from 2025-03-03T08:00:00Z.
AuditService::Clock steppingClock() {
  auto n = std::make_shared<std::atomic<int>>(0);
  return [n] { return makeTime(2025, 3, 3, 8) + std::chrono::seconds{(*n)++}; };
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tempDir();
    index_ = (dir_ / "index.sqlite").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // `n` events, women W-1..W-5 in turn, actors alice/bob in turn.
  void fill(AuditService& audit, int n) {
    for (int i = 1; i <= n; ++i) {
      audit.record(i % 2 ? "alice" : "bob", i % 2 ? "l2_reader" : "secretariat", "exam.read",
                   "exam", "E-" + std::to_string(i), "W-" + std::to_string(1 + i % 5),
                   "192.0.2." + std::to_string(i % 250), R"({"n": )" + std::to_string(i) + "}");
    }
  }

  // Tampering as an attacker with the database file would: a plain SQLite connection, the
  // append-only triggers dropped first.
  void tamper(const std::string& sql) {
    SqliteDb raw(index_, false);
    raw.exec("DROP TRIGGER IF EXISTS audit_log_no_update");
    raw.exec("DROP TRIGGER IF EXISTS audit_log_no_delete");
    raw.exec(sql);
  }

  static AuditVerifyResult verifyFresh(const std::string& index) {
    AuditLog log(index, auditEntryHash, /*read_only=*/true);
    return log.verify();
  }

  std::filesystem::path dir_;
  std::string index_;
};

TEST_F(AuditTest, AppendsChainAndVerify) {
  AuditService audit(index_, steppingClock());
  const AuditEvent first = audit.record("alice", "l2_reader", "exam.read", "exam", "E-1", "W-1",
                                        "192.0.2.10", R"({ "views" : [ "RCC", "LCC" ] })");
  EXPECT_EQ(first.seq, 1);
  EXPECT_EQ(first.prev_hash, std::string(kAuditGenesisHash));
  EXPECT_EQ(first.entry_hash, auditEntryHash(first));
  EXPECT_EQ(first.time, "2025-03-03T08:00:00Z");
  EXPECT_EQ(first.detail, R"({"views":["RCC","LCC"]})");
  const AuditEvent second =
      audit.record("hub", "system", "exam.transition", "exam", "E-1", std::nullopt, "internal");
  EXPECT_EQ(second.seq, 2);
  EXPECT_EQ(second.prev_hash, first.entry_hash);
  EXPECT_EQ(second.detail, "{}");
  fill(audit, 48);

  const auto r = audit.verify();
  EXPECT_TRUE(r.intact);
  EXPECT_EQ(r.checked, 50);
  EXPECT_EQ(r.head_seq, 50);
  EXPECT_TRUE(r.triggers_present);
  EXPECT_EQ(audit.log().schemaVersion(), AuditLog::kSchemaVersion);

  // Reopening continues the same chain.
  AuditService again(index_, steppingClock());
  EXPECT_EQ(again.record("bob", "secretariat", "letter.print", "letter", "L-1", "W-1", "cli").seq,
            51);
  EXPECT_TRUE(again.verify().intact);
}

TEST_F(AuditTest, SharesTheIndexDatabaseWithTheArchive) {
  ArchiveIndex archive(index_, 1);
  const int archive_version = archive.schemaVersion();
  AuditService audit(index_, steppingClock());
  fill(audit, 5);
  EXPECT_TRUE(audit.verify().intact);
  EXPECT_EQ(archive.schemaVersion(), archive_version);
}

TEST_F(AuditTest, RecordRefusesInvalidEvents) {
  AuditService audit(index_, steppingClock());
  EXPECT_THROW(audit.record("", "l2_reader", "exam.read", "exam", "E-1", "W-1", "x"), AuditError);
  EXPECT_THROW(audit.record("alice", "l2_reader", "exam.read", "exam", "E-1", "W-1", "x", "{nope"),
               AuditError);
  try {
    audit.record("alice", "", "", "exam", "E-1", "W-1", "x");
    FAIL();
  } catch (const AuditError& e) {
    EXPECT_NE(std::string(e.what()).find("role is empty"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("action is empty"), std::string::npos);
  }
  EXPECT_EQ(audit.verify().checked, 0);
}

TEST_F(AuditTest, TriggersRefuseUpdateAndDelete) {
  AuditService audit(index_, steppingClock());
  fill(audit, 3);
  SqliteDb raw(index_, false);
  try {
    raw.exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2");
    FAIL() << "UPDATE was allowed";
  } catch (const IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("append-only"), std::string::npos) << e.what();
  }
  EXPECT_THROW(raw.exec("DELETE FROM audit_log WHERE seq = 2"), IndexError);
  EXPECT_TRUE(audit.verify().intact);
}

TEST_F(AuditTest, EditedRowIsNamed) {
  {
    AuditService audit(index_, steppingClock());
    fill(audit, 40);
  }
  tamper("UPDATE audit_log SET woman_id = 'W-999' WHERE seq = 17");
  const auto r = verifyFresh(index_);
  EXPECT_FALSE(r.intact);
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 17);
  EXPECT_EQ(r.broken->kind, AuditBreakKind::kAltered);
  EXPECT_EQ(r.checked, 16);
  EXPECT_FALSE(r.triggers_present);
  EXPECT_NE(r.broken->sentence.find("entry 17 was altered"), std::string::npos);

  std::ostringstream out;
  EXPECT_EQ(runAuditVerify(dir_, out), 1);
  EXPECT_NE(out.str().find("TAMPERED"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("first broken entry: 17"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("triggers"), std::string::npos) << out.str();
}

TEST_F(AuditTest, EditedAndRehashedRowBreaksTheNextLink) {
  {
    AuditService audit(index_, steppingClock());
    fill(audit, 30);
  }
  AuditLog log(index_, auditEntryHash, true);
  AuditQuery q;
  q.from = "2025-03-03T08:00:11Z";  // entry 12 (one second per entry)
  q.limit = 1;
  auto rows = log.query(q);
  ASSERT_EQ(rows.size(), 1u);
  AuditEvent forged = rows[0];
  ASSERT_EQ(forged.seq, 12);
  forged.actor = "mallory";
  forged.entry_hash = auditEntryHash(forged);
  tamper("UPDATE audit_log SET actor = 'mallory', entry_hash = '" + forged.entry_hash +
         "' WHERE seq = 12");
  const auto r = verifyFresh(index_);
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 13);
  EXPECT_EQ(r.broken->kind, AuditBreakKind::kBrokenLink);
  EXPECT_NE(r.broken->sentence.find("entry 13 does not chain to entry 12"), std::string::npos);
}

TEST_F(AuditTest, DeletedMiddleRowIsDetected) {
  {
    AuditService audit(index_, steppingClock());
    fill(audit, 30);
  }
  tamper("DELETE FROM audit_log WHERE seq = 23");
  const auto r = verifyFresh(index_);
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 23);
  EXPECT_EQ(r.broken->kind, AuditBreakKind::kMissing);
  EXPECT_NE(r.broken->sentence.find("entry 23 is missing"), std::string::npos)
      << r.broken->sentence;
  // Renumbering the rest to hide the gap breaks the hashes instead.
  tamper("UPDATE audit_log SET seq = seq - 1 WHERE seq > 23");
  const auto r2 = verifyFresh(index_);
  ASSERT_TRUE(r2.broken);
  EXPECT_EQ(r2.broken->seq, 23);
  EXPECT_EQ(r2.broken->kind, AuditBreakKind::kReordered);
}

TEST_F(AuditTest, DeletedLastRowsAreDetectedAndStayVisible) {
  {
    AuditService audit(index_, steppingClock());
    fill(audit, 20);
  }
  tamper("DELETE FROM audit_log WHERE seq > 17");
  auto r = verifyFresh(index_);
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 18);
  EXPECT_EQ(r.broken->kind, AuditBreakKind::kTruncated);
  EXPECT_EQ(r.checked, 17);
  // A later append chains from the recorded head: the gap is not papered over.
  AuditService audit(index_, steppingClock());
  EXPECT_EQ(audit.record("alice", "l2_reader", "exam.read", "exam", "E", "W-1", "x").seq, 21);
  r = audit.verify();
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 18);
  EXPECT_EQ(r.broken->kind, AuditBreakKind::kMissing);
  EXPECT_TRUE(r.triggers_present);  // re-created when the service opened the log
}

TEST_F(AuditTest, SwappedRowsAreReportedAsReordered) {
  {
    AuditService audit(index_, steppingClock());
    fill(audit, 20);
  }
  tamper(
      "UPDATE audit_log SET seq = -10 WHERE seq = 10; UPDATE audit_log SET seq = 10 WHERE seq = "
      "11; UPDATE audit_log SET seq = 11 WHERE seq = -10;");
  const auto r = verifyFresh(index_);
  ASSERT_TRUE(r.broken);
  EXPECT_EQ(r.broken->seq, 10);
  EXPECT_EQ(r.broken->kind, AuditBreakKind::kReordered);
  EXPECT_NE(r.broken->sentence.find("written as number 11"), std::string::npos);
}

TEST_F(AuditTest, ConcurrentAppendsKeepOneChain) {
  AuditService audit(index_);
  // A second connection to the same file appends too, as another process would.
  AuditLog other(index_, auditEntryHash);
  constexpr int kThreads = 8;
  constexpr int kEach = 60;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        try {
          if (t % 4 == 3) {
            AuditEvent e;
            e.time = "2025-03-03T09:00:00Z";
            e.actor = "gateway";
            e.role = "system";
            e.action = "instance.store";
            e.object_type = "instance";
            e.object_id = std::to_string(t) + "." + std::to_string(i);
            e.source = "internal";
            other.append(e);
          } else {
            audit.record("reader-" + std::to_string(t), "l2_reader", "exam.read", "exam",
                         "E-" + std::to_string(i), "W-" + std::to_string(t), "192.0.2.1");
          }
        } catch (...) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const auto r = audit.verify();
  EXPECT_TRUE(r.intact) << (r.broken ? r.broken->sentence : "");
  EXPECT_EQ(r.checked, kThreads * kEach);
  std::set<int64_t> seqs;
  AuditQuery q;
  q.limit = 10000;
  for (const auto& e : audit.query(q)) seqs.insert(e.seq);
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*seqs.begin(), 1);
  EXPECT_EQ(*seqs.rbegin(), kThreads * kEach);
}

TEST_F(AuditTest, QueriesByWomanActorAndPeriod) {
  AuditService audit(index_, steppingClock());
  fill(audit, 50);  // entry i at 08:00:(i-1)
  AuditQuery q;
  q.woman_id = "W-3";  // i % 5 == 2
  auto rows = audit.query(q);
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows[0].seq, 2);
  EXPECT_EQ(rows[9].seq, 47);
  for (const auto& e : rows) EXPECT_EQ(e.woman_id, "W-3");

  q.limit = 3;
  q.offset = 2;
  rows = audit.query(q);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].seq, 12);
  q.newest_first = true;
  q.offset = 0;
  rows = audit.query(q);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].seq, 47);

  AuditQuery by_actor;
  by_actor.actor = "bob";
  by_actor.from = "2025-03-03T08:00:10Z";  // entry 11 onwards
  by_actor.to = "2025-03-03T08:00:20Z";    // up to entry 20
  rows = audit.query(by_actor);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].seq, 12);
  EXPECT_EQ(rows[4].seq, 20);
  EXPECT_EQ(rows[0].role, "secretariat");
  EXPECT_EQ(rows[0].detail, R"({"n":12})");

  AuditQuery day;
  day.from = "2025-03-03";
  day.to = "2025-03-04";
  day.limit = 1000;
  EXPECT_EQ(audit.query(day).size(), 50u);
  day.from = "2025-03-04";
  day.to = "2025-03-05";
  EXPECT_TRUE(audit.query(day).empty());
}

TEST_F(AuditTest, NewerSchemaIsRefused) {
  { AuditService audit(index_, steppingClock()); }
  {
    SqliteDb raw(index_, false);
    raw.exec("UPDATE audit_meta SET value = '7' WHERE key = 'audit_schema_version'");
  }
  try {
    AuditService audit(index_, steppingClock());
    FAIL() << "expected IndexError";
  } catch (const IndexError& e) {
    EXPECT_NE(std::string(e.what()).find("schema version 7"), std::string::npos) << e.what();
  }
}

TEST_F(AuditTest, VerifyCommandExitCodes) {
  std::ostringstream none;
  EXPECT_EQ(runAuditVerify(dir_ / "nowhere", none), 2);
  EXPECT_NE(none.str().find("No archive"), std::string::npos);

  // An archive that never had an audit log: nothing to verify, nothing created.
  { ArchiveIndex archive(index_, 1); }
  std::ostringstream empty;
  EXPECT_EQ(runAuditVerify(dir_, empty), 0) << empty.str();
  EXPECT_NE(empty.str().find("0 entries"), std::string::npos) << empty.str();
  {
    SqliteDb raw(index_, true);
    auto st = raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'audit_log'");
    EXPECT_FALSE(st.step());
  }

  {
    AuditService audit(index_, steppingClock());
    fill(audit, 12);
  }
  std::ostringstream clean;
  EXPECT_EQ(runAuditVerify(dir_, clean), 0) << clean.str();
  EXPECT_NE(clean.str().find("intact: 12 entries"), std::string::npos) << clean.str();

  tamper("DELETE FROM audit_log WHERE seq = 5");
  std::ostringstream bad;
  EXPECT_EQ(runAuditVerify(dir_, bad), 1);
  EXPECT_NE(bad.str().find("entry 5 is missing"), std::string::npos) << bad.str();
}

}  // namespace
}  // namespace dualread
