// Internals of the vulnerability database shared by the importer, the matcher, their tests
// and the fuzzers: the parsed form of a record, the stored form of a range and its
// evaluation, and the database schema.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearbox/core/result.h"
#include "clearbox/inventory/component.h"
#include "clearbox/inventory/vulndb.h"

namespace clearbox::inventory::vulndb {

// Bounds on what one record may hold (hostile or broken feeds).
inline constexpr size_t kMaxVersionBytes = 512;
inline constexpr size_t kMaxIdBytes = 256;
inline constexpr size_t kMaxNameBytes = 1024;
inline constexpr size_t kMaxEventsPerRange = 4096;
inline constexpr size_t kMaxTextBytes = 64 << 10;          // summary, one reference
inline constexpr uint64_t kMaxDocumentBytes = 256u << 20;  // one zip entry, decompressed
inline constexpr uint64_t kMaxZipEntries = 4u << 20;

// One bound of a range. Ops: 'i' introduced (>=), 'g' start excluding (>), 'f' fixed (<, and
// the fixing version), 'l' last_affected (<=), 'x' limit (<, not a fix).
struct Event {
  char op = 'i';
  std::string version;
  bool operator==(const Event&) const = default;
};

enum class RangeKind { kCpe = 0, kPackage = 1 };

// One affected range as stored: keyed by (kind, space, name[, release]).
struct AffectedRange {
  RangeKind kind = RangeKind::kCpe;
  std::string space;    // CPE vendor, or OSV ecosystem in lower case without release: "debian"
  std::string name;     // CPE product, or package name
  std::string release;  // OSV ecosystem release ("12" of "Debian:12", "3.18" of "Alpine:v3.18")
  std::string scheme;   // VersionSchemeName of the range's ordering; "" = by the component
  std::vector<Event> events;          // sorted ascending by `scheme` when it is known
  std::vector<std::string> versions;  // exact affected versions
  bool all_versions = false;          // NVD "*" without bounds
};

struct ParsedAdvisory {
  Vulnerability vulnerability;
  std::vector<AffectedRange> ranges;
  bool withdrawn = false;  // OSV withdrawn or NVD rejected: removed from the database
};

// Parses one JSON document: an OSV record (or a JSON array of them), or an NVD CVE JSON 2.0
// feed/API page (streamed: one `vulnerabilities[]` item in memory at a time). Calls
// `on_record` for each record, with the parsed record or an error naming the record and the
// field. Errors: kInvalidInput when the document is not JSON or neither format (the records
// passed on before the syntax error stand), kIo when the stream failed.
using RecordSink = std::function<void(Result<ParsedAdvisory>)>;
Status ParseAdvisoryDocument(std::istream& in, const RecordSink& on_record);
Status ParseAdvisoryDocument(std::string_view json, const RecordSink& on_record);

// The stored text of a range's events and versions (one per line) and back. Versions hold no
// control characters (the parser refuses them), so a newline separates safely.
std::string EncodeEvents(const std::vector<Event>& events);
std::vector<Event> DecodeEvents(std::string_view text);
std::string EncodeList(const std::vector<std::string>& items);
std::vector<std::string> DecodeList(std::string_view text);

// Whether `version` lies in the range, compared by `scheme`; with the range text and the
// fixing version of the interval that holds it.
struct RangeHit {
  std::string affected_range;
  std::string fixed_version;
};
std::optional<RangeHit> EvaluateRange(const AffectedRange& range, VersionScheme scheme,
                                      std::string_view version);

// Parts of a CPE 2.3 formatted string, unescaped: part, vendor, product, version, update.
// nullopt when it is not one.
struct CpeName {
  std::string part, vendor, product, version, update;
};
std::optional<CpeName> ParseCpe23(std::string_view cpe);

// The CVSS 3.0/3.1 base score of a vector ("CVSS:3.1/AV:N/..."), by the specification's
// formulas; nullopt when the vector lacks a base metric or is not CVSS 3.
std::optional<double> CvssV3BaseScore(std::string_view vector);

// The SQLite schema and the version Open accepts.
inline constexpr int kSchemaVersion = 1;
inline constexpr const char* kFormatName = "clearbox-vulndb";
extern const char* const kSchemaSql;

// A prepared statement, finalized on destruction. Bind indexes start at 1.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(stmt_);
      stmt_ = o.stmt_;
      o.stmt_ = nullptr;
    }
    return *this;
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  static Result<Statement> Prepare(sqlite3* db, const char* sql);

  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  void Bind(int i, std::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  std::string_view Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string_view()
                        : std::string_view(reinterpret_cast<const char*>(p),
                                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// An error naming what failed and SQLite's message.
Error SqliteError(sqlite3* db, std::string_view what);
// Runs statements without results. Errors: kIo.
Status Exec(sqlite3* db, const char* sql);

}  // namespace clearbox::inventory::vulndb
