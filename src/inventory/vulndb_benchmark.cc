// Vulnerability matching at the scale of the public feeds.
//
// Workloads:
//   BM_Import  (runs once) 200,000 NVD CVE items (20,000 products of 2,000 vendors, 1-4
//              cpeMatch ranges each: bounds, exact versions, a few "all versions") in one NVD
//              2.0 feed, and 50,000 OSV Debian records (5,000 source packages, dpkg ranges)
//              in one JSON array: 250,000 records into a new database.
//   BM_Match   Match() over 1,000 components (800 by CPE, 200 Debian packages by purl) against
//              that database; the target is under one second.
// The feeds and the database are written under $TMPDIR (or /tmp) and kept between runs.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "clearbox/inventory/component.h"
#include "clearbox/inventory/vulndb.h"

namespace clearbox::inventory {
namespace {

namespace fs = std::filesystem;

constexpr int kNvdRecords = 200000, kOsvRecords = 50000;
constexpr int kVendors = 2000, kProducts = 20000, kPackages = 5000;

fs::path WorkDir() {
  const char* tmp = std::getenv("TMPDIR");
  fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / "clearbox-vulndb-bench";
  fs::create_directories(dir);
  return dir;
}

std::string Version(std::mt19937& rng) {
  return std::to_string(rng() % 5) + "." + std::to_string(rng() % 20) + "." +
         std::to_string(rng() % 30);
}

void WriteFeeds(const fs::path& dir) {
  std::mt19937 rng(42);
  {
    std::ofstream out(dir / "nvdcve-2.0-synthetic.json");
    out << "{\"format\":\"NVD_CVE\",\"version\":\"2.0\",\"vulnerabilities\":[\n";
    for (int i = 0; i < kNvdRecords; ++i) {
      const int product = static_cast<int>(rng() % kProducts);
      out << (i ? ",\n" : "") << "{\"cve\":{\"id\":\"CVE-2" << (i / 100000) << "-" << i
          << "\",\"published\":\"2020-01-01T00:00:00.000\",\"lastModified\":\"2024-01-01T00:"
             "00:00.000\",\"descriptions\":[{\"lang\":\"en\",\"value\":\"A flaw in product p"
          << product << " allows remote attackers to do harm.\"}],"
          << "\"metrics\":{\"cvssMetricV31\":[{\"source\":\"nvd@nist.gov\",\"type\":\"Primary\","
             "\"cvssData\":{\"version\":\"3.1\",\"vectorString\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:"
             "N/S:U/C:H/I:H/A:H\",\"baseScore\":9.8,\"baseSeverity\":\"CRITICAL\"}}]},"
          << "\"weaknesses\":[{\"source\":\"nvd@nist.gov\",\"type\":\"Primary\",\"description\":"
             "[{\"lang\":\"en\",\"value\":\"CWE-787\"}]}],"
          << "\"references\":[{\"url\":\"https://example.com/advisory/" << i << "\"}],"
          << "\"configurations\":[{\"nodes\":[{\"operator\":\"OR\",\"negate\":false,"
             "\"cpeMatch\":[";
      const int ranges = 1 + static_cast<int>(rng() % 4);
      for (int r = 0; r < ranges; ++r) {
        out << (r ? "," : "") << "{\"vulnerable\":true,\"criteria\":\"cpe:2.3:a:v"
            << product % kVendors << ":p" << product << ":";
        const int kind = static_cast<int>(rng() % 100);
        if (kind < 2) {
          out << "*:*:*:*:*:*:*:*\"";  // all versions
        } else if (kind < 30) {
          out << Version(rng) << ":*:*:*:*:*:*:*\"";
        } else {
          out << "*:*:*:*:*:*:*:*\",\"versionStartIncluding\":\"" << Version(rng)
              << "\",\"versionEndExcluding\":\"" << Version(rng) << "\"";
        }
        out << ",\"matchCriteriaId\":\"00000000-0000-0000-0000-000000000000\"}";
      }
      out << "]}]}]}}";
    }
    out << "]}\n";
  }
  {
    std::ofstream out(dir / "osv-debian-synthetic.json");
    out << "[\n";
    for (int i = 0; i < kOsvRecords; ++i) {
      const int package = static_cast<int>(rng() % kPackages);
      out << (i ? ",\n" : "") << "{\"id\":\"DEBIAN-CVE-2" << (i / 10000) << "-" << i
          << "\",\"modified\":\"2024-01-01T00:00:00Z\",\"aliases\":[\"CVE-2" << (i / 10000) << "-"
          << i << "\"],\"summary\":\"synthetic\",\"affected\":[";
      for (int release = 11; release <= 12; ++release) {
        out << (release == 11 ? "" : ",") << "{\"package\":{\"ecosystem\":\"Debian:" << release
            << "\",\"name\":\"pkg" << package << "\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
            << "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"" << rng() % 3 << ":"
            << Version(rng) << "-" << rng() % 5 << "+deb" << release << "u" << rng() % 4
            << "\"}]}]}";
      }
      out << "]}";
    }
    out << "]\n";
  }
}

const std::string& Database() {
  static const std::string db = [] {
    const fs::path dir = WorkDir();
    const fs::path path = dir / "vulns.db";
    if (fs::exists(path)) return path.string();
    WriteFeeds(dir);
    auto start = std::chrono::steady_clock::now();
    Result<VulnDb::ImportStats> stats =
        VulnDb::Import({(dir / "nvdcve-2.0-synthetic.json").string(),
                        (dir / "osv-debian-synthetic.json").string()},
                       path.string(), nullptr);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!stats.ok()) {
      std::fprintf(stderr, "import failed: %s\n", stats.error().ToString().c_str());
      std::exit(1);
    }
    std::fprintf(stderr, "imported %llu records, %llu ranges in %.1f s (%s, %.0f MB)\n",
                 static_cast<unsigned long long>(stats->records),
                 static_cast<unsigned long long>(stats->ranges), seconds, path.c_str(),
                 static_cast<double>(fs::file_size(path)) / 1e6);
    return path.string();
  }();
  return db;
}

std::vector<Component> Components() {
  std::mt19937 rng(7);
  std::vector<Component> out;
  for (int i = 0; i < 800; ++i) {
    Component c;
    const int product = static_cast<int>(rng() % kProducts);
    c.name = "p" + std::to_string(product);
    c.version = Version(rng);
    c.cpe = Cpe23("v" + std::to_string(product % kVendors), c.name, c.version);
    c.purl = Purl("generic", "", c.name, c.version);
    out.push_back(std::move(c));
  }
  for (int i = 0; i < 200; ++i) {
    Component c;
    c.name = "pkg" + std::to_string(rng() % kPackages);
    c.version = "1:" + Version(rng) + "-1";
    c.scheme = VersionScheme::kDebian;
    c.purl = Purl("deb", "debian", c.name, c.version, "arch=amd64&distro=debian-12");
    out.push_back(std::move(c));
  }
  return out;
}

void BM_Match(benchmark::State& state) {
  Result<std::unique_ptr<VulnDb>> db = VulnDb::Open(Database());
  if (!db.ok()) {
    state.SkipWithError(db.error().ToString().c_str());
    return;
  }
  const std::vector<Component> components = Components();
  size_t matches = 0;
  for (auto _ : state) {
    Result<std::vector<VulnerabilityMatch>> m = (*db)->Match(components);
    if (!m.ok()) {
      state.SkipWithError(m.error().ToString().c_str());
      return;
    }
    matches = m->size();
    benchmark::DoNotOptimize(m);
  }
  state.counters["components"] = static_cast<double>(components.size());
  state.counters["matches"] = static_cast<double>(matches);
}
BENCHMARK(BM_Match)->Unit(benchmark::kMillisecond)->MinTime(2);

}  // namespace
}  // namespace clearbox::inventory

BENCHMARK_MAIN();
