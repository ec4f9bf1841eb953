// Vendor firmware headers: the small containers router vendors put in front of a kernel and
// a root filesystem (TP-Link, Netgear CHK, D-Link SEAMA, Ubiquiti, Xiaomi HDR1/HDR2, Realtek,
// Huawei UPDATE.APP and HWNP, ZyXEL ZyNOS, Broadcom CFE image tags). Each parser lives in its
// own .cc named after the vendor and fills the same vendor::Image:
//
//   Result<vendor::Image> image = vendor::ParseChk(bytes);
//   image->summary;                          // "Netgear CHK, board U12H240T00_NETGEAR, ..."
//   for (const Note& n : image->notes) ...;  // checksum verified / mismatch, truncation
//   for (const vendor::Part& p : image->parts) Use(p.label, p.data);
//
// Every probe is strict (magic plus fields that must agree) so that random bytes do not
// match; every length and offset is checked against the header and the buffer. A checksum
// mismatch or a truncated part is a kCorrupt note and the parts are still handed on.
// Pure functions; thread-safe. The layouts are described in each .cc's header comment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"

namespace clearbox::unpack::vendor {

// One part of an image (a kernel, a root filesystem, a blob).
struct Part {
  std::string label;    // payload label: "kernel", "rootfs", a blob's name
  uint64_t offset = 0;  // from the start of the image
  uint64_t size = 0;    // as the header states it
  ByteView data;        // what the buffer holds of it (shorter when truncated)
};

struct Image {
  std::string summary;      // vendor/model/version strings, for an info note
  uint64_t length = 0;      // bytes the image spans by its header (0: unknown)
  std::vector<Part> parts;  // in header order
  std::vector<Note> notes;  // offsets from the image start; `where` empty
};

// What a probe learnt: the container's length (0 when the header does not tell) and a
// short description for logs.
struct Probed {
  uint64_t length = 0;
  std::string detail;
};

// The header parsers. Probe* validate strictly and never read outside `data`; Parse* return
// kInvalidInput when Probe* would refuse the data.
std::optional<Probed> ProbeXiaomi(ByteView data);
Result<Image> ParseXiaomi(ByteView data);
std::optional<Probed> ProbeTplink(ByteView data);
Result<Image> ParseTplink(ByteView data);
std::optional<Probed> ProbeChk(ByteView data);
Result<Image> ParseChk(ByteView data);
std::optional<Probed> ProbeSeama(ByteView data);
Result<Image> ParseSeama(ByteView data);
std::optional<Probed> ProbeUbiquiti(ByteView data);
Result<Image> ParseUbiquiti(ByteView data);
std::optional<Probed> ProbeHuaweiApp(ByteView data);
Result<Image> ParseHuaweiApp(ByteView data);
std::optional<Probed> ProbeHwnp(ByteView data);
Result<Image> ParseHwnp(ByteView data);
std::optional<Probed> ProbeRealtek(ByteView data);
Result<Image> ParseRealtek(ByteView data);
std::optional<Probed> ProbeZynos(ByteView data);
Result<Image> ParseZynos(ByteView data);
std::optional<Probed> ProbeCfe(ByteView data);
Result<Image> ParseCfe(ByteView data);

// Helpers shared by the parsers (vendor_header.cc).

// A fixed-size string field: cut at the first NUL, non-printable bytes shown as '?'.
std::string FieldString(ByteView data, uint64_t offset, uint64_t size);
// Whether the field holds printable ASCII up to its first NUL (or its end), at least
// `min_chars` of it, and only NULs after that NUL when `zero_padded`.
bool PrintableField(ByteView data, uint64_t offset, uint64_t size, size_t min_chars,
                    bool zero_padded = false);

void AddCorrupt(Image& image, uint64_t offset, std::string message);
void AddInfo(Image& image, uint64_t offset, std::string message);
// "<what> verified (0x...)" as info, or "<what> mismatch: stored 0x..., computed 0x..." as
// kCorrupt.
void CheckValue(Image& image, uint64_t offset, std::string_view what, uint64_t stored,
                uint64_t computed, int hex_digits = 8);
// Adds the part [offset, offset + size) of `data` (the whole image), with a kCorrupt note
// naming `field_offset` when it runs past `limit` (the image length) or the buffer.
// Returns false when nothing of it is present.
bool AddPart(Image& image, ByteView data, std::string label, uint64_t offset, uint64_t size,
             uint64_t limit, uint64_t field_offset);

// Netgear's checksum (mkchkimg): c0 sums the bytes, c1 sums c0, both folded to 16 bits.
uint32_t NetgearChecksum(ByteView data);
// MD5 of `data` with the 16 bytes at `field` replaced by `replacement` (TP-Link's salt) or
// left as they are when `replacement` is empty.
Bytes Md5With(ByteView data, uint64_t field, ByteView replacement);
std::string Hex(ByteView bytes);

}  // namespace clearbox::unpack::vendor
