// Decoder and reassembly on hand-built frames (VLAN tags, SLL, lengths that lie, overlaps);
// the real captures are in capture_test.cc.
#include "clearbox/watch/packet.h"

#include <gtest/gtest.h>

namespace clearbox::watch {
namespace {

Bytes Ipv4Udp(uint16_t sport, uint16_t dport, const Bytes& data, uint16_t ident = 1,
              uint16_t frag = 0) {
  Bytes ip(20, 0);
  ip[0] = 0x45;
  StoreBE16(ip.data() + 2, uint16_t(20 + 8 + data.size()));
  StoreBE16(ip.data() + 4, ident);
  StoreBE16(ip.data() + 6, frag);
  ip[8] = 64;
  ip[9] = kProtoUdp;
  ip[12] = 192, ip[13] = 0, ip[14] = 2, ip[15] = 1;
  ip[16] = 198, ip[17] = 51, ip[18] = 100, ip[19] = 7;
  Bytes udp(8, 0);
  StoreBE16(udp.data(), sport);
  StoreBE16(udp.data() + 2, dport);
  StoreBE16(udp.data() + 4, uint16_t(8 + data.size()));
  ip.insert(ip.end(), udp.begin(), udp.end());
  ip.insert(ip.end(), data.begin(), data.end());
  return ip;
}

Bytes Ether(const Bytes& ip, std::vector<uint16_t> tags = {}) {
  Bytes f = {0, 1, 2, 3, 4, 5, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf};
  for (size_t i = 0; i < tags.size(); ++i) {
    f.push_back(i == 0 && tags.size() > 1 ? 0x88 : 0x81);
    f.push_back(i == 0 && tags.size() > 1 ? 0xa8 : 0x00);
    f.push_back(uint8_t(tags[i] >> 8));
    f.push_back(uint8_t(tags[i]));
  }
  f.push_back(0x08);
  f.push_back(0x00);
  f.insert(f.end(), ip.begin(), ip.end());
  return f;
}

TEST(PacketTest, EthernetWithQinQ) {
  Bytes f = Ether(Ipv4Udp(1234, 53, {1, 2, 3}), {100, 200});
  DecodedPacket d;
  ASSERT_TRUE(Decode(f, kLinkEthernet, 0, &d));
  EXPECT_EQ(d.vlan_count, 2);
  EXPECT_EQ(d.vlan, 100);
  EXPECT_EQ(MacToString(d.src_mac), "0a:0b:0c:0d:0e:0f");
  EXPECT_EQ(d.src.ToString(), "192.0.2.1");
  EXPECT_EQ(d.dst_port, 53);
  EXPECT_EQ(d.payload.size(), 3u);
  EXPECT_EQ(d.anomaly, Anomaly::kNone);
}

TEST(PacketTest, TooManyVlanTags) {
  Bytes f = Ether(Ipv4Udp(1, 2, {}), std::vector<uint16_t>(9, 7));
  DecodedPacket d;
  EXPECT_FALSE(Decode(f, kLinkEthernet, 0, &d));
  EXPECT_EQ(d.anomaly, Anomaly::kTooManyVlanTags);
}

TEST(PacketTest, LinuxSllAndRaw) {
  Bytes ip = Ipv4Udp(5, 6, {9});
  Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  sll.insert(sll.end(), ip.begin(), ip.end());
  DecodedPacket d;
  ASSERT_TRUE(Decode(sll, kLinkLinuxSll, 0, &d));
  EXPECT_EQ(MacToString(d.src_mac), "01:02:03:04:05:06");
  EXPECT_EQ(d.src_port, 5);
  ASSERT_TRUE(Decode(ip, kLinkRaw, 0, &d));
  EXPECT_EQ(d.dst_port, 6);
  EXPECT_FALSE(Decode(ip, 9999, 0, &d));
  EXPECT_EQ(d.anomaly, Anomaly::kUnsupportedLink);
}

TEST(PacketTest, LengthThatLiesVersusSnaplen) {
  Bytes f = Ether(Ipv4Udp(1, 2, Bytes(1000, 0)));
  Bytes cut(f.begin(), f.begin() + 60);
  DecodedPacket d;
  // The wire held 1042 bytes, the record 60: a snap-length cut, not a lie.
  ASSERT_TRUE(Decode(cut, kLinkEthernet, uint32_t(f.size()), &d));
  EXPECT_EQ(d.anomaly, Anomaly::kSnapTruncated);
  EXPECT_EQ(d.payload_length, 1000u);
  EXPECT_EQ(d.payload.size(), 60u - 14 - 28);
  // The same bytes with the wire length 60: the header lies.
  ASSERT_TRUE(Decode(cut, kLinkEthernet, 60, &d));
  EXPECT_EQ(d.anomaly, Anomaly::kIpLengthExceedsRecord);
  EXPECT_EQ(d.anomaly_claimed, 1028u);
  EXPECT_EQ(Note(7, d), "packet 7: IP length exceeds the record: header claims 1028 bytes, record holds 46 (offset 16)");
  // Every prefix of the frame decodes without reading past it (ASan checks the reads).
  for (size_t n = 0; n <= 60; ++n) Decode(ByteView(f).first(n), kLinkEthernet, 0, &d);
}

TEST(PacketTest, ShortIpv4TotalLength) {
  Bytes ip = Ipv4Udp(1, 2, {});
  StoreBE16(ip.data() + 2, 12);
  DecodedPacket d;
  ASSERT_TRUE(Decode(ip, kLinkRaw, 0, &d));
  EXPECT_EQ(d.anomaly, Anomaly::kIpLengthTooShort);
  EXPECT_FALSE(d.ok());
}

TEST(PacketTest, ReassemblesOutOfOrderAndRejectsConflictingOverlap) {
  Bytes data(40);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i);
  Bytes whole = Ipv4Udp(7000, 8000, data, 42);  // 20 + 48 bytes
  auto frag = [&](size_t off, size_t len, bool more) {
    Bytes f(whole.begin(), whole.begin() + 20);
    StoreBE16(f.data() + 2, uint16_t(20 + len));
    StoreBE16(f.data() + 6, uint16_t((more ? 0x2000 : 0) | (off / 8)));
    f.insert(f.end(), whole.begin() + 20 + ptrdiff_t(off), whole.begin() + 20 + ptrdiff_t(off + len));
    return f;
  };
  Reassembler r;
  DecodedPacket d;
  Bytes last = frag(24, 24, false), first = frag(0, 24, true), dup = frag(16, 16, true);
  ASSERT_TRUE(Decode(last, kLinkRaw, 0, &d));
  EXPECT_EQ(d.fragment, FragmentState::kFragment);
  EXPECT_FALSE(r.Add(&d, 0));
  ASSERT_TRUE(Decode(dup, kLinkRaw, 0, &d));  // overlaps both with the same bytes: fine
  EXPECT_FALSE(r.Add(&d, 1));
  ASSERT_TRUE(Decode(first, kLinkRaw, 0, &d));
  ASSERT_TRUE(r.Add(&d, 2));
  EXPECT_EQ(d.fragment, FragmentState::kReassembled);
  EXPECT_EQ(d.dst_port, 8000);
  ASSERT_EQ(d.payload.size(), 40u);
  EXPECT_EQ(Bytes(d.payload.begin(), d.payload.end()), data);
  EXPECT_EQ(r.pending(), 0u);

