// HTML report tests: escaping of hostile names, the machine-readable counts, the pledge and
// no-pledge forms, bounds on the file tree for large and deep images, no fetch of anything.
#include "clearbox/report/html.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>

namespace clearbox::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kFs[] = "fw.bin!squashfs@0x0:";

inventory::FileRecord Node(std::string path, unpack::NodeType type = unpack::NodeType::kFile,
                           uint32_t mode = 0644) {
  inventory::FileRecord f;
  f.node.path = path;
  f.node.provenance = kFs + path;
  f.node.type = type;
  f.node.mode = mode;
  if (type == unpack::NodeType::kFile) f.kind = inventory::FileKind::kText;
  return f;
}

const char kHostileName[] = "/etc/<img src=x onerror=alert(1)>\"'&.sh";

struct Sample {
  inventory::Inventory inv;
  audit::AuditReport report;
};

Sample MakeSample() {
  Sample s;
  s.inv.image = "fw<script>.bin";
  s.inv.sha256 = std::string(64, 'a');
  s.inv.files = {Node("/", unpack::NodeType::kDirectory, 0755),
                 Node("/bin", unpack::NodeType::kDirectory, 0755),
                 Node("/bin/busybox", unpack::NodeType::kFile, 04755),
                 Node("/etc", unpack::NodeType::kDirectory, 0755), Node(kHostileName),
                 Node("/etc/passwd")};
  std::sort(s.inv.files.begin(), s.inv.files.end(),
            [](const auto& a, const auto& b) { return a.node.provenance < b.node.provenance; });
  inventory::ElfInfo elf;
  elf.machine_name = "ARM";
  elf.type_name = "EXEC";
  elf.hardening.nx = true;
  for (auto& f : s.inv.files) {
    if (f.node.path == "/bin/busybox") f.elf = elf;
  }
  inventory::Component c;
  c.name = "busybox";
  c.version = "1.30.1<b>";
  c.evidence = {{"signature:busybox", std::string(kFs) + "/bin/busybox", 16, "BusyBox v1.30.1 ("}};
  s.inv.components = {c};
  inventory::VulnerabilityMatch m;
  m.vulnerability.id = "CVE-2022-48174";
  m.vulnerability.source_url = "https://nvd.nist.gov/vuln/detail/CVE-2022-48174";
  m.vulnerability.ratings = {{"nvd", 9.8, "CRITICAL", "CVSSv31", ""}};
  m.affected_range = "<1.36.0";
  m.fixed_version = "1.36.0";
  s.inv.vulnerabilities = {m};

  s.report.image = s.inv.image;
  s.report.sha256 = s.inv.sha256;
  s.report.checks_run = {"CB-ACCT-003", "CB-VULN-001"};
  s.report.findings = {
      {"CB-ACCT-003",
       audit::Severity::kCritical,
       "account 'root' has an empty password <b>",
       {{std::string(kFs) + "/etc/passwd", "/etc/passwd", 0, "root::0:0:<script>x</script>"}}},
      {"CB-VULN-001",
       audit::Severity::kMedium,
       "busybox is affected",
       {{std::string(kFs) + kHostileName, kHostileName, 3, "\x1b[31m\xff\xfe\xe2\x80\xae"}}}};
  s.report.suppressed = 2;
  return s;
}

std::string Render(const Sample& s, const HtmlOptions& options = {}) {
  return AuditHtml(s.report, s.inv, audit::AllChecks(), options);
}

TEST(HtmlEscape, EntitiesControlsAndBadUtf8) {
  EXPECT_EQ(HtmlEscape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("tab\tnl\n"), "tab\tnl\n");
  EXPECT_EQ(HtmlEscape(std::string("a\0b\x1b\x7f", 5)), "a\\x00b\\x1b\\x7f");
  EXPECT_EQ(HtmlEscape("caf\xc3\xa9 \xe2\x82\xac"), "caf\xc3\xa9 \xe2\x82\xac");  // é €
  EXPECT_EQ(HtmlEscape("\xff\xc3"), "\\xff\\xc3");                               // truncated
  EXPECT_EQ(HtmlEscape("\xc0\xaf"), "\\xc0\\xaf");                               // overlong '/'
  EXPECT_EQ(HtmlEscape("\xed\xa0\x80"), "\\xed\\xa0\\x80");                       // surrogate
  // A right-to-left override would make "gpj.exe" read as "exe.jpg".
  EXPECT_EQ(HtmlEscape("a\xe2\x80\xae" "b"), "a\\u{202e}b");
}

