// Observations: the ways into the box the checks saw, secure or not, in one typed list that
// the vendor's pledge is reconciled against (pledge.h). A check records an observation for
// everything a pledge can declare (a service it found started, an account, a private key, an
// outbound endpoint), and a finding only when the thing is insecure by itself.
//
//   ctx.Observe({ObservationKind::kService, "telnetd", "tcp", {23}, "started by inittab line 4",
//                evidence, "CB-SVC-001"});
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/audit/finding.h"

namespace clearbox::audit {

enum class ObservationKind { kService, kAccount, kKey, kEndpoint };
std::string_view ObservationKindName(ObservationKind k);  // "service", "account", "key", "endpoint"

struct Observation {
  ObservationKind kind = ObservationKind::kService;
  // What a pledge names it by:
  //   service:  the program's base name as started ("telnetd", "dropbear", "sshd", "nc")
  //   account:  the login name ("root")
  //   key:      the OpenSSH-style fingerprint of the public half ("SHA256:base64-no-padding")
  //   endpoint: the host name or address as written in the image ("update.vendor.example")
  std::string name;
  std::string protocol;         // services: "tcp" / "udp" (empty when unknown)
  std::vector<uint16_t> ports;  // services: listening ports when known
  std::string detail;           // for a person: "started by /etc/inittab line 4", "uid 0, password set"
  Evidence evidence;
  std::string check_id;  // the check that saw it
  // Insecure by itself (the check also reported a finding); a pledge cannot make it kept.
  bool insecure = false;
  // Seen only as a string in a program (endpoints): the program may print it rather than
  // connect to it, so an undeclared one is a lower-severity pledge finding.
  bool in_program_strings = false;
};

// One item the pledge declares and what the audit found of it.
struct PledgeItem {
  ObservationKind kind = ObservationKind::kService;
  std::string name;
  bool found = false;            // kept: the image has it as declared
  std::string detail;            // "declared port 22/tcp, found started by /etc/init.d/dropbear"
  std::vector<Evidence> evidence;
};

}  // namespace clearbox::audit
