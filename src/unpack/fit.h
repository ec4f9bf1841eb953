// U-Boot FIT images (Flattened Image Tree): a device tree whose /images node holds the
// kernel, ramdisk, device trees, firmware and filesystems of a boot image, each with its type,
// compression and hashes (doc/usage/fit/source_file_format.rst in U-Boot).
//
//   Result<fit::Image> image = fit::Parse(bytes);  // libfdt checks the whole tree first
//   for (const fit::Part& p : image->parts) ...;   // p.data: a view into `bytes`
//
// A part's data is embedded ("data" property) or external (`mkimage -E`): "data-size" bytes
// at "data-position" from the start of the FIT, or at "data-offset" from the end of the tree
// (rounded up to 4 bytes). Each hash-N subnode (crc32, sha1, sha256, sha384, sha512, md5) is
// checked against the stored data; a mismatch, a truncated or misplaced part, an unknown
// compression are facts in `notes`, never an error. Signatures are listed, not verified
// (that needs the vendor's public key). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"
#include "clearbox/unpack/node.h"
#include "decompress.h"

namespace clearbox::unpack::fit {

inline constexpr uint32_t kFdtMagic = 0xd00dfeed;
// More image nodes than this are reported and skipped.
inline constexpr size_t kMaxParts = 256;
// Hash nodes checked per image, and how many times the buffer's size all checks may hash.
inline constexpr size_t kMaxHashesPerImage = 8;
inline constexpr uint64_t kHashBudgetFactor = 4;

struct Hash {
  std::string algo;      // as the node says: "crc32", "sha256", ...
  bool checked = false;  // false: unknown algorithm, or the data is not all there
  bool ok = false;
};

struct Part {
  std::string name;         // the node's name under /images: "kernel-1", "ramdisk", "fdt-1"
  std::string type;         // "kernel", "ramdisk", "flat_dt", "firmware", "filesystem", ...
  std::string compression;  // "none" when absent
  std::string description;
  uint64_t offset = 0;  // of the data, from the start of the FIT
  uint64_t size = 0;    // as the tree states it
  ByteView data;        // what the buffer holds of it: shorter than `size` when truncated
  bool external = false;
  std::vector<Hash> hashes;
};

struct Image {
  uint32_t tree_size = 0;   // the device tree's totalsize
  uint64_t total_size = 0;  // the tree plus external data, as far as the parts reach
  std::string description;  // of the root node
  int64_t timestamp = 0;    // of the root node ("timestamp"), 0 when absent
  std::vector<std::string> configurations;  // names under /configurations
  std::vector<Part> parts;
  std::vector<Note> notes;  // offsets from the start of the FIT
};

// Whether `data` starts with a device tree header libfdt accepts that has an /images node:
// cheap enough for carving (reads the header and walks the structure block).
bool LooksLikeFit(ByteView data);

// Errors: kInvalidInput (not a device tree, or a damaged one: libfdt's reason) and
// kNotFound (a device tree without /images: a plain DTB, not a FIT).
Result<Image> Parse(ByteView data);

// A plain device tree (a board description, no /images): what a person needs to place it.
struct DeviceTree {
  uint32_t size = 0;       // totalsize
  std::string model;       // of the root node; "" when absent
  std::string compatible;  // the first entry of the root's list
};
// Errors: kInvalidInput (not a device tree, truncated, or damaged: libfdt's reason).
Result<DeviceTree> ReadDeviceTree(ByteView data);

// The codec for a FIT "compression" value; nullopt for "none" and unknown ones.
std::optional<Codec> CodecFor(const std::string& compression);

}  // namespace clearbox::unpack::fit
