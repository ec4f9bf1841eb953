// The user's allow list (`clearbox audit --allow FILE`): findings a person has accepted for a
// path, and outbound endpoints that are not findings.
//
//   # a comment
//   path /etc/ssl/private/test-only.pem            any finding with evidence at this path
//   path /usr/share/doc/* CB-NET-001               only this check; '*' matches within and across '/'
//   endpoint 203.0.113.0/24                        an IPv4/IPv6 address or CIDR block
//   endpoint *.vendor.example                      a host name, or every name under a domain
//
//   auto allow = AllowList::Parse(text, "allow.txt");   // error names the line
//   allow->AllowsPath("CB-KEY-001", "/etc/ssl/private/test-only.pem");
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"

namespace clearbox::audit {

class AllowList {
 public:
  // Errors: kInvalidInput naming `name`, the line and what was wrong.
  static Result<AllowList> Parse(std::string_view text, std::string_view name);

  // A finding of `check_id` whose evidence is at `path` (the path inside its filesystem).
  bool AllowsPath(std::string_view check_id, std::string_view path) const;
  // An endpoint as found in the image: a host name (case-insensitive) or an IP address.
  bool AllowsEndpoint(std::string_view host_or_address) const;
  bool empty() const { return paths_.empty() && endpoints_.empty(); }

 private:
  struct PathRule {
    std::string glob;
    std::string check_id;  // empty: every check
  };
  std::vector<PathRule> paths_;
  std::vector<std::string> endpoints_;  // lower-cased host names, "*.domain", addresses, CIDRs
};

// True when `glob` ('*' any run of bytes, '?' one byte) matches all of `text`.
bool GlobMatch(std::string_view glob, std::string_view text);

}  // namespace clearbox::audit
