// The diff's HTML page: hostile names stay text (escaped, control characters visible, long
// strings clipped), every section with a change is listed with it and in the evaluator's
// order, an empty section says "No change", the summary counts findings new and fixed by
// severity, and the audit page carries the same body under "Changes since" when asked.
#include "clearbox/report/diff_html.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "clearbox/report/html.h"
#include "html_common.h"

namespace clearbox::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kOrder[][12] = {"accounts",   "services", "keys",     "endpoints",
                               "setuid",     "components", "findings", "binaries"};

inventory::FileRecord File(const std::string& image, const std::string& path, std::string text,
                           uint32_t mode = 0644) {
  inventory::FileRecord f;
  f.node.path = path;
  f.node.provenance = image + "!squashfs:" + path;
  f.node.mode = mode;
  f.text = std::move(text);
  f.sha256 = std::string(64, '0');
  return f;
}

audit::Observation Observed(audit::ObservationKind kind, std::string name, std::string detail) {
  audit::Observation o;
  o.kind = kind;
  o.name = std::move(name);
  o.detail = std::move(detail);
  o.evidence = {"v1.img!squashfs:/etc/inittab", "/etc/inittab", 8, "excerpt"};
  return o;
}

audit::Audit OldAudit() {
  audit::Audit a;
  a.inventory.image = "v1.img";
  a.inventory.files.push_back(File("v1.img", "/etc/passwd", "root:x:0:0::/root:/bin/sh\n"));
  a.inventory.files.push_back(File("v1.img", "/etc/shadow", "root:$6$a$b:19000:0:99999:7:::\n"));
  inventory::FileRecord elf = File("v1.img", "/bin/true", "", 0755);
  elf.elf.emplace();
  elf.elf->hardening.relro = inventory::Relro::kFull;
  a.inventory.files.push_back(elf);
  inventory::Component busybox;
  busybox.name = "busybox";
  busybox.version = "1.30.1";
  busybox.scheme = inventory::VersionScheme::kBusybox;
  a.inventory.components.push_back(busybox);
  a.report.findings.push_back({"CB-HARD-001", audit::Severity::kLow, "no canary in /bin/x",
                               {{"v1.img!squashfs:/bin/x", "/bin/x", 0, ""}}});
  return a;
}

// NEW changes one thing in every section, through DiffAudits: the page reads what diff.cc
// writes (a finding's summary "<severity> <check>: <message>" included).
audit::Audit NewAudit() {
  audit::Audit b = OldAudit();
  b.inventory.files[0].text = "root:x:0:0::/root:/bin/sh\nbackdoor::0:0::/:/bin/sh\n";
  b.inventory.files[2].sha256 = std::string(64, '1');
  b.inventory.files[2].elf->hardening.relro = inventory::Relro::kPartial;
  b.inventory.files.push_back(File("v1.img", "/usr/bin/helper", "", 04755));
  b.inventory.components[0].version = "1.36.1";
  b.report.observations.push_back(
      Observed(audit::ObservationKind::kService, "telnetd", "started by /etc/inittab"));
  b.report.observations.push_back(
      Observed(audit::ObservationKind::kKey, "SHA256:vendorkey", "authorized key"));
  b.report.observations.push_back(
      Observed(audit::ObservationKind::kEndpoint, "telemetry.example.com", "in /bin/x"));
  b.report.findings = {{"CB-SVC-001", audit::Severity::kHigh, "telnetd is started",
                        {{"v1.img!squashfs:/etc/inittab", "/etc/inittab", 40, "telnetd"}}}};
  return b;
}

std::string Attr(const std::string& page, const std::string& element_re, const std::string& attr) {
  std::smatch m;
  std::regex re(element_re + "[^>]*" + attr + "=\"([^\"]*)\"");
  return std::regex_search(page, m, re) ? m[1].str() : "(absent)";
}

