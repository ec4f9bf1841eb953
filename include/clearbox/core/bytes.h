// Byte buffers and bounds-checked reads of untrusted data.
//
// Every length and offset that comes from an image, a tile or a request goes through
// FitsIn() or a ByteReader before it is used. ByteReader never reads past its view: a
// read that would overflow fails (returns false / nullopt) and leaves the reader where it was.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clearbox {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// True when [offset, offset + length) lies inside a buffer of `size` bytes, without overflow.
constexpr bool FitsIn(uint64_t size, uint64_t offset, uint64_t length) {
  return offset <= size && length <= size - offset;
}
inline bool FitsIn(ByteView buf, uint64_t offset, uint64_t length) {
  return FitsIn(buf.size(), offset, length);
}
// The sub-view [offset, offset + length), or nullopt if it does not fit.
inline std::optional<ByteView> SubView(ByteView buf, uint64_t offset, uint64_t length) {
  if (!FitsIn(buf, offset, length)) return std::nullopt;
  return buf.subspan(offset, length);
}

// Fixed-width integer loads from a byte pointer (caller has checked the bounds).
inline uint16_t LoadBE16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint16_t LoadLE16(const uint8_t* p) { return uint16_t(p[1] << 8 | p[0]); }
inline uint32_t LoadBE32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline uint32_t LoadLE32(const uint8_t* p) {
  return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0];
}
inline uint64_t LoadBE64(const uint8_t* p) { return uint64_t(LoadBE32(p)) << 32 | LoadBE32(p + 4); }
inline uint64_t LoadLE64(const uint8_t* p) { return uint64_t(LoadLE32(p + 4)) << 32 | LoadLE32(p); }
inline void StoreBE16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
inline void StoreBE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (24 - 8 * i));
}
inline void StoreBE64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (56 - 8 * i));
}
inline void StoreLE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
inline void StoreLE64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

// A cursor over untrusted bytes. Each Read* checks bounds; on failure it returns
// nullopt/false and does not move.
class ByteReader {
 public:
  explicit ByteReader(ByteView data, uint64_t base_offset = 0) : data_(data), base_(base_offset) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  // Offset of the cursor in the enclosing file, for error messages.
  uint64_t absolute_offset() const { return base_ + pos_; }
  bool empty() const { return pos_ == data_.size(); }

  bool Skip(size_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }
  bool Seek(size_t pos) {
    if (pos > data_.size()) return false;
    pos_ = pos;
    return true;
  }
  std::optional<ByteView> Read(size_t n) {
    if (n > remaining()) return std::nullopt;
    ByteView v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  std::optional<uint8_t> ReadU8() {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_++];
  }
  std::optional<uint16_t> ReadBE16() { return ReadInt<uint16_t>(LoadBE16); }
  std::optional<uint16_t> ReadLE16() { return ReadInt<uint16_t>(LoadLE16); }
  std::optional<uint32_t> ReadBE32() { return ReadInt<uint32_t>(LoadBE32); }
  std::optional<uint32_t> ReadLE32() { return ReadInt<uint32_t>(LoadLE32); }
  std::optional<uint64_t> ReadBE64() { return ReadInt<uint64_t>(LoadBE64); }
  std::optional<uint64_t> ReadLE64() { return ReadInt<uint64_t>(LoadLE64); }

 private:
  template <typename T>
  std::optional<T> ReadInt(T (*load)(const uint8_t*)) {
    if (remaining() < sizeof(T)) return std::nullopt;
    T v = load(data_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }

  ByteView data_;
  uint64_t base_;
  size_t pos_ = 0;
};

}  // namespace clearbox
