// Fuzzes the directory backend's deduplication index (src/tlog/storage_dir_index.h) over table
// and leaves files a crash or a damaged disk may have left in any state. Input: a mode byte, a
// 24-bit little-endian split, then either raw file contents (mode bit 0 clear: the table's
// bytes up to the split, then the leaves), or (bit 0 set) a well-formed 4096-slot table header
// with a synced size of split % 64 and slots filled from the input, so that probing meets
// hostile slots.
// Invariants: opening never fails on content (only on I/O); every index a lookup answers is
// below size() and holds exactly that leaf hash in the leaves file; entries added afterwards
// are found at their indexes.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/digest.h"
#include "tlog/storage_dir_index.h"

namespace {

namespace fs = std::filesystem;
using clearbox::tlog::Hash;
using clearbox::tlog::IndexedEntry;

void WriteFile(const fs::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

const fs::path& Scratch() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "tlog-index-fuzz-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    return fs::path(tmpl);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const fs::path dir = Scratch() / "index";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const uint8_t mode = data[0];
  const size_t split =
      std::min<size_t>(size - 4, size_t(data[1]) | size_t(data[2]) << 8 | size_t(data[3]) << 16);
  const uint8_t* rest = data + 4;
  const size_t rest_size = size - 4;
  if (!(mode & 1)) {
    WriteFile(dir / "table", rest, split);
    WriteFile(dir / "leaves", rest + split, rest_size - split);
  } else {
    constexpr uint64_t kSlots = 4096;
    std::vector<uint8_t> table(4096 + 16 * kSlots, 0);
    std::memcpy(table.data(), "CBLEAFI1", 8);
    clearbox::StoreLE64(table.data() + 8, kSlots);
    clearbox::StoreLE64(table.data() + 16, split % 64);  // synced size
    for (size_t i = 0; i < 16 * kSlots && rest_size > 0; ++i) {
      table[4096 + i] = rest[i % rest_size];
    }
    WriteFile(dir / "table", table.data(), table.size());
    WriteFile(dir / "leaves", rest, rest_size);
  }

  auto opened = clearbox::tlog::internal::LeafIndex::Open(dir.string(), {});
  if (!opened.ok()) std::abort();  // damaged content is discarded, never an error
  auto& index = **opened;
  const uint64_t size0 = index.size();

  // Look up every 32-byte window of the leaves file (hits and misses alike).
  std::vector<uint8_t> leaves;
  {
    std::ifstream in(dir / "leaves", std::ios::binary);
    leaves.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::vector<Hash> queries;
  for (size_t off = 0; off + 32 <= leaves.size() && queries.size() < 64; off += 32) {
    Hash h;
    std::memcpy(h.data(), leaves.data() + off, 32);
    queries.push_back(h);
  }
  auto found = index.Lookup(queries);
  if (!found.ok()) std::abort();
  for (size_t q = 0; q < queries.size(); ++q) {
    if (!(*found)[q]) continue;
    const uint64_t i = *(*found)[q];
    if (i >= size0 || (i + 1) * 32 > leaves.size() ||
        std::memcmp(leaves.data() + i * 32, queries[q].data(), 32) != 0) {
      std::abort();
    }
  }

  // New entries are found where they were put.
  std::vector<IndexedEntry> fresh;
  for (uint64_t k = 0; k < 3; ++k) {
    uint8_t seed[9] = {0xfe, uint8_t(k)};
    std::memcpy(seed + 2, data, std::min<size_t>(size, 7));
    fresh.push_back({clearbox::Sha256(clearbox::ByteView(seed, sizeof seed)), size0 + k});
  }
  if (!index.Add(fresh).ok()) std::abort();
  std::vector<Hash> fresh_hashes = {fresh[0].leaf_hash, fresh[1].leaf_hash, fresh[2].leaf_hash};
  auto again = index.Lookup(fresh_hashes);
  if (!again.ok()) std::abort();
  for (uint64_t k = 0; k < 3; ++k) {
    if ((*again)[k] != size0 + k) std::abort();
  }
  if (!index.Truncate(size0 / 2).ok()) std::abort();
  return 0;
}
