// Test helper: Microsoft's SARIF validator (npm @microsoft/sarif-multitool), when installed
// under the build tree (npm install --prefix <build>/npm @microsoft/sarif-multitool).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace clearbox::report::testing {

// The validator's launcher, or empty when it is not installed.
inline std::string SarifValidator(const std::string& binary_dir) {
  std::string path = binary_dir + "/npm/node_modules/.bin/sarif-multitool";
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
