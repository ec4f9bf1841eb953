#include "vxworks_memfs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "decompress.h"
#include "internal/inode_tree.h"

namespace clearbox::unpack::memfs {
namespace {

uint32_t Load32(const uint8_t* p, bool big_endian) {
  return big_endian ? LoadBE32(p) : LoadLE32(p);
}

bool IsMagic(ByteView data, char first, char second) {
  if (data.size() < kMagicSize) return false;
  for (size_t i = 0; i < kMagicSize; i += 2) {
    if (data[i] != static_cast<uint8_t>(first) || data[i + 1] != static_cast<uint8_t>(second)) {
      return false;
    }
  }
  return true;
}

// The uncompressed size an LZMA-alone header states (bytes 5..12), if it states one.
std::optional<uint64_t> LzmaAloneSize(ByteView stream) {
  if (stream.size() < 13 || stream[0] >= 9 * 5 * 5) return std::nullopt;
  uint64_t size = LoadLE64(stream.data() + 5);
  if (size == UINT64_MAX) return std::nullopt;
  return size;
}

}  // namespace

std::optional<Header> ReadHeader(ByteView data) {
  Header h;
  if (IsMagic(data, 'o', 'w')) {
    h.big_endian = true;
  } else if (IsMagic(data, 'O', 'W')) {
    h.big_endian = false;
  } else {
    return std::nullopt;
  }
  if (data.size() < kHeaderSize) return std::nullopt;
  const uint32_t storage = Load32(data.data() + 32, h.big_endian);
  if (storage != 1 && storage != 2) return std::nullopt;
  h.storage = static_cast<Storage>(storage);
  h.count = Load32(data.data() + 36, h.big_endian);
  h.word3 = Load32(data.data() + 40, h.big_endian);
  return h;
}

Result<Filesystem> Filesystem::Parse(ByteView image) {
  std::optional<Header> header = ReadHeader(image);
  if (!header) return Error::InvalidInput("not a Wind River MemFS image (no \"owow\" header)");
  Filesystem fs;
  fs.image_ = image;
  fs.header_ = *header;
  internal::CappedNotes notes(fs.notes_, kMaxNotes);

  uint64_t count = header->count;
  if (count > kMaxRecords) {
    notes.Add(Note::Kind::kLimit, "count", 36,
              fmt::format("{} records claimed; reading the first {}", count, kMaxRecords));
    count = kMaxRecords;
  }
  const uint64_t fit = (image.size() - kHeaderSize) / kRecordSize;
  if (count > fit) {
    notes.Add(Note::Kind::kCorrupt, "count", 36,
              fmt::format("{} records claimed, the image holds {}", count, fit));
    count = fit;
  }
  const uint64_t table_end = kHeaderSize + count * kRecordSize;
  fs.extent_ = table_end;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t at = kHeaderSize + uint64_t{i} * kRecordSize;
    const uint8_t* rec = image.data() + at;
    const void* nul = std::memchr(rec, 0, kNameSize);
    size_t name_len = nul ? static_cast<const uint8_t*>(nul) - rec : kNameSize;
    if (!nul) {
      notes.Add(Note::Kind::kCorrupt, "name", at,
                fmt::format("record {}: name fills all {} bytes without an end", i, kNameSize));
    }
    if (name_len == 0) {
      notes.Add(Note::Kind::kCorrupt, "name", at, fmt::format("record {}: empty name", i));
      continue;
    }
    Entry e;
    e.index = i;
    e.record_offset = at;
    e.path = "/" + std::string(reinterpret_cast<const char*>(rec), name_len);
    e.stored_size = Load32(rec + kNameSize, header->big_endian);
    e.data_offset = Load32(rec + kNameSize + 4, header->big_endian);
    e.data_present = e.data_offset >= table_end && FitsIn(image, e.data_offset, e.stored_size);
    if (!e.data_present) {
      notes.Add(Note::Kind::kCorrupt, "data", at,
                fmt::format("record {} ({}): data at {:#x} ({} bytes) lies outside the file "
                            "system ({:#x} bytes after its table)",
                            i, e.path.substr(1), e.data_offset, e.stored_size, table_end));
    } else {
      fs.extent_ = std::max(fs.extent_, e.data_offset + e.stored_size);
      if (header->storage == Storage::kPlain) {
        e.size = e.stored_size;
      } else {
        e.size = LzmaAloneSize(image.subspan(e.data_offset, e.stored_size));
      }
    }
    fs.entries_.push_back(std::move(e));
  }
  notes.Finish();
  return fs;
}

ByteView Filesystem::StoredData(const Entry& entry) const {
  if (!entry.data_present || !FitsIn(image_, entry.data_offset, entry.stored_size)) return {};
  return image_.subspan(entry.data_offset, entry.stored_size);
}

Result<Filesystem::Content> Filesystem::ReadFile(const Entry& entry, uint64_t max_size) const {
  ByteView stored = StoredData(entry);
  Content out;
  if (header_.storage == Storage::kPlain) {
    if (stored.size() > max_size) {
      return Error::LimitExceeded(fmt::format("{}: {} bytes", entry.path, stored.size()));
    }
    out.data.assign(stored.begin(), stored.end());
    return out;
  }
  DecompressOptions options;
  options.max_out = max_size;
  options.keep_partial = true;
  CLEARBOX_ASSIGN_OR_RETURN(Decompressed d, DecompressEx(Codec::kLzmaAlone, stored, options));
  out.data = std::move(d.data);
  out.failure = std::move(d.failure);
  return out;
}

}  // namespace clearbox::unpack::memfs
