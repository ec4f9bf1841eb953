// The list of every format the engine knows. To add a format: define its FormatHandler in
// its own .cc (namespace clearbox::unpack::internal) and add ONE line X(kYourFormat) below.
// Order matters only for ties (two formats matching at the same offset: the first wins), so
// firmware containers come first, then filesystems, archives, and bare compressed streams.
#include <string_view>
#include <vector>

#include "internal/format.h"

// clang-format off
#define CLEARBOX_UNPACK_FORMATS(X)                                                \
  /* containers: uimage, fit, fdt, trx, ubi, android sparse */                    \
  X(kUimageFormat)                                                                \
  X(kFitFormat)                                                                   \
  X(kFdtFormat)                                                                   \
  X(kTrxFormat)                                                                   \
  X(kUbiFormat)                                                                   \
  X(kAndroidSparseFormat)                                                         \
  X(kBzImageFormat)                                                               \
  X(kZImageFormat)                                                                \
  X(kXiaomiFormat)                                                                \
  X(kTplinkFormat)                                                                \
  X(kChkFormat)                                                                   \
  X(kSeamaFormat)                                                                 \
  X(kUbiquitiFormat)                                                              \
  X(kHuaweiAppFormat)                                                             \
  X(kHwnpFormat)                                                                  \
  X(kRealtekFormat)                                                               \
  X(kZynosFormat)                                                                 \
  X(kCfeFormat)                                                                   \
  X(kDlinkEncrptedImgFormat)                                                      \
  X(kDlinkShrsFormat)                                                             \
  X(kDlinkAlphaEncimgFormat)                                                      \
  X(kDlinkAlphaEncimgV2Format)                                                    \
  X(kArcadyanObfuscatedFormat)                                                    \
  X(kEngeniusFormat)                                                              \
  X(kGptFormat)                                                                   \
  X(kMbrFormat)                                                                   \
  X(kVxworksImg0Format)                                                           \
  /* filesystems: squashfs, ext, jffs2, ubifs, cramfs, iso9660 */                 \
  X(kSquashfsFormat)                                                              \
  X(kExtFormat)                                                                   \
  X(kJffs2Format)                                                                 \
  X(kUbifsFormat)                                                                 \
  X(kCramfsFormat)                                                                \
  X(kIso9660Format)                                                               \
  X(kErofsFormat)                                                                 \
  X(kFatFormat)                                                                   \
  X(kYaffs2Format)                                                                \
  X(kVxworksMemfsFormat)                                                          \
  /* archives via libarchive */                                                   \
  X(kTarFormat)                                                                   \
  X(kCpioFormat)                                                                  \
  X(kZipFormat)                                                                   \
  X(kSevenZipFormat)                                                              \
  /* compressed streams */                                                        \
  X(kGzipFormat)                                                                  \
  X(kXzFormat)                                                                    \
  X(kBzip2Format)                                                                 \
  X(kZstdFormat)                                                                  \
  X(kLz4Format)                                                                   \
  X(kLzmaFormat)                                                                  \
  X(kLzipFormat)                                                                  \
  X(kCompressFormat)                                                              \
  X(kLzopFormat)                                                                  \
  X(kLz4LegacyFormat)                                                             \
  X(kZlibFormat)                                                                  \
  X(kLinuxBannerFormat)                                                           \
  X(kIkconfigFormat)                                                              \
  X(kUpxFormat)                                                                   \
  X(kEcosFormat)                                                                  \
  /* recognised, not unpacked (recognised_formats.cc): "not unpacked: FORMAT" */  \
  X(kCramfsRecognisedFormat)                                                      \
  X(kRomfsFormat)
// clang-format on

namespace clearbox::unpack::internal {

#define CLEARBOX_DECLARE_FORMAT(handler) extern const FormatHandler handler;
CLEARBOX_UNPACK_FORMATS(CLEARBOX_DECLARE_FORMAT)
#undef CLEARBOX_DECLARE_FORMAT

const std::vector<const FormatHandler*>& AllFormats() {
#define CLEARBOX_LIST_FORMAT(handler) &handler,
  static const std::vector<const FormatHandler*> formats = {
      CLEARBOX_UNPACK_FORMATS(CLEARBOX_LIST_FORMAT)};
#undef CLEARBOX_LIST_FORMAT
  return formats;
}

const FormatHandler* FindFormat(std::string_view name) {
  for (const FormatHandler* f : AllFormats()) {
    if (f->name == name) return f;
  }
  return nullptr;
}

}  // namespace clearbox::unpack::internal
