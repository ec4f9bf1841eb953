// The three maint predicates (request, review, certificate record) and the JSON field reader
// the policy parser shares.
#include <algorithm>
#include <ctime>
#include <set>

#include "clearbox/core/digest.h"
#include "clearbox/core/utc_time.h"
#include "clearbox/maint/approval.h"
#include "clearbox/maint/ssh_cert.h"
#include "maint/maint_statements_internal.h"

namespace clearbox::maint {
namespace internal {

std::string Quoted(std::string_view s) {
  std::string out = "\"";
  size_t n = 0;
  for (unsigned char c : s) {
    if (++n > 80) {
      out += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string JsonTypeName(const Json& j) {
  if (j.is_number_unsigned() || j.is_number_integer()) return "integer";
  return j.type_name();
}

bool IsPrintableName(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

Error Fields::Invalid(std::string_view key, std::string_view message) const {
  return Error::InvalidInput(what_ + ": " + PathOf(key) + ": " + std::string(message));
}
Error Fields::Limit(std::string_view key, std::string_view message) const {
  return Error::LimitExceeded(what_ + ": " + PathOf(key) + ": " + std::string(message));
}

Status Fields::OnlyKnown(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, value] : object_.items()) {
    bool found = false;
    for (std::string_view k : known) found = found || k == key;
    if (!found) return Invalid(key, "unknown field (a typo? see docs/maint.md)");
  }
  return Status::Ok();
}

Result<const Json*> Fields::Get(std::string_view key, Json::value_t type,
                                const char* type_name) const {
  auto it = object_.find(key);
  if (it == object_.end()) return Invalid(key, "missing");
  bool ok = it->type() == type ||
            (type == Json::value_t::number_unsigned && it->is_number_integer() && *it >= 0);
  if (!ok) return Invalid(key, std::string("expected ") + type_name + ", got " + JsonTypeName(*it));
  return &*it;
}

Result<std::string> Fields::String(std::string_view key, size_t max_bytes, bool allow_empty) const {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* j, Get(key, Json::value_t::string, "a string"));
  const std::string& s = j->get_ref<const std::string&>();
  if (s.empty() && !allow_empty) return Invalid(key, "empty");
  if (s.size() > max_bytes) {
    return Invalid(key, std::to_string(s.size()) + " bytes, at most " + std::to_string(max_bytes));
  }
  return s;
}

Result<std::string> Fields::Name(std::string_view key, size_t max_bytes) const {
  CLEARBOX_ASSIGN_OR_RETURN(std::string s, String(key, max_bytes));
  if (!IsPrintableName(s)) {
    return Invalid(key, Quoted(s) + " is not printable ASCII without leading or trailing spaces");
  }
  return s;
}

Result<std::vector<std::string>> Fields::NameList(std::string_view key, size_t max_items,
                                                  size_t max_bytes, bool allow_empty) const {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* a, Array(key, max_items));
  if (a->empty() && !allow_empty) return Invalid(key, "empty list");
  std::vector<std::string> out;
  std::set<std::string_view> seen;
  for (size_t i = 0; i < a->size(); ++i) {
    const Json& item = (*a)[i];
    std::string item_key = std::string(key) + "/" + std::to_string(i);
    if (!item.is_string()) return Invalid(item_key, "expected a string, got " + JsonTypeName(item));
    const std::string& s = item.get_ref<const std::string&>();
    if (s.size() > max_bytes || !IsPrintableName(s)) {
      return Invalid(item_key, Quoted(s) + " is not a name (printable ASCII, 1-" +
                                   std::to_string(max_bytes) + " bytes)");
    }
    if (!seen.insert(s).second) return Invalid(item_key, Quoted(s) + " is listed twice");
    out.push_back(s);
  }
  return out;
}

Result<uint64_t> Fields::Unsigned(std::string_view key, uint64_t min, uint64_t max) const {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* j,
                            Get(key, Json::value_t::number_unsigned, "a non-negative integer"));
  uint64_t v = j->get<uint64_t>();
  if (v < min || v > max) {
    return Invalid(key, std::to_string(v) + " is out of range " + std::to_string(min) + "-" +
                            std::to_string(max));
  }
  return v;
}

Result<bool> Fields::Bool(std::string_view key) const {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* j, Get(key, Json::value_t::boolean, "true or false"));
  return j->get<bool>();
}

Result<const Json*> Fields::Object(std::string_view key) const {
  return Get(key, Json::value_t::object, "an object");
}

