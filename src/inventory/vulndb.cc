// VulnDb: opening a database and matching components against it.
#include "clearbox/inventory/vulndb.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>

#include "clearbox/inventory/version.h"
#include "vulndb_internal.h"

namespace clearbox::inventory {

namespace vulndb {

// Ranges are looked up by (kind, space, name): a covering index holds everything the matcher
// reads, so a lookup touches no table page.
const char* const kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS advisory(
  rowid INTEGER PRIMARY KEY,
  source TEXT NOT NULL, id TEXT NOT NULL, modified TEXT NOT NULL, published TEXT NOT NULL,
  source_url TEXT NOT NULL, summary TEXT NOT NULL,
  aliases TEXT NOT NULL, ratings TEXT NOT NULL, cwes TEXT NOT NULL, refs TEXT NOT NULL,
  UNIQUE(source, id));
CREATE TABLE IF NOT EXISTS affected(
  advisory INTEGER NOT NULL, kind INTEGER NOT NULL, space TEXT NOT NULL, name TEXT NOT NULL,
  release TEXT NOT NULL, scheme TEXT NOT NULL, events TEXT NOT NULL, versions TEXT NOT NULL,
  all_versions INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS affected_by_key ON affected(kind, space, name, advisory, release,
  scheme, events, versions, all_versions);
CREATE INDEX IF NOT EXISTS affected_by_advisory ON affected(advisory);
)sql";

Result<Statement> Statement::Prepare(sqlite3* db, const char* sql) {
  Statement s;
  if (sqlite3_prepare_v2(db, sql, -1, &s.stmt_, nullptr) != SQLITE_OK) {
    return SqliteError(db, "prepare");
  }
  return s;
}

Error SqliteError(sqlite3* db, std::string_view what) {
  std::string message =
      std::string(what) + ": SQLite: " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory");
  return Error::Io(std::move(message));
}

Status Exec(sqlite3* db, const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string m = message != nullptr ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return Error::Io("SQLite: " + m);
  }
  return Status::Ok();
}

}  // namespace vulndb

