// RFC 8520 Manufacturer Usage Description (MUD) profiles: the parser, the writer and the
// matcher `clearbox watch` judges traffic with (docs/mud.md).
//
//   CLEARBOX_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, watch::kMaxMudInputBytes));
//   CLEARBOX_ASSIGN_OR_RETURN(watch::MudProfile mud, watch::ParseMud(text, path));
//   watch::MudFlow flow;                      // filled by the flow tracker
//   flow.direction = watch::MudFlow::Direction::kFromDevice;
//   flow.peer_ip = "192.0.2.7"; flow.peer_names = {"fw-update.luminaire.example.com"};
//   flow.protocol = 6; flow.peer_port = 443; flow.initiator = watch::MudFlow::Initiator::kDevice;
//   std::optional<watch::MudMatch> m = mud.Match(flow, env);  // nullopt: undeclared
//
// The parser is strict: RFC 8520 JSON is YANG-modelled, so an unknown member, a wrong type,
// an out-of-range value or a dangling ACL reference is an error naming its JSON Pointer
// ("mud.json: /ietf-access-control-list:acls/acl/0/aces/ace/1/matches/tcp/sport: unknown
// member"), never silently dropped: a typo must not widen or narrow the declared policy.
//
// Thread-safety: parsing and matching are pure functions over plain values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"

namespace clearbox::watch {

// Input limits (a MUD file is a short document; the largest public ones are a few KiB).
inline constexpr size_t kMaxMudBytes = size_t{4} << 20;        // the document (or the pledge)
inline constexpr size_t kMaxMudInputBytes = size_t{64} << 20;  // scanned to name a long string
inline constexpr size_t kMaxMudString = 4096;                  // any string or member name
inline constexpr int kMaxMudDepth = 32;                        // JSON nesting
inline constexpr size_t kMaxMudAcls = 256;                     // ACLs, and names per policy
inline constexpr size_t kMaxMudAcesPerAcl = 1024;
inline constexpr size_t kMaxMudAces = 4096;       // over all ACLs
inline constexpr size_t kMaxMudExtensions = 64;   // `extensions` leaf-list items

// A port match of RFC 8519 (source-port / destination-port): an operator against one port,
// or an inclusive range.
struct MudPortMatch {
  enum class Op { kEq, kNeq, kLte, kGte, kRange };
  Op op = Op::kEq;
  uint16_t port = 0;   // the operand; the lower bound for kRange
  uint16_t upper = 0;  // kRange only
  bool Matches(uint16_t p) const;
  bool operator==(const MudPortMatch&) const = default;
};

// An address block: "192.0.2.0/24", "2001:db8::/32".
struct MudPrefix {
  int family = 4;                 // 4 or 6
  std::array<uint8_t, 16> addr{};  // network byte order; IPv4 in the first 4 bytes
  int length = 0;                 // prefix length in bits
  std::string text;               // as written in the profile
  bool Contains(int family, const std::array<uint8_t, 16>& ip) const;
  bool operator==(const MudPrefix& o) const { return text == o.text; }
};

// matches.ipv4 / matches.ipv6 (RFC 8519 with the ietf-acldns augment of RFC 8520).
// The network and the DNS name of one side are alternatives (a YANG choice): at most one.
struct MudIpMatch {
  int family = 4;                      // 4: "ipv4", 6: "ipv6"
  std::optional<uint8_t> protocol;     // IP protocol number
  std::optional<MudPrefix> src_network, dst_network;
  std::string src_dnsname, dst_dnsname;  // "" when absent; lower case, no trailing dot
  bool operator==(const MudIpMatch&) const = default;
};

// matches.tcp / matches.udp / matches.icmp.
struct MudL4Match {
  enum class Kind { kTcp, kUdp, kIcmp };
  // ietf-mud:direction-initiated (tcp only): who opened the connection.
  enum class Initiated { kAny, kFromDevice, kToDevice };
  Kind kind = Kind::kTcp;
  std::optional<MudPortMatch> src_port, dst_port;  // tcp, udp
  Initiated direction_initiated = Initiated::kAny;
  std::optional<uint8_t> icmp_type, icmp_code;     // icmp
  bool operator==(const MudL4Match&) const = default;
};

// matches.eth: MAC addresses as "aa:bb:cc:dd:ee:ff" (lower case), masks alike.
struct MudEthMatch {
  std::string src_mac, src_mac_mask, dst_mac, dst_mac_mask;  // "" when absent
  std::optional<uint16_t> ethertype;
  bool operator==(const MudEthMatch&) const = default;
};

// matches.ietf-mud:mud: the MUD abstractions, resolved by the MUD manager (here: MudEnv).
struct MudAbstractMatch {
  std::string manufacturer;  // a host: the authority of other devices' MUD URLs
  bool same_manufacturer = false;
  std::string model;         // a MUD URL
  bool local_networks = false;
  std::string controller;    // a URI naming a class of controller
  bool my_controller = false;
  bool operator==(const MudAbstractMatch&) const = default;
};

struct MudAce {
  enum class Action { kAccept, kDrop, kReject };
  std::string name;
  std::optional<MudEthMatch> eth;
  std::optional<MudIpMatch> ip;
  std::optional<MudL4Match> l4;
  std::optional<MudAbstractMatch> mud;
  Action action = Action::kAccept;
  std::string logging;  // actions.logging identity as written ("log-syslog"), "" when absent
  bool operator==(const MudAce&) const = default;
};

struct MudAcl {
  std::string name;
  std::string type;  // "ipv4-acl-type", ... (without a module prefix); "" when absent
  std::vector<MudAce> aces;
  bool operator==(const MudAcl&) const = default;
};

// What a flow is, as the flow tracker sees it. Plain values so that any capture code can
// fill it. "Peer" is the other end of the flow, "device" the device the profile is for.
struct MudFlow {
  enum class Direction { kFromDevice, kToDevice };  // which way this packet (or leg) goes
  enum class Initiator { kUnknown, kDevice, kPeer };  // who opened it (a TCP SYN, a UDP first)
  Direction direction = Direction::kFromDevice;
  Initiator initiator = Initiator::kUnknown;
  std::string peer_ip;                  // "192.0.2.7" or "2001:db8::7"
  std::string device_ip;                // optional ("" unknown): for source-network matches
  std::vector<std::string> peer_names;  // DNS names the DNS tracker saw resolve to peer_ip
  uint8_t protocol = 0;                 // 6 tcp, 17 udp, 1 icmp, 58 icmpv6
  uint16_t device_port = 0;
  uint16_t peer_port = 0;
  int icmp_type = -1;                   // -1 unknown
  int icmp_code = -1;
  std::string device_mac, peer_mac;     // "aa:bb:..." for eth matches; "" unknown
  bool peer_on_local_network = false;   // the capture knows the peer is local (same subnet)
};

// What the MUD manager knows beyond the wire: the user's controller map and local networks,
// and the MUD URLs other devices announced (DHCP option 161, LLDP), when known.
struct MudEnv {
  std::vector<std::string> local_networks;  // extra prefixes: "10.20.0.0/16"
  struct Controller {
    std::string uri;                     // "" for my-controller
    std::vector<std::string> addresses;  // IPs or DNS names
  };
  std::vector<Controller> controllers;
  struct PeerMudUrl {
    std::string ip;
    std::string mud_url;
  };
  std::vector<PeerMudUrl> peer_mud_urls;
};

// The ACE a flow matched.
struct MudMatch {
  std::string acl;
  std::string ace;
  MudAce::Action action = MudAce::Action::kAccept;
  bool operator==(const MudMatch&) const = default;
};

struct MudProfile {
  int mud_version = 1;
  std::string mud_url;
  std::string last_update;
  std::optional<std::string> mud_signature;
  std::optional<int> cache_validity;  // hours, 1-168 (RFC 8520 default 48)
  bool is_supported = true;
  std::optional<std::string> systeminfo, mfg_name, model_name, firmware_rev, software_rev,
      documentation;
  std::vector<std::string> extensions;
  std::vector<std::string> from_device_policy;  // ACL names, each one in `acls`
  std::vector<std::string> to_device_policy;
  std::vector<MudAcl> acls;

