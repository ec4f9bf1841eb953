#include "fit.h"

#include <fmt/format.h>
#include <libfdt.h>

#include <cstring>
#include <memory>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "uimage.h"

namespace clearbox::unpack::fit {
namespace {

// libfdt reads a tree only at an 8-byte aligned address; a FIT carved at another offset is
// parsed from an aligned copy of its tree (never of its external data). Offsets found in the
// copy are offsets in the original.
class AlignedTree {
 public:
  explicit AlignedTree(ByteView tree) {
    if (reinterpret_cast<uintptr_t>(tree.data()) % 8 == 0) {
      base_ = tree.data();
    } else {
      copy_.reset(new uint64_t[(tree.size() + 7) / 8]);
      std::memcpy(copy_.get(), tree.data(), tree.size());
      base_ = reinterpret_cast<const uint8_t*>(copy_.get());
    }
  }
  const void* fdt() const { return base_; }
  uint64_t OffsetOf(const void* p) const { return static_cast<const uint8_t*>(p) - base_; }

 private:
  std::unique_ptr<uint64_t[]> copy_;
  const uint8_t* base_;
};

// A property as a NUL-terminated string; "" when absent or not a string.
std::string StringProp(const void* fdt, int node, const char* name) {
  int len = 0;
  const auto* p = static_cast<const char*>(fdt_getprop(fdt, node, name, &len));
  if (p == nullptr || len <= 0 || p[len - 1] != '\0') return "";
  return std::string(p, strnlen(p, size_t(len)));
}

// A 32-bit big-endian cell property (or the low half of a 64-bit one).
std::optional<uint64_t> CellProp(const void* fdt, int node, const char* name) {
  int len = 0;
  const auto* p = static_cast<const uint8_t*>(fdt_getprop(fdt, node, name, &len));
  if (p == nullptr) return std::nullopt;
  if (len == 4) return LoadBE32(p);
  if (len == 8) return LoadBE64(p);
  return std::nullopt;
}

std::string NodeName(const void* fdt, int node) {
  int len = 0;
  const char* name = fdt_get_name(fdt, node, &len);
  return name != nullptr && len > 0 ? std::string(name, size_t(len)) : "";
}

// The digest of `data` under a FIT hash algorithm; nullopt when the algorithm is unknown.
std::optional<Bytes> Digest(const std::string& algo, ByteView data) {
  if (algo == "crc32") {
    Bytes out(4);
    StoreBE32(out.data(), Crc32(data));
    return out;
  }
  return DigestByName(algo, data);
}

std::string FdtError(int err) { return fdt_strerror(err); }

// The checked header size of the tree at the start of `data`. Errors: kInvalidInput.
Result<uint32_t> TreeSize(ByteView data) {
  if (data.size() < sizeof(fdt_header) || LoadBE32(data.data()) != kFdtMagic) {
    return Error::InvalidInput("not a device tree (no 0xd00dfeed magic)");
  }
  // Versions 16 and 17 only: libfdt 1.6.1's fdt_check_full dereferences a null pointer on
  // some version 15 trees (found by fuzz/fit_fuzzer; regression input in fuzz/corpus/fit),
  // and mkimage, dtc and the kernel have written version 17 for fifteen years.
  const uint32_t version = LoadBE32(data.data() + 20);
  if (version < 16 || version > 17) {
    return Error::InvalidInput(fmt::format("device tree version {} (16 and 17 are read)", version));
  }
  const uint32_t total = LoadBE32(data.data() + 4);
  if (total < sizeof(fdt_header) || total > data.size()) {
    return Error::InvalidInput(
        fmt::format("device tree of {} bytes, {} in the buffer (truncated)", total, data.size()));
  }
  return total;
}

// Every offset, size and string of the structure checked once, before any is used.
Status CheckTree(const void* fdt, uint32_t size) {
  if (int err = fdt_check_header(fdt); err != 0) {
    return Error::InvalidInput("damaged device tree: " + FdtError(err));
  }
  // libfdt 1.6.1's fdt_check_full loops forever on some structure blocks whose tags do not
  // move forward (found by fuzz/fit_fuzzer; regression input in fuzz/corpus/fit): walk the
  // tags first and refuse a tree in which one does not advance or the walk has no end.
  int offset = 0;
  for (uint32_t steps = 0;; ++steps) {
    int next = 0;
    const uint32_t tag = fdt_next_tag(fdt, offset, &next);
    if (tag == FDT_END) break;
    if (next <= offset || steps > size / 4) {
      return Error::InvalidInput(
          fmt::format("damaged device tree: structure tag at {:#x} does not advance", offset));
    }
    offset = next;
  }
  if (int err = fdt_check_full(fdt, size); err != 0) {
    return Error::InvalidInput("damaged device tree: " + FdtError(err));
  }
  return Status::Ok();
}

// Where `part`'s data lies: embedded in the tree ("data"), or after it ("data-size" with
// "data-position" from the start of the FIT, or "data-offset" from the end of the tree rounded
// up to 4 bytes). False, with a note, when the node names no data or a place inside the tree.
bool LocateData(const void* fdt, int node, const AlignedTree& tree, uint32_t tree_size, Part& part,
                std::vector<Note>& notes) {
  int len = 0;
  const void* embedded = fdt_getprop(fdt, node, "data", &len);
  if (embedded != nullptr && len >= 0) {
    part.offset = tree.OffsetOf(embedded);
    part.size = uint64_t(len);
    return true;
  }
  const std::optional<uint64_t> size = CellProp(fdt, node, "data-size");
  const std::optional<uint64_t> position = CellProp(fdt, node, "data-position");
  const std::optional<uint64_t> offset = CellProp(fdt, node, "data-offset");
  if (!size || !(position || offset)) {
    notes.push_back({Note::Kind::kCorrupt, "", 0,
                     fmt::format("image {}: no data, and no data-size with a data-position or "
                                 "data-offset",
                                 part.name)});
    return false;
  }
  const uint64_t external_base = (uint64_t{tree_size} + 3) & ~uint64_t{3};
  part.external = true;
  part.offset = position ? *position : external_base + *offset;
  part.size = *size;
  if (part.offset < tree_size) {
    notes.push_back({Note::Kind::kCorrupt, "", part.offset,
                     fmt::format("image {}: external data at {:#x} lies inside the tree", part.name,
                                 part.offset)});
    return false;
  }
  return true;
}

// Checks the hash-N subnodes of `node` against part.data (when all of it is there) and lists
// the signature nodes. Hashing draws on `budget` (bytes): past it, a hash is noted, not checked.
void CheckHashes(const void* fdt, int node, Part& part, uint64_t& budget,
                 std::vector<Note>& notes) {
  const bool complete = part.data.size() == part.size;  // else the truncation is noted
  size_t hash_nodes = 0;
  int sub = 0;
  fdt_for_each_subnode(sub, fdt, node) {
    const std::string sub_name = NodeName(fdt, sub);
    if (sub_name.rfind("signature", 0) == 0) {
      notes.push_back(
          {Note::Kind::kInfo, "", part.offset,
           fmt::format("image {}: signed ({}, key {}), signature not verified", part.name,
                       StringProp(fdt, sub, "algo"), StringProp(fdt, sub, "key-name-hint"))});
      continue;
    }
    if (sub_name.rfind("hash", 0) != 0) continue;
    if (++hash_nodes > kMaxHashesPerImage) {
      notes.push_back({Note::Kind::kLimit, "", part.offset,
                       fmt::format("image {}: more than {} hash nodes, the rest not checked",
                                   part.name, kMaxHashesPerImage)});
      break;
    }
    Hash& hash = part.hashes.emplace_back();
    hash.algo = StringProp(fdt, sub, "algo");
    if (!complete) continue;
    if (part.data.size() > budget) {
      notes.push_back({Note::Kind::kLimit, "", part.offset,
                       fmt::format("image {}: {} not checked: the image's parts hash more than "
                                   "{} times its size",
                                   part.name, hash.algo, kHashBudgetFactor)});
      continue;
    }
    std::optional<Bytes> computed = Digest(hash.algo, part.data);
    if (!computed) {
      notes.push_back(
          {Note::Kind::kUnsupported, "", part.offset,
           fmt::format("image {}: hash algorithm '{}' not checked", part.name, hash.algo)});
      continue;
    }
    budget -= part.data.size();
    int value_len = 0;
    const auto* value = static_cast<const uint8_t*>(fdt_getprop(fdt, sub, "value", &value_len));
    if (value == nullptr || value_len < 0) continue;
    hash.checked = true;
    hash.ok = computed->size() == size_t(value_len) &&
              std::memcmp(computed->data(), value, computed->size()) == 0;
    if (!hash.ok) {
      notes.push_back(
          {Note::Kind::kCorrupt, "", part.offset,
           fmt::format("image {}: {} mismatch: stored {}, computed {}", part.name, hash.algo,
                       HexEncode(ByteView(value, std::min<size_t>(value_len, 64))),
                       HexEncode(*computed))});
    }
  }
}

}  // namespace

bool LooksLikeFit(ByteView data) {
  Result<uint32_t> total = TreeSize(data);
  if (!total.ok()) return false;
  AlignedTree tree(data.first(*total));
  // The whole check first: libfdt's lookups loop forever on some trees with a good header.
  return CheckTree(tree.fdt(), *total).ok() && fdt_path_offset(tree.fdt(), "/images") >= 0;
}

Result<DeviceTree> ReadDeviceTree(ByteView data) {
  DeviceTree dt;
  CLEARBOX_ASSIGN_OR_RETURN(dt.size, TreeSize(data));
  AlignedTree tree(data.first(dt.size));
  CLEARBOX_RETURN_IF_ERROR(CheckTree(tree.fdt(), dt.size));
  dt.model = StringProp(tree.fdt(), 0, "model");
  dt.compatible = StringProp(tree.fdt(), 0, "compatible");  // the first string of the list
  return dt;
}

Result<Image> Parse(ByteView data) {
  Image image;
  CLEARBOX_ASSIGN_OR_RETURN(image.tree_size, TreeSize(data));
  AlignedTree tree(data.first(image.tree_size));
  const void* fdt = tree.fdt();
  CLEARBOX_RETURN_IF_ERROR(CheckTree(fdt, image.tree_size));
  const int images = fdt_path_offset(fdt, "/images");
  if (images < 0) return Error::NotFound("a device tree without /images (not a FIT image)");
  image.description = StringProp(fdt, 0, "description");
  image.timestamp = static_cast<int64_t>(CellProp(fdt, 0, "timestamp").value_or(0));
  image.total_size = image.tree_size;
  // Parts may overlap and repeat their hash nodes: hashing stops at a few passes over the
  // buffer, so a hostile tree cannot make the check run for hours.
  uint64_t hash_budget = kHashBudgetFactor * uint64_t{data.size()} + (uint64_t{1} << 20);

  int node = 0;
  fdt_for_each_subnode(node, fdt, images) {
    if (image.parts.size() == kMaxParts) {
      image.notes.push_back({Note::Kind::kLimit, "", 0,
                             fmt::format("more than {} images: the rest skipped", kMaxParts)});
      break;
    }
    Part part;
    part.name = NodeName(fdt, node);
    part.type = StringProp(fdt, node, "type");
    part.description = StringProp(fdt, node, "description");
    part.compression = StringProp(fdt, node, "compression");
    if (part.compression.empty()) part.compression = "none";

    if (!LocateData(fdt, node, tree, image.tree_size, part, image.notes)) continue;
    const uint64_t present =
        part.offset >= data.size() ? 0 : std::min<uint64_t>(part.size, data.size() - part.offset);
    part.data = data.subspan(static_cast<size_t>(std::min<uint64_t>(part.offset, data.size())),
                             static_cast<size_t>(present));
    if (present < part.size) {
      image.notes.push_back({Note::Kind::kCorrupt, "", part.offset,
                             fmt::format("image {}: {} of its {} bytes are in the buffer "
                                         "(truncated)",
                                         part.name, present, part.size)});
    }
    // Only as far as the buffer: sizes come from the image and may be anything.
    if (part.external && present > 0) {
      image.total_size = std::max(image.total_size, part.offset + present);
    }
    CheckHashes(fdt, node, part, hash_budget, image.notes);
    image.parts.push_back(std::move(part));
  }
  if (node < 0 && node != -FDT_ERR_NOTFOUND) {
    image.notes.push_back({Note::Kind::kCorrupt, "", 0, "/images: " + FdtError(node)});
  }

  const int configurations = fdt_path_offset(fdt, "/configurations");
  if (configurations >= 0) {
    int c = 0;
    fdt_for_each_subnode(c, fdt, configurations) {
      if (image.configurations.size() == kMaxParts) break;
      image.configurations.push_back(NodeName(fdt, c));
    }
  }
  return image;
}

std::optional<Codec> CodecFor(const std::string& compression) {
  // FIT names compressions as legacy images number them: U-Boot has one table for both.
  for (uint8_t code = uimage::kCompNone; code <= uimage::kCompZstd; ++code) {
    if (uimage::CompressionName(code) == compression) return uimage::CodecFor(code);
  }
  return std::nullopt;
}

}  // namespace clearbox::unpack::fit
