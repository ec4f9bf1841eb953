// The audit's driver: one pass over an image's bytes with every content scanner attached,
// then each check, with where the time went.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "clearbox/audit/check.h"

namespace clearbox::audit {
namespace {

TEST(AuditBuffer, EveryCheckTimedAndScannersSeeTheBytes) {
  const std::string blob = std::string(4096, 'x') + "\nnothing to see here\n";
  Result<Audit> audit = AuditBuffer(AsBytes(blob), "blob.bin", {}, {});
  ASSERT_TRUE(audit.ok()) << audit.error().message();
  const AuditReport& r = audit->report;
  ASSERT_EQ(r.timings.size(), r.checks_run.size());
  ASSERT_EQ(r.checks_run.size(), AllChecks().size());
  for (size_t i = 0; i < r.timings.size(); ++i) {
    const CheckTiming& t = r.timings[i];
    EXPECT_EQ(t.check_id, r.checks_run[i]);
    EXPECT_GE(t.scan_seconds, 0);
    EXPECT_GE(t.run_seconds, 0);
    const Check* c = FindCheck(t.check_id);
    ASSERT_NE(c, nullptr);
    // A check with a scanner saw the whole file (once); one without saw nothing.
    EXPECT_EQ(t.scanned_bytes, c->make_scanner ? blob.size() : 0u) << t.check_id;
  }
  EXPECT_THAT(r.findings, ::testing::IsEmpty());
}

TEST(AuditBuffer, OnlyTheSelectedChecks) {
  AuditOptions options;
  options.only = {"CB-YARA-001", "CB-ACCT-001"};
  Result<Audit> audit = AuditBuffer(AsBytes(std::string("abc")), "blob.bin", options, {});
  ASSERT_TRUE(audit.ok());
  EXPECT_THAT(audit->report.checks_run, ::testing::ElementsAre("CB-ACCT-001", "CB-YARA-001"));
  options.only = {"CB-NOPE-001"};
  EXPECT_FALSE(AuditBuffer(AsBytes(std::string("abc")), "blob.bin", options, {}).ok());
}

}  // namespace
}  // namespace clearbox::audit
