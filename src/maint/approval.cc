// Judging a maintenance request from the log: the request, each review in log order, the
// thresholds, and the certificates already recorded.
#include "clearbox/maint/approval.h"

#include <openssl/rand.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "clearbox/maint/session.h"
#include "clearbox/maint/ssh_cert.h"

namespace clearbox::maint {
namespace {

std::string List(const std::vector<std::string>& v, size_t max = 8) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < max; ++i) out += (i ? ", " : "") + v[i];
  if (v.size() > max) out += ", ... (" + std::to_string(v.size()) + ")";
  return out;
}

// What tickets and device names are made of: they end up on the recorder's command line.
constexpr const char* kSafeChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/-";

Status CheckRequestFields(const Policy& policy, const MaintRequest& r) {
  // The ticket goes into the certificate's key id and the recorder's command line.
  if (r.ticket.empty() || r.ticket.size() > PolicyLimits::kMaxNameBytes ||
      r.ticket.find_first_not_of(kSafeChars) !=
          std::string::npos) {
    return Error::InvalidInput("ticket: \"" + r.ticket.substr(0, 80) +
                               "\" is not 1-255 of A-Z a-z 0-9 . _ : / -");
  }
  if (r.principals.empty()) return Error::InvalidInput("principals: none asked for");
  if (r.principals.size() > PolicyLimits::kMaxPrincipals) {
    return Error::LimitExceeded("principals: " + std::to_string(r.principals.size()) +
                                " names, at most " + std::to_string(PolicyLimits::kMaxPrincipals));
  }
  std::set<std::string_view> allowed(policy.principals.begin(), policy.principals.end());
  std::set<std::string_view> seen;
  for (size_t i = 0; i < r.principals.size(); ++i) {
    const std::string& p = r.principals[i];
    if (!seen.insert(p).second) {
      return Error::InvalidInput("principals/" + std::to_string(i) + ": \"" + p +
                                 "\" is asked for twice");
    }
    if (!allowed.count(p)) {
      return Error::PermissionDenied("principals/" + std::to_string(i) + ": \"" + p +
                                     "\" is not an account the policy allows (" +
                                     List(policy.principals) + ")");
    }
  }
  if (r.devices.size() > kMaxDevices) {
    return Error::LimitExceeded("devices: " + std::to_string(r.devices.size()) +
                                " names, at most " + std::to_string(kMaxDevices));
  }
  for (size_t i = 0; i < r.devices.size(); ++i) {
    if (r.devices[i].find_first_not_of(kSafeChars) != std::string::npos) {
      return Error::InvalidInput("devices/" + std::to_string(i) + ": \"" +
                                 r.devices[i].substr(0, 80) + "\" is not A-Z a-z 0-9 . _ : / -");
    }
  }
  if (r.window_end <= r.window_start) {
    return Error::InvalidInput("window: the end " + FormatUtcTime(r.window_end) +
                               " is not after the start " + FormatUtcTime(r.window_start));
  }
  uint64_t length = r.window_end - r.window_start;
  if (length > policy.max_window_seconds) {
    return Error::PermissionDenied("window: " + FormatUtcTime(r.window_start) + "/" +
                                   FormatUtcTime(r.window_end) + " is " + FormatDuration(length) +
                                   " long, longer than the policy's max-window " +
                                   FormatDuration(policy.max_window_seconds));
  }
  return Status::Ok();
}

Status CheckNotAhead(const Policy& policy, std::string_view what, uint64_t t, uint64_t now) {
  if (t > now && t - now > policy.max_clock_skew_seconds) {
    return Error::InvalidInput(std::string(what) + ": " + FormatUtcTime(t) + " is " +
                               std::to_string(t - now) + " s ahead of this clock (" +
                               FormatUtcTime(now) + "; allowed skew " +
                               FormatDuration(policy.max_clock_skew_seconds) +
                               "): check the signer's clock or this one");
  }
  return Status::Ok();
}

std::string Expired(const MaintRequest& r, uint64_t now) {
  if (now < r.window_end) return "";
  return "the request expired: its window ended at " + FormatUtcTime(r.window_end) + ", " +
         FormatDuration(now - r.window_end) + " ago";
}

