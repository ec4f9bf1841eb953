// The directory backend's write-ahead journal (see storage_dir_journal.h).
#include "storage_dir_journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <filesystem>

#include "clearbox/core/digest.h"
#include "clearbox/core/file.h"
#include "clearbox/core/thread_name.h"

namespace clearbox::tlog::internal {
namespace {

namespace fs = std::filesystem;

constexpr uint8_t kMagic[4] = {'C', 'B', 'J', '2'};
constexpr size_t kHeaderSize = 4 + 4 + 8 + 4;
// A batch is at most batch_max_entries entries of at most 64 KiB plus their tiles; anything
// claiming more is damage, not a record.
constexpr uint64_t kMaxRecordPayload = uint64_t(4) << 30;

std::string FileName(uint64_t seq) {
  char name[17];
  std::snprintf(name, sizeof name, "%016" PRIx64, seq);
  return name;
}

// The sequence numbers of the journal files in `dir`, ascending. Other names are ignored.
Result<std::vector<uint64_t>> ListJournalFiles(const std::string& dir) {
  std::vector<uint64_t> seqs;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() != 16 || !std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        })) {
      continue;
    }
    seqs.push_back(std::stoull(name, nullptr, 16));
  }
  if (ec) return Error::Io("list " + dir + ": " + ec.message());
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

Status SyncFilesystem(int fd, const std::string& what) {
  if (::syncfs(fd) != 0) return Error::FromErrno("syncfs", what, errno);
  return Status::Ok();
}

// Retires a journal file whose tile files are all written: syncfs makes them durable (skipped
// when `sync` is false: nothing to make durable), then the file goes. Closes `fd` in any case;
// on an error the file stays, for the next open to replay.
Status RetireFile(UniqueFd fd, const std::string& path, bool sync) {
  Status synced = sync ? SyncFilesystem(fd.get(), path) : Status::Ok();
  fd.Reset();
  CLEARBOX_RETURN_IF_ERROR(synced);
  if (::unlink(path.c_str()) != 0) return Error::FromErrno("remove", path, errno);
  return Status::Ok();
}

}  // namespace

void EncodeJournalRecord(std::string_view checkpoint, std::span<const TileData> tiles, Bytes& out) {
  const size_t start = out.size();
  out.resize(start + kHeaderSize + 4);
  StoreBE32(out.data() + start + kHeaderSize, static_cast<uint32_t>(checkpoint.size()));
  out.insert(out.end(), checkpoint.begin(), checkpoint.end());
  for (const TileData& t : tiles) {
    uint8_t lengths[4];
    StoreBE16(lengths, static_cast<uint16_t>(t.path.size()));
    out.insert(out.end(), lengths, lengths + 2);
    out.insert(out.end(), t.path.begin(), t.path.end());
    StoreBE32(lengths, static_cast<uint32_t>(t.data.size()));
    out.insert(out.end(), lengths, lengths + 4);
    out.insert(out.end(), t.data.begin(), t.data.end());
  }
  uint8_t* header = out.data() + start;
  const uint64_t payload = out.size() - start - kHeaderSize;
  std::memcpy(header, kMagic, 4);
  StoreBE32(header + 4, static_cast<uint32_t>(tiles.size()));
  StoreBE64(header + 8, payload);
  StoreBE32(header + 16, Crc32(ByteView(out.data() + start + kHeaderSize, payload)));
}

