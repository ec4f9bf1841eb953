// clearbox vulndb import SRC... --db FILE   and   clearbox vulndb info --db FILE
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "clearbox/core/progress.h"
#include "clearbox/inventory/vulndb.h"
#include "commands.h"

namespace clearbox::cli {
namespace {

using inventory::VulnDb;

struct VulndbFlags {
  std::vector<std::string> sources;
  std::string db;
  bool quiet = false;
};

int Fail(const Error& e) {
  std::fprintf(stderr, "clearbox: %s\n", e.message().c_str());
  return kExitInputError;
}

int RunImport(const VulndbFlags& f) {
  Progress progress("vulndb import");
  Result<VulnDb::ImportStats> stats =
      VulnDb::Import(f.sources, f.db, progress.enabled() ? &progress : nullptr);
  progress.Finish();
  if (!stats.ok()) {
    std::fprintf(stderr, "clearbox: %s (the database is unchanged)\n",
                 stats.error().message().c_str());
    return kExitInputError;
  }
  if (!f.quiet) {
    for (const std::string& p : stats->problems)
      std::fprintf(stderr, "clearbox: skipped: %s\n", p.c_str());
  }
  std::printf("%s: %llu documents, %llu records stored, %llu ranges, %llu skipped\n", f.db.c_str(),
              static_cast<unsigned long long>(stats->files),
              static_cast<unsigned long long>(stats->records),
              static_cast<unsigned long long>(stats->ranges),
              static_cast<unsigned long long>(stats->skipped));
  return kExitOk;
}

int RunInfo(const VulndbFlags& f) {
  Result<std::unique_ptr<VulnDb>> db = VulnDb::Open(f.db);
  if (!db.ok()) return Fail(db.error());
  Result<VulnDb::Summary> s = (*db)->Describe();
  if (!s.ok()) return Fail(s.error());
  std::printf("%s: %llu advisories, %llu affected ranges\n", f.db.c_str(),
              static_cast<unsigned long long>(s->advisories),
              static_cast<unsigned long long>(s->ranges));
  for (const auto& [source, n] : s->advisories_by_source) {
    std::printf("  %s: %llu\n", source.c_str(), static_cast<unsigned long long>(n));
  }
  return kExitOk;
}

}  // namespace

void RegisterVulndbCommands(CLI::App& app) {
  auto flags = std::make_shared<VulndbFlags>();
  CLI::App* vulndb = app.add_subcommand("vulndb", "the known-vulnerability database");
  vulndb->require_subcommand(1);

  CLI::App* import = vulndb->add_subcommand(
      "import", "add OSV and NVD CVE JSON 2.0 records to a database (created when absent)");
  import
      ->add_option("SRC", flags->sources,
                   "OSV .json records or all.zip archives, NVD nvdcve-2.0-*.json(.gz) feeds, "
                   "or directories of them")
      ->required();
  import->add_option("--db", flags->db, "database file")->required();
  import->add_flag("-q,--quiet", flags->quiet, "do not list skipped records");
  import->footer(
      "Feeds: https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip (e.g.\n"
      "Debian, Alpine) and https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-YEAR.json.gz.\n"
      "All sources go in at once: on any read error the database is left as it was.");
  import->callback([flags] { ExitCode() = RunImport(*flags);
});

CLI::App* info = vulndb->add_subcommand("info", "what a database holds");
info->add_option("--db", flags->db, "database file")->required();
info->callback([flags] { ExitCode() = RunInfo(*flags); });
}  // namespace clearbox::cli

}  // namespace clearbox::cli
