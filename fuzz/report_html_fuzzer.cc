// Fuzzes what the HTML report does with hostile text, and the --baseline SARIF reader: the
// input is a file name, an excerpt and a SARIF log at once. Invariants: HtmlEscape's output
// holds no markup character and is valid UTF-8; a page with the input as a file name, an
// image name and an excerpt holds no tag the writer did not emit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "clearbox/audit/check.h"
#include "clearbox/report/html.h"
#include "clearbox/report/sarif.h"

using namespace clearbox;

namespace {

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string escaped = report::HtmlEscape(input);
  if (escaped.find_first_of("<>\"'") != std::string::npos || !ValidUtf8(escaped)) std::abort();

  (void)report::ParseSarifBaseline(input, "fuzz.sarif");

  // The page of `text`, as a file name (a path of one component), a symlink target, the image
  // name, a message and an excerpt.
  auto page_of = [](std::string text) {
    inventory::Inventory inv;
    inv.image = text.substr(0, 256);
    inventory::FileRecord f;
    std::string name = text;
    for (char& c : name) c = c == '/' ? '_' : c;
    f.node.path = "/" + name;
    f.node.provenance = "fw!squashfs:" + f.node.path;
    f.node.link_target = text;
    f.node.type = unpack::NodeType::kSymlink;
    inv.files.push_back(f);
    audit::AuditReport report;
    report.image = inv.image;
    report.findings.push_back(
        {"CB-VULN-001", audit::Severity::kHigh, text, {{f.node.provenance, f.node.path, 0, text}}});
    return report::AuditHtml(report, inv, audit::AllChecks(), {});
  };
  // The same page with every byte of the input an 'a' has exactly as many tags: none of the
  // input's bytes opened one.
  std::string hostile = page_of(std::string(input));
  std::string plain = page_of(std::string(input.size(), 'a'));
  if (std::count(hostile.begin(), hostile.end(), '<') != std::count(plain.begin(), plain.end(), '<')) {
    std::abort();
  }
  return 0;
}
