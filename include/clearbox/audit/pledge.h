// The vendor's pledge: the services, accounts, keys, outbound endpoints and maintenance
// procedure a vendor declares, and a statement of no other ways in (docs/pledge.md,
// docs/pledge.schema.json). `clearbox audit --pledge FILE` reconciles it with what the audit
// observed: each declared item found or missing, each undeclared way in a finding
// (CB-PLEDGE-*, docs/checks/pledge.md).
//
//   Result<std::string> text = ReadTextFile(path, kMaxPledgeBytes);
//   auto pledge = ParsePledge(*text, "pledge.json");   // errors name the JSON path
//   if (!pledge.ok()) ... pledge.error().message()     // one error a line
//   opts.pledge = &*pledge;
//
// Thread-safety: ParsePledge is a pure function; a Pledge is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/audit/observation.h"
#include "clearbox/core/result.h"

namespace clearbox::audit {

// Input limits: a pledge is a short document written by people (and a MUD profile).
inline constexpr size_t kMaxPledgeBytes = size_t{4} << 20;
inline constexpr int kMaxPledgeDepth = 64;        // JSON nesting
inline constexpr size_t kMaxPledgeItems = 10000;  // per list (services, accounts, ...)
inline constexpr size_t kMaxPledgeErrors = 20;    // reported by one ParsePledge

struct Pledge {
  std::string vendor;                 // "Example Networks"
  std::string product;                // "EX-1000 edge router"
  std::vector<std::string> versions;  // firmware versions the pledge covers, at least one

  // A program that listens for connections (or serves a console).
  struct Service {
    std::string name;                    // program base name as started ("dropbear")
    std::string start;                   // start command as declared
    std::vector<std::string> protocols;  // "tcp", "udp", "sctp"; empty when no ports
    std::vector<uint16_t> ports;         // listening ports; empty: none (a console)
    std::vector<std::string> logins;     // declared accounts that may log in through it
    std::string purpose;                 // optional, for a person
  };
  std::vector<Service> services;

  // An account that can log in.
  struct Account {
    std::string name;
    uint32_t uid = 0;
    // true: logs in with a password; false: no password login (locked, keys only). An
    // empty password is never declarable: it always breaks the pledge.
    bool password_set = false;
    std::string provisioning;  // "set at first boot by the operator"
  };
  std::vector<Account> accounts;

  // A private key shipped in the image, named by its public half.
  struct Key {
    std::string fingerprint;  // "SHA256:" + 43 base64 characters (OpenSSH style, no padding)
    std::string purpose;
  };
  std::vector<Key> keys;

  // An outbound endpoint the device may talk to: one accepted from-device ACE of the
  // embedded MUD profile (RFC 8520), reduced to what the audit can match.
  struct Endpoint {
    // ietf-acldns:dst-dnsname (a host name; "*.domain" is a clearbox extension), or a
    // destination-ipv4-network / destination-ipv6-network (an address or CIDR block).
    std::string host;
    std::string protocol;         // "tcp" / "udp" / "" (any)
    // Destination ports: an eq port (min = max) or a range; 0, 0: any port.
    uint16_t port_min = 0;
    uint16_t port_max = 0;
    std::string acl;              // where it was declared: "acl-name/ace-name"
  };
  std::vector<Endpoint> endpoints;
  bool mud_embedded = false;  // the profile is in the pledge (endpoints can be judged)
  std::string mud_url;        // the profile's URL (referenced, or its own mud-url)

  // How vendor staff get access for maintenance.
  struct Maintenance {
    std::string procedure;  // "none", "on-site" or "operator-approved"
    // operator-approved: `approvals_required` of `approvers` operator staff approve each visit.
    uint32_t approvals_required = 0;
    uint32_t approvers = 0;
    std::string description;  // optional
  };
  Maintenance maintenance;
  // The vendor states there is no way in besides those declared (always true once parsed:
  // a document without the statement is not a pledge).
  bool no_other_ways_in = false;
};

// Parses and validates a pledge document (docs/pledge.md): strict, so that a typo cannot
// silently drop a declaration. Unknown fields, wrong types, missing required fields,
// out-of-range values and duplicate names are errors, and so are a non-JSON, larger than
// kMaxPledgeBytes or deeper than kMaxPledgeDepth document. The embedded MUD profile is read
// as a subset (docs/pledge.md says which fields).
// Errors: kInvalidInput whose message has one line per problem found (at most
// kMaxPledgeErrors), each "NAME: /json/pointer: what was wrong", e.g.
// "pledge.json: /services/2/ports/0: 70000 is not a port (1-65535)".
Result<Pledge> ParsePledge(std::string_view text, std::string_view name);

}  // namespace clearbox::audit
