// Packet decoder and fragment reassembly (include/clearbox/watch/packet.h).
//
// Every read goes through `Fits` against the captured bytes. A header that claims more than
// the record holds is an Anomaly, never a read past the end; decoding then continues over what
// was captured, as Zeek's analyzers do with Weird() (the rest of the capture is still checked).
#include "clearbox/watch/packet.h"

#include "watch/packet_internal.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace clearbox::watch {

IpAddress IpAddress::V4(const uint8_t* p) {
  IpAddress a;
  a.family = 4;
  std::memcpy(a.bytes.data(), p, 4);
  return a;
}
IpAddress IpAddress::V6(const uint8_t* p) {
  IpAddress a;
  a.family = 6;
  std::memcpy(a.bytes.data(), p, 16);
  return a;
}

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return Error::InvalidInput("not an IPv4 or IPv6 address: '" + s + "'");
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == 4) return inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  if (family == 6) return inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return "-";
}

size_t IpAddressHash::operator()(const IpAddress& a) const {
  uint64_t h = a.family * 0x9E3779B97F4A7C15ull;
  h ^= LoadLE64(a.bytes.data()) * 0xC2B2AE3D27D4EB4Full;
  h ^= LoadLE64(a.bytes.data() + 8) * 0x165667B19E3779F9ull;
  return size_t(h ^ (h >> 29));
}

Result<MacAddress> ParseMac(std::string_view text) {
  MacAddress m{};
  if (text.size() != 17) return Error::InvalidInput("not a MAC address: '" + std::string(text) + "'");
  for (int i = 0; i < 6; ++i) {
    unsigned v = 0;
    for (int j = 0; j < 2; ++j) {
      char c = text[i * 3 + j];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return Error::InvalidInput("not a MAC address: '" + std::string(text) + "'");
      v = v * 16 + unsigned(d);
    }
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-')
      return Error::InvalidInput("not a MAC address: '" + std::string(text) + "'");
    m[i] = uint8_t(v);
  }
  return m;
}

