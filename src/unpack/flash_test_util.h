// Helpers shared by the tests of the flash and firmware parsers (decompress, uimage, trx,
// jffs2, ubi): a temp directory, running the Debian tools that build test images, files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "clearbox/core/bytes.h"

namespace clearbox::unpack::testing {

inline const std::string kRealCorpus = std::string(CLEARBOX_SHARED_DIR) + "/corpus/real/";

// A fresh directory under the build tree, removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = std::string(CLEARBOX_BINARY_DIR) + "/flash-test-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? std::filesystem::path(tmpl) : std::filesystem::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Runs a shell command (stdout/stderr of the tools go to the test log); true on exit 0.
inline bool Run(const std::string& command) {
  int rc = std::system(command.c_str());
  if (rc != 0) ADD_FAILURE() << "command failed (" << rc << "): " << command;
  return rc == 0;
}

inline Bytes ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void WriteBytes(const std::string& path, ByteView data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

// Deterministic, moderately compressible bytes: words from a small vocabulary mixed with
// pseudo-random bytes, so every codec has work to do and nothing compresses to nothing.
inline Bytes TestData(size_t size, uint32_t seed = 1) {
  static const char* kWords[] = {"firmware ", "kernel ", "rootfs ", "busybox ", "\n",
                                 "passwd ",   "0x8001 ", "uImage ", "lzma ",    "jffs2 "};
  Bytes out;
  out.reserve(size);
  uint32_t x = seed * 2654435761u + 12345;
  while (out.size() < size) {
    x = x * 1103515245u + 12345;
    if ((x >> 16) % 4 == 0) {
      out.push_back(static_cast<uint8_t>(x >> 8));
    } else {
      for (const char* p = kWords[(x >> 20) % 10]; *p && out.size() < size; ++p) out.push_back(*p);
    }
  }
  return out;
}

}  // namespace clearbox::unpack::testing
