#include "lzw.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace clearbox::unpack {
namespace {

constexpr int kInitBits = 9;
constexpr int kMaxBits = 16;
constexpr uint32_t kClear = 256;
constexpr uint8_t kBlockMode = 0x80;
constexpr size_t kHeaderBytes = 3;

Error Corrupt(uint64_t at, std::string_view what) {
  return Error::InvalidInput(fmt::format("compress: {} at input offset {}", what, at));
}

// The bit position of the next group of eight `n_bits` codes at or after `posbits`, counted
// from `origin`, where the current code width took effect (the first code for the first):
// what ncompress skips when the code width changes (compress42.c, the posbits rounding
// before `goto resetbuf`, which then restarts its count at that byte).
uint64_t NextGroup(uint64_t origin, uint64_t posbits, int n_bits) {
  uint64_t group = uint64_t(n_bits) << 3;
  uint64_t into = posbits - origin;
  return origin + (into + group - 1) / group * group;
}

}  // namespace

bool IsCompressHeader(ByteView d) {
  if (d.size() < kHeaderBytes || d[0] != 0x1f || d[1] != 0x9d) return false;
  int bits = d[2] & 0x1f;
  return (d[2] & 0x60) == 0 && bits >= kInitBits && bits <= kMaxBits;
}

Result<Decompressed> DecodeCompress(ByteView in, const DecompressOptions& options) {
  if (!IsCompressHeader(in)) return Corrupt(0, "not a compress header");
  const int max_bits = in[2] & 0x1f;
  const bool block_mode = (in[2] & kBlockMode) != 0;
  const uint32_t max_max_code = 1u << max_bits;

  // Codes never pass the next free entry, which grows by one per code read and stops at
  // max_max_code (a 9-bit stream still reads 10-bit codes once its table is full, as
  // ncompress does): the table needs no more entries than that, and a probe's short input
  // sizes a small one.
  const uint64_t codes = (uint64_t(in.size()) << 3) / kInitBits + 1;
  const size_t table = size_t(std::min<uint64_t>(max_max_code, 257 + codes) + 1);
  std::vector<uint16_t> prefix(table, 0);
  std::vector<uint8_t> suffix(table, 0);
  for (uint32_t i = 0; i < 256; ++i) suffix[i] = uint8_t(i);
  std::vector<uint8_t> stack(table);

  Bytes out;
  std::optional<Error> failure;
  const uint64_t total_bits = uint64_t(in.size()) << 3;
  uint64_t posbits = kHeaderBytes << 3;
  uint64_t origin = posbits;  // groups count from the first code, after the header
  int n_bits = kInitBits;
  uint32_t max_code = (1u << n_bits) - 1;
  uint32_t free_ent = block_mode ? 257 : 256;
  int64_t old_code = -1;
  uint8_t fin_char = 0;
  bool over = false;

  // A code is read only when all of its bits are in the input (ncompress's inbits).
  while (posbits + uint64_t(n_bits) <= total_bits) {
    if (free_ent > max_code) {
      posbits = origin = NextGroup(origin, posbits, n_bits);
      ++n_bits;
      max_code = n_bits == max_bits ? max_max_code : (1u << n_bits) - 1;
      continue;
    }
    uint64_t byte = posbits >> 3;
    uint32_t window = 0;
    for (int i = 0; i < 3 && byte + i < in.size(); ++i) window |= uint32_t(in[byte + i]) << (8 * i);
    uint32_t code = (window >> (posbits & 7)) & ((1u << n_bits) - 1);
    const uint64_t code_at = byte;
    posbits += n_bits;

    if (old_code == -1) {
      if (code >= 256) {
        failure = Corrupt(code_at, fmt::format("first code {} is not a literal", code));
        break;
      }
      fin_char = uint8_t(code);
      old_code = code;
      if (out.size() >= options.max_out) {
        over = true;
        break;
      }
      out.push_back(fin_char);
      continue;
    }
    if (code == kClear && block_mode) {
      std::fill(prefix.begin(), prefix.begin() + 256, 0);
      free_ent = 256;
      posbits = origin = NextGroup(origin, posbits, n_bits);
      n_bits = kInitBits;
      max_code = (1u << n_bits) - 1;
      continue;
    }
    const uint32_t in_code = code;
    size_t sp = stack.size();
    if (code >= free_ent) {  // the KwKwK case: the code being defined right now
      if (code > free_ent) {
        failure = Corrupt(code_at, fmt::format("code {} past the table's end {}", code, free_ent));
        break;
      }
      stack[--sp] = fin_char;
      code = uint32_t(old_code);
    }
    // Chains only point to smaller codes (an entry's prefix was defined before it), so this
    // walk ends within the table's size and the stack cannot overflow.
    while (code >= 256 && sp > 1) {
      stack[--sp] = suffix[code];
      code = prefix[code];
    }
    if (code >= 256) {
      failure = Corrupt(code_at, "looping code chain");
      break;
    }
    stack[--sp] = fin_char = suffix[code];
    size_t n = stack.size() - sp;
    if (out.size() + n > options.max_out) {
      over = true;
      break;
    }
    out.insert(out.end(), stack.begin() + sp, stack.end());
    if (free_ent < max_max_code && free_ent < table) {
      prefix[free_ent] = uint16_t(old_code);
      suffix[free_ent] = fin_char;
      ++free_ent;
    }
    old_code = in_code;
  }
  if (over) {
    return Error::LimitExceeded(
        fmt::format("compress: output exceeds the limit of {} bytes", options.max_out));
  }
  if (failure) {
    if (!options.keep_partial) return *std::move(failure);
    return Decompressed{std::move(out), std::nullopt, std::move(failure), std::nullopt};
  }
  return Decompressed{std::move(out), uint64_t{in.size()}, std::nullopt, std::nullopt};
}

}  // namespace clearbox::unpack
