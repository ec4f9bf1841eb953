#include "uimage.h"

#include <fmt/format.h>

#include <array>
#include <ctime>

#include "clearbox/core/digest.h"

namespace clearbox::unpack::uimage {
namespace {

// Name tables from U-Boot's boot/image.c, indexed by code.
constexpr std::array<std::string_view, 29> kOsNames = {"invalid",  "openbsd",
                                                       "netbsd",   "freebsd",
                                                       "4_4bsd",   "linux",
                                                       "svr4",     "esix",
                                                       "solaris",  "irix",
                                                       "sco",      "dell",
                                                       "ncr",      "lynxos",
                                                       "vxworks",  "psos",
                                                       "qnx",      "u-boot",
                                                       "rtems",    "artos",
                                                       "unity",    "integrity",
                                                       "ose",      "plan9",
                                                       "openrtos", "arm-trusted-firmware",
                                                       "tee",      "opensbi",
                                                       "efi"};
constexpr std::array<std::string_view, 27> kArchNames = {
    "invalid", "alpha",   "arm",     "x86",  "ia64",  "mips",       "mips64", "powerpc",  "s390",
    "sh",      "sparc",   "sparc64", "m68k", "nios",  "microblaze", "nios2",  "blackfin", "avr32",
    "st200",   "sandbox", "nds32",   "or1k", "arm64", "arc",        "x86_64", "xtensa",   "riscv"};
constexpr std::array<std::string_view, 41> kTypeNames = {
    "invalid",     "standalone",   "kernel",        "ramdisk",      "multi",      "firmware",
    "script",      "filesystem",   "flat_dt",       "kwbimage",     "imximage",   "ublimage",
    "omapimage",   "aisimage",     "kernel_noload", "pblimage",     "mxsimage",   "gpimage",
    "atmelimage",  "socfpgaimage", "x86_setup",     "lpc32xximage", "loadable",   "rkimage",
    "rksd",        "rkspi",        "zynqimage",     "zynqmpimage",  "zynqmpbif",  "fpga",
    "vybridimage", "tee",          "firmware_ivt",  "pmmc",         "stm32image", "socfpgaimage_v1",
    "mtk_image",   "imx8mimage",   "imx8image",     "copro",        "sunxi_egon"};
constexpr std::array<std::string_view, 7> kCompNames = {"none", "gzip", "bzip2", "lzma",
                                                        "lzo",  "lz4",  "zstd"};

template <size_t N>
std::string NameOf(const std::array<std::string_view, N>& names, uint8_t code) {
  if (code < N) return std::string(names[code]);
  return fmt::format("unknown ({})", code);
}

// The parts of a multi-file image or script: a zero-terminated table of sizes, then the
// parts, each padded to 4 bytes.
void ParseSizeTable(ByteView payload, uint64_t data_size, Image& image) {
  ByteReader table(payload, kHeaderSize);
  std::vector<uint32_t> sizes;
  bool ended = false;
  while (auto size = table.ReadBE32()) {
    if (*size == 0) {
      ended = true;
      break;
    }
    sizes.push_back(*size);
  }
  if (!ended) {
    image.notes.push_back({Note::Kind::kCorrupt, "", kHeaderSize,
                           fmt::format("{} size table has no end within the {} data bytes present",
                                       TypeName(image.header.type), payload.size())});
    return;
  }
  if (sizes.size() > kMaxParts) {
    image.notes.push_back({Note::Kind::kCorrupt, "", kHeaderSize,
                           fmt::format("size table lists {} parts; only the first {} are read",
                                       sizes.size(), kMaxParts)});
    sizes.resize(kMaxParts);
  }

  uint64_t offset = table.position();  // inside the data; sizes are < 2^32, so no overflow
  for (size_t i = 0; i < sizes.size(); ++i) {
    Part part;
    part.label =
        sizes.size() == 1 && image.header.type == kTypeScript ? "" : fmt::format("part{}", i);
    part.offset = kHeaderSize + offset;
    part.size = sizes[i];
    if (offset < payload.size()) {
      part.data = payload.subspan(offset, std::min<uint64_t>(sizes[i], payload.size() - offset));
    }
    if (!FitsIn(data_size, offset, sizes[i])) {
      image.notes.push_back(
          {Note::Kind::kCorrupt, "", part.offset,
           fmt::format("part {} ({} bytes at data offset {}) runs past the {} data bytes", i,
                       sizes[i], offset, data_size)});
    }
    image.parts.push_back(std::move(part));
    offset += (uint64_t{sizes[i]} + 3) & ~uint64_t{3};
  }
}

}  // namespace

std::optional<Header> ReadHeader(ByteView data) {
  if (data.size() < kHeaderSize || LoadBE32(data.data()) != kMagic) return std::nullopt;
  const uint8_t* p = data.data();
  Header h;
  h.stored_header_crc = LoadBE32(p + 4);
  h.time = LoadBE32(p + 8);
  h.data_size = LoadBE32(p + 12);
  h.load = LoadBE32(p + 16);
  h.entry = LoadBE32(p + 20);
  h.data_crc = LoadBE32(p + 24);
  h.os = p[28];
  h.arch = p[29];
  h.type = p[30];
  h.comp = p[31];
  const char* name = reinterpret_cast<const char*>(p + 32);
  h.name.assign(name, strnlen(name, 32));

  uint8_t copy[kHeaderSize];
  std::memcpy(copy, p, kHeaderSize);
  std::memset(copy + 4, 0, 4);
  h.computed_header_crc = Crc32(copy);
  return h;
}

bool Plausible(const Header& h) {
  if (h.header_crc_ok()) return true;
  return h.comp < kCompNames.size() && h.type != 0 && h.type < kTypeNames.size() && h.os != 0 &&
         h.os < kOsNames.size() && h.arch != 0 && h.arch < kArchNames.size();
}

Result<Image> Parse(ByteView data) {
  std::optional<Header> header = ReadHeader(data);
  if (!header) {
    return Error::InvalidInput(data.size() < kHeaderSize
                                   ? fmt::format("uimage: {} bytes, a header needs 64", data.size())
                                   : "uimage: no magic 0x27051956 at offset 0");
  }
  Image image;
  image.header = *header;
  const Header& h = image.header;
  if (!h.header_crc_ok()) {
    image.notes.push_back({Note::Kind::kCorrupt, "", 4,
                           fmt::format("header CRC mismatch: stored {:#010x}, computed {:#010x}",
                                       h.stored_header_crc, h.computed_header_crc)});
  }

  ByteView rest = data.subspan(kHeaderSize);
  image.data_present = std::min<uint64_t>(rest.size(), h.data_size);
  ByteView payload = rest.first(image.data_present);
  if (image.data_present < h.data_size) {
    image.notes.push_back(
        {Note::Kind::kCorrupt, "", kHeaderSize + image.data_present,
         fmt::format("truncated: the header says {} data bytes, {} are present ({} missing)",
                     h.data_size, image.data_present, h.data_size - image.data_present)});
  } else {
    image.computed_data_crc = Crc32(payload);
    if (*image.computed_data_crc != h.data_crc) {
      image.notes.push_back({Note::Kind::kCorrupt, "", kHeaderSize,
                             fmt::format("data CRC mismatch: stored {:#010x}, computed {:#010x}",
                                         h.data_crc, *image.computed_data_crc)});
    }
  }

  if (h.type == kTypeMulti || h.type == kTypeScript) {
    ParseSizeTable(payload, h.data_size, image);
  } else {
    image.parts.push_back(Part{"", kHeaderSize, h.data_size, payload});
  }
  return image;
}

std::optional<Codec> CodecFor(uint8_t comp) {
  switch (comp) {
    case kCompGzip:
      return Codec::kGzip;
    case kCompBzip2:
      return Codec::kBzip2;
    case kCompLzma:
      return Codec::kLzmaAlone;
    case kCompLzo:
      return Codec::kLzop;  // U-Boot's lzop_decompress: the lzop file format
    case kCompLz4:
      return Codec::kLz4Frame;  // U-Boot's ulz4fn: the LZ4 frame format
    case kCompZstd:
      return Codec::kZstd;
    default:
      return std::nullopt;
  }
}

std::string TypeName(uint8_t type) { return NameOf(kTypeNames, type); }
std::string CompressionName(uint8_t comp) { return NameOf(kCompNames, comp); }
std::string OsName(uint8_t os) { return NameOf(kOsNames, os); }
std::string ArchName(uint8_t arch) { return NameOf(kArchNames, arch); }

std::string Describe(const Header& h) {
  std::time_t t = h.time;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char when[32];
  std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
  std::string name;
  for (char c : h.name) name += (c >= 0x20 && c < 0x7f) ? c : '?';
  return fmt::format("{} '{}' ({}/{}, {}, {} data bytes, load {:#010x}, entry {:#010x}, {})",
                     TypeName(h.type), name, OsName(h.os), ArchName(h.arch),
                     CompressionName(h.comp), h.data_size, h.load, h.entry, when);
}

}  // namespace clearbox::unpack::uimage
