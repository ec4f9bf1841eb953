// Test helper: Microsoft's SARIF validator (npm @microsoft/sarif-multitool), when installed
// where scripts/install-deps.sh puts it (<source>/build/npm, or $CLEARBOX_NPM_PREFIX).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace clearbox::report::testing {

// Where the npm validators are installed: $CLEARBOX_NPM_PREFIX, else <source>/build/npm.
inline std::string NpmPrefix(const std::string& source_dir) {
  const char* env = std::getenv("CLEARBOX_NPM_PREFIX");
  return env && *env ? std::string(env) : source_dir + "/build/npm";
}

// scripts/test.sh sets CLEARBOX_REQUIRE_VALIDATORS=1: there a missing validator is a failure,
// not a skip (it installs them, so a skip would hide a broken install).
inline bool ValidatorsRequired() {
  const char* env = std::getenv("CLEARBOX_REQUIRE_VALIDATORS");
  return env && std::string(env) == "1";
}

// The validator's launcher, or empty when it is not installed.
inline std::string SarifValidator(const std::string& source_dir) {
  std::string path = NpmPrefix(source_dir) + "/node_modules/.bin/sarif-multitool";
  return std::filesystem::exists(path) ? path : std::string();
}

// Validates the SARIF file at `path`: "" when valid, else the validator's errors and
// warnings one a line (the validator exits 0 either way; its findings are in its own SARIF
// output, which is read here).
inline std::string ValidateSarif(const std::string& validator, const std::string& path) {
  std::string out = path + ".validation.sarif";
  std::filesystem::remove(out);
  std::string cmd = "'" + validator + "' validate -o '" + out + "' '" + path + "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return "validator failed to run: " + cmd;
  std::ifstream in(out);
  if (!in) return "validator wrote no output: " + cmd;
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) return "validator output is not JSON";
  std::ostringstream problems;
  for (const auto& run : doc.value("runs", nlohmann::json::array())) {
    for (const auto& r : run.value("results", nlohmann::json::array())) {
      std::string level = r.value("level", "warning");
      if (level != "error" && level != "warning") continue;
      problems << level << " " << r.value("ruleId", "?") << " " << r["message"].dump() << "\n";
    }
  }
  return problems.str();
}

}  // namespace clearbox::report::testing
