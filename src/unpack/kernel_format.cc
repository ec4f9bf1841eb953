// Linux kernel images as containers (parsing in kernel.h):
//   bzimage  x86 bzImage: the compressed vmlinux that the setup header points at, decoded
//            and handed on as the payload "vmlinux" (an ELF), carved for what is inside.
//   zimage   ARM zImage: the compressed kernel after the decompressor, found by signature;
//            a big-endian (BE32) image stores it with its 32-bit words byte-swapped.
//   linux    the version banner, carved from any kernel (vmlinux ELF, a uImage's kernel, the
//            payloads above): a note naming the version.
//   ikconfig the embedded .config (CONFIG_IKCONFIG), carved likewise: listed as the file
//            "config" so that the inventory reads it.
// A built-in initramfs needs no handler: it is a cpio (or a compressed cpio) inside the
// kernel, which carving the vmlinux opens as a filesystem.
#include <fmt/format.h>

#include <cstring>

#include "decompress.h"
#include "decompress_payload.h"
#include "internal/codecs.h"
#include "internal/format.h"
#include "kernel.h"

namespace clearbox::unpack::internal {
namespace {

const PayloadFile kVmlinuxFile{.name = "vmlinux"};
constexpr size_t kMaxPayloadCandidates = 8;

std::optional<Match> ProbeBzImage(ByteView d) {
  std::optional<BzImageHeader> h = ParseBzImage(d);
  if (!h) return std::nullopt;
  Match m;
  m.length = h->image_bytes;
  m.detail = fmt::format("boot protocol {}.{:02}", h->protocol >> 8, h->protocol & 0xff);
  return m;
}

Result<uint64_t> OpenBzImage(ByteView c, const Match&, Walker& w) {
  std::optional<BzImageHeader> h = ParseBzImage(c);
  if (!h) return Error::InvalidInput("bzImage: not a setup header");
  w.AddNote(Note::Kind::kInfo, 0x202,
            fmt::format("Linux kernel x86 bzImage, boot protocol {}.{:02}{}", h->protocol >> 8,
                        h->protocol & 0xff, h->version.empty() ? "" : ", version " + h->version));
  if (h->payload_offset >= c.size()) {
    w.AddNote(Note::Kind::kCorrupt, 0x248,
              fmt::format("bzImage: compressed kernel at 0x{:x} lies past the image's end 0x{:x}",
                          h->payload_offset, c.size()));
    return 0;
  }
  uint64_t length = h->payload_length;
  if (!FitsIn(c, h->payload_offset, length)) {
    length = c.size() - h->payload_offset;
    w.AddNote(Note::Kind::kCorrupt, 0x24c,
              fmt::format("bzImage: compressed kernel of {} bytes at 0x{:x} runs past the "
                          "image's end; {} bytes left",
                          h->payload_length, h->payload_offset, length));
  }
  ByteView payload = c.subspan(size_t(h->payload_offset), size_t(length));
  std::optional<Codec> codec = SniffKernelCodec(payload);
  if (!codec) {
    w.AddNote(Note::Kind::kUnsupported, h->payload_offset,
              fmt::format("bzImage: compressed kernel at 0x{:x} in an unknown format",
                          h->payload_offset));
    return 0;
  }
  w.AddNote(Note::Kind::kInfo, h->payload_offset,
            fmt::format("compressed kernel: {} at 0x{:x}, {} bytes", CodecName(*codec),
                        h->payload_offset, length));
  CLEARBOX_RETURN_IF_ERROR(AddDecompressedPayload(w, *codec, payload, "vmlinux", h->payload_offset,
                                                  kVmlinuxFile, /*fault_is_corruption=*/true));
  return 0;
}

std::optional<Match> ProbeZImage(ByteView d) {
  std::optional<ZImageHeader> h = ParseZImage(d);
  if (!h) return std::nullopt;
  Match m;
  m.length = h->end - h->start;
  m.hint = h->big_endian;
  m.detail = h->big_endian ? "big-endian" : "little-endian";
  return m;
}

// Whether `data` starts a stream of `codec` that decodes (its first 64 KiB at least).
bool Decodes(Codec codec, ByteView data) {
  DecompressOptions o;
  o.max_out = 64 << 10;
  o.keep_partial = true;
  Result<Decompressed> r = DecompressEx(codec, data, o);
  if (!r.ok()) return r.error().code() == ErrorCode::kLimitExceeded;
  return !r->data.empty();
}

Result<uint64_t> OpenZImage(ByteView c, const Match&, Walker& w) {
  std::optional<ZImageHeader> h = ParseZImage(c);
  if (!h) return Error::InvalidInput("zImage: not a zImage header");
  w.AddNote(Note::Kind::kInfo, 0x24,
            fmt::format("Linux kernel ARM zImage ({}), {} bytes",
                        h->big_endian ? "big-endian" : "little-endian", h->end - h->start));
  // The kernel follows the decompressor: the first signature that decodes. A BE32 image
  // stores it word-swapped, so a big-endian image is searched swapped too.
  Bytes swapped;
  for (int pass = 0; pass < (h->big_endian ? 2 : 1); ++pass) {
    ByteView image = c;
    if (pass == 1) {
      swapped = SwapWords(c);
      image = swapped;
    }
    for (const KernelPayload& p : FindKernelPayloads(image, 0x30, kMaxPayloadCandidates)) {
      ByteView data = image.subspan(size_t(p.offset));
      if (!Decodes(p.codec, data)) continue;
      w.AddNote(Note::Kind::kInfo, p.offset,
                fmt::format("compressed kernel: {} at 0x{:x}{}", CodecName(p.codec), p.offset,
                            pass == 1 ? ", stored with its 32-bit words byte-swapped" : ""));
      CLEARBOX_RETURN_IF_ERROR(
          AddDecompressedPayload(w, p.codec, data, "vmlinux", p.offset, kVmlinuxFile, true));
      return 0;
    }
  }
  w.AddNote(Note::Kind::kUnsupported, 0x30,
            "zImage: no compressed kernel found after the "
            "decompressor");
  return 0;
}

std::optional<Match> ProbeBanner(ByteView d) {
  std::optional<std::string> banner = ParseBanner(d);
  if (!banner) return std::nullopt;
  Match m;
  m.length = banner->size() + 1;  // and its newline or NUL
  m.detail = BannerRelease(*banner);
  return m;
}

Result<uint64_t> OpenBanner(ByteView c, const Match&, Walker& w) {
  std::optional<std::string> banner = ParseBanner(c);
  if (!banner) return Error::InvalidInput("not a Linux banner");
  w.AddNote(Note::Kind::kInfo, 0,
            fmt::format("Linux kernel version {}: {}", BannerRelease(*banner), *banner));
  // The banner stays visible to a sink that reads what no container claims (the inventory's
  // version signatures): handed on as a payload, without its terminator so that it is not
  // recognised as a banner again, it holds nothing known and is reported as unclaimed.
  CLEARBOX_RETURN_IF_ERROR(w.AddPayload(StoredPayload("", 0, c.first(banner->size()))));
  return banner->size() + 1;
}

std::optional<Match> ProbeIkconfig(ByteView d) {
  if (!FitsIn(d, kIkconfigStart.size(), 18) ||
      !IsGzipMemberHeader(d.subspan(kIkconfigStart.size()))) {
    return std::nullopt;
  }
  return Match{};
}

Result<uint64_t> OpenIkconfig(ByteView c, const Match&, Walker& w) {
  const size_t start = kIkconfigStart.size();
  ByteView gz = c.subspan(start);
  DecompressOptions o;
  o.max_out = w.OutputBudget(gz.size());
  o.keep_partial = true;
  Result<Decompressed> d = DecompressEx(Codec::kGzip, gz, o);
  if (!d.ok()) {
    Note::Kind kind =
        d.error().code() == ErrorCode::kLimitExceeded ? Note::Kind::kLimit : Note::Kind::kCorrupt;
    w.AddNote(kind, start, fmt::format("kernel config: {}", d.error().message()));
    return 0;
  }
  if (d->failure) {
    w.AddNote(
        Note::Kind::kCorrupt, start,
        fmt::format("kernel config: {}; {} bytes decoded", d->failure->message(), d->data.size()));
  }
  CLEARBOX_RETURN_IF_ERROR(w.Charge(d->data.size()));
  uint64_t end = start + d->consumed.value_or(0);
  bool closed = d->consumed && FitsIn(c, end, kIkconfigEnd.size()) &&
                std::memcmp(c.data() + end, kIkconfigEnd.data(), kIkconfigEnd.size()) == 0;
  if (d->consumed && !closed) {
    w.AddNote(Note::Kind::kCorrupt, end,
              fmt::format("kernel config: no {} marker after the gzip stream", kIkconfigEnd));
  }
  w.AddNote(Note::Kind::kInfo, 0,
            fmt::format("kernel config (IKCONFIG): {} options set, {} bytes, listed as \"config\"",
                        CountConfigOptions(d->data), d->data.size()));
  CLEARBOX_RETURN_IF_ERROR(AddPayloadFile(w, d->data, PayloadFile{.name = "config"}));
  return closed ? end + kIkconfigEnd.size() : end;
}

}  // namespace

extern const FormatHandler kBzImageFormat = {
    .name = "bzimage", .magics = {{"HdrS", 0x202}}, .probe = ProbeBzImage, .open = OpenBzImage};
extern const FormatHandler kZImageFormat = {
    .name = "zimage",
    .magics = {{"\x18\x28\x6f\x01", 0x24}, {"\x01\x6f\x28\x18", 0x24}},
    .probe = ProbeZImage,
    .open = OpenZImage};
extern const FormatHandler kLinuxBannerFormat = {
    .name = "linux", .magics = {{"Linux version ", 0}}, .probe = ProbeBanner, .open = OpenBanner};
extern const FormatHandler kIkconfigFormat = {
    .name = "ikconfig", .magics = {{"IKCFG_ST", 0}}, .probe = ProbeIkconfig, .open = OpenIkconfig};

}  // namespace clearbox::unpack::internal
