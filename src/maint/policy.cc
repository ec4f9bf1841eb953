// The maintenance policy: parsing (strict) and the check against the pledge.
#include "clearbox/maint/policy.h"

#include <set>

#include "clearbox/core/digest.h"
#include "clearbox/core/strict_json.h"
#include "clearbox/crypto/note.h"
#include "clearbox/maint/observer.h"
#include "clearbox/maint/ssh_cert.h"
#include "maint/maint_statements_internal.h"

namespace clearbox::maint {

using internal::Fields;
using internal::Json;

Result<uint64_t> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return Error::InvalidInput(internal::Quoted(text) +
                               " is not a duration: 1-6 digits and s, m, h or d (\"4h\")");
  };
  if (text.size() < 2 || text.size() > 7) return bad();
  uint64_t n = 0;
  for (char c : text.substr(0, text.size() - 1)) {
    if (c < '0' || c > '9') return bad();
    n = n * 10 + uint64_t(c - '0');
  }
  switch (text.back()) {
    case 's': return n;
    case 'm': return n * 60;
    case 'h': return n * 3600;
    case 'd': return n * 86400;
    default: return bad();
  }
}

std::string FormatDuration(uint64_t s) {
  if (s != 0 && s % 86400 == 0) return std::to_string(s / 86400) + "d";
  if (s != 0 && s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s != 0 && s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

const Person* FindPerson(const std::vector<Person>& people, std::string_view name) {
  for (const Person& p : people) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<release::TrustedKey> KeysOf(const std::vector<Person>& people) {
  std::vector<release::TrustedKey> keys;
  keys.reserve(people.size());
  for (const Person& p : people) keys.push_back(p.key);
  return keys;
}

namespace {

constexpr size_t kName = PolicyLimits::kMaxNameBytes;

// A list of people; `with_roles` for approvers. Keys are C2SP verifier keys; the TrustedKey
// is named after the person so that a verified signature names them.
Result<std::vector<Person>> ReadPeople(const Fields& top, std::string_view key, bool with_roles,
                                       bool required, const std::string& what) {
  std::vector<Person> out;
  if (!top.Has(key)) {
    if (required) return top.Invalid(key, "missing");
    return out;
  }
  CLEARBOX_ASSIGN_OR_RETURN(const Json* list, top.Array(key, PolicyLimits::kMaxPeople));
  if (list->empty() && required) return top.Invalid(key, "empty list");
  std::set<std::string> names, keys;
  for (size_t i = 0; i < list->size(); ++i) {
    std::string path = "/" + std::string(key) + "/" + std::to_string(i);
    const Json& item = (*list)[i];
    if (!item.is_object()) return Error::InvalidInput(what + ": " + path + ": expected an object");
    Fields f(item, what, path);
    if (with_roles) {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"name", "roles", "key", "revoked"}));
    } else {
      CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"name", "key", "revoked"}));
    }
    CLEARBOX_ASSIGN_OR_RETURN(std::string name, f.Name("name", kName));
    if (!names.insert(name).second) return f.Invalid("name", internal::Quoted(name) + " is listed twice");
    std::vector<std::string> roles;
    if (with_roles) {
      CLEARBOX_ASSIGN_OR_RETURN(roles, f.NameList("roles", PolicyLimits::kMaxRoles, kName));
    }
    CLEARBOX_ASSIGN_OR_RETURN(std::string key_text, f.String("key", 1024));
    auto verifier = crypto::Ed25519NoteVerifier::FromVerifierKey(key_text);
    if (!verifier.ok()) {
      return f.Invalid("key", "not a clearbox verifier key (`clearbox key public`): " +
                                  verifier.error().message());
    }
    auto trusted = release::TrustedKey::FromEd25519(name, (*verifier)->public_key());
    if (!keys.insert(trusted.keyid()).second) {
      return f.Invalid("key", "the same key is listed for two people");
    }
    bool revoked = false;
    if (f.Has("revoked")) {
      CLEARBOX_ASSIGN_OR_RETURN(revoked, f.Bool("revoked"));
    }
    out.push_back(Person{std::move(name), std::move(roles), std::move(key_text),
                         std::move(trusted), revoked});
  }
  return out;
}

}  // namespace

