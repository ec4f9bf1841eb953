// Fuzzes the SBOM writers and the text checks they rely on. The input is split at NUL bytes:
//   part 0: a license expression (IsSpdxLicenseExpression; its canonical form must be valid
//           and canonical again),
//   part 1: a date (NormalizeDateTime; its result must normalise to itself),
//   then records, each a list of '\n'-separated fields after a one-byte tag:
//     'F' file:      filesystem, path, SONAME, DT_NEEDED (','-separated), link target, type
//     'C' component: name, version, purl, cpe, license, depends (','), file indices (','),
//                    evidence text
//     'V' match:     component index, id, source, published, cwe, severity, method, fixed, url
// Both documents must parse as JSON, with unique ids and every reference resolving.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/report/sbom.h"
#include "report/sbom_internal.h"

namespace {

using clearbox::inventory::Component;
using clearbox::inventory::FileRecord;
using clearbox::inventory::Inventory;
using clearbox::inventory::VulnerabilityMatch;
using nlohmann::json;

constexpr size_t kMaxRecords = 64;

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

std::string Field(const std::vector<std::string_view>& f, size_t i) {
  return i < f.size() ? std::string(f[i]) : std::string();
}

size_t Number(std::string_view s) {
  size_t n = 0;
  for (char c : s.substr(0, 6)) n = n * 10 + static_cast<unsigned char>(c) % 10;
  return n;
}

// An invariant broken: say which line, then crash for libFuzzer.
#define Check(ok)                                                         \
  do {                                                                    \
    if (!(ok)) {                                                          \
      std::fprintf(stderr, "sbom_fuzzer: %s (line %d)\n", #ok, __LINE__); \
      abort();                                                            \
    }                                                                     \
  } while (0)

void CheckLicense(std::string_view expression) {
  std::string canonical;
  if (!clearbox::report::IsSpdxLicenseExpression(expression, &canonical)) return;
  std::string again;
  Check(clearbox::report::IsSpdxLicenseExpression(canonical, &again));
  Check(again == canonical);
}

void CheckDate(std::string_view date) {
  using clearbox::report::internal::NormalizeDateTime;
  for (bool utc : {false, true}) {
    std::optional<std::string> d = NormalizeDateTime(date, utc);
    if (!d) continue;
    Check(NormalizeDateTime(*d, utc) == d);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts = Split(in, '\0');
  CheckLicense(parts[0]);
  if (parts.size() > 1) CheckDate(parts[1]);

  Inventory inv;
  inv.image = "fuzz.bin";
  inv.sha256 = std::string(64, 'a');
  std::vector<std::vector<std::string_view>> components, matches;
  for (size_t i = 2; i < parts.size() && i < 2 + 3 * kMaxRecords; ++i) {
    if (parts[i].empty()) continue;
    std::vector<std::string_view> f = Split(parts[i].substr(1), '\n');
    switch (parts[i][0]) {
      case 'F': {
        if (inv.files.size() >= kMaxRecords) break;
        FileRecord r;
        r.node.path = Field(f, 1);
        r.node.provenance = Field(f, 0) + ":" + r.node.path;
        r.node.link_target = Field(f, 4);
        r.node.type = static_cast<clearbox::unpack::NodeType>(Number(Field(f, 5)) % 4);
        r.sha256 = std::string(64, 'b');
        clearbox::inventory::ElfInfo elf;
        elf.soname = Field(f, 2);
        const std::string needed = Field(f, 3);  // outlives the views Split returns
        for (std::string_view n : Split(needed, ',')) elf.needed.emplace_back(n);
        r.elf = std::move(elf);
        inv.files.push_back(std::move(r));
        break;
      }
      case 'C':
        if (components.size() < kMaxRecords) components.push_back(f);
        break;
      case 'V':
        if (matches.size() < kMaxRecords) matches.push_back(f);
        break;
      default:
        break;
    }
  }
  std::sort(inv.files.begin(), inv.files.end(), [](const FileRecord& a, const FileRecord& b) {
    return a.node.provenance < b.node.provenance;
  });
  for (size_t i = 0; i < components.size(); ++i) {
    const std::vector<std::string_view>& f = components[i];
    Component c;
    c.name = Field(f, 0);
    c.version = Field(f, 1);
    c.purl = Field(f, 2);
    c.cpe = Field(f, 3);
    c.license = Field(f, 4);
    const std::string depends = Field(f, 5), indices = Field(f, 6);
    for (std::string_view d : Split(depends, ',')) c.depends.emplace_back(d);
    if (!inv.files.empty()) {
      for (std::string_view n : Split(indices, ',')) {
        inv.files[Number(n) % inv.files.size()].components.push_back(i);
      }
    }
    c.evidence.push_back({"signature:x", "fuzz.bin:/x", Number(Field(f, 7)), Field(f, 7)});
    inv.components.push_back(std::move(c));
  }
  std::vector<VulnerabilityMatch> vulns;
  for (const std::vector<std::string_view>& f : matches) {
    VulnerabilityMatch m;
    m.component_index = Number(Field(f, 0));
    m.vulnerability.id = Field(f, 1);
    m.vulnerability.source = Field(f, 2);
    m.vulnerability.published = Field(f, 3);
    m.vulnerability.cwes = {Field(f, 4)};
    m.vulnerability.ratings = {{"s", 1.0, Field(f, 5), Field(f, 6), ""}};
    m.fixed_version = Field(f, 7);
    m.vulnerability.source_url = Field(f, 8);
    m.vulnerability.references = {Field(f, 8)};
    vulns.push_back(std::move(m));
  }

  json bom = json::parse(clearbox::report::CycloneDxJson(inv, vulns, {}), nullptr, false);
  Check(!bom.is_discarded());
  std::set<std::string> refs = {bom["metadata"]["component"]["bom-ref"].get<std::string>()};
  for (const json& c : bom["components"])
    Check(refs.insert(c["bom-ref"].get<std::string>()).second);
  for (const json& d : bom["dependencies"]) {
    Check(refs.count(d["ref"].get<std::string>()) == 1);
    for (const json& r : d.value("dependsOn", json::array())) {
      Check(refs.count(r.get<std::string>()) == 1);
    }
  }
  for (const json& v : bom.value("vulnerabilities", json::array())) {
    for (const json& a : v["affects"]) Check(refs.count(a["ref"].get<std::string>()) == 1);
  }
  for (const json& v : bom.value("vulnerabilities", json::array())) {
    Check(refs.insert(v["bom-ref"].get<std::string>()).second);
  }

  json doc = json::parse(clearbox::report::SpdxJson(inv, {}), nullptr, false);
  Check(!doc.is_discarded());
  std::set<std::string> ids = {"SPDXRef-DOCUMENT"};
  for (const json& p : doc["packages"]) {
    std::string id = p["SPDXID"];
    Check(id.starts_with("SPDXRef-") && id.size() > 8);
    for (char c : id.substr(8)) {
      Check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-');
    }
    Check(ids.insert(id).second);
    std::string declared = p["licenseDeclared"];
    Check(declared == "NOASSERTION" || clearbox::report::IsSpdxLicenseExpression(declared));
  }
  for (const json& r : doc["relationships"]) {
    Check(ids.count(r["spdxElementId"].get<std::string>()) == 1);
    Check(ids.count(r["relatedSpdxElement"].get<std::string>()) == 1);
  }
  return 0;
}
