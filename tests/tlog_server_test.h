// Helpers for the log's end-to-end tests (tlog_server_test.cc, tlog_fault_test.cc): run
// `clearbox log serve|witness|init|add` as real processes on loopback, with fresh keys in a
// temporary directory.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "clearbox/core/file.h"
#include "clearbox/crypto/note.h"

namespace clearbox::testing {

// A directory under the build tree, removed afterwards.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name) {
    path_ = std::string(CLEARBOX_BINARY_DIR) + "/tmp-" + name + "-" + std::to_string(::getpid());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Writes a new key pair: the signer key to `path` (0600); returns the verifier key.
inline std::string WriteKey(const std::string& path, const std::string& name) {
  auto key = crypto::GenerateNoteKey(name).value();
  EXPECT_TRUE(WriteFileAtomic(path, AsBytes(key.signer_key + "\n"), 0600).ok());
  return key.verifier_key;
}

// A child process running the CLI with its stdout on a pipe; killed (SIGKILL) if still running
// when the object goes away, and if the test process dies.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::string& stderr_path) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(fds[1], 1);
      int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (err >= 0) ::dup2(err, 2);
      ::close(fds[0]);
      std::vector<char*> argv;
      std::string cli = CLEARBOX_CLI;
      argv.push_back(cli.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(cli.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Process() {
    Kill(SIGKILL);
    if (out_ >= 0) ::close(out_);
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Reads stdout until a line matches `pattern` (or `timeout` passes); returns the match.
  std::smatch WaitForLine(const std::regex& pattern,
                          std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      size_t nl;
      while ((nl = buffer_.find('\n')) != std::string::npos) {
        line_ = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        output_ += line_ + "\n";
        std::smatch m;
        if (std::regex_search(line_, m, pattern)) return m;
      }
      if (!ReadSome(deadline, buffer_)) break;
    }
    ADD_FAILURE() << "no line matching the pattern; output so far:\n" << output_;
    return {};
  }

  // Everything the process writes to stdout until it closes it (or `timeout` passes).
  std::string ReadToEnd(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string all = buffer_;
    buffer_.clear();
    while (ReadSome(deadline, all)) {
    }
    return all;
  }

  // Appends what the process writes to stdout next to `into`; false once it closed stdout or
  // `deadline` passed.
  bool ReadSome(std::chrono::steady_clock::time_point deadline, std::string& into) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[4096];
    ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n <= 0) return false;
    into.append(chunk, size_t(n));
    return true;
  }

  // Sends `signal` and reaps the process; returns its exit status (or -1).
  int Kill(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    return Wait();
  }
  int Wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_, line_, output_;
};

// Runs the CLI to completion (at most 60 s); returns (exit status, stdout).
inline std::pair<int, std::string> RunCli(const std::vector<std::string>& args,
                                          const std::string& stderr_path) {
  Process p(args, stderr_path);
  std::string out = p.ReadToEnd(std::chrono::seconds(60));
  int status = p.Wait();
  return {status, out};
}

}  // namespace clearbox::testing