// A fast, conservative skip for log entries that cannot be maint statements, before the two
// JSON parses (envelope, statement) that dominate reading a log of other statements. True
// only when certain: the entry is not a JSON object, or its one "payload" string decodes
// (standard base64) to text with no backslash (so no JSON escape could spell a predicate
// type) and without "maint-" (so no maint predicate type is in it). Anything unusual falls
// through to the full parse.
bool CannotBeMaint(std::string_view text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || text[first] != '{') return true;
  constexpr std::string_view kKey = "\"payload\":\"";
  size_t at = text.find(kKey);
  if (at == std::string_view::npos || text.find("\"payload\"", at + 1) != std::string_view::npos) {
    return false;
  }
  size_t begin = at + kKey.size();
  size_t end = text.find('"', begin);
  if (end == std::string_view::npos) return false;
  auto payload = Base64Decode(text.substr(begin, end - begin));
  if (!payload) return false;
  std::string_view p = AsChars(*payload);
  return p.find('\\') == std::string_view::npos && p.find("maint-") == std::string_view::npos;
}

bool HasAnyRole(const Person& p, const std::vector<Threshold>& thresholds) {
  for (const Threshold& t : thresholds) {
    for (const std::string& r : p.roles) {
      for (const std::string& want : t.roles) {
        if (r == want) return true;
      }
    }
  }
  return false;
}

bool HoldsRole(const Person& p, const Threshold& t) {
  for (const std::string& r : p.roles) {
    for (const std::string& want : t.roles) {
      if (r == want) return true;
    }
  }
  return false;
}

}  // namespace

Result<std::string> ExpandForceCommand(std::string_view templ, const MaintRequest& r,
                                       uint64_t serial) {
  std::string out;
  size_t pos = 0;
  while (pos < templ.size()) {
    size_t open = templ.find('{', pos);
    if (open == std::string_view::npos) {
      out += templ.substr(pos);
      break;
    }
    out += templ.substr(pos, open - pos);
    size_t close = templ.find('}', open);
    std::string_view name =
        close == std::string_view::npos ? templ.substr(open) : templ.substr(open + 1, close - open - 1);
    if (name == "ticket") {
      out += r.ticket;
    } else if (name == "serial") {
      out += std::to_string(serial);
    } else if (name == "device") {
      if (r.devices.size() != 1) {
        return Error::InvalidInput("force-command: {device} needs a request for one device; this "
                                   "one names " + std::to_string(r.devices.size()));
      }
      out += r.devices[0];
    } else {
      return Error::InvalidInput("force-command: unknown placeholder {" +
                                 std::string(name.substr(0, 40)) +
                                 "} (known: {ticket}, {serial}, {device})");
    }
    pos = close + 1;
  }
  return out;
}

Status CheckRequest(const Policy& policy, const MaintRequest& r, uint64_t now) {
  CLEARBOX_RETURN_IF_ERROR(CheckRequestFields(policy, r));
  CLEARBOX_RETURN_IF_ERROR(CheckNotAhead(policy, "requested-at", r.requested_at, now));
  if (std::string e = Expired(r, now); !e.empty()) return Error::PermissionDenied(e);
  return Status::Ok();
}

MaintLog ReadMaintLog(std::span<const LogEntry> entries) {
  MaintLog log;
  log.entries = entries.size();
  for (const LogEntry& entry : entries) {
    std::string_view text = AsChars(entry.bytes);
    if (CannotBeMaint(text)) continue;
    auto envelope = release::ParseEnvelope(text);
    if (!envelope.ok() || envelope->payload_type != release::kInTotoPayloadType) continue;
    auto statement = release::ParseStatement(AsChars(envelope->payload));
    if (!statement.ok()) continue;
    const std::string type = statement->predicate_type;  // the statement is moved below
    LoggedStatement s{entry.index, "", std::move(*envelope), std::move(*statement)};
    if (type == kRequestPredicateType) {
      s.sha256 = Sha256Hex(entry.bytes);
      log.requests.push_back(std::move(s));
    } else if (type == kReviewPredicateType) {
      log.reviews.push_back(std::move(s));
    } else if (type == kCertificatePredicateType) {
      log.certificates.push_back(std::move(s));
    } else if (type == kSessionPredicateType) {
      log.sessions.push_back(std::move(s));
    }
  }
  return log;
}

