// The vendor's pledge: the services, accounts, keys, outbound endpoints and maintenance
// procedure a vendor declares, and a statement of no other ways in (docs/pledge.md,
// docs/pledge.schema.json). `clearbox audit --pledge FILE` reconciles it with what the audit
// observed: each declared item found or missing, each undeclared way in a finding.
//
//   auto pledge = ParsePledge(text, "pledge.json");   // errors name the JSON path
//   opts.pledge = &*pledge;
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/audit/observation.h"
#include "clearbox/core/result.h"

namespace clearbox::audit {

struct Pledge {
  std::string product;
  std::vector<std::string> versions;
  struct Service {
    std::string name;             // program base name as started ("dropbear")
    std::string start;            // start command as declared
    std::string protocol;         // "tcp" / "udp"
    std::vector<uint16_t> ports;
    std::vector<std::string> logins;  // who may log in
  };
  std::vector<Service> services;
  struct Account {
    std::string name;
    uint32_t uid = 0;
    bool password_set = false;
    std::string provisioning;  // "set at first boot by the operator"
  };
  std::vector<Account> accounts;
  struct Key {
    std::string fingerprint;  // "SHA256:..."
    std::string purpose;
  };
  std::vector<Key> keys;
  // Outbound endpoints, from the MUD profile's ACLs (dst-dnsname, destination networks).
  std::vector<std::string> endpoints;
  std::string mud_url;          // when the profile is referenced, not embedded
  std::string maintenance;      // how vendor staff get access
  bool no_other_ways_in = false;
};

// Parses and validates a pledge document. Errors: kInvalidInput naming `name`, the JSON path
// of the offending field and what was expected.
Result<Pledge> ParsePledge(std::string_view text, std::string_view name);

}  // namespace clearbox::audit
