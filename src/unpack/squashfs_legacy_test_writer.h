// A test-only writer of squashfs 1.x, 2.x and 3.x images in either byte order, with data
// blocks stored, zlib-compressed or in the vendor LZMA framings (squashfs_legacy_codec.h),
// for squashfs_legacy_test.cc. mksquashfs 4 writes only version 4.
#pragma once

#include <gtest/gtest.h>
#include <lzma.h>
#include <zlib.h>

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "flash_test_util.h"

namespace clearbox::unpack::squashfs_legacy::testwriter {

// Sets a packed bit field the way the reader's Bits() reads it.
inline void PutBits(Bytes& b, size_t pos, unsigned bits, uint64_t value, bool big) {
  for (unsigned k = 0; k < bits; ++k) {
    size_t bit = pos + k;
    uint64_t v = big ? (value >> (bits - 1 - k)) & 1 : (value >> k) & 1;
    uint8_t mask = big ? uint8_t(0x80 >> (bit % 8)) : uint8_t(1 << (bit % 8));
    if (v)
      b[bit / 8] |= mask;
    else
      b[bit / 8] &= uint8_t(~mask);
  }
}

enum class Framing { kStored, kZlib, kLzmaAlone, kLzmaProps, kLzmaDdwrt, kLzmaRaw };

// A bare LZMA1 stream (liblzma ends it with an end marker) with properties lc/lp/pb.
inline Bytes LzmaRaw(ByteView in, uint32_t lc, uint32_t lp, uint32_t pb) {
  lzma_options_lzma opts;
  lzma_lzma_preset(&opts, 6);
  opts.dict_size = 1 << 16;
  opts.lc = lc, opts.lp = lp, opts.pb = pb;
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA1, &opts}, {LZMA_VLI_UNKNOWN, nullptr}};
  lzma_stream s = LZMA_STREAM_INIT;
  EXPECT_EQ(lzma_raw_encoder(&s, filters), LZMA_OK);
  return testing::FinishLzmaEncoder(s, in);
}

// A compressed block in `framing`, or nullopt when it would not be smaller (stored).
inline std::optional<Bytes> Compress(ByteView in, Framing framing) {
  Bytes out;
  if (framing == Framing::kStored) return std::nullopt;
  if (framing == Framing::kZlib) {
    uLongf n = compressBound(in.size());
    out.resize(n);
    EXPECT_EQ(compress2(out.data(), &n, in.data(), in.size(), 9), Z_OK);
    out.resize(n);
  } else {
    // DD-WRT's blocks carry their own properties: use others than the usual 3/0/2.
    const bool ddwrt = framing == Framing::kLzmaDdwrt;
    const uint32_t lc = ddwrt ? 1 : 3, lp = ddwrt ? 2 : 0, pb = ddwrt ? 0 : 2;
    Bytes raw = LzmaRaw(in, lc, lp, pb);
    if (framing == Framing::kLzmaRaw) {
      out = raw;
    } else if (ddwrt) {
      out = {uint8_t(pb), uint8_t(lc), uint8_t(lp), 128};
      out.insert(out.end(), raw.begin(), raw.end());
    } else {
      const uint8_t props = uint8_t((pb * 5 + lp) * 9 + lc);
      out.push_back(props);
      for (int i = 0; i < 4; ++i) out.push_back(uint8_t((1u << 16) >> (8 * i)));
      if (framing == Framing::kLzmaAlone) {
        for (int i = 0; i < 8; ++i) out.push_back(uint8_t(uint64_t(in.size()) >> (8 * i)));
      }
      out.insert(out.end(), raw.begin(), raw.end());
    }
  }
  if (out.size() >= in.size()) return std::nullopt;
  return out;
}

struct Item {
  enum Kind { kFile, kDir, kSymlink, kCharDev, kHardLink } kind = kFile;
  std::string name;
  std::string data;  // files: content; symlinks: target; hard links: the linked item's name
  std::vector<Item> children;
};