Result<Policy> ParsePolicy(std::string_view text, std::string_view name_view) {
  std::string what(name_view);
  if (text.size() > PolicyLimits::kMaxPolicyBytes) {
    return Error::LimitExceeded(what + ": " + std::to_string(text.size()) +
                                " bytes, more than the limit of " +
                                std::to_string(PolicyLimits::kMaxPolicyBytes));
  }
  CLEARBOX_ASSIGN_OR_RETURN(Json doc, ParseStrictJson(text, what, PolicyLimits::kMaxDepth));
  if (!doc.is_object()) return Error::InvalidInput(what + ": expected a JSON object");
  Fields f(doc, what, "");
  CLEARBOX_RETURN_IF_ERROR(f.OnlyKnown({"$schema", "version", "ca-key", "requesters", "approvers",
                                        "issuers", "recorders", "thresholds", "max-window", "principals",
                                        "source-address", "force-command", "observer-required",
                                        "observer", "max-clock-skew", "log"}));
  Policy p;
  p.sha256 = Sha256Hex(AsBytes(text));
  CLEARBOX_ASSIGN_OR_RETURN(uint64_t version, f.Unsigned("version", 1, 1));
  (void)version;

  CLEARBOX_ASSIGN_OR_RETURN(p.ca_key, f.String("ca-key", 16 * 1024));
  auto ca = ParseSshPublicKey(p.ca_key);
  if (!ca.ok()) return f.Invalid("ca-key", ca.error().message());
  if (ca->type != "ssh-ed25519") {
    return f.Invalid("ca-key", ca->type + " key: the certificate authority must be ssh-ed25519");
  }

  CLEARBOX_ASSIGN_OR_RETURN(p.requesters, ReadPeople(f, "requesters", false, true, what));
  CLEARBOX_ASSIGN_OR_RETURN(p.approvers, ReadPeople(f, "approvers", true, true, what));
  CLEARBOX_ASSIGN_OR_RETURN(p.issuers, ReadPeople(f, "issuers", false, true, what));
  CLEARBOX_ASSIGN_OR_RETURN(p.recorders, ReadPeople(f, "recorders", false, false, what));

  CLEARBOX_ASSIGN_OR_RETURN(const Json* thresholds,
                            f.Array("thresholds", PolicyLimits::kMaxThresholds));
  if (thresholds->empty()) return f.Invalid("thresholds", "empty list: nothing could approve");
  for (size_t i = 0; i < thresholds->size(); ++i) {
    std::string path = "/thresholds/" + std::to_string(i);
    if (!(*thresholds)[i].is_object()) {
      return Error::InvalidInput(what + ": " + path + ": expected an object");
    }
    Fields t((*thresholds)[i], what, path);
    CLEARBOX_RETURN_IF_ERROR(t.OnlyKnown({"name", "roles", "approve", "deny"}));
    Threshold th;
    if (t.Has("name")) {
      CLEARBOX_ASSIGN_OR_RETURN(th.name, t.Name("name", kName));
    } else {
      th.name = "threshold " + std::to_string(i);
    }
    CLEARBOX_ASSIGN_OR_RETURN(th.roles, t.NameList("roles", PolicyLimits::kMaxRoles, kName));
    CLEARBOX_ASSIGN_OR_RETURN(uint64_t approve, t.Unsigned("approve", 1, PolicyLimits::kMaxPeople));
    CLEARBOX_ASSIGN_OR_RETURN(uint64_t deny, t.Unsigned("deny", 1, PolicyLimits::kMaxPeople));
    th.approve = uint32_t(approve);
    th.deny = uint32_t(deny);
    size_t eligible = 0;
    for (const Person& a : p.approvers) {
      bool has = false;
      for (const std::string& r : a.roles) {
        for (const std::string& want : th.roles) has = has || r == want;
      }
      if (has && !a.revoked) ++eligible;
    }
    if (eligible < th.approve) {
      return t.Invalid("approve", "needs " + std::to_string(th.approve) + " approvers but only " +
                                      std::to_string(eligible) +
                                      " unrevoked approver(s) hold one of its roles");
    }
    p.thresholds.push_back(std::move(th));
  }

  CLEARBOX_ASSIGN_OR_RETURN(std::string window, f.String("max-window", 16));
  auto max_window = ParseDuration(window);
  if (!max_window.ok()) return f.Invalid("max-window", max_window.error().message());
  if (*max_window == 0 || *max_window > PolicyLimits::kMaxWindowSeconds) {
    return f.Invalid("max-window", window + " is out of range 1s-" +
                                       FormatDuration(PolicyLimits::kMaxWindowSeconds));
  }
  p.max_window_seconds = *max_window;

  CLEARBOX_ASSIGN_OR_RETURN(p.principals,
                            f.NameList("principals", PolicyLimits::kMaxPrincipals, kName));
  CLEARBOX_ASSIGN_OR_RETURN(p.source_address, f.String("source-address", 4096));
  if (Status s = CheckSourceAddressList(p.source_address); !s.ok()) {
    return f.Invalid("source-address", s.error().message());
  }
  CLEARBOX_ASSIGN_OR_RETURN(p.force_command, f.String("force-command", 4096));
  CLEARBOX_ASSIGN_OR_RETURN(p.observer_required, f.Bool("observer-required"));
  if (f.Has("observer")) {  // live observers: docs/maint-recording.md
    CLEARBOX_ASSIGN_OR_RETURN(const Json* obs, f.Object("observer"));
    Fields o(*obs, what, "/observer");
    CLEARBOX_RETURN_IF_ERROR(o.OnlyKnown({"relay", "on-leave"}));
    CLEARBOX_ASSIGN_OR_RETURN(p.observer.relay, o.String("relay", 300));
    if (auto hp = SplitHostPort(p.observer.relay); !hp.ok()) {
      return o.Invalid("relay", hp.error().message());
    }
    if (o.Has("on-leave")) {
      CLEARBOX_ASSIGN_OR_RETURN(std::string on_leave, o.String("on-leave", 8));
      if (on_leave != "pause" && on_leave != "end") {
        return o.Invalid("on-leave", internal::Quoted(on_leave) + ": expected \"pause\" or \"end\"");
      }
      p.observer.end_on_leave = on_leave == "end";
    }
  }
  if (f.Has("max-clock-skew")) {
    CLEARBOX_ASSIGN_OR_RETURN(std::string skew_text, f.String("max-clock-skew", 16));
    auto skew = ParseDuration(skew_text);
    if (!skew.ok()) return f.Invalid("max-clock-skew", skew.error().message());
    if (*skew > PolicyLimits::kMaxClockSkewSeconds) {
      return f.Invalid("max-clock-skew", skew_text + " is more than the limit of 1h");
    }
    p.max_clock_skew_seconds = *skew;
  }

  CLEARBOX_ASSIGN_OR_RETURN(const Json* log, f.Object("log"));
  Fields l(*log, what, "/log");
  CLEARBOX_RETURN_IF_ERROR(l.OnlyKnown({"url", "key", "origin"}));
  CLEARBOX_ASSIGN_OR_RETURN(p.log.url, l.String("url", 2048));
  CLEARBOX_ASSIGN_OR_RETURN(p.log.key, l.String("key", 1024));
  auto log_key = crypto::Ed25519NoteVerifier::FromVerifierKey(p.log.key);
  if (!log_key.ok()) return l.Invalid("key", log_key.error().message());
  if (l.Has("origin")) {
    CLEARBOX_ASSIGN_OR_RETURN(p.log.origin, l.Name("origin", kName));
  } else {
    p.log.origin = (*log_key)->name();
  }
  return p;
}