namespace {

using vulndb::AffectedRange;
using vulndb::Statement;

// One read-only connection with its statements; used by one thread at a time.
struct Connection {
  sqlite3* db = nullptr;
  Statement by_key, advisory;
  ~Connection() {
    by_key = Statement();
    advisory = Statement();
    sqlite3_close(db);
  }
};

Result<std::unique_ptr<Connection>> Connect(const std::string& path) {
  auto c = std::make_unique<Connection>();
  int rc =
      sqlite3_open_v2(path.c_str(), &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return vulndb::SqliteError(c->db, "open " + path);
  Result<Statement> meta = Statement::Prepare(c->db,
                                              "SELECT key, value FROM meta WHERE key IN "
                                              "('format', 'schema_version')");
  if (!meta.ok()) {
    if (sqlite3_errcode(c->db) == SQLITE_IOERR || sqlite3_errcode(c->db) == SQLITE_CANTOPEN) {
      return meta.error().WithContext(path);
    }
    return Error::InvalidInput(path + ": not a clearbox vulnerability database (" +
                               sqlite3_errmsg(c->db) + ")");
  }
  std::string format, version;
  while ((rc = meta->Step()) == SQLITE_ROW) {
    (meta->Text(0) == "format" ? format : version) = std::string(meta->Text(1));
  }
  if (rc != SQLITE_DONE) return vulndb::SqliteError(c->db, "read " + path);
  if (format != vulndb::kFormatName) {
    return Error::InvalidInput(path + ": not a clearbox vulnerability database");
  }
  if (version != std::to_string(vulndb::kSchemaVersion)) {
    return Error::InvalidInput(path + ": schema version " + version + ", this build reads " +
                               std::to_string(vulndb::kSchemaVersion) +
                               " (import the feeds again)");
  }
  *meta = Statement();
  CLEARBOX_ASSIGN_OR_RETURN(
      c->by_key, Statement::Prepare(c->db,
                                    "SELECT advisory, release, scheme, events, versions, "
                                    "all_versions FROM affected "
                                    "WHERE kind = ?1 AND space = ?2 AND name = ?3"));
  CLEARBOX_ASSIGN_OR_RETURN(
      c->advisory, Statement::Prepare(c->db,
                                      "SELECT source, id, modified, published, source_url, "
                                      "summary, aliases, ratings, cwes, refs "
                                      "FROM advisory WHERE rowid = ?1"));
  return c;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct PurlParts {
  std::string type, ns, name, version;
  std::map<std::string, std::string> qualifiers;
};

std::optional<PurlParts> ParsePurl(std::string_view purl) {
  if (!purl.starts_with("pkg:")) return std::nullopt;
  purl.remove_prefix(4);
  if (size_t hash = purl.find('#'); hash != std::string_view::npos) purl = purl.substr(0, hash);
  PurlParts p;
  if (size_t q = purl.find('?'); q != std::string_view::npos) {
    std::string_view qs = purl.substr(q + 1);
    purl = purl.substr(0, q);
    while (!qs.empty()) {
      size_t amp = qs.find('&');
      std::string_view kv = qs.substr(0, amp);
      if (size_t eq = kv.find('='); eq != std::string_view::npos) {
        p.qualifiers[Lower(kv.substr(0, eq))] = PercentDecode(kv.substr(eq + 1));
      }
      if (amp == std::string_view::npos) break;
      qs.remove_prefix(amp + 1);
    }
  }
  if (size_t at = purl.rfind('@'); at != std::string_view::npos) {
    p.version = PercentDecode(purl.substr(at + 1));
    purl = purl.substr(0, at);
  }
  size_t slash = purl.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  p.type = Lower(purl.substr(0, slash));
  std::string_view rest = purl.substr(slash + 1);
  size_t last = rest.rfind('/');
  if (last != std::string_view::npos) {
    p.ns = PercentDecode(rest.substr(0, last));
    rest = rest.substr(last + 1);
  }
  p.name = PercentDecode(rest);
  if (p.name.empty()) return std::nullopt;
  return p;
}

// OSV's ecosystem (lower case, as stored) for a purl type and namespace.
std::string OsvSpace(const PurlParts& p) {
  if (p.type == "deb" || p.type == "apk") return Lower(p.ns);  // debian, ubuntu, alpine
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {"npm", "npm"},        {"pypi", "pypi"},    {"cargo", "crates.io"}, {"golang", "go"},
      {"maven", "maven"},    {"gem", "rubygems"}, {"nuget", "nuget"},     {"composer", "packagist"},
      {"hex", "hex"},        {"pub", "pub"},      {"hackage", "hackage"}, {"cran", "cran"},
      {"swift", "swifturl"}, {"conan", "conan"}};
  auto it = kTypes.find(p.type);
  return it == kTypes.end() ? "" : it->second;
}

// The release as OSV's ecosystem suffix names it, from purl's distro qualifier.
std::string OsvRelease(const PurlParts& p, std::string_view space) {
  auto it = p.qualifiers.find("distro");
  if (it == p.qualifiers.end()) return "";
  std::string d = Lower(it->second);
  if (d.starts_with(std::string(space) + "-")) d = d.substr(space.size() + 1);
  static const std::map<std::string, std::string, std::less<>> kDebianCodenames = {
      {"jessie", "8"},    {"stretch", "9"},   {"buster", "10"},
      {"bullseye", "11"}, {"bookworm", "12"}, {"trixie", "13"}};
  if (space == "debian") {
    if (auto c = kDebianCodenames.find(d); c != kDebianCodenames.end()) return c->second;
    return d.substr(0, d.find('.'));  // "12.5" -> "12": OSV names the major release
  }
  if (space == "alpine") {
    size_t first = d.find('.');
    if (first != std::string::npos) {
      size_t second = d.find('.', first + 1);
      return d.substr(0, second);  // "3.18.4" -> "3.18"
    }
  }
  return d;
}

// The product's own ordering where one is known; otherwise the component's, with the
// package schemes read as upstream versions (CPEs carry the upstream version).
VersionScheme CpeScheme(std::string_view vendor, std::string_view product,
                        VersionScheme component) {
  if (product == "openssl") return VersionScheme::kOpenssl;
  if (product == "dropbear_ssh" || product == "dropbear_ssh_server" || product == "dropbear") {
    return VersionScheme::kDropbear;
  }
  if (product == "busybox" && vendor == "busybox") return VersionScheme::kBusybox;
  if (component == VersionScheme::kDebian || component == VersionScheme::kApk) {
    return VersionScheme::kGeneric;
  }
  return component;
}

// "1:9.2p1-2+deb12u3" -> "9.2p1"; "1.36.1-r2" -> "1.36.1".
std::string UpstreamOf(VersionScheme scheme, std::string_view v) {
  if (scheme == VersionScheme::kDebian) {
    if (size_t colon = v.find(':'); colon != std::string_view::npos) {
      bool digits = colon > 0;
      for (size_t i = 0; i < colon; ++i) digits = digits && v[i] >= '0' && v[i] <= '9';
      if (digits) v.remove_prefix(colon + 1);
    }
    if (size_t hyphen = v.rfind('-'); hyphen != std::string_view::npos) v = v.substr(0, hyphen);
  } else if (scheme == VersionScheme::kApk) {
    if (size_t r = v.rfind("-r"); r != std::string_view::npos) v = v.substr(0, r);
  }
  return std::string(v);
}

// One way a component is looked up: a key of the affected table and how to compare.
struct Query {
  vulndb::RangeKind kind;
  std::string space, name, release, version;
  VersionScheme scheme;  // for ranges that name none (NVD)
  std::string matched_by;
};

std::vector<Query> QueriesFor(const Component& c) {
  std::vector<Query> out;
  if (!c.cpe.empty()) {
    std::optional<vulndb::CpeName> cpe = vulndb::ParseCpe23(c.cpe);
    if (cpe && !cpe->vendor.empty() && !cpe->product.empty()) {
      std::string version = cpe->version;
      if (version.empty() || version == "*" || version == "-") {
        version = c.version;
      } else if (!cpe->update.empty() && cpe->update != "*" && cpe->update != "-") {
        version += cpe->update;
      }
      // A CPE that repeats a package's full version ("1:9.2p1-2") still names the upstream.
      if (version == c.version) version = UpstreamOf(c.scheme, version);
      if (!version.empty()) {
        Query q;
        q.kind = vulndb::RangeKind::kCpe;
        q.space = Lower(cpe->vendor);
        q.name = Lower(cpe->product);
        q.version = version;
        q.scheme = CpeScheme(q.space, q.name, c.scheme);
        q.matched_by = "cpe:2.3:" + cpe->part + ":" + q.space + ":" + q.name;
        out.push_back(std::move(q));
      }
    }
  }
  if (!c.purl.empty()) {
    std::optional<PurlParts> p = ParsePurl(c.purl);
    if (p) {
      std::string space = OsvSpace(*p);
      std::string version = p->version.empty() ? c.version : p->version;
      if (!space.empty() && !version.empty()) {
        std::string name = p->name;
        if (!p->ns.empty() && p->type == "maven") name = p->ns + ":" + p->name;
        if (!p->ns.empty() && (p->type == "npm" || p->type == "golang")) {
          name = p->ns + "/" + p->name;
        }
        std::vector<std::string> names = {Lower(name)};
        // The source package (OSV's Debian records name source packages).
        if (auto up = p->qualifiers.find("upstream"); up != p->qualifiers.end()) {
          std::string source = Lower(up->second.substr(0, up->second.find('@')));
          if (!source.empty() && source != names[0]) names.push_back(source);
        }
        for (const std::string& n : names) {
          Query q;
          q.kind = vulndb::RangeKind::kPackage;
          q.space = space;
          q.name = n;
          q.release = OsvRelease(*p, space);
          q.version = version;
          q.scheme = c.scheme;
          q.matched_by = "pkg:" + p->type + "/" + (p->ns.empty() ? "" : Lower(p->ns) + "/") + n;
          out.push_back(std::move(q));
        }
      }
    }
  }
  return out;
}

Rating RatingFromJson(const nlohmann::json& j) {
  Rating r;
  auto str = [&](const char* k) {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  r.source = str("source");
  r.severity = str("severity");
  r.method = str("method");
  r.vector = str("vector");
  if (auto it = j.find("score"); it != j.end() && it->is_number()) r.score = it->get<double>();
  return r;
}

Result<Vulnerability> LoadAdvisory(Connection& c, int64_t rowid) {
  Statement& s = c.advisory;
  s.Reset();
  s.Bind(1, rowid);
  int rc = s.Step();
  if (rc != SQLITE_ROW) return vulndb::SqliteError(c.db, "read advisory");
  Vulnerability v;
  v.source = s.Text(0);
  v.id = s.Text(1);
  v.modified = s.Text(2);
  v.published = s.Text(3);
  v.source_url = s.Text(4);
  v.summary = s.Text(5);
  v.aliases = vulndb::DecodeList(s.Text(6));
  nlohmann::json ratings = nlohmann::json::parse(s.Text(7), nullptr, /*allow_exceptions=*/false);
  if (ratings.is_array()) {
    for (const nlohmann::json& r : ratings) {
      if (r.is_object()) v.ratings.push_back(RatingFromJson(r));
    }
  }
  v.cwes = vulndb::DecodeList(s.Text(8));
  v.references = vulndb::DecodeList(s.Text(9));
  return v;
}

}  // namespace

class VulnDb::Impl {
 public:
  explicit Impl(std::string path) : path_(std::move(path)) {}

  // A connection for this thread's call; returned to the pool by Release.
  Result<std::unique_ptr<Connection>> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<Connection> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
    }
    return Connect(path_);
  }
  void Release(std::unique_ptr<Connection> c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < 8) idle_.push_back(std::move(c));
  }

 private:
  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

