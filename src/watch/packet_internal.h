// Shared by the decoder (packet.cc) and fragment reassembly (packet_reassembly.cc).
#pragma once

#include <cstddef>
#include <cstdint>

#include "clearbox/watch/packet.h"

namespace clearbox::watch::internal {

// Records the first anomaly on *d (a snap-length cut may be replaced by a real one).
void Flag(DecodedPacket* d, Anomaly a, uint32_t offset, uint64_t claimed = 0,
          uint64_t available = 0);

// Walks IPv6 extension headers in `buf` from *off with next header *nh, at most
// kMaxIpv6ExtensionHeaders. True at a transport protocol (*nh, *off set to it); false when
// the chain is cut or too long (an anomaly on *d) or the datagram is a fragment (d->fragment).
bool WalkIpv6Chain(ByteView buf, uint32_t base, uint8_t* nh, size_t* off, DecodedPacket* d);

}  // namespace clearbox::watch::internal
