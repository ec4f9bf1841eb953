// VulnDb::Import: OSV and NVD documents from files, directories, zip archives and gzip
// streams into a new copy of the database, renamed over the old one when every source read.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "clearbox/core/bytes.h"
#include "clearbox/core/file.h"
#include "clearbox/core/progress.h"
#include "clearbox/inventory/vulndb.h"
#include "vulndb_internal.h"

namespace clearbox::inventory {
namespace {

namespace fs = std::filesystem;
using vulndb::ParsedAdvisory;
using vulndb::Statement;

constexpr size_t kMaxProblems = 10000;

// A gzip (or zlib) stream as an istream buffer: NVD's .json.gz feeds are parsed while they
// are decompressed. Concatenated gzip members are read one after the other.
class GzipStreambuf : public std::streambuf {
 public:
  GzipStreambuf(int fd, std::string path) : fd_(fd), path_(std::move(path)) {
    if (inflateInit2(&zs_, 15 + 32) != Z_OK) error_ = "zlib cannot start";
  }
  ~GzipStreambuf() override { inflateEnd(&zs_); }
  // Empty when the stream was whole.
  const std::string& error() const { return error_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    while (error_.empty() && !finished_) {
      if (zs_.avail_in == 0) {
        ssize_t n = ::read(fd_, in_, sizeof in_);
        if (n < 0) {
          if (errno == EINTR) continue;
          error_ = Error::FromErrno("read", path_, errno).message();
          break;
        }
        if (n == 0) {
          if (!member_ended_) error_ = path_ + ": gzip stream is truncated";
          finished_ = true;
          break;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(in_);
        zs_.avail_in = static_cast<uInt>(n);
      }
      if (member_ended_) {
        // Another member follows the one that ended.
        if (inflateReset(&zs_) != Z_OK) error_ = path_ + ": gzip member cannot restart";
        member_ended_ = false;
      }
      zs_.next_out = reinterpret_cast<Bytef*>(out_);
      zs_.avail_out = sizeof out_;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_ended_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        error_ = path_ + ": gzip data is corrupt at compressed byte " +
                 std::to_string(zs_.total_in) + (zs_.msg ? std::string(" (") + zs_.msg + ")" : "");
        break;
      }
      size_t produced = sizeof out_ - zs_.avail_out;
      if (produced > 0) {
        setg(out_, out_, out_ + produced);
        return traits_type::to_int_type(*gptr());
      }
    }
    return traits_type::eof();
  }