std::vector<std::string> CheckPolicyAgainstPledge(const Policy& policy,
                                                  const PledgedMaintenance& pledge) {
  std::vector<std::string> findings;
  if (pledge.procedure != "operator-approved") {
    findings.push_back("the pledge declares maintenance \"" + pledge.procedure +
                       "\", but the policy grants remote maintenance certificates");
    return findings;
  }
  std::set<std::string> counting;  // approvers who can count toward some threshold
  for (const Threshold& t : policy.thresholds) {
    if (t.approve < pledge.approvals_required) {
      findings.push_back("threshold \"" + t.name + "\" approves with " + std::to_string(t.approve) +
                         " approval(s); the pledge declares " +
                         std::to_string(pledge.approvals_required) + " of " +
                         std::to_string(pledge.approvers));
    }
    for (const Person& a : policy.approvers) {
      if (a.revoked) continue;
      for (const std::string& r : a.roles) {
        for (const std::string& want : t.roles) {
          if (r == want) counting.insert(a.name);
        }
      }
    }
  }
  if (counting.size() > pledge.approvers) {
    findings.push_back(std::to_string(counting.size()) +
                       " approvers can count toward a threshold; the pledge declares " +
                       std::to_string(pledge.approvals_required) + " of " +
                       std::to_string(pledge.approvers));
  }
  return findings;
}

}  // namespace clearbox::maint
