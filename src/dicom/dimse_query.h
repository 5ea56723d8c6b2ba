#pragma once
// DIMSE query translation: turns a C-FIND identifier into archive index queries and index rows
// back into C-FIND response identifiers (only the keys the requester asked for, in UTF-8), and
// resolves a C-MOVE / C-GET identifier to the instances to send. Used by DimseServer; owned
// by the DICOM door. FindCursor is used by one thread at a time; resolveRetrieve is
// thread-safe (the index is).

#include <dcmtk/dcmdata/dcdatset.h>

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/cim_scope.h"
#include "index/archive_index.h"

namespace dualread {

// Query/Retrieve information model of the presentation context the request came on.
enum class QueryModel { kPatientRoot, kStudyRoot };
enum class QueryLevel { kPatient, kStudy, kSeries, kImage };

const char* toString(QueryLevel level);

// A request the hub cannot answer: `status` is the DIMSE status to return (0xA900, 0xC000),
// what() a sentence for the log; comment() a short one (<= 64 chars) for ErrorComment.
class DimseQueryError : public std::runtime_error {
 public:
  DimseQueryError(uint16_t status, const std::string& comment, const std::string& sentence)
      : std::runtime_error(sentence), status_(status), comment_(comment) {}
  uint16_t status() const { return status_; }
  const std::string& comment() const { return comment_; }

 private:
  uint16_t status_;
  std::string comment_;
};

// Reads (0008,0052) QueryRetrieveLevel and checks it against the model. Throws DimseQueryError
// (0xA900) when absent or not valid for the model.
QueryLevel parseQueryLevel(QueryModel model, DcmDataset& identifier);

// Walks the matches of one C-FIND request page by page (the index is never asked for more than
// a page at a time, whatever the archive size). A restricted `scope` (a CIM-bound peer) is part
// of every page's index query: another centre's patients, studies, series and images are never
// read, so paging and counts stay right. Keys the index cannot filter on are matched
// here against the values the hub returns (wildcards, ranges, UID lists); keys the hub does not
// hold are returned empty and do not filter.
class FindCursor {
 public:
  // Copies what it needs from `identifier` (converted to UTF-8 if it declares another
  // character set). Throws DimseQueryError for an invalid level.
  FindCursor(ArchiveIndex& index, QueryModel model, DcmDataset& identifier, CimScope scope = {});
  ~FindCursor();
  FindCursor(const FindCursor&) = delete;
  FindCursor& operator=(const FindCursor&) = delete;

  QueryLevel level() const { return level_; }
  // The next response identifier, or nullptr when every match was returned. Throws
  // IndexError (std::runtime_error) when the index fails.
  std::unique_ptr<DcmDataset> next();
  int64_t returned() const { return returned_; }

 private:
  struct Record;
  bool fetchPage();
  std::unique_ptr<DcmDataset> build(const Record& r) const;
  bool matches(const Record& r) const;
  const StudyRow* studyOf(const std::string& study_uid);
  const SeriesRow* seriesOf(const std::string& series_uid);

  ArchiveIndex& index_;
  QueryModel model_;
  QueryLevel level_;
  CimScope scope_;
  std::unique_ptr<DcmDataset> request_;
  std::vector<Record> page_;
  std::size_t page_pos_ = 0;
  int64_t offset_ = 0;
  bool exhausted_ = false;
  int64_t returned_ = 0;
  std::map<std::string, std::unique_ptr<StudyRow>> study_cache_;
  std::map<std::string, std::unique_ptr<SeriesRow>> series_cache_;
};

// What a C-MOVE / C-GET identifier resolves to.
struct RetrieveMatch {
  std::vector<InstanceRow> instances;  // to send, in index order (possibly none)
  // Studies the identifier also matched but the requester's scope excludes (another imaging
  // centre's): nothing of them is sent; the door logs and audits them.
  std::vector<StudyRow> refused_studies;
};

// Resolves a C-MOVE / C-GET identifier: PATIENT level by PatientID, STUDY by
// StudyInstanceUID(s), SERIES by SeriesInstanceUID(s), IMAGE by SOPInstanceUID(s), within
// `scope` (the instances of another centre's patients are not returned but their studies are
// listed as refused). Throws DimseQueryError (0xA900) when the level is invalid or its unique
// key is missing or holds wildcards; IndexError when the index fails.
RetrieveMatch resolveRetrieve(ArchiveIndex& index, QueryModel model, DcmDataset& identifier,
                              const CimScope& scope = {});

// DICOM matching of one stored value against one query value, as C-FIND defines it: empty
// query matches everything; '*' and '?' wildcards; "A-B" ranges when `range` (DA, TM, DT);
// a backslash-separated list matches any of its values when `list` (UI, multi-valued CS).
// `fold_case` compares case-insensitively (person names). Exposed for tests.
bool dicomValueMatches(const std::string& query, const std::string& value, bool range, bool list,
                       bool fold_case);

}  // namespace dualread
