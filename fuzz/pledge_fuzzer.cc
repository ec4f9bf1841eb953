// Fuzzes ParsePledge (the pledge document and its embedded MUD profile) and, for a document
// that parses, ApplyPledge over a fixed set of observations of every kind, so the matching
// (names, ports, "*.domain", CIDR blocks) sees what the parser let through.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/pledge_apply.h"
#include "clearbox/audit/check.h"
#include "clearbox/audit/pledge.h"

using namespace clearbox;

namespace {

audit::Observation Seen(audit::ObservationKind kind, const char* name, uint16_t port) {
  audit::Observation o;
  o.kind = kind;
  o.name = name;
  if (port != 0) {
    o.protocol = "tcp";
    o.ports = {port};
  }
  o.detail = kind == audit::ObservationKind::kAccount ? "uid 0, password set" : "seen";
  o.evidence = {"fuzz!squashfs:/etc/x", "/etc/x", 0, "x"};
  o.check_id = "CB-FUZZ-000";
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<audit::Pledge> pledge = audit::ParsePledge(text, "fuzz.json");
  if (!pledge.ok()) {
    (void)pledge.error().message();
    return 0;
  }
  using K = audit::ObservationKind;
  audit::AuditReport report;
  report.observations = {Seen(K::kService, "dropbear", 22),
                         Seen(K::kService, "telnetd", 23),
                         Seen(K::kAccount, "root", 0),
                         Seen(K::kKey, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", 0),
                         Seen(K::kEndpoint, "update.example-networks.example", 443),
                         Seen(K::kEndpoint, "192.0.2.7", 0),
                         Seen(K::kEndpoint, "2001:db8::1", 0)};
  audit::internal::ApplyPledge(*pledge, report);
  (void)audit::AuditReportJson(report);
  return 0;
}
