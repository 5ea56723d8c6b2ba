#pragma once
// The gateway's query/retrieve client towards the imaging centre's own PACS, for priors: a
// study-level C-FIND of one patient's studies and a study-level C-MOVE to a destination AE (the
// gateway itself, which the PACS must know as a DICOM modality). DCMTK DcmSCU, one association
// per call. Stateless functions; thread-safe.

#include <stdexcept>
#include <string>
#include <vector>

#include "services/hub_config.h"

namespace dualread {

// The PACS could not be reached or refused; what() is a sentence for the technician.
class PacsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PacsStudy {
  std::string study_uid;
  std::string study_date;
  std::string modalities;  // ModalitiesInStudy as answered, backslash-separated
};

// Every study of `patient_id` the PACS knows (study root, STUDY level). Throws PacsError.
std::vector<PacsStudy> findPatientStudies(const RemoteAe& pacs, const std::string& calling_aet,
                                          const std::string& patient_id, int timeout_seconds);

struct MoveOutcome {
  int completed = 0, failed = 0, warning = 0;
};

// Asks the PACS to send one study to `destination_aet`. Throws PacsError when the PACS cannot
// be reached or refuses the whole move.
MoveOutcome moveStudy(const RemoteAe& pacs, const std::string& calling_aet,
                      const std::string& study_uid, const std::string& destination_aet,
                      int timeout_seconds);

}  // namespace dualread