  Bytes evil = frag(16, 16, true);
  evil[30] ^= 0xff;  // datagram byte 26: inside the overlap with the last fragment
  ASSERT_TRUE(Decode(last, kLinkRaw, 0, &d));
  EXPECT_FALSE(r.Add(&d, 3));
  ASSERT_TRUE(Decode(evil, kLinkRaw, 0, &d));
  EXPECT_FALSE(r.Add(&d, 4));
  EXPECT_EQ(d.anomaly, Anomaly::kFragmentOverlap);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.bytes_held(), 0u);
}

TEST(PacketTest, ReassemblyMemoryIsBoundedAndExpires) {
  ReassemblyLimits lim;
  lim.max_datagrams = 4;
  lim.timeout_ns = 10;
  Reassembler r(lim);
  DecodedPacket d;
  for (uint16_t id = 0; id < 100; ++id) {
    Bytes f = Ipv4Udp(1, 2, Bytes(64, 1), id, 0x2000);
    ASSERT_TRUE(Decode(f, kLinkRaw, 0, &d));
    r.Add(&d, id);
    EXPECT_LE(r.pending(), 4u);
  }
  r.Expire(1000);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.bytes_held(), 0u);
  // Offset 65528 + 16 bytes passes the 65535 limit of a datagram.
  Bytes big = Ipv4Udp(1, 2, Bytes(8, 1), 5, 0x1fff);
  ASSERT_TRUE(Decode(big, kLinkRaw, 0, &d));
  EXPECT_FALSE(r.Add(&d, 0));
  EXPECT_EQ(d.anomaly, Anomaly::kFragmentTooLarge);
}

TEST(PacketTest, ParsesAddressesAndMacs) {
  EXPECT_EQ(IpAddress::Parse("2001:db8::7")->ToString(), "2001:db8::7");
  EXPECT_FALSE(IpAddress::Parse("300.1.1.1").ok());
  EXPECT_EQ(MacToString(*ParseMac("AA-bb-cc-dd-ee-0F")), "aa:bb:cc:dd:ee:0f");
  EXPECT_FALSE(ParseMac("aa:bb:cc:dd:ee").ok());
}

}  // namespace
}  // namespace clearbox::watch