Result<const Json*> Fields::Array(std::string_view key, size_t max_items) const {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* a, Get(key, Json::value_t::array, "an array"));
  if (a->size() > max_items) {
    return Limit(key, std::to_string(a->size()) + " items, at most " + std::to_string(max_items));
  }
  return a;
}

Result<uint64_t> Fields::Time(std::string_view key) const {
  CLEARBOX_ASSIGN_OR_RETURN(std::string s, String(key, 64));
  auto t = ParseUtcTime(s);
  if (!t.ok()) return Invalid(key, t.error().message());
  return *t;
}

Result<std::string> Fields::Sha256(std::string_view key) const {
  CLEARBOX_ASSIGN_OR_RETURN(std::string s, String(key, 64));
  if (s.size() != 64 || s.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Invalid(key, Quoted(s) + " is not a SHA-256 (64 lowercase hex digits)");
  }
  return s;
}

}  // namespace internal

using internal::Fields;
using internal::Json;

Result<uint64_t> ParseUtcTime(std::string_view text) {
  CLEARBOX_ASSIGN_OR_RETURN(int64_t t, ParseUtcSeconds(text));
  return uint64_t(t);
}

std::string FormatUtcTime(uint64_t seconds) {
  return FormatUtcSeconds(int64_t(std::min<uint64_t>(seconds, INT64_MAX)));
}

namespace {

constexpr size_t kName = PolicyLimits::kMaxNameBytes;

Result<const Json*> SingleSubject(const release::Statement& s, std::string_view type) {
  if (s.predicate_type != type) {
    return Error::InvalidInput("statement: /predicateType: " + internal::Quoted(s.predicate_type) +
                               " is not " + internal::Quoted(type));
  }
  if (s.subjects.size() != 1) {
    return Error::InvalidInput("statement: /subject: " + std::to_string(s.subjects.size()) +
                               " subjects; a " + std::string(type) + " statement has exactly one");
  }
  if (!s.predicate.is_object()) return Error::InvalidInput("statement: /predicate: not an object");
  return &s.predicate;
}

Json ToJson(const std::vector<std::string>& v) { return Json(v); }

}  // namespace

Result<release::Statement> MakeRequestStatement(const MaintRequest& r) {
  CLEARBOX_ASSIGN_OR_RETURN(SshPublicKey key, ParseSshPublicKey(r.engineer_key));
  key.comment.clear();
  Json p = {{"ticket", r.ticket},
            {"engineer-key", FormatSshPublicKey(key)},
            {"devices", ToJson(r.devices)},
            {"principals", ToJson(r.principals)},
            {"window", {{"start", FormatUtcTime(r.window_start)}, {"end", FormatUtcTime(r.window_end)}}},
            {"reason", r.reason},
            {"requested-at", FormatUtcTime(r.requested_at)},
            {"requester", r.requester}};
  return release::Statement{{{SshFingerprint(key.blob), Sha256Hex(key.blob)}},
                            std::string(kRequestPredicateType), std::move(p)};
}

release::Statement MakeReviewStatement(const MaintReview& r) {
  Json p = {{"request", r.request_sha256},
            {"ticket", r.ticket},
            {"decision", r.approve ? "approve" : "deny"},
            {"reason", r.reason},
            {"reviewed-at", FormatUtcTime(r.reviewed_at)},
            {"reviewer", r.reviewer}};
  return {{{"maint-request:" + r.ticket, r.request_sha256}}, std::string(kReviewPredicateType),
          std::move(p)};
}

release::Statement MakeCertificateStatement(const CertificateRecord& r) {
  Json p = {{"request", r.request_sha256},
            {"key-id", r.key_id},
            {"serial", std::to_string(r.serial)},  // a string: JSON numbers lose 64-bit values
            {"principals", ToJson(r.principals)},
            {"valid-after", FormatUtcTime(r.valid_after)},
            {"valid-before", FormatUtcTime(r.valid_before)},
            {"issued-at", FormatUtcTime(r.issued_at)},
            {"ca", r.ca_fingerprint},
            {"observer-required", r.observer_required}};
  return {{{"ssh-cert:" + r.key_id, r.certificate_sha256}},
          std::string(kCertificatePredicateType), std::move(p)};
}