 private:
  int fd_;
  std::string path_;
  z_stream zs_{};
  char in_[1 << 16];
  char out_[1 << 18];
  std::string error_;
  bool finished_ = false;
  bool member_ended_ = false;
};

// One entry of a zip archive's central directory.
struct ZipEntry {
  std::string name;
  uint16_t method = 0;
  uint32_t crc = 0;
  uint64_t compressed = 0, uncompressed = 0, local_offset = 0;
};

Error ZipError(const std::string& path, uint64_t offset, std::string_view what) {
  return Error::InvalidInput(path + ": zip " + std::string(what) + " at byte " +
                             std::to_string(offset));
}

// The central directory (zip and zip64: OSV's all.zip holds more than 65535 entries).
Result<std::vector<ZipEntry>> ReadZipDirectory(ByteView zip, const std::string& path) {
  constexpr uint32_t kEocd = 0x06054b50, kEocd64 = 0x06064b50, kLocator64 = 0x07064b50,
                     kCentral = 0x02014b50;
  if (zip.size() < 22) return ZipError(path, 0, "end of central directory missing");
  size_t eocd = SIZE_MAX;
  const size_t lowest = zip.size() > 22 + 65535 ? zip.size() - 22 - 65535 : 0;
  for (size_t p = zip.size() - 22 + 1; p-- > lowest;) {
    if (LoadLE32(zip.data() + p) == kEocd) {
      eocd = p;
      break;
    }
  }
  if (eocd == SIZE_MAX) return ZipError(path, zip.size(), "end of central directory missing");
  uint64_t count = LoadLE16(zip.data() + eocd + 10);
  uint64_t cd_size = LoadLE32(zip.data() + eocd + 12);
  uint64_t cd_offset = LoadLE32(zip.data() + eocd + 16);
  if (eocd >= 20 && LoadLE32(zip.data() + eocd - 20) == kLocator64) {
    uint64_t at = LoadLE64(zip.data() + eocd - 20 + 8);
    if (!FitsIn(zip, at, 56) || LoadLE32(zip.data() + at) != kEocd64) {
      return ZipError(path, at, "zip64 end of central directory missing");
    }
    count = LoadLE64(zip.data() + at + 32);
    cd_size = LoadLE64(zip.data() + at + 40);
    cd_offset = LoadLE64(zip.data() + at + 48);
  }
  if (!FitsIn(zip, cd_offset, cd_size)) return ZipError(path, cd_offset, "central directory");
  if (count > vulndb::kMaxZipEntries) {
    return Error::LimitExceeded(path + ": zip holds " + std::to_string(count) + " entries");
  }
  std::vector<ZipEntry> entries;
  ByteReader cd(zip.subspan(cd_offset, cd_size), cd_offset);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = cd.absolute_offset();
    auto header = cd.Read(46);
    if (!header || LoadLE32(header->data()) != kCentral) {
      return ZipError(path, at, "central directory entry " + std::to_string(i));
    }
    const uint8_t* h = header->data();
    ZipEntry e;
    e.method = LoadLE16(h + 10);
    e.crc = LoadLE32(h + 16);
    e.compressed = LoadLE32(h + 20);
    e.uncompressed = LoadLE32(h + 24);
    e.local_offset = LoadLE32(h + 42);
    auto name = cd.Read(LoadLE16(h + 28));
    auto extra = cd.Read(LoadLE16(h + 30));
    if (!name || !extra || !cd.Skip(LoadLE16(h + 32))) {
      return ZipError(path, at, "central directory entry " + std::to_string(i));
    }
    e.name = std::string(AsChars(*name));
    // zip64 sizes and offset, in this order, for the fields that hold 0xFFFFFFFF.
    ByteReader x(*extra);
    while (x.remaining() >= 4) {
      uint16_t id = *x.ReadLE16(), len = *x.ReadLE16();
      auto body = x.Read(len);
      if (!body) break;
      if (id != 0x0001) continue;
      ByteReader z(*body);
      for (uint64_t* field : {&e.uncompressed, &e.compressed, &e.local_offset}) {
        if (*field != 0xFFFFFFFFu) continue;
        if (auto v = z.ReadLE64()) *field = *v;
      }
    }
    entries.push_back(std::move(e));
  }
  return entries;
}

// The bytes of one entry, decompressed and checked against its CRC.
Result<std::string> ReadZipEntry(ByteView zip, const ZipEntry& e, const std::string& where) {
  constexpr uint32_t kLocal = 0x04034b50;
  if (!FitsIn(zip, e.local_offset, 30) || LoadLE32(zip.data() + e.local_offset) != kLocal) {
    return ZipError(where, e.local_offset, "local header");
  }
  const uint8_t* h = zip.data() + e.local_offset;
  uint64_t data = e.local_offset + 30 + LoadLE16(h + 26) + LoadLE16(h + 28);
  if (!FitsIn(zip, data, e.compressed)) return ZipError(where, data, "entry data");
  if (e.uncompressed > vulndb::kMaxDocumentBytes) {
    return Error::LimitExceeded(where + ": " + std::to_string(e.uncompressed) +
                                " bytes decompressed, over the limit");
  }
  ByteView in = zip.subspan(data, e.compressed);
  std::string out;
  if (e.method == 0) {
    out.assign(AsChars(in));
  } else if (e.method == 8) {
    out.resize(e.uncompressed);
    z_stream zs{};
    if (inflateInit2(&zs, -15) != Z_OK) return Error::Internal("zlib cannot start");
    // zlib counts in uInt; the limit above keeps both sizes under 4 GiB... but `in` may not be.
    zs.next_in = const_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(std::min<uint64_t>(in.size(), UINT32_MAX));
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = inflate(&zs, Z_FINISH);
    const uint64_t produced = zs.total_out;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || produced != e.uncompressed) {
      return ZipError(where, data, "deflate data is corrupt or its size is not the stated one");
    }
  } else {
    return Error::Unsupported(where + ": zip compression method " + std::to_string(e.method));
  }
  uLong crc = crc32_z(0, reinterpret_cast<const Bytef*>(out.data()), out.size());
  if (crc != e.crc) return ZipError(where, data, "CRC mismatch");
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    char c = s[s.size() - suffix.size() + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

bool IsFeedName(std::string_view name) {
  return EndsWith(name, ".json") || EndsWith(name, ".json.gz") || EndsWith(name, ".zip");
}

// Control characters become spaces: list items are stored one per line.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return s;
}

std::string EncodeLines(const std::vector<std::string>& items) {
  std::vector<std::string> clean;
  for (const std::string& s : items) clean.push_back(OneLine(s));
  return vulndb::EncodeList(clean);
}

std::string EncodeRatings(const std::vector<Rating>& ratings) {
  nlohmann::json a = nlohmann::json::array();
  for (const Rating& r : ratings) {
    a.push_back({{"source", r.source},
                 {"score", r.score},
                 {"severity", r.severity},
                 {"method", r.method},
                 {"vector", r.vector}});
  }
  // Invalid UTF-8 from a feed is replaced rather than refused.
  return a.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class Importer {
 public:
  Importer(sqlite3* db, Progress* progress) : db_(db), progress_(progress) {}

  Status Prepare() {
    CLEARBOX_ASSIGN_OR_RETURN(find_, Statement::Prepare(db_,
                                                        "SELECT rowid, modified FROM advisory "
                                                        "WHERE source = ?1 AND id = ?2"));
    CLEARBOX_ASSIGN_OR_RETURN(delete_ranges_,
                              Statement::Prepare(db_, "DELETE FROM affected WHERE advisory = ?1"));
    CLEARBOX_ASSIGN_OR_RETURN(delete_advisory_,
                              Statement::Prepare(db_, "DELETE FROM advisory WHERE rowid = ?1"));
    CLEARBOX_ASSIGN_OR_RETURN(
        insert_advisory_,
        Statement::Prepare(db_,
                           "INSERT INTO advisory(source, id, modified, published, source_url, "
                           "summary, aliases, ratings, cwes, refs) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"));
    CLEARBOX_ASSIGN_OR_RETURN(
        insert_range_,
        Statement::Prepare(db_,
                           "INSERT INTO affected(advisory, kind, space, name, release, scheme, "
                           "events, versions, all_versions) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    return Status::Ok();
  }

  Status ImportSource(const std::string& source) {
    std::error_code ec;
    fs::file_status st = fs::status(source, ec);
    if (ec || !fs::exists(st)) return Error::NotFound(source + ": no such file or directory");
    if (!fs::is_directory(st)) return ImportFile(source);
    std::vector<std::string> files;
    for (fs::recursive_directory_iterator it(source, ec), end; !ec && it != end; it.increment(ec)) {
      // Broken links count too: a source that cannot be read fails the import.
      std::error_code type_ec;
      if (IsFeedName(it->path().filename().string()) && !it->is_directory(type_ec)) {
        files.push_back(it->path().string());
      }
    }
    if (ec) return Error::Io(source + ": cannot list: " + ec.message());
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) CLEARBOX_RETURN_IF_ERROR(ImportFile(f));
    return Status::Ok();
  }

  VulnDb::ImportStats TakeStats() { return std::move(stats_); }

 private:
  void Problem(std::string line) {
    ++stats_.skipped;
    if (stats_.problems.size() < kMaxProblems) {
      stats_.problems.push_back(std::move(line));
    } else if (stats_.problems.size() == kMaxProblems) {
      stats_.problems.push_back("... further problems are counted, not listed");
    }
  }

  Status ImportFile(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return Error::FromErrno("open", path, errno);
    uint8_t magic[4] = {};
    ssize_t n = ::pread(fd.get(), magic, sizeof magic, 0);
    if (n < 0) return Error::FromErrno("read", path, errno);
    if (progress_ != nullptr) progress_->SetDetail(fs::path(path).filename().string());
    if (n >= 4 && LoadLE32(magic) == 0x04034b50) return ImportZip(path);
    if (n >= 4 && LoadLE32(magic) == 0x06054b50) return ImportZip(path);  // an empty zip
    if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      GzipStreambuf buf(fd.get(), path);
      std::istream in(&buf);
      Status s = vulndb::ParseAdvisoryDocument(in, Sink(path));
      if (!buf.error().empty()) return Error::Io(buf.error());
      return Document(path, s);
    }
    // Documents that fit in memory are parsed from it (several times faster than from a
    // stream); larger ones, such as a whole NVD year, stream with a megabyte buffer.
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return Error::FromErrno("stat", path, errno);
    if (static_cast<uint64_t>(st.st_size) <= vulndb::kMaxDocumentBytes) {
      CLEARBOX_ASSIGN_OR_RETURN(std::string text,
                                ReadTextFile(path, vulndb::kMaxDocumentBytes));
      return Document(path, vulndb::ParseAdvisoryDocument(std::string_view(text), Sink(path)));
    }
    std::vector<char> buffer(1 << 20);
    std::ifstream in;
    in.rdbuf()->pubsetbuf(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    in.open(path, std::ios::binary);
    if (!in) return Error::FromErrno("open", path, errno);
    return Document(path, vulndb::ParseAdvisoryDocument(in, Sink(path)));
  }

  Status ImportZip(const std::string& path) {
    CLEARBOX_ASSIGN_OR_RETURN(auto mapped, MappedFile::Open(path));
    CLEARBOX_ASSIGN_OR_RETURN(std::vector<ZipEntry> entries,
                              ReadZipDirectory(mapped->bytes(), path));
    for (const ZipEntry& e : entries) {
      if (!EndsWith(e.name, ".json")) continue;
      const std::string where = path + "!" + e.name;
      Result<std::string> text = ReadZipEntry(mapped->bytes(), e, where);
      if (!text.ok()) {
        // A damaged archive fails the import; an entry clearbox cannot read is skipped.
        if (text.error().code() != ErrorCode::kUnsupported) return text.error();
        Problem(text.error().message());
        continue;
      }
      CLEARBOX_RETURN_IF_ERROR(
          Document(where, vulndb::ParseAdvisoryDocument(std::string_view(*text), Sink(where))));
    }
    return Status::Ok();
  }

  // A document that is not JSON, or not a feed, is skipped; an I/O error fails the import.
  Status Document(const std::string& where, const Status& parsed) {
    ++stats_.files;
    if (!store_error_.ok()) return store_error_;
    if (parsed.ok()) return Status::Ok();
    if (parsed.error().code() != ErrorCode::kInvalidInput) {
      return parsed.error().WithContext(where);
    }
    Problem(where + ": " + parsed.error().message());
    return Status::Ok();
  }

  vulndb::RecordSink Sink(const std::string& where) {
    return [this, where](Result<ParsedAdvisory> record) {
      if (!store_error_.ok()) return;
      if (!record.ok()) return Problem(where + ": " + record.error().message());
      if (progress_ != nullptr) progress_->Add(1, 0);
      Status s = Store(*record);
      if (!s.ok()) store_error_ = s;
    };
  }

  Status Store(const ParsedAdvisory& a) {
    const Vulnerability& v = a.vulnerability;
    find_.Reset();
    find_.Bind(1, v.source);
    find_.Bind(2, v.id);
    int rc = find_.Step();
    if (rc == SQLITE_ROW) {
      const int64_t rowid = find_.Int(0);
      // RFC 3339 times of one source compare as text.
      if (std::string(find_.Text(1)) > v.modified) {
        ++stats_.skipped;
        return Status::Ok();
      }
      for (Statement* del : {&delete_ranges_, &delete_advisory_}) {
        del->Reset();
        del->Bind(1, rowid);
        if (del->Step() != SQLITE_DONE) return vulndb::SqliteError(db_, "delete " + v.id);
      }
    } else if (rc != SQLITE_DONE) {
      return vulndb::SqliteError(db_, "look up " + v.id);
    }
    if (a.withdrawn) {
      ++stats_.skipped;
      return Status::Ok();
    }
    Statement& ins = insert_advisory_;
    ins.Reset();
    ins.Bind(1, v.source);
    ins.Bind(2, v.id);
    ins.Bind(3, v.modified);
    ins.Bind(4, v.published);
    ins.Bind(5, v.source_url);
    ins.Bind(6, v.summary);
    ins.Bind(7, EncodeLines(v.aliases));
    ins.Bind(8, EncodeRatings(v.ratings));
    ins.Bind(9, EncodeLines(v.cwes));
    ins.Bind(10, EncodeLines(v.references));
    if (ins.Step() != SQLITE_DONE) return vulndb::SqliteError(db_, "insert " + v.id);
    const int64_t rowid = sqlite3_last_insert_rowid(db_);
    for (const vulndb::AffectedRange& r : a.ranges) {
      Statement& ir = insert_range_;
      ir.Reset();
      ir.Bind(1, rowid);
      ir.Bind(2, static_cast<int64_t>(r.kind));
      ir.Bind(3, r.space);
      ir.Bind(4, r.name);
      ir.Bind(5, r.release);
      ir.Bind(6, r.scheme);
      ir.Bind(7, vulndb::EncodeEvents(r.events));
      ir.Bind(8, vulndb::EncodeList(r.versions));
      ir.Bind(9, static_cast<int64_t>(r.all_versions ? 1 : 0));
      if (ir.Step() != SQLITE_DONE) return vulndb::SqliteError(db_, "insert a range of " + v.id);
      ++stats_.ranges;
    }
    ++stats_.records;
    return Status::Ok();
  }

  sqlite3* db_;
  Progress* progress_;
  VulnDb::ImportStats stats_;
  Status store_error_;
  Statement find_, delete_ranges_, delete_advisory_, insert_advisory_, insert_range_;
};

// Whether an existing file is a database this build reads (an empty file counts as new).
Status CheckExisting(const std::string& db_path, bool* exists) {
  std::error_code ec;
  auto size = fs::file_size(db_path, ec);
  *exists = !ec && size > 0;
  if (!*exists) return Status::Ok();
  Result<std::unique_ptr<VulnDb>> db = VulnDb::Open(db_path);
  if (!db.ok()) return db.error();
  return Status::Ok();
}

// The temporary copy: removed unless Commit() renamed it.
class TempDatabase {
 public:
  explicit TempDatabase(std::string path) : path_(std::move(path)) {}
  ~TempDatabase() {
    if (db_ != nullptr) sqlite3_close(db_);
    if (!committed_) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }
  sqlite3* db() const { return db_; }

  Status Open() {
    int rc =
        sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) return vulndb::SqliteError(db_, "create " + path_);
    // No journal and no syncs while building: the file is private until renamed, and a
    // failure removes it.
    return vulndb::Exec(db_,
                        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                        "PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY;");
  }

  Status Commit(const std::string& final_path) {
    if (sqlite3_close(db_) != SQLITE_OK) return vulndb::SqliteError(db_, "close " + path_);
    db_ = nullptr;
    UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid() || ::fsync(fd.get()) != 0) return Error::FromErrno("fsync", path_, errno);
    if (::rename(path_.c_str(), final_path.c_str()) != 0) {
      return Error::FromErrno("rename", final_path, errno);
    }
    committed_ = true;
    std::string dir = fs::path(final_path).parent_path().string();
    return SyncDirectory(dir.empty() ? "." : dir);
  }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  bool committed_ = false;
};

}  // namespace

