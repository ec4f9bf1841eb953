// Helpers shared by the maint unit tests: a scratch directory and running OpenSSH's tools.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "clearbox/core/bytes.h"

namespace clearbox::maint::testing {

// A directory removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "clearbox-maint.XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, std::string_view text) const {
    std::ofstream(File(name), std::ios::binary) << text;
  }
  void Write(const std::string& name, ByteView data) const { Write(name, AsChars(data)); }
  std::string Read(const std::string& name) const {
    std::ifstream in(File(name), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string path_;
};

struct CommandResult {
  int status = -1;     // the exit code, or -1 if it did not exit normally
  std::string output;  // stdout and stderr
};

// Runs a shell command (with TZ=UTC, so that ssh-keygen prints times in UTC).
inline CommandResult RunShell(const std::string& command) {
  CommandResult r;
  FILE* p = popen(("TZ=UTC " + command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline bool HaveSshKeygen() { return RunShell("command -v ssh-keygen").status == 0; }

}  // namespace clearbox::maint::testing