Result<JournalScan> ScanJournal(ByteView file, const std::function<Status(JournalRecord)>& visit) {
  JournalScan parsed;
  ByteReader r(file);
  while (!r.empty()) {
    const uint64_t at = r.position();
    auto damage = [&](const std::string& what) {
      parsed.damage = "record at offset " + std::to_string(at) + ": " + what;
    };
    auto magic = r.Read(4);
    if (!magic || std::memcmp(magic->data(), kMagic, 4) != 0) {
      damage(magic ? "bad magic" : "truncated header");
      break;
    }
    auto count = r.ReadBE32();
    auto length = r.ReadBE64();
    auto crc = r.ReadBE32();
    if (!count || !length || !crc) {
      damage("truncated header");
      break;
    }
    if (*length > kMaxRecordPayload || *length > r.remaining()) {
      damage("payload of " + std::to_string(*length) + " bytes, " + std::to_string(r.remaining()) +
             " left in the file (torn)");
      break;
    }
    ByteView payload = *r.Read(static_cast<size_t>(*length));
    if (Crc32(payload) != *crc) {
      damage("checksum mismatch (torn)");
      break;
    }
    JournalRecord record;
    ByteReader p(payload);
    std::string bad;
    auto checkpoint_len = p.ReadBE32();
    auto checkpoint = checkpoint_len ? p.Read(*checkpoint_len) : std::nullopt;
    if (!checkpoint) {
      damage("checkpoint truncated");
      break;
    }
    record.checkpoint.assign(reinterpret_cast<const char*>(checkpoint->data()), checkpoint->size());
    for (uint32_t i = 0; i < *count && bad.empty(); ++i) {
      auto path_len = p.ReadBE16();
      auto path = path_len ? p.Read(*path_len) : std::nullopt;
      auto data_len = path ? p.ReadBE32() : std::nullopt;
      auto data = data_len ? p.Read(*data_len) : std::nullopt;
      if (!data) {
        bad = "tile " + std::to_string(i) + " truncated";
        break;
      }
      std::string name(reinterpret_cast<const char*>(path->data()), path->size());
      auto id = ParseTilePath(name);
      if (!id.ok()) {
        bad = "tile " + std::to_string(i) + ": " + id.error().message();
        break;
      }
      record.tiles.push_back(
          TileData{id->tile, std::move(name), Bytes(data->begin(), data->end())});
    }
    if (bad.empty() && !p.empty()) bad = "trailing bytes after the tiles";
    if (!bad.empty()) {
      damage(bad);
      break;
    }
    CLEARBOX_RETURN_IF_ERROR(visit(std::move(record)));
    parsed.valid_bytes = r.position();
  }
  return parsed;
}

ParsedJournal ParseJournal(ByteView file) {
  ParsedJournal parsed;
  auto scan = ScanJournal(file, [&](JournalRecord record) {
    parsed.records.push_back(std::move(record));
    return Status::Ok();
  });
  parsed.valid_bytes = scan->valid_bytes;  // the visitor never fails
  parsed.damage = std::move(scan->damage);
  return parsed;
}

Result<std::unique_ptr<TileJournal>> TileJournal::Open(const std::string& log_dir,
                                                       const JournalReplayTarget& target,
                                                       std::function<void(const std::string&)> log,
                                                       uint64_t limit) {
  const std::string dir = log_dir + "/journal";
  CLEARBOX_RETURN_IF_ERROR(MakeDirectories(dir));
  std::unique_ptr<TileJournal> journal(new TileJournal(dir, limit));
  CLEARBOX_ASSIGN_OR_RETURN(std::vector<uint64_t> seqs, ListJournalFiles(dir));
  std::string newest_checkpoint;
  for (uint64_t seq : seqs) {
    const std::string path = dir + "/" + FileName(seq);
    // Mapped, and replayed one record at a time: a full journal file is hundreds of MiB.
    CLEARBOX_ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(path));
    auto replay = [&](JournalRecord record) -> Status {
      // Every tile again, superseded partials included: the checkpoint recovery starts from
      // may be older than the full tile that superseded them.
      for (const TileData& t : record.tiles) CLEARBOX_RETURN_IF_ERROR(target.write_tile(t));
      if (!record.checkpoint.empty()) newest_checkpoint = std::move(record.checkpoint);
      ++journal->replayed_records_;
      return Status::Ok();
    };
    CLEARBOX_ASSIGN_OR_RETURN(JournalScan parsed, ScanJournal(mapped->bytes(), replay));
    if (!parsed.damage.empty() && log) {
      log("journal " + path + ": " + parsed.damage +
          "; the batch it held was never acknowledged and is dropped");
    }
    journal->seq_ = seq + 1;
  }
  if (!newest_checkpoint.empty()) {
    CLEARBOX_RETURN_IF_ERROR(target.offer_checkpoint(newest_checkpoint));
  }
  if (!seqs.empty()) {
    // The replayed tiles must be durable before the journal that restores them goes.
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return Error::FromErrno("open", dir, errno);
    CLEARBOX_RETURN_IF_ERROR(SyncFilesystem(fd.get(), dir));
    for (uint64_t seq : seqs) {
      const std::string path = dir + "/" + FileName(seq);
      if (::unlink(path.c_str()) != 0) return Error::FromErrno("remove", path, errno);
    }
    if (log && journal->replayed_records_ > 0) {
      log("journal: replayed " + std::to_string(journal->replayed_records_) +
          " batches of tiles written before the last stop");
    }
  }
  CLEARBOX_RETURN_IF_ERROR(journal->StartFile());
  return journal;
}