TEST(Html, HostileNamesAreTextNeverMarkup) {
  std::string page = Render(MakeSample());
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("password <b>")));
  EXPECT_THAT(page, HasSubstr("password &lt;b&gt;"));
  EXPECT_THAT(page, HasSubstr("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;.sh"));
  EXPECT_THAT(page, HasSubstr("\\x1b[31m\\xff\\xfe\\u{202e}"));
  EXPECT_THAT(page, HasSubstr("fw&lt;script&gt;.bin"));
  // Every tag in the page is one the writer emits.
  static const std::set<std::string> kTags = {
      "!DOCTYPE", "html", "head",  "meta", "title",   "style", "body", "header", "h1", "div",
      "nav",      "a",    "main",  "section", "b", "span", "h2",   "p",      "article", "h3",
      "dl",       "dt",   "dd",    "pre",  "table",   "tr",    "th",   "td",     "details",
      "summary",  "ul",   "li",    "footer"};
  std::regex tag("<(/?)([!A-Za-z][A-Za-z0-9]*)");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), tag); it != std::sregex_iterator();
       ++it) {
    EXPECT_EQ(kTags.count((*it)[2]), 1u) << (*it)[0];
  }
}

TEST(Html, NothingIsFetchedAndNoScriptRuns) {
  std::string page = Render(MakeSample());
  EXPECT_THAT(page, HasSubstr("Content-Security-Policy\" content=\"default-src 'none'"));
  EXPECT_THAT(page, Not(HasSubstr("src=\"")));
  EXPECT_THAT(page, Not(HasSubstr("<link")));
  EXPECT_THAT(page, Not(HasSubstr("url(")));
  EXPECT_THAT(page, Not(HasSubstr("@import")));
  // The only links: in-page anchors and the advisory's https page.
  std::regex href("href=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), href); it != std::sregex_iterator();
       ++it) {
    std::string target = (*it)[1];
    EXPECT_TRUE(target.starts_with("#") || target.starts_with("https://nvd.nist.gov/")) << target;
  }
}

TEST(Html, VerdictAndCountsAreMachineReadableAndShown) {
  Sample s = MakeSample();
  std::string page = Render(s);
  EXPECT_THAT(page, HasSubstr("data-verdict=\"fail\" data-findings=\"2\" data-suppressed=\"2\""));
  EXPECT_THAT(page, HasSubstr("<b id=\"finding-count\">2</b> findings"));
  EXPECT_THAT(page, HasSubstr("<span id=\"suppressed-count\">2</span> findings suppressed"));
  EXPECT_THAT(page, HasSubstr("data-severity=\"critical\" data-count=\"1\""));
  EXPECT_THAT(page, HasSubstr("data-severity=\"medium\" data-count=\"1\""));
  HtmlOptions options;
  options.fail_on = audit::Severity::kCritical;
  s.report.findings.erase(s.report.findings.begin());
  page = Render(s, options);
  EXPECT_THAT(page, HasSubstr("data-verdict=\"pass\" data-findings=\"1\""));
}