Result<MaintRequest> RequestOf(const release::Statement& s) {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* p, SingleSubject(s, kRequestPredicateType));
  Fields f(*p, "statement", "/predicate");
  MaintRequest r;
  CLEARBOX_ASSIGN_OR_RETURN(r.ticket, f.Name("ticket", kName));
  CLEARBOX_ASSIGN_OR_RETURN(r.engineer_key, f.String("engineer-key", 16 * 1024));
  auto key = ParseSshPublicKey(r.engineer_key);
  if (!key.ok()) return f.Invalid("engineer-key", key.error().message());
  if (Sha256Hex(key->blob) != s.subjects[0].sha256) {
    return Error::InvalidInput(
        "statement: /subject/0/digest/sha256: is not the SHA-256 of /predicate/engineer-key");
  }
  CLEARBOX_ASSIGN_OR_RETURN(r.devices, f.NameList("devices", kMaxDevices, kName));
  CLEARBOX_ASSIGN_OR_RETURN(r.principals,
                            f.NameList("principals", PolicyLimits::kMaxPrincipals, kName));
  CLEARBOX_ASSIGN_OR_RETURN(const Json* window, f.Object("window"));
  Fields w(*window, "statement", "/predicate/window");
  CLEARBOX_ASSIGN_OR_RETURN(r.window_start, w.Time("start"));
  CLEARBOX_ASSIGN_OR_RETURN(r.window_end, w.Time("end"));
  if (r.window_end <= r.window_start) return w.Invalid("end", "not after /predicate/window/start");
  CLEARBOX_ASSIGN_OR_RETURN(r.reason, f.String("reason", kMaxReasonBytes));
  CLEARBOX_ASSIGN_OR_RETURN(r.requested_at, f.Time("requested-at"));
  CLEARBOX_ASSIGN_OR_RETURN(r.requester, f.String("requester", kName, /*allow_empty=*/true));
  return r;
}

Result<MaintReview> ReviewOf(const release::Statement& s) {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* p, SingleSubject(s, kReviewPredicateType));
  Fields f(*p, "statement", "/predicate");
  MaintReview r;
  CLEARBOX_ASSIGN_OR_RETURN(r.request_sha256, f.Sha256("request"));
  if (r.request_sha256 != s.subjects[0].sha256) {
    return Error::InvalidInput(
        "statement: /predicate/request: is not the subject's digest /subject/0/digest/sha256");
  }
  CLEARBOX_ASSIGN_OR_RETURN(r.ticket, f.Name("ticket", kName));
  CLEARBOX_ASSIGN_OR_RETURN(std::string decision, f.String("decision", 16));
  if (decision != "approve" && decision != "deny") {
    return f.Invalid("decision", internal::Quoted(decision) + " is not \"approve\" or \"deny\"");
  }
  r.approve = decision == "approve";
  CLEARBOX_ASSIGN_OR_RETURN(r.reason, f.String("reason", kMaxReasonBytes, /*allow_empty=*/true));
  CLEARBOX_ASSIGN_OR_RETURN(r.reviewed_at, f.Time("reviewed-at"));
  CLEARBOX_ASSIGN_OR_RETURN(r.reviewer, f.String("reviewer", kName, /*allow_empty=*/true));
  return r;
}

Result<CertificateRecord> CertificateRecordOf(const release::Statement& s) {
  CLEARBOX_ASSIGN_OR_RETURN(const Json* p, SingleSubject(s, kCertificatePredicateType));
  Fields f(*p, "statement", "/predicate");
  CertificateRecord r;
  r.certificate_sha256 = s.subjects[0].sha256;
  CLEARBOX_ASSIGN_OR_RETURN(r.request_sha256, f.Sha256("request"));
  CLEARBOX_ASSIGN_OR_RETURN(r.key_id, f.Name("key-id", kName));
  CLEARBOX_ASSIGN_OR_RETURN(std::string serial, f.String("serial", 20));
  if (serial.find_first_not_of("0123456789") != std::string::npos || serial[0] == '0' ||
      (serial.size() == 20 && serial > "18446744073709551615")) {
    return f.Invalid("serial", internal::Quoted(serial) + " is not a decimal serial 1-2^64-1");
  }
  r.serial = std::stoull(serial);
  CLEARBOX_ASSIGN_OR_RETURN(r.principals,
                            f.NameList("principals", PolicyLimits::kMaxPrincipals, kName));
  CLEARBOX_ASSIGN_OR_RETURN(r.valid_after, f.Time("valid-after"));
  CLEARBOX_ASSIGN_OR_RETURN(r.valid_before, f.Time("valid-before"));
  CLEARBOX_ASSIGN_OR_RETURN(r.issued_at, f.Time("issued-at"));
  CLEARBOX_ASSIGN_OR_RETURN(r.ca_fingerprint, f.String("ca", 128));
  CLEARBOX_ASSIGN_OR_RETURN(r.observer_required, f.Bool("observer-required"));
  return r;
}

}  // namespace clearbox::maint
