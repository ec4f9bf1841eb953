#include "maint/ssh_wire.h"

#include "clearbox/core/encoding.h"

namespace clearbox::maint::wire {

void WireWriter::U32(uint32_t v) {
  uint8_t b[4];
  StoreBE32(b, v);
  out_.insert(out_.end(), b, b + 4);
}

void WireWriter::U64(uint64_t v) {
  uint8_t b[8];
  StoreBE64(b, v);
  out_.insert(out_.end(), b, b + 8);
}

void WireWriter::String(ByteView v) {
  U32(uint32_t(v.size()));
  Raw(v);
}

Error WireReader::Fail(std::string_view field, std::string_view problem) const {
  return Error::InvalidInput(what_ + ": " + std::string(field) + " at offset " +
                             HexOffset(offset()) + ": " + std::string(problem));
}

Result<uint8_t> WireReader::U8(std::string_view field) {
  auto v = reader_.ReadU8();
  if (!v) return Fail(field, "truncated (1 byte expected, 0 left)");
  return *v;
}

Result<uint32_t> WireReader::U32(std::string_view field) {
  auto v = reader_.ReadBE32();
  if (!v) {
    return Fail(field, "truncated (4 bytes expected, " + std::to_string(remaining()) + " left)");
  }
  return *v;
}

Result<uint64_t> WireReader::U64(std::string_view field) {
  auto v = reader_.ReadBE64();
  if (!v) {
    return Fail(field, "truncated (8 bytes expected, " + std::to_string(remaining()) + " left)");
  }
  return *v;
}

Result<ByteView> WireReader::String(std::string_view field, size_t max_len) {
  size_t start = reader_.position();
  auto len = reader_.ReadBE32();
  if (!len) {
    return Fail(field,
                "truncated length (4 bytes expected, " + std::to_string(remaining()) + " left)");
  }
  if (*len > max_len) {
    reader_.Seek(start);
    return Fail(field, "length " + std::to_string(*len) + " exceeds the limit of " +
                           std::to_string(max_len) + " bytes");
  }
  auto v = reader_.Read(*len);
  if (!v) {
    reader_.Seek(start);
    return Fail(field, "length " + std::to_string(*len) + " runs past the end (" +
                           std::to_string(remaining() - 4) + " bytes left)");
  }
  return *v;
}

Result<std::string_view> WireReader::Text(std::string_view field, size_t max_len) {
  size_t start = reader_.position();
  CLEARBOX_ASSIGN_OR_RETURN(ByteView v, String(field, max_len));
  std::string_view s = AsChars(v);
  if (!IsPrintableText(s)) {
    reader_.Seek(start);
    return Fail(field, "contains a NUL or control character");
  }
  return s;
}

Result<ByteView> WireReader::Raw(std::string_view field, size_t len) {
  auto v = reader_.Read(len);
  if (!v) {
    return Fail(field, "truncated (" + std::to_string(len) + " bytes expected, " +
                           std::to_string(remaining()) + " left)");
  }
  return *v;
}

Status WireReader::ExpectEnd(std::string_view after) {
  if (!empty()) {
    return Fail(after, std::to_string(remaining()) + " unexpected trailing bytes");
  }
  return Status::Ok();
}

bool IsPrintableText(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace clearbox::maint::wire
