#pragma once
// PortalService: what the portal shows the people a screening file is about — a woman her own
// letters and exams with their images, a doctor the women who named her, with the letters
// addressed to that doctor and the women's exams — and the check that a letter or an image asked
// for by id belongs to the caller. Every list is looked up from the caller's own identity (the
// woman id of her portal session, the doctor's RPPS): no method takes another person's id, so a
// woman can only ever be shown her own file. Returns the API's JSON documents
// (docs/openapi.yaml, /api/portal/*). Auditing the reads is the caller's job (the HTTP handler
// records them before sending); `women` says whose data a document holds.
//
// Holds a reference to the hub's services (owned by app/Hub) and nothing else: stateless,
// thread-safe as the services it reads.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/access_role.h"
#include "index/letter_store.h"
#include "index/records.h"
#include "services/hub_services.h"

namespace dualread {

// Whether the caller may have a letter or an image she named by id.
enum class PortalAccess {
  kOk,
  kUnknown,   // no such letter or image in this hub
  kNotYours,  // it exists but concerns another woman, or was addressed to someone else
};

struct PortalDocuments {
  nlohmann::json body;
  std::vector<std::string> women;  // ids of the women whose data the body shows
};

struct PortalLetter {
  PortalAccess access = PortalAccess::kUnknown;
  std::optional<LetterRow> letter;  // set unless kUnknown
};

struct PortalImage {
  PortalAccess access = PortalAccess::kUnknown;
  InstanceRow instance;                 // valid unless kUnknown
  std::optional<std::string> woman_id;  // the woman of the image's study, when known
};

class PortalService {
 public:
  explicit PortalService(HubServices& services) : s_(services) {}

  // A woman (role woman): her letters and exams. A doctor (role doctor): the women who named her
  // (RPPS), each with the letters addressed to this doctor and her exams. Any other role gets an
  // empty document. Throws IndexError when the index cannot be read.
  PortalDocuments documents(const Principal& who);

  // Letter `id` when `who` may read it: a woman the letters addressed to her about herself, a
  // doctor the letters addressed to her about a woman who (still) names her.
  PortalLetter letter(const Principal& who, const std::string& id);

  // Image (SOP Instance UID) `sop` when `who` may have it: a woman the images of her own exams,
  // a doctor those of the women who name her.
  PortalImage image(const Principal& who, const std::string& sop);

 private:
  bool concerns(const Principal& who, const std::string& woman_id);
  nlohmann::json lettersJson(const std::string& woman_id, const std::string& recipient);
  nlohmann::json examsJson(int64_t woman_id);

  HubServices& s_;
};

}  // namespace dualread
