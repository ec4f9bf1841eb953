// Archives read through libarchive: tar (ustar, gnu, pax), cpio (newc, crc, odc), zip, 7z and
// ISO 9660. The magic, header validation and container length are ours (carving needs
// them); libarchive walks the entries.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "clearbox/core/digest.h"
#include "clearbox/core/encoding.h"
#include "internal/archive_source.h"
#include "internal/format.h"

namespace clearbox::unpack::internal {
namespace {

struct ArchiveDeleter {
  const LibArchive* la;
  void operator()(struct archive* a) const { la->archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveDeleter>;

// How each archive format is read.
struct ArchiveKind {
  std::string_view name;
  int (*LibArchive::*enable)(struct archive*);  // archive_read_support_format_...
  // Entries are compressed inside the archive: feed libarchive in chunks so that the ratio
  // of an entry can be measured against the input it consumed.
  bool compressed_entries;
  // Entries come one after another and are never revisited (tar, cpio): what lies before the
  // current header can be dropped from memory.
  bool sequential = false;
};

constexpr size_t kRatioChunk = 64 << 10;

// Reads one entry's data through archive_read_data_block: sparse holes become zeros, and
// when the archive sits in memory uncompressed the whole entry is handed out as a view.
class EntryReader : public ContentReader {
 public:
  EntryReader(struct archive* a, const ArchiveSource& source, uint64_t size, Walker& walker,
              bool ratio_checked)
      : a_(a),
        source_(source),
        size_(size),
        walker_(walker),
        ratio_checked_(ratio_checked),
        fed_at_start_(source.fed) {}

  uint64_t size() const override { return size_; }

  std::optional<ByteView> Contiguous() override {
    if (contiguous_) return contiguous_;
    if (source_.stream != nullptr || position_ != 0 || block_ != nullptr || ratio_checked_ ||
        tried_contiguous_) {
      return std::nullopt;
    }
    tried_contiguous_ = true;
    if (!NextBlock().ok() || block_ == nullptr) return std::nullopt;
    const uint8_t* p = static_cast<const uint8_t*>(block_);
    bool inside = p >= source_.view.data() &&
                  FitsIn(source_.view.size(), uint64_t(p - source_.view.data()), block_len_);
    if (inside && block_offset_ == 0 && block_len_ == size_) {
      // The entry lies whole in the mapped input: Read() serves the same block.
      contiguous_ = ByteView(p, size_);
      return contiguous_;
    }
    return std::nullopt;  // Read() continues with the pending block
  }

  Result<size_t> Read(std::span<uint8_t> out) override {
    while (true) {
      if (zeros_ > 0) {  // a sparse hole
        size_t n = size_t(std::min<uint64_t>(out.size(), zeros_));
        std::memset(out.data(), 0, n);
        zeros_ -= n;
        return Count(n);
      }
      if (block_len_ > 0) {
        size_t n = std::min(out.size(), block_len_);
        std::memcpy(out.data(), block_, n);
        block_ = static_cast<const uint8_t*>(block_) + n;
        block_len_ -= n;
        return Count(n);
      }
      if (eof_) return size_t{0};
      CLEARBOX_RETURN_IF_ERROR(NextBlock());
    }
  }

 private:
  Status NextBlock() {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    int r = source_.la->archive_read_data_block(a_, &buf, &len, &offset);
    if (r == ARCHIVE_EOF) {
      eof_ = true;
      return Status::Ok();
    }
    if (r < ARCHIVE_WARN) {
      const char* msg = source_.la->archive_error_string(a_);
      return Error::InvalidInput(fmt::format("entry data: {}", msg ? msg : "read error"));
    }
    if (offset < 0 || uint64_t(offset) < position_ + zeros_) {
      return Error::InvalidInput("entry data: sparse block out of order");
    }
    zeros_ = uint64_t(offset) - position_;
    block_ = buf;
    block_len_ = len;
    block_offset_ = uint64_t(offset);
    return Status::Ok();
  }

  Result<size_t> Count(size_t n) {
    position_ += n;
    if (ratio_checked_) {
      const Limits& l = walker_.limits();
      uint64_t input = source_.fed - fed_at_start_ + kRatioChunk;
      uint64_t allowed = std::max<uint64_t>(input > UINT64_MAX / std::max<uint64_t>(l.max_ratio, 1)
                                                ? UINT64_MAX
                                                : input * l.max_ratio,
                                            1 << 20);
      if (l.max_ratio > 0 && position_ > allowed) {
        Error e = Error::LimitExceeded(
            fmt::format("entry stopped at {} bytes: expands beyond {}:1", position_, l.max_ratio));
        walker_.AddNote(Note::Kind::kLimit, source_.fed, e.message());
        return e;
      }
    }
    return n;
  }

  struct archive* a_;
  const ArchiveSource& source_;
  uint64_t size_;
  Walker& walker_;
  bool ratio_checked_;
  uint64_t fed_at_start_;
  std::optional<ByteView> contiguous_;
  bool tried_contiguous_ = false;
  const void* block_ = nullptr;
  size_t block_len_ = 0;
  uint64_t block_offset_ = 0;
  uint64_t position_ = 0;  // bytes handed out, holes included
  uint64_t zeros_ = 0;
  bool eof_ = false;
};

NodeType TypeOf(const LibArchive& la, struct archive_entry* e) {
  if (la.archive_entry_hardlink(e) != nullptr) return NodeType::kHardLink;
  switch (la.archive_entry_filetype(e)) {
    case AE_IFDIR:
      return NodeType::kDirectory;
    case AE_IFLNK:
      return NodeType::kSymlink;
    case AE_IFCHR:
      return NodeType::kCharDevice;
    case AE_IFBLK:
      return NodeType::kBlockDevice;
    case AE_IFIFO:
      return NodeType::kFifo;
    case AE_IFSOCK:
      return NodeType::kSocket;
    default:
      return NodeType::kFile;
  }
}

// A name as UTF-8 when libarchive can convert it, else its raw bytes (the manifest shows bad
// UTF-8 replaced, the directory writer keeps the bytes); null when there is neither.
const char* EntryName(const char* (*utf8)(struct archive_entry*),
                      const char* (*raw)(struct archive_entry*), struct archive_entry* e) {
  const char* name = utf8(e);
  return name != nullptr ? name : raw(e);
}

// Sets node->path and, for links (node->type set), node->link_target from `e`. False when the
// entry's name could not be converted at all.
bool EntryNames(const LibArchive& la, struct archive_entry* e, Node* node) {
  ScopedUtf8Locale utf8;  // the conversions run through the thread's locale
  const char* path = EntryName(la.archive_entry_pathname_utf8, la.archive_entry_pathname, e);
  node->path = path != nullptr ? path : "";
  const char* target = nullptr;
  if (node->type == NodeType::kHardLink) {
    target = EntryName(la.archive_entry_hardlink_utf8, la.archive_entry_hardlink, e);
  } else if (node->type == NodeType::kSymlink) {
    target = EntryName(la.archive_entry_symlink_utf8, la.archive_entry_symlink, e);
  }
  node->link_target = target != nullptr ? target : "";
  return path != nullptr;
}

// Walks every entry of an opened archive. Returns the bytes the archive spans.
Result<uint64_t> WalkArchive(struct archive* a, ArchiveSource& source, const ArchiveKind& kind,
                             Walker& walker) {
  const LibArchive& la = *source.la;
  int consecutive_failures = 0;
  uint64_t released = 0;  // bytes of the view handed to Walker::DoneWith
  // Empty files with more than one link, held back: in cpio newc the data of a set of hard
  // links travels with its LAST name, which libarchive reports as a hard link (with data)
  // to the first. Holding the first lets the data-carrying name come out as the file and
  // the others as hard links to it, in an order a writer can follow.
  std::unordered_map<std::string, Node> held;
  uint64_t entries = 0;
  auto flush_held = [&]() -> Status {
    for (auto& [path, node] : held) {
      ViewReader empty({});
      CLEARBOX_RETURN_IF_ERROR(walker.AddNode(std::move(node), &empty));
    }
    held.clear();
    return Status::Ok();
  };
  while (true) {
    CLEARBOX_RETURN_IF_ERROR(walker.CheckContinue());
    struct archive_entry* entry = nullptr;
    int r;
    {
      // Names are converted while the header is read (zip and ISO 9660: the whole directory
      // at the first header): UTF-8 whatever the process locale.
      ScopedUtf8Locale utf8;
      r = la.archive_read_next_header(a, &entry);
    }
    if (r == ARCHIVE_EOF) break;
    const char* msg = la.archive_error_string(a);
    if (r == ARCHIVE_RETRY && ++consecutive_failures < 64) {
      // libarchive skipped a damaged header and resynchronises on the next one.
      walker.AddNote(Note::Kind::kCorrupt, uint64_t(la.archive_read_header_position(a)),
                     fmt::format("{}: {}", kind.name, msg ? msg : "damaged header skipped"));
      continue;
    }
    // A name that is not valid in its charset keeps its raw bytes (noted below when there
    // are none); other warnings are noted as they are.
    if (r == ARCHIVE_WARN && msg != nullptr &&
        std::string_view(msg).find("cannot be converted") == std::string_view::npos) {
      walker.AddNote(Note::Kind::kWarning, uint64_t(la.archive_read_header_position(a)), msg);
    }
    if (r < ARCHIVE_WARN) {
      if (source.error) return *source.error;  // the input stream failed (a limit)
      // A corrupt header: libarchive cannot resynchronise, the rest is lost.
      CLEARBOX_RETURN_IF_ERROR(flush_held());
      walker.AddNote(Note::Kind::kCorrupt, uint64_t(la.archive_read_header_position(a)),
                     fmt::format("{}: {}: the rest of the archive is not readable", kind.name,
                                 msg ? msg : "corrupt header"));
      return uint64_t{0};
    }
    consecutive_failures = 0;
    if (kind.sequential && source.stream == nullptr) {
      // The entries before this header were read: their pages of a mapped image can go.
      constexpr uint64_t kReleaseStep = 16 << 20;
      la_int64_t header = la.archive_read_header_position(a);
      if (header > 0 && uint64_t(header) <= source.view.size() &&
          uint64_t(header) >= released + kReleaseStep) {
        walker.DoneWith(source.view.subspan(size_t(released), size_t(uint64_t(header) - released)));
        released = uint64_t(header);
      }
    }

    ++entries;
    Node node;
    node.type = TypeOf(la, entry);
    if (!EntryNames(la, entry, &node)) {
      // libarchive could not convert the stored name (UTF-16 that is not valid Unicode in a
      // 7z or Joliet name): keep the entry under a made-up name rather than lose it.
      node.path = fmt::format("unnamed-entry-{}", entries);
      walker.AddNote(
          Note::Kind::kCorrupt, uint64_t(la.archive_read_header_position(a)),
          fmt::format("{}: entry {}: its stored name is not valid in its charset and cannot be "
                      "converted to UTF-8; kept as /{}",
                      kind.name, entries, node.path));
    }
    node.mode = uint32_t(la.archive_entry_perm(entry)) & 07777;
    node.uid = uint32_t(la.archive_entry_uid(entry));
    node.gid = uint32_t(la.archive_entry_gid(entry));
    node.mtime = la.archive_entry_mtime(entry);
    node.size = la.archive_entry_size_is_set(entry) ? uint64_t(la.archive_entry_size(entry)) : 0;
    if (node.type == NodeType::kCharDevice || node.type == NodeType::kBlockDevice) {
      node.dev_major = uint32_t(la.archive_entry_rdevmajor(entry));
      node.dev_minor = uint32_t(la.archive_entry_rdevminor(entry));
    }
    if (node.type == NodeType::kFile && node.size == 0 && la.archive_entry_nlink(entry) > 1 &&
        held.size() < 100000) {
      held[node.path] = std::move(node);
      continue;
    }
    std::optional<Node> relinked;
    if (node.type == NodeType::kHardLink && node.size > 0) {
      if (auto it = held.find(node.link_target); it != held.end()) {
        relinked = std::move(it->second);
        held.erase(it);
        relinked->type = NodeType::kHardLink;
        relinked->link_target = node.path;
        node.type = NodeType::kFile;
        node.link_target.clear();
      }
    }
    if (node.type == NodeType::kFile) {
      EntryReader reader(a, source, node.size, walker, kind.compressed_entries);
      Status s = walker.AddNode(std::move(node), &reader);
      if (!s.ok()) {
        if (s.error().code() != ErrorCode::kLimitExceeded || walker.CheckContinue().ok() == false) {
          return s.error();
        }
      }
    } else {
      CLEARBOX_RETURN_IF_ERROR(walker.AddNode(std::move(node), nullptr));
    }
    if (relinked) CLEARBOX_RETURN_IF_ERROR(walker.AddNode(std::move(*relinked), nullptr));
  }
  CLEARBOX_RETURN_IF_ERROR(flush_held());
  // Bytes the format consumed (libarchive skips the rest of an entry nobody read).
  la_int64_t consumed = la.archive_filter_bytes(a, 0);
  return consumed > 0 ? uint64_t(consumed) : 0;
}

Result<ArchivePtr> NewArchive(const ArchiveKind& kind, ArchiveSource& source) {
  CLEARBOX_ASSIGN_OR_RETURN(source.la, LoadLibArchive());
  const LibArchive& la = *source.la;
  ArchivePtr a(la.archive_read_new(), ArchiveDeleter{&la});
  if (!a) return Error::Internal("archive_read_new failed");
  if ((la.*kind.enable)(a.get()) != ARCHIVE_OK) {
    return Error::Internal(fmt::format("libarchive lacks {} support", kind.name));
  }
  InstallArchiveCallbacks(a.get(), &source);
  int opened;
  {
    ScopedUtf8Locale utf8;  // libarchive may settle its name charset while opening
    opened = la.archive_read_open1(a.get());
  }
  if (opened != ARCHIVE_OK) {
    if (source.error) return *source.error;
    const char* msg = la.archive_error_string(a.get());
    return Error::InvalidInput(
        fmt::format("{}: {}", kind.name, msg != nullptr ? msg : "cannot open"));
  }
  return a;
}

Result<uint64_t> OpenArchive(const ArchiveKind& kind, ByteView container, Walker& walker) {
  ArchiveSource source;
  source.view = container;
  source.chunk = kind.compressed_entries ? kRatioChunk : 0;
  CLEARBOX_ASSIGN_OR_RETURN(ArchivePtr a, NewArchive(kind, source));
  return WalkArchive(a.get(), source, kind, walker);
}

Result<uint64_t> OpenArchiveStream(const ArchiveKind& kind, ContentReader& stream, Walker& walker) {
  ArchiveSource source;
  source.stream = &stream;
  CLEARBOX_ASSIGN_OR_RETURN(ArchivePtr a, NewArchive(kind, source));
  return WalkArchive(a.get(), source, kind, walker);
}

// ---- tar

const ArchiveKind kTar{"tar", &LibArchive::archive_read_support_format_tar, false, true};

uint64_t ParseOctal(ByteView field, bool* ok) {
  uint64_t v = 0;
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  size_t digits = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i, ++digits) {
    v = v * 8 + (field[i] - '0');
  }
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') *ok = false;
  }
  if (digits == 0 || digits > 11) *ok = false;
  return v;
}

std::optional<Match> ProbeTar(ByteView d) {
  if (d.size() < 512) return std::nullopt;
  // "ustar\0" + "00" (POSIX) or "ustar  \0" (GNU).
  if (std::memcmp(d.data() + 257, "ustar", 5) != 0) return std::nullopt;
  bool ok = true;
  uint64_t stored = ParseOctal(d.subspan(148, 8), &ok);
  if (!ok) return std::nullopt;
  uint64_t sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : d[i];
  if (sum != stored) return std::nullopt;
  return Match{};
}
Result<uint64_t> OpenTar(ByteView c, const Match&, Walker& w) { return OpenArchive(kTar, c, w); }
Result<uint64_t> OpenTarStream(ContentReader& s, const Match&, Walker& w) {
  return OpenArchiveStream(kTar, s, w);
}

// ---- cpio

const ArchiveKind kCpio{"cpio", &LibArchive::archive_read_support_format_cpio, false, true};

bool AllOf(ByteView b, bool (*pred)(uint8_t)) { return std::all_of(b.begin(), b.end(), pred); }
bool IsHex(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsOctal(uint8_t c) { return c >= '0' && c <= '7'; }

std::optional<Match> ProbeCpio(ByteView d) {
  if (d.size() >= 110 &&
      (std::memcmp(d.data(), "070701", 6) == 0 || std::memcmp(d.data(), "070702", 6) == 0)) {
    // newc / crc: 13 fields of 8 hex digits; namesize (field 12) includes the NUL.
    if (!AllOf(d.subspan(6, 104), IsHex)) return std::nullopt;
    uint64_t namesize = std::stoull(std::string(AsChars(d.subspan(94, 8))), nullptr, 16);
    if (namesize == 0 || namesize > 4096 || !FitsIn(d, 110, namesize)) return std::nullopt;
    if (d[110 + namesize - 1] != '\0') return std::nullopt;
    return Match{0, 0, d[5] == '1' ? "newc" : "crc"};
  }
  if (d.size() >= 76 && std::memcmp(d.data(), "070707", 6) == 0) {
    if (!AllOf(d.subspan(6, 70), IsOctal)) return std::nullopt;
    uint64_t namesize = std::stoull(std::string(AsChars(d.subspan(59, 6))), nullptr, 8);
    if (namesize == 0 || namesize > 4096 || !FitsIn(d, 76, namesize)) return std::nullopt;
    if (d[76 + namesize - 1] != '\0') return std::nullopt;
    return Match{0, 0, "odc"};
  }
  return std::nullopt;
}
// The first newc header whose name libarchive could not read: one over 4 KiB or past the end.
// libarchive reserves a read-ahead buffer of the claimed size (up to 4 GiB) before it meets
// the end of the data, so such a header must not reach it. The walk is libarchive 3.6's own
// (find_newc_header: the same resync steps over junk, which skip some magics; name padded to
// 4, data padded to 4, the exact name "TRAILER!!!" ends the archive), so it meets the headers
// libarchive meets. odc sizes are 6 octal digits (256 KiB) and symlink targets are capped at 1 MiB
// by libarchive itself: neither needs a guard.
struct CpioFault {
  uint64_t offset = 0;
  uint64_t name_size = 0;
};
std::optional<CpioFault> FindHostileNewcHeader(ByteView d) {
  constexpr uint64_t kHeader = 110;
  const auto is_header = [&](uint64_t at) {
    return std::memcmp(d.data() + at, "07070", 5) == 0 && (d[at + 5] == '1' || d[at + 5] == '2') &&
           AllOf(d.subspan(at, kHeader), IsHex);
  };
  const auto hex_field = [&](uint64_t at, size_t offset) {
    return std::stoull(std::string(AsChars(d.subspan(at + offset, 8))), nullptr, 16);
  };
  uint64_t at = 0;
  while (at + kHeader <= d.size()) {
    if (!is_header(at)) {
      // libarchive's scan: step 2 past a '1'/'2' that is no header, 1 past a '0', else 6.
      const uint8_t c = d[at + 5];
      at += (c == '1' || c == '2') ? 2 : c == '0' ? 1 : 6;
      continue;
    }
    const uint64_t name_size = hex_field(at, 94);
    const uint64_t data_size = hex_field(at, 54);
    if (name_size > 4096 || name_size > d.size() - at - kHeader) return CpioFault{at, name_size};
    // libarchive compares the NUL too: "TRAILER!!!0" is no end.
    const std::string_view name(AsChars(d.subspan(at + kHeader, name_size)));
    if (name == std::string_view("TRAILER!!!\0", 11)) return std::nullopt;
    at += (kHeader + name_size + 3) & ~uint64_t{3};
    at += (data_size + 3) & ~uint64_t{3};
  }
  return std::nullopt;
}

Result<uint64_t> OpenCpio(ByteView c, const Match&, Walker& w) {
  if (c.size() >= 6 && std::memcmp(c.data(), "070707", 6) != 0) {  // newc or crc
    if (std::optional<CpioFault> fault = FindHostileNewcHeader(c)) {
      w.AddNote(Note::Kind::kCorrupt, fault->offset,
                fmt::format("cpio: the header at {} claims a name of {} bytes, past the end of "
                            "the archive; the archive is read up to that header",
                            HexOffset(fault->offset), fault->name_size));
      c = c.first(fault->offset);
    }
  }
  return OpenArchive(kCpio, c, w);
}

// ---- zip

const ArchiveKind kZip{"zip", &LibArchive::archive_read_support_format_zip_seekable, true};
const ArchiveKind kZipStreamable{"zip", &LibArchive::archive_read_support_format_zip_streamable,
                                 true};

std::optional<Match> ProbeZip(ByteView d) {
  // Local file header: version needed, flags, method, ..., name length, extra length.
  if (d.size() < 30) return std::nullopt;
  uint16_t version = LoadLE16(d.data() + 4);
  uint16_t method = LoadLE16(d.data() + 8);
  uint16_t name_len = LoadLE16(d.data() + 26);
  // The low byte is the spec version (some writers put the host OS in the high byte).
  if ((version & 0xff) > 100 || name_len == 0 || name_len > 4096) return std::nullopt;
  static constexpr uint16_t kMethods[] = {0, 1, 6, 8, 9, 12, 14, 93, 95, 98, 99};
  if (std::find(std::begin(kMethods), std::end(kMethods), method) == std::end(kMethods)) {
    return std::nullopt;
  }
  if (!FitsIn(d, 30, name_len)) return std::nullopt;
  // The archive ends with its end-of-central-directory record: the first one whose
  // central directory lies inside [start, record) is ours.
  Match m;
  m.hint = 0;  // no EOCD: read the local headers one after another (streamable)
  std::string_view text = AsChars(d);
  for (size_t pos = text.find("PK\x05\x06", 30); pos != std::string_view::npos;
       pos = text.find("PK\x05\x06", pos + 4)) {
    if (!FitsIn(d, pos, 22)) break;
    uint32_t cd_size = LoadLE32(d.data() + pos + 12);
    uint32_t cd_offset = LoadLE32(d.data() + pos + 16);
    uint16_t comment = LoadLE16(d.data() + pos + 20);
    if (uint64_t(cd_offset) + cd_size == pos && FitsIn(d, pos + 22, comment)) {
      m.length = pos + 22 + comment;
      m.hint = 1;
      break;
    }
  }
  return m;
}
Result<uint64_t> OpenZip(ByteView c, const Match& m, Walker& w) {
  return OpenArchive(m.hint == 1 ? kZip : kZipStreamable, c, w);
}

// ---- 7z

const ArchiveKind kSevenZip{"7z", &LibArchive::archive_read_support_format_7zip, true};

std::optional<Match> ProbeSevenZip(ByteView d) {
  // Signature header: magic(6) version(2) start-header CRC(4) next header offset(8),
  // size(8), CRC(4); the CRC covers the 20 bytes after it.
  if (d.size() < 32 || d[6] != 0) return std::nullopt;
  if (Crc32(d.subspan(12, 20)) != LoadLE32(d.data() + 8)) return std::nullopt;
  uint64_t next_offset = LoadLE64(d.data() + 12);
  uint64_t next_size = LoadLE64(d.data() + 20);
  if (next_offset > (uint64_t(1) << 48) || next_size > (uint64_t(1) << 32)) return std::nullopt;
  return Match{32 + next_offset + next_size, 0, ""};
}
Result<uint64_t> OpenSevenZip(ByteView c, const Match&, Walker& w) {
  return OpenArchive(kSevenZip, c, w);
}

// ---- ISO 9660

const ArchiveKind kIso{"iso9660", &LibArchive::archive_read_support_format_iso9660, false};

std::optional<Match> ProbeIso(ByteView d) {
  // Volume descriptors from sector 16: type(1) "CD001" version(1); the primary one (type 1)
  // holds the volume size in blocks (LE32 at 80) and the block size (LE16 at 128).
  constexpr size_t kFirst = 16 * 2048;
  for (size_t i = 0; i < 32; ++i) {
    size_t at = kFirst + i * 2048;
    if (!FitsIn(d, at, 2048)) return std::nullopt;
    if (std::memcmp(d.data() + at + 1, "CD001", 5) != 0 || d[at + 6] != 1) return std::nullopt;
    uint8_t type = d[at];
    if (type == 255) return std::nullopt;  // terminator before a primary descriptor
    if (type != 1) continue;
    uint64_t blocks = LoadLE32(d.data() + at + 80);
    uint64_t block_size = LoadLE16(d.data() + at + 128);
    if (block_size != 512 && block_size != 1024 && block_size != 2048) return std::nullopt;
    return Match{blocks * block_size, 0, ""};
  }
  return std::nullopt;
}
Result<uint64_t> OpenIso(ByteView c, const Match&, Walker& w) { return OpenArchive(kIso, c, w); }

}  // namespace

extern const FormatHandler kTarFormat = {.name = "tar",
                                         .magics = {{"ustar", 257}},
                                         .flags = kFormatFilesystem,
                                         .probe = ProbeTar,
                                         .open = OpenTar,
                                         .open_stream = OpenTarStream};
extern const FormatHandler kCpioFormat = {.name = "cpio",
                                          .magics = {{"070701", 0}, {"070702", 0}, {"070707", 0}},
                                          .flags = kFormatFilesystem,
                                          .probe = ProbeCpio,
                                          .open = OpenCpio,
                                          // No stream mode: a cpio.gz is spilled, so that
                                          // FindHostileCpioHeader sees every header first.
                                          .open_stream = nullptr};
extern const FormatHandler kZipFormat = {.name = "zip",
                                         .magics = {{"PK\x03\x04", 0}},
                                         .flags = kFormatFilesystem,
                                         .probe = ProbeZip,
                                         .open = OpenZip};
extern const FormatHandler kSevenZipFormat = {.name = "7z",
                                              .magics = {{"7z\xbc\xaf\x27\x1c", 0}},
                                              .flags = kFormatFilesystem,
                                              .probe = ProbeSevenZip,
                                              .open = OpenSevenZip};
extern const FormatHandler kIso9660Format = {.name = "iso9660",
                                             .magics = {{"CD001", 0x8001}},
                                             .flags = kFormatFilesystem,
                                             .probe = ProbeIso,
                                             .open = OpenIso};

}  // namespace clearbox::unpack::internal