  // The host of mud_url ("luminaire.example.com"): the manufacturer authority.
  std::string Authority() const;
  // The first ACE that matches `flow`: from-device-policy ACLs for kFromDevice, to-device
  // for kToDevice, in policy order, ACEs in order. nullopt: no ACE matches (undeclared).
  std::optional<MudMatch> Match(const MudFlow& flow, const MudEnv& env) const;
  std::optional<MudMatch> Match(const MudFlow& flow) const { return Match(flow, MudEnv{}); }
  bool operator==(const MudProfile&) const = default;
};

// Parses an RFC 8520 MUD file. `what` names it in errors ("lightbulb.json"). Errors:
// kInvalidInput "WHAT: /json/pointer: what was wrong" (not JSON, unknown member, draft-format
// member, wrong type or value, dangling ACL name); kLimitExceeded for a limit above, also with
// the path; kUnsupported for a valid RFC 8519 match clearbox cannot judge (ttl, dscp, ...).
Result<MudProfile> ParseMud(std::string_view json, std::string_view what);

// The MUD profile embedded in a clearbox pledge (/outbound/mud, docs/pledge.md), with errors
// naming /outbound/mud/...; the rest of the pledge is audit::ParsePledge's to check. A pledge
// that only references its profile (outbound.mud_url) is kUnsupported: nothing is fetched.
Result<MudProfile> ParseMudFromPledge(std::string_view pledge_json, std::string_view what);

// RFC 8520 JSON for `mud` (two-space indented); ParseMud(SerializeMud(m)) == m for every
// parsed profile (unless the indentation takes it over kMaxMudBytes).
std::string SerializeMud(const MudProfile& mud);

// "Name.Example.COM." -> "name.example.com": the form DNS names are compared in.
std::string NormalizeDnsName(std::string_view name);

}  // namespace clearbox::watch
