#pragma once
// ArchiveIndex: the SQLite index of everything the hub holds — women, patients (each CIM's
// view of a woman), studies (exams), series, instances, quarantine — and the only place that
// speaks SQL. One writer connection serialised by a mutex (SQLite allows one writer) and a
// pool of reader connections, so queries never wait for ingest (WAL). Thread-safe.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "index/records.h"
#include "index/sqlite.h"

namespace dualread {

// The study's images as the exam assessment needs them.
struct ExamImageRow {
  std::string sop_uid;
  std::string series_uid;
  std::string view_json;
};

// Status and JSON computed by the caller's assessment and stored with the study.
struct ExamUpdate {
  std::string status;
  std::string json;
};

using ExamRecompute = std::function<ExamUpdate(const std::vector<ExamImageRow>& images,
                                               const std::vector<std::string>& extra_problems)>;

using SameObjectCheck = std::function<bool(const std::string& stored_blob_key)>;

enum class RecordOutcome {
  kInserted,          // new instance, row and exam committed
  kSameBytes,         // already stored with identical bytes: nothing changed
  kConflict,          // same SOP Instance UID, different bytes: quarantined
  kIdentityConflict,  // the study belongs to another patient: quarantined
};

struct RecordResult {
  RecordOutcome outcome = RecordOutcome::kInserted;
  std::string detail;  // sentence for the sender when not kInserted
};

class ArchiveIndex {
 public:
  // Opens or creates DATA/index.sqlite and applies pending migrations. Throws IndexError.
  explicit ArchiveIndex(const std::string& path, int readers = 8);
  ~ArchiveIndex();

  int schemaVersion();

  // Records one instance (and its patient, woman, study, series, exam) in one transaction.
  // When the SOP Instance UID is already stored with other file bytes, `same_object` (given the
  // stored blob's key) says whether the two files carry the same dataset — the same object sent
  // through another door with another file meta header; it is asked only then, so that ingest
  // hashes each image once. Without it, other bytes are a conflict.
  // Throws IndexError on database failure (nothing is then recorded).
  RecordResult recordInstance(const StoredInstance& in, const ExamRecompute& recompute,
                              const SameObjectCheck& same_object = {});

  // Crash safety of the blob/index pair: a blob key is recorded as pending before its file is
  // moved into the store and cleared by the transaction that records its row. At start-up the
  // hub removes the files of pending keys nothing references (never acknowledged), then clears.
  void addBlobIntent(const std::string& key);
  std::vector<std::string> unreferencedBlobIntents();
  void clearBlobIntents();
  // Removes (via `remove_file`) a blob that no row references, e.g. the second copy of an
  // object that came with another file meta header. Returns true if it was removed.
  bool releaseIfUnreferenced(const std::string& key, const std::function<void()>& remove_file);

  // Looks up by SOP Instance UID; returns false when absent.
  bool findInstance(const std::string& sop_uid, InstanceRow& out);

  std::vector<StudyRow> findStudies(const StudyQuery& q);
  std::vector<SeriesRow> findSeries(const SeriesQuery& q);
  std::vector<InstanceRow> findInstances(const InstanceQuery& q);
  std::vector<PatientRow> findPatients(const PatientQuery& q);
  // The studies the instances matching `q` belong to (each once), in index order; `q.limit`
  // and `q.offset` page the studies. A confined retrieve asks it for what it refused.
  std::vector<StudyRow> findStudiesOfInstances(const InstanceQuery& q);
  // SQLite's plan for a study query (tests use it to prove queries stay on indexes at scale).
  std::string explainStudies(const StudyQuery& q);

  // Exams (studies with their assessment).
  bool getStudy(const std::string& study_uid, StudyRow& out);
  std::vector<StudyRow> listExamsByStatus(const std::string& status, int64_t limit, int64_t offset);
  int64_t countExamsByStatus(const std::string& status);
  bool getWoman(int64_t id, WomanRow& out);
  std::vector<WomanRow> findWomenByIns(const std::string& ins);
  std::vector<PatientRow> patientsOfWoman(int64_t woman_id);

  std::vector<QuarantineRow> listQuarantine(int64_t limit, int64_t offset);

  // Identity vigilance (services/identity_service) keeps the women of the archive in step with
  // its register: the woman's summary row (created or updated), the woman a CIM's identity tuple
  // belongs to (none = held, `issue` shown on its exams), and the exams to reassess once an
  // identity issue is settled. Each returns what it changed; throws IndexError.
  void mirrorWoman(int64_t id, const std::string& ins, const std::string& name,
                   const std::string& birth_date, const std::string& sex);
  std::vector<int64_t> setTupleWoman(const PatientTuple& tuple, std::optional<int64_t> woman_id,
                                     const std::string& issue);
  void setPatientsWoman(const std::vector<int64_t>& patient_ids, std::optional<int64_t> woman_id);
  std::vector<std::string> studiesOfPatients(const std::vector<int64_t>& patient_ids);
  void reassessStudies(const std::vector<std::string>& study_uids, const ExamRecompute& recompute);

  // Every blob the index references (instances and quarantine), for fsck.
  void forEachBlobRef(const std::function<void(const std::string& key, const std::string& sha256,
                                               int64_t size, const std::string& what)>& fn);

  struct Totals {
    int64_t women = 0, patients = 0, studies = 0, series = 0, instances = 0, quarantined = 0;
    int64_t bytes = 0;
  };
  Totals totals();

  // Bulk generator support for the index-scale benchmark: inserts synthetic rows fast
  // (one transaction per batch, no blobs). Not used by the hub.
  void bulkInsertSyntheticExams(int64_t first, int64_t count, int instances_per_exam);

 private:
  class ReaderLease;
  ReaderLease reader();
  void migrate();

  std::string path_;
  std::mutex write_mu_;
  std::unique_ptr<SqliteDb> writer_;
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteDb>> pool_;
};

}  // namespace dualread