watch::WatchReport SampleTraffic() {
  watch::WatchReport w;
  w.capture = "dump<script>.pcap";
  w.device = "192.0.2.10\"><img src=x>";
  w.mud_url = "https://vendor.example/<b>.json";
  w.device_ips = {"192.0.2.10"};
  w.stats.packets = 40;
  w.flows = 7;
  w.declared_flows = 5;
  watch::WatchFinding f;
  f.check_id = "CB-WATCH-001";
  f.severity = watch::WatchSeverity::kHigh;
  f.peer = "192.0.2.30";
  f.message = "undeclared flow to <script>alert(1)</script>";
  watch::FlowEvidence e;
  e.orig_h = "192.0.2.10";
  e.resp_h = "192.0.2.30";
  e.orig_p = 40000;
  e.resp_p = 8080;
  e.proto = 6;
  e.packets = {12, 13};
  e.note = "<img src=y>";
  f.flows = {e};
  f.flow_count = 1;
  w.findings = {f};
  return w;
}

TEST(Html, TrafficSectionIsListedEscapedAndJudged) {
  Sample s = MakeSample();
  std::string page = Render(s);
  EXPECT_THAT(page, Not(HasSubstr("id=\"watch\"")));
  EXPECT_THAT(page, Not(HasSubstr("href=\"#watch\"")));
  EXPECT_THAT(page, Not(HasSubstr("data-watch-findings")));

  watch::WatchReport w = SampleTraffic();
  HtmlOptions options;
  options.watch = &w;
  page = Render(s, options);
  // In the table of contents, between the findings and the ways in, as on the page.
  std::smatch nav;
  ASSERT_TRUE(std::regex_search(page, nav, std::regex("<nav>.*</nav>")));
  EXPECT_THAT(nav.str(), HasSubstr("<a href=\"#findings\">Findings</a><a href=\"#watch\">"
                                   "Traffic</a><a href=\"#ways-in\">"));
  size_t findings = page.find("<h2 id=\"findings\">");
  size_t section = page.find("<section id=\"watch\">");
  size_t ways_in = page.find("<h2 id=\"ways-in\">");
  ASSERT_NE(section, std::string::npos);
  EXPECT_LT(findings, section);
  EXPECT_LT(section, ways_in);
  EXPECT_THAT(page, HasSubstr("id=\"watch-verdict\" class=\"verdict fail\" data-verdict=\"fail\" "
                              "data-findings=\"1\""));
  EXPECT_THAT(page, HasSubstr("data-findings=\"2\" data-suppressed=\"2\" data-watch-findings=\"1\""));
  EXPECT_THAT(page, HasSubstr("data-check=\"CB-WATCH-001\""));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(page, Not(HasSubstr("<img")));
  EXPECT_THAT(page, Not(HasSubstr("<script>")));
  EXPECT_THAT(page, Not(HasSubstr("<b>.json")));

  // The verdict judges both parts: traffic alone can fail the page, and passes it when below.
  s.report.findings.clear();
  page = Render(s, options);
  EXPECT_THAT(page, HasSubstr("id=\"verdict\" class=\"verdict fail\" data-verdict=\"fail\" "
                              "data-findings=\"0\""));
  EXPECT_THAT(page, HasSubstr("1 findings; 1 at or above high (<a href=\"#watch\">"));
  options.fail_on = audit::Severity::kCritical;
  page = Render(s, options);
  EXPECT_THAT(page, HasSubstr("id=\"verdict\" class=\"verdict pass\" data-verdict=\"pass\""));
  EXPECT_EQ(page, Render(s, options));  // deterministic
}

TEST(Html, FindingsCarryEvidenceRemediationAndClause) {
  std::string page = Render(MakeSample());
  const audit::Check* c = audit::FindCheck("CB-ACCT-003");
  ASSERT_NE(c, nullptr);
  EXPECT_THAT(page, HasSubstr(HtmlEscape(c->remediation)));
  EXPECT_THAT(page, HasSubstr("clause " + c->ts33117_clause));
  EXPECT_THAT(page, HasSubstr("root::0:0:&lt;script&gt;x&lt;/script&gt;"));
  EXPECT_THAT(page, HasSubstr("fw.bin!squashfs@0x0:/etc/passwd"));
}