VulnDb::VulnDb(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VulnDb::~VulnDb() = default;

Result<std::unique_ptr<VulnDb>> VulnDb::Open(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Error::NotFound(path + ": no such vulnerability database");
  }
  auto impl = std::make_unique<Impl>(path);
  CLEARBOX_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, impl->Acquire());
  impl->Release(std::move(c));
  return std::unique_ptr<VulnDb>(new VulnDb(std::move(impl)));
}

Result<std::vector<VulnerabilityMatch>> VulnDb::Match(std::span<const Component> components) const {
  CLEARBOX_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, impl_->Acquire());
  std::vector<VulnerabilityMatch> out;
  std::map<int64_t, Vulnerability> advisories;  // loaded once per call
  for (size_t index = 0; index < components.size(); ++index) {
    std::set<int64_t> seen;       // one match per advisory and component
    std::vector<int64_t> rowids;  // of out[first...]
    const size_t first = out.size();
    for (const Query& q : QueriesFor(components[index])) {
      Statement& s = c->by_key;
      s.Reset();
      s.Bind(1, static_cast<int64_t>(q.kind));
      s.Bind(2, q.space);
      s.Bind(3, q.name);
      int rc;
      while ((rc = s.Step()) == SQLITE_ROW) {
        const int64_t advisory = s.Int(0);
        if (seen.count(advisory) != 0) continue;
        std::string_view release = s.Text(1);
        if (!q.release.empty() && !release.empty() && release != q.release) continue;
        AffectedRange range;
        range.events = vulndb::DecodeEvents(s.Text(3));
        range.versions = vulndb::DecodeList(s.Text(4));
        range.all_versions = s.Int(5) != 0;
        std::string_view scheme_name = s.Text(2);
        VersionScheme scheme = scheme_name.empty() ? q.scheme : VersionSchemeFromName(scheme_name);
        std::optional<vulndb::RangeHit> hit = vulndb::EvaluateRange(range, scheme, q.version);
        if (!hit) continue;
        seen.insert(advisory);
        VulnerabilityMatch m;
        m.component_index = index;
        m.affected_range = std::move(hit->affected_range);
        m.fixed_version = std::move(hit->fixed_version);
        m.matched_by = q.matched_by;
        out.push_back(std::move(m));
        rowids.push_back(advisory);
      }
      if (rc != SQLITE_DONE) return vulndb::SqliteError(c->db, "read ranges");
    }
    // Fill the advisories in (the ranges statement is done with its rows).
    for (size_t i = first; i < out.size(); ++i) {
      Vulnerability& cached = advisories[rowids[i - first]];
      if (cached.id.empty()) {
        CLEARBOX_ASSIGN_OR_RETURN(cached, LoadAdvisory(*c, rowids[i - first]));
      }
      out[i].vulnerability = cached;
    }
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const VulnerabilityMatch& a, const VulnerabilityMatch& b) {
                return std::tie(a.vulnerability.id, a.vulnerability.source) <
                       std::tie(b.vulnerability.id, b.vulnerability.source);
              });
  }
  impl_->Release(std::move(c));
  return out;
}

Result<VulnDb::Summary> VulnDb::Describe() const {
  CLEARBOX_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c, impl_->Acquire());
  Summary summary;
  CLEARBOX_ASSIGN_OR_RETURN(
      Statement by_source,
      Statement::Prepare(c->db, "SELECT source, count(*) FROM advisory GROUP BY source"));
  int rc;
  while ((rc = by_source.Step()) == SQLITE_ROW) {
    summary.advisories_by_source.emplace_back(std::string(by_source.Text(0)), by_source.Int(1));
    summary.advisories += static_cast<uint64_t>(by_source.Int(1));
  }
  if (rc != SQLITE_DONE) return vulndb::SqliteError(c->db, "count advisories");
  CLEARBOX_ASSIGN_OR_RETURN(Statement ranges,
                            Statement::Prepare(c->db, "SELECT count(*) FROM affected"));
  if (ranges.Step() != SQLITE_ROW) return vulndb::SqliteError(c->db, "count ranges");
  summary.ranges = static_cast<uint64_t>(ranges.Int(0));
  by_source = Statement();
  ranges = Statement();
  impl_->Release(std::move(c));
  return summary;
}

}  // namespace clearbox::inventory