TileJournal::~TileJournal() {
  if (retiring_.valid()) (void)retiring_.get();
}

Status TileJournal::StartFile() {
  const std::string path = dir_ + "/" + FileName(seq_);
  fd_ = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644));
  if (!fd_.valid()) return Error::FromErrno("create", path, errno);
  size_ = 0;
  // The new file's name must be durable before a record in it counts as durable.
  return SyncDirectory(dir_);
}

Status TileJournal::Append(std::string_view checkpoint, std::span<const TileData> tiles) {
  CLEARBOX_RETURN_IF_ERROR(Write(checkpoint, tiles));
  return Sync();
}

Status TileJournal::Write(std::string_view checkpoint, std::span<const TileData> tiles) {
  if (!fd_.valid()) return Error::Io(dir_ + ": the journal is closed after an earlier error");
  buffer_.clear();
  EncodeJournalRecord(checkpoint, tiles, buffer_);
  CLEARBOX_RETURN_IF_ERROR(WriteAll(fd_.get(), buffer_, dir_ + "/" + FileName(seq_)));
  size_ += buffer_.size();
  if (buffer_.capacity() > (uint64_t(64) << 20)) Bytes().swap(buffer_);  // an outsized batch
  return Status::Ok();
}

Status TileJournal::Sync() {
  if (!fd_.valid()) return Error::Io(dir_ + ": the journal is closed after an earlier error");
  if (::fdatasync(fd_.get()) != 0)
    return Error::FromErrno("fdatasync", dir_ + "/" + FileName(seq_), errno);
  ++appended_;
  return Status::Ok();
}

Status TileJournal::Close() {
  if (!fd_.valid()) return Error::Io(dir_ + ": the journal is closed after an earlier error");
  Status retired = retiring_.valid() ? retiring_.get() : Status::Ok();
  UniqueFd fd = std::move(fd_);
  if (!retired.ok()) return retired;
  return RetireFile(std::move(fd), dir_ + "/" + FileName(seq_), size_ > 0);
}

Status TileJournal::Rotate(std::string_view checkpoint) {
  // One retirement at a time; its error means tiles may not be durable: stop here.
  if (retiring_.valid()) CLEARBOX_RETURN_IF_ERROR(retiring_.get());
  UniqueFd old_fd = std::move(fd_);
  const std::string old_path = dir_ + "/" + FileName(seq_);
  ++seq_;
  CLEARBOX_RETURN_IF_ERROR(StartFile());
  // The new file starts with the published checkpoint, durable before the old file (which
  // held the last durable copy) can go: the checkpoint file itself is replaced without fsync.
  CLEARBOX_RETURN_IF_ERROR(Append(checkpoint, {}));
  // The old journal covers tile files written to the page cache only; once syncfs has made
  // them durable it is no longer needed. The caller has written the files of every batch in
  // it (see Rotate in the header).
  retiring_ = std::async(std::launch::async, [fd = std::move(old_fd), old_path]() mutable {
    NameThisThread("cb-retire");
    return RetireFile(std::move(fd), old_path, true);
  });
  return Status::Ok();
}

}  // namespace clearbox::tlog::internal