Result<Evaluation> Evaluate(const Policy& policy, std::string_view request_sha256,
                            std::span<const LogEntry> entries, uint64_t now) {
  return Evaluate(policy, request_sha256, ReadMaintLog(entries), now);
}

Result<Evaluation> Evaluate(const Policy& policy, std::string_view request_sha256,
                            const MaintLog& log, uint64_t now) {
  Evaluation ev;
  ev.request_sha256 = std::string(request_sha256);
  const LoggedStatement* request = nullptr;
  for (const LoggedStatement& r : log.requests) {
    if (r.sha256 == request_sha256) {
      request = &r;
      break;
    }
  }
  std::vector<const LoggedStatement*> certificates;
  for (const LoggedStatement& c : log.certificates) {
    auto record = CertificateRecordOf(c.statement);
    if (!record.ok()) continue;
    ev.serials_in_log.push_back(record->serial);
    if (record->request_sha256 == request_sha256) certificates.push_back(&c);
  }
  if (request == nullptr) {
    return Error::NotFound("request sha256:" + ev.request_sha256 + " is not in the log (" +
                           std::to_string(log.entries) + " entries read)");
  }
  std::string at = "log entry " + std::to_string(request->index);
  ev.request_index = request->index;

  std::vector<release::TrustedKey> requester_keys = KeysOf(policy.requesters);
  auto signed_request = release::VerifyEnvelope(request->envelope, requester_keys);
  if (!signed_request.ok()) {
    return Error::PermissionDenied(at + ": the request is signed by no requester in the policy");
  }
  const Person* requester = FindPerson(policy.requesters, signed_request->signed_by[0]);
  if (requester == nullptr) return Error::Internal(at + ": verified signer not in the policy");
  if (requester->revoked) {
    return Error::PermissionDenied(at + ": the request is signed by " + requester->name +
                                   ", whose key is revoked in the policy");
  }
  ev.requester = requester->name;
  auto parsed = RequestOf(request->statement);
  if (!parsed.ok()) return parsed.error().WithContext(at);
  ev.request = std::move(*parsed);
  const MaintRequest& r = ev.request;
  if (Status s = CheckRequestFields(policy, r); !s.ok()) return s.error().WithContext(at);
  if (Status s = CheckNotAhead(policy, "requested-at", r.requested_at, now); !s.ok()) {
    return s.error().WithContext(at);
  }
  ev.blocked = Expired(r, now);

  std::vector<release::TrustedKey> approver_keys = KeysOf(policy.approvers);
  std::map<std::string, uint64_t> counted_at;  // approver -> log index of their counted review
  std::vector<uint32_t> approvals(policy.thresholds.size()), denials(policy.thresholds.size());
  for (const LoggedStatement& c : log.reviews) {
    auto review = ReviewOf(c.statement);
    if (!review.ok()) {
      // Only a review that names this request (or its ticket) is worth reporting.
      bool ours = c.statement.subjects.size() == 1 &&
                  c.statement.subjects[0].sha256 == ev.request_sha256;
      if (ours) {
        ReviewOutcome o;
        o.index = c.index;
        o.reviewer = "?";
        o.refused = "malformed review: " + review.error().message();
        ev.reviews.push_back(std::move(o));
      }
      continue;
    }
    bool same_request = review->request_sha256 == ev.request_sha256;
    if (!same_request && review->ticket != r.ticket) continue;
    ReviewOutcome o;
    o.index = c.index;
    o.approve = review->approve;
    o.reviewed_at = review->reviewed_at;
    o.reason = review->reason;
    o.reviewer = "?";
    // A review has one signature: checked before verifying, so that an entry with many
    // signatures cannot make the check cost (approvers x signatures) verifications.
    if (c.envelope.signatures.size() != 1) {
      o.refused = "signed " + std::to_string(c.envelope.signatures.size()) +
                  " times; a review has one signature, by one reviewer";
      ev.reviews.push_back(std::move(o));
      continue;
    }
    auto signed_review = release::VerifyEnvelope(c.envelope, approver_keys);
    const Person* approver = nullptr;
    if (signed_review.ok() && signed_review->signed_by.size() == 1) {
      approver = FindPerson(policy.approvers, signed_review->signed_by[0]);
      if (approver != nullptr) o.reviewer = approver->name;
    }
    if (!same_request) {
      o.refused = "bound to another request (sha256:" + review->request_sha256.substr(0, 16) +
                  "...) with the same ticket";
    } else if (approver == nullptr) {
      o.refused = "signed by no approver in the policy";
    } else if (approver->revoked) {
      o.refused = "approver " + approver->name + "'s key is revoked in the policy";
    } else if (approver->key.keyid() == requester->key.keyid() ||
               approver->name == requester->name) {
      o.refused = "self-approval: " + approver->name + " filed this request";
    } else if (!HasAnyRole(*approver, policy.thresholds)) {
      o.refused = approver->name + " holds none of the roles the thresholds count";
    } else if (Status s = CheckNotAhead(policy, "reviewed-at", review->reviewed_at, now); !s.ok()) {
      o.refused = s.error().message();
    } else if (review->reviewed_at >= r.window_end) {
      o.refused = "made at " + FormatUtcTime(review->reviewed_at) +
                  ", after the request expired (window ended " + FormatUtcTime(r.window_end) + ")";
    } else if (auto it = counted_at.find(approver->name); it != counted_at.end()) {
      o.refused = "counted once: " + approver->name + " already reviewed at log entry " +
                  std::to_string(it->second);
    }
    if (o.refused.empty()) {
      o.counted = true;
      counted_at[approver->name] = c.index;
      for (size_t t = 0; t < policy.thresholds.size(); ++t) {
        if (!HoldsRole(*approver, policy.thresholds[t])) continue;
        ++(review->approve ? approvals[t] : denials[t]);
      }
      // The first threshold reached decides; later reviews are recorded but change nothing.
      for (size_t t = 0; t < policy.thresholds.size() && ev.state == Evaluation::State::kPending;
           ++t) {
        const Threshold& th = policy.thresholds[t];
        if (approvals[t] >= th.approve) {
          ev.state = Evaluation::State::kApproved;
        } else if (denials[t] >= th.deny) {
          ev.state = Evaluation::State::kDenied;
        } else {
          continue;
        }
        ev.decided_by = th.name;
        ev.decided_at_index = c.index;
      }
    }
    ev.reviews.push_back(std::move(o));
  }
  for (size_t t = 0; t < policy.thresholds.size(); ++t) {
    const Threshold& th = policy.thresholds[t];
    ev.progress.push_back("\"" + th.name + "\" (" + List(th.roles) + "): " +
                          std::to_string(approvals[t]) + " of " + std::to_string(th.approve) +
                          " approvals, " + std::to_string(denials[t]) + " of " +
                          std::to_string(th.deny) + " denials");
  }

  std::vector<release::TrustedKey> issuer_keys = KeysOf(policy.issuers);
  for (const LoggedStatement* c : certificates) {
    auto signed_record = release::VerifyEnvelope(c->envelope, issuer_keys);
    if (!signed_record.ok()) continue;
    const Person* issuer = FindPerson(policy.issuers, signed_record->signed_by[0]);
    if (issuer == nullptr || issuer->revoked) continue;
    auto record = CertificateRecordOf(c->statement);
    if (record.ok()) ev.issued.emplace_back(c->index, record->serial);
  }
  return ev;
}