TEST(Html, ComponentsHardeningAndTree) {
  std::string page = Render(MakeSample());
  EXPECT_THAT(page, HasSubstr("1.30.1&lt;b&gt;"));
  EXPECT_THAT(page, HasSubstr(">CVE-2022-48174</a></span> CVSSv31 9.8 critical"));
  EXPECT_THAT(page, HasSubstr("ELF hardening (1 files)"));
  EXPECT_THAT(page, HasSubstr("-rwsr-xr-x"));  // setuid shown in the tree
  EXPECT_THAT(page, HasSubstr("5 entries in 1 filesystems; 5 shown."));
  // The file with a finding is marked in the tree.
  EXPECT_THAT(page, HasSubstr("<li class=\"hit\"><span class=\"mono\">passwd</span>"));
}

TEST(Html, NoPledgeGivenIsSaid) {
  std::string page = Render(MakeSample());
  EXPECT_THAT(page, HasSubstr("No pledge given"));
  EXPECT_THAT(page, HasSubstr("id=\"no-pledge\""));
}

TEST(Html, PledgeItemsKeptAndMissing) {
  Sample s = MakeSample();
  s.report.pledge_items = {
      {audit::ObservationKind::kService, "dropbear", true, "port 22/tcp", {}},
      {audit::ObservationKind::kAccount, "op<er>", false, "declared, not in /etc/passwd", {}}};
  HtmlOptions options;
  options.pledge_name = "pledge.json";
  std::string page = Render(s, options);
  EXPECT_THAT(page, Not(HasSubstr("No pledge given")));
  EXPECT_THAT(page, HasSubstr("2 declared items: 1 kept, 1 missing"));
  EXPECT_THAT(page, HasSubstr("op&lt;er&gt;"));
  EXPECT_THAT(page, HasSubstr("Pledge <span class=\"mono\">pledge.json</span>: <span "
                              "class=\"broken\">broken</span>"));
}

TEST(Html, LargeImagesAreBoundedAndSayWhatWasLeftOut) {
  Sample s;
  s.report.image = s.inv.image = "big.bin";
  s.inv.files.push_back(Node("/", unpack::NodeType::kDirectory, 0755));
  for (int d = 0; d < 100; ++d) {
    s.inv.files.push_back(Node(fmt::format("/d{:03}", d), unpack::NodeType::kDirectory, 0755));
    for (int f = 0; f < 1000; ++f) s.inv.files.push_back(Node(fmt::format("/d{:03}/f{:04}", d, f)));
  }
  std::sort(s.inv.files.begin(), s.inv.files.end(),
            [](const auto& a, const auto& b) { return a.node.provenance < b.node.provenance; });
  HtmlOptions options;
  std::string page = Render(s, options);
  EXPECT_LT(page.size(), 4u << 20) << "the page must stay small";
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page, m, std::regex("data-entries=\"(\\d+)\" data-shown=\"(\\d+)\"")));
  size_t shown = std::stoul(m[2]);
  EXPECT_EQ(std::stoul(m[1]), 100u + 100000u);  // every entry counted...
  EXPECT_LE(shown, options.max_tree_entries);          // ...a bounded number shown
  EXPECT_THAT(page, HasSubstr("left out (the full list: clearbox inventory --json)"));
  EXPECT_THAT(page, HasSubstr("more entries here not shown"));
}

TEST(Html, DeepTreesAreCut) {
  Sample s;
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "/x";
  s.inv.files = {Node(deep + "/leaf1"), Node(deep + "/leaf2")};
  HtmlOptions options;
  std::string page = Render(s, options);
  // Levels below max_tree_depth are not nested further: what is there is counted.
  EXPECT_THAT(page, HasSubstr(fmt::format("<li class=\"omitted\">2 entries deeper than {} "
                                          "levels not shown",
                                          options.max_tree_depth)));
  size_t nesting = 0;
  for (size_t at = page.find("<details"); at != std::string::npos; at = page.find("<details", at + 1)) {
    ++nesting;
  }
  EXPECT_EQ(nesting, options.max_tree_depth + 1);  // the root and max_tree_depth levels
}

TEST(Html, Deterministic) {
  EXPECT_EQ(Render(MakeSample()), Render(MakeSample()));
}

}  // namespace
}  // namespace clearbox::report
