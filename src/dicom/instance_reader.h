#pragma once
// Reads a received DICOM Part-10 file into an InstanceSummary, validating what the hub needs
// before anything is stored: Part-10 structure, complete (not truncated) content, the four
// UIDs, an accepted SOP Class. Large values (pixel data) are not loaded into memory.
// Stateless and thread-safe.

#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>

#include "domain/instance_summary.h"

namespace dualread {

// A received object the hub refuses; what() is a sentence for the sender.
class DicomRejected : public std::runtime_error {
 public:
  enum class Kind {
    kNotDicom,
    kTruncated,
    kMissingAttribute,
    kBadUid,
    kSopClassNotAccepted,
    kNotAsAnnounced
  };
  DicomRejected(Kind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// The SOP Classes a screening hub accepts by default (mammography, tomosynthesis, ultrasound,
// secondary capture, SR, key objects, PDF, presentation states).
const std::set<std::string>& defaultAcceptedSopClasses();

// Human name of a SOP Class UID ("Digital Mammography X-Ray Image Storage - For Presentation"),
// or the UID itself when unknown.
std::string sopClassName(const std::string& uid);

// Throws DicomRejected when the file is not an acceptable object.
InstanceSummary readInstanceSummary(const std::filesystem::path& file,
                                    const std::set<std::string>& accepted_sop_classes);

// Offset of the dataset in a Part-10 file: 132 + the length of the file meta group.
uint64_t part10DatasetOffset(const std::filesystem::path& file);

// True if `uid` has valid DICOM UID syntax (digits and dots, <= 64 chars, no empty or
// leading-zero components).
bool isValidUid(const std::string& uid);

}  // namespace dualread