TEST(DiffHtmlTest, EverySectionInOrderWithItsChange) {
  diff::ImageDiff d = diff::DiffAudits(OldAudit(), NewAudit());
  std::string page = DiffHtml(d);
  size_t last = 0;
  for (const char* name : kOrder) {
    std::string tag = fmt::format("data-section=\"{}\"", name);
    size_t at = page.find(tag);
    ASSERT_NE(at, std::string::npos) << name;
    EXPECT_GT(at, last) << name << " is out of the evaluator's order";
    last = at;
    EXPECT_NE(Attr(page, "<section id=\"diff-" + std::string(name) + "\"", "data-changes"), "0")
        << name;
  }
  EXPECT_THAT(page, Not(HasSubstr("No change.")));
  for (const char* shown : {"backdoor", "telnetd", "SHA256:vendorkey", "telemetry.example.com",
                            "squashfs:/usr/bin/helper", "relro: full -&gt; partial",
                            "telnetd is started", "no canary in /bin/x"}) {
    EXPECT_THAT(page, HasSubstr(shown));
  }
  // Components with both versions, and the kind of step.
  EXPECT_THAT(page, HasSubstr("<span class=\"chg upgraded\">upgraded</span>"));
  EXPECT_THAT(page, HasSubstr("<td>1.30.1</td><td>1.36.1</td>"));
  // Summary: one high finding new, one low fixed; the verdict is "fail" at --fail-on high.
  EXPECT_EQ(Attr(page, "id=\"diff-summary\"", "data-changes"), std::to_string(d.ChangeCount()));
  EXPECT_EQ(Attr(page, "id=\"diff-summary\"", "data-new-findings"), "1");
  EXPECT_EQ(Attr(page, "id=\"diff-summary\"", "data-fixed-findings"), "1");
  EXPECT_EQ(Attr(page, "id=\"diff-summary\"", "data-verdict"), "fail");
  EXPECT_EQ(Attr(page, "data-severity=\"high\"", "data-new"), "1");
  EXPECT_EQ(Attr(page, "data-severity=\"low\"", "data-fixed"), "1");
  EXPECT_EQ(Attr(page, "data-severity=\"critical\"", "data-new"), "0");
  EXPECT_THAT(page, HasSubstr("<tr data-change=\"new\"><td><span class=\"chg new\">new</span>"
                              "</td><td><span class=\"sev high\">high</span></td><td "
                              "class=\"mono check\">CB-SVC-001</td>"));
  // A new finding below --fail-on: the update changed, nothing fails.
  DiffHtmlOptions lenient;
  lenient.fail_on = audit::Severity::kCritical;
  EXPECT_EQ(Attr(DiffHtml(d, lenient), "id=\"diff-summary\"", "data-verdict"), "changed");
}

TEST(DiffHtmlTest, FindingsNewBeforeFixedWorstFirst) {
  audit::Audit a = OldAudit(), b = OldAudit();
  auto finding = [](std::string id, audit::Severity s) {
    return audit::Finding{id, s, "m " + id, {{"v1.img!squashfs:/" + id, "/" + id, 0, id}}};
  };
  a.report.findings = {finding("CB-FIXED-CRIT", audit::Severity::kCritical)};
  b.report.findings = {finding("CB-NEW-LOW", audit::Severity::kLow),
                       finding("CB-NEW-CRIT", audit::Severity::kCritical),
                       finding("CB-NEW-MED", audit::Severity::kMedium)};
  std::string page = DiffHtml(diff::DiffAudits(a, b));
  std::vector<size_t> at;
  for (const char* id : {"CB-NEW-CRIT", "CB-NEW-MED", "CB-NEW-LOW", "CB-FIXED-CRIT"}) {
    at.push_back(page.find(std::string(">") + id + "</td>"));
    ASSERT_NE(at.back(), std::string::npos) << id;
  }
  EXPECT_TRUE(std::is_sorted(at.begin(), at.end()));
  EXPECT_EQ(Attr(page, "data-severity=\"critical\"", "data-fixed"), "1");
}

TEST(DiffHtmlTest, NoChangeSaysSoInEverySection) {
  diff::ImageDiff d = diff::DiffAudits(OldAudit(), OldAudit());
  ASSERT_EQ(d.ChangeCount(), 0u);
  std::string page = DiffHtml(d);
  for (const char* name : kOrder) {
    EXPECT_EQ(Attr(page, "<section id=\"diff-" + std::string(name) + "\"", "data-changes"), "0");
  }
  size_t no_change = 0;
  for (size_t at = page.find("No change."); at != std::string::npos;
       at = page.find("No change.", at + 1)) {
    ++no_change;
  }
  EXPECT_EQ(no_change, std::size(kOrder));
  EXPECT_EQ(Attr(page, "id=\"diff-summary\"", "data-verdict"), "pass");
  EXPECT_THAT(page, HasSubstr("NO CHANGE"));
  EXPECT_THAT(page, Not(HasSubstr("<table>")));
}