// Writes squashfs 1.x, 2.x or 3.x in either byte order: the bit positions of
// squashfs_compat.h, one stored metadata block per table (tests stay under 8 KiB of each).
class Writer {
 public:
  Writer(unsigned version, bool big, Framing framing) : v_(version), big_(big), framing_(framing) {}

  // The image of a root directory holding `items`. From 2.x on, files of fewer than 4096
  // bytes and the tails of longer ones go into fragment blocks.
  Bytes Write(const std::vector<Item>& items) {
    image_.assign(119, 0);
    root_ref_ = WriteDir(items);
    FlushFragment();
    const uint64_t inode_table = image_.size();
    AppendMetadata(inodes_);
    const uint64_t dir_table = image_.size();
    AppendMetadata(dirs_);
    // Fragment entries in a metadata block, then their index.
    const size_t width = v_ == 2 ? 8 : 16, pointer = v_ == 2 ? 4 : 8;
    const uint64_t fragment_entries = image_.size();
    Bytes entries(fragments_.size() * width, 0);
    for (size_t i = 0; i < fragments_.size(); ++i) {
      PutBits(entries, i * width * 8, unsigned(pointer * 8), fragments_[i].first, big_);
      PutBits(entries, i * width * 8 + pointer * 8, 32, fragments_[i].second, big_);
    }
    if (!entries.empty()) AppendMetadata(entries);
    const uint64_t fragment_index = image_.size();
    image_.resize(image_.size() + pointer, 0);
    PutBits(image_, fragment_index * 8, unsigned(pointer * 8), fragment_entries, big_);
    const uint64_t uid_table = image_.size();
    image_.resize(image_.size() + 4, 0);
    PutBits(image_, uid_table * 8, 32, 1000, big_);
    Bytes& s = image_;
    std::memcpy(s.data(), big_ ? "sqsh" : "hsqs", 4);
    PutBits(s, 32, 32, inode_count_, big_);
    PutBits(s, 224, 16, v_, big_);
    PutBits(s, 240, 16, v_ == 3 ? 1 : 0, big_);
    PutBits(s, 256, 16, kBlockSize, big_);  // block_size_1
    PutBits(s, 272, 16, 12, big_);          // block_log
    PutBits(s, 296, 8, 1, big_);            // one uid
    PutBits(s, 312, 32, kTime, big_);
    PutBits(s, 344, 64, root_ref_, big_);
    if (v_ >= 2) {
      PutBits(s, 408, 32, kBlockSize, big_);
      PutBits(s, 440, 32, fragments_.size(), big_);
    }
    if (v_ == 3) {
      PutBits(s, 504, 64, image_.size(), big_);  // bytes_used
      PutBits(s, 568, 64, uid_table, big_);
      PutBits(s, 696, 64, inode_table, big_);
      PutBits(s, 760, 64, dir_table, big_);
      PutBits(s, 824, 64, fragment_index, big_);
    } else {
      PutBits(s, 64, 32, image_.size(), big_);
      PutBits(s, 96, 32, uid_table, big_);
      PutBits(s, 160, 32, inode_table, big_);
      PutBits(s, 192, 32, dir_table, big_);
      if (v_ == 2) PutBits(s, 472, 32, fragment_index, big_);
    }
    return image_;
  }

  static constexpr uint32_t kBlockSize = 4096;
  static constexpr uint32_t kTime = 1234567890;
  std::map<std::string, uint64_t> refs;  // name -> inode reference, for tests

 private:
  void AppendMetadata(const Bytes& table) {
    for (size_t at = 0; at < table.size(); at += 8192) {
      const size_t n = std::min<size_t>(8192, table.size() - at);
      const uint16_t word = uint16_t(0x8000 | n);  // bit 15: stored
      Bytes header = big_ ? Bytes{uint8_t(word >> 8), uint8_t(word)}
                          : Bytes{uint8_t(word), uint8_t(word >> 8)};
      image_.insert(image_.end(), header.begin(), header.end());
      image_.insert(image_.end(), table.begin() + at, table.begin() + at + n);
    }
  }

