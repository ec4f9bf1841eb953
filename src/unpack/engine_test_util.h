// Helpers for the engine's tests: a scratch directory, the real tools that build the test
// archives, and an unpack that collects everything.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"
#include "clearbox/unpack/unpack.h"

namespace clearbox::unpack::enginetest {

// A fresh directory under the build tree, removed at destruction.
class Scratch {
 public:
  Scratch() {
    std::string tmpl = std::string(CLEARBOX_BINARY_DIR) + "/engine-test-XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `command` with sh in `dir`; fails the test (returns false) on a non-zero exit.
inline bool Sh(const std::string& dir, const std::string& command) {
  std::string full = "cd '" + dir + "' && ( " + command + " ) >/dev/null 2>&1";
  int rc = std::system(full.c_str());
  if (rc != 0) ADD_FAILURE() << "command failed (" << rc << "): " << command;
  return rc == 0;
}

inline void WriteText(const std::string& path, std::string_view text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), std::streamsize(text.size()));
}

inline Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A small root filesystem with the shapes every format must carry: nested directories,
// a setuid binary, a symlink, a hard link, an empty file and a 300 KB file spanning blocks.
inline void MakeRootfs(const std::string& root) {
  WriteText(root + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  WriteText(root + "/etc/init.d/rcS", "#!/bin/sh\nmount -a\n");
  std::string big;
  for (int i = 0; big.size() < 300000; ++i)
    big += "line " + std::to_string(i * 7919 % 10007) + "\n";
  WriteText(root + "/bin/busybox", big);
  WriteText(root + "/empty", "");
  std::filesystem::permissions(root + "/bin/busybox", std::filesystem::perms(04755));
  std::filesystem::create_symlink("busybox", root + "/bin/sh");
  std::filesystem::create_hard_link(root + "/etc/passwd", root + "/etc/passwd.hard");
}

// "prefix0x1c5b0": a provenance with a hex offset.
inline std::string fmt_prov(std::string_view prefix, uint64_t offset) {
  char hex[24];
  std::snprintf(hex, sizeof(hex), "0x%llx", static_cast<unsigned long long>(offset));
  return std::string(prefix) + hex;
}

inline std::string Sha(std::string_view text) { return Sha256Hex(AsBytes(text)); }

// A ustar header for a regular file `name` of `size` bytes (size < 8 GiB).
inline Bytes TarHeader(std::string_view name, uint64_t size) {
  Bytes h(512, 0);
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 99));
  std::snprintf(reinterpret_cast<char*>(&h[100]), 8, "%07o", 0644);
  std::snprintf(reinterpret_cast<char*>(&h[108]), 8, "%07o", 0);
  std::snprintf(reinterpret_cast<char*>(&h[116]), 8, "%07o", 0);
  std::snprintf(reinterpret_cast<char*>(&h[124]), 12, "%011llo",
                static_cast<unsigned long long>(size));
  std::snprintf(reinterpret_cast<char*>(&h[136]), 12, "%011o", 0);
  h[156] = '0';
  std::memcpy(&h[257],
              "ustar\0"
              "00",
              8);
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (uint8_t b : h) sum += b;
  std::snprintf(reinterpret_cast<char*>(&h[148]), 8, "%06o", sum);
  return h;
}

// A gzip member of `prefix` followed by `zeros` zero bytes, written directly as one fixed
// Huffman deflate block (13 bits per 258 zeros), so a 1 GiB bomb costs milliseconds to make
// instead of compressing a GiB.
inline Bytes GzipZeroBomb(ByteView prefix, uint64_t zeros) {
  Bytes out = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
  uint64_t acc = 0;
  int bits = 0;
  auto put = [&](uint32_t value, int n) {  // LSB-first, as deflate packs bits
    acc |= uint64_t(value) << bits;
    bits += n;
    while (bits >= 8) {
      out.push_back(uint8_t(acc));
      acc >>= 8;
      bits -= 8;
    }
  };
  auto huff = [&](uint32_t code, int n) {  // Huffman codes go most significant bit first
    uint32_t r = 0;
    for (int i = 0; i < n; ++i) r |= ((code >> i) & 1) << (n - 1 - i);
    put(r, n);
  };
  auto literal = [&](uint8_t v) {
    if (v < 144) {
      huff(0x30 + v, 8);
    } else {
      huff(0x190 + (v - 144), 9);
    }
  };
  put(1, 1);  // BFINAL
  put(1, 2);  // fixed Huffman
  for (uint8_t b : prefix) literal(b);
  uint64_t left = zeros;
  if (left > 0) {
    literal(0);
    --left;
  }
  for (; left >= 258; left -= 258) {
    huff(0xc5, 8);  // length code 285: 258 bytes
    huff(0, 5);     // distance code 0: distance 1
  }
  for (; left > 0; --left) literal(0);
  huff(0, 7);  // end of block
  if (bits > 0) put(0, 8 - bits);
  uint32_t crc = 0;
  crc = uint32_t(crc32(crc, prefix.data(), uInt(prefix.size())));
  Bytes chunk(1 << 20, 0);
  uLong zero_crc = crc32(0, chunk.data(), uInt(chunk.size()));
  for (left = zeros; left >= chunk.size(); left -= chunk.size()) {
    crc = uint32_t(crc32_combine(crc, zero_crc, z_off_t(chunk.size())));
  }
  crc = uint32_t(crc32(crc, chunk.data(), uInt(left)));
  uint32_t total = uint32_t(prefix.size() + zeros);
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(crc >> (8 * i)));
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(total >> (8 * i)));
  return out;
}

struct Unpacked {
  Summary summary;
  std::vector<TreeCollector::Entry> entries;
  std::vector<FilesystemInfo> filesystems;
  std::vector<Note> notes;

  const TreeCollector::Entry* Find(std::string_view provenance) const {
    for (const auto& e : entries) {
      if (e.node.provenance == provenance) return &e;
    }
    return nullptr;
  }
  // The first entry whose provenance ends with `suffix`.
  const TreeCollector::Entry* FindSuffix(std::string_view suffix) const {
    for (const auto& e : entries) {
      if (e.node.provenance.ends_with(suffix)) return &e;
    }
    return nullptr;
  }
  bool HasNote(Note::Kind kind, std::string_view text) const {
    for (const Note& n : notes) {
      if (n.kind == kind && n.message.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string NotesText() const {
    std::string out;
    for (const Note& n : notes) {
      out += std::string(NoteKindName(n.kind)) + " " + n.where + " @" + std::to_string(n.offset) +
             ": " + n.message + "\n";
    }
    return out;
  }
};

inline Unpacked UnpackPath(const std::string& path, const Options& options = {}, bool hash = true) {
  TreeCollector tree(hash);
  Unpacked u;
  Result<Summary> s = UnpackFile(path, options, tree);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().ToString());
  if (s.ok()) u.summary = *s;
  u.entries = tree.TakeEntries();
  u.filesystems = tree.TakeFilesystems();
  u.notes = tree.TakeNotes();
  return u;
}

inline Unpacked UnpackBytes(ByteView data, const Options& options = {}) {
  TreeCollector tree(true);
  Unpacked u;
  Result<Summary> s = UnpackBuffer(data, "buf", options, tree);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().ToString());
  if (s.ok()) u.summary = *s;
  u.entries = tree.TakeEntries();
  u.filesystems = tree.TakeFilesystems();
  u.notes = tree.TakeNotes();
  return u;
}

}  // namespace clearbox::unpack::enginetest