Result<CertificateRequest> CertificateFor(const Policy& policy, const Evaluation& e,
                                          uint64_t serial) {
  std::string what = "request " + e.request.ticket + " (log entry " +
                     std::to_string(e.request_index) + ")";
  switch (e.state) {
    case Evaluation::State::kPending: {
      std::string where;
      for (const std::string& p : e.progress) where += "; " + p;
      return Error::PermissionDenied(what + " is not approved: no threshold reached" + where);
    }
    case Evaluation::State::kDenied:
      return Error::PermissionDenied(what + " was denied by \"" + e.decided_by +
                                     "\" at log entry " + std::to_string(e.decided_at_index));
    case Evaluation::State::kApproved:
      break;
  }
  if (!e.blocked.empty()) return Error::PermissionDenied(what + ": " + e.blocked);
  if (!e.issued.empty()) {
    return Error::PermissionDenied(what + " already has a certificate: serial " +
                                   std::to_string(e.issued[0].second) + " at log entry " +
                                   std::to_string(e.issued[0].first));
  }
  CertificateRequest c;
  CLEARBOX_ASSIGN_OR_RETURN(c.subject, ParseSshPublicKey(e.request.engineer_key));
  c.serial = serial;
  c.key_id = e.request.ticket;
  c.principals = e.request.principals;
  c.valid_after = e.request.window_start;
  c.valid_before = e.request.window_end;
  CLEARBOX_ASSIGN_OR_RETURN(c.force_command,
                            ExpandForceCommand(policy.force_command, e.request, serial));
  c.source_address = policy.source_address;
  return c;
}