  // Writes a data or fragment block; returns its size word (bit 24, in 1.x bit 15: stored).
  uint32_t WriteBlock(ByteView data) {
    std::optional<Bytes> packed = Compress(data, framing_);
    if (packed) {
      image_.insert(image_.end(), packed->begin(), packed->end());
      return uint32_t(packed->size());
    }
    image_.insert(image_.end(), data.begin(), data.end());
    return uint32_t(data.size()) | (v_ == 1 ? 1u << 15 : 1u << 24);
  }

  void FlushFragment() {
    if (fragment_.empty()) return;
    uint64_t start = image_.size();
    fragments_.push_back({start, WriteBlock(fragment_)});
    fragment_.clear();
  }

  // The common header of an inode of squashfs `type` (1 dir, 2 file, 3 symlink, 5 chardev);
  // returns its reference (its offset in the one inode block). uid index 0, no group.
  uint64_t BeginInode(unsigned type, uint32_t mode, size_t size) {
    uint64_t ref = inodes_.size();
    inodes_.resize(inodes_.size() + size, 0);
    const size_t at = ref * 8;
    PutBits(inodes_, at, 4, type, big_);  // 1.x: (type - 1) + uid / 16 * 5 + 1, uid 0
    PutBits(inodes_, at + 4, 12, mode, big_);
    if (v_ == 1) {
      PutBits(inodes_, at + 20, 4, 15, big_);
    } else {
      PutBits(inodes_, at + 24, 8, 255, big_);
    }
    if (v_ == 3) {
      PutBits(inodes_, at + 32, 32, kTime, big_);
      PutBits(inodes_, at + 64, 32, inode_count_ + 1, big_);
    }
    ++inode_count_;
    return ref;
  }

  uint64_t WriteFile(const std::string& data) {
    const size_t tail = v_ == 1 ? 0 : data.size() % kBlockSize;
    const size_t blocks =
        v_ == 1 ? (data.size() + kBlockSize - 1) / kBlockSize : data.size() / kBlockSize;
    const uint64_t start = image_.size();
    std::vector<uint32_t> words;
    for (size_t i = 0; i < blocks; ++i) {
      words.push_back(
          WriteBlock(AsBytes(std::string_view(data).substr(i * kBlockSize, kBlockSize))));
    }
    uint32_t fragment = UINT32_MAX, offset = 0;
    if (tail) {
      if (fragment_.size() + tail > kBlockSize) FlushFragment();
      fragment = uint32_t(fragments_.size());
      offset = uint32_t(fragment_.size());
      fragment_.insert(fragment_.end(), data.end() - long(tail), data.end());
    }
    const size_t word = v_ == 1 ? 2 : 4;
    const size_t fixed = v_ == 1 ? 15 : v_ == 2 ? 24 : 32;
    uint64_t ref = BeginInode(2, 0644, fixed + word * words.size());
    const size_t at = ref * 8;
    if (v_ == 1) {
      PutBits(inodes_, at + 24, 32, kTime, big_);
      PutBits(inodes_, at + 56, 32, start, big_);
      PutBits(inodes_, at + 88, 32, data.size(), big_);
    } else if (v_ == 2) {
      PutBits(inodes_, at + 32, 32, kTime, big_);
      PutBits(inodes_, at + 64, 32, start, big_);
      PutBits(inodes_, at + 96, 32, fragment, big_);
      PutBits(inodes_, at + 128, 32, offset, big_);
      PutBits(inodes_, at + 160, 32, data.size(), big_);
    } else {
      PutBits(inodes_, at + 96, 64, start, big_);
      PutBits(inodes_, at + 160, 32, fragment, big_);
      PutBits(inodes_, at + 192, 32, offset, big_);
      PutBits(inodes_, at + 224, 32, data.size(), big_);
    }
    for (size_t i = 0; i < words.size(); ++i) {
      PutBits(inodes_, at + fixed * 8 + word * 8 * i, unsigned(word * 8), words[i], big_);
    }
    return ref;
  }

