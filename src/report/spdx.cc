// SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/) from an inventory. docs/sbom.md says
// what goes where.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clearbox/report/sbom.h"
#include "sbom_internal.h"

namespace clearbox::report {
namespace {

using inventory::Component;
using inventory::Inventory;
using nlohmann::json;

constexpr char kNoAssertion[] = "NOASSERTION";
constexpr char kImageId[] = "SPDXRef-Image";
// Keeps an id readable when a name from the image is long.
constexpr size_t kMaxIdPartBytes = 96;

// SPDX ids allow letters, digits, "." and "-" only.
std::string IdPart(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, std::min(s.size(), kMaxIdPartBytes))) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-';
    out += ok ? c : '-';
  }
  return out;
}

// Stable, unique ids: "SPDXRef-Package-<name>-<version>", a repeat (once unsafe characters are
// replaced) getting "-<index>" (its index in the inventory's sorted components).
std::vector<std::string> PackageIds(const Inventory& inv) {
  std::vector<std::string> ids;
  std::set<std::string> used = {kImageId};
  for (size_t i = 0; i < inv.components.size(); ++i) {
    const Component& c = inv.components[i];
    std::string id = "SPDXRef-Package-" + IdPart(c.name.empty() ? "unnamed" : c.name);
    if (!c.version.empty()) id += "-" + IdPart(c.version);
    if (!used.insert(id).second) {
      id += "-" + std::to_string(i);
      while (!used.insert(id).second) id += "-";
    }
    ids.push_back(std::move(id));
  }
  return ids;
}

// One line of text from the image: controls become spaces (SPDX's tag-value form, which a
// reader may convert to, is line-based).
std::string OneLine(std::string_view s) {
  std::string out;
  for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  return out;
}

// "Organization: Name (email)" from a maintainer field "Name <email>".
std::string Supplier(std::string_view supplier) {
  std::string s = OneLine(supplier);
  size_t lt = s.find('<');
  size_t gt = s.find('>', lt == std::string::npos ? 0 : lt);
  if (lt != std::string::npos && gt != std::string::npos) {
    std::string name = s.substr(0, lt);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    s = name + " (" + s.substr(lt + 1, gt - lt - 1) + ")";
  }
  while (!s.empty() && s.front() == ' ') s.erase(s.begin());
  if (s.empty()) return kNoAssertion;
  return "Organization: " + s;
}

std::string_view Purpose(internal::ComponentRole role) {
  switch (role) {
    case internal::ComponentRole::kApplication:
      return "APPLICATION";
    case internal::ComponentRole::kLibrary:
      return "LIBRARY";
    case internal::ComponentRole::kOperatingSystem:
      return "OPERATING-SYSTEM";
    case internal::ComponentRole::kFirmware:
      return "FIRMWARE";
  }
  return "APPLICATION";
}

// The declared license when it is an SPDX expression this document can stand behind: ids from
// the License List only (a LicenseRef would need its text in hasExtractedLicensingInfos,
// which a package database does not give).
std::optional<std::string> DeclaredLicense(const std::string& license) {
  std::string canonical;
  if (!IsSpdxLicenseExpression(license, &canonical)) return std::nullopt;
  if (canonical.find("LicenseRef-") != std::string::npos) return std::nullopt;
  return canonical;
}