Result<uint64_t> NewSerial(std::span<const uint64_t> taken) {
  for (int attempt = 0; attempt < 64; ++attempt) {
    uint8_t b[8];
    if (RAND_bytes(b, sizeof b) != 1) return Error::Internal("RAND_bytes failed");
    uint64_t v = LoadBE64(b) >> 1;  // below 2^63: fits every signed 64-bit tool
    if (v != 0 && std::find(taken.begin(), taken.end(), v) == taken.end()) return v;
  }
  return Error::Internal("no free serial after 64 random draws");
}

std::string DescribeEvaluation(const Evaluation& e) {
  const MaintRequest& r = e.request;
  std::string out;
  out += "request sha256:" + e.request_sha256 + " (log entry " + std::to_string(e.request_index) +
         ")\n";
  out += "  ticket " + r.ticket + ", filed by " + e.requester + " at " +
         FormatUtcTime(r.requested_at) + "\n";
  out += "  engineer key " + r.engineer_key.substr(0, 80) + "\n";
  out += "  principals " + List(r.principals) + "; devices " + List(r.devices) + "\n";
  out += "  window " + FormatUtcTime(r.window_start) + " to " + FormatUtcTime(r.window_end) +
         " (" + FormatDuration(r.window_end - r.window_start) + ")\n";
  out += "  reason: " + r.reason + "\n";
  for (const ReviewOutcome& o : e.reviews) {
    out += "review at log entry " + std::to_string(o.index) + ": " + o.reviewer + " " +
           (o.approve ? "approves" : "denies");
    if (o.reviewed_at) out += " (" + FormatUtcTime(o.reviewed_at) + ")";
    if (!o.reason.empty()) out += ": " + o.reason;
    out += o.counted ? "  [counted]\n" : "  [refused: " + o.refused + "]\n";
  }
  for (const std::string& p : e.progress) out += "threshold " + p + "\n";
  switch (e.state) {
    case Evaluation::State::kApproved:
      out += "decision: APPROVED by \"" + e.decided_by + "\" at log entry " +
             std::to_string(e.decided_at_index) + "\n";
      break;
    case Evaluation::State::kDenied:
      out += "decision: DENIED by \"" + e.decided_by + "\" at log entry " +
             std::to_string(e.decided_at_index) + "\n";
      break;
    case Evaluation::State::kPending:
      out += "decision: pending (no threshold reached)\n";
      break;
  }
  for (const auto& [index, serial] : e.issued) {
    out += "certificate issued: serial " + std::to_string(serial) + " at log entry " +
           std::to_string(index) + "\n";
  }
  if (!e.blocked.empty()) out += "blocked: " + e.blocked + "\n";
  return out;
}

}  // namespace clearbox::maint
