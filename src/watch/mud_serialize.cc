// SerializeMud (mud.h): RFC 8520 JSON in the member order of the RFC's examples, so that a
// person can diff it against the vendor's file.
#include <nlohmann/json.hpp>

#include "clearbox/watch/mud.h"

namespace clearbox::watch {
namespace {

using Json = nlohmann::ordered_json;

Json EmptyLeaf() { return Json::array({nullptr}); }

Json Port(const MudPortMatch& p) {
  Json j = Json::object();
  switch (p.op) {
    case MudPortMatch::Op::kRange:
      j["lower-port"] = p.port;
      j["upper-port"] = p.upper;
      return j;
    case MudPortMatch::Op::kEq:
      j["operator"] = "eq";
      break;
    case MudPortMatch::Op::kNeq:
      j["operator"] = "neq";
      break;
    case MudPortMatch::Op::kLte:
      j["operator"] = "lte";
      break;
    case MudPortMatch::Op::kGte:
      j["operator"] = "gte";
      break;
  }
  j["port"] = p.port;
  return j;
}

Json Matches(const MudAce& ace) {
  Json m = Json::object();
  if (ace.mud) {
    Json a = Json::object();
    if (!ace.mud->manufacturer.empty()) a["manufacturer"] = ace.mud->manufacturer;
    if (ace.mud->same_manufacturer) a["same-manufacturer"] = EmptyLeaf();
    if (!ace.mud->model.empty()) a["model"] = ace.mud->model;
    if (ace.mud->local_networks) a["local-networks"] = EmptyLeaf();
    if (!ace.mud->controller.empty()) a["controller"] = ace.mud->controller;
    if (ace.mud->my_controller) a["my-controller"] = EmptyLeaf();
    m["ietf-mud:mud"] = std::move(a);
  }
  if (ace.eth) {
    Json e = Json::object();
    if (!ace.eth->dst_mac.empty()) e["destination-mac-address"] = ace.eth->dst_mac;
    if (!ace.eth->dst_mac_mask.empty()) e["destination-mac-address-mask"] = ace.eth->dst_mac_mask;
    if (!ace.eth->src_mac.empty()) e["source-mac-address"] = ace.eth->src_mac;
    if (!ace.eth->src_mac_mask.empty()) e["source-mac-address-mask"] = ace.eth->src_mac_mask;
    if (ace.eth->ethertype) e["ethertype"] = *ace.eth->ethertype;
    m["eth"] = std::move(e);
  }
  if (ace.ip) {
    const MudIpMatch& ip = *ace.ip;
    std::string v = ip.family == 4 ? "ipv4" : "ipv6";
    Json j = Json::object();
    if (!ip.src_dnsname.empty()) j["ietf-acldns:src-dnsname"] = ip.src_dnsname;
    if (!ip.dst_dnsname.empty()) j["ietf-acldns:dst-dnsname"] = ip.dst_dnsname;
    if (ip.src_network) j["source-" + v + "-network"] = ip.src_network->text;
    if (ip.dst_network) j["destination-" + v + "-network"] = ip.dst_network->text;
    if (ip.protocol) j["protocol"] = *ip.protocol;
    m[v] = std::move(j);
  }
  if (ace.l4) {
    const MudL4Match& l4 = *ace.l4;
    Json j = Json::object();
    if (l4.kind == MudL4Match::Kind::kIcmp) {
      if (l4.icmp_type) j["type"] = *l4.icmp_type;
      if (l4.icmp_code) j["code"] = *l4.icmp_code;
      m["icmp"] = std::move(j);
    } else {
      if (l4.direction_initiated != MudL4Match::Initiated::kAny) {
        j["ietf-mud:direction-initiated"] =
            l4.direction_initiated == MudL4Match::Initiated::kFromDevice ? "from-device"
                                                                          : "to-device";
      }
      if (l4.src_port) j["source-port"] = Port(*l4.src_port);
      if (l4.dst_port) j["destination-port"] = Port(*l4.dst_port);
      m[l4.kind == MudL4Match::Kind::kTcp ? "tcp" : "udp"] = std::move(j);
    }
  }
  return m;
}

Json Policy(const std::vector<std::string>& names) {
  Json list = Json::array();
  for (const std::string& n : names) list.push_back(Json{{"name", n}});
  return Json{{"access-lists", Json{{"access-list", std::move(list)}}}};
}

}  // namespace

std::string SerializeMud(const MudProfile& p) {
  Json mud = Json::object();
  mud["mud-version"] = p.mud_version;
  mud["mud-url"] = p.mud_url;
  mud["last-update"] = p.last_update;
  if (p.mud_signature) mud["mud-signature"] = *p.mud_signature;
  if (p.cache_validity) mud["cache-validity"] = *p.cache_validity;
  mud["is-supported"] = p.is_supported;
  if (p.systeminfo) mud["systeminfo"] = *p.systeminfo;
  if (p.mfg_name) mud["mfg-name"] = *p.mfg_name;
  if (p.model_name) mud["model-name"] = *p.model_name;
  if (p.firmware_rev) mud["firmware-rev"] = *p.firmware_rev;
  if (p.software_rev) mud["software-rev"] = *p.software_rev;
  if (p.documentation) mud["documentation"] = *p.documentation;
  if (!p.extensions.empty()) mud["extensions"] = p.extensions;
  if (!p.from_device_policy.empty()) mud["from-device-policy"] = Policy(p.from_device_policy);
  if (!p.to_device_policy.empty()) mud["to-device-policy"] = Policy(p.to_device_policy);

  Json acls = Json::array();
  for (const MudAcl& acl : p.acls) {
    Json a = Json::object();
    a["name"] = acl.name;
    if (!acl.type.empty()) a["type"] = acl.type;
    Json aces = Json::array();
    for (const MudAce& ace : acl.aces) {
      Json e = Json::object();
      e["name"] = ace.name;
      Json m = Matches(ace);
      if (!m.empty()) e["matches"] = std::move(m);
      Json actions = Json::object();
      actions["forwarding"] = ace.action == MudAce::Action::kAccept ? "accept"
                              : ace.action == MudAce::Action::kDrop ? "drop"
                                                                     : "reject";
      if (!ace.logging.empty()) actions["logging"] = ace.logging;
      e["actions"] = std::move(actions);
      aces.push_back(std::move(e));
    }
    a["aces"] = Json{{"ace", std::move(aces)}};
    acls.push_back(std::move(a));
  }
  Json doc = Json::object();
  doc["ietf-mud:mud"] = std::move(mud);
  doc["ietf-access-control-list:acls"] = Json{{"acl", std::move(acls)}};
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace clearbox::watch
