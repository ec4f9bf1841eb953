// Unit tests of the allow list (`clearbox audit --allow FILE`): parsing, path globs per
// check, endpoints by address, CIDR block (IPv4 and IPv6), host and *.domain.
#include "clearbox/audit/allow.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace clearbox::audit {
namespace {

using ::testing::HasSubstr;

AllowList ParseOk(std::string_view text) {
  Result<AllowList> list = AllowList::Parse(text, "allow.txt");
  EXPECT_TRUE(list.ok()) << (list.ok() ? "" : list.error().message());
  return list.ok() ? std::move(*list) : AllowList();
}

std::string ParseError(std::string_view text) {
  Result<AllowList> list = AllowList::Parse(text, "allow.txt");
  EXPECT_FALSE(list.ok()) << text;
  return list.ok() ? "" : list.error().message();
}

TEST(AllowList, EmptyAndCommentsOnly) {
  EXPECT_TRUE(ParseOk("").empty());
  EXPECT_TRUE(ParseOk("# nothing\n\n   \t\n# path /etc/shadow\n").empty());
}

TEST(AllowList, ErrorsNameTheFileAndLine) {
  EXPECT_THAT(ParseError("# ok\npath /a\nbogus /x\n"), HasSubstr("allow.txt line 3"));
  EXPECT_THAT(ParseError("bogus /x"), HasSubstr("unknown rule 'bogus'"));
  EXPECT_THAT(ParseError("\n\npath\n"), HasSubstr("allow.txt line 3: expected 'path GLOB"));
  EXPECT_THAT(ParseError("path /a CB-KEY-001 extra"), HasSubstr("line 1"));
  EXPECT_THAT(ParseError("path etc/shadow"), HasSubstr("starts with '/'"));
  EXPECT_THAT(ParseError("endpoint"), HasSubstr("expected 'endpoint"));
  EXPECT_THAT(ParseError("endpoint a b"), HasSubstr("expected 'endpoint"));
  EXPECT_THAT(ParseError("endpoint 10.0.0.0/33"), HasSubstr("'10.0.0.0/33' is not an address"));
  EXPECT_THAT(ParseError("endpoint 2001:db8::/129"), HasSubstr("not an address"));
  EXPECT_THAT(ParseError("endpoint 10.0.0.0/x"), HasSubstr("not an address"));
  EXPECT_THAT(ParseError("endpoint http://x.example/"), HasSubstr("not an address"));
  EXPECT_THAT(ParseError("endpoint *."), HasSubstr("not an address"));
}

TEST(AllowList, PathGlobsForEveryCheckOrOne) {
  AllowList list = ParseOk(
      "path /etc/ssl/private/test-only.pem   # any check\n"
      "path /usr/share/doc/* CB-NET-001\n"
      "path /opt/??/key\n");
  EXPECT_FALSE(list.empty());
  EXPECT_TRUE(list.AllowsPath("CB-KEY-001", "/etc/ssl/private/test-only.pem"));
  EXPECT_TRUE(list.AllowsPath("CB-NET-001", "/etc/ssl/private/test-only.pem"));
  EXPECT_FALSE(list.AllowsPath("CB-KEY-001", "/etc/ssl/private/test-only.pem.bak"));
  // '*' crosses '/'; the check id restricts the rule.
  EXPECT_TRUE(list.AllowsPath("CB-NET-001", "/usr/share/doc/pkg/README"));
  EXPECT_FALSE(list.AllowsPath("CB-KEY-001", "/usr/share/doc/pkg/README"));
  EXPECT_FALSE(list.AllowsPath("CB-NET-001", "/usr/share/docs/README"));
  EXPECT_TRUE(list.AllowsPath("CB-KEY-001", "/opt/ab/key"));
  EXPECT_FALSE(list.AllowsPath("CB-KEY-001", "/opt/abc/key"));
}

TEST(AllowList, GlobMatch) {
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(GlobMatch("*.pem", "/x/y.pem"));
  // Many stars on a long miss stay fast (one backtrack point).
  std::string text(20000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*b", text));
}

TEST(AllowList, EndpointsByAddressAndCidr) {
  AllowList list = ParseOk(
      "endpoint 203.0.113.0/24\n"
      "endpoint 198.51.100.7\n"
      "endpoint 2001:db8:abcd::/48\n"
      "endpoint 10.0.0.0/0\n");
  EXPECT_TRUE(list.AllowsEndpoint("203.0.113.1"));
  EXPECT_TRUE(list.AllowsEndpoint("203.0.113.255"));
  EXPECT_TRUE(list.AllowsEndpoint("198.51.100.7"));
  EXPECT_TRUE(list.AllowsEndpoint("2001:db8:abcd:12::1"));
  EXPECT_TRUE(list.AllowsEndpoint("2001:DB8:ABCD::1"));
  EXPECT_FALSE(list.AllowsEndpoint("2001:db8:abce::1"));
  // /0 over IPv4 allows every IPv4 address, never an IPv6 one.
  EXPECT_TRUE(list.AllowsEndpoint("8.8.8.8"));
  EXPECT_FALSE(list.AllowsEndpoint("2001:4860::8888"));
  // An address is never matched as a host name, nor a name as an address.
  EXPECT_FALSE(list.AllowsEndpoint("203.0.113.example"));
}

TEST(AllowList, CidrEdges) {
  AllowList list = ParseOk("endpoint 192.0.2.128/25\nendpoint ::1/128\n");
  EXPECT_TRUE(list.AllowsEndpoint("192.0.2.128"));
  EXPECT_TRUE(list.AllowsEndpoint("192.0.2.255"));
  EXPECT_FALSE(list.AllowsEndpoint("192.0.2.127"));
  EXPECT_TRUE(list.AllowsEndpoint("::1"));
  EXPECT_FALSE(list.AllowsEndpoint("::2"));
  EXPECT_FALSE(list.AllowsEndpoint("1.2.3.4"));
}

TEST(AllowList, HostsAndDomains) {
  AllowList list = ParseOk("endpoint update.vendor.example\nendpoint *.cdn.example\n");
  EXPECT_TRUE(list.AllowsEndpoint("update.vendor.example"));
  EXPECT_TRUE(list.AllowsEndpoint("UPDATE.Vendor.Example"));
  EXPECT_FALSE(list.AllowsEndpoint("evil-update.vendor.example"));
  EXPECT_FALSE(list.AllowsEndpoint("vendor.example"));
  EXPECT_TRUE(list.AllowsEndpoint("a.cdn.example"));
  EXPECT_TRUE(list.AllowsEndpoint("a.b.cdn.example"));
  // "*.domain" is every name under it, not the domain itself nor a look-alike.
  EXPECT_FALSE(list.AllowsEndpoint("cdn.example"));
  EXPECT_FALSE(list.AllowsEndpoint("evilcdn.example"));
  EXPECT_FALSE(list.AllowsEndpoint("203.0.113.1"));
}

}  // namespace
}  // namespace clearbox::audit
