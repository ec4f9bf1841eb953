// The session statement (include/clearbox/maint/session.h).
#include "clearbox/core/encoding.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/session.h"
#include "maint/maint_statements_internal.h"

namespace clearbox::maint {

using internal::Json;

release::Statement MakeSessionStatement(const SessionRecord& r) {
  Json p = r.summary.ToJson();
  p["observers"] = r.observers;
  std::string name = "maint-recording:" + p["ticket"].get<std::string>() + "/" +
                     std::to_string(r.summary.serial);
  return {{{std::move(name), HexEncode(r.summary.cast_sha256)}},
          std::string(kSessionPredicateType), std::move(p)};
}

Result<SessionRecord> SessionRecordOf(const release::Statement& s) {
  if (s.predicate_type != kSessionPredicateType) {
    return Error::InvalidInput("statement: /predicateType: " + internal::Quoted(s.predicate_type) +
                               " is not " + internal::Quoted(kSessionPredicateType));
  }
  if (s.subjects.size() != 1) {
    return Error::InvalidInput("statement: /subject: " + std::to_string(s.subjects.size()) +
                               " subjects; a session statement has exactly one");
  }
  if (!s.predicate.is_object()) return Error::InvalidInput("statement: /predicate: not an object");
  internal::Fields f(s.predicate, "statement", "/predicate");
  CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"ticket", "serial", "device", "command", "pty", "start",
                                        "end", "exitStatus", "castSha256", "chainHead", "chunks",
                                        "bytes", "events", "observers"}));
  SessionRecord r;
  auto summary = SessionSummary::FromJson(s.predicate);
  if (!summary.ok()) {
    return Error::InvalidInput("statement: /predicate/" + summary.error().message());
  }
  r.summary = std::move(*summary);
  if (r.summary.end_unix_us < r.summary.start_unix_us) {
    return f.Invalid("end", "before /predicate/start");
  }
  if (HexEncode(r.summary.cast_sha256) != s.subjects[0].sha256) {
    return Error::InvalidInput(
        "statement: /subject/0/digest/sha256: is not /predicate/castSha256");
  }
  CLEARBOX_ASSIGN_OR_RETURN(r.observers, f.NameList("observers", kMaxObservers,
                                                    PolicyLimits::kMaxNameBytes,
                                                    /*allow_empty=*/true));
  return r;
}

}  // namespace clearbox::maint