json PackageJson(const Inventory& inv, const internal::SbomModel& model, size_t i,
                 const std::string& id) {
  const Component& c = inv.components[i];
  json p = {{"SPDXID", id}, {"name", c.name.empty() ? "(unnamed)" : c.name}};
  if (!c.version.empty()) p["versionInfo"] = c.version;
  p["supplier"] = c.supplier.empty() ? std::string(kNoAssertion) : Supplier(c.supplier);
  p["downloadLocation"] = kNoAssertion;
  p["filesAnalyzed"] = false;
  if (!model.single_file_sha256[i].empty()) {
    p["checksums"] =
        json::array({{{"algorithm", "SHA256"}, {"checksumValue", model.single_file_sha256[i]}}});
  }
  p["licenseConcluded"] = kNoAssertion;
  std::optional<std::string> declared = DeclaredLicense(c.license);
  p["licenseDeclared"] = declared ? *declared : kNoAssertion;
  p["copyrightText"] = kNoAssertion;
  json refs = json::array();
  if (!c.purl.empty()) {
    refs.push_back({{"referenceCategory", "PACKAGE-MANAGER"},
                    {"referenceType", "purl"},
                    {"referenceLocator", c.purl}});
  }
  if (!c.cpe.empty()) {
    refs.push_back({{"referenceCategory", "SECURITY"},
                    {"referenceType", "cpe23Type"},
                    {"referenceLocator", c.cpe}});
  }
  if (!refs.empty()) p["externalRefs"] = std::move(refs);
  p["primaryPackagePurpose"] = std::string(Purpose(model.roles[i]));

  // SPDX 2.3 has no evidence model: how the component was found, in words.
  std::string comment =
      "Found by clearbox (" + std::string(inventory::ComponentSourceName(c.source)) + ").";
  for (const inventory::Evidence& e : c.evidence) {
    comment += "\nEvidence: " + e.method + " in " + e.provenance + " at offset " +
               std::to_string(e.offset);
    if (!e.matched.empty()) comment += ": " + e.matched;
  }
  if (!c.license.empty() && !declared) {
    comment += "\nDeclared license (not an SPDX License List expression): " + c.license;
  }
  for (const std::string& note : c.notes) comment += "\nNote: " + note;
  p["comment"] = comment;
  return p;
}

json Relationship(const std::string& from, std::string_view type, const std::string& to) {
  return {
      {"spdxElementId", from}, {"relationshipType", std::string(type)}, {"relatedSpdxElement", to}};
}

}  // namespace

std::string SpdxJson(const Inventory& inv, const SbomOptions& options) {
  const internal::SbomModel model = internal::BuildModel(inv);
  const std::vector<std::string> ids = PackageIds(inv);
  const std::string uuid = internal::DocumentUuid(inv);
  const std::string image_name = inv.image.empty() ? "(unnamed image)" : inv.image;

  json doc = {
      {"spdxVersion", "SPDX-2.3"},
      {"dataLicense", "CC0-1.0"},
      {"SPDXID", "SPDXRef-DOCUMENT"},
      {"name", "clearbox SBOM of " + image_name},
      {"documentNamespace", "https://spdx.org/spdxdocs/clearbox/" +
                                IdPart(inv.image.empty() ? "image" : inv.image) + "-" + uuid}};
  std::optional<std::string> created = internal::NormalizeDateTime(options.timestamp, true);
  doc["creationInfo"] = {
      {"created", created ? *created : "1970-01-01T00:00:00Z"},
      {"creators", json::array({"Tool: clearbox-" + OneLine(options.tool_version)})}};

  json packages = json::array();
  json image = {{"SPDXID", kImageId},
                {"name", image_name},
                {"supplier", kNoAssertion},
                {"downloadLocation", kNoAssertion},
                {"filesAnalyzed", false}};
  if (internal::IsSha256Hex(inv.sha256)) {
    std::string hash = inv.sha256;
    for (char& ch : hash) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    image["checksums"] = json::array({{{"algorithm", "SHA256"}, {"checksumValue", hash}}});
  }
  image["licenseConcluded"] = kNoAssertion;
  image["licenseDeclared"] = kNoAssertion;
  image["copyrightText"] = kNoAssertion;
  image["primaryPackagePurpose"] = "FIRMWARE";
  image["comment"] =
      "The firmware image, " + std::to_string(inv.size) + " bytes" +
      (inv.partial ? "; partly unpacked (limits, corrupt or unsupported parts)." : ".");
  packages.push_back(std::move(image));
  for (size_t i = 0; i < inv.components.size(); ++i) {
    packages.push_back(PackageJson(inv, model, i, ids[i]));
  }
  doc["packages"] = std::move(packages);

  json relationships = json::array();
  relationships.push_back(Relationship("SPDXRef-DOCUMENT", "DESCRIBES", kImageId));
  for (size_t i = 0; i < inv.components.size(); ++i) {
    relationships.push_back(Relationship(kImageId, "CONTAINS", ids[i]));
  }
  for (size_t i = 0; i < inv.components.size(); ++i) {
    for (size_t d : model.depends[i]) {
      relationships.push_back(Relationship(ids[i], "DEPENDS_ON", ids[d]));
    }
  }
  doc["relationships"] = std::move(relationships);
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace clearbox::report
