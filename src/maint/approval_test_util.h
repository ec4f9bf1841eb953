// A test world for the approval layer: a policy with real keys, signed requests and reviews,
// and a log as a list of entries.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "clearbox/core/digest.h"
#include "clearbox/crypto/note.h"
#include "clearbox/maint/approval.h"
#include "clearbox/maint/policy.h"
#include "clearbox/maint/ssh_cert.h"

namespace clearbox::maint::testing {

inline constexpr uint64_t kT0 = 1796601600;  // 2026-12-07T00:00:00Z

class ApprovalWorld {
 public:
  ApprovalWorld() {
    for (const char* name : {"noc", "alice", "bob", "carol", "dave", "eve", "issuer", "mallory",
                             "ca", "engineer", "log"}) {
      keys_.emplace(name, crypto::Ed25519PrivateKey::Generate().value());
    }
  }

  std::string VKey(const std::string& who) const {
    return crypto::FormatVerifierKey(who + ".example", crypto::kNoteTypeEd25519,
                                     keys_.at(who).public_key());
  }
  std::string SshLine(const std::string& who) const {
    return FormatSshPublicKey(SshCaKey::FromEd25519(keys_.at(who)).public_key());
  }
  const crypto::Ed25519PrivateKey& Key(const std::string& who) const { return keys_.at(who); }

  // alice, bob, carol: officers; dave: officer, revoked; eve: officer and requester.
  std::string PolicyJson(uint32_t approve = 2, uint32_t deny = 2,
                         const std::string& extra = "") const {
    auto person = [&](const std::string& n, const std::string& more) {
      return "{\"name\": \"" + n + "\", \"key\": \"" + VKey(n) + "\"" + more + "}";
    };
    std::string officer = ", \"roles\": [\"officer\"]";
    return "{\"version\": 1, \"ca-key\": \"" + SshLine("ca") + "\"," +
           "\"requesters\": [" + person("noc", "") + ", " + person("eve", "") + "]," +
           "\"approvers\": [" + person("alice", officer) + ", " + person("bob", officer) + ", " +
           person("carol", officer) + ", " + person("dave", officer + ", \"revoked\": true") +
           ", " + person("eve", officer) + "]," + "\"issuers\": [" + person("issuer", "") + "]," +
           "\"thresholds\": [{\"name\": \"officers\", \"roles\": [\"officer\"], \"approve\": " +
           std::to_string(approve) + ", \"deny\": " + std::to_string(deny) + "}]," +
           "\"max-window\": \"4h\", \"principals\": [\"maint-olt1\", \"maint-olt2\"]," +
           "\"source-address\": \"192.0.2.10/32\"," +
           "\"force-command\": \"/usr/lib/clearbox/record-session\"," +
           "\"observer-required\": true," + extra +
           "\"log\": {\"url\": \"http://127.0.0.1:1\", \"key\": \"" + VKey("log") + "\"}}";
  }
  Policy MakePolicy() const { return ParsePolicy(PolicyJson(), "policy.json").value(); }

  MaintRequest Request(const std::string& ticket = "CHG-1") const {
    MaintRequest r;
    r.ticket = ticket;
    r.engineer_key = SshLine("engineer");
    r.devices = {"olt1"};
    r.principals = {"maint-olt1"};
    r.window_start = kT0 + 3600;
    r.window_end = kT0 + 3 * 3600;
    r.reason = "replace line card";
    r.requested_at = kT0;
    r.requester = "noc";
    return r;
  }

  // Signs and appends; returns the entry's SHA-256.
  std::string Append(const release::Statement& s, const std::string& signer) {
    entries_.push_back(release::SignStatement(s, keys_.at(signer)).value());
    return Sha256Hex(AsBytes(entries_.back()));
  }
  std::string AppendRequest(const MaintRequest& r, const std::string& signer = "noc") {
    return Append(MakeRequestStatement(r).value(), signer);
  }
  void AppendReview(const std::string& request_sha, const std::string& who, bool approve,
                    uint64_t at = kT0 + 60, const std::string& ticket = "CHG-1") {
    MaintReview v;
    v.request_sha256 = request_sha;
    v.ticket = ticket;
    v.approve = approve;
    v.reviewed_at = at;
    v.reviewer = who;
    Append(MakeReviewStatement(v), who);
  }
  void AppendRaw(std::string bytes) { entries_.push_back(std::move(bytes)); }

  std::vector<LogEntry> Entries() const {
    std::vector<LogEntry> out;
    for (size_t i = 0; i < entries_.size(); ++i) out.push_back({i, AsBytes(entries_[i])});
    return out;
  }

 private:
  std::map<std::string, crypto::Ed25519PrivateKey> keys_;
  std::vector<std::string> entries_;
};

}  // namespace clearbox::maint::testing
