// The SSH wire encoding (RFC 4251 section 5): uint32, uint64, string, name-list, and the
// PEM-less base64 lines of OpenSSH key files. Private to the maint module: certificates
// (ssh_cert.cc) and KRLs (krl.cc) are written and read through these two classes.
//
//   WireWriter w;
//   w.String("ssh-ed25519");
//   w.U64(serial);
//   Bytes blob = w.Take();
//
//   WireReader r(blob, "certificate");
//   CLEARBOX_ASSIGN_OR_RETURN(std::string_view type, r.Text("key type", 64));
//
// Every WireReader read checks its bounds and a caller-given cap, and fails with an error
// naming the structure, the field and the offset: "certificate: key id at offset 0x5c: ...".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/result.h"

namespace clearbox::maint::wire {

class WireWriter {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  // A string: uint32 length, then the bytes. The caller keeps lengths below 2^32 (the limits
  // in ssh_cert.h and krl.h are far below).
  void String(ByteView v);
  void String(std::string_view v) { String(AsBytes(v)); }
  void Raw(ByteView v) { out_.insert(out_.end(), v.begin(), v.end()); }
  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }

 private:
  Bytes out_;
};

class WireReader {
 public:
  // `what` names the structure in error messages; `base` is the offset of `data` in it.
  WireReader(ByteView data, std::string what, uint64_t base = 0)
      : reader_(data, base), what_(std::move(what)) {}

  bool empty() const { return reader_.empty(); }
  size_t remaining() const { return reader_.remaining(); }
  uint64_t offset() const { return reader_.absolute_offset(); }

  Result<uint8_t> U8(std::string_view field);
  Result<uint32_t> U32(std::string_view field);
  Result<uint64_t> U64(std::string_view field);
  // A string of at most `max_len` bytes (a longer declared length is refused before any read).
  Result<ByteView> String(std::string_view field, size_t max_len);
  // A string that must be printable text: no NUL or control bytes (key ids, principals,
  // option names and values are shown to people and written to logs).
  Result<std::string_view> Text(std::string_view field, size_t max_len);
  Result<ByteView> Raw(std::string_view field, size_t len);
  // Fails unless every byte has been read: trailing data is refused, never ignored.
  Status ExpectEnd(std::string_view after);

  // An error for `field` at the current offset.
  Error Fail(std::string_view field, std::string_view problem) const;
  const std::string& what() const { return what_; }

 private:
  ByteReader reader_;
  std::string what_;
};

// True when every byte is printable ASCII or UTF-8 continuation-free text without control
// characters (0x00-0x1f, 0x7f). Bytes >= 0x80 are allowed (UTF-8 names).
bool IsPrintableText(std::string_view s);

}  // namespace clearbox::maint::wire