std::string MacToString(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

std::string_view AnomalyName(Anomaly a) {
  switch (a) {
    case Anomaly::kNone: return "none";
    case Anomaly::kTruncatedLink: return "record ends inside the link-layer header";
    case Anomaly::kTruncatedIp: return "record ends inside the IP header";
    case Anomaly::kBadIpVersion: return "bad IP header (version or header length)";
    case Anomaly::kIpLengthExceedsRecord: return "IP length exceeds the record";
    case Anomaly::kIpLengthTooShort: return "IPv4 total length shorter than its header";
    case Anomaly::kTruncatedTransport: return "record ends inside the transport header";
    case Anomaly::kBadTransportLength: return "bad transport header length";
    case Anomaly::kExtensionChainTooLong: return "IPv6 extension header chain too long";
    case Anomaly::kTooManyVlanTags: return "too many VLAN tags";
    case Anomaly::kSnapTruncated: return "payload cut by the snap length";
    case Anomaly::kUnsupportedLink: return "unsupported link type";
    case Anomaly::kFragmentOverlap: return "overlapping IP fragments with different data";
    case Anomaly::kFragmentLimit: return "IP fragment limit reached";
    case Anomaly::kFragmentTooLarge: return "IP fragment beyond the datagram's end";
  }
  return "unknown";
}

std::string Note(uint64_t packet_number, const DecodedPacket& d) {
  char buf[256];
  auto u = [](uint64_t v) { return (unsigned long long)v; };
  int n = std::snprintf(buf, sizeof buf, "packet %llu: %.*s", u(packet_number),
                        int(AnomalyName(d.anomaly).size()), AnomalyName(d.anomaly).data());
  size_t room = sizeof buf - size_t(n);
  switch (d.anomaly) {
    case Anomaly::kExtensionChainTooLong:
    case Anomaly::kTooManyVlanTags:
      std::snprintf(buf + n, room, ": more than %llu (offset %u)", u(d.anomaly_claimed), d.anomaly_offset);
      break;
    case Anomaly::kUnsupportedLink:
      std::snprintf(buf + n, room, " %llu", u(d.anomaly_claimed));
      break;
    case Anomaly::kFragmentLimit:
      std::snprintf(buf + n, room, " (%llu, limit %llu); the datagram is dropped", u(d.anomaly_claimed),
                    u(d.anomaly_available));
      break;
    case Anomaly::kFragmentOverlap:
      std::snprintf(buf + n, room, " (bytes %llu to %llu); the datagram is dropped", u(d.anomaly_claimed),
                    u(d.anomaly_available));
      break;
    case Anomaly::kFragmentTooLarge:
      std::snprintf(buf + n, room, " (ends at byte %llu, limit %llu); the datagram is dropped",
                    u(d.anomaly_claimed), u(d.anomaly_available));
      break;
    case Anomaly::kBadIpVersion:
      std::snprintf(buf + n, room, " (offset %u)", d.anomaly_offset);
      break;
    default:
      std::snprintf(buf + n, room, ": header claims %llu bytes, record holds %llu (offset %u)",
                    u(d.anomaly_claimed), u(d.anomaly_available), d.anomaly_offset);
  }
  return buf;
}

namespace internal {

void Flag(DecodedPacket* d, Anomaly a, uint32_t offset, uint64_t claimed, uint64_t available) {
  if (d->anomaly != Anomaly::kNone && d->anomaly != Anomaly::kSnapTruncated) return;
  d->anomaly = a;
  d->anomaly_offset = offset;
  d->anomaly_claimed = claimed;
  d->anomaly_available = available;
}

static bool IsIpv6Extension(uint8_t nh) {
  return nh == 0 || nh == 43 || nh == 60 || nh == 135 || nh == 51;
}

// Walks IPv6 extension headers from `*off` in `buf` starting with next header `*nh`, up to the
// fragment header (returned as true with *frag_hdr set) or a non-extension protocol.
// Returns false when the chain is cut, too long or the datagram is a fragment.
bool WalkIpv6Chain(ByteView buf, uint32_t base, uint8_t* nh, size_t* off, DecodedPacket* d) {
  for (int count = 0;; ++count) {
    if (*nh == 44) {  // fragment header: 8 bytes
      if (!FitsIn(buf, *off, 8)) {
        Flag(d, Anomaly::kTruncatedIp, base + uint32_t(*off), 8, buf.size() - *off);
        return false;
      }
      const uint8_t* p = buf.data() + *off;
      uint32_t frag_off = LoadBE16(p + 2) & 0xfff8u;
      bool more = p[3] & 1;
      *nh = p[0];
      *off += 8;
      if (frag_off != 0 || more) {
        d->fragment = FragmentState::kFragment;
        d->frag_offset = frag_off;
        d->more_fragments = more;
        d->frag_id = LoadBE32(p + 4);
        d->protocol = *nh;
        return false;
      }
      continue;  // an atomic fragment (RFC 6946): the datagram is whole
    }
    if (!IsIpv6Extension(*nh)) return true;
    if (count >= kMaxIpv6ExtensionHeaders) {
      Flag(d, Anomaly::kExtensionChainTooLong, base + uint32_t(*off), kMaxIpv6ExtensionHeaders);
      return false;
    }
    if (!FitsIn(buf, *off, 2)) {
      Flag(d, Anomaly::kTruncatedIp, base + uint32_t(*off), 2, buf.size() - *off);
      return false;
    }
    const uint8_t* p = buf.data() + *off;
    size_t len = *nh == 51 ? (size_t(p[1]) + 2) * 4 : (size_t(p[1]) + 1) * 8;
    if (!FitsIn(buf, *off, len)) {
      Flag(d, Anomaly::kTruncatedIp, base + uint32_t(*off), len, buf.size() - *off);
      return false;
    }
    *nh = p[0];
    *off += len;
  }
}

}  // namespace internal

using internal::Flag;
using internal::WalkIpv6Chain;

namespace {

bool DecodeIpv4(ByteView rec, size_t off, uint32_t wire_len, DecodedPacket* d) {
  ByteView b = rec.subspan(off);
  if (b.size() < 20) {
    Flag(d, Anomaly::kTruncatedIp, uint32_t(off), 20, b.size());
    return false;
  }
  const uint8_t* p = b.data();
  uint32_t hl = (p[0] & 0x0f) * 4u;
  if ((p[0] >> 4) != 4 || hl < 20) {
    Flag(d, Anomaly::kBadIpVersion, uint32_t(off));
    return false;
  }
  if (hl > b.size()) {
    Flag(d, Anomaly::kTruncatedIp, uint32_t(off), hl, b.size());
    return false;
  }
  d->ip_version = 4;
  d->src = IpAddress::V4(p + 12);
  d->dst = IpAddress::V4(p + 16);
  d->protocol = p[9];
  d->ttl = p[8];
  uint32_t total = LoadBE16(p + 2);
  d->ip_length = total;
  if (total < hl) {
    Flag(d, Anomaly::kIpLengthTooShort, uint32_t(off + 2), total, hl);
    return true;
  }
  size_t avail = b.size();
  if (total > avail) {
    // Cut by the snap length (the wire held it) or a lie (the wire length is the record's).
    if (wire_len >= off + total) {
      Flag(d, Anomaly::kSnapTruncated, uint32_t(off + avail), total, avail);
    } else {
      Flag(d, Anomaly::kIpLengthExceedsRecord, uint32_t(off + 2), total, avail);
    }
  } else {
    avail = total;  // drop Ethernet padding
  }
  uint16_t fl = LoadBE16(p + 6);
  ByteView payload = b.subspan(hl, avail - hl);
  if ((fl & 0x2000) || (fl & 0x1fff)) {
    d->fragment = FragmentState::kFragment;
    d->more_fragments = fl & 0x2000;
    d->frag_offset = (fl & 0x1fffu) * 8;
    d->frag_id = LoadBE16(p + 4);
    d->payload = payload;
    d->payload_length = total - hl;
    return true;
  }
  DecodeTransport(d->protocol, payload, total - hl, uint32_t(off + hl), d);
  return true;
}

bool DecodeIpv6(ByteView rec, size_t off, uint32_t wire_len, DecodedPacket* d) {
  ByteView b = rec.subspan(off);
  if (b.size() < 40) {
    Flag(d, Anomaly::kTruncatedIp, uint32_t(off), 40, b.size());
    return false;
  }
  const uint8_t* p = b.data();
  if ((p[0] >> 4) != 6) {
    Flag(d, Anomaly::kBadIpVersion, uint32_t(off));
    return false;
  }
  d->ip_version = 6;
  d->src = IpAddress::V6(p + 8);
  d->dst = IpAddress::V6(p + 24);
  d->ttl = p[7];
  uint32_t plen = LoadBE16(p + 4);
  uint32_t total = 40 + plen;
  d->ip_length = total;
  size_t avail = b.size();
  if (plen == 0 && p[6] == 0) total = uint32_t(std::min<size_t>(avail, 0xffffffu));  // jumbogram
  if (total > avail) {
    if (wire_len >= off + total) {
      Flag(d, Anomaly::kSnapTruncated, uint32_t(off + avail), total, avail);
    } else {
      Flag(d, Anomaly::kIpLengthExceedsRecord, uint32_t(off + 4), total, avail);
    }
  } else {
    avail = total;
  }
  ByteView ip = b.first(avail);
  uint8_t nh = p[6];
  size_t pos = 40;
  d->protocol = nh;
  if (!WalkIpv6Chain(ip, uint32_t(off), &nh, &pos, d)) {
    if (d->fragment == FragmentState::kFragment) {
      d->payload = ip.subspan(pos);
      d->payload_length = total > pos ? uint32_t(total - pos) : 0;
    }
    return true;
  }
  d->protocol = nh;
  DecodeTransport(nh, ip.subspan(pos), total > pos ? uint32_t(total - pos) : 0,
                  uint32_t(off + pos), d);
  return true;
}

}  // namespace

void DecodeTransport(uint8_t protocol, ByteView b, uint32_t claimed, uint32_t base,
                     DecodedPacket* d) {
  const uint8_t* p = b.data();
  d->protocol = protocol;
  switch (protocol) {
    case kProtoTcp: {
      if (b.size() < 20) {
        Flag(d, Anomaly::kTruncatedTransport, base, 20, b.size());
        return;
      }
      uint32_t hl = (p[12] >> 4) * 4u;
      if (hl < 20) {
        Flag(d, Anomaly::kBadTransportLength, base + 12, hl, 20);
        return;
      }
      if (hl > b.size()) {
        Flag(d, Anomaly::kTruncatedTransport, base, hl, b.size());
        return;
      }
      d->src_port = LoadBE16(p);
      d->dst_port = LoadBE16(p + 2);
      d->seq = LoadBE32(p + 4);
      d->ack = LoadBE32(p + 8);
      d->tcp_flags = p[13];
      d->window = LoadBE16(p + 14);
      d->payload = b.subspan(hl);
      d->payload_length = claimed > hl ? claimed - hl : 0;
      d->has_transport = true;
      return;
    }
    case kProtoUdp: {
      if (b.size() < 8) {
        Flag(d, Anomaly::kTruncatedTransport, base, 8, b.size());
        return;
      }
      uint32_t ulen = LoadBE16(p + 4);
      if (ulen != 0 && ulen < 8) {
        Flag(d, Anomaly::kBadTransportLength, base + 4, ulen, 8);
        return;
      }
      if (ulen == 0) ulen = std::max<uint32_t>(claimed, 8);  // IPv6 jumbogram
      d->src_port = LoadBE16(p);
      d->dst_port = LoadBE16(p + 2);
      d->payload_length = ulen - 8;
      d->payload = b.subspan(8, std::min<size_t>(b.size() - 8, ulen - 8));
      d->has_transport = true;
      return;
    }
    case kProtoIcmp:
    case kProtoIcmpv6: {
      if (b.size() < 4) {
        Flag(d, Anomaly::kTruncatedTransport, base, 4, b.size());
        return;
      }
      d->icmp_type = p[0];
      d->icmp_code = p[1];
      size_t hl = std::min<size_t>(b.size(), 8);
      d->payload = b.subspan(hl);
      d->payload_length = claimed > 8 ? claimed - 8 : 0;
      d->has_transport = true;
      return;
    }
    default:
      d->payload = b;
      d->payload_length = claimed;
      return;
  }
}

bool Decode(ByteView rec, uint32_t linktype, uint32_t wire_len, DecodedPacket* d) {
  *d = DecodedPacket();
  if (wire_len < rec.size()) wire_len = uint32_t(rec.size());
  size_t off = 0;
  uint16_t ethertype = 0;
  const uint8_t* p = rec.data();
  switch (linktype) {
    case kLinkEthernet: {
      if (rec.size() < 14) {
        Flag(d, Anomaly::kTruncatedLink, 0, 14, rec.size());
        return false;
      }
      d->has_mac = true;
      std::memcpy(d->dst_mac.data(), p, 6);
      std::memcpy(d->src_mac.data(), p + 6, 6);
      ethertype = LoadBE16(p + 12);
      off = 14;
      while (ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100) {
        if (d->vlan_count >= kMaxVlanTags) {
          Flag(d, Anomaly::kTooManyVlanTags, uint32_t(off), kMaxVlanTags);
          return false;
        }
        if (!FitsIn(rec, off, 4)) {
          Flag(d, Anomaly::kTruncatedLink, uint32_t(off), 4, rec.size() - off);
          return false;
        }
        if (d->vlan_count++ == 0) d->vlan = LoadBE16(p + off) & 0x0fff;
        ethertype = LoadBE16(p + off + 2);
        off += 4;
      }
      break;
    }
    case kLinkLinuxSll: {
      if (rec.size() < 16) {
        Flag(d, Anomaly::kTruncatedLink, 0, 16, rec.size());
        return false;
      }
      if (LoadBE16(p + 2) == 1 && LoadBE16(p + 4) == 6) {  // ARPHRD_ETHER: the sender's MAC
        d->has_mac = true;
        std::memcpy(d->src_mac.data(), p + 6, 6);
      }
      ethertype = LoadBE16(p + 14);
      off = 16;
      break;
    }
    case kLinkLinuxSll2: {
      if (rec.size() < 20) {
        Flag(d, Anomaly::kTruncatedLink, 0, 20, rec.size());
        return false;
      }
      if (LoadBE16(p + 8) == 1 && p[11] == 6) {
        d->has_mac = true;
        std::memcpy(d->src_mac.data(), p + 12, 6);
      }
      ethertype = LoadBE16(p);
      off = 20;
      break;
    }
    case kLinkRaw:
    case kLinkRawBsd:
    case kLinkRawFile:
    case kLinkIpv4:
    case kLinkIpv6:
      if (rec.empty()) {
        Flag(d, Anomaly::kTruncatedIp, 0, 1, 0);
        return false;
      }
      ethertype = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
      break;
    case kLinkNull:
    case kLinkLoop: {
      if (rec.size() < 4) {
        Flag(d, Anomaly::kTruncatedLink, 0, 4, rec.size());
        return false;
      }
      uint32_t fam = linktype == kLinkLoop ? LoadBE32(p) : LoadLE32(p);
      if (fam > 0xffff) fam = LoadBE32(p);  // a capture from a host of the other byte order
      ethertype = fam == 2 ? 0x0800 : (fam == 10 || fam == 24 || fam == 28 || fam == 30) ? 0x86dd : 0;
      off = 4;
      break;
    }
    default:
      Flag(d, Anomaly::kUnsupportedLink, 0, linktype);
      return false;
  }
  d->ethertype = ethertype;
  if (ethertype == 0x0800) return DecodeIpv4(rec, off, wire_len, d);
  if (ethertype == 0x86dd) return DecodeIpv6(rec, off, wire_len, d);
  return false;  // ARP, LLDP, ...: not IP, nothing wrong
}

}  // namespace clearbox::watch
