// The remote-access judgement of services.cc, shared with the config checks (which need to
// know which programs face the network): every started command classified.
#pragma once

#include <string>
#include <vector>

#include "clearbox/audit/check.h"
#include "startup.h"

namespace clearbox::audit::internal {

// One service the image starts, judged.
struct ServiceStart {
  std::string check_id;    // the check whose finding (or note) it is: "CB-SVC-001"
  Severity severity = Severity::kInfo;
  std::string name;        // program base name ("telnetd")
  std::string protocol;    // "tcp" / "udp" / ""
  std::vector<uint16_t> ports;
  std::string message;     // for a person, naming the start line
  std::vector<Evidence> evidence;  // the start line first
  bool network = false;    // listens on the network (ELF hardening applies)
  bool finding = true;     // false: an observation only (a console getty with a login)
  const inventory::FileRecord* program = nullptr;  // the binary, when found in the image
  std::string detail;      // the start command
};

std::vector<ServiceStart> JudgeServices(const inventory::Inventory& inv, const StartupMap& map);

}  // namespace clearbox::audit::internal
