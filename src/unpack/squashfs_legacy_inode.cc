// Metadata blocks, inodes and directory listings of squashfs 1.x-3.x and big-endian 4.0.
// Bit positions: squashfs-tools' squashfs_compat.h (its SQUASHFS_SWAP_* macros give the
// position and width of every field) and squashfs_fs.h for 4.0.
#include <fmt/format.h>

#include "squashfs_legacy_internal.h"

namespace clearbox::unpack::squashfs_legacy::detail {
namespace {

constexpr uint32_t kMetadataSize = 8192;
constexpr uint32_t kStoredBlock = 1u << 24;
constexpr uint16_t kFlagCheck = 1u << 2;  // 1.x-3.x: a marker byte after each block header
constexpr size_t kMaxSymlink = 65536;
constexpr size_t kMaxDirCount = 256;
constexpr size_t kMaxNameLen = 256;

Error Bad(std::string message) { return Error::InvalidInput(std::move(message)); }

// The 16-bit size word of a 1.x data block (bit 15: stored; 0 means 32 KiB) in the
// normalised form of later versions (bit 24: stored).
uint32_t NormaliseV1Block(uint32_t w) {
  uint32_t size = w & 0x7fff ? w & 0x7fff : 0x8000;
  return size | (w & 0x8000 ? kStoredBlock : 0);
}

// The old 16-bit device number: major in the high byte.
void SplitOldRdev(uint32_t rdev, Inode& inode) {
  inode.dev_major = rdev >> 8;
  inode.dev_minor = rdev & 0xff;
}

// Bytes of the fixed part of an inode, by version and type (1 dir, 2 file, 3 symlink,
// 4 block and 5 char device, 6 fifo, 7 socket, 8 large dir, 9 large file; 10-14: the large
// symlink, devices and IPC inodes of 4.0).
constexpr uint8_t kFixedSize[5][15] = {
    {},
    {0, 14, 15, 5, 5, 5, 4, 4},
    {0, 15, 24, 6, 6, 6, 4, 4, 18},
    {0, 28, 32, 18, 18, 18, 16, 16, 31, 40},
    {0, 32, 32, 24, 24, 24, 20, 20, 40, 56, 24, 28, 28, 24, 24},
};

NodeType TypeOf(unsigned t) {
  switch (t) {
    case 1:
    case 8:
      return NodeType::kDirectory;
    case 2:
    case 9:
      return NodeType::kFile;
    case 3:
    case 10:
      return NodeType::kSymlink;
    case 4:
    case 11:
      return NodeType::kBlockDevice;
    case 5:
    case 12:
      return NodeType::kCharDevice;
    case 6:
    case 13:
      return NodeType::kFifo;
    default:
      return NodeType::kSocket;
  }
}

uint64_t BlockCount(const Superblock& sb, uint64_t size, bool has_fragment) {
  uint64_t full = size >> sb.block_log;
  return has_fragment ? full : full + ((size & (uint64_t{sb.block_size} - 1)) != 0);
}

}  // namespace

uint64_t Bits(const uint8_t* p, unsigned pos, unsigned bits, bool big) {
  const unsigned first = pos / 8, shift = pos % 8;
  const unsigned nbytes = (shift + bits + 7) / 8;  // at most 9
  using u128 = unsigned __int128;
  u128 v = 0;
  for (unsigned i = 0; i < nbytes; ++i) {
    if (big) {
      v = v << 8 | p[first + i];
    } else {
      v |= static_cast<u128>(p[first + i]) << (8 * i);
    }
  }
  v = big ? v >> (nbytes * 8 - shift - bits) : v >> shift;
  return static_cast<uint64_t>(bits == 64 ? v : v & ((u128{1} << bits) - 1));
}

Result<const MetadataReader::Block*> MetadataReader::Load(uint64_t at) {
  auto it = blocks_.find(at);
  if (it != blocks_.end()) return &it->second;
  const bool big = sb_.metadata_big_endian;
  const uint32_t header = sb_.major < 4 && (sb_.flags & kFlagCheck) ? 3 : 2;
  if (!FitsIn(image_, at, header))
    return Bad(fmt::format("metadata block at {:#x} outside the image", at));
  const uint16_t word = big ? LoadBE16(image_.data() + at) : LoadLE16(image_.data() + at);
  const uint32_t size = word & 0x7fff;
  const bool stored = word & 0x8000;
  if (size == 0 || size > kMetadataSize + 64 || !FitsIn(image_, at + header, size)) {
    return Bad(fmt::format("metadata block at {:#x}: size {} does not fit", at, size));
  }
  ByteView in = image_.subspan(at + header, size);
  Block block;
  block.next = at + header + size;
  if (stored) {
    if (size > kMetadataSize)
      return Bad(fmt::format("metadata block at {:#x}: {} bytes", at, size));
    block.data.assign(in.begin(), in.end());
  } else {
    Result<Bytes> out = decoder_.Decode(in, std::nullopt, kMetadataSize);
    if (!out.ok()) {
      return Bad(fmt::format("metadata block at {:#x}: {}", at, out.error().message()));
    }
    block.data = *std::move(out);
  }
  if (total_ + block.data.size() > kMaxMetadataBytes) {
    return Error::LimitExceeded(
        fmt::format("more than {} MiB of metadata", kMaxMetadataBytes >> 20));
  }
  total_ += block.data.size();
  return &blocks_.emplace(at, std::move(block)).first->second;
}

Status MetadataReader::Read(Cursor& at, size_t n, Bytes& out) {
  out.clear();
  if (n > kMaxMetadataBytes) return Bad(fmt::format("a read of {} bytes of metadata", n));
  out.reserve(std::min<size_t>(n, 1 << 16));  // a lying size must not size an allocation
  while (out.size() < n) {
    CLEARBOX_ASSIGN_OR_RETURN(const Block* block, Load(at.block));
    if (at.offset > block->data.size()) {
      return Bad(fmt::format("offset {} past the {} bytes of the metadata block at {:#x}",
                             at.offset, block->data.size(), at.block));
    }
    if (at.offset == block->data.size()) {
      at = {block->next, 0};
      continue;
    }
    size_t k = std::min<size_t>(n - out.size(), block->data.size() - at.offset);
    out.insert(out.end(), block->data.begin() + at.offset, block->data.begin() + at.offset + k);
    at.offset += static_cast<uint32_t>(k);
  }
  return Status::Ok();
}

Result<Inode> ReadInode(MetadataReader& meta, const Superblock& sb, uint64_t ref) {
  const bool big = sb.big_endian;
  const unsigned v = sb.major;
  const Cursor start{sb.inode_table + (ref >> 16), static_cast<uint32_t>(ref & 0xffff)};
  Cursor c = start;
  Bytes b;
  const size_t base = v == 1 ? 3 : v == 2 ? 4 : v == 3 ? 12 : 16;
  CLEARBOX_RETURN_IF_ERROR(meta.Read(c, base, b));
  auto F = [&](unsigned pos, unsigned bits) { return Bits(b.data(), pos, bits, big); };

  Inode in;
  unsigned type;
  in.mtime = sb.mkfs_time;
  if (v == 1) {
    unsigned raw = unsigned(F(0, 4));
    in.mode = uint32_t(F(4, 12));
    in.gid_index = uint32_t(F(20, 4));
    in.gid_is_uid = in.gid_index == 15;
    if (raw == 0) {  // IPC: the real type and the uid's high bits follow
      c = start;
      CLEARBOX_RETURN_IF_ERROR(meta.Read(c, 4, b));
      type = F(24, 4) == 7 ? 7 : 6;
      in.uid_index = uint32_t(F(28, 4) * 16 + F(16, 4));
    } else {
      type = (raw - 1) % 5 + 1;
      in.uid_index = (raw - 1) / 5 * 16 + uint32_t(F(16, 4));
    }
  } else if (v < 4) {
    type = unsigned(F(0, 4));
    in.mode = uint32_t(F(4, 12));
    in.uid_index = uint32_t(F(16, 8));
    in.gid_index = uint32_t(F(24, 8));
    in.gid_is_uid = in.gid_index == 255;
    if (v == 3) in.mtime = int32_t(F(32, 32));
  } else {
    type = unsigned(F(0, 16));
    in.mode = uint32_t(F(16, 16)) & 07777;
    in.uid_index = uint32_t(F(32, 16));
    in.gid_index = uint32_t(F(48, 16));
    in.mtime = int64_t(F(64, 32));
  }
  const unsigned max_type = v == 1 ? 7 : v == 2 ? 8 : v == 3 ? 9 : 14;
  if (type < 1 || type > max_type) return Bad(fmt::format("unknown inode type {}", type));
  in.type = TypeOf(type);

  // The fixed part of each type, then the fields at their bit positions.
  const size_t fixed = kFixedSize[v][type];
  c = start;
  CLEARBOX_RETURN_IF_ERROR(meta.Read(c, fixed, b));
  uint64_t dir_index_count = 0;
  bool has_fragment = false;
  switch (v * 100 + type) {
    case 101:
      in.file_size = F(24, 19), in.dir_offset = uint32_t(F(43, 13));
      in.mtime = int32_t(F(56, 32)), in.dir_block = F(88, 24);
      break;
    case 102:
      in.mtime = int32_t(F(24, 32)), in.start_block = F(56, 32), in.file_size = F(88, 32);
      break;
    case 201:
      in.file_size = F(32, 19), in.dir_offset = uint32_t(F(51, 13));
      in.mtime = int32_t(F(64, 32)), in.dir_block = F(96, 24);
      break;
    case 208:
      in.file_size = F(32, 27), in.dir_offset = uint32_t(F(59, 13));
      in.mtime = int32_t(F(72, 32)), in.dir_block = F(104, 24), dir_index_count = F(128, 16);
      break;
    case 202:
      in.mtime = int32_t(F(32, 32)), in.start_block = F(64, 32);
      in.fragment = uint32_t(F(96, 32)), in.fragment_offset = uint32_t(F(128, 32));
      in.file_size = F(160, 32);
      break;
    case 301:
      in.file_size = F(128, 19), in.dir_offset = uint32_t(F(147, 13)), in.dir_block = F(160, 32);
      break;
    case 308:
      in.file_size = F(128, 27), in.dir_offset = uint32_t(F(155, 13)), in.dir_block = F(168, 32);
      dir_index_count = F(200, 16);
      break;
    case 302:
      in.start_block = F(96, 64), in.fragment = uint32_t(F(160, 32));
      in.fragment_offset = uint32_t(F(192, 32)), in.file_size = F(224, 32);
      break;
    case 309:
      in.start_block = F(128, 64), in.fragment = uint32_t(F(192, 32));
      in.fragment_offset = uint32_t(F(224, 32)), in.file_size = F(256, 64);
      break;
    case 401:
      in.dir_block = F(128, 32), in.file_size = F(192, 16), in.dir_offset = uint32_t(F(208, 16));
      break;
    case 408:
      in.file_size = F(160, 32), in.dir_block = F(192, 32), dir_index_count = F(256, 16);
      in.dir_offset = uint32_t(F(272, 16));
      break;
    case 402:
      in.start_block = F(128, 32), in.fragment = uint32_t(F(160, 32));
      in.fragment_offset = uint32_t(F(192, 32)), in.file_size = F(224, 32);
      break;
    case 409:
      in.start_block = F(128, 64), in.file_size = F(192, 64);
      in.fragment = uint32_t(F(352, 32)), in.fragment_offset = uint32_t(F(384, 32));
      break;
    default:
      break;
  }
  // Symlinks and devices.
  if (in.type == NodeType::kSymlink) {
    size_t len = v == 1 ? F(24, 16) : v == 2 ? F(32, 16) : v == 3 ? F(128, 16) : F(160, 32);
    if (len > kMaxSymlink) return Bad(fmt::format("symlink target of {} bytes", len));
    Bytes target;
    CLEARBOX_RETURN_IF_ERROR(meta.Read(c, len, target));
    in.symlink.assign(target.begin(), target.end());
    in.file_size = len;
  } else if (in.type == NodeType::kBlockDevice || in.type == NodeType::kCharDevice) {
    if (v < 4) {
      SplitOldRdev(uint32_t(v == 1 ? F(24, 16) : v == 2 ? F(32, 16) : F(128, 16)), in);
    } else {
      uint32_t rdev = uint32_t(F(160, 32));
      in.dev_major = (rdev >> 8) & 0xfff;
      in.dev_minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
    }
  } else if (in.type == NodeType::kFile) {
    if (v == 1) in.fragment = UINT32_MAX;
    has_fragment = in.fragment != UINT32_MAX;
    const uint64_t count = BlockCount(sb, in.file_size, has_fragment);
    const size_t word = v == 1 ? 2 : 4;
    if (count > kMaxMetadataBytes / word) return Bad(fmt::format("{} data blocks", count));
    Bytes list;
    CLEARBOX_RETURN_IF_ERROR(meta.Read(c, count * word, list));
    for (uint64_t i = 0; i < count; ++i) {
      uint32_t w = uint32_t(Bits(list.data(), unsigned(i * word * 8), unsigned(word * 8), big));
      in.blocks.push_back(v == 1 ? NormaliseV1Block(w) : w);
    }
  } else if (in.type == NodeType::kDirectory) {
    // The directory index of a large directory is only a search aid: skipped.
    (void)dir_index_count;
  }
  return in;
}

Status ReadDirectory(MetadataReader& meta, const Superblock& sb, const Inode& dir,
                     std::vector<DirEntry>& out) {
  const bool big = sb.big_endian;
  const unsigned v = sb.major;
  // Listings of 3.x and 4.0 count 3 bytes for "." and ".." that are not stored.
  uint64_t size = dir.file_size;
  if (v >= 3) size = size >= 3 ? size - 3 : 0;
  if (size == 0) return Status::Ok();
  Cursor c{sb.directory_table + dir.dir_block, dir.dir_offset};
  Bytes listing;
  CLEARBOX_RETURN_IF_ERROR(meta.Read(c, size, listing));
  const size_t header_size = v < 3 ? 4 : v == 3 ? 9 : 12;
  const size_t entry_size = v < 3 ? 3 : v == 3 ? 5 : 8;
  size_t pos = 0;
  while (pos < listing.size()) {
    if (!FitsIn(listing.size(), pos, header_size)) {
      return Bad(fmt::format("directory header at byte {} of the listing is cut short", pos));
    }
    const uint8_t* h = listing.data() + pos;
    const uint64_t count = Bits(h, 0, v < 4 ? 8 : 32, big) + 1;
    const uint64_t block = v < 3 ? Bits(h, 8, 24, big) : Bits(h, v == 3 ? 8 : 32, 32, big);
    pos += header_size;
    if (count > kMaxDirCount) return Bad(fmt::format("directory header with {} entries", count));
    for (uint64_t i = 0; i < count; ++i) {
      if (!FitsIn(listing.size(), pos, entry_size)) {
        return Bad(fmt::format("directory entry at byte {} of the listing is cut short", pos));
      }
      const uint8_t* e = listing.data() + pos;
      uint64_t offset, name_size;
      if (v < 4) {
        offset = Bits(e, 0, 13, big);
        name_size = Bits(e, 16, 8, big) + 1;
      } else {
        offset = Bits(e, 0, 16, big);
        name_size = Bits(e, 48, 16, big) + 1;
      }
      pos += entry_size;
      if (name_size > kMaxNameLen || !FitsIn(listing.size(), pos, name_size)) {
        return Bad(fmt::format("a name of {} bytes at byte {} of the listing does not fit",
                               name_size, pos));
      }
      DirEntry d;
      d.name.assign(reinterpret_cast<const char*>(listing.data() + pos), name_size);
      d.inode_ref = block << 16 | offset;
      out.push_back(std::move(d));
      pos += name_size;
    }
  }
  return Status::Ok();
}

}  // namespace clearbox::unpack::squashfs_legacy::detail