  // Writes the children, then the listing, then the directory's inode; returns its ref.
  uint64_t WriteDir(const std::vector<Item>& items) {
    struct Child {
      std::string name;
      uint64_t ref;
      unsigned type;
    };
    // Where the symlink target length and a device number sit, per version.
    const size_t small = v_ == 1 ? 5 : v_ == 2 ? 6 : 18;
    const size_t field = v_ == 1 ? 24 : v_ == 2 ? 32 : 128;
    std::vector<Child> children;
    for (const Item& item : items) {
      uint64_t ref = 0;
      unsigned type = 2;
      switch (item.kind) {
        case Item::kFile:
          ref = WriteFile(item.data);
          break;
        case Item::kDir:
          ref = WriteDir(item.children), type = 1;
          break;
        case Item::kSymlink:
          ref = BeginInode(3, 0777, small + item.data.size()), type = 3;
          if (v_ == 3) PutBits(inodes_, ref * 8 + 96, 32, 1, big_);
          PutBits(inodes_, ref * 8 + field, 16, item.data.size(), big_);
          std::memcpy(inodes_.data() + ref + small, item.data.data(), item.data.size());
          break;
        case Item::kCharDev:
          ref = BeginInode(5, 0600, small), type = 5;
          PutBits(inodes_, ref * 8 + field, 16, 4 << 8 | 64, big_);
          break;
        case Item::kHardLink:
          ref = refs.at(item.data);
          break;
      }
      refs[item.name] = ref;
      children.push_back({item.name, ref, type});
    }
    // One header for all entries (inode table block 0).
    const uint64_t listing = dirs_.size();
    if (!children.empty()) {
      Bytes h(v_ == 3 ? 9 : 4, 0);
      PutBits(h, 0, 8, children.size() - 1, big_);
      PutBits(h, 8, v_ == 3 ? 32 : 24, 0, big_);
      if (v_ == 3) PutBits(h, 40, 32, 1, big_);
      dirs_.insert(dirs_.end(), h.begin(), h.end());
      for (const Child& c : children) {
        Bytes e(v_ == 3 ? 5 : 3, 0);
        PutBits(e, 0, 13, c.ref, big_);
        PutBits(e, 13, 3, c.type, big_);
        PutBits(e, 16, 8, c.name.size() - 1, big_);
        dirs_.insert(dirs_.end(), e.begin(), e.end());
        dirs_.insert(dirs_.end(), c.name.begin(), c.name.end());
      }
    }
    const uint64_t size = dirs_.size() - listing + (v_ == 3 ? 3 : 0);
    uint64_t ref = BeginInode(1, 0755, v_ == 1 ? 14 : v_ == 2 ? 15 : 28);
    const size_t at = ref * 8;
    if (v_ == 3) {
      PutBits(inodes_, at + 96, 32, 2, big_);
      PutBits(inodes_, at + 128, 19, size, big_);
      PutBits(inodes_, at + 147, 13, listing, big_);
      PutBits(inodes_, at + 160, 32, 0, big_);
    } else {
      const size_t base = v_ == 1 ? 24 : 32;
      PutBits(inodes_, at + base, 19, size, big_);
      PutBits(inodes_, at + base + 19, 13, listing, big_);
      PutBits(inodes_, at + base + 32, 32, kTime, big_);
      PutBits(inodes_, at + base + 64, 24, 0, big_);
    }
    return ref;
  }

  unsigned v_;
  bool big_;
  Framing framing_;
  Bytes image_;
  Bytes inodes_, dirs_, fragment_;
  std::vector<std::pair<uint64_t, uint32_t>> fragments_;
  uint32_t inode_count_ = 0;
  uint64_t root_ref_ = 0;
};

}  // namespace clearbox::unpack::squashfs_legacy::testwriter