Result<VulnDb::ImportStats> VulnDb::Import(const std::vector<std::string>& sources,
                                           const std::string& db_path, Progress* progress) {
  for (const std::string& s : sources) {
    std::error_code ec;
    if (!fs::exists(s, ec)) return Error::NotFound(s + ": no such file or directory");
  }
  bool exists = false;
  CLEARBOX_RETURN_IF_ERROR(CheckExisting(db_path, &exists));

  // Build a copy and rename it over the database: readers (and a crash) see the old
  // contents or the new, never a part.
  TempDatabase temp(db_path + ".import-" + std::to_string(::getpid()));
  ::unlink(temp.path().c_str());
  if (exists) {
    std::error_code ec;
    fs::copy_file(db_path, temp.path(), fs::copy_options::overwrite_existing, ec);
    if (ec) return Error::Io("copy " + db_path + " to " + temp.path() + ": " + ec.message());
  }
  CLEARBOX_RETURN_IF_ERROR(temp.Open());
  CLEARBOX_RETURN_IF_ERROR(vulndb::Exec(temp.db(), "BEGIN"));
  CLEARBOX_RETURN_IF_ERROR(vulndb::Exec(temp.db(), vulndb::kSchemaSql));
  const std::string meta = "INSERT OR REPLACE INTO meta(key, value) VALUES ('format', '" +
                           std::string(vulndb::kFormatName) + "'), ('schema_version', '" +
                           std::to_string(vulndb::kSchemaVersion) + "')";
  CLEARBOX_RETURN_IF_ERROR(vulndb::Exec(temp.db(), meta.c_str()));

  ImportStats stats;
  {  // the importer's statements are finalized before the commit
    Importer importer(temp.db(), progress);
    CLEARBOX_RETURN_IF_ERROR(importer.Prepare());
    for (const std::string& s : sources) CLEARBOX_RETURN_IF_ERROR(importer.ImportSource(s));
    stats = importer.TakeStats();
  }
  CLEARBOX_RETURN_IF_ERROR(vulndb::Exec(temp.db(), "COMMIT; ANALYZE;"));
  CLEARBOX_RETURN_IF_ERROR(temp.Commit(db_path));
  return stats;
}

}  // namespace clearbox::inventory