TEST(DiffHtmlTest, HostileNamesAreText) {
  // Markup, quotes, control bytes, a terminal escape, a byte that is not UTF-8, and a
  // right-to-left override (U+202E) that would show "gpj.exe" as "exe.jpg".
  const std::string hostile = "<script>alert('x')</script>\"\x01\x1b[31m\x7f\xff\u202egpj.exe";
  diff::ImageDiff d = diff::DiffAudits(OldAudit(), OldAudit());
  d.old_image.image = "old" + hostile;
  d.new_image.image = "new" + hostile;
  d.new_image.partial = true;
  diff::Change c{diff::ChangeKind::kChanged, "name" + hostile, "before" + hostile,
                 "after" + hostile, {"detail" + hostile}, {"evidence" + hostile}};
  for (diff::Section& s : d.sections) s.changes.push_back(c);
  // A finding's summary that is not in diff.cc's form is shown whole, without a severity.
  d.sections[6].changes[0].after = "unknown" + hostile;
  std::string page = DiffHtml(d);
  EXPECT_THAT(page, Not(HasSubstr("<script")));
  EXPECT_THAT(page, Not(HasSubstr("alert('x')")));
  EXPECT_THAT(page, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;\\x01\\x1b"
                              "[31m\\x7f\\xff\\u{202e}gpj.exe"));
  for (const char* part : {"name&lt;script", "before&lt;script", "after&lt;script",
                           "detail&lt;script", "evidence&lt;script", "old&lt;script",
                           "new&lt;script", "unknown&lt;script"}) {
    EXPECT_THAT(page, HasSubstr(part));
  }
  for (char ch : page) {
    auto b = static_cast<unsigned char>(ch);
    EXPECT_FALSE(b < 0x20 && b != '\n' && b != '\t') << "raw control byte " << int{b};
    if (b < 0x20 && b != '\n' && b != '\t') break;
  }
  EXPECT_THAT(page, HasSubstr("NEW was not read whole"));
  // Only the page's own elements: no attribute value a name could end early.
  std::regex tag("<([a-z0-9]+)");
  std::set<std::string> tags;
  for (std::sregex_iterator it(page.begin(), page.end(), tag), end; it != end; ++it) {
    tags.insert((*it)[1]);
  }
  EXPECT_EQ(tags, (std::set<std::string>{"a", "b", "body", "div", "footer", "h1", "h2", "head",
                                         "header", "html", "main", "meta", "nav", "p", "section",
                                         "span", "style", "table", "td", "th", "title", "tr"}));
}

TEST(DiffHtmlTest, LongStringsAreClippedAtACharacterBoundary) {
  diff::ImageDiff d = diff::DiffAudits(OldAudit(), OldAudit());
  std::string huge;
  for (int i = 0; i < 100000; ++i) huge += "é";  // 2 bytes each
  d.sections[0].changes.push_back({diff::ChangeKind::kAdded, "x" + huge, "", huge, {}, {}});
  DiffHtmlOptions options;
  options.max_text = 1001;  // in the middle of an "é"
  std::string page = DiffHtml(d, options);
  EXPECT_LT(page.size(), 30000u);
  EXPECT_THAT(page, HasSubstr("… (199000 more bytes)"));  // "x" + 500 é shown, then cut
  EXPECT_THAT(page, Not(HasSubstr("\\x")));  // no half character shown as a byte
  EXPECT_EQ(internal::Clip("abc", 3), "abc");
  EXPECT_EQ(internal::Clip("abcd", 3), "abc… (1 more bytes)");
}

TEST(DiffHtmlTest, RowsAndEvidenceAreBounded) {
  diff::ImageDiff d = diff::DiffAudits(OldAudit(), OldAudit());
  diff::Change c{diff::ChangeKind::kAdded, "", "", "x", {}, {"e1", "e2", "e3", "e4", "e5"}};
  for (int i = 0; i < 5; ++i) {
    c.name = "account" + std::to_string(i);
    d.sections[0].changes.push_back(c);
  }
  DiffHtmlOptions options;
  options.max_changes = 2;
  options.max_evidence = 2;
  std::string page = DiffHtml(d, options);
  EXPECT_THAT(page, HasSubstr("account1"));
  EXPECT_THAT(page, Not(HasSubstr("account2")));
  EXPECT_THAT(page, HasSubstr("3 more not listed"));
  EXPECT_THAT(page, HasSubstr("and 3 more places"));
  EXPECT_THAT(page, Not(HasSubstr(">e3<")));
  EXPECT_EQ(Attr(page, "<section id=\"diff-accounts\"", "data-changes"), "5");
}

TEST(DiffHtmlTest, AuditPageCarriesTheChangesWhenAsked) {
  audit::Audit old_audit = OldAudit(), new_audit = NewAudit();
  diff::ImageDiff d = diff::DiffAudits(old_audit, new_audit);
  std::string plain = AuditHtml(new_audit.report, new_audit.inventory, {});
  EXPECT_THAT(plain, Not(HasSubstr("diff-summary")));
  EXPECT_THAT(plain, Not(HasSubstr("href=\"#changes\"")));
  HtmlOptions options;
  options.diff_from = &d;
  std::string page = AuditHtml(new_audit.report, new_audit.inventory, {}, options);
  EXPECT_THAT(page, HasSubstr("<h2 id=\"changes\">Changes since <span class=\"mono\">v1.img"
                              "</span> (" + std::to_string(d.ChangeCount()) + ")</h2>"));
  EXPECT_THAT(page, HasSubstr("<h3>Services and start-up (1)</h3>"));
  EXPECT_THAT(page, HasSubstr(".chg.added"));  // the diff's styles came with it
  // The page's own ids stay unique.
  std::regex id("id=\"([^\"]+)\"");
  std::set<std::string> ids;
  for (std::sregex_iterator it(page.begin(), page.end(), id), end; it != end; ++it) {
    EXPECT_TRUE(ids.insert((*it)[1]).second) << "id repeated: " << (*it)[1];
  }
  EXPECT_TRUE(ids.count("verdict") && ids.count("diff-summary") && ids.count("findings") &&
              ids.count("diff-findings"));
}

}  // namespace
}  // namespace clearbox::report
