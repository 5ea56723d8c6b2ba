#include "gateway/exam_actions.h"

#include <spdlog/spdlog.h>

#include "dicom/instance_reader.h"
#include "util/wall_clock.h"

namespace dualread {
namespace {

constexpr size_t kMaxReason = 1000;
constexpr size_t kMaxBy = 100;

std::string trimmed(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return {};
  const size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

bool hasControl(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

// The request's problem as a result, or nullopt when it is usable.
std::optional<ExamActionResult> invalid(const ExamActionRequest& r) {
  auto bad = [](std::string en, std::string fr) {
    ExamActionResult x;
    x.bad_input = true;
    x.message = std::move(en);
    x.message_fr = std::move(fr);
    return x;
  };
  if (!isValidUid(r.study_uid))
    return bad("'" + r.study_uid.substr(0, 80) + "' is not a Study Instance UID",
               "« " + r.study_uid.substr(0, 80) + " » n'est pas un identifiant d'étude (UID)");
  if (r.reason.size() < 3)
    return bad("say why (the reason, at least 3 characters): it is kept in the gateway's journal",
               "indiquez le motif (au moins 3 caractères) : il est conservé dans le journal de la "
               "passerelle");
  if (r.reason.size() > kMaxReason || hasControl(r.reason))
    return bad("the reason must be one line of at most 1000 characters",
               "le motif doit tenir sur une ligne de 1000 caractères au plus");
  if (r.by.empty()) return bad("say who decides (your name)", "indiquez qui décide (votre nom)");
  if (r.by.size() > kMaxBy || hasControl(r.by))
    return bad("the name must be one line of at most 100 characters",
               "le nom doit tenir sur une ligne de 100 caractères au plus");
  return std::nullopt;
}

JournalEntry entryOf(const ExamActionRequest& r) {
  JournalEntry j;
  j.at = nowIso();
  j.study_uid = r.study_uid;
  j.reason = r.reason;
  j.by = r.by;
  j.source = r.source;
  return j;
}

// Common wording of the outcomes other than success.
ExamActionResult refusal(const ExamActionOutcome& o, const std::string& study, bool retry) {
  ExamActionResult x;
  x.status = o.status;
  switch (o.status) {
    case ExamActionStatus::kNoSuchExam:
      x.message = "no exam " + study + " at this gateway";
      x.message_fr = "aucun examen " + study + " sur cette passerelle";
      break;
    case ExamActionStatus::kFilesRemoved:
      x.message = "exam " + study +
                  " was dismissed and its files have since been removed (retention): it cannot "
                  "be sent again from this gateway; send it again from the PACS";
      x.message_fr = "l'examen " + study +
                     " a été écarté et ses fichiers ont depuis été supprimés (durée de "
                     "conservation) : renvoyez-le depuis le PACS";
      break;
    default:
      if (retry) {
        x.message = "exam " + study + " is " + o.previous_state +
                    ": only an exam in error (or dismissed) can be retried";
        x.message_fr = "l'examen " + study + " n'est pas en erreur (état : " + o.previous_state +
                       ") : seul un examen en erreur ou écarté peut être renvoyé";
      } else {
        x.message = "exam " + study + " is " + o.previous_state +
                    ": only an exam in error can be dismissed (an exam still on its way is "
                    "never given up)";
        x.message_fr = "l'examen " + study + " n'est pas en erreur (état : " + o.previous_state +
                       ") : seul un examen en erreur peut être écarté";
      }
  }
  return x;
}

}  // namespace

ExamActionResult retryGatewayExam(GatewayQueue& queue, const ExamActionRequest& in) {
  ExamActionRequest r = in;
  r.reason = trimmed(r.reason);
  r.by = trimmed(r.by);
  if (auto bad = invalid(r)) return *bad;
  const ExamActionOutcome o = queue.retryExam(entryOf(r));
  if (o.status != ExamActionStatus::kDone) return refusal(o, r.study_uid, true);
  ExamActionResult x;
  x.done = true;
  x.status = o.status;
  x.instances = o.instances;
  x.message = "exam " + r.study_uid + " will be sent again (" + std::to_string(o.instances) +
              " refused image(s) go back to the hub, which examines them afresh); reason kept "
              "in the journal";
  x.message_fr = "l'examen " + r.study_uid + " va être renvoyé (" + std::to_string(o.instances) +
                 " image(s) refusée(s) soumise(s) de nouveau au centre) ; motif conservé dans le "
                 "journal";
  spdlog::info("Exam {} retried by {} ({}): {}; it was {} ({}); {} image(s) sent again",
               r.study_uid, r.by, r.source, r.reason, o.previous_state, o.previous_reason,
               o.instances);
  return x;
}

ExamActionResult dismissGatewayExam(GatewayQueue& queue, const ExamActionRequest& in) {
  ExamActionRequest r = in;
  r.reason = trimmed(r.reason);
  r.by = trimmed(r.by);
  if (auto bad = invalid(r)) return *bad;
  const ExamActionOutcome o = queue.dismissExam(entryOf(r));
  if (o.status != ExamActionStatus::kDone) return refusal(o, r.study_uid, false);
  ExamActionResult x;
  x.done = true;
  x.status = o.status;
  x.message = "exam " + r.study_uid +
              " dismissed: nothing more is sent, the hub's ledger will record the dismissal "
              "with its reason, and the files are kept until the retention period after that";
  x.message_fr = "l'examen " + r.study_uid +
                 " est écarté : plus rien n'est envoyé, le registre du centre enregistrera ce "
                 "choix et son motif, et les fichiers sont gardés jusqu'à la fin de la durée de "
                 "conservation qui suit";
  spdlog::warn("Exam {} dismissed by {} ({}): {}; it was in error: {}", r.study_uid, r.by, r.source,
               r.reason, o.previous_reason);
  return x;
}

}  // namespace dualread
